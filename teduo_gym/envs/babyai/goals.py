"""A goal grammar over BabyAI's instruction language.

- :class:`ObjectRef`, :class:`BabyAIGoal` -- a parsed goal: ``kind``, ``object`` and, for "put next to",
  ``target``.
- :func:`parse_goal` -- text to goal; anything outside the grammar raises
  :class:`~teduo_gym.wrappers.UnknownGoalError` naming the nearest valid goals.
- :func:`enumerate_goals` -- every goal of some kinds, in a fixed order.
- :func:`goal_to_instr` -- the goal as minigrid's own instruction object, whose verifier is the ground truth.
- :func:`feasible_goals` -- the goals whose objects exist in the current layout.

Grammar (case and extra whitespace ignored)::

    goal  := "go to" ref(ball|box|key|door) | "pick up" ref(ball|box|key) | "open" ref(door)
           | "put" ref(ball|box|key) "next to" ref(ball|box|key|door)
    ref   := ("the" | "a") [colour] type        colour in minigrid's COLOR_NAMES

Determiners do not change a goal's meaning (minigrid's verifier ignores them); the canonical text uses
"the" when a colour is named and "a" otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from minigrid.core.constants import COLOR_NAMES
from minigrid.envs.babyai.core.verifier import (
    ActionInstr,
    GoToInstr,
    ObjDesc,
    OpenInstr,
    PickupInstr,
    PutNextInstr,
)

from teduo_gym.wrappers import UnknownGoalError

__all__ = [
    "COLORS",
    "GOAL_KINDS",
    "BabyAIGoal",
    "ObjectRef",
    "enumerate_goals",
    "feasible_goals",
    "feasible_by_layout",
    "goal_to_instr",
    "parse_goal",
]

#: Goal kinds, in enumeration order.
GOAL_KINDS: tuple[str, ...] = ("go to", "pick up", "open", "put next to")
#: Colours a goal may name (minigrid's ``COLOR_NAMES``).
COLORS: tuple[str, ...] = tuple(COLOR_NAMES)
_MOVABLE = ("ball", "box", "key")
_ANY = ("ball", "box", "key", "door")
#: Object types each kind may name (for "put next to": the moved object).
_KIND_TYPES = {"go to": _ANY, "pick up": _MOVABLE, "open": ("door",), "put next to": _MOVABLE}


@dataclass(frozen=True)
class ObjectRef:
    """An object description: a type and an optional colour (minigrid's ``ObjDesc`` without location)."""

    type: str
    color: str | None = None

    @property
    def text(self) -> str:
        """Canonical text: ``"the red ball"`` or ``"a ball"``."""
        return f"the {self.color} {self.type}" if self.color else f"a {self.type}"

    def matches(self, obj: Any) -> bool:
        """Whether a minigrid ``WorldObj`` fits this description."""
        return obj is not None and obj.type == self.type and (self.color is None or obj.color == self.color)


@dataclass(frozen=True)
class BabyAIGoal:
    """A goal of BabyAI's instruction language.

    Example:
        >>> BabyAIGoal("put next to", ObjectRef("ball", "red"), ObjectRef("door")).text
        'put the red ball next to a door'

    Args:
        kind: one of :data:`GOAL_KINDS`.
        object: the object to go to, pick up, open, or move.
        target: for "put next to", the object to put it next to; otherwise ``None``.
    """

    kind: str
    object: ObjectRef
    target: ObjectRef | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KIND_TYPES:
            raise ValueError(f"kind must be one of {GOAL_KINDS}, got {self.kind!r}")
        if self.object.type not in _KIND_TYPES[self.kind]:
            raise ValueError(f"{self.kind!r} takes a {' / '.join(_KIND_TYPES[self.kind])}, not {self.object.type!r}")
        if (self.target is not None) != (self.kind == "put next to"):
            raise ValueError("target is required for 'put next to' and only for it")
        for ref in (self.object, self.target):
            if ref is not None and ref.color not in (None, *COLORS):
                raise ValueError(f"colour must be one of {COLORS} or None, got {ref.color!r}")

    @property
    def text(self) -> str:
        """The canonical goal text."""
        if self.kind == "put next to":
            assert self.target is not None
            return f"put {self.object.text} next to {self.target.text}"
        return f"{self.kind} {self.object.text}"

    @property
    def refs(self) -> tuple[ObjectRef, ...]:
        """The object descriptions the goal names: ``(object,)`` or ``(object, target)``."""
        return (self.object,) if self.target is None else (self.object, self.target)


_COLOR = "|".join(COLORS)
_REF = rf"(?:the|a)\s+(?:({_COLOR})\s+)?(ball|box|key|door)"
_PATTERNS = (
    ("put next to", re.compile(rf"put\s+{_REF}\s+next\s+to\s+{_REF}")),
    ("go to", re.compile(rf"go\s+to\s+{_REF}")),
    ("pick up", re.compile(rf"pick\s+up\s+{_REF}")),
    ("open", re.compile(rf"open\s+{_REF}")),
)


def parse_goal(text: str) -> BabyAIGoal:
    """Parse a goal text of the grammar (case and whitespace insensitive).

    Example:
        >>> parse_goal("  Pick up  a BLUE key ")
        BabyAIGoal(kind='pick up', object=ObjectRef(type='key', color='blue'), target=None)

    Raises:
        UnknownGoalError: the text is outside the grammar; the error names the nearest valid goals.
    """
    return _parse(" ".join(str(text).lower().split()))


@lru_cache(maxsize=4096)
def _parse(normal: str) -> BabyAIGoal:
    for kind, pattern in _PATTERNS:
        m = pattern.fullmatch(normal)
        if m is None:
            continue
        try:
            if kind == "put next to":
                return BabyAIGoal(kind, ObjectRef(m[2], m[1]), ObjectRef(m[4], m[3]))
            return BabyAIGoal(kind, ObjectRef(m[2], m[1]))
        except ValueError:
            break  # e.g. "pick up the door": the words fit, the kind does not take that type
    raise UnknownGoalError(normal, _all_goal_texts(), where="the BabyAI goal grammar")


@lru_cache(maxsize=1)
def _all_goal_texts() -> tuple[str, ...]:
    return tuple(enumerate_goals())


def _refs(types: Sequence[str]) -> list[ObjectRef]:
    return [ObjectRef(t, c) for t in types for c in (None, *COLORS)]


def enumerate_goals(kinds: Iterable[str] = GOAL_KINDS) -> list[str]:
    """Every canonical goal text of the given kinds, kind by kind, types then colours (no colour first).

    "put X next to Y" leaves out Y = X (the same description twice).

    Example:
        >>> goals = enumerate_goals(("go to", "pick up", "open"))
        >>> len(goals), goals[0], goals[-1]
        (56, 'go to a ball', 'open the yellow door')

    Raises:
        ValueError: an unknown kind.
    """
    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in _KIND_TYPES]
    if bad:
        raise ValueError(f"unknown goal kinds {bad}; choose from {GOAL_KINDS}")
    goals = []
    for kind in kinds:
        for obj in _refs(_KIND_TYPES[kind]):
            if kind == "put next to":
                goals += [BabyAIGoal(kind, obj, t).text for t in _refs(_ANY) if t != obj]
            else:
                goals.append(BabyAIGoal(kind, obj).text)
    return goals


