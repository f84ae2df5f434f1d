"""Stage bookkeeping shared by every recipe.

- :func:`stage_key` -- the folder suffix of a stage: a hash of the settings it depends on.
- :class:`StageClock` -- the wall time of each stage, kept on disk by stage folder, so a cached stage reports the
  time it took when it ran.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from teduo_gym.core.digest import json_digest
from teduo_gym.core.io import write_json

__all__ = ["StageClock", "stage_key"]


def stage_key(config: Any, *fields: str) -> str:
    """An 8-character hash of the named settings of a dataclass ``config``: the folder suffix of a stage that
    depends on them (``out`` never counts, so a moved run keeps its keys).

    Example:
        >>> from dataclasses import dataclass
        >>> @dataclass
        ... class Settings:
        ...     seed: int = 0
        ...     steps: int = 1
        >>> stage_key(Settings(), "seed") == stage_key(Settings(steps=2), "seed"), len(stage_key(Settings(), "seed"))
        (True, 8)
    """
    values = {f: dataclasses.asdict(config)[f] if f != "out" else None for f in fields}
    return json_digest(values, size=4)


class StageClock:
    """Wall time of each stage, kept in ``OUT/stage_times.json`` by stage folder so a cached stage keeps the
    time it took when it ran.

    Example:
        >>> import tempfile
        >>> clock = StageClock(Path(tempfile.mkdtemp()))
        >>> with clock.stage("collect", "data-1234"):
        ...     pass
        >>> list(clock.report()), clock.report()["collect"]["cached"]
        (['collect'], False)
    """

    def __init__(self, out: Path):
        self.path = Path(out) / "stage_times.json"
        self.seconds: dict[str, float] = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.ran: dict[str, tuple[str, bool]] = {}

    @contextmanager
    def stage(self, name: str, folder: str, done: bool = False) -> Iterator[None]:
        """Time the body as stage ``name`` writing ``folder``; ``done`` marks a stage found finished on disk."""
        start = time.perf_counter()
        yield
        if not done:
            self.seconds[folder] = round(time.perf_counter() - start, 2)
            write_json(self.path, self.seconds)
        self.ran[name] = (folder, done)

    def report(self) -> dict[str, dict[str, Any]]:
        """Stage -> its folder, seconds when it ran (None when unknown) and whether this run found it cached."""
        return {
            name: {"folder": folder, "seconds": self.seconds.get(folder), "cached": done}
            for name, (folder, done) in self.ran.items()
        }
