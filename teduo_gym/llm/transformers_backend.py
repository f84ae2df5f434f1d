"""An :class:`~teduo_gym.llm.base.LLMBackend` that runs a causal language model in-process with transformers.

- :class:`TransformersBackend` -- the embedded SmolLM2, any local Hugging Face model directory, or a PEFT
  adapter directory on top of its base model; batched generation and scoring.
- :class:`Generation` -- one completion with its tokens and their log-probabilities (used by the server).
- :class:`PromptLogprobs` -- the tokens of a text and the log-probability of each given the ones before.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from teduo_gym.llm.base import BrokenModelError, LLMError, ModelNotFoundError, PromptTooLongError, check_scores
from teduo_gym.llm.embedded import EMBEDDED_MODEL_NAME, embedded_model_dir

__all__ = ["Generation", "PromptLogprobs", "TransformersBackend", "load_model", "pad_left"]

# Characters of a prompt's end that decide how a candidate appended to it is tokenised (see _candidate_ids).
#: Multi-token candidates from which :meth:`TransformersBackend.score` runs each prompt once and continues its cache
#: with every candidate (measured on 16 WebShop product types after a 123-token prompt: 1.3 s a prompt against 3.6 s
#: for a sequence per candidate, on 2 cores).
_SHARED_FROM = 4
_ENDING_CHARS = 64


@dataclass(frozen=True)
class Generation:
    """One completion of a prompt.

    Attributes:
        text: the new text, cut before the first stop string; no end-of-sequence token.
        tokens: the text of each generated token (up to the one where a stop string began), including a
            final end-of-sequence token, which is not part of ``text``.
        token_logprobs: log-probability of each generated token under the model (before temperature).
        top_logprobs: for each generated token, the ``k`` most likely tokens and their log-probabilities
            (empty dicts when ``k == 0``).
        finish_reason: ``"stop"`` (end-of-sequence or a stop string) or ``"length"`` (max_new_tokens).
    """

    text: str
    tokens: list[str] = field(default_factory=list)
    token_logprobs: list[float] = field(default_factory=list)
    top_logprobs: list[dict[str, float]] = field(default_factory=list)
    finish_reason: Literal["stop", "length"] = "length"


@dataclass(frozen=True)
class PromptLogprobs:
    """The tokens of a text with their log-probabilities (the first token has none: nothing precedes it).

    Attributes:
        tokens: the text of each token.
        text_offset: the character offset in the text where each token starts.
        token_logprobs: ``log p(token_i | tokens_<i)``; ``None`` for the first token.
        top_logprobs: the ``k`` most likely tokens at each position (``None`` for the first token).
    """

    tokens: list[str]
    text_offset: list[int]
    token_logprobs: list[float | None]
    top_logprobs: list[dict[str, float] | None]


def pad_left(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Left-pad token id lists into ``(input_ids, attention_mask, position_ids)``.

    Explicit position ids (``cumsum(mask) - 1``) make each row's result independent of its padding.

    Example:
        >>> [t.tolist() for t in pad_left([[5, 6, 7], [8, 9]], pad_id=0)]
        [[[5, 6, 7], [0, 8, 9]], [[1, 1, 1], [0, 1, 1]], [[0, 1, 2], [0, 0, 1]]]
    """
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        if seq:
            ids[row, width - len(seq) :] = torch.tensor(seq, dtype=torch.long)
            mask[row, width - len(seq) :] = 1
    positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
    return ids, mask, positions


