"""Config files: a config dataclass read from JSON, with unknown keys named beside the known ones and every value
checked against its field's type before anything runs.

- :func:`read_config` -- the dataclass from a JSON file; ``convert`` turns nested values into their types.
- :func:`check_value` -- why a JSON value does not fit a type hint (``None`` when it fits).
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

C = TypeVar("C", bound="DataclassInstance")

#: Sequence hints a JSON list fills.
_SEQUENCES = (tuple, list, Sequence)

__all__ = ["check_value", "read_config"]


def read_config(cls: type[C], path: str | Path, convert: Mapping[str, Callable[[Any], Any]]) -> C:
    """The dataclass ``cls`` from the JSON object in ``path``; ``convert`` turns a field's JSON value into its type
    (a nested config, a path, a tuple). Any field may be left out; every value given is checked against its field's
    type hint first (nested configs too), so a wrong type is one line naming the key, the type and the value.

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
        >>> _ = path.write_text('{"steps": "many"}')
        >>> read_config(Settings, path, {"out": Path})
        Traceback (most recent call last):
        ...
        ValueError: ...c.json: "steps" must be an integer, got the string 'many'

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: not a JSON object, an unknown key, a value of the wrong type, or a value ``convert`` or ``cls``
            refuses (named with the file).
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError as err:
        raise FileNotFoundError(f"no config file at {path}") from err
    except IsADirectoryError as err:
        raise ValueError(f"{path} is a directory: give the path of a JSON config file") from err
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not a text file ({err.reason}): give a JSON config file") from err
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not JSON: {err}") from err
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a JSON object of settings, got {type(raw).__name__}")
    known = sorted(f.name for f in dataclasses.fields(cls))
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ValueError(f"{path}: unknown settings {unknown}; known: {known}")
    problem = check_value(raw, cls)
    if problem:
        raise ValueError(f"{path}: {problem}")
    try:
        for name, make in convert.items():
            if name in raw:
                raw[name] = make(raw[name])
        return cls(**raw)
    except TypeError as err:  # a nested config with a key its dataclass does not have
        raise ValueError(f"{path}: {err}") from err


def check_value(value: Any, hint: Any, key: str = "") -> str | None:
    """Why the JSON ``value`` of setting ``key`` does not fit the type ``hint`` (``None`` when it fits): scalars,
    ``Path`` (a string), ``Literal``, unions, tuples and lists (a JSON list), mappings and dataclasses (a JSON object,
    checked field by field); other types are not checked.

    Example:
        >>> check_value(["go to"], tuple[str, ...], "goal_kinds") is None
        True
        >>> check_value("go to", tuple[str, ...], "goal_kinds")
        '"goal_kinds" must be a list of strings, got the string \\'go to\\''
        >>> check_value({"backend": "gpt"}, typing.Literal["transformers", "openai"] | None, "llm")
        '"llm" must be one of \\'transformers\\', \\'openai\\' or null, got the object {\\'backend\\': \\'gpt\\'}'
    """
    if _fits(value, hint):
        return _nested_problem(value, hint, key)
    shaped = [arm for arm in _arms(hint) or () if _fits(value, arm)]
    if len(shaped) == 1:  # an optional config whose own field is wrong: name that field
        return _nested_problem(value, shaped[0], key)
    return f"{json.dumps(key)} must be {_expected(hint)}, got {_shown(value)}"


def _arms(hint: Any) -> tuple[Any, ...] | None:
    """The arms of a union hint, else ``None``."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return None


def _fits(value: Any, hint: Any) -> bool:
    """Whether ``value`` has the JSON shape of ``hint`` (elements and fields are checked by :func:`_nested_problem`)."""
    arms = _arms(hint)
    if arms is not None:
        return any(_fits(value, arm) and _nested_problem(value, arm, "") is None for arm in arms)
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return any(value == a and type(value) is type(a) for a in typing.get_args(hint))
    if hint is type(None) or hint is None:
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if isinstance(hint, type) and issubclass(hint, PurePath):
        return isinstance(value, str)
    if origin in _SEQUENCES or hint in _SEQUENCES:
        return isinstance(value, list)
    if origin in (dict, Mapping) or hint is dict or (isinstance(hint, type) and dataclasses.is_dataclass(hint)):
        return isinstance(value, dict)
    return True  # a type JSON has no shape for (Any, a callable, a class): left to the dataclass


def _nested_problem(value: Any, hint: Any, key: str) -> str | None:
    """The first element or field of ``value`` that does not fit ``hint``'s element or field types."""
    arms = _arms(hint)
    if arms is not None:
        return None  # _fits checked the arm it matched, nested parts included
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if isinstance(value, list) and args:
        element_types = [args[0]] * len(value) if len(args) == 1 or args[1:] == (Ellipsis,) else list(args)
        if origin is tuple and len(element_types) != len(value):
            return f"{json.dumps(key)} must be {_expected(hint)}, got {_shown(value)}"
        for i, (element, element_hint) in enumerate(zip(value, element_types)):
            problem = check_value(element, element_hint, f"{key}[{i}]")
            if problem:
                return problem
    if isinstance(value, dict) and isinstance(hint, type) and dataclasses.is_dataclass(hint):
        try:
            hints = typing.get_type_hints(hint)
        except (NameError, TypeError):  # a hint named only under TYPE_CHECKING: leave the check to the dataclass
            return None
        fields = {f.name for f in dataclasses.fields(hint) if f.init}
        unknown = sorted(set(value) - fields)
        if unknown:
            where = f" in {json.dumps(key)}" if key else ""
            return f"unknown settings {unknown}{where}; known: {sorted(fields)}"
        for name, element in value.items():
            problem = check_value(element, hints.get(name, Any), f"{key}.{name}" if key else name)
            if problem:
                return problem
    if isinstance(value, dict) and origin in (dict, Mapping) and len(args) == 2:
        for name, element in value.items():
            problem = check_value(element, args[1], f"{key}.{name}")
            if problem:
                return problem
    return None


def _expected(hint: Any) -> str:
    """``hint`` in words, as JSON writes it."""
    arms = _arms(hint)
    if arms is not None:
        words = [_expected(a) for a in arms if a is not type(None)]
        return " or ".join([", ".join(words)] + (["null"] if type(None) in arms else []))
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return "one of " + ", ".join(json.dumps(a) if not isinstance(a, str) else repr(a) for a in args)
    if hint is type(None) or hint is None:
        return "null"
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    if hint in names:
        return names[hint]
    if isinstance(hint, type) and issubclass(hint, PurePath):
        return "a path (a string)"
    if origin in _SEQUENCES or hint in _SEQUENCES:
        if args and (len(args) == 1 or args[1:] == (Ellipsis,)):
            return f"a list of {_plural(_expected(args[0]))}"
        return f"a list of {len(args)} values" if args else "a list"
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return f"an object of {hint.__name__} settings"
    return "an object" if origin in (dict, Mapping) else getattr(hint, "__name__", str(hint))


def _plural(words: str) -> str:
    """``"a string"`` -> ``"strings"`` (element types in words)."""
    for article in ("an ", "a "):
        if words.startswith(article) and " " not in words[len(article) :]:
            return words[len(article) :] + "s"
    return f"values that are {words}"


def _shown(value: Any) -> str:
    """A JSON value in words, cut short."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    kind = {int: "the number ", float: "the number ", str: "the string ", list: "the list ", dict: "the object "}
    text = repr(value)
    text = text if len(text) <= 80 else text[:77] + "..."
    return kind.get(type(value), "") + text
