"""Config files: a config dataclass read from JSON, with unknown keys named beside the known ones.

- :func:`read_config` -- the dataclass from a JSON file; ``convert`` turns nested values into their types.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

C = TypeVar("C", bound="DataclassInstance")

__all__ = ["read_config"]


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
    known = sorted(f.name for f in dataclasses.fields(cls))
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
