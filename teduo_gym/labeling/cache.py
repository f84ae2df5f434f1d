"""On-disk caches of LLM answers, so that a rerun costs nothing and an interrupted run resumes.

- :class:`JudgeCache` -- the judge's probability per (goal, state text), one ``.npz`` per goal, written
  atomically after every chunk of answers.
- :class:`ChoiceCache` -- the LLM's choice (slot -> answer) per goal, one JSON file.

Both live under a directory named after the LLM and the prompt, so another model or prompt never reads them. Both
are checked on load: a probability outside [0, 1] (a NaN) is never stored, and one found on disk, or an unreadable
file, is dropped with a warning naming the file and asked again.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from teduo_gym.core.digest import digest
from teduo_gym.core.io import atomic_write

__all__ = ["ChoiceCache", "JudgeCache"]


class JudgeCache:
    """Judge probabilities keyed by (goal, hash of the state text), persisted per goal.

    Example:
        >>> import tempfile
        >>> cache = JudgeCache(tempfile.mkdtemp(), "model|prompt")
        >>> cache.put("go to a key", ["a key in front"], [0.9]); cache.save("go to a key")
        >>> JudgeCache(cache.root.parent, "model|prompt").get("go to a key", ["a key in front", "x"])
        [0.9, None]
    """

    def __init__(self, directory: str | Path, key: str):
        self.root = Path(directory) / digest(key)
        self._goals: dict[str, dict[str, float]] = {}

    def _path(self, goal: str) -> Path:
        return self.root / f"{digest(goal)}.npz"

    def _table(self, goal: str) -> dict[str, float]:
        if goal not in self._goals:
            table: dict[str, float] = {}
            path = self._path(goal)
            if path.is_file():
                try:
                    with np.load(path) as arrays:
                        saved = dict(zip(arrays["keys"].tolist(), arrays["p"].tolist()))
                except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
                    warnings.warn(
                        f"judge cache {path} is unreadable ({err}): its answers are asked again", stacklevel=3
                    )
                    saved = {}
                table = {key: p for key, p in saved.items() if _is_probability(p)}
                if len(table) < len(saved):
                    warnings.warn(
                        f"judge cache {path} holds {len(saved) - len(table)} answers that are not probabilities (NaN): "
                        "they are asked again",
                        stacklevel=3,
                    )
            self._goals[goal] = table
        return self._goals[goal]

    def get(self, goal: str, texts: Sequence[str]) -> list[float | None]:
        """The cached probability of each text for ``goal`` (``None`` when not judged yet)."""
        table = self._table(goal)
        return [table.get(digest(t)) for t in texts]

    def put(self, goal: str, texts: Sequence[str], probabilities: Iterable[float]) -> None:
        """Remember judgements (in memory until :meth:`save`).

        Raises:
            ValueError: a probability outside [0, 1] (a NaN): a broken model's answer is never cached.
        """
        values = [float(p) for p in probabilities]
        bad = [p for p in values if not _is_probability(p)]
        if bad:
            raise ValueError(f"judge answers for {goal!r} that are not probabilities ({bad[:3]}): not cached")
        self._table(goal).update(zip((digest(t) for t in texts), values))

    def save(self, goal: str) -> None:
        """Write the goal's judgements atomically."""
        table = self._table(goal)
        keys, p = np.array(list(table), dtype="U32"), np.array(list(table.values()), dtype=np.float64)
        atomic_write(self._path(goal), lambda path: np.savez(path, keys=keys, p=p))


class ChoiceCache:
    """The LLM's choice per goal, one JSON file rewritten atomically after each new goal.

    Example:
        >>> import tempfile
        >>> cache = ChoiceCache(tempfile.mkdtemp(), "model|slots")
        >>> cache.put("go to a key", {"kind": "go"})
        >>> ChoiceCache(cache.path.parent.parent, "model|slots").get("go to a key")
        {'kind': 'go'}
    """

    def __init__(self, directory: str | Path, key: str):
        self.path = Path(directory) / digest(key) / "choices.json"
        self._choices: dict[str, dict[str, str]] = {}
        if self.path.is_file():
            try:
                saved = json.loads(self.path.read_text())
            except (ValueError, OSError) as err:
                warnings.warn(
                    f"choice cache {self.path} is unreadable ({err}): its choices are asked again", stacklevel=2
                )
                saved = {}
            self._choices = saved if isinstance(saved, dict) else {}

    def get(self, goal: str) -> dict[str, str] | None:
        """The cached choice for ``goal``, if any."""
        return self._choices.get(goal)

    def put(self, goal: str, choice: dict[str, str]) -> None:
        """Remember and persist a choice."""
        self._choices[goal] = dict(choice)
        atomic_write(self.path, lambda p: p.write_text(json.dumps(self._choices, indent=1, sort_keys=True)))


def _is_probability(p: float) -> bool:
    """Whether ``p`` is a probability (not NaN, not outside [0, 1])."""
    return 0.0 <= p <= 1.0
