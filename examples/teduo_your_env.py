"""TEDUO on your own environment, in one file: a small symbolic world, its knowledge, and the whole method on it.

The world, :class:`TileWorld`, is a 5x5 floor of tiles with four items on it, each a gem, key, ball or box in red,
blue, green, yellow or purple. The agent walks ``north`` / ``south`` / ``east`` / ``west``, can ``pick`` up the item on
its tile (with empty hands) and ``drop`` what it carries on a free tile. A reset seed lays out the items and the
agent. Goals: ``go to the red gem`` (stand on its tile) and ``pick up the blue key``.

Everything teduo-gym needs to know about it is :class:`YourEnvKnowledge`, a subclass of
:class:`teduo_gym.EnvKnowledge`:

- ``action_words``, ``describers``: one word per action; the state as text;
- ``goals``, ``goal_kind``, ``paraphrase``: the goal space, its kinds, and rewordings for held-out test goals;
- ``make_env``: the world behind :class:`~teduo_gym.wrappers.LanguageGoalWrapper`, with the ground-truth
  :class:`~teduo_gym.wrappers.GoalDetector` :class:`TileGoalDetector`;
- ``symbolic_state``, ``state_layout``, ``feasible_goals``: what a dataset stores, and which goals a layout allows;
- ``goal_schema``: :class:`TileGoalSchema`, for compiled labelling: the slots an LLM fills once per goal (kind, item,
  colour) and the fixed code that abstracts, describes and checks stored states under its answers;
- ``expert_policy``: :class:`TilePlanner`, a scripted planner, so that ``"mixture"`` data reach goals.

Importing this file registers the knowledge for ids ``YourGrid-*``; the command line also takes it by name (run
from the repository root, so that ``examples`` imports)::

    teduo collect --env examples.teduo_your_env:YourEnvKnowledge --layouts 4 --out runs/yourgrid-data
    teduo run --config examples/your-env-quick.json    # its "env": "examples.teduo_your_env:YourEnvKnowledge"

``python examples/teduo_your_env.py`` runs TEDUO end to end on it (collect, label, offline RL, fine-tune the
embedded SmolLM2, evaluate; about 6 minutes on 2 idle CPU cores) and prints the success of the fine-tuned LLM
agent beside the untuned model and a random agent, on training and held-out layouts and goals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

import teduo_gym
from teduo_gym.core.observation import batch_size
from teduo_gym.envs import EnvKnowledge, KnowledgeError, Slot
from teduo_gym.wrappers import GoalDetector, LanguageGoalWrapper, UnknownGoalError

__all__ = [
    "TileGoalDetector",
    "TileGoalSchema",
    "TilePlanner",
    "TileWorld",
    "YourEnvKnowledge",
    "main",
    "parse_tile_goal",
]

#: Side of the square floor.
SIZE = 5
#: Items on the floor after a reset.
N_ITEMS = 4
ITEMS = ("gem", "key", "ball", "box")
COLOURS = ("red", "blue", "green", "yellow", "purple")
ACTIONS = ("north", "south", "east", "west", "pick", "drop")
NORTH, SOUTH, EAST, WEST, PICK, DROP = range(len(ACTIONS))
MOVES = {NORTH: (0, -1), SOUTH: (0, 1), EAST: (1, 0), WEST: (-1, 0)}
KINDS = ("go to", "pick up")
#: Step cap of an episode unless ``make_env`` is given one.
MAX_STEPS = 24
#: The ``kind`` of :meth:`YourEnvKnowledge.state_layout` (what a dataset records).
LAYOUT_KIND = "yourgrid-symbolic/1"

#: Words for each verb, item and colour: the first is canonical, the others reword held-out test goals.
VERBS = {"go to": ("go to", "walk to", "reach", "head to"), "pick up": ("pick up", "grab", "take", "collect")}
NOUNS = {
    "gem": ("gem", "jewel", "crystal"),
    "key": ("key",),
    "ball": ("ball", "sphere", "orb"),
    "box": ("box", "crate", "chest"),
}
ADJECTIVES = {
    "red": ("red", "scarlet", "crimson"),
    "blue": ("blue", "azure", "navy"),
    "green": ("green", "emerald", "jade"),
    "yellow": ("yellow", "golden", "amber"),
    "purple": ("purple", "violet", "lavender"),
}
GOALS = tuple(f"{kind} the {colour} {item}" for kind in KINDS for item in ITEMS for colour in COLOURS)


def _reverse(words: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {w: canonical for canonical, synonyms in words.items() for w in synonyms}


_VERB, _NOUN, _ADJECTIVE = _reverse(VERBS), _reverse(NOUNS), _reverse(ADJECTIVES)
_GOAL = re.compile(r"^(?P<verb>.+?) (?:the|a|an) (?P<colour>\w+) (?P<item>\w+)$")


def parse_tile_goal(text: str) -> tuple[str, str, str]:
    """``(kind, item, colour)`` of a goal, canonical or reworded with the synonyms of :data:`VERBS`,
    :data:`NOUNS` and :data:`ADJECTIVES`.

    Example:
        >>> parse_tile_goal("Grab the crimson orb")
        ('pick up', 'ball', 'red')

    Raises:
        UnknownGoalError: not a goal of TileWorld (the message names the nearest ones).
    """
    match = _GOAL.match(" ".join(text.lower().split()))
    kind, item, colour = (
        (_VERB.get(match["verb"]), _NOUN.get(match["item"]), _ADJECTIVE.get(match["colour"])) if match else (None,) * 3
    )
    if kind is None or item is None or colour is None:
        raise UnknownGoalError(text, GOALS, "TileWorld's goals")
    return kind, item, colour


def _code(item: str, colour: str) -> tuple[int, int]:
    """The (item, colour) code of a cell of the state vector (0 is nothing)."""
    return ITEMS.index(item) + 1, COLOURS.index(colour) + 1


class TileWorld(gym.Env[np.ndarray, np.int64]):
    """A 5x5 floor with four coloured items; the observation is the state vector itself.

    State vector (uint8): ``SIZE * SIZE`` cells of (item, colour) codes row by row (0: nothing; item ``i`` of
    :data:`ITEMS` is ``i + 1``, the same for :data:`COLOURS`), then the agent's column and row, then the carried
    (item, colour). Moving off the floor, picking with full hands or on an empty tile, and dropping on a taken tile
    change nothing. There is no reward: goals and rewards come from :class:`~teduo_gym.wrappers.LanguageGoalWrapper`.

    Example:
        >>> env = TileWorld()
        >>> obs, _ = env.reset(seed=0)
        >>> obs.shape, int((obs[: SIZE * SIZE * 2 : 2] > 0).sum())
        ((54,), 4)
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, size: int = SIZE, n_items: int = N_ITEMS):
        self.size, self.n_items = size, n_items
        self.observation_space = spaces.Box(0, 255, (size * size * 2 + 4,), np.uint8)
        self.action_space = spaces.Discrete(len(ACTIONS))
        self.items = np.zeros((size, size, 2), np.uint8)  # [row, column] -> (item, colour)
        self.agent = np.zeros(2, np.int64)  # column, row
        self.carried = np.zeros(2, np.uint8)
        #: the canonical text of the episode's goal (set by :class:`TileGoalDetector`; the planner follows it).
        self.mission = ""

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        kinds = self.np_random.choice(len(ITEMS) * len(COLOURS), self.n_items, replace=False)
        cells = self.np_random.choice(self.size * self.size, self.n_items + 1, replace=False)
        self.items[:] = 0
        for kind, cell in zip(kinds, cells):
            self.items[cell // self.size, cell % self.size] = (kind // len(COLOURS) + 1, kind % len(COLOURS) + 1)
        self.agent = np.array([cells[-1] % self.size, cells[-1] // self.size])
        self.carried[:] = 0
        return self.state_vector(), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        action = int(action)
        x, y = self.agent
        if action in MOVES:
            self.agent = np.clip(self.agent + MOVES[action], 0, self.size - 1)
        elif action == PICK and not self.carried.any() and self.items[y, x].any():
            self.carried[:] = self.items[y, x]
            self.items[y, x] = 0
        elif action == DROP and self.carried.any() and not self.items[y, x].any():
            self.items[y, x] = self.carried
            self.carried[:] = 0
        return self.state_vector(), 0.0, False, False, {}

    def state_vector(self) -> np.ndarray:
        """The state as the flat uint8 vector a dataset stores."""
        return np.concatenate([self.items.reshape(-1), self.agent, self.carried]).astype(np.uint8)


def _split(states: np.ndarray, size: int = SIZE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(n, D)`` state vectors -> items ``(n, size, size, 2)`` [row, column], agent ``(n, 2)``, carried ``(n, 2)``."""
    states = np.asarray(states)
    n = len(states)
    return states[:, : size * size * 2].reshape(n, size, size, 2), states[:, -4:-2].astype(np.int64), states[:, -2:]


def _offset(dx: int, dy: int) -> str:
    parts = [f"{abs(dy)} {'north' if dy < 0 else 'south'}"] if dy else []
    parts += [f"{abs(dx)} {'east' if dx > 0 else 'west'}"] if dx else []
    return ", ".join(parts) or "here"


def _name(code: np.ndarray) -> str:
    return f"the {COLOURS[code[1] - 1]} {ITEMS[code[0] - 1]}"


def describe_full(env: Any, observation: Any) -> str:
    """The whole state as text, from the observation alone (``env`` may be None): each item relative to the agent.

    Example:
        >>> env = TileWorld(); obs, _ = env.reset(seed=0)
        >>> print(describe_full(None, obs))
        the red key: 3 north, 3 west
        the purple key: 3 north
        the purple ball: 3 west
        the blue ball: 1 south, 1 west
        You carry nothing.
    """
    state = observation["observation"] if isinstance(observation, Mapping) else observation
    items, agent, carried = _split(np.asarray(state)[None])
    rows, cols = np.nonzero(items[0, ..., 0])
    where = [f"{_name(items[0, r, c])}: {_offset(c - agent[0, 0], r - agent[0, 1])}" for r, c in zip(rows, cols)]
    carry = _name(carried[0]) if carried[0, 0] else "nothing"
    return "\n".join([*where, f"You carry {carry}."])


class TileGoalDetector(GoalDetector):
    """Ground truth: ``go to X`` is achieved when the agent stands on X's tile, ``pick up X`` by the ``pick`` that
    takes X into empty hands.

    Example:
        >>> env = LanguageGoalWrapper(TileWorld(), ["go to the blue ball"], TileGoalDetector())
        >>> _ = env.reset(seed=0)
        >>> [env.step(action)[1] for action in (SOUTH, WEST)]
        [0.0, 1.0]

    Args:
        aliases: reworded goal text -> canonical goal text (a reworded goal is also parsed without one).
    """

    def __init__(self, aliases: Mapping[str, str] | None = None):
        self.aliases = dict(aliases or {})
        self._codes: np.ndarray = np.zeros((0, 2), np.uint8)
        self._picks = np.zeros(0, bool)
        self._carried_before = np.zeros(2, np.uint8)

    def reset(self, env: gym.Env, observation: Any, goals: Sequence[str], desired: int) -> Any:
        parsed = [parse_tile_goal(self.aliases.get(g, g)) for g in goals]
        self._codes = np.array([_code(item, colour) for _, item, colour in parsed], np.uint8).reshape(-1, 2)
        self._picks = np.array([kind == "pick up" for kind, _, _ in parsed])
        kind, item, colour = parsed[desired]
        env.unwrapped.mission = f"{kind} the {colour} {item}"  # type: ignore[attr-defined]
        self._carried_before = env.unwrapped.carried.copy()  # type: ignore[attr-defined]
        return observation

    def detect(self, env: gym.Env, observation: Any, action: Any | None, goal_ids: np.ndarray) -> np.ndarray:
        world: TileWorld = env.unwrapped  # type: ignore[assignment]
        x, y = world.agent
        codes, picks = self._codes[goal_ids], self._picks[goal_ids]
        on = (codes == world.items[y, x]).all(axis=1)
        picked = (action is not None and int(action) == PICK) and not self._carried_before.any()
        holds = (codes == world.carried).all(axis=1)
        self._carried_before = world.carried.copy()
        return np.where(picks, picked & holds, on)


#: The questions of a choice (scored, never generated): what to do, to which item, of which colour; each option
#: is described by its words (:data:`VERBS`, :data:`NOUNS`, :data:`ADJECTIVES`), which a goal's words are matched to.
SLOTS = (
    Slot(
        "kind",
        "Which action does the goal ask for: go or pick?",
        ("go", "pick"),
        (
            ("go to the red gem", "go"),
            ("pick up the blue key", "pick"),
            ("go to the green box", "go"),
            ("pick up the yellow ball", "pick"),
            ("go to the blue key", "go"),
            ("pick up the green gem", "pick"),
        ),
        descriptions={kind.split()[0]: ", ".join(words) for kind, words in VERBS.items()},
    ),
    Slot(
        "item",
        "Which item is named? gem, key, ball or box.",
        ITEMS,
        (
            ("go to the red gem", "gem"),
            ("pick up the blue key", "key"),
            ("go to the green box", "box"),
            ("pick up the purple ball", "ball"),
            ("go to the yellow key", "key"),
            ("pick up the red gem", "gem"),
        ),
        descriptions={item: ", ".join(words) for item, words in NOUNS.items()},
    ),
    Slot(
        "colour",
        "Which colour is the item? red (also scarlet, crimson), blue (azure, navy), green (emerald, jade), yellow "
        "(golden, amber) or purple (violet, lavender).",
        COLOURS,
        (
            ("go to the red gem", "red"),
            ("pick up the blue key", "blue"),
            ("go to the green box", "green"),
            ("pick up the yellow ball", "yellow"),
            ("go to the purple key", "purple"),
        ),
        descriptions={colour: ", ".join(words) for colour, words in ADJECTIVES.items()},
    ),
)


@dataclass(frozen=True)
class TileGoalSchema:
    """TileWorld's goal schema (:class:`teduo_gym.envs.GoalSchema`): compiled labelling and the abstraction.

    Abstract states keep the agent and the goal item, and drop the rest: ``(where, dx, dy, carrying, tile)`` with
    ``where`` 0 (the item is not in the layout), 1 (on the floor, ``dx`` columns east and ``dy`` rows south of the
    agent, offset by ``size - 1``) or 2 (in hand); ``carrying`` 0 (nothing), 1 (the goal item), 2 (another item);
    ``tile`` 1 when the agent carries something and its tile is taken (it cannot drop there).

    Example:
        >>> schema = TileGoalSchema()
        >>> env = TileWorld(); obs, _ = env.reset(seed=0)
        >>> choice = schema.oracle_choice("pick up the blue ball")
        >>> schema.describe(schema.abstract(obs[None], choice), choice)
        ['task: pick up / target: 1 south, 1 west / carrying nothing']
    """

    size: int = SIZE
    slots: tuple[Slot, ...] = SLOTS

    def canonical_goal(self, text: str) -> str:
        """The canonical text of a goal (reworded ones too); raises ``UnknownGoalError``."""
        kind, item, colour = parse_tile_goal(text)
        return f"{kind} the {colour} {item}"

    def goal_kind(self, text: str) -> str:
        """``"go to"`` or ``"pick up"``."""
        return parse_tile_goal(text)[0]

    def oracle_choice(self, text: str) -> dict[str, str]:
        """The exact choice for a goal."""
        kind, item, colour = parse_tile_goal(text)
        return {"kind": kind.split()[0], "item": item, "colour": colour}

    def abstract(self, states: np.ndarray, choice: Mapping[str, str]) -> np.ndarray:
        """``(n, D)`` states -> ``(n, 5)`` abstract states (the class docstring says what they hold)."""
        items, agent, carried = _split(states, self.size)
        n, code = len(items), np.array(_code(choice["item"], choice["colour"]), np.uint8)
        hit = (items == code).all(axis=-1).reshape(n, -1)  # at most one cell: items of a layout are distinct
        on_floor = hit.any(axis=1)
        cell = hit.argmax(axis=1)
        holding = (carried == code).all(axis=1)
        carrying = np.where(holding, 1, np.where(carried[:, 0] > 0, 2, 0))
        under = items[np.arange(n), agent[:, 1], agent[:, 0], 0] > 0
        out = np.zeros((n, 5), np.int64)
        out[:, 0] = np.where(on_floor, 1, np.where(holding, 2, 0))
        out[:, 1] = np.where(on_floor, cell % self.size - agent[:, 0], 0) + self.size - 1
        out[:, 2] = np.where(on_floor, cell // self.size - agent[:, 1], 0) + self.size - 1
        out[:, 3] = carrying
        out[:, 4] = (carrying > 0) & under
        return out.astype(np.uint8)

    def describe(self, vectors: np.ndarray, choice: Mapping[str, str]) -> list[str]:
        """``"task: go to / target: 2 north, 1 east / carrying nothing"`` per abstract state: the goal's kind as the
        choice reads it, where the target is (``here``, ``in hand``, ``not here``), what the agent carries (``the
        target``, ``another item``, then whether its tile is free to drop on)."""
        task = {"go": "go to", "pick": "pick up"}[choice["kind"]]
        texts = []
        for where, dx, dy, carrying, taken in np.asarray(vectors, np.int64).tolist():
            target = ("not here", _offset(dx - self.size + 1, dy - self.size + 1), "in hand")[where]
            text = f"task: {task} / target: {target} / carrying {('nothing', 'the target', 'another item')[carrying]}"
            texts.append(text + (f" / tile {'taken' if taken else 'free'}" if carrying else ""))
        return texts

    def achieved(
        self, choice: Mapping[str, str], states: np.ndarray, actions: np.ndarray, src: np.ndarray, dst: np.ndarray
    ) -> np.ndarray:
        """Which transitions ``states[src] --actions--> states[dst]`` achieve the goal (:class:`TileGoalDetector`'s
        rules)."""
        items, agent, carried = _split(states, self.size)
        src, dst, actions = np.asarray(src), np.asarray(dst), np.asarray(actions)
        code = np.array(_code(choice["item"], choice["colour"]), np.uint8)
        if choice["kind"] == "go":
            on = (items[np.arange(len(items)), agent[:, 1], agent[:, 0]] == code).all(axis=1)
            return on[dst]
        holds = (carried == code).all(axis=1)
        return (actions == PICK) & (carried[src, 0] == 0) & holds[dst]

    def features(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The target's offset as a one-hot grid ``(n, 1, 2 size - 1, 2 size - 1)``, and the rest one-hot ``(n, 8)``."""
        v = np.asarray(vectors, np.int64)
        n, side = len(v), 2 * self.size - 1
        grid = np.zeros((n, 1, side, side), np.float32)
        grid[np.arange(n), 0, v[:, 1], v[:, 2]] = v[:, 0] == 1
        extra = np.concatenate([np.eye(3)[v[:, 0]], np.eye(3)[v[:, 3]], np.eye(2)[v[:, 4]]], axis=1)
        return grid, extra.astype(np.float32)


def _plan(world: TileWorld) -> int:
    """The planner's action: drop what is in the way, walk to the goal item (columns first), pick it up."""
    kind, item, colour = parse_tile_goal(world.mission)
    code = np.array(_code(item, colour), np.uint8)
    x, y = world.agent
    free_here = not world.items[y, x].any()
    holding_goal = bool((world.carried == code).all())
    if (holding_goal and kind == "go to") or (world.carried.any() and not holding_goal and kind == "pick up"):
        if free_here:
            return DROP
        rows, cols = np.nonzero(~world.items[..., 0].astype(bool))  # walk to the nearest free tile
        nearest = np.argmin(np.abs(cols - x) + np.abs(rows - y))
        target = cols[nearest], rows[nearest]
    else:
        hit = np.argwhere((world.items == code).all(axis=-1))
        if not len(hit):
            return NORTH  # the item is not in this layout: nothing to plan for
        target = hit[0][1], hit[0][0]
        if (x, y) == tuple(target):
            return PICK
    tx, ty = target
    return EAST if tx > x else WEST if tx < x else SOUTH if ty > y else NORTH


class TilePlanner:
    """TileWorld's expert: a scripted planner following each environment's goal, behind SB3's ``predict``.

    Example:
        >>> env = YourEnvKnowledge().make_env(["pick up the blue ball"])
        >>> obs, _ = env.reset(seed=0)
        >>> planner, done, steps = TilePlanner(env), False, 0
        >>> while not done:
        ...     obs, reward, done, _, _ = env.step(planner.predict(obs)[0]); steps += 1
        >>> reward, steps
        (1.0, 3)

    Args:
        envs: the environment acted in, or the environments of a batch (entry ``i`` acts in ``envs[i]``).
    """

    def __init__(self, envs: gym.Env | Sequence[gym.Env]):
        self.envs = [envs] if isinstance(envs, gym.Env) else list(envs)

    def seed(self, seed: int | None) -> None:
        """Nothing to seed: the planner is deterministic."""

    def predict(
        self, observation: Any, state: Any = None, episode_start: np.ndarray | None = None, deterministic: bool = False
    ) -> tuple[np.ndarray, Any]:
        """The planner's action in each environment."""
        n = batch_size(observation)
        if (1 if n is None else n) != len(self.envs):
            raise ValueError(f"a batch of {n or 1} observations for {len(self.envs)} environments")
        actions = np.array([_plan(env.unwrapped) for env in self.envs])  # type: ignore[arg-type]
        return (actions[0] if n is None else actions), state


class YourEnvKnowledge(EnvKnowledge):
    """Everything teduo-gym needs from TileWorld.

    Example:
        >>> k = YourEnvKnowledge("YourGrid-v0")
        >>> len(k.goals()), k.goal_kind("pick up the blue key"), k.parse_goal("Grab the navy crate")
        (40, 'pick up', 'pick up the blue box')
    """

    action_words = ACTIONS
    describers = {"full": describe_full}
    default_describer = "full"
    goal_kinds = KINDS

    def make_env(
        self,
        goals: Sequence[str] | None = None,
        *,
        aliases: Mapping[str, str] | None = None,
        goal_sampler: Any = "uniform",
        max_steps: int | None = None,
    ) -> gym.Env:
        """TileWorld with a step cap, behind :class:`~teduo_gym.wrappers.LanguageGoalWrapper` over ``goals``."""
        world: gym.Env = gym.wrappers.TimeLimit(TileWorld(), max_steps or MAX_STEPS)
        vocabulary = self.goals() if goals is None else goals
        return LanguageGoalWrapper(world, vocabulary, TileGoalDetector(aliases), goal_sampler)

    def goals(self, kinds: Sequence[str] | None = None) -> list[str]:
        """The 40 canonical goals (of the given kinds)."""
        unknown = sorted(set(kinds or ()) - set(KINDS))
        if unknown:
            raise KnowledgeError(f"TileWorld has no goal kinds {unknown}: its kinds are {list(KINDS)}")
        return [g for g in GOALS if kinds is None or parse_tile_goal(g)[0] in kinds]

    def parse_goal(self, text: str) -> str:
        """The canonical text of a goal, reworded ones too."""
        try:
            kind, item, colour = parse_tile_goal(text)
        except UnknownGoalError:
            return super().parse_goal(text)  # the nearest goals, in the protocol's error
        return f"{kind} the {colour} {item}"

    def goal_kind(self, goal: str) -> str:
        """``"go to"`` or ``"pick up"``."""
        return parse_tile_goal(goal)[0]

    def paraphrase(self, goal: str, rng: np.random.Generator) -> str:
        """Another verb, and another word for the item and colour where there is one."""
        kind, item, colour = parse_tile_goal(goal)
        verb, noun, adjective = (str(rng.choice(w[1:] or w)) for w in (VERBS[kind], NOUNS[item], ADJECTIVES[colour]))
        return f"{verb} the {adjective} {noun}"

    def feasible_goals(self, env: gym.Env, goals: Sequence[str]) -> np.ndarray:
        """The goals whose item is in the layout."""
        world: TileWorld = env.unwrapped  # type: ignore[assignment]
        present = {tuple(c) for c in world.items.reshape(-1, 2).tolist() + [world.carried.tolist()]}
        return np.array([i for i, g in enumerate(goals) if _code(*parse_tile_goal(g)[1:]) in present], np.int64)

    def symbolic_state(self, env: gym.Env) -> np.ndarray:
        """:meth:`TileWorld.state_vector`."""
        return env.unwrapped.state_vector()  # type: ignore[attr-defined]

    def state_layout(self, env: gym.Env) -> dict[str, Any]:
        """``{"kind": "yourgrid-symbolic/1", "width", "height", "size"}``."""
        size = env.unwrapped.size  # type: ignore[attr-defined]
        return {"kind": LAYOUT_KIND, "width": size, "height": size, "size": size * size * 2 + 4}

    def describe_states(self, states: np.ndarray, describer: str) -> list[str]:
        """The describer's text of each stored state (TileWorld's describers read the state vector alone)."""
        if describer not in self.describers:
            raise KnowledgeError(f"{describer!r} is not a describer of TileWorld: one of {sorted(self.describers)}")
        return [self.describers[describer](None, state) for state in np.asarray(states)]

    def goal_schema(self, layout: Mapping[str, Any], **options: Any) -> TileGoalSchema:
        """:class:`TileGoalSchema` for the layout's floor size."""
        return TileGoalSchema(int(layout["width"]))

    def expert_policy(self, env: gym.Env | Sequence[gym.Env]) -> TilePlanner:
        """:class:`TilePlanner` acting in ``env`` (in each environment of a batch, for a sequence)."""
        return TilePlanner(env)


teduo_gym.register_knowledge("YourGrid-*", YourEnvKnowledge)


@dataclass
class Args:
    """TEDUO end to end on TileWorld; every stage is cached under ``out``, so a rerun resumes."""

    #: where every stage writes.
    out: Path = Path("runs/yourgrid")
    #: training layouts (the data and the train-layout evaluation).
    layouts: int = 40
    #: held-out layouts.
    test_layouts: int = 10
    #: episodes collected per training layout (the planner, a third of its actions replaced at random).
    episodes_per_layout: int = 10
    #: training goals (canonical).
    train_goals: int = 16
    #: held-out test goals (reworded).
    test_goals: int = 8
    #: LoRA steps of the embedded SmolLM2.
    finetune_steps: int = 80
    #: evaluation episodes per setting and agent.
    eval_episodes: int = 40
    #: seeds everything.
    seed: int = 0


def main(args: Args) -> dict[str, Any]:
    """Run TEDUO on ``YourGrid-v0`` and print the success of each agent per setting."""
    from teduo_gym.evaluation.report import markdown_rows
    from teduo_gym.recipes.teduo import RunConfig, run

    config = RunConfig(
        out=args.out,
        env="YourGrid-v0",
        policy="mixture",
        layouts=args.layouts,
        test_layouts=args.test_layouts,
        episodes_per_layout=args.episodes_per_layout,
        max_steps=MAX_STEPS,
        goal_kinds=KINDS,
        train_goals=args.train_goals,
        test_goals=args.test_goals,
        rollout_steps=16,
        finetune_steps=args.finetune_steps,
        eval_episodes=args.eval_episodes,
        seed=args.seed,
    )
    results = run(config)
    evaluation = results["evaluation"]
    agents = list(dict.fromkeys(a for summaries in evaluation.values() for a in summaries))
    rows = [
        [s, *(f"{100 * evaluation[s][a]['success_rate']:.0f}" if a in evaluation[s] else "-" for a in agents)]
        for s in evaluation
    ]
    print(f"\nsuccess % on TileWorld\n{markdown_rows(['setting', *agents], rows)}")
    return results


if __name__ == "__main__":
    import tyro

    main(tyro.cli(Args))
