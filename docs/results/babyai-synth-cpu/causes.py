"""Success of each agent of a Synth evaluation by what its episodes ask: the goal kind, whether the goal's object
starts in the agent's room, and whether a locked door stands on every way to it (the structure of the layout at the
episode's start, read from the level itself; no agent is replayed).

Usage: ``.venv/bin/python docs/results/babyai-synth-cpu/causes.py examples/babyai-synth-cpu.json EVALUATION_DIR``
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

import gymnasium as gym
import minigrid  # noqa: F401  (registers the BabyAI levels)
import numpy as np
from minigrid.core.constants import COLOR_TO_IDX, OBJECT_TO_IDX

from teduo_gym.envs.babyai import QuietGeneration
from teduo_gym.envs.babyai.abstraction import WAY, abstract_states, choice_of_goal, refs_of
from teduo_gym.envs.babyai.state import split_states, state_layout, symbolic_state
from teduo_gym.evaluation.protocol import Protocol
from teduo_gym.recipes.teduo import RunConfig

_WALL, _DOOR = 2, 4


def _reachable(grid: np.ndarray, start: tuple[int, int], locked_pass: bool) -> np.ndarray:
    """Cells reachable from ``start`` through non-wall cells (locked doors passable or not)."""
    blocked = grid[..., 0] == _WALL
    if not locked_pass:
        blocked |= (grid[..., 0] == _DOOR) & (grid[..., 2] == 2)
    seen = np.zeros(blocked.shape, dtype=bool)
    todo = [start]
    while todo:
        x, y = todo.pop()
        if seen[x, y] or blocked[x, y]:
            continue
        seen[x, y] = True
        todo += [(x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)]
    return seen


def episode_case(env: gym.Env, seed: int, goal: str) -> str:
    """Where the episode's goal object lies at the start: "same room", "other room" or "behind a locked door"."""
    env.reset(seed=seed)
    layout = state_layout(env)
    raw = symbolic_state(env)[None]
    refs = refs_of(choice_of_goal(goal))
    grid, pose, _ = split_states(raw, layout)
    marked = split_states(abstract_states(raw, layout, refs), layout)[0][0]
    if not (marked[..., 2] >= WAY).any() or marked[..., 0][marked[..., 2] >= WAY][0] != _DOOR:
        return "same room"
    ref = refs[0]
    types = ("ball", "box", "key", "door") if ref.type == "any" else (ref.type,)
    target = np.isin(grid[0, ..., 0], [OBJECT_TO_IDX[t] for t in types])
    if ref.color is not None:
        target &= grid[0, ..., 1] == COLOR_TO_IDX[ref.color]
    start = (int(pose[0, 0]), int(pose[0, 1]))
    free = _reachable(grid[0], start, locked_pass=False)
    near = target.copy()  # a target is reached from a cell beside it
    near[1:] |= target[:-1]
    near[:-1] |= target[1:]
    near[:, 1:] |= target[:, :-1]
    near[:, :-1] |= target[:, 1:]
    return "other room" if (free & near).any() else "behind a locked door"


def main(config_path: str, evaluation: str) -> None:
    config = RunConfig.from_file(config_path)
    protocol = Protocol.from_run_config(config)
    env = QuietGeneration(gym.make(config.env))  # no "Sampling rejected" lines
    cases: dict[tuple[int, str], str] = {}
    counts: dict[tuple[str, str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    failed: dict[tuple[str, str, str], list[tuple[int, int]]] = collections.defaultdict(list)  # (length, invalid)
    for path in sorted(Path(evaluation, "episodes").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            e = json.loads(line)
            key = (e["layout_seed"], protocol.canonical(e["goal"]))
            if key not in cases:
                cases[key] = episode_case(env, *key)
            counts[(e["agent"], e["kind"], cases[key])][e["success"]] += 1
            if not e["success"]:
                failed[(e["agent"], e["kind"], cases[key])].append((e["length"], e["invalid_actions"]))
    print(
        "| agent | goal kind | goal object at the start | episodes | successes | success % "
        "| failures at the step cap | invalid actions in failures % |"
    )
    print("|---|---|---|---|---|---|---|---|")
    cap = config.eval_steps or config.max_steps
    for (agent, kind, case), c in sorted(counts.items()):
        n, lost = c[True] + c[False], failed[(agent, kind, case)]
        capped = sum(length >= cap for length, _ in lost)
        invalid = 100 * sum(i for _, i in lost) / max(1, sum(length for length, _ in lost))
        print(
            f"| {agent} | {kind} | {case} | {n} | {c[True]} | {100 * c[True] / n:.0f} | {capped} / {len(lost)} "
            f"| {invalid:.0f} |"
        )


if __name__ == "__main__":
    main(*sys.argv[1:3])
