"""An LLM reads what happened in trajectories and proposes open-ended instructions the agent accomplished.

- :class:`InstructionProposer` -- failed trajectories first, one prompt each (the "what changed" summary, not
  every step), batched generation, answers cached on disk by (model, prompt digest).
- :class:`Proposal` -- the instructions parsed from one answer, and the lines dropped with their reason.
- :func:`parse_instructions` -- a bulleted or numbered list -> instructions, off-format lines -> reasons.
- :func:`priority_order` -- failed trajectories first, then by increasing return.
- :class:`AnswerCache` -- one file per (model, prompt), written atomically.
- :class:`InstructionFormatError` -- not one instruction parsed in a whole batch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from teduo_gym.core.digest import digest
from teduo_gym.core.io import write_text
from teduo_gym.llm.base import LLMBackend, LLMResponseError
from teduo_gym.relabel.trajectory import Trajectory

__all__ = [
    "ANSWER_START",
    "FEW_SHOT_TEMPLATE",
    "PROPOSE_TEMPLATE",
    "AnswerCache",
    "InstructionFormatError",
    "InstructionProposer",
    "Proposal",
    "parse_instructions",
    "priority_order",
]

#: The proposer's prompt for chat models (``LLMConfig(chat=True)``, sent in the model's chat template);
#: ``{instruction}``, ``{outcome}`` and ``{events}`` are filled in.
PROPOSE_TEMPLATE = (
    "In a survival game, the player was told to {instruction} and {outcome}. What changed:\n{events}\n"
    "Write a short instruction for each thing the player accomplished, like 'collect wood' or 'place a table', "
    "one per line starting with '- '."
)

#: The proposer's prompt for plain completion (``LLMConfig(chat=False)``, the default): two worked examples, then
#: the trajectory's events; the prompt ends with :data:`ANSWER_START`, so the model continues a list. On 8 random
#: Craftax trajectories the embedded 135M SmolLM2 answered the chat prompt in prose for all 8 (7 instructions read,
#: 98 s) and this one in lists (10 instructions, 20 s; benchmarks/bench_relabel.py: 1.3x the chat prompt's speed).
FEW_SHOT_TEMPLATE = (
    "A player in a survival game was told to {instruction} and {outcome}. Write what the player accomplished as "
    "short instructions.\n\n"
    "What changed:\n- achieved collect sapling\n- inventory: nothing -> sapling 1\n- vitals: food 9 -> food 8\n"
    "Accomplished:\n- collect a sapling\n\n"
    "What changed:\n- facing: grass -> water\n- achieved collect drink\n"
    "Accomplished:\n- drink water\n- walk to the water\n\n"
    "What changed:\n{events}\nAccomplished:\n"
)
#: What a completion prompt ends with and its answer starts with (the first list item's bullet).
ANSWER_START = "-"

_BULLET = re.compile(r"^\s*(?:(?:[-*\u2022]|\d+[.)])\s*)+")
_FILLER = re.compile(r"^(?:achieved?|i)\s+")
_QUOTES = " \t\"'`.!;:"
# Plain words: letters and digits, an apostrophe or hyphen inside a word, a space (after an optional comma) between.
_WORD = r"[a-z0-9]+(?:['-][a-z0-9]+)*"
_PLAIN = re.compile(rf"{_WORD}(?:,? {_WORD})*")
# Prose answers: what follows "achieved" up to the end of the sentence, split at commas and "and".
_DONE = re.compile(r"\b(?:achieved|accomplished|completed|managed to)\s+([^.!?]+)", re.IGNORECASE)
_AND = re.compile(r",\s*(?:and\s+)?|\s+and\s+", re.IGNORECASE)
_SUBORDINATE = re.compile(r"(?:which|that|but|so|because|who|while|in order)\b", re.IGNORECASE)


class InstructionFormatError(LLMResponseError):
    """The LLM's answers held no instruction at all, over a whole batch."""


@dataclass(frozen=True)
class Proposal:
    """What one answer yielded.

    Attributes:
        index: the trajectory's index in the batch given to :meth:`InstructionProposer.propose`.
        answer: the raw answer.
        instructions: the instructions parsed, in order.
        dropped: ``(line, reason)`` for every non-empty line that was not an instruction.
    """

    index: int
    answer: str
    instructions: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)


