"""Steps per second: raw minigrid vs the same level under teduo-gym's wrappers, as ratios in one run.

    python benchmarks/bench_wrappers.py --env BabyAI-GoToLocal-v0 --steps 20000

Rows: the raw level (``gym.make``); + LanguageGoalWrapper with the ground-truth detector tracking every goal
of the whole grammar (623 goals, put-next included; numeric observations, what SB3 sees); + TextObservationWrapper
with each describer. Goals are drawn among those feasible in each layout.
Random actions, the same seeds for every row. The target is a ratio of at least 0.5 for the goal wrapper.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import gymnasium as gym
import tyro
from common import random_steps_per_second

from teduo_gym.envs.babyai import QuietGeneration, enumerate_goals, make_babyai_env


@dataclass(frozen=True)
class Args:
    #: a BabyAI level id.
    env: str = "BabyAI-GoToLocal-v0"
    #: environment steps timed per row.
    steps: int = 20000
    #: seeds actions and resets.
    seed: int = 0
    #: a tiny budget that checks the script runs (tests/benchmarks/test_smoke.py); no figure to read.
    smoke: bool = False


def main(args: Args) -> None:
    if args.smoke:
        args = dataclasses.replace(args, steps=200)
    kw = {"goals": enumerate_goals(), "goal_sampler": "feasible"}
    rows = {
        "raw minigrid (gym.make)": QuietGeneration(gym.make(args.env)),
        "+ LanguageGoalWrapper (ground truth, all goals)": make_babyai_env(args.env, text=False, **kw),
        "+ TextObservationWrapper (egocentric)": make_babyai_env(args.env, describer="egocentric", **kw),
        "+ TextObservationWrapper (full grid)": make_babyai_env(args.env, describer="full", **kw),
    }
    goals = len(rows["+ LanguageGoalWrapper (ground truth, all goals)"].get_wrapper_attr("goals"))
    print(f"{args.env}, {args.steps} random steps per row, {goals} goals tracked\n")
    print(f"| {'environment':<50} | steps/s | ratio to raw |\n|{'-' * 52}|---------|--------------|")
    raw = None
    for name, env in rows.items():
        sps = random_steps_per_second(env, args.steps, args.seed)
        raw = raw or sps
        print(f"| {name:<50} | {sps:7.0f} | {sps / raw:12.2f} |")


if __name__ == "__main__":
    main(tyro.cli(Args))
