"""An :class:`~teduo_gym.llm.base.LLMBackend` over any OpenAI-compatible HTTP server.

- :class:`OpenAIBackend` -- generation through ``/v1/completions`` (or ``/v1/chat/completions``) and scoring
  through the top-k log-probabilities of the next token, with ``echo`` for candidates outside the top-k.
  Works with vLLM, llama.cpp's server, the OpenAI API and teduo-gym's own :class:`~teduo_gym.llm.LLMServer`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import openai

from teduo_gym.llm.base import LLMConnectionError, LLMResponseError, ModelNotFoundError, check_scores

__all__ = ["OpenAIBackend", "FLOOR_MARGIN"]

#: A candidate absent from the returned top-k (chat mode) scores this much below the smallest returned
#: log-probability: its true value is at most that smallest one, so it ranks below every listed token.
FLOOR_MARGIN = 1e-3

_FIX = "start a server, e.g. `teduo serve-llm --port 8000`, or check the base URL"


def _excerpt(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


class OpenAIBackend:
    """Generate and score through an OpenAI-compatible server (timeouts and retries from ``openai``).

    Scoring asks for the next token's top-k log-probabilities (``max_tokens=1``, ``temperature=0``) and
    reads each candidate whose text equals a returned token. A candidate not among them is scored exactly
    with ``echo=True`` on prompt + candidate (the sum of its tokens' log-probabilities), which also covers
    multi-token candidates; with ``chat=True`` (no echo in the chat API) it gets a floor value instead, the
    smallest returned log-probability minus :data:`FLOOR_MARGIN`.

    Args:
        base_url: the server's API root, e.g. ``"http://127.0.0.1:8000/v1"``.
        model: the served model's id; None asks ``GET /v1/models`` and takes the first.
        api_key: defaults to ``$OPENAI_API_KEY``, else ``"EMPTY"`` (local servers ignore it).
        chat: use ``/v1/chat/completions`` with each prompt as one user message.
        timeout_s: seconds each HTTP request may take.
        max_retries: retries after a failed connection, a timeout or a 5xx/429 answer.
        top_logprobs: how many next-token log-probabilities to ask for when scoring.

    Raises:
        LLMConnectionError: the server cannot be reached (only when ``model`` is None, at construction).

    Example:
        >>> llm = OpenAIBackend("http://127.0.0.1:8000/v1")  # doctest: +SKIP
        >>> llm.generate(["Say hi:"], max_new_tokens=4)  # doctest: +SKIP
        [' Hi!']
    """

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        *,
        api_key: str | None = None,
        chat: bool = False,
        timeout_s: float = 30.0,
        max_retries: int = 2,
        top_logprobs: int = 20,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.chat = chat
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.top_logprobs = top_logprobs
        self._client = openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY",
            timeout=timeout_s,
            max_retries=max_retries,
        )
        self.model = model if model is not None else self._first_model()
        self.name = self.model

    # ---- HTTP ------------------------------------------------------------------------------------------

    def _request(self, endpoint: str, call: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
        """Call ``openai`` for its raw answer and parse the JSON, mapping every failure to an LLMError."""
        url = f"{self.base_url}{endpoint}"
        try:
            raw = call(**kwargs)
        except openai.APIConnectionError as exc:  # includes timeouts
            tries = self.max_retries + 1
            raise LLMConnectionError(
                f"cannot reach the LLM server at {url} after {tries} tr{'y' if tries == 1 else 'ies'} "
                f"(timeout {self.timeout_s:g} s; {type(exc).__name__}: {exc}): {_FIX}."
            ) from exc
        except openai.APIStatusError as exc:
            raise LLMResponseError(
                f"the LLM server at {url} answered HTTP {exc.status_code}: {_excerpt(exc.response.text)}"
            ) from exc
        try:
            data = json.loads(raw.text)
        except ValueError as exc:
            raise LLMResponseError(
                f"the LLM server at {url} answered with something that is not JSON: {_excerpt(raw.text)!r}; "
                "is the base URL an OpenAI-compatible API root (ending in /v1)?"
            ) from exc
        if not isinstance(data, dict):
            raise LLMResponseError(f"the LLM server at {url} answered a JSON {type(data).__name__}, not an object.")
        return data

    def _choices(self, data: dict[str, Any], endpoint: str) -> list[dict[str, Any]]:
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not all(isinstance(c, dict) for c in choices):
            raise LLMResponseError(
                f"the answer of {self.base_url}{endpoint} lacks a non-empty 'choices' list "
                f"(got keys {sorted(data)}); the server does not speak the OpenAI API."
            )
        return sorted(choices, key=lambda c: c.get("index", 0))

    def _missing(self, endpoint: str, what: str) -> LLMResponseError:
        return LLMResponseError(
            f"the answer of {self.base_url}{endpoint} lacks {what}, which the OpenAI API specifies; "
            "the server does not support it or is not OpenAI-compatible."
        )

    def _first_model(self) -> str:
        data = self._request("/models", self._client.models.with_raw_response.list)
        models = data.get("data")
        if not isinstance(models, list):
            raise self._missing("/models", "a 'data' list of models")
        if not models or not isinstance(models[0], dict) or not isinstance(models[0].get("id"), str):
            raise ModelNotFoundError(
                f"the LLM server at {self.base_url} lists no model in GET /models; pass model=... explicitly."
            )
        return models[0]["id"]

    def _complete(self, prompt: str, **kwargs: Any) -> dict[str, Any]:
        data = self._request(
            "/completions",
            self._client.completions.with_raw_response.create,
            model=self.model,
            prompt=prompt,
            **kwargs,
        )
        return self._choices(data, "/completions")[0]

    def _chat(self, prompt: str, **kwargs: Any) -> dict[str, Any]:
        data = self._request(
            "/chat/completions",
            self._client.chat.completions.with_raw_response.create,
            model=self.model,
            messages=[{"role": "user", "content": prompt}],
            **kwargs,
        )
        return self._choices(data, "/chat/completions")[0]

    # ---- LLMBackend ------------------------------------------------------------------------------------

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 32,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> list[str]:
        """Complete each prompt (one request each); greedy when ``temperature == 0``.

        Example:
            >>> llm.generate(["The capital of France is"], max_new_tokens=4)  # doctest: +SKIP
            [' Paris.']
        """
        kwargs: dict[str, Any] = {"max_tokens": max_new_tokens, "temperature": temperature}
        if stop:
            kwargs["stop"] = list(stop)
        texts = []
        for prompt in prompts:
            if self.chat:
                message = self._chat(prompt, **kwargs).get("message")
                text = message.get("content") if isinstance(message, dict) else None
                if not isinstance(text, str):
                    raise self._missing("/chat/completions", "choices[0].message.content")
            else:
                text = self._complete(prompt, **kwargs).get("text")
                if not isinstance(text, str):
                    raise self._missing("/completions", "choices[0].text")
            texts.append(text)
        return texts

    def score(self, prompts: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
        """Log-likelihood of each candidate continuation of each prompt.

        Returns:
            float64 array of shape ``(len(prompts), len(candidates))``.

        Example:
            >>> llm.score(["Is the sky blue? Answer:"], [" yes", " no"])  # doctest: +SKIP
            array([[-1.2, -2.3]])
        """
        scores = np.zeros((len(prompts), len(candidates)), dtype=np.float64)
        for i, prompt in enumerate(prompts):
            top = self._next_token_top(prompt) if candidates else {}
            absent = [j for j, cand in enumerate(candidates) if cand not in top]
            for j, cand in enumerate(candidates):
                if cand in top:
                    scores[i, j] = top[cand]
            if absent and self.chat:
                scores[i, absent] = min(top.values()) - FLOOR_MARGIN
            elif absent:
                scores[i, absent] = self._echo_logprobs(prompt, [candidates[j] for j in absent])
        return check_scores(scores, f"the LLM server at {self.base_url}")

    def _next_token_top(self, prompt: str) -> dict[str, float]:
        """The next token's top-k ``{token text: log-probability}``."""
        if self.chat:
            endpoint = "/chat/completions"
            choice = self._chat(prompt, max_tokens=1, temperature=0, logprobs=True, top_logprobs=self.top_logprobs)
            content = (choice.get("logprobs") or {}).get("content")
            entries = content[0].get("top_logprobs") if content and isinstance(content[0], dict) else None
            if not isinstance(entries, list) or not entries:
                raise self._missing(endpoint, "choices[0].logprobs.content[0].top_logprobs")
            try:
                top = {e["token"]: float(e["logprob"]) for e in entries}
            except (KeyError, TypeError, ValueError) as exc:
                raise self._missing(endpoint, "'token' and 'logprob' in each top_logprobs entry") from exc
        else:
            endpoint = "/completions"
            choice = self._complete(prompt, max_tokens=1, temperature=0, logprobs=self.top_logprobs)
            tops = (choice.get("logprobs") or {}).get("top_logprobs")
            if not isinstance(tops, list) or not tops or not isinstance(tops[0], dict) or not tops[0]:
                raise self._missing(endpoint, "choices[0].logprobs.top_logprobs[0]")
            try:
                top = {str(k): float(v) for k, v in tops[0].items()}
            except (TypeError, ValueError) as exc:
                raise self._missing(endpoint, "numeric log-probabilities in top_logprobs") from exc
        return top

    def _echo_logprobs(self, prompt: str, candidates: list[str]) -> list[float]:
        """For each candidate, the sum of its tokens' log-probabilities after ``prompt``, via ``echo``.

        One request for all candidates (a list of prompts); echoed tokens whose text offset falls inside
        the candidate are summed.
        """
        endpoint = "/completions"
        try:
            data = self._request(
                endpoint,
                self._client.completions.with_raw_response.create,
                model=self.model,
                prompt=[prompt + c for c in candidates],
                max_tokens=1,
                temperature=0,
                logprobs=1,
                echo=True,
            )
        except LLMResponseError as exc:
            raise LLMResponseError(
                f"scoring candidates that are not among the next token's top {self.top_logprobs} "
                f"({candidates[:3]!r}...) needs echo=True in /completions, which {self.base_url} refused "
                f"({exc}); use a server with echo support (vLLM, `teduo serve-llm`) or single-token "
                "candidates."
            ) from exc
        choices = self._choices(data, endpoint)
        if len(choices) != len(candidates):
            raise self._missing(endpoint, f"one choice per prompt ({len(candidates)} sent, {len(choices)} back)")
        results = []
        for cand, choice in zip(candidates, choices, strict=True):
            logprobs = choice.get("logprobs") or {}
            offsets, values = logprobs.get("text_offset"), logprobs.get("token_logprobs")
            if not isinstance(offsets, list) or not isinstance(values, list) or len(offsets) != len(values):
                raise self._missing(endpoint, "echoed logprobs.text_offset and logprobs.token_logprobs")
            # Echoed tokens lie in [0, len(prompt + candidate)); the one generated token lies after.
            picked = [v for o, v in zip(offsets, values, strict=True) if len(prompt) <= o < len(prompt) + len(cand)]
            if not picked or any(not isinstance(v, (int, float)) for v in picked):
                raise self._missing(endpoint, f"echoed log-probabilities for the tokens of {cand!r}")
            results.append(float(sum(picked)))
        return results
