"""Text episodes: the data of environments played as text (pages as states, text actions), one JSON line each.

- :class:`TextEpisode` -- one episode: its goal, the text and action of every step, its outcome and reward.
- :class:`TextEpisodeFile` -- a JSONL log of episodes (:class:`~teduo_gym.core.io.JsonlLog`), one line each,
  appended as they finish; a rerun reads the finished ones and plays only the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from teduo_gym.core.io import JsonlLog

__all__ = ["TextEpisode", "TextEpisodeFile"]


@dataclass(frozen=True)
class TextEpisode:
    """One episode.

    Attributes:
        key: the episode's id in its file (e.g. its number, or its goal index).
        goal_index: the goal's index in the environment.
        instruction: the goal's instruction.
        states: the text of each observation acted on (what an agent with the same settings reads).
        actions: the action taken on each observation.
        outcome: what the episode ended with, as JSON (e.g. what was bought); None: nothing within the step cap.
        reward: the environment's reward at the end (0 without an outcome). Never used for learning: only to report
            how good the labels and the agents are.
    """

    key: str
    goal_index: int
    instruction: str
    states: tuple[str, ...]
    actions: tuple[str, ...]
    outcome: Mapping[str, Any] | None = None
    reward: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the episode (one line of a :class:`TextEpisodeFile`)."""
        return asdict(self)

    def to_json(self) -> str:
        """One JSON line."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> TextEpisode:
        """Read :meth:`to_dict`'s object.

        Example:
            >>> e = TextEpisode("0", 3, "buy a mug", ("Search",), ("search[mug]",), {"title": "Mug"}, 1.0)
            >>> TextEpisode.from_dict(json.loads(e.to_json())) == e
            True
        """
        record = dict(record)
        record["states"], record["actions"] = tuple(record["states"]), tuple(record["actions"])
        return cls(**record)


class TextEpisodeFile:
    """Episodes in a JSONL log (:class:`~teduo_gym.core.io.JsonlLog`), appended one by one and synced: a crash loses
    at most the episode being played, and its torn line is cut when the file is next read.

    Example:
        >>> import tempfile
        >>> f = TextEpisodeFile(Path(tempfile.mkdtemp()) / "episodes.jsonl")
        >>> f.append(TextEpisode("a", 0, "buy a mug", (), ()))
        >>> [e.key for e in TextEpisodeFile(f.path).read()]
        ['a']
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._log = JsonlLog(self.path)

    def read(self) -> Iterator[TextEpisode]:
        """The episodes written so far (a torn last line, from a crash, is cut from the file)."""
        for record in self._log.read():
            yield TextEpisode.from_dict(record)

    def keys(self) -> set[str]:
        """Keys of the episodes written so far."""
        return {e.key for e in self.read()}

    def append(self, episode: TextEpisode) -> None:
        """Append one episode and sync it to disk (a torn last line left by a crash is cut first)."""
        self._log.append(episode.to_dict())
