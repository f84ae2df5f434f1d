"""A trajectory as the relabeller sees it: text, achievements, outcome -- nothing environment-specific.

- :class:`Trajectory` -- the instruction the agent was given, one text per step, optional per-step achievement
  flags, success and return; :meth:`Trajectory.changes` lists what changed at each step and
  :meth:`Trajectory.summary` keeps the informative changes in a few lines (what the LLM reads).
- :func:`split_state` -- a state text as ``{key: items}`` (lines or ``;``-separated parts ``key: a, b``).
- :func:`state_changes` -- what changed between two state texts, as short texts; one step of
  :meth:`Trajectory.changes`, also used online to reward open-ended instructions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["Trajectory", "achievement_phrase", "split_state", "state_changes"]

_PARTS = re.compile(r"[\n;]+")


def achievement_phrase(name: str) -> str:
    """An achievement's name as words.

    Example:
        >>> achievement_phrase("make_wood_pickaxe")
        'make wood pickaxe'
    """
    return name.replace("_", " ").strip()


def split_state(text: str) -> dict[str, frozenset[str]]:
    """A state text as ``{key: items}``: each line or ``;``-part ``key: a, b`` gives ``key -> {a, b}``; a part
    without a colon is an item under the key ``""``.

    Example:
        >>> sorted(split_state("inventory: wood 2, sapling 1; facing: tree")["inventory"])
        ['sapling 1', 'wood 2']
    """
    state: dict[str, set[str]] = {}
    for part in _PARTS.split(text):
        key, sep, value = part.partition(":")
        key, items = (key.strip(), value) if sep else ("", part)
        state.setdefault(key, set()).update(i.strip() for i in items.split(",") if i.strip())
    return {k: frozenset(v) for k, v in state.items()}


def state_changes(
    before: dict[str, frozenset[str]],
    after: dict[str, frozenset[str]],
    gained: Sequence[str] = (),
    skip: Sequence[str] = (),
) -> list[str]:
    """What changed from one :func:`split_state` to the next: for each key whose items differ (keys in ``skip``
    aside), ``"key: lost -> got"``; then ``"achieved <phrase>"`` for each achievement in ``gained``.

    Example:
        >>> before, after = split_state("inventory: nothing; facing: tree"), split_state("inventory: wood 1")
        >>> state_changes(before, after, gained=["collect_wood"])
        ['inventory: nothing -> wood 1', 'facing: tree -> nothing', 'achieved collect wood']
    """
    out = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key, frozenset()), after.get(key, frozenset())
        if old != new and key not in skip:
            lost, got = ", ".join(sorted(old - new)) or "nothing", ", ".join(sorted(new - old)) or "nothing"
            out.append(f"{key}: {lost} -> {got}" if key else f"{lost} -> {got}")
    return out + [f"achieved {achievement_phrase(name)}" for name in gained]


@dataclass(frozen=True, eq=False)
class Trajectory:
    """One episode, described by text.

    Attributes:
        instruction: the instruction the agent was acting on.
        states: the text of each step's state (all steps, or a subsample in order).
        achievements: ``(len(states), K)`` booleans, ``achievements[t, k]`` true once achievement ``k`` has been
            unlocked by step ``t`` (cumulative, as Craftax's ``state.achievements``), or None when unknown.
        achievement_names: the ``K`` achievement names (``"collect_wood"``), in column order.
        success: whether the agent achieved ``instruction``.
        episode_return: the episode's return.
        ignore_keys: state-text keys whose changes are left out of :attr:`changes` (e.g. Craftax's ``nearby``,
            which changes with every step the player walks).

    Example:
        >>> t = Trajectory("collect wood", ["inventory: nothing", "inventory: wood 1"],
        ...                np.array([[False], [True]]), ("collect_wood",), success=True, episode_return=1.0)
        >>> t.gained
        [(1, 'collect_wood')]
        >>> t.changes[1]
        ['inventory: nothing -> wood 1', 'achieved collect wood']
    """

    instruction: str
    states: Sequence[str]
    achievements: np.ndarray | None = None
    achievement_names: tuple[str, ...] = ()
    success: bool = False
    episode_return: float = 0.0
    ignore_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.achievements is not None:
            shape = np.shape(self.achievements)
            if shape != (len(self.states), len(self.achievement_names)):
                raise ValueError(
                    f"achievements must have shape (len(states), len(achievement_names)) = "
                    f"({len(self.states)}, {len(self.achievement_names)}), got {shape}."
                )

    @cached_property
    def gained_matrix(self) -> np.ndarray:
        """``(T, K)`` booleans: achievement ``k`` was unlocked at step ``t`` (all False when unknown)."""
        if self.achievements is None:
            return np.zeros((len(self.states), len(self.achievement_names)), bool)
        unlocked = np.asarray(self.achievements, bool)
        before = np.vstack([np.zeros((1, unlocked.shape[1]), bool), unlocked[:-1]])
        return unlocked & ~before

    @property
    def gained(self) -> list[tuple[int, str]]:
        """``(step, name)`` of every achievement unlocked during the episode, in order."""
        steps, ks = np.nonzero(self.gained_matrix)
        return [(int(t), self.achievement_names[k]) for t, k in zip(steps, ks)]

    @property
    def flag_keys(self) -> tuple[str, ...]:
        """State-text keys the achievement flags already say: ``("achievements",)`` when there are flags."""
        return ("achievements",) if self.achievements is not None else ()

    @cached_property
    def changes(self) -> list[list[str]]:
        """What changed at each step, as short texts (``"inventory: wood 1 -> wood 2"``, ``"achieved ..."``); see
        :func:`state_changes`.

        Step 0 has no changes but the achievements its flags already hold. Keys in ``ignore_keys`` are left out,
        and with achievement flags so is the state text's own ``achievements`` line (the ``"achieved ..."`` entries
        say it).
        """
        parsed = [split_state(s) for s in self.states]
        skip = self.ignore_keys + self.flag_keys
        gained: list[list[str]] = [[] for _ in self.states]
        for t, name in self.gained:
            gained[t].append(name)
        first = [state_changes({}, {}, gained[0])] if parsed else []
        return first + [state_changes(parsed[t - 1], parsed[t], gained[t], skip) for t in range(1, len(parsed))]

    @property
    def change_texts(self) -> list[str]:
        """Each step's changes in one line (``""`` where nothing changed): the texts relabelled instructions are
        rewarded on.

        Example:
            >>> Trajectory("x", ["facing: grass", "facing: tree", "facing: tree"]).change_texts
            ['', 'facing: grass -> tree', '']
        """
        return ["; ".join(c) for c in self.changes]

    def summary(self, max_events: int = 12, noisy_fraction: float = 0.3) -> list[str]:
        """The informative changes, in order: every achievement, then changes of
        the keys that change least often; keys that change more than twice and in more than ``noisy_fraction`` of
        the steps (what the agent sees while walking) are left out.

        Example:
            >>> t = Trajectory("x", ["facing: grass; inventory: nothing", "facing: tree; inventory: nothing",
            ...                      "facing: tree; inventory: wood 1", "facing: grass; inventory: wood 1",
            ...                      "facing: tree; inventory: wood 1"])
            >>> t.summary()
            ['inventory: nothing -> wood 1']
        """
        changes = self.changes
        steps = len(changes) - 1
        keys = Counter(c.partition(":")[0] for cs in changes for c in set(cs) if not c.startswith("achieved "))
        events = []
        for t, cs in enumerate(changes):
            for c in cs:
                achieved = c.startswith("achieved ")
                freq = 0 if achieved else keys[c.partition(":")[0]]
                if achieved or freq <= max(2, noisy_fraction * steps):
                    events.append((freq, t, c))
        kept = sorted(sorted(events)[:max_events], key=lambda e: e[1])
        return [c for _, _, c in kept]