def goal_to_instr(goal: BabyAIGoal | str) -> ActionInstr:
    """The goal as a fresh minigrid instruction object.

    ``GoToInstr``, ``PickupInstr``, ``OpenInstr`` or ``PutNextInstr``, with minigrid's ``ObjDesc``.
    Call ``instr.reset_verifier(env.unwrapped)`` before ``instr.verify(action)``.

    Example:
        >>> type(goal_to_instr("open the red door")).__name__
        'OpenInstr'
    """
    if isinstance(goal, str):
        goal = parse_goal(goal)
    desc = ObjDesc(goal.object.type, goal.object.color)
    if goal.kind == "go to":
        return GoToInstr(desc)
    if goal.kind == "pick up":
        return PickupInstr(desc)
    if goal.kind == "open":
        return OpenInstr(desc)
    assert goal.target is not None
    return PutNextInstr(desc, ObjDesc(goal.target.type, goal.target.color))


def feasible_goals(env: Any, goals: Sequence[str | BabyAIGoal]) -> np.ndarray:
    """Indices of the goals whose objects exist in the current layout.

    A "put X next to Y" goal needs an X and a different object that is a Y.

    Example:
        >>> import gymnasium as gym, minigrid
        >>> env = gym.make("BabyAI-GoToRedBall-v0")
        >>> _ = env.reset(seed=1)
        >>> feasible_goals(env, ["go to the red ball", "go to the blue ball"]).tolist()
        [0]
    """
    objects = [c for c in env.unwrapped.grid.grid if c is not None and c.type in _ANY]
    counts: dict[ObjectRef, int] = {}
    for obj in objects:
        for ref in (ObjectRef(obj.type, obj.color), ObjectRef(obj.type)):
            counts[ref] = counts.get(ref, 0) + 1
    ok = []
    for goal in goals:
        g = parse_goal(goal) if isinstance(goal, str) else goal
        if g.target is None:
            ok.append(counts.get(g.object, 0) > 0)
        else:
            n_move, n_fixed = counts.get(g.object, 0), counts.get(g.target, 0)
            both = sum(1 for o in objects if g.object.matches(o) and g.target.matches(o))
            # some X and some Y that is another object
            ok.append(n_move > 0 and n_fixed > 0 and not (n_move == 1 and n_fixed == 1 and both == 1))
    return np.flatnonzero(np.array(ok, dtype=bool))


def feasible_by_layout(
    env: Any,
    layouts: Sequence[int],
    goals: Sequence[str],
    canonical: Sequence[str] | None = None,
    options: dict[str, Any] | None = None,
) -> dict[int, list[str]]:
    """Each layout (a reset seed of ``env``) -> the ``goals`` feasible in it (:func:`feasible_goals`), in order.

    Example:
        >>> import gymnasium as gym, minigrid
        >>> feasible_by_layout(gym.make("BabyAI-GoToRedBall-v0"), [1], ["go to the red ball", "go to the blue ball"])
        {1: ['go to the red ball']}

    Args:
        env: resets to a layout with ``reset(seed=layout, options=options)``.
        layouts: the reset seeds.
        goals: the goal texts returned.
        canonical: the texts checked for each goal, when ``goals`` are reworded (default: ``goals``).
        options: passed to every reset (e.g. the goal a language-goal environment's sampler needs).
    """
    checked = list(goals if canonical is None else canonical)
    found: dict[int, list[str]] = {}
    for layout in layouts:
        env.reset(seed=int(layout), options=options)
        found[int(layout)] = [goals[i] for i in feasible_goals(env.unwrapped, checked)] if checked else []
    return found
