"""Stage bookkeeping shared by every recipe.

- :class:`StageClock` -- the wall time of each stage, kept on disk by stage folder, so a cached stage reports the
  time it took when it ran.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from teduo_gym.core.io import write_json

__all__ = ["StageClock"]


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
