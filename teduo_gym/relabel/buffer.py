"""The instruction buffer the policy draws its next instruction from, with prioritised sampling.

- :class:`InstructionBuffer` -- instructions with their source (``"fixed"`` achievement instructions or
  ``"relabelled"``), attempts and successes; sampling by learning progress or by low success rate with a
  temperature; seeded; saved to and loaded from JSON (with the generator's state, so a resumed run samples what
  the uninterrupted one would have).
- :class:`BufferEntry` -- one instruction's record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from teduo_gym.core.io import write_json

__all__ = ["BufferEntry", "InstructionBuffer"]

Source = Literal["fixed", "relabelled"]


@dataclass
class BufferEntry:
    """One instruction's record.

    Attributes:
        instruction: the instruction.
        source: ``"fixed"`` (given, e.g. the achievements) or ``"relabelled"`` (proposed by the LLM).
        attempts: episodes the policy was given it.
        successes: of those, the episodes it achieved.
        relabelled: trajectories it was relabelled onto.
        fast: a fast moving average of success (weight ``fast_rate``).
        slow: a slow moving average of success (weight ``slow_rate``).
    """

    instruction: str
    source: Source
    attempts: int = 0
    successes: int = 0
    relabelled: int = 0
    fast: float = 0.0
    slow: float = 0.0

    @property
    def success_rate(self) -> float:
        """Successes over attempts (0 before any attempt)."""
        return self.successes / self.attempts if self.attempts else 0.0


class InstructionBuffer:
    """Instructions to train on, sampled where the policy learns most.

    Priorities (never-attempted instructions get the highest, 1, so every one is tried):

    - ``"learning_progress"``: ``|fast - slow|``, the gap between a fast and a slow moving average of success
      (absolute learning progress, as in curriculum learning; high while success changes).
    - ``"low_success"``: ``1 - success_rate``.

    Sampling probability ``p_i ∝ (priority_i + eps) ** (1 / temperature)``: temperature 1 is proportional, lower is
    greedier, higher flatter.

    Args:
        priority: ``"learning_progress"`` or ``"low_success"``.
        temperature: the sampling temperature (> 0).
        seed: the sampler's seed.
        fast_rate: the fast average's update weight.
        slow_rate: the slow average's update weight.
        eps: floor on priorities, so no instruction is ever starved.

    Example:
        >>> buffer = InstructionBuffer(priority="low_success", seed=0)
        >>> buffer.add(["collect wood", "place table"], source="fixed")
        >>> buffer.update("collect wood", success=True)
        >>> buffer.update("place table", success=False)
        >>> buffer.probabilities().round(2).tolist()
        [0.01, 0.99]
        >>> buffer.sample(3)
        ['place table', 'place table', 'place table']
    """

    def __init__(
        self,
        *,
        priority: Literal["learning_progress", "low_success"] = "learning_progress",
        temperature: float = 1.0,
        seed: int = 0,
        fast_rate: float = 0.2,
        slow_rate: float = 0.05,
        eps: float = 0.01,
    ):
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}.")
        if priority not in ("learning_progress", "low_success"):
            raise ValueError(f'priority must be "learning_progress" or "low_success", got {priority!r}.')
        self.priority = priority
        self.temperature = temperature
        self.seed = seed
        self.fast_rate = fast_rate
        self.slow_rate = slow_rate
        self.eps = eps
        self.rng = np.random.default_rng(seed)
        self.entries: dict[str, BufferEntry] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, instruction: object) -> bool:
        return instruction in self.entries

    @property
    def instructions(self) -> list[str]:
        """The instructions, in the order they were added."""
        return list(self.entries)

    def add(self, instructions: Iterable[str], source: Source = "relabelled") -> None:
        """Add instructions (one already present keeps its record); each relabelled one counts one relabelling."""
        for text in instructions:
            entry = self.entries.setdefault(text, BufferEntry(text, source))
            if source == "relabelled":
                entry.relabelled += 1

    def update(self, instruction: str, success: bool) -> None:
        """Record one episode the policy spent on ``instruction``."""
        entry = self.entries[instruction]
        entry.attempts += 1
        entry.successes += int(success)
        entry.fast += self.fast_rate * (float(success) - entry.fast)
        entry.slow += self.slow_rate * (float(success) - entry.slow)

    def priorities(self) -> np.ndarray:
        """Each instruction's priority, in :attr:`instructions` order."""
        values = [
            1.0
            if e.attempts == 0
            else abs(e.fast - e.slow)
            if self.priority == "learning_progress"
            else 1.0 - e.success_rate
            for e in self.entries.values()
        ]
        return np.asarray(values, np.float64)

    def probabilities(self) -> np.ndarray:
        """Each instruction's sampling probability, in :attr:`instructions` order."""
        logits = np.log(self.priorities() + self.eps) / self.temperature
        p = np.exp(logits - logits.max())
        return p / p.sum()

    def sample(self, n: int, available: np.ndarray | None = None) -> list[str]:
        """Draw ``n`` instructions (with replacement) by priority.

        Args:
            n: instructions to draw.
            available: optional boolean ``(n, len(self))`` matrix, in :attr:`instructions` order: draw ``k`` is made
                among the instructions its row allows (their probabilities renormalised), or among all of them
                when its row allows none. A world that already achieved an instruction passes it as unavailable.

        Raises:
            ValueError: the buffer is empty, or ``available`` has another shape.

        Example:
            >>> buffer = InstructionBuffer(seed=0)
            >>> buffer.add(["collect wood", "place table"], source="fixed")
            >>> buffer.sample(3, available=np.array([[False, True], [True, False], [False, False]]))[:2]
            ['place table', 'collect wood']
        """
        if not self.entries:
            raise ValueError("the instruction buffer is empty: add instructions before sampling.")
        p = self.probabilities()
        if available is None:
            picks = self.rng.choice(len(p), size=n, p=p)
        else:
            allowed = np.asarray(available, bool)
            if allowed.shape != (n, len(p)):
                raise ValueError(f"available must have shape ({n}, {len(p)}) (draws x instructions): {allowed.shape}")
            weights = np.where(allowed | ~allowed.any(1, keepdims=True), p, 0.0)
            cdf = np.cumsum(weights, axis=1)
            draws = self.rng.random(n) * cdf[:, -1]
            picks = np.minimum((cdf <= draws[:, None]).sum(1), len(p) - 1)
        names = self.instructions
        return [names[i] for i in picks]

    def save(self, path: str | Path) -> None:
        """Write the buffer (settings, records, the generator's state) as JSON, atomically."""
        data = {
            "settings": {
                "priority": self.priority,
                "temperature": self.temperature,
                "seed": self.seed,
                "fast_rate": self.fast_rate,
                "slow_rate": self.slow_rate,
                "eps": self.eps,
            },
            "rng": self.rng.bit_generator.state,
            "entries": [asdict(e) for e in self.entries.values()],
        }
        write_json(path, data, indent=1)

    @classmethod
    def load(cls, path: str | Path) -> InstructionBuffer:
        """Read a buffer written by :meth:`save`; sampling goes on where it stopped.

        Example:
            >>> import tempfile, os
            >>> buffer = InstructionBuffer(seed=3)
            >>> buffer.add(["collect wood", "eat cow", "drink water"])
            >>> path = os.path.join(tempfile.mkdtemp(), "buffer.json")
            >>> buffer.save(path)
            >>> InstructionBuffer.load(path).sample(4) == buffer.sample(4)
            True
        """
        data = json.loads(Path(path).read_text())
        buffer = cls(**data["settings"])
        buffer.rng.bit_generator.state = data["rng"]
        buffer.entries = {e["instruction"]: BufferEntry(**e) for e in data["entries"]}
        return buffer

    def stats(self) -> dict[str, float]:
        """Sizes by source and the mean success rate of attempted instructions."""
        attempted: Sequence[BufferEntry] = [e for e in self.entries.values() if e.attempts]
        return {
            "fixed": sum(e.source == "fixed" for e in self.entries.values()),
            "relabelled": sum(e.source == "relabelled" for e in self.entries.values()),
            "attempted": len(attempted),
            "mean_success_rate": float(np.mean([e.success_rate for e in attempted])) if attempted else 0.0,
        }
