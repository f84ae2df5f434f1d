"""Why the fine-tuned agent fails pick-up and put-next-to goals whose object starts in its own room: the episodes
of an evaluation where it failed are played again (greedy, as evaluated), and each step records whether the agent
faced the goal's object, what it did then, and what it carried.

Usage: ``.venv/bin/python docs/results/babyai-synth-cpu/trace.py examples/babyai-synth-cpu.json EVALUATION_DIR``
"""

from __future__ import annotations

import collections
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
from minigrid.core.actions import Actions

from teduo_gym.envs.babyai import QuietGeneration
from teduo_gym.envs.babyai.goals import parse_goal
from teduo_gym.evaluation.rollout import run_episodes
from teduo_gym.recipes.teduo import RunConfig
from teduo_gym.recipes.teduo_evaluation import RunAgents

sys.path.insert(0, str(Path(__file__).parent))
from causes import episode_case  # noqa: E402

KINDS = ("pick up", "put next to")


class Trace(gym.Wrapper):
    """Records, per episode, the steps facing the goal's object, the actions taken then, and what was carried."""

    def __init__(self, env: gym.Env, canonical: Callable[[str], str]):
        super().__init__(env)
        self.canonical = canonical
        self.episodes: list[dict[str, Any]] = []

    def reset(self, **kwargs: Any) -> Any:
        out = self.env.reset(**kwargs)
        goal = kwargs["options"]["goal"]
        self.ref = parse_goal(self.canonical(goal)).object
        record = {"key": (kwargs["seed"], goal), "facing": 0, "actions": collections.Counter(), "carried": set()}
        self.episodes.append(record)
        return out

    def step(self, action: Any) -> Any:
        base, record = self.env.unwrapped, self.episodes[-1]
        if self.ref.matches(base.grid.get(*base.front_pos)):
            record["facing"] += 1
            record["actions"][Actions(int(action)).name] += 1
        out = self.env.step(action)
        if base.carrying is not None:
            record["carried"].add("goal object" if self.ref.matches(base.carrying) else "another object")
        record["success"] = bool(out[4].get("is_success", out[1] > 0))
        return out


def main(config_path: str, evaluation: str) -> None:
    config = RunConfig.from_file(config_path)
    agents = RunAgents.of(config)
    probe = QuietGeneration(gym.make(config.env))
    failed = []
    for line in Path(evaluation, "episodes", "fine-tuned.jsonl").read_text().splitlines():
        e = json.loads(line)
        if e["kind"] in KINDS and not e["success"]:
            if episode_case(probe, e["layout_seed"], agents.protocol.canonical(e["goal"])) == "same room":
                failed.append((e["kind"], e["layout_seed"], e["goal"]))
    envs = [Trace(agents.protocol.make_env(agents.acting_text()), agents.protocol.canonical) for _ in range(8)]
    agent = agents.build("fine-tuned", envs)
    run_episodes(agent, envs, [s for _, s, _ in failed], reset_options=[{"goal": g} for _, _, g in failed])
    records = {r["key"]: r for env in envs for r in env.episodes}
    print(
        "| goal kind | failed episodes replayed | failed again | faced the object | picked it up | actions facing it |"
    )
    print("|---|---|---|---|---|---|")
    for kind in KINDS:
        rows = [records[(s, g)] for k, s, g in failed if k == kind]
        again = [r for r in rows if not r["success"]]
        actions = sum((r["actions"] for r in again), collections.Counter())
        print(
            f"| {kind} | {len(rows)} | {len(again)} | {sum(r['facing'] > 0 for r in again)} "
            f"| {sum('goal object' in r['carried'] for r in again)} | {dict(actions.most_common())} |"
        )


if __name__ == "__main__":
    main(*sys.argv[1:3])
