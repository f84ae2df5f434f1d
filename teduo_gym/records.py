"""Run records: every run writes its config, seeds, library versions and results as JSON.

- :func:`versions` -- the versions of Python and of the libraries a result depends on.
- :func:`write_record` -- write one run's record atomically.
- :func:`read_config` -- a config dataclass from a JSON file; unknown keys are an error naming the known ones.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import time
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

C = TypeVar("C")

__all__ = ["read_config", "versions", "write_record", "to_jsonable"]

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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "config": to_jsonable(config),
        "versions": versions(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "results": to_jsonable(results),
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(record, indent=2))
    os.replace(tmp, path)
    return path


def read_config(cls: type[C], path: str | Path, convert: Mapping[str, Callable[[Any], Any]]) -> C:
    """The dataclass ``cls`` from the JSON object in ``path``; ``convert`` turns a field's JSON value into its type
    (a nested config, a path, a tuple). Any field may be left out.

    Example:
        >>> import tempfile
        >>> from dataclasses import dataclass
        >>> @dataclass
        ... class Settings:
        ...     out: Path = Path("runs")
        ...     steps: int = 1
        >>> path = Path(tempfile.mkdtemp()) / "c.json"
        >>> _ = path.write_text('{"out": "runs/x", "stepz": 2}')
        >>> read_config(Settings, path, {"out": Path})
        Traceback (most recent call last):
        ...
        ValueError: ...c.json: unknown settings ['stepz']; known: ['out', 'steps']

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: not a JSON object, an unknown key, or a value ``convert`` or ``cls`` refuses (named with the file).
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError as err:
        raise FileNotFoundError(f"no config file at {path}") from err
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not JSON: {err}") from err
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a JSON object of settings, got {type(raw).__name__}")
    known = sorted(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ValueError(f"{path}: unknown settings {unknown}; known: {known}")
    try:
        for name, make in convert.items():
            if name in raw:
                raw[name] = make(raw[name])
        return cls(**raw)
    except TypeError as err:  # a nested config with a key its dataclass does not have
        raise ValueError(f"{path}: {err}") from err