def parse_instructions(answer: str, *, max_words: int = 12) -> Proposal:
    """Parse an answer into instructions: list items (``-``, ``*``, ``1.``) of 1 to ``max_words`` words, lower
    case, without a leading "achieved". An answer with no list item at all is read as prose: the clauses after
    "achieved", "accomplished", "completed" or "managed to", split at commas and "and" (small models often answer
    "The player achieved collect wood and place plant." however they are asked).

    Example:
        >>> p = parse_instructions("The player did:\\n- Collect wood\\n- 2. Achieved place a table.\\n- 42\\n"
        ...                        "- facing: grass -> tree\\n- plant' - the player's")
        >>> p.instructions
        ['collect wood', 'place a table']
        >>> [reason for _, reason in p.dropped]
        ['not a list item', 'no words', 'copied event text', 'not plain text']
        >>> parse_instructions("The player achieved collect wood, place plant, and achieved eat cow.").instructions
        ['collect wood', 'place plant', 'eat cow']
        >>> parse_instructions("   ").dropped
        [('', 'empty answer')]
    """
    proposal = Proposal(index=-1, answer=answer)
    if not answer.strip():
        proposal.dropped.append(("", "empty answer"))
        return proposal
    lines = [line.strip() for line in answer.splitlines() if line.strip()]
    items = [(line, line[m.end() :]) for line in lines if (m := _BULLET.match(line))]
    if items:
        proposal.dropped.extend((line, "not a list item") for line in lines if not _BULLET.match(line))
    else:
        items = [(line, clause) for line in lines for clause in _prose_clauses(line)]
        if not items:
            proposal.dropped.extend((line, "not a list item") for line in lines)
    seen: set[str] = set()
    for line, item in items:
        text = _FILLER.sub("", " ".join(item.strip(_QUOTES).lower().split()))
        words = text.split()
        if not any(c.isalpha() for c in text):
            reason = "no words"
        elif len(words) > max_words:
            reason = "too long"
        elif "->" in text or ":" in text:
            reason = "copied event text"
        elif not _PLAIN.fullmatch(text):
            reason = "not plain text"
        elif text in seen:
            reason = "repeated in the answer"
        else:
            seen.add(text)
            proposal.instructions.append(text)
            continue
        proposal.dropped.append((line, reason))
    return proposal


def _prose_clauses(line: str) -> list[str]:
    """The things a prose sentence says were done: what follows "achieved" (etc.), split at commas and "and",
    without clauses that start a subordinate one ("which is ...")."""
    clauses = []
    for match in _DONE.finditer(line):
        for part in _AND.split(match.group(1)):
            part = part.strip(_QUOTES)
            if part and not _SUBORDINATE.match(part):
                clauses.append(part)
    return clauses


def priority_order(trajectories: Sequence[Trajectory]) -> list[int]:
    """Indices of the trajectories to relabel first: failed ones, then lower return first (stable).

    Example:
        >>> from teduo_gym.relabel.trajectory import Trajectory
        >>> ts = [Trajectory("a", ["s"], success=True), Trajectory("b", ["s"], episode_return=2.0),
        ...       Trajectory("c", ["s"], episode_return=1.0)]
        >>> priority_order(ts)
        [2, 1, 0]
    """
    return sorted(range(len(trajectories)), key=lambda i: (trajectories[i].success, trajectories[i].episode_return))


class AnswerCache:
    """LLM answers keyed by (model, prompt), one small text file each under ``directory/<digest(model)>/``.

    Example:
        >>> import tempfile
        >>> cache = AnswerCache(tempfile.mkdtemp(), "SmolLM2")
        >>> cache.put("prompt", "- collect wood")
        >>> AnswerCache(cache.root.parent, "SmolLM2").get("prompt"), cache.get("other")
        ('- collect wood', None)
    """

    def __init__(self, directory: str | Path, model: str):
        self.root = Path(directory) / digest(model)

    def _path(self, prompt: str) -> Path:
        return self.root / f"{digest(prompt)}.txt"

    def get(self, prompt: str) -> str | None:
        """The cached answer to ``prompt``, or None."""
        path = self._path(prompt)
        return path.read_text() if path.is_file() else None

    def put(self, prompt: str, answer: str) -> None:
        """Store an answer atomically."""
        write_text(self._path(prompt), answer)


