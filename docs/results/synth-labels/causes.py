"""The compiled predicate against minigrid's verifier on every goal of a dataset's vocabulary, and the causes of the
go-to disagreements that the predicate before issue 19 (the cell in front now, or an object picked up on this step)
had.

Usage: ``.venv/bin/python docs/results/synth-labels/causes.py runs/synth-labels/data40``
"""

from __future__ import annotations

import collections
import sys

import numpy as np
from minigrid.core.constants import COLOR_TO_IDX, DIR_TO_VEC, OBJECT_TO_IDX

from teduo_gym.datasets.storage import load_dataset, load_ground_truth
from teduo_gym.envs import knowledge_for
from teduo_gym.envs.babyai.goals import parse_goal
from teduo_gym.envs.babyai.state import StateLayout, split_states

_PICKUP, _TOGGLE = 3, 5


def main(path: str) -> None:
    data, truth = load_dataset(path), load_ground_truth(path)
    schema = knowledge_for(data.env_id).goal_schema(data.state_layout)
    layout = StateLayout(int(data.state_layout["width"]), int(data.state_layout["height"]))
    grids, poses, carried = split_states(data.states, layout)
    poses = poses.astype(np.int64)
    front = np.clip(poses[:, :2] + np.array(DIR_TO_VEC)[poses[:, 2]], 0, [layout.width - 1, layout.height - 1])
    rows = np.arange(len(data.states))

    def matching(cells: np.ndarray, goal: str) -> np.ndarray:
        ref = parse_goal(goal).object
        ok = np.isin(cells[..., 0], [OBJECT_TO_IDX[t] for t in ("ball", "box", "key", "door")])
        if ref.type != "any":
            ok = cells[..., 0] == OBJECT_TO_IDX[ref.type]
        return ok & (cells[..., 1] == COLOR_TO_IDX[ref.color]) if ref.color else ok

    totals: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    causes: collections.Counter = collections.Counter()
    for goal in truth.goals:
        kind, actual = schema.goal_kind(goal), truth.column(goal)
        predicted = schema.achieved(schema.oracle_choice(goal), data.states, data.actions, data.src, data.dst)
        totals[kind].update(
            goals=1,
            positives=int(actual.sum()),
            predicate_only=int((predicted & ~actual).sum()),
            detector_only=int((actual & ~predicted).sum()),
        )
        if kind != "go to":
            continue
        in_front = matching(grids[rows, front[:, 0], front[:, 1]], goal)
        picked = (data.actions == _PICKUP) & (carried[data.src, 0] == 0) & matching(carried, goal)[data.dst]
        before = in_front[data.dst] | picked  # the predicate before the fix
        for t in np.nonzero(actual & ~before)[0]:
            fx, fy = front[data.dst[t]]
            episode = np.nonzero((data.episode == data.episode[t]) & (np.arange(len(data.actions)) <= t))[0]
            here = matching(grids[:, fx, fy], goal)
            left = [u for u in episode if here[data.src[u]] and not here[data.dst[u]]]
            how = {_PICKUP: "picked up", _TOGGLE: "a box opened (it vanishes)"}.get(
                int(data.actions[left[-1]]) if left else -1, "other"
            )
            causes[f"{how}, {'on this step' if left and left[-1] == t else 'earlier, faced again'}"] += 1
    print(f"{len(data)} transitions, {len(truth.goals)} goals; the predicate under exact choices vs the detector:")
    for kind, counts in totals.items():
        print(f"  {kind}: {dict(counts)}")
    print("go-to transitions the verifier counts and the pre-fix predicate missed, by how the object left the cell:")
    for cause, n in causes.most_common():
        print(f"  {n:5d}  {cause}")
    print(f"  {sum(causes.values()):5d}  in all")


if __name__ == "__main__":
    main(sys.argv[1])
