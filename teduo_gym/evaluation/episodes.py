"""Per-episode records of an evaluation, saved as each episode ends, and their summaries.

- :class:`EpisodeLog` -- one JSON line per finished episode of one agent; reading it back tells which episodes of
  the protocol are done, so an interrupted evaluation resumes without rerunning them.
- :func:`summarize_records` -- setting -> summary (success with its 95% interval, length, invalid actions), each
  with a ``by_kind`` breakdown by goal kind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from teduo_gym.core.io import JsonlLog
from teduo_gym.evaluation.metrics import summarize
from teduo_gym.evaluation.protocol import EpisodeSpec
from teduo_gym.evaluation.rollout import EpisodeResult

__all__ = ["EpisodeLog", "summarize_records"]

_RESULT_FIELDS = ("success", "length", "invalid_actions", "reward")


class EpisodeLog:
    """The finished episodes of one agent, one JSON line each, appended (and flushed) as they end.

    A :class:`~teduo_gym.core.io.JsonlLog`: several processes may append to the same log (POSIX keeps each short
    append whole); a line cut short by a killed process is the last one, and reading removes it from the file (that
    episode is simply run again).

    Example:
        >>> import tempfile
        >>> spec = EpisodeSpec(0, "train layouts / train goals", 7, "go to a ball", "go to")
        >>> log = EpisodeLog(Path(tempfile.mkdtemp()) / "random.jsonl", "random")
        >>> log.append(spec, EpisodeResult(7, "go to a ball", True, 5, 1, 1.0))
        >>> log.read([spec])[0]["success"]
        True

    Args:
        path: the JSONL file.
        agent: the agent's name, written into every record.
    """

    def __init__(self, path: str | Path, agent: str):
        self.log = JsonlLog(path)
        self.path = self.log.path
        self.agent = agent

    def append(self, spec: EpisodeSpec, result: EpisodeResult) -> None:
        """Save one finished episode."""
        self.log.append({**asdict(spec), "agent": self.agent, **{k: getattr(result, k) for k in _RESULT_FIELDS}})

    def read(self, specs: Sequence[EpisodeSpec]) -> dict[int, dict[str, Any]]:
        """The saved records by episode index, checked against the protocol's ``specs``.

        Raises:
            ValueError: a record that is not JSON (other than a cut-short last line), or one that names another
                episode than the protocol's at its index: the folder holds an evaluation of another protocol.
        """
        try:
            saved = self.log.read()
        except json.JSONDecodeError as err:
            raise ValueError(
                f"{self.path} holds a line that is not a JSON record ({err}): the log is corrupt; delete it to rerun "
                "the agent's episodes"
            ) from err
        records: dict[int, dict[str, Any]] = {}
        for number, record in enumerate(saved, 1):
            record = record if isinstance(record, dict) else {}
            index = record.get("index")
            if not isinstance(index, int) or index >= len(specs) or _spec_of(record) != asdict(specs[index]):
                raise ValueError(
                    f"{self.path}: record {number} is an episode that is not this protocol's episode {index} "
                    f"({record.get('setting')!r}, layout {record.get('layout_seed')}, {record.get('goal')!r}): the "
                    "folder holds an evaluation of another config; choose another --out or delete it"
                )
            records[index] = record
        return records


def _spec_of(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: record.get(k) for k in ("index", "setting", "layout_seed", "goal", "kind")}


def summarize_records(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Setting -> :func:`~teduo_gym.evaluation.summarize` of its episodes, with ``by_kind``: goal kind -> summary.

    Example:
        >>> rows = [{"setting": "s", "kind": "go to", "goal": "go to a ball", "layout_seed": 1, "success": True,
        ...          "length": 4, "invalid_actions": 0, "reward": 1.0},
        ...         {"setting": "s", "kind": "open", "goal": "open a door", "layout_seed": 1, "success": False,
        ...          "length": 8, "invalid_actions": 2, "reward": 0.0}]
        >>> s = summarize_records(rows)["s"]
        >>> s["success_rate"], s["by_kind"]["open"]["mean_length"]
        (0.5, 8.0)
    """
    grouped: dict[str, dict[str, list[EpisodeResult]]] = {}
    for r in records:
        result = EpisodeResult(r["layout_seed"], r["goal"], *(r[k] for k in _RESULT_FIELDS))
        grouped.setdefault(r["setting"], {}).setdefault(r["kind"], []).append(result)
    return {
        setting: {
            **summarize([r for results in kinds.values() for r in results]),
            "by_kind": {kind: summarize(results) for kind, results in sorted(kinds.items())},
        }
        for setting, kinds in grouped.items()
    }
