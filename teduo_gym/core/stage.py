"""The stage machinery every recipe runs on: a recipe is a list of stages, each writing plain files under one
folder, skipped when its output is there, timed when it works, resumed after an interruption.

- :func:`stage_key` -- the folder suffix of a stage: a hash of the settings it depends on.
- :class:`Stage` -- one step: its name, its output, its done-check and the function that writes it.
- :class:`StageRunner` -- runs stages in order (or up to ``until``) under one folder, skipping those done, with a
  :class:`StageClock`.
- :class:`StageClock` -- the wall time of each stage, kept on disk by stage folder, so a cached stage reports the
  time it took when it ran.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from teduo_gym.core.digest import json_digest
from teduo_gym.core.io import write_json

__all__ = ["Stage", "StageClock", "StageRunner", "stage_key"]


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
        self.seconds: dict[str, float] = {}
        if self.path.exists():
            try:
                self.seconds = dict(json.loads(self.path.read_text()))
            except (ValueError, TypeError) as err:  # only timings: start them afresh rather than stop the run
                print(f"warning: {self.path} is unreadable ({err}): earlier stage times are forgotten", file=sys.stderr)
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


@dataclass(frozen=True)
class Stage:
    """One step of a recipe: ``run()`` writes ``output`` (a file or folder, named by :func:`stage_key` of the settings
    it depends on) and returns what later code needs, if anything.

    Example:
        >>> import tempfile
        >>> out = Path(tempfile.mkdtemp())
        >>> stage = Stage("write", out / "data.txt", lambda: (out / "data.txt").write_text("1 2 3"))
        >>> stage.is_done(), stage.run(), stage.is_done()
        (False, 5, True)
    """

    #: the stage's name, as :meth:`StageRunner.report` and ``until`` name it.
    name: str
    #: the file or folder the stage writes; its path under the runner's folder keys its wall time.
    output: Path
    #: does the stage's work; what it returns is kept by :meth:`StageRunner.run`.
    run: Callable[[], Any]
    #: when the stage is finished: once this file exists (e.g. a folder's last file), or when this check returns
    #: True; None: once ``output`` exists.
    done: Path | Callable[[], bool] | None = None
    #: call ``run`` even when done: it resumes its own work and returns at once when finished (collection,
    #: training), and later code needs what it returns; ``done`` then only says whether the time is kept.
    resumes: bool = False

    def is_done(self) -> bool:
        """Whether the stage's output is finished on disk."""
        if self.done is None:
            return Path(self.output).exists()
        if isinstance(self.done, Path):
            return self.done.exists()
        return bool(self.done())


class StageRunner:
    """Runs a recipe's stages in order under ``out``: a stage found done is skipped (reported cached, keeping the
    time it took when it ran), any other runs and is timed (:class:`StageClock`); a stage that fails writes no
    time, so a rerun does it again and resumes there.

    Example:
        >>> import tempfile
        >>> out = Path(tempfile.mkdtemp())
        >>> def count() -> int:
        ...     (out / "count.txt").write_text(str(len((out / "data.txt").read_text().split())))
        ...     return 3
        >>> stages = [
        ...     Stage("collect", out / "data.txt", lambda: (out / "data.txt").write_text("1 2 3")),
        ...     Stage("count", out / "count.txt", count),
        ... ]
        >>> runner = StageRunner(out)
        >>> runner.run(stages, until="collect"), runner.stopped
        ({'collect': 5}, True)
        >>> runner.run(stages), runner.stopped, (out / "count.txt").read_text()
        ({'count': 3}, False, '3')
        >>> {name: t["cached"] for name, t in runner.report().items()}
        {'collect': True, 'count': False}
    """

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.clock = StageClock(self.out)
        #: whether the last :meth:`run` stopped at its ``until`` before its last stage.
        self.stopped = False

    def run(self, stages: Sequence[Stage], until: str | None = None) -> dict[str, Any]:
        """Run each stage not done (and each that resumes), in order, stopping after the one named ``until``.

        Returns:
            ``{name: what its run returned}`` for the stages whose ``run`` was called.

        Raises:
            ValueError: ``until`` names none of ``stages``.
        """
        names = [stage.name for stage in stages]
        if until is not None and until not in names:
            raise ValueError(f"until={until!r}: expected one of {names}")
        values: dict[str, Any] = {}
        self.stopped = False
        for stage in stages:
            done = stage.is_done()
            with self.clock.stage(stage.name, os.path.relpath(stage.output, self.out), done=done):
                if stage.resumes or not done:
                    values[stage.name] = stage.run()
            if stage.name == until:
                self.stopped = stage is not stages[-1]
                break
        return values

    def report(self) -> dict[str, dict[str, Any]]:
        """Stage -> its folder, seconds when it ran (None when unknown) and whether this run found it cached."""
        return self.clock.report()