class InstructionProposer:
    """Ask an LLM which open-ended instructions each trajectory accomplished (OIR's relabelling step).

    Zhang et al., "Learning Instruction-Following Policies through Open-Ended Instruction Relabeling with LLMs"
    (2025): the LLM reads the text of (mostly failed) trajectories and writes instructions for the sub-tasks the
    agent did complete. Here it reads :meth:`Trajectory.summary` (achievements and rare state changes), answers
    greedily, and every answer is cached on disk, so a rerun costs no generation.

    Args:
        backend: the LLM (e.g. ``shared_backend(LLMConfig())``, the embedded SmolLM2).
        cache_dir: where answers are cached (None: no disk cache).
        template: the prompt, with ``{instruction}``, ``{outcome}`` and ``{events}`` (None: :data:`PROPOSE_TEMPLATE`
            for a chat backend, else :data:`FEW_SHOT_TEMPLATE`, whose prompts and answers start a list with
            :data:`ANSWER_START`).
        max_events: summary lines per trajectory.
        max_new_tokens: the longest answer.
        max_instructions: instructions kept per answer (the first ones).

    Example:
        >>> from teduo_gym.llm.config import LLMConfig, shared_backend
        >>> from teduo_gym.relabel.synthetic import synthetic_trajectory
        >>> proposer = InstructionProposer(shared_backend(LLMConfig()))  # doctest: +SKIP
        >>> proposer.propose([synthetic_trajectory(0)])[0].instructions  # doctest: +SKIP
        ['collect wood', 'make a wood sword', 'eat a cow']
    """

    def __init__(
        self,
        backend: LLMBackend,
        *,
        cache_dir: str | Path | None = None,
        template: str | None = None,
        max_events: int = 12,
        max_new_tokens: int = 48,
        max_instructions: int = 5,
    ):
        self.backend = backend
        self.template = template if template is not None else PROPOSE_TEMPLATE if backend.chat else FEW_SHOT_TEMPLATE
        self.answer_start = "" if backend.chat else ANSWER_START
        self.max_events = max_events
        self.max_new_tokens = max_new_tokens
        self.max_instructions = max_instructions
        self.cache = AnswerCache(cache_dir, f"{backend.name}|chat={backend.chat}") if cache_dir is not None else None
        self.generated = 0  # answers generated (not read from the cache), over this proposer's life

    def prompt(self, trajectory: Trajectory) -> str:
        """The prompt about one trajectory."""
        events = trajectory.summary(self.max_events) or ["nothing changed"]
        outcome = "succeeded" if trajectory.success else "failed"
        prompt = self.template.format(
            instruction=trajectory.instruction, outcome=outcome, events="\n".join(f"- {e}" for e in events)
        )
        return prompt + self.answer_start

    def propose(self, trajectories: Sequence[Trajectory], limit: int | None = None) -> list[Proposal]:
        """One :class:`Proposal` per trajectory, in :func:`priority_order` (failed first); only the first
        ``limit`` trajectories of that order are read (None: all).

        Raises:
            InstructionFormatError: no answer in the batch held a single instruction.
        """
        order = priority_order(trajectories)[:limit]
        prompts = [self.prompt(trajectories[i]) for i in order]
        answers = [self.cache.get(p) if self.cache else None for p in prompts]
        todo = list(dict.fromkeys(prompts[k] for k, a in enumerate(answers) if a is None))  # each prompt once
        if todo:
            fresh = dict(
                zip(
                    todo,
                    self.backend.generate(todo, max_new_tokens=self.max_new_tokens, temperature=0.0, stop=["\n\n"]),
                )
            )
            self.generated += len(todo)
            for prompt, text in fresh.items():
                if self.cache:
                    self.cache.put(prompt, text)
            answers = [fresh[p] if a is None else a for p, a in zip(prompts, answers)]
        proposals = []
        for i, answer in zip(order, answers):
            assert answer is not None
            parsed = parse_instructions(self.answer_start + answer)
            extra = [(text, "over max_instructions") for text in parsed.instructions[self.max_instructions :]]
            proposals.append(Proposal(i, answer, parsed.instructions[: self.max_instructions], parsed.dropped + extra))
        if proposals and not any(p.instructions for p in proposals):
            example = next((p.answer for p in proposals if p.answer.strip()), "")
            raise InstructionFormatError(
                f"the LLM {self.backend.name} proposed no instruction for any of {len(proposals)} trajectories: "
                f"answers must be lists of short instructions, one per line ('- collect wood'); an answer was "
                f"{example!r}" + ("" if example else " (all answers were empty)") + ". Try another model or template."
            )
        return proposals
