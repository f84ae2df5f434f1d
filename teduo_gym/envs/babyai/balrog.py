"""BALROG's BabyAI: the five BabyAI-Text tasks of the BALROG benchmark, with BALROG's text and action names.

- :data:`BALROG_TASKS` -- BALROG's task names -> readable kinds; :data:`BALROG_ENV_IDS` -- their gymnasium ids.
- :func:`balrog_env_id` -- the id of a task, with a clear error for unknown names.
- :class:`BalrogLevel` -- BabyAI-Text's ``Level_MixedTrainLocal`` restricted to one instruction type, registered
  (once, on import) as ``BabyAI-BalrogGoTo-v0``, ``-BalrogPickup-``, ``-BalrogOpen-``, ``-BalrogPutNext-`` and
  ``-BalrogPickUpThenGoTo-v0``.
- :func:`describe_balrog` -- the egocentric view as BALROG's text, line for line.
- :func:`make_balrog_env` -- a task's level as a language-goal environment with BALROG's text.
- :data:`BALROG_ACTIONS`, :data:`BALROG_TEMPLATE` -- BALROG's action names and its instruction prompt.

Sources (public code):

- balrog-ai/BALROG ``balrog/config/config.yaml``: tasks ``BabyAI-MixedTrainLocal-v0/{goto, pickup, open, putnext,
  pick_up_seq_go_to}``, 10 episodes per task; ``balrog/environments/babyai_text/babyai_env.py``: each task is
  ``gym.make("BabyAI-MixedTrainLocal-v0")`` remade until its single instruction type (``action_kinds[0]``, spaces
  as ``_``) is the task; ``clean_lang_wrapper.py``: the actions ``BABYAI_ACTION_SPACE`` and the text, the lines
  of ``info["descriptions"]`` without ``"You see "``, joined by newlines.
- flowersteam/Grounding_LLMs_with_online_RL ``babyai-text/babyai_text/levels/mixed_seq_levels.py``
  (``Level_MixedTrainLocal``, ported to gymnasium minigrid in BALROG's minigrid fork) and
  ``babyai-text/gym-minigrid/gym_minigrid/minigrid.py`` (``gen_graph``, which writes the descriptions).

MixedTrainLocal, as reproduced here: one 8x8 room (two side by side for "open"); ``num_dists`` (8) random keys,
balls and boxes, colours may repeat, plus the objects of the mission (goto and pickup: 8 + 1 objects, one of them
the target; putnext and pick up then go to: 8 + 2); the agent at a random cell and direction; every object
reachable. "open": a door of colour yellow, green, blue or purple between the rooms, locked, its key and the 8
distractors in the agent's room; the mission names the door's colour or not (``"open the door"``). Missions
mentioning "yellow box", "red key", "red door", "green ball" or "grey door" are redrawn (BabyAI-Text holds them
out for testing). "pick up then go to" is ``"pick up X, then go to Y"`` or ``"go to Y after you pick up X"``,
Y another object unless two objects fit X. The time limit is minigrid's: 64 steps for goto and pickup, 128 for
open, putnext and pick up then go to. The random draws follow ``Level_MixedTrainLocal`` call for call; the
fork's ``add_locked_room(color)`` is not public, so it is assumed to draw like minigrid's ``add_locked_room``.

Not settled by the sources: later BALROG commits pass ``config.envs.babyai_kwargs`` (``num_dists: 0``) to
``gym.make`` or fix ``max_steps=100``; the defaults here are those of the release that produced the leaderboard
(``gym.make(base_task)`` with the level's defaults); ``make_balrog_env(num_dists=0, max_steps=100)`` gives the
others.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from itertools import product
from typing import Any

import gymnasium as gym
import numpy as np
from minigrid.core.constants import COLOR_NAMES
from minigrid.core.roomgrid import Room, RoomGrid
from minigrid.core.world_object import WorldObj
from minigrid.envs.babyai.core.roomgrid_level import RoomGridLevel
from minigrid.envs.babyai.core.verifier import (
    AfterInstr,
    BeforeInstr,
    GoToInstr,
    Instr,
    ObjDesc,
    OpenInstr,
    PickupInstr,
    PutNextInstr,
)

from teduo_gym.envs.babyai import make_babyai_env
from teduo_gym.envs.babyai.describe import _EMPTY, _UNSEEN, _WALL, _object_words, _steps, egocentric_image
from teduo_gym.envs.babyai.layouts import QuietGeneration
from teduo_gym.wrappers import TextObservationWrapper, UnknownGoalError

__all__ = [
    "BALROG_ACTIONS",
    "BALROG_ENV_IDS",
    "BALROG_TASKS",
    "BALROG_TEMPLATE",
    "BalrogLevel",
    "balrog_env_id",
    "describe_balrog",
    "make_balrog_env",
]

#: BALROG's BabyAI tasks (its names) -> the kind of instruction each one asks for.
BALROG_TASKS: dict[str, str] = {
    "goto": "go to",
    "pickup": "pick up",
    "open": "open",
    "putnext": "put next to",
    "pick_up_seq_go_to": "pick up then go to",
}
#: The gymnasium id of each task's level.
BALROG_ENV_IDS: dict[str, str] = {
    "goto": "BabyAI-BalrogGoTo-v0",
    "pickup": "BabyAI-BalrogPickup-v0",
    "open": "BabyAI-BalrogOpen-v0",
    "putnext": "BabyAI-BalrogPutNext-v0",
    "pick_up_seq_go_to": "BabyAI-BalrogPickUpThenGoTo-v0",
}
#: BALROG's names of minigrid's actions 0-5 (``BABYAI_ACTION_SPACE``); it never uses ``done`` (6).
BALROG_ACTIONS: tuple[str, ...] = ("turn left", "turn right", "go forward", "pick up", "drop", "toggle")
#: BALROG's BabyAI instruction prompt (``get_instruction_prompt``) and its naive agent's request for an action, as
#: one :class:`~teduo_gym.agents.LLMAgent` template around the goal and the text. BALROG sends them as chat
#: messages with the last 16 observations and actions; this template holds the current observation only.
BALROG_TEMPLATE = (
    "You are an agent playing a simple navigation game. Your goal is to {goal}. The following are the possible "
    "actions you can take in the game, followed by a short description of each action:\n\n"
    "turn left: turn to the left,\nturn right: turn to the right,\ngo forward: take one step forward,\n"
    "pick up: pick up the object below you,\ndrop: drop the object that you are holding,\n"
    "toggle: manipulate the object in front of you.\n\n"
    "In a moment I will present you an observation.\n\n"
    "Tips:\n- Once the desired object you want to interact or pickup in front of you, you can use the 'toggle' "
    "action to interact with it.\n- It doesn't make sense to repeat the same action over and over if the "
    "observation doesn't change.\n\nPLAY!\n\n"
    "Current Observation:\n\n{state}\n\n"
    "You can only output one of the above actions at a time, and always have to output an action until the "
    "episode terminates.\nAction:"
)

_EXCLUDED = ("yellow box", "red key", "red door", "green ball", "grey door")
_DOOR_COLORS = ("yellow", "green", "blue", "purple")
_MOVABLE = ("ball", "box", "key")


def balrog_env_id(task: str) -> str:
    """The gymnasium id of a BALROG task's level.

    Example:
        >>> balrog_env_id("pick_up_seq_go_to")
        'BabyAI-BalrogPickUpThenGoTo-v0'

    Raises:
        ValueError: ``task`` is not one of :data:`BALROG_TASKS`; the message names them.
    """
    if task not in BALROG_ENV_IDS:
        raise ValueError(f"unknown BALROG task {task!r}; the BabyAI tasks are {', '.join(BALROG_TASKS)}")
    return BALROG_ENV_IDS[task]


class BalrogLevel(RoomGridLevel):
    """BabyAI-Text's ``Level_MixedTrainLocal`` with its instruction type fixed to one BALROG task.

    BALROG remakes MixedTrainLocal (which draws its instruction type when built) until the type is the task;
    this level builds the task's type directly, drawing layouts and missions as MixedTrainLocal does (see the
    module docstring). The level's own verifier ends the episode with a reward > 0 on success.

    Example:
        >>> import gymnasium as gym
        >>> env = gym.make("BabyAI-BalrogPickUpThenGoTo-v0")
        >>> _ = env.reset(seed=3)
        >>> env.unwrapped.mission, env.unwrapped.max_steps
        ('go to the purple box after you pick up the grey box', 128)

    Args:
        task: one of :data:`BALROG_TASKS`.
        room_size: the side of a room, walls included.
        num_dists: random objects besides those the mission names (for "open": all of them).
        **kwargs: passed to ``RoomGridLevel`` (``max_steps`` fixes the time limit, ``render_mode``...).
    """

    instrs: Instr

    def __init__(self, task: str, room_size: int = 8, num_dists: int = 8, **kwargs: Any):
        balrog_env_id(task)
        self.task = task
        self.num_dists = num_dists
        self.locked_room: Room | None = None
        super().__init__(room_size=room_size, num_rows=1, num_cols=2 if task == "open" else 1, **kwargs)

    def gen_mission(self) -> None:
        """Draw layouts and missions until every object is reachable and the mission avoids held-out pairs."""
        accepted = False
        while not accepted:
            RoomGrid._gen_grid(self, self.width, self.height)  # fresh walls, rooms and door positions
            reachable = self._open_mission() if self.task == "open" else self._one_room_mission()
            accepted = reachable and not any(pair in self.instrs.surface(self) for pair in _EXCLUDED)

    def _one_room_mission(self) -> bool:
        self.place_agent()
        extra = 1 if self.task in ("goto", "pickup") else 2
        objs = self.add_distractors(num_distractors=self.num_dists + extra, all_unique=False)
        reachable = self.check_objs_reachable(raise_exc=False)
        first = self._rand_elem(objs)
        desc = ObjDesc(first.type, first.color)
        if self.task == "goto":
            self.instrs = GoToInstr(desc)
        elif self.task == "pickup":
            self.instrs = PickupInstr(desc)
        else:
            second = self._other(objs, first, desc)
            if self.task == "putnext":
                self.instrs = PutNextInstr(desc, ObjDesc(second.type, second.color))
            else:
                pick, go = PickupInstr(desc), GoToInstr(ObjDesc(second.type, second.color))
                before = self._rand_elem(["Before", "After"]) == "Before"
                self.instrs = BeforeInstr(pick, go) if before else AfterInstr(go, pick)
        return reachable

    def _other(self, objs: Sequence[WorldObj], first: WorldObj, desc: ObjDesc) -> WorldObj:
        """A second object; one that looks like ``first`` only when another object fits ``desc`` too."""
        second = self._rand_elem(objs)
        if (second.type, second.color) == (first.type, first.color) and len(desc.find_matching_objs(self)[0]) < 2:
            while (second.type, second.color) == (first.type, first.color):
                second = self._rand_elem(objs)
        return second

    def _open_mission(self) -> bool:
        color = self._rand_elem(_DOOR_COLORS)
        self._add_locked_room(color)
        self.connect_all()
        for i in range(self.num_cols):
            if self.get_room(i, 0) is not self.locked_room:
                self.add_distractors(i, 0, num_distractors=self.num_dists, all_unique=False)
        self.place_agent()
        while self.room_from_pos(*self.agent_pos) is self.locked_room:
            self.place_agent()
        reachable = self.check_objs_reachable(raise_exc=False)
        self.instrs = OpenInstr(ObjDesc("door", self._rand_elem([None, color])))
        return reachable

    def _add_locked_room(self, color: str) -> None:
        """minigrid's ``LevelGen.add_locked_room`` with the door's colour given: a locked door, its key outside."""
        while True:
            i, j, side = self._rand_int(0, self.num_cols), self._rand_int(0, self.num_rows), self._rand_int(0, 4)
            self.locked_room = self.get_room(i, j)
            if self.locked_room.neighbors[side] is not None:
                break
        door, _ = self.add_door(i, j, side, color=color, locked=True)
        while True:
            i, j = self._rand_int(0, self.num_cols), self._rand_int(0, self.num_rows)
            if self.get_room(i, j) is not self.locked_room:
                self.add_object(i, j, "key", door.color)
                return


def _register() -> None:
    for task, env_id in BALROG_ENV_IDS.items():
        if env_id not in gym.registry:
            gym.register(env_id, entry_point=f"{__name__}:BalrogLevel", kwargs={"task": task})


_register()


def describe_balrog(env: Any, observation: Any) -> str:
    """The egocentric view as BALROG's BabyAI text (BabyAI-Text's descriptions without ``"You see "``).

    Lines, in this order: ``"You carry a blue key"`` if the agent carries something; the first wall straight
    ``forward``, ``left`` and ``right`` (``"a wall 2 steps forward"``), each only if no object stands between;
    then every visible object, by column from left to right and, within a column, from the farthest to the
    nearest (``"a red ball 1 step left and 3 steps forward"``, ``"a closed blue door 2 steps right"``).

    It differs from :func:`~teduo_gym.envs.babyai.describe_egocentric` in the order, in reporting a wall only
    when nothing hides it, in the carried line (no period, none when empty hands) and in always writing "a":
    BabyAI-Text's test for "an" compares the door state's name with 0, so an open door reads ``"a open ..."``.

    Example:
        >>> env = make_balrog_env("goto")
        >>> obs, info = env.reset(seed=6)
        >>> print(describe_balrog(env, obs))
        a wall 2 steps forward
        a purple key 2 steps left
        a grey key 1 step right and 1 step forward
        a yellow ball 2 steps right

    Args:
        env: unused (may be ``None``).
        observation: any form :func:`~teduo_gym.envs.babyai.egocentric_image` accepts.
    """
    image = egocentric_image(observation)
    side = image.shape[0]
    ax, ay = side // 2, side - 1
    types = image[:, :, 0]
    lines = []
    carried = image[ax, ay].tolist()
    if carried[0] not in (_UNSEEN, _EMPTY):
        lines.append(f"You carry a {_object_words(*carried)}")
    for word, cells in (
        ("forward", types[ax, ay - 1 :: -1]),
        ("left", types[ax - 1 :: -1, ay]),
        ("right", types[ax + 1 :, ay]),
    ):
        seen = np.flatnonzero((cells != _UNSEEN) & (cells != _EMPTY))
        if seen.size and cells[seen[0]] == _WALL:
            lines.append(f"a wall {_steps(int(seen[0]) + 1, word)}")
    for x, y in zip(*np.nonzero(types > _WALL)):  # column by column, far to near
        dx, dy = int(x) - ax, ay - int(y)
        if dx == 0 and dy == 0:
            continue
        where = [] if dx == 0 else [_steps(abs(dx), "left" if dx < 0 else "right")]
        if dx == 0 or dy:
            where.append(_steps(dy, "forward"))
        lines.append(f"a {_object_words(*image[x, y].tolist())} {' and '.join(where)}")
    return "\n".join(lines)


@cache
def _mission_texts(task: str) -> tuple[str, ...]:
    """Every mission the task's level can state (either determiner), none naming a held-out pair."""
    refs = [f"{d} {c} {t}" for d, c, t in product(("the", "a"), COLOR_NAMES, _MOVABLE)]
    if task == "goto":
        texts = [f"go to {r}" for r in refs]
    elif task == "pickup":
        texts = [f"pick up {r}" for r in refs]
    elif task == "open":
        texts = [f"open {d} {c}door" for d, c in product(("the", "a"), ("", *(f"{c} " for c in COLOR_NAMES)))]
    else:
        texts = [f"put {a} next to {b}" for a, b in product(refs, refs)]
    return tuple(t for t in texts if not any(pair in t for pair in _EXCLUDED))


