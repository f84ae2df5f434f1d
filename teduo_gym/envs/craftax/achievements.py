"""Craftax-Classic's 22 achievements as ground truth for instructions such as "collect wood".

- :data:`ACHIEVEMENTS` -- the achievement names (``"collect_wood"``) in the column order of ``state.achievements``.
- :data:`PARAPHRASES` -- one rewording of each achievement goal (``"chop down a tree"``), for held-out instructions.
- :data:`ACHIEVEMENT_SYNONYMS`, :data:`ACHIEVEMENT_FORMS` -- Craftax's words for its achievements, for
  :class:`~teduo_gym.relabel.AchievementMatcher` (``synonyms=``, ``forms=``).
- :func:`achievement_index` -- the column of a name or phrase (``"collect wood"``).
- :func:`achievement_unlocked` -- whether a transition unlocked an achievement (on one or a batch of states).
- :func:`unlocked_names` -- the names set in an achievement vector.
- :class:`CraftaxAchievementDetector` -- the ground-truth :class:`~teduo_gym.wrappers.GoalDetector` of
  :class:`~teduo_gym.envs.craftax.env.CraftaxEnv`: goal ``"collect wood"`` is achieved on the step that unlocks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from craftax.craftax_classic.constants import Achievement

from teduo_gym.wrappers import GoalDetector, UnknownGoalError

__all__ = [
    "ACHIEVEMENTS",
    "ACHIEVEMENT_FORMS",
    "ACHIEVEMENT_GOALS",
    "ACHIEVEMENT_SYNONYMS",
    "PARAPHRASES",
    "CraftaxAchievementDetector",
    "achievement_index",
    "achievement_unlocked",
    "unlocked_names",
]

#: The 22 achievement names, in Craftax's order (the columns of ``state.achievements``).
ACHIEVEMENTS: tuple[str, ...] = tuple(a.name.lower() for a in sorted(Achievement, key=lambda a: a.value))
#: The achievements as goal phrases (``"collect wood"``), in the same order.
ACHIEVEMENT_GOALS: tuple[str, ...] = tuple(name.replace("_", " ") for name in ACHIEVEMENTS)
#: One rewording of each achievement goal, in the same order: held-out instructions that name no word of the goal
#: where English allows (OIR's paraphrased evaluation set, the knowledge's reworded test goals).
PARAPHRASES: dict[str, str] = {
    "collect wood": "chop down a tree",
    "place table": "set up a workbench",
    "eat cow": "eat some beef",
    "collect sapling": "pick up a sapling",
    "collect drink": "quench your thirst",
    "make wood pickaxe": "craft a wooden pickaxe",
    "make wood sword": "craft a wooden sword",
    "place plant": "plant a sapling",
    "defeat zombie": "slay a zombie",
    "collect stone": "mine some rock",
    "place stone": "put a stone block down",
    "eat plant": "eat a ripe crop",
    "defeat skeleton": "kill a skeleton",
    "make stone pickaxe": "forge a pickaxe out of stone",
    "make stone sword": "forge a sword out of stone",
    "wake up": "get some sleep",
    "place furnace": "build a furnace",
    "collect coal": "mine a lump of coal",
    "collect iron": "dig up some iron ore",
    "collect diamond": "find a diamond",
    "make iron pickaxe": "forge an iron pickaxe",
    "make iron sword": "forge an iron sword",
}
#: Craftax's words for the words of its achievement names (beside the matcher's English verbs,
#: :data:`teduo_gym.relabel.VERB_SYNONYMS`): "chop a tree" is collect wood, "mine some rock" collect stone.
ACHIEVEMENT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "wood": ("tree", "log", "logs", "timber"),
    "stone": ("rock",),
    "cow": ("beef",),
    "drink": ("water",),
    "table": ("workbench",),
    "plant": ("sapling", "crop"),
    "wake": ("awake",),
}
#: Other ways of saying an achievement: literal words that all must appear ("drink" is a form of collect drink,
#: not a way of collecting, so "drink wood" is not collect wood).
ACHIEVEMENT_FORMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "collect_drink": (("drink",), ("thirst",)),
    "wake_up": (("sleep",),),
}


def achievement_index(name: str) -> int:
    """The column of an achievement, from its name (``"collect_wood"``) or phrase (``"Collect wood"``).

    Example:
        >>> achievement_index("collect wood"), achievement_index("MAKE_IRON_SWORD")
        (0, 21)

        >>> achievement_index("Collect_wod")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        teduo_gym.wrappers.language_goal.UnknownGoalError: goal 'collect wod' is not in ... goals: ['collect wood', ...

    Raises:
        UnknownGoalError: ``name`` is none of the 22 achievements.
    """
    key = "_".join(name.lower().split())
    if key not in ACHIEVEMENTS:
        raise UnknownGoalError(" ".join(key.split("_")), ACHIEVEMENT_GOALS, "Craftax-Classic's achievements")
    return ACHIEVEMENTS.index(key)


def achievement_unlocked(before: Any, after: Any, name: str) -> np.ndarray:
    """Whether going from achievement vector(s) ``before`` to ``after`` unlocked ``name``.

    Works on one state's ``(22,)`` vector or a batch ``(..., 22)`` (``state.achievements``, ``info["achievements"]``).

    Example:
        >>> before, after = np.zeros(22, bool), np.eye(22, dtype=bool)[0]
        >>> bool(achievement_unlocked(before, after, "collect wood"))
        True
    """
    i = achievement_index(name)
    return np.asarray(after, bool)[..., i] & ~np.asarray(before, bool)[..., i]


def unlocked_names(achievements: Any) -> list[str]:
    """The names of the achievements set in a ``(22,)`` vector, in Craftax's order.

    Example:
        >>> unlocked_names(np.eye(22, dtype=bool)[1] | np.eye(22, dtype=bool)[0])
        ['collect_wood', 'place_table']
    """
    return [name for name, on in zip(ACHIEVEMENTS, np.asarray(achievements, bool)) if on]


class CraftaxAchievementDetector(GoalDetector):
    """Ground truth for achievement goals: goal ``"collect wood"`` is achieved on the step that unlocks it.

    Goals are achievement names or phrases (:data:`ACHIEVEMENT_GOALS`), through ``aliases`` for rewordings. It
    reads ``info["achievements_unlocked"]`` of :class:`~teduo_gym.envs.craftax.env.CraftaxEnv` (its
    ``last_unlocked``). Craftax unlocks each achievement once per episode, so a second "collect wood" in the same
    episode is not detected.

    Example:
        >>> detector = CraftaxAchievementDetector()
        >>> detector.goal_columns(["collect wood", "place_table"]).tolist()
        [0, 1]
    """

    def __init__(self, aliases: dict[str, str] | None = None):
        self.aliases = dict(aliases or {})
        self._columns = np.zeros(0, np.intp)

    def goal_columns(self, goals: Sequence[str]) -> np.ndarray:
        """The achievement column of each goal (after aliasing).

        Raises:
            UnknownGoalError: a goal is not an achievement.
        """
        return np.array([achievement_index(self.aliases.get(g, g)) for g in goals], np.intp)

    def reset(self, env: gym.Env, observation: Any, goals: Sequence[str], desired: int) -> Any:
        self._columns = self.goal_columns(goals)
        return observation

    def detect(self, env: gym.Env, observation: Any, action: Any | None, goal_ids: np.ndarray) -> np.ndarray:
        unlocked = env.unwrapped.last_unlocked  # type: ignore[attr-defined]
        return unlocked[self._columns[np.asarray(goal_ids, np.intp)]]
