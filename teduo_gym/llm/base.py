"""The one small interface every LLM backend implements, and the errors they raise.

A backend turns prompts into text (:meth:`LLMBackend.generate`) and scores candidate continuations of a
prompt (:meth:`LLMBackend.score`). Everything above this package (labelling, agents) talks to this
protocol only, so the embedded SmolLM2, a local Hugging Face directory and an OpenAI-compatible server are
interchangeable by configuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = [
    "BrokenModelError",
    "LLMBackend",
    "LLMError",
    "LLMConnectionError",
    "LLMResponseError",
    "ModelNotFoundError",
    "PromptTooLongError",
    "check_scores",
]


class LLMError(RuntimeError):
    """Base class of every error an LLM backend raises."""


class ModelNotFoundError(LLMError, FileNotFoundError):
    """The model (a package, a directory, a served model name) cannot be found."""


class BrokenModelError(LLMError, ValueError):
    """A model or adapter directory is there but cannot be loaded (truncated weights, a broken config)."""


class LLMConnectionError(LLMError, ConnectionError):
    """An LLM server cannot be reached, or timed out after all retries."""


class LLMResponseError(LLMError, ValueError):
    """An LLM server answered, but not with what the OpenAI API specifies."""


class PromptTooLongError(LLMError, ValueError):
    """A prompt is longer than the model's context: its answer would be nonsense."""


def check_scores(scores: np.ndarray, source: str) -> np.ndarray:
    """``scores`` if every one is finite, else :class:`LLMResponseError` naming ``source``: a NaN or infinite
    log-likelihood is a broken model or server, never an answer (nor anything to cache).

    Example:
        >>> check_scores(np.array([[-0.1, -2.3]]), "m")
        array([[-0.1, -2.3]])
        >>> check_scores(np.array([[np.nan, -2.3]]), "the LLM server at http://x/v1")
        Traceback (most recent call last):
        ...
        teduo_gym.llm.base.LLMResponseError: the LLM server at http://x/v1 gave 1 non-finite log-probabilities (nan) ...
    """
    bad = ~np.isfinite(scores)
    if bad.any():
        raise LLMResponseError(
            f"{source} gave {int(bad.sum())} non-finite log-probabilities ({scores[bad][0]}) out of {scores.size}: "
            "the model or server is broken (a NaN is no answer); fix or replace it (its answers were not cached)"
        )
    return scores


@runtime_checkable
class LLMBackend(Protocol):
    """Generate text and score continuations, batched over prompts.

    Attributes:
        name: a short human-readable name of the model (recorded in results).
        chat: whether prompts are wrapped in the model's chat template (as one user message) before use.
            Candidates passed to :meth:`score` are literal continuations of what the model sees, so with
            ``chat=False`` they usually start with a space (``" yes"``) and with ``chat=True`` they do not.
    """

    name: str
    chat: bool

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 32,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> list[str]:
        """Complete each prompt; greedy when ``temperature == 0``. Returns only the new text."""
        ...

    def score(self, prompts: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
        """Log-likelihood of each candidate continuation of each prompt.

        Returns:
            float64 array of shape ``(len(prompts), len(candidates))``; entry ``[i, j]`` is
            ``log p(candidates[j] | prompts[i])`` summed over the candidate's tokens.
        """
        ...