def _exact_mission(env: gym.Env, goals: Sequence[str], rng: np.random.Generator) -> int:
    """The vocabulary index of the level's mission text, word for word."""
    level: Any = env.unwrapped  # a BabyAI level
    mission: str = level.mission
    if mission not in goals:
        raise UnknownGoalError(mission, goals, where="the BALROG task's missions")
    return list(goals).index(mission)


def make_balrog_env(task: str, *, max_steps: int | None = None, num_dists: int = 8) -> gym.Env:
    """A BALROG BabyAI task as a language-goal environment whose text is :func:`describe_balrog`'s.

    goto, pickup, open and putnext: :func:`~teduo_gym.envs.babyai.make_babyai_env` on the task's level, with the
    vocabulary of every mission the level can state, word for word, so the episode's goal (``info["goal"]``) is
    the level's mission text exactly as BALROG shows it, and :class:`~teduo_gym.envs.babyai.BabyAIGoalDetector`
    (minigrid's verifier semantics) gives ``info["is_success"]``.

    pick_up_seq_go_to: its missions ("pick up X, then go to Y") are outside the goal grammar, which
    ``make_babyai_env`` rejects at reset, so the level is only wrapped in
    :class:`~teduo_gym.wrappers.TextObservationWrapper`: the observation is minigrid's (image, direction,
    mission) plus ``"text"``, the goal is the mission, and success is the level's reward > 0, which is BALROG's
    own test (``info`` has no ``"goal"``/``"is_success"``; :func:`~teduo_gym.evaluation.run_episodes` falls back
    to the mission and the reward).

    Example:
        >>> env = make_balrog_env("open")
        >>> obs, info = env.reset(seed=1)
        >>> info["goal"], env.unwrapped.max_steps
        ('open the blue door', 128)

    Args:
        task: one of :data:`BALROG_TASKS`.
        max_steps: a fixed time limit; by default minigrid's for the mission (64 or 128 steps, as BALROG used).
        num_dists: random objects besides the mission's (MixedTrainLocal: 8).

    Raises:
        ValueError: an unknown task; the message names the tasks.
    """
    env_id = balrog_env_id(task)
    kwargs: dict[str, Any] = {"num_dists": num_dists}
    if max_steps is not None:
        kwargs["max_steps"] = max_steps
    if task == "pick_up_seq_go_to":
        return TextObservationWrapper(QuietGeneration(gym.make(env_id, **kwargs)), describe_balrog)
    return make_babyai_env(
        env_id, _mission_texts(task), describer=describe_balrog, goal_sampler=_exact_mission, track="desired", **kwargs
    )
