"""BabyAI's goal-conditioned state abstraction and compiled goal predicates, over symbolic states in batches.

- :data:`GOAL_SLOTS` -- the constrained questions an LLM answers once per goal: the goal kind, the goal object's
  type and colour and, for "put X next to Y", the target's type and colour (each read from its own half of the
  goal, each option described by its words).
- :func:`refs_of` -- a choice (slot -> answer) as the object descriptions it names.
- :func:`abstract_states` -- the fixed code that applies a choice to a batch of symbolic states.
- :func:`describe_abstract` -- a compact text per abstract state.
- :func:`achieved` -- the compiled predicate: which transitions achieve the chosen goal.
- :func:`proxy_features` -- abstract states as one-hot grids for a proxy network.
- :class:`BabyAIAbstraction` -- all of the above behind :class:`teduo_gym.envs.GoalSchema`.

Abstract state vectors have the layout of :func:`~teduo_gym.envs.babyai.state.symbolic_state`
(``grid W*H*3 | x, y, dir | carried 3``), with these cell codes:

- objects matching a goal reference keep their type and, when the reference names a colour, their colour
  (else :data:`NO_COLOR`); doors keep their state (0 open, 1 closed, 2 locked), other objects state 0;
- doors not mentioned: ``(door, NO_COLOR, state)``; other objects: ``(OBSTACLE, NO_COLOR, 0)``;
- walls ``(2, 0, 0)``, empty cells ``(1, 0, 0)``; with ``room_only`` every cell outside the agent's room (the
  cells reachable without crossing a wall or a door, plus the walls and doors around them) is ``(0, 0, 0)``, and
  when the goal's object is in no cell kept but exists in another room, the door of the agent's room on the
  shortest way to it (through any door, around walls) keeps its state plus :data:`WAY` (3 open, 4 closed, 5
  locked): what acting needs to leave the room. The object the way leads to is the goal's object, or, for "put X
  next to Y" while X is carried, the target Y;
- the carried object follows the object rules; nothing carried is ``(0, 0, 0)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from minigrid.core.constants import COLOR_TO_IDX, DIR_TO_VEC, IDX_TO_COLOR, OBJECT_TO_IDX

from teduo_gym.envs.babyai.goals import COLORS, ObjectRef, parse_goal
from teduo_gym.envs.babyai.paraphrase import SYNONYMS, VERB_REWORDINGS
from teduo_gym.envs.babyai.state import StateLayout, split_states

__all__ = [
    "GOAL_SLOTS",
    "NO_COLOR",
    "OBSTACLE",
    "WAY",
    "BabyAIAbstraction",
    "abstract_states",
    "achieved",
    "describe_abstract",
    "proxy_features",
    "refs_of",
]

#: Colour code of an object whose colour the goal does not need.
NO_COLOR = len(COLOR_TO_IDX)
#: Type code of an object the goal does not mention (a generic obstacle).
OBSTACLE = max(OBJECT_TO_IDX.values()) + 1
#: Added to the state of the door on the way to a goal object in another room (see the module docstring).
WAY = 3
_EMPTY, _WALL, _DOOR = OBJECT_TO_IDX["empty"], OBJECT_TO_IDX["wall"], OBJECT_TO_IDX["door"]
_FAR = np.iinfo(np.int32).max
_OBJECT_TYPES = ("ball", "box", "key", "door")
_DESCRIBABLE = np.array([OBJECT_TO_IDX[t] for t in _OBJECT_TYPES])
_DIRS = np.array(DIR_TO_VEC, dtype=np.int64)
_PICKUP, _DROP, _TOGGLE = 3, 4, 5  # minigrid Actions
_KINDS = {"go": "go to", "pick": "pick up", "open": "open", "put": "put next to"}

#: Words that join the two objects of "put X next to Y" (canonical and reworded): what the object and target slots
#: split the goal at, so that a small model reads each object from its own half and never swaps them.
_CONNECTIVES = ("next to", "beside", "near", "close to", "adjacent to", "by")
_JOIN = "(?:" + "|".join(_CONNECTIVES) + ")"
_OBJECT_SPAN = rf"^(.+?)\s+{_JOIN}\s"  # "put the green box" of "put the green box next to a door"
_TARGET_SPAN = rf"\s{_JOIN}\s+(.+)$"  # "a door"

#: Each option in words: the canonical word and the synonyms of held-out rewordings (:mod:`.paraphrase`).
_KIND_WORDS = {
    "go": ", ".join(("go to", *VERB_REWORDINGS["go to"])),
    "pick": ", ".join(("pick up", *VERB_REWORDINGS["pick up"])),
    "open": ", ".join(("open", *VERB_REWORDINGS["open"])),
    "put": ", ".join(("put", "place", *_CONNECTIVES)),
}
_TYPE_WORDS = {t: ", ".join((t, *SYNONYMS[t])) for t in ("ball", "box", "key", "door")} | {"any": "object, thing"}
_COLOR_WORDS = {c: ", ".join((c, *SYNONYMS[c])) for c in COLORS} | {"any": ""}  # "": no colour named

_EXAMPLES_OBJECT = (
    ("go to the red ball", "ball", "red"),
    ("pick up a key", "key", "any"),
    ("open the yellow door", "door", "yellow"),
    ("put the green box next to a door", "box", "green"),
    ("put a key next to the blue ball", "key", "any"),
    ("go to a purple key", "key", "purple"),
)
_EXAMPLES_TARGET = (
    ("put the green box next to a door", "door", "any"),
    ("put a key next to the blue ball", "ball", "blue"),
    ("put the red ball next to the grey box", "box", "grey"),
    ("put the yellow key next to a ball", "ball", "any"),
)


def _slot(name: str, question: str, options: tuple[str, ...], examples: Any, **kw: Any) -> dict[str, Any]:
    return {"name": name, "question": question, "options": options, "examples": tuple(examples), **kw}


#: The questions that turn a BabyAI goal text into a choice (fields of :class:`teduo_gym.envs.Slot`;
#: envs/ does not import labeling/); the target slots are asked for "put" goals only. The object slots read the
#: goal up to "next to" (all of it for other kinds), the target slots the words after it.
GOAL_SLOTS: tuple[dict[str, Any], ...] = (
    _slot(
        "kind",
        "What must the agent do?",
        ("go", "pick", "open", "put"),
        (
            ("go to the red ball", "go"),
            ("pick up a key", "pick"),
            ("open the yellow door", "open"),
            ("put the green box next to a door", "put"),
            ("go to a grey door", "go"),
        ),
        descriptions=_KIND_WORDS,
    ),
    _slot(
        "object_type",
        "Which type of object is named?",
        ("ball", "box", "key", "door", "any"),
        tuple((g, t) for g, t, _ in _EXAMPLES_OBJECT),
        span=_OBJECT_SPAN,
        descriptions=_TYPE_WORDS,
    ),
    _slot(
        "object_color",
        "Which colour is named?",
        (*COLORS, "any"),
        tuple((g, c) for g, _, c in _EXAMPLES_OBJECT),
        span=_OBJECT_SPAN,
        descriptions=_COLOR_WORDS,
    ),
    _slot(
        "target_type",
        "Which type of object is named?",
        ("ball", "box", "key", "door", "any"),
        tuple((g, t) for g, t, _ in _EXAMPLES_TARGET),
        ask_if=("kind", ("put",)),
        default="none",
        span=_TARGET_SPAN,
        descriptions=_TYPE_WORDS,
    ),
    _slot(
        "target_color",
        "Which colour is named?",
        (*COLORS, "any"),
        tuple((g, c) for g, _, c in _EXAMPLES_TARGET),
        ask_if=("kind", ("put",)),
        default="none",
        span=_TARGET_SPAN,
        descriptions=_COLOR_WORDS,
    ),
)


def _ref(type_: str, color: str) -> ObjectRef | None:
    if type_ == "none":
        return None
    return ObjectRef("any" if type_ == "any" else type_, None if color in ("any", "none") else color)


def refs_of(choice: Mapping[str, str]) -> tuple[ObjectRef, ...]:
    """The object descriptions a choice names: ``(object,)`` or ``(object, target)``; type ``"any"`` is allowed.

    Example:
        >>> refs_of({"kind": "go", "object_type": "ball", "object_color": "red"})
        (ObjectRef(type='ball', color='red'),)
    """
    obj = _ref(choice["object_type"], choice["object_color"])
    target = _ref(choice.get("target_type", "none"), choice.get("target_color", "none"))
    assert obj is not None
    return (obj,) if target is None else (obj, target)


def choice_of_goal(text: str) -> dict[str, str]:
    """The exact choice for a goal of the grammar (what a perfect LLM answers), e.g. for tests and oracles.

    Example:
        >>> choice_of_goal("put a key next to the blue ball")["target_color"]
        'blue'
    """
    goal = parse_goal(text)
    kind = next(k for k, v in _KINDS.items() if v == goal.kind)
    choice = {"kind": kind, "object_type": goal.object.type, "object_color": goal.object.color or "any"}
    if goal.target is not None:
        choice |= {"target_type": goal.target.type, "target_color": goal.target.color or "any"}
    else:
        choice |= {"target_type": "none", "target_color": "none"}
    return choice


def _matches(types: np.ndarray, colors: np.ndarray, ref: ObjectRef) -> np.ndarray:
    """Which encoded cells (type, colour arrays of any shape) fit ``ref``."""
    ok = np.isin(types, _DESCRIBABLE) if ref.type == "any" else types == OBJECT_TO_IDX[ref.type]
    if ref.color is not None:
        ok &= colors == COLOR_TO_IDX[ref.color]
    return ok


def _abstract_cells(cells: np.ndarray, refs: Sequence[ObjectRef]) -> np.ndarray:
    """Apply the object rules to ``(..., 3)`` minigrid encodings."""
    types, colors, states = cells[..., 0], cells[..., 1], cells[..., 2]
    out = np.zeros_like(cells)
    out[..., 0] = np.where(types > _DOOR, OBSTACLE, types)
    out[..., 1] = np.where(types >= _DOOR, NO_COLOR, 0)
    out[..., 2] = np.where(types == _DOOR, states, 0)
    for ref in refs:
        hit = _matches(types, colors, ref)
        out[..., 0] = np.where(hit, types, out[..., 0])
        if ref.color is not None:
            out[..., 1] = np.where(hit, colors, out[..., 1])
    out[..., 0] = np.where(types == 0, 0, out[..., 0])  # nothing carried / unseen stays zero
    return out


def _agent_room(grids: np.ndarray, poses: np.ndarray) -> np.ndarray:
    """``(n, W, H)`` mask of the agent's room: flood fill from the agent through cells that are not walls or doors,
    plus the walls and doors around it, corners included (the agent's cell counts even when it is a doorway)."""
    n, w, h, _ = grids.shape
    passable = (grids[..., 0] != _WALL) & (grids[..., 0] != _DOOR)
    region = np.zeros((n, w, h), dtype=bool)
    region[np.arange(n), poses[:, 0], poses[:, 1]] = True
    while True:
        grown = region.copy()
        grown[:, 1:] |= region[:, :-1]
        grown[:, :-1] |= region[:, 1:]
        grown[:, :, 1:] |= region[:, :, :-1]
        grown[:, :, :-1] |= region[:, :, 1:]
        grown = region | (grown & passable)
        if (grown == region).all():
            break
        region = grown
    border = region.copy()  # the 8 neighbours: corners of walls included
    border[:, 1:] |= region[:, :-1]
    border[:, :-1] |= region[:, 1:]
    rows = border.copy()
    border[:, :, 1:] |= rows[:, :, :-1]
    border[:, :, :-1] |= rows[:, :, 1:]
    return border


def _distances(passable: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """``(g, W, H)`` steps from the nearest source cell through passable cells (4 neighbours), :data:`_FAR` where
    none is reachable, for a batch of grids (breadth-first, one dilation per step)."""
    dist = np.where(sources, 0, _FAR).astype(np.int32)
    reached, frontier, step = sources.copy(), sources.copy(), 0
    while frontier.any():
        step += 1
        grown = np.zeros_like(frontier)
        grown[:, 1:] |= frontier[:, :-1]
        grown[:, :-1] |= frontier[:, 1:]
        grown[:, :, 1:] |= frontier[:, :, :-1]
        grown[:, :, :-1] |= frontier[:, :, 1:]
        frontier = grown & passable & ~reached
        dist[frontier] = step
        reached |= frontier
    return dist


def _next_ref(carried: np.ndarray, refs: Sequence[ObjectRef]) -> np.ndarray:
    """Per state, the index of the reference the goal needs next: the target (1) of a put while its object is
    carried, else the object (0)."""
    if len(refs) < 2:
        return np.zeros(len(carried), dtype=np.int64)
    return _matches(carried[:, 0], carried[:, 1], refs[0]).astype(np.int64)


def _way_doors(grids: np.ndarray, carried: np.ndarray, refs: Sequence[ObjectRef], room: np.ndarray) -> np.ndarray:
    """``(n, W, H)`` mask of the door on the way out of the agent's room (``room``) towards the object a state's
    goal needs next (the object, or the target of a put while the object is carried), where that object is outside
    the room. Distances depend on the walls and the object's cells only, so each distinct pair is searched once."""
    types, colors = grids[..., 0], grids[..., 1]
    which = _next_ref(carried, refs)
    way = np.zeros(types.shape, dtype=bool)
    for r, ref in enumerate(refs):
        target = _matches(types, colors, ref)
        rows = np.nonzero((which == r) & target.any(axis=(1, 2)) & ~(target & room).any(axis=(1, 2)))[0]
        if not len(rows):
            continue
        walls = types[rows] == _WALL
        pairs = np.concatenate(
            [
                np.packbits(walls.reshape(len(rows), -1), axis=1),
                np.packbits(target[rows].reshape(len(rows), -1), axis=1),
            ],
            axis=1,
        )
        _, first, inverse = np.unique(pairs, axis=0, return_index=True, return_inverse=True)
        dist = _distances(~walls[first], target[rows][first])[inverse.ravel()]
        dist = np.where((types[rows] == _DOOR) & room[rows], dist, _FAR).reshape(len(rows), -1)
        best = dist.argmin(axis=1)
        found = dist[np.arange(len(rows)), best] < _FAR
        rows, best = rows[found], best[found]
        way[rows, best // types.shape[2], best % types.shape[2]] = True
    return way


def abstract_states(
    states: np.ndarray, layout: StateLayout, refs: Sequence[ObjectRef], *, room_only: bool = True
) -> np.ndarray:
    """Apply a goal's references to a batch of symbolic states (rules in the module docstring).

    Example:
        >>> import gymnasium as gym, minigrid
        >>> from teduo_gym.envs.babyai.state import state_layout, symbolic_state
        >>> env = gym.make("BabyAI-GoToLocal-v0"); _ = env.reset(seed=0)
        >>> raw = symbolic_state(env)[None]
        >>> out = abstract_states(raw, state_layout(env), [ObjectRef("key", "green")])
        >>> out.shape == raw.shape, sorted(set(out[0, 0:-6:3].tolist()))
        (True, [1, 2, 5, 11])
    """
    grids, poses, carried = split_states(states, layout)
    out_grid = _abstract_cells(grids, refs)
    out_grid[..., 1] = np.where(out_grid[..., 0] == _WALL, 0, out_grid[..., 1])
    if room_only:
        room = _agent_room(grids, poses.astype(np.int64))
        out_grid[_way_doors(grids, carried, refs, room), 2] += WAY
        out_grid[~room] = 0
    n = len(states)
    return np.concatenate([out_grid.reshape(n, -1), poses, _abstract_cells(carried, refs)], axis=1).astype(np.uint8)


def _name(t: int, c: int, s: int) -> str:
    if t == OBSTACLE:
        return "an obstacle"
    if t == _WALL:
        return "a wall"
    if t in (0, _EMPTY):
        return "nothing"
    words = [{0: "open", 1: "closed", 2: "locked"}[s % WAY]] if t == _DOOR else []
    if c != NO_COLOR:
        words.append(IDX_TO_COLOR[c])
    words.append({v: k for k, v in OBJECT_TO_IDX.items()}[t])
    return ("the " if c != NO_COLOR else "an " if words[0][0] in "aeiou" else "a ") + " ".join(words)


def _offset(forward: int, right: int) -> str:
    parts = [f"{abs(forward)} {'forward' if forward > 0 else 'back'}"] if forward else []
    parts += [f"{abs(right)} {'right' if right > 0 else 'left'}"] if right else []
    return ", ".join(parts) or "here"


def describe_abstract(vectors: np.ndarray, layout: StateLayout, refs: Sequence[ObjectRef]) -> list[str]:
    """A compact text per abstract state: what the agent carries, the cells in front and beside it, and where the
    goal's objects are relative to it (nearest three of each reference, ``forward`` / ``right`` steps).

    Example:
        >>> import gymnasium as gym, minigrid
        >>> from teduo_gym.envs.babyai.state import state_layout, symbolic_state
        >>> env = gym.make("BabyAI-GoToLocal-v0"); _ = env.reset(seed=0)
        >>> refs = [ObjectRef("key", "green")]
        >>> print(describe_abstract(abstract_states(symbolic_state(env)[None], state_layout(env), refs),
        ...                         state_layout(env), refs)[0])
        You carry nothing.
        In front of you: nothing. Left: nothing. Right: nothing.
        the green key: 2 forward, 1 right; the green key: 4 forward, 2 right.
    """
    grids, poses, carried = split_states(vectors, layout)
    poses = poses.astype(np.int64)
    fwd = _DIRS[poses[:, 2]]
    right = np.stack([-fwd[:, 1], fwd[:, 0]], axis=1)
    xy = poses[:, :2]
    w, h = layout.width, layout.height

    def cell(offset: np.ndarray) -> np.ndarray:
        p = np.clip(xy + offset, 0, [w - 1, h - 1])
        return grids[np.arange(len(vectors)), p[:, 0], p[:, 1]]

    front, left_cell, right_cell = cell(fwd), cell(-right), cell(right)
    which = _next_ref(carried, refs)
    texts = []
    for i in range(len(vectors)):
        carry = "nothing" if carried[i, 0] == 0 else _name(*carried[i].tolist())
        lines = [
            f"You carry {carry}.",
            f"In front of you: {_name(*front[i].tolist())}. Left: {_name(*left_cell[i].tolist())}. "
            f"Right: {_name(*right_cell[i].tolist())}.",
        ]
        way = (grids[i, ..., 0] == _DOOR) & (grids[i, ..., 2] >= WAY)
        for j, ref in enumerate(refs):
            xs, ys = np.nonzero(_matches(grids[i, ..., 0], grids[i, ..., 1], ref) & ~way)
            d = np.stack([xs, ys], axis=1) - xy[i]
            f, r = d @ fwd[i], d @ right[i]
            order = np.argsort(np.abs(f) + np.abs(r), kind="stable")[:3]
            where = [f"{_name(*grids[i, xs[k], ys[k]].tolist())}: {_offset(int(f[k]), int(r[k]))}" for k in order]
            if where:
                lines.append("; ".join(where) + ".")
            elif way.any() and which[i] == j:
                (wx,), (wy,) = np.nonzero(way)
                d = np.array([wx, wy]) - xy[i]
                door = _name(*grids[i, wx, wy].tolist())
                lines.append(
                    f"{_ref_words(ref)}: in another room, through {door} {_offset(int(d @ fwd[i]), int(d @ right[i]))}."
                )
            else:
                lines.append(f"No {_ref_words(ref)} here.")
        texts.append("\n".join(lines))
    return texts


def _ref_words(ref: ObjectRef) -> str:
    return " ".join(w for w in (ref.color, "object" if ref.type == "any" else ref.type) if w)


def _front_cells(states: np.ndarray, layout: StateLayout) -> tuple[np.ndarray, np.ndarray]:
    """The minigrid encoding of the cell in front of the agent, and the position of that cell, per state."""
    grids, poses, _ = split_states(states, layout)
    poses = poses.astype(np.int64)
    front = np.clip(poses[:, :2] + _DIRS[poses[:, 2]], 0, [layout.width - 1, layout.height - 1])
    return grids[np.arange(len(states)), front[:, 0], front[:, 1]], front


def achieved(
    choice: Mapping[str, str],
    states: np.ndarray,
    layout: StateLayout,
    actions: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
) -> np.ndarray:
    """The compiled predicate: which transitions ``states[src] --actions--> states[dst]`` achieve the chosen goal.

    - go to: the cell in front of the agent in the next state held a matching object when minigrid's verifier
      last recorded positions (the episode's first state, then the state after each ``drop``), so an object
      picked up or a box opened still counts at its old cell until the next drop, as minigrid counts it;
    - pick up: ``pickup``, nothing carried before, a matching object carried after;
    - open: ``toggle`` and the cell in front is now a matching open door;
    - put X next to Y: ``drop`` of a carried matching X, which now lies in front of the agent, beside a
      matching Y (one of the four neighbouring cells).

    Per-state quantities are computed once per distinct state, then gathered by ``src`` / ``dst``. Transitions
    come in episode order, as :class:`~teduo_gym.datasets.TransitionDataset` stores them; one whose ``src`` is not
    the ``dst`` before it starts an episode.

    Example:
        >>> import gymnasium as gym, minigrid
        >>> from teduo_gym.envs.babyai.state import state_layout, symbolic_state
        >>> env = gym.make("BabyAI-GoToLocal-v0"); _ = env.reset(seed=0)
        >>> s = symbolic_state(env)[None]
        >>> achieved(choice_of_goal("go to the green key"), s, state_layout(env), np.array([2]), [0], [0])
        array([False])
    """
    src, dst, actions = np.asarray(src), np.asarray(dst), np.asarray(actions)
    refs = refs_of(choice)
    front, front_pos = _front_cells(states, layout)
    _, _, carried = split_states(states, layout)
    front_hit = _matches(front[:, 0], front[:, 1], refs[0])
    kind = _KINDS[choice["kind"]]
    carry_hit = _matches(carried[:, 0], carried[:, 1], refs[0])
    picked = (actions == _PICKUP) & (carried[src, 0] == 0) & carry_hit[dst]
    if kind == "go to":
        # minigrid's go-to checks the positions its verifier recorded: those of the episode's first state, refreshed
        # after every drop (update_objs_poss); objects only leave the grid in between (picked up, a box opened)
        n = len(actions)
        start = np.ones(n, dtype=bool)
        start[1:] = src[1:] != dst[:-1]
        drop = actions == _DROP
        last = np.maximum.accumulate(np.where(start | drop, np.arange(n), 0))
        recorded = np.where(drop[last], dst[last], src[last])
        grids, _, _ = split_states(states, layout)
        cells = grids[recorded, front_pos[dst, 0], front_pos[dst, 1]]
        return _matches(cells[:, 0], cells[:, 1], refs[0])
    if kind == "pick up":
        return picked
    if kind == "open":
        is_open = front_hit & (front[:, 0] == _DOOR) & (front[:, 2] == 0)
        return (actions == _TOGGLE) & is_open[dst]
    target = refs[1] if len(refs) > 1 else ObjectRef("any")
    grids, _, _ = split_states(states, layout)
    beside = np.zeros(len(states), dtype=bool)
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        p = front_pos + [dx, dy]
        inside = (p[:, 0] >= 0) & (p[:, 0] < layout.width) & (p[:, 1] >= 0) & (p[:, 1] < layout.height)
        p = np.clip(p, 0, [layout.width - 1, layout.height - 1])
        cells = grids[np.arange(len(states)), p[:, 0], p[:, 1]]
        beside |= inside & _matches(cells[:, 0], cells[:, 1], target)
    return (actions == _DROP) & carry_hit[src] & (carried[dst, 0] == 0) & front_hit[dst] & beside[dst]


def proxy_features(vectors: np.ndarray, layout: StateLayout) -> tuple[np.ndarray, np.ndarray]:
    """Abstract states as network inputs: one-hot grids ``(n, C, W, H)`` float32 (cell type, colour, door state,
    agent direction at the agent's cell) and the carried object one-hot ``(n, E)``.

    Example:
        >>> grid, extra = proxy_features(np.zeros((2, 8 * 8 * 3 + 6), np.uint8), StateLayout(8, 8))
        >>> grid.shape, extra.shape
        ((2, 26, 8, 8), (2, 19))
    """
    grids, poses, carried = split_states(vectors, layout)
    n = len(vectors)
    n_types, n_colors = OBSTACLE + 1, NO_COLOR + 1
    eye_t, eye_c, eye_s = (
        np.eye(n_types, dtype=np.float32),
        np.eye(n_colors, dtype=np.float32),
        np.eye(3, dtype=np.float32),
    )
    agent = np.zeros((n, layout.width, layout.height, 4), dtype=np.float32)
    agent[np.arange(n), poses[:, 0], poses[:, 1], poses[:, 2]] = 1.0
    grid = np.concatenate(
        [eye_t[grids[..., 0]], eye_c[grids[..., 1]], eye_s[np.minimum(grids[..., 2], 2)], agent], axis=-1
    )
    extra = np.concatenate([eye_t[carried[:, 0]], eye_c[carried[:, 1]]], axis=-1)
    return np.ascontiguousarray(grid.transpose(0, 3, 1, 2)), extra


@dataclass(frozen=True)
class BabyAIAbstraction:
    """BabyAI's :class:`~teduo_gym.envs.GoalSchema` for one grid size.

    Example:
        >>> a = BabyAIAbstraction(StateLayout(8, 8))
        >>> a.canonical_goal("Go to the RED ball"), [s["name"] for s in a.slots][:2]
        ('go to the red ball', ['kind', 'object_type'])

    Args:
        layout: the state layout of the dataset.
        room_only: keep only the agent's room in abstract states.
    """

    layout: StateLayout
    room_only: bool = True
    slots: tuple[dict[str, Any], ...] = GOAL_SLOTS

    def canonical_goal(self, text: str) -> str:
        """The canonical text of a goal of the grammar; raises ``UnknownGoalError`` naming the nearest goals."""
        return parse_goal(text).text

    def goal_kind(self, text: str) -> str:
        """The kind of a canonical goal (``"go to"``, ``"pick up"``, ``"open"``, ``"put next to"``)."""
        return parse_goal(text).kind

    def oracle_choice(self, text: str) -> dict[str, str]:
        """The exact choice for a goal of the grammar (:func:`choice_of_goal`)."""
        return choice_of_goal(text)

    def abstract(self, states: np.ndarray, choice: Mapping[str, str]) -> np.ndarray:
        """:func:`abstract_states` for a choice."""
        return abstract_states(states, self.layout, refs_of(choice), room_only=self.room_only)

    def describe(self, vectors: np.ndarray, choice: Mapping[str, str]) -> list[str]:
        """:func:`describe_abstract` for a choice."""
        return describe_abstract(vectors, self.layout, refs_of(choice))

    def achieved(
        self, choice: Mapping[str, str], states: np.ndarray, actions: np.ndarray, src: np.ndarray, dst: np.ndarray
    ) -> np.ndarray:
        """:func:`achieved` for a choice."""
        return achieved(choice, states, self.layout, actions, src, dst)

    def features(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:func:`proxy_features`."""
        return proxy_features(vectors, self.layout)


def from_layout(layout: Mapping[str, Any], room_only: bool = True) -> BabyAIAbstraction:
    """The abstraction for a dataset's ``state_layout`` dict (what :meth:`BabyAIKnowledge.goal_schema` returns)."""
    shape = StateLayout(int(layout["width"]), int(layout["height"]))
    if layout.get("size") not in (None, shape.size):
        raise ValueError(
            f"state layout {dict(layout)} is inconsistent: {shape.width}x{shape.height} needs {shape.size}"
        )
    return BabyAIAbstraction(shape, room_only)
