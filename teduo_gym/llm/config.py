"""A frozen, serialisable description of which LLM to use.

- :class:`LLMConfig` -- picks a backend (``"transformers"`` or ``"openai"``) and builds it with
  :meth:`LLMConfig.create`.
- :func:`shared_backend` -- the backend of a config, built once per process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from teduo_gym.llm.base import LLMBackend

__all__ = ["LLMConfig", "shared_backend"]


@dataclass(frozen=True)
class LLMConfig:
    """Which LLM backend to build, and how.

    Example:
        >>> config = LLMConfig(backend="openai", base_url="http://127.0.0.1:8000/v1", chat=True)
        >>> config.backend, config.chat
        ('openai', True)
        >>> llm = config.create()  # doctest: +SKIP
    """

    #: "transformers" runs a model in-process; "openai" talks to an OpenAI-compatible server.
    backend: Literal["transformers", "openai"] = "transformers"
    #: transformers: a model or PEFT adapter directory (None: embedded SmolLM2); openai: served model id.
    model: str | None = None
    #: openai: the server's API root, e.g. "http://127.0.0.1:8000/v1".
    base_url: str | None = None
    #: openai: API key (None: $OPENAI_API_KEY, else "EMPTY").
    api_key: str | None = None
    #: wrap each prompt as one user message in the model's chat template.
    chat: bool = False
    #: openai: seconds each HTTP request may take.
    timeout_s: float = 30.0
    #: openai: retries after a failed connection or a timeout.
    max_retries: int = 2
    #: transformers: prompts per forward pass.
    batch_size: int = 16

    def create(self) -> LLMBackend:
        """Build the backend this config describes.

        Raises:
            ValueError: ``backend`` is unknown, or ``"openai"`` without ``base_url``.
        """
        if self.backend == "transformers":
            from teduo_gym.llm.transformers_backend import TransformersBackend

            return TransformersBackend(self.model, chat=self.chat, batch_size=self.batch_size)
        if self.backend == "openai":
            if not self.base_url:
                raise ValueError(
                    'LLMConfig(backend="openai") needs base_url, e.g. base_url="http://127.0.0.1:8000/v1" '
                    "(start one with `teduo serve-llm --port 8000`)."
                )
            from teduo_gym.llm.openai_backend import OpenAIBackend

            return OpenAIBackend(
                self.base_url,
                self.model,
                api_key=self.api_key,
                chat=self.chat,
                timeout_s=self.timeout_s,
                max_retries=self.max_retries,
            )
        raise ValueError(f'LLMConfig.backend must be "transformers" or "openai", got {self.backend!r}.')


@functools.lru_cache(maxsize=2)
def shared_backend(config: LLMConfig) -> LLMBackend:
    """The backend of ``config``, built once per process: the labeller, the abstraction of acting text and LLM agents
    of the same model share its weights instead of loading them again (and a worker process keeps it between
    shards).

    Example:
        >>> shared_backend(LLMConfig()) is shared_backend(LLMConfig())  # doctest: +SKIP
        True
    """
    return config.create()
