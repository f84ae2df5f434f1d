"""Run records: every run writes its config, seeds, library versions and results as JSON.

- :func:`versions` -- the versions of Python and of the libraries a result depends on.
- :func:`write_record` -- write one run's record atomically.
"""

from __future__ import annotations

import dataclasses
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from teduo_gym.core.io import write_json

__all__ = ["to_jsonable", "versions", "write_record"]

_LIBRARIES = (
    "teduo-gym",
    "torch",
    "gymnasium",
    "minigrid",
    "stable-baselines3",
    "d3rlpy",
    "transformers",
    "peft",
)


def versions() -> dict[str, str]:
    """Python's and each library's installed version (``"missing"`` when not installed).

    Example:
        >>> "gymnasium" in versions()
        True
    """
    found = {"python": platform.python_version(), "platform": platform.platform()}
    for name in _LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def to_jsonable(value: Any) -> Any:
    """Dataclasses, paths, tuples and numpy scalars as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    return value


def write_record(path: str | Path, config: Any, results: Any) -> Path:
    """Write ``{"config", "versions", "created", "results"}`` to ``path`` as JSON (atomically).

    Example:
        >>> import tempfile, json
        >>> p = write_record(Path(tempfile.mkdtemp()) / "run.json", {"seed": 0}, {"success_rate": 1.0})
        >>> json.loads(p.read_text())["config"]
        {'seed': 0}
    """
    record = {
        "config": to_jsonable(config),
        "versions": versions(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "results": to_jsonable(results),
    }
    return write_json(path, record, indent=2)
