"""The registry of environment knowledge, extended like ``gymnasium.register``.

- :func:`register_knowledge` -- ``register_knowledge("MyEnv-*", "my_package.knowledge:MyKnowledge")``: ids matching
  the pattern (``fnmatch``) get that knowledge.
- :func:`knowledge_for` -- the knowledge for an id: a registered pattern, an entry point of the group
  :data:`ENTRY_POINT_GROUP` (how another distribution ships knowledge), or ``"module:attr"`` itself (knowledge
  defined in a user's file, as ``teduo run --env my_module:knowledge`` takes it).
- :func:`registered_knowledge` -- the registered patterns.

An entry (registered, an entry point's value, or an id ``module:attr``) names an :class:`EnvKnowledge` instance,
or a class or factory called with the environment id.
"""

from __future__ import annotations

import fnmatch
import importlib
from collections.abc import Callable
from importlib import metadata
from typing import Any

from teduo_gym.envs.knowledge import EnvKnowledge, KnowledgeError, UnknownEnvironmentError

__all__ = ["ENTRY_POINT_GROUP", "knowledge_for", "load_entry", "register_knowledge", "registered_knowledge"]

#: The entry-point group under which other distributions register knowledge (name: id pattern, value: module:attr).
ENTRY_POINT_GROUP = "teduo_gym.knowledge"

Entry = str | EnvKnowledge | Callable[[str], EnvKnowledge]

_REGISTRY: dict[str, Entry] = {
    "BabyAI-*": "teduo_gym.envs.babyai.knowledge:BabyAIKnowledge",
    "Craftax-Classic-Symbolic-v1": "teduo_gym.envs.craftax.knowledge:CraftaxKnowledge",
    "teduo/WebShop-v0": "teduo_gym.envs.webshop.knowledge:WebShopKnowledge",
}
_LOADED: dict[str, EnvKnowledge] = {}
_entry_points_read = False


def register_knowledge(pattern: str, entry: Entry) -> None:
    """Give environment ids matching ``pattern`` (``fnmatch``, e.g. ``"MyGrid-*"``) the knowledge ``entry``: an
    :class:`EnvKnowledge`, a class or factory called with the id, or its ``"module:attr"`` (imported when first
    asked for). A later registration of the same pattern replaces the earlier one.

    Example:
        >>> register_knowledge("Tiny-*", "teduo_gym.envs.babyai.knowledge:BabyAIKnowledge")
        >>> "Tiny-*" in registered_knowledge()
        True
        >>> unregister = _REGISTRY.pop("Tiny-*")
    """
    if not isinstance(pattern, str) or not pattern:
        raise KnowledgeError(f"a knowledge pattern is a non-empty string such as 'MyEnv-*', got {pattern!r}")
    _REGISTRY[pattern] = entry
    _LOADED.clear()


def registered_knowledge() -> list[str]:
    """The registered id patterns (entry points of other distributions included), in matching order.

    Example:
        >>> "BabyAI-*" in registered_knowledge()
        True
    """
    _read_entry_points()
    return list(_REGISTRY)


def load_entry(spec: str) -> Any:
    """The object named by ``"module:attr"`` (``attr`` may be dotted).

    Example:
        >>> load_entry("teduo_gym.envs.babyai.knowledge:BabyAIKnowledge").__name__
        'BabyAIKnowledge'

    Raises:
        KnowledgeError: malformed, the module does not import, or it has no such attribute.
    """
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise KnowledgeError(f"{spec!r} is not 'module:attr' (e.g. 'my_package.knowledge:MyKnowledge')")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as err:
        raise KnowledgeError(
            f"cannot import {module_name!r} for knowledge {spec!r} ({err}): install it, or run from the folder that "
            "holds it (or add that folder to PYTHONPATH)"
        ) from err
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise KnowledgeError(f"module {module_name!r} has no attribute {attr!r} (knowledge {spec!r})")
        obj = getattr(obj, part)
    return obj


def knowledge_for(env_id: str) -> EnvKnowledge:
    """The knowledge for ``env_id``: an id ``"module:attr"`` names it directly, any other id is matched against
    the registered patterns (the latest registration first).

    Example:
        >>> knowledge_for("BabyAI-GoToLocal-v0").action_words[:3]
        ('left', 'right', 'forward')

    Raises:
        UnknownEnvironmentError: no pattern matches; the message lists the registered ones.
        KnowledgeError: the entry does not import, or is not knowledge.
    """
    if env_id in _LOADED:
        return _LOADED[env_id]
    if ":" in env_id and "/" not in env_id.split(":")[0]:
        knowledge = _instantiate(load_entry(env_id), env_id, env_id)
    else:
        _read_entry_points()
        pattern = next((p for p in reversed(_REGISTRY) if fnmatch.fnmatchcase(env_id, p)), None)
        if pattern is None:
            raise UnknownEnvironmentError(
                f"no teduo-gym knowledge for {env_id!r}; registered: {', '.join(_REGISTRY)}. Register yours with "
                "teduo_gym.register_knowledge(pattern, 'module:attr'), or pass --env module:attr"
            )
        entry = _REGISTRY[pattern]
        knowledge = _instantiate(load_entry(entry) if isinstance(entry, str) else entry, env_id, str(entry))
    _LOADED[env_id] = knowledge
    return knowledge


def _instantiate(obj: Any, env_id: str, spec: str) -> EnvKnowledge:
    if isinstance(obj, EnvKnowledge):
        if ":" in env_id:
            obj.env_id = env_id  # the id later stages find it by (datasets record it)
        return obj
    if callable(obj):
        made = obj(env_id)
        if isinstance(made, EnvKnowledge):
            return made
        obj = made
    raise KnowledgeError(
        f"{spec} gives {type(obj).__name__}, not EnvKnowledge: name a subclass of teduo_gym.envs.EnvKnowledge, an "
        "instance of one, or a function returning one"
    )


def _read_entry_points() -> None:
    global _entry_points_read
    if _entry_points_read:
        return
    _entry_points_read = True
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        _REGISTRY.setdefault(ep.name, ep.value)
