"""Ground-truth goal detection for BabyAI, and goal samplers.

- :class:`BabyAIGoalDetector` -- which goals of a vocabulary the last transition achieved, with exactly the
  semantics of minigrid's own (non-strict) instruction verifiers, but for all goals at once in O(1) per step.
  It also makes the level pursue the desired goal: its verifier, time limit and ``BabyAIBot`` follow it.
- :func:`mission_goal_sampler` -- the level's own mission (parsed), if it is in the vocabulary.
- :func:`feasible_goal_sampler` -- uniform over the goals whose objects exist in the layout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from minigrid.core.actions import Actions

from teduo_gym.envs.babyai.goals import BabyAIGoal, ObjectRef, feasible_goals, goal_to_instr, parse_goal
from teduo_gym.wrappers import GoalDetector, UnknownGoalError

__all__ = ["BabyAIGoalDetector", "feasible_goal_sampler", "mission_goal_sampler", "parse_vocabulary"]

_PICKUP, _DROP, _TOGGLE = int(Actions.pickup), int(Actions.drop), int(Actions.toggle)
_DESCRIBABLE = frozenset(("ball", "box", "key", "door"))
_NEIGHBOURS = ((1, 0), (-1, 0), (0, 1), (0, -1))


def parse_vocabulary(goals: Sequence[str], aliases: Mapping[str, str] | None = None) -> list[BabyAIGoal]:
    """Parse every goal text, reading ``aliases[text]`` (its canonical goal) first where there is one.

    Example:
        >>> parse_vocabulary(["grab the red ball"], {"grab the red ball": "pick up the red ball"})[0].kind
        'pick up'

    Raises:
        UnknownGoalError: a goal (after aliasing) is outside the BabyAI grammar.
    """
    aliases = aliases or {}
    return [parse_goal(aliases.get(g, g)) for g in goals]


def _ids(table: dict[Any, list[int]], key: Any) -> np.ndarray:
    return np.asarray(table.get(key, ()), dtype=np.intp)


class BabyAIGoalDetector(GoalDetector):
    """Ground truth for BabyAI goals, equivalent to minigrid's ``instr.verify(action) == "success"``.

    At :meth:`reset` the level's own instruction is replaced by the desired goal's (``GoToInstr``,
    ``PickupInstr``, ``OpenInstr`` or ``PutNextInstr`` from :func:`goal_to_instr`), so the level terminates,
    sets its time limit and guides minigrid's ``BabyAIBot`` by the desired goal. For every goal of the
    vocabulary it then reproduces minigrid's non-strict verifiers:

    - go to: the cell in front of the agent is a recorded position of a matching object (positions are
      recorded at reset and refreshed after every ``drop`` action, as minigrid's ``update_objs_poss`` does);
    - pick up: ``pickup`` and the agent went from carrying nothing to carrying a matching object;
    - open: ``toggle`` and the cell in front is a matching door that is now open;
    - put X next to Y: ``drop`` of a matching X beside a recorded position of a matching Y.

    The objects matching each description are found once per episode; each step is a few dictionary lookups
    from a position or an object to arrays of goal indices, whatever the number of goals.

    Example:
        >>> import gymnasium as gym, minigrid
        >>> from teduo_gym.wrappers import LanguageGoalWrapper
        >>> env = LanguageGoalWrapper(gym.make("BabyAI-GoToRedBall-v0"),
        ...                           ["go to the red ball", "go to a key"], BabyAIGoalDetector())
        >>> obs, info = env.reset(seed=1, options={"goal": "go to a key"})
        >>> env.unwrapped.mission
        'go to a key'

    Args:
        aliases: paraphrased goal text -> canonical goal text, so reworded (test) goals are checked against
            their meaning.
    """

    def __init__(self, aliases: Mapping[str, str] | None = None):
        self.aliases: dict[str, str] = dict(aliases or {})
        self._vocab: tuple[str, ...] | None = None

    # -- vocabulary tables (once per vocabulary)
    def _set_vocabulary(self, goals: Sequence[str]) -> tuple[str, ...]:
        """Build the goal tables for ``goals`` unless they are the current vocabulary; returns the vocabulary."""
        vocab = tuple(goals)
        if vocab == self._vocab:
            return vocab
        parsed = parse_vocabulary(vocab, self.aliases)
        by_kind: dict[str, dict[ObjectRef, list[int]]] = {"go to": {}, "pick up": {}, "open": {}}
        put: dict[tuple[ObjectRef, ObjectRef], list[int]] = {}
        for i, g in enumerate(parsed):
            if g.target is None:
                by_kind[g.kind].setdefault(g.object, []).append(i)
            else:
                put.setdefault((g.object, g.target), []).append(i)
        self._vocab, self._parsed = vocab, parsed
        self._by_kind = by_kind
        self._put = {k: np.asarray(v, dtype=np.intp) for k, v in put.items()}
        self._put_move = {m for m, _ in put}
        self._put_fixed = {f for _, f in put}
        return vocab

    # -- episode
    def reset(self, env: gym.Env, observation: Any, goals: Sequence[str], desired: int) -> Any:
        """Make the level pursue ``goals[desired]`` and find the objects every goal refers to.

        Returns:
            the observation, with its ``"mission"`` (if it has one, possibly nested under ``"observation"``)
            replaced by the desired goal's text.
        """
        vocab = self._set_vocabulary(goals)
        level: Any = env.unwrapped  # a minigrid RoomGrid level
        if not hasattr(level, "instrs"):
            raise TypeError(f"{type(level).__name__} is not a BabyAI level (it has no `instrs`)")
        text = vocab[desired]
        instr = goal_to_instr(self._parsed[desired])
        level.instrs = instr
        instr.reset_verifier(level)
        level.mission = level.surface = text
        if hasattr(level, "num_navs_needed") and not getattr(level, "fixed_max_steps", True):
            level.max_steps = level.num_navs_needed(instr) * level.room_size**2 * level.num_rows * level.num_cols

        self._goto_of: dict[int, np.ndarray] = {}
        self._pickup_of: dict[int, np.ndarray] = {}
        self._open_of: dict[int, np.ndarray] = {}
        self._move_refs: dict[int, tuple[ObjectRef, ...]] = {}
        self._fixed_refs: dict[int, tuple[ObjectRef, ...]] = {}
        self._pos_of: dict[int, tuple[int, int]] = {}
        self._tracked: list[Any] = []  # holds the objects, so their ids stay unique
        width = level.grid.width
        for index, obj in enumerate(level.grid.grid):
            if obj is None or obj.type not in _DESCRIBABLE:
                continue
            refs = (ObjectRef(obj.type, obj.color), ObjectRef(obj.type))
            oid = id(obj)
            self._tracked.append(obj)
            self._pos_of[oid] = (index % width, index // width)
            for table, kind in (
                (self._goto_of, "go to"),
                (self._pickup_of, "pick up"),
                (self._open_of, "open"),
            ):
                ids = np.concatenate([_ids(self._by_kind[kind], r) for r in refs])
                if ids.size:
                    table[oid] = ids
            self._move_refs[oid] = tuple(r for r in refs if r in self._put_move)
            self._fixed_refs[oid] = tuple(r for r in refs if r in self._put_fixed)
        self._refresh_positions(level.grid)
        self._pre_carrying = None
        return _with_mission(observation, text)

    def _refresh_positions(self, grid: Any) -> None:
        """Record where the tracked objects now are, like minigrid's ``update_objs_poss``."""
        goto_at: dict[tuple[int, int], np.ndarray] = {}
        obj_at: dict[tuple[int, int], int] = {}
        for obj in self._tracked:
            oid = id(obj)
            pos = self._pos_of[oid]
            if grid.get(*pos) is obj:
                obj_at[pos] = oid
                if oid in self._goto_of:
                    goto_at[pos] = self._goto_of[oid]
        self._goto_at, self._obj_at = goto_at, obj_at

    def detect(self, env: gym.Env, observation: Any, action: Any | None, goal_ids: np.ndarray) -> np.ndarray:
        """Which of ``goal_ids`` the last transition achieved (all ``False`` right after a reset)."""
        if self._vocab is None:
            raise RuntimeError("BabyAIGoalDetector.detect called before reset")
        hit = np.zeros(len(self._vocab), dtype=bool)
        if action is None:
            return hit[goal_ids]
        level: Any = env.unwrapped  # a minigrid level
        a = int(action)
        carrying = level.carrying
        pre, self._pre_carrying = self._pre_carrying, carrying

        if a == _DROP:
            if pre is not None and carrying is None and id(pre) in self._pos_of:
                self._pos_of[id(pre)] = (int(pre.cur_pos[0]), int(pre.cur_pos[1]))
            self._refresh_positions(level.grid)
        fx, fy = level.front_pos
        front = (int(fx), int(fy))
        found = self._goto_at.get(front)
        if found is not None:
            hit[found] = True
        if a == _PICKUP:
            if pre is None and carrying is not None and id(carrying) in self._pickup_of:
                hit[self._pickup_of[id(carrying)]] = True
        elif a == _TOGGLE:
            cell = level.grid.get(*front)
            if cell is not None and cell.type == "door" and cell.is_open and id(cell) in self._open_of:
                hit[self._open_of[id(cell)]] = True
        elif a == _DROP and pre is not None and self._move_refs.get(id(pre)):
            px, py = int(pre.cur_pos[0]), int(pre.cur_pos[1])
            for dx, dy in _NEIGHBOURS:
                other = self._obj_at.get((px + dx, py + dy))
                if other is None:
                    continue
                for move in self._move_refs[id(pre)]:
                    for fixed in self._fixed_refs[other]:
                        ids = self._put.get((move, fixed))
                        if ids is not None:
                            hit[ids] = True
        return hit[goal_ids]


def _with_mission(observation: Any, text: str) -> Any:
    if isinstance(observation, dict):
        if "mission" in observation:
            return {**observation, "mission": text}
        if "observation" in observation:
            return {**observation, "observation": _with_mission(observation["observation"], text)}
    return observation


def mission_goal_sampler(
    env: gym.Env, goals: Sequence[str], rng: np.random.Generator, aliases: Mapping[str, str] | None = None
) -> int:
    """The vocabulary index of the level's own mission (compared by meaning, so determiners may differ).

    Example:
        >>> import gymnasium as gym, minigrid
        >>> env = gym.make("BabyAI-GoToRedBall-v0")
        >>> _ = env.reset(seed=1)
        >>> mission_goal_sampler(env, ["go to a key", "go to the red ball"], np.random.default_rng(0))
        1

    Raises:
        UnknownGoalError: the mission is outside the grammar or not in the vocabulary.
    """
    level: Any = env.unwrapped  # a minigrid level
    mission: str = level.mission
    try:
        wanted = parse_goal(mission)
    except UnknownGoalError as error:
        raise UnknownGoalError(
            mission,
            list(goals),
            where="the goal vocabulary: the level's mission is outside the BabyAI goal "
            "grammar; use goal_sampler='feasible'",
        ) from error
    for i, g in enumerate(goals):
        try:
            if parse_goal((aliases or {}).get(g, g)) == wanted:
                return i
        except UnknownGoalError:
            continue
    raise UnknownGoalError(mission, list(goals), where="the goal vocabulary (the level's mission)")


def feasible_goal_sampler(
    env: gym.Env, goals: Sequence[str], rng: np.random.Generator, aliases: Mapping[str, str] | None = None
) -> int:
    """A goal chosen uniformly among those whose objects exist in the current layout.

    Example:
        >>> import gymnasium as gym, minigrid
        >>> env = gym.make("BabyAI-GoToRedBall-v0")
        >>> _ = env.reset(seed=1)
        >>> goals = ["go to the blue ball", "go to the red ball"]
        >>> feasible_goal_sampler(env, goals, np.random.default_rng(0))
        1

    Raises:
        ValueError: no goal of the vocabulary is feasible in this layout.
    """
    ok = feasible_goals(env, parse_vocabulary(goals, aliases))
    if ok.size == 0:
        level: Any = env.unwrapped  # a minigrid level
        raise ValueError(
            f"none of the {len(goals)} goals is feasible in this layout (mission {level.mission!r}); "
            "use a larger goal vocabulary"
        )
    return int(ok[rng.integers(ok.size)])