class TransformersBackend:
    """Generate and score with a causal LM loaded by transformers, batched over prompts.

    Scoring uses one forward pass per prompt when every candidate is a single token after the prompt (the
    log-softmax of the next-token logits, gathered at the candidates' ids); otherwise it scores each
    prompt + candidate sequence (:meth:`score_by_sequences`). Both give the same numbers for single-token
    candidates. Prompts are left-padded with explicit position ids, so batching does not change results.

    Args:
        model: None for the embedded SmolLM2-135M-Instruct; a directory with ``config.json`` (a model saved
            with ``save_pretrained``); or a directory with ``adapter_config.json`` (a PEFT adapter, loaded on
            its ``base_model_name_or_path``, or on the embedded model when that names SmolLM2-135M-Instruct
            or is not a local directory).
        chat: wrap each prompt as one user message with the tokenizer's chat template.
        batch_size: prompts (or prompt + candidate sequences) per forward pass.
        device: torch device to run on.
        max_length: keep at most this many of a prompt's last tokens (None: keep all).

    Raises:
        ModelNotFoundError: ``model`` is not a model or adapter directory.

    Example:
        >>> llm = TransformersBackend()  # doctest: +SKIP
        >>> llm.score(["Goal: go left\\nAction:"], [" left", " right"]).shape  # doctest: +SKIP
        (1, 2)
    """

    model: Any
    tokenizer: Any
    name: str
    chat: bool

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        chat: bool = False,
        batch_size: int = 16,
        device: str = "cpu",
        max_length: int | None = None,
    ) -> None:
        hf_model, tokenizer, name = load_model(model)
        self._setup(hf_model.to(device), tokenizer, name=name, chat=chat, batch_size=batch_size, max_length=max_length)

    @classmethod
    def from_model(
        cls,
        model: Any,
        tokenizer: Any,
        *,
        name: str,
        chat: bool = False,
        batch_size: int = 16,
        max_length: int | None = None,
    ) -> TransformersBackend:
        """Wrap an already-loaded model and tokenizer (e.g. right after fine-tuning), on the model's device.

        Example:
            >>> llm = TransformersBackend.from_model(model, tokenizer, name="tuned")  # doctest: +SKIP
        """
        backend = cls.__new__(cls)
        backend._setup(model, tokenizer, name=name, chat=chat, batch_size=batch_size, max_length=max_length)
        return backend

    def _setup(
        self, model: Any, tokenizer: Any, *, name: str, chat: bool, batch_size: int, max_length: int | None
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        self.chat = chat
        self.batch_size = batch_size
        self.max_length = max_length
        self._pad_id = next(i for i in (tokenizer.pad_token_id, tokenizer.eos_token_id, 0) if i is not None)
        self._start_id = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else self._pad_id
        eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        eos = tokenizer.eos_token_id if eos is None else eos
        self._eos_ids = set(eos if isinstance(eos, list) else [eos]) - {None}
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        self._last_logits_only = "logits_to_keep" in inspect.signature(base.forward).parameters
        context = getattr(getattr(base, "config", None), "max_position_embeddings", None)
        self._context = context if isinstance(context, int) and context > 0 else None
        self._candidate_cache: dict[tuple[str, tuple[str, ...]], list[int] | None] = {}

    @property
    def device(self) -> torch.device:
        """The device the model's parameters are on."""
        return next(self.model.parameters()).device

    # ---- text <-> tokens -------------------------------------------------------------------------------

    def format_prompt(self, prompt: str) -> str:
        """The text the model sees for ``prompt``: itself, or one user message in the chat template."""
        if not self.chat:
            return prompt
        return self.format_messages([{"role": "user", "content": prompt}])

    def format_messages(self, messages: Sequence[dict[str, str]]) -> str:
        """Render chat messages with the tokenizer's chat template, ready for the assistant's answer."""
        return self.tokenizer.apply_chat_template(list(messages), add_generation_prompt=True, tokenize=False)

    def _encode(self, text: str) -> list[int]:
        # A rendered chat template already starts with the BOS token: do not add a second one.
        bos = self.tokenizer.bos_token
        special = not (bos and text.startswith(bos))
        return list(self.tokenizer(text, add_special_tokens=special)["input_ids"])

    def _encode_prompt(self, text: str) -> list[int]:
        # An empty prompt: condition on a start token so that the first new token has a distribution.
        ids = self._encode(text) or [self._start_id]
        if self.max_length is not None:
            ids = ids[-self.max_length :]
        return ids

    def _token_text(self, token_id: int) -> str:
        return self.tokenizer.decode([token_id])

    # ---- forward passes --------------------------------------------------------------------------------

    def _forward(self, sequences: Sequence[Sequence[int]], keep: int | None) -> torch.Tensor:
        """Logits of the last ``keep`` positions (all when None) of left-padded sequences.

        Raises:
            PromptTooLongError: a sequence is longer than the model's context (its logits would be nonsense).
        """
        self._check_context(sequences)
        ids, mask, positions = pad_left(sequences, self._pad_id)
        kwargs: dict[str, Any] = {}
        if keep is not None and self._last_logits_only:
            kwargs["logits_to_keep"] = keep
        device = self.device
        out = self.model(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            position_ids=positions.to(device),
            use_cache=False,
            **kwargs,
        )
        logits = out.logits
        return logits if keep is None else logits[:, -keep:]

    def _check_context(self, sequences: Sequence[Sequence[int]]) -> None:
        """Raise :class:`PromptTooLongError` when a sequence is longer than the model's context."""
        longest = max(sequences, key=len, default=[])
        if self._context is not None and len(longest) > self._context:
            raise PromptTooLongError(
                f"a prompt of {len(longest)} tokens is longer than the context of {self.name} ({self._context} "
                f"tokens), starting {self.tokenizer.decode(list(longest[:12]))!r}: shorten its text (a goal, a "
                "state) or use a model with a longer context"
            )

    def _batches(self, lengths: Sequence[int]) -> list[list[int]]:
        """Indices grouped into batches of similar length (less padding)."""
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
        return [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]

    @torch.inference_mode()
    def next_token_logprobs(self, prompts: Sequence[str]) -> torch.Tensor:
        """Log-softmax of the next-token logits after each prompt (formatted as :meth:`format_prompt`).

        Returns:
            float32 tensor of shape ``(len(prompts), vocab_size)`` on the CPU.

        Example:
            >>> llm.next_token_logprobs(["Hello"]).shape  # doctest: +SKIP
            torch.Size([1, 49152])
        """
        return self._next_token_logprobs([self._encode_prompt(self.format_prompt(p)) for p in prompts])

    def _next_token_logprobs(self, encoded: Sequence[list[int]]) -> torch.Tensor:
        rows: list[torch.Tensor] = [torch.empty(0)] * len(encoded)
        for batch in self._batches([len(e) for e in encoded]):
            logits = self._forward([encoded[i] for i in batch], keep=1)[:, -1].float()
            for row, lp in zip(batch, torch.log_softmax(logits, dim=-1).cpu(), strict=True):
                rows[row] = lp
        if not rows:
            return torch.empty((0, len(self.tokenizer)))
        return torch.stack(rows)

    # ---- generation ------------------------------------------------------------------------------------

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 32,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> list[str]:
        """Complete each prompt; greedy at ``temperature == 0``, else sampled (seed: ``torch.manual_seed``).

        Stops at end-of-sequence or at any ``stop`` string (the text is cut before it). Returns only the
        new text.

        Example:
            >>> llm.generate(["The capital of France is"], max_new_tokens=4)  # doctest: +SKIP
            [' Paris.']
        """
        texts = [self.format_prompt(p) for p in prompts]
        return [
            g.text
            for g in self.generate_details(texts, max_new_tokens=max_new_tokens, temperature=temperature, stop=stop)
        ]

    @torch.inference_mode()
    def generate_details(
        self,
        texts: Sequence[str],
        *,
        max_new_tokens: int = 32,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
        top_logprobs: int = 0,
    ) -> list[Generation]:
        """Like :meth:`generate` on already-formatted texts, also returning tokens and log-probabilities.

        Args:
            texts: the exact model inputs (no chat template is applied).
            max_new_tokens: the most tokens to generate per text.
            temperature: 0 for greedy decoding, else the sampling temperature.
            stop: strings that end a completion; the text is cut before the first one.
            top_logprobs: how many of the most likely tokens to report at each step.

        Example:
            >>> llm.generate_details(["Hi"], max_new_tokens=2, top_logprobs=3)[0].tokens  # doctest: +SKIP
            ['!', ' How']
        """
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}.")
        encoded = [self._encode_prompt(t) for t in texts]
        self._check_context(encoded)
        results: list[Generation] = [Generation(text="")] * len(texts)
        for batch in self._batches([len(e) for e in encoded]):
            gens = self._generate_batch(
                [encoded[i] for i in batch], max_new_tokens, temperature, list(stop or []), top_logprobs
            )
            for row, gen in zip(batch, gens, strict=True):
                results[row] = gen
        return results

    def _generate_batch(
        self,
        encoded: list[list[int]],
        max_new_tokens: int,
        temperature: float,
        stop: list[str],
        top_logprobs: int,
    ) -> list[Generation]:
        n = len(encoded)
        device = self.device
        ids, mask, positions = (t.to(device) for t in pad_left(encoded, self._pad_id))
        new_ids: list[list[int]] = [[] for _ in range(n)]
        chosen_lp: list[list[float]] = [[] for _ in range(n)]
        top: list[list[dict[str, float]]] = [[] for _ in range(n)]
        finished = [False] * n
        reasons: list[Literal["stop", "length"]] = ["length"] * n
        past = None
        for _ in range(max_new_tokens):
            out = self.model(
                input_ids=ids,
                attention_mask=mask,
                position_ids=positions,
                past_key_values=past,
                use_cache=True,
            )
            past = out.past_key_values
            logits = out.logits[:, -1].float()
            logprobs = torch.log_softmax(logits, dim=-1)
            if temperature == 0:
                next_ids = logits.argmax(dim=-1)
            else:
                next_ids = torch.multinomial(torch.softmax(logits / temperature, dim=-1), 1).squeeze(1)
            if top_logprobs > 0:
                top_values, top_ids = logprobs.topk(top_logprobs, dim=-1)
            for row in range(n):
                if finished[row]:
                    continue
                token = int(next_ids[row])
                # The end-of-sequence token is reported with its log-probabilities but not in the text.
                new_ids[row].append(token)
                if token in self._eos_ids:
                    finished[row], reasons[row] = True, "stop"
                chosen_lp[row].append(float(logprobs[row, token]))
                if top_logprobs > 0:
                    entry: dict[str, float] = {}
                    for value, tid in zip(top_values[row].tolist(), top_ids[row].tolist(), strict=True):
                        entry.setdefault(self._token_text(tid), value)
                    top[row].append(entry)
                if (
                    not finished[row]
                    and stop
                    and any(s in self.tokenizer.decode(new_ids[row], skip_special_tokens=True) for s in stop)
                ):
                    finished[row], reasons[row] = True, "stop"
            if all(finished):
                break
            next_ids = next_ids.masked_fill(torch.tensor(finished, device=device), self._pad_id)
            ids = next_ids[:, None]
            mask = torch.cat([mask, torch.ones((n, 1), dtype=mask.dtype, device=device)], dim=1)
            positions = positions[:, -1:] + 1
        return [self._finish(new_ids[r], chosen_lp[r], top[r], reasons[r], stop, top_logprobs > 0) for r in range(n)]

    def _finish(
        self,
        token_ids: list[int],
        token_logprobs: list[float],
        top: list[dict[str, float]],
        reason: Literal["stop", "length"],
        stop: list[str],
        with_top: bool,
    ) -> Generation:
        text = self.tokenizer.decode(token_ids, skip_special_tokens=True)
        tokens = [self._token_text(t) for t in token_ids]
        cuts = [text.find(s) for s in stop if s and s in text]
        if cuts:
            text = text[: min(cuts)]
            # Keep the tokens that begin before the cut.
            kept, start = 0, 0
            while kept < len(tokens) and start < len(text):
                start += len(tokens[kept])
                kept += 1
            tokens, token_logprobs, top = tokens[:kept], token_logprobs[:kept], top[:kept]
        return Generation(
            text=text,
            tokens=tokens,
            token_logprobs=token_logprobs,
            top_logprobs=top if with_top else [{} for _ in tokens],
            finish_reason=reason,
        )

    # ---- scoring ---------------------------------------------------------------------------------------

    def score(self, prompts: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
        """Log-likelihood of each candidate continuation of each prompt, summed over its tokens.

        Prompts whose candidates are all single tokens are scored with one batched forward pass each; the others
        by :meth:`score_shared_prompt` when there are several candidates (the prompt runs once), else by
        :meth:`score_by_sequences`.

        Returns:
            float64 array of shape ``(len(prompts), len(candidates))``.

        Example:
            >>> llm.score(["Is the sky blue? Answer:"], [" yes", " no"])  # doctest: +SKIP
            array([[-1.2, -2.3]])
        """
        texts = [self.format_prompt(p) for p in prompts]
        scores = np.zeros((len(texts), len(candidates)), dtype=np.float64)
        if not texts or not candidates:
            return scores
        single = [self._candidate_ids(t, candidates) for t in texts]
        fast = [i for i, ids in enumerate(single) if ids is not None]
        slow = [i for i, ids in enumerate(single) if ids is None]
        if fast:
            with torch.inference_mode():
                logprobs = self._next_token_logprobs([self._encode_prompt(texts[i]) for i in fast])
            for row, i in enumerate(fast):
                scores[i] = logprobs[row, single[i]].double().numpy()
        if slow and len(candidates) >= _SHARED_FROM:
            scores[slow] = [self.score_shared_prompt(prompts[i], candidates) for i in slow]
        elif slow:
            scores[slow] = self._score_sequences([texts[i] for i in slow], candidates)
        return check_scores(scores, self.name)

    def _candidate_ids(self, text: str, candidates: Sequence[str]) -> list[int] | None:
        """The token id of each candidate if each is exactly one token after ``text``, else None.

        Byte-pair tokenisers split text at word boundaries before merging, so how a candidate is tokenised
        after a prompt depends only on the prompt's last word. The answer is cached per (prompt ending,
        candidates) when the ending holds such a boundary (a whitespace followed by a non-whitespace).
        """
        ending = text[-_ENDING_CHARS:]
        head = ending[: _ENDING_CHARS // 2]
        cacheable = len(text) <= _ENDING_CHARS or any(
            a.isspace() and not b.isspace() for a, b in zip(head, head[1:], strict=False)
        )
        key = (ending, tuple(candidates))
        if cacheable and key in self._candidate_cache:
            return self._candidate_cache[key]
        base = ending if cacheable else text
        prefix = self._encode(base)
        single: list[int] = []
        for cand in candidates:
            whole = self._encode(base + cand)
            if len(whole) != len(prefix) + 1 or whole[: len(prefix)] != prefix:
                break
            single.append(whole[-1])
        ids = single if len(single) == len(candidates) else None
        if cacheable:
            self._candidate_cache[key] = ids
        return ids

    def score_shared_prompt(self, prompt: str, candidates: Sequence[str]) -> np.ndarray:
        """:meth:`score` of one prompt, run once: its key/value cache is continued with all candidates in one batch
        (several times faster on long prompts with many multi-token candidates; the same numbers up to float
        rounding). Shape ``(len(candidates),)``.

        Example:
            >>> llm.score_shared_prompt("The sky is", [" blue", " very green"]).shape  # doctest: +SKIP
            (2,)
        """
        model, tokenizer = self.model, self.tokenizer
        if not candidates:
            return self.score([prompt], candidates)[0]
        text = self.format_prompt(prompt)
        ids = self._encode_prompt(text)
        continuations = []
        for candidate in candidates:
            whole = self._encode(text + candidate)
            if whole[: len(ids)] != ids or len(whole) == len(ids):  # the candidate merges with the prompt's end
                return self._score_sequences([text], candidates)[0]
            continuations.append(whole[len(ids) :])
        width = max(len(c) for c in continuations)
        tokens = torch.full((len(candidates), width), int(tokenizer.eos_token_id or 0), dtype=torch.long)
        mask = torch.zeros((len(candidates), len(ids) + width), dtype=torch.long)
        mask[:, : len(ids)] = 1
        for i, c in enumerate(continuations):
            tokens[i, : len(c)] = torch.tensor(c)
            mask[i, len(ids) : len(ids) + len(c)] = 1  # right padding: padded positions come after every scored one
        with torch.inference_mode():
            first = model(input_ids=torch.tensor([ids], device=self.device), use_cache=True)
            cache = first.past_key_values
            cache.batch_repeat_interleave(len(candidates))
            rest = model(
                input_ids=tokens.to(self.device),
                attention_mask=mask.to(self.device),
                past_key_values=cache,
                use_cache=True,
            )
            head = torch.log_softmax(first.logits[0, -1].float(), -1).cpu()
            tail = torch.log_softmax(rest.logits.float(), -1).cpu()
        scores = np.empty(len(candidates))
        for i, c in enumerate(continuations):
            picked: torch.Tensor | list[float] = []
            if len(c) > 1:
                picked = tail[i, torch.arange(len(c) - 1), torch.tensor(c[1:], dtype=torch.long)]
            scores[i] = float(head[c[0]]) + float(sum(float(v) for v in picked))
        return scores

    def score_by_sequences(self, prompts: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
        """Score by running every prompt + candidate sequence: the sum of the candidate tokens' log-probs.

        The candidate's tokens are those of ``tokenize(prompt + candidate)`` after the longest common
        prefix with ``tokenize(prompt)``, so a candidate may span several tokens.

        Returns:
            float64 array of shape ``(len(prompts), len(candidates))``.

        Example:
            >>> llm.score_by_sequences(["The sky is"], [" blue", " very green"]).shape  # doctest: +SKIP
            (1, 2)
        """
        return self._score_sequences([self.format_prompt(p) for p in prompts], candidates)

    @torch.inference_mode()
    def _score_sequences(self, texts: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
        scores = np.zeros((len(texts), len(candidates)), dtype=np.float64)
        sequences: list[list[int]] = []
        n_scored: list[int] = []
        cells: list[tuple[int, int]] = []
        for i, text in enumerate(texts):
            prefix = self._encode(text)
            start = [] if prefix else [self._start_id]  # as in _encode_prompt
            prefix = start + prefix
            for j, cand in enumerate(candidates):
                whole = start + self._encode(text + cand)
                common = 0
                while common < min(len(prefix), len(whole)) and prefix[common] == whole[common]:
                    common += 1
                common = max(common, 1)
                if self.max_length is not None:  # keep the prompt's last max_length tokens, as score does
                    cut = max(0, common - self.max_length)
                    whole, common = whole[cut:], common - cut
                sequences.append(whole)
                n_scored.append(len(whole) - common)
                cells.append((i, j))
        for batch in self._batches([len(s) for s in sequences]):
            keep = max(n_scored[k] for k in batch) + 1
            logprobs = torch.log_softmax(self._forward([sequences[k] for k in batch], keep=keep).float(), -1)
            for row, k in enumerate(batch):
                m = n_scored[k]
                if m == 0:
                    continue
                targets = torch.tensor(sequences[k][-m:], device=logprobs.device)
                # Logits at position t predict token t + 1: the last m targets use positions -m-1 .. -2.
                picked = logprobs[row, keep - m - 1 : keep - 1].gather(1, targets[:, None])
                scores[cells[k]] = float(picked.double().sum())
        return scores

    @torch.inference_mode()
    def prompt_logprobs(self, text: str, top_logprobs: int = 0) -> PromptLogprobs:
        """The tokens of an already-formatted ``text`` with the log-probability of each (echo in the server).

        Example:
            >>> llm.prompt_logprobs("Hello world").tokens  # doctest: +SKIP
            ['Hello', ' world']
        """
        ids = self._encode(text)
        if self.max_length is not None:
            ids = ids[-self.max_length :]
        tokens = [self._token_text(t) for t in ids]
        offsets = list(np.cumsum([0] + [len(t) for t in tokens[:-1]])) if tokens else []
        token_lps: list[float | None] = [None] * len(ids)
        tops: list[dict[str, float] | None] = [None] * len(ids)
        if len(ids) > 1:
            logprobs = torch.log_softmax(self._forward([ids], keep=None)[0].float(), -1)
            targets = torch.tensor(ids[1:], device=logprobs.device)
            picked = logprobs[:-1].gather(1, targets[:, None])[:, 0].tolist()
            token_lps[1:] = picked
            if top_logprobs > 0:
                values, top_ids = logprobs[:-1].topk(top_logprobs, dim=-1)
                for pos, (vals, tids) in enumerate(zip(values.tolist(), top_ids.tolist(), strict=True), start=1):
                    entry: dict[str, float] = {}
                    for value, tid in zip(vals, tids, strict=True):
                        entry.setdefault(self._token_text(tid), value)
                    tops[pos] = entry
        return PromptLogprobs(
            tokens=tokens, text_offset=[int(o) for o in offsets], token_logprobs=token_lps, top_logprobs=tops
        )


def load_model(model: str | Path | None) -> tuple[Any, Any, str]:
    """Load ``(model, tokenizer, name)`` from None (the embedded model), a model directory or an adapter directory.

    Raises:
        ModelNotFoundError: ``model`` is none of these, or an adapter does not fit its base model.
        BrokenModelError: the directory is one of these but cannot be loaded (truncated weights, a broken config).
    """
    from safetensors import SafetensorError

    try:
        return _load_model(model)
    except LLMError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as err:
        raise BrokenModelError(
            f"the model at {model if model is not None else embedded_model_dir()} cannot be loaded "
            f"({type(err).__name__}: {' '.join(str(err).split())[:300]}): its files are truncated or broken; save or "
            "download it again (or delete the teduo cache's models folder for the embedded model)"
        ) from err


def _load_model(model: str | Path | None) -> tuple[Any, Any, str]:
    """:func:`load_model` without the translation of a broken directory's errors."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if model is None:
        path = embedded_model_dir()
        return (
            AutoModelForCausalLM.from_pretrained(path, local_files_only=True),
            AutoTokenizer.from_pretrained(path, local_files_only=True),
            EMBEDDED_MODEL_NAME,
        )
    path = Path(model).expanduser()
    if (path / "config.json").is_file():
        return (
            AutoModelForCausalLM.from_pretrained(path, local_files_only=True),
            AutoTokenizer.from_pretrained(path, local_files_only=True),
            path.name,
        )
    if (path / "adapter_config.json").is_file():
        from peft import PeftModel

        base_ref = json.loads((path / "adapter_config.json").read_text()).get("base_model_name_or_path") or ""
        if EMBEDDED_MODEL_NAME.lower() in base_ref.lower() or not (Path(base_ref) / "config.json").is_file():
            base_path, base_name = embedded_model_dir(), EMBEDDED_MODEL_NAME
        else:
            base_path, base_name = Path(base_ref), Path(base_ref).name
        base = AutoModelForCausalLM.from_pretrained(base_path, local_files_only=True)
        try:
            peft_model = PeftModel.from_pretrained(base, path, is_trainable=False)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise ModelNotFoundError(
                f"the adapter {path} does not fit its base model {base_path} ({exc}); set "
                f"base_model_name_or_path in {path / 'adapter_config.json'} to the local base model "
                "directory."
            ) from exc
        tokenizer_dir = path if (path / "tokenizer_config.json").is_file() else base_path
        return (
            peft_model,
            AutoTokenizer.from_pretrained(tokenizer_dir, local_files_only=True),
            f"{base_name}+{path.name}",
        )
    raise ModelNotFoundError(
        f"{path} is not a model directory: it must hold config.json plus weights and tokenizer files (a "
        "model saved with save_pretrained), or adapter_config.json (a PEFT adapter). Pass model=None for the "
        "embedded SmolLM2-135M-Instruct."
    )
