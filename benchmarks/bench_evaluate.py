"""Evaluation throughput: ours vs Stable-Baselines3's `evaluate_policy`, in one run.

    python benchmarks/bench_evaluate.py --episodes 32

Environment steps per second (which does not depend on how long the episodes happen to be; BabyAI-GoToLocal,
64-step cap) of the embedded SmolLM2 agent: SB3's `evaluate_policy` on a `DummyVecEnv` of 8 numeric envs (the agent
describes each observation itself) vs our `run_episodes` on 8 text envs (one batched LLM call per step).
`evaluate_run` on 1, 2 and 4 workers of each executor: benchmarks/bench_executor.py.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import tyro
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy

from teduo_gym.agents import LLMAgent
from teduo_gym.envs.babyai import make_babyai_env
from teduo_gym.evaluation import run_episodes
from teduo_gym.llm import TransformersBackend


@dataclass(frozen=True)
class Args:
    #: episodes per row.
    episodes: int = 32
    #: environments side by side.
    n_envs: int = 8
    #: a tiny budget that checks the script runs (tests/benchmarks/test_smoke.py); no figure to read.
    smoke: bool = False


def timed(fn, *args, **kwargs) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def main(args: Args) -> None:
    if args.smoke:
        args = dataclasses.replace(args, episodes=2, n_envs=2)
    env_id, cap = "BabyAI-GoToLocal-v0", 64
    backend = TransformersBackend()
    rows: list[tuple[str, float]] = []

    vec_env = make_vec_env(lambda: make_babyai_env(env_id, text=False, max_steps=cap), n_envs=args.n_envs, seed=0)
    sb3_agent = LLMAgent.for_env(vec_env, backend)
    seconds, (_, lengths) = timed(
        evaluate_policy, sb3_agent, vec_env, n_eval_episodes=args.episodes, return_episode_rewards=True
    )
    rows.append(("LLM agent, SB3 evaluate_policy (8 numeric envs)", sum(lengths) / seconds))

    envs = [make_babyai_env(env_id, max_steps=cap) for _ in range(args.n_envs)]
    agent = LLMAgent.for_env(envs[0], backend)
    seconds, results = timed(run_episodes, agent, envs, list(range(args.episodes)), progress=False)
    rows.append(("LLM agent, teduo run_episodes (8 text envs)", sum(r.length for r in results) / seconds))

    print(f"{env_id}, {args.episodes} episodes per row, step cap {cap}\n")
    print("| row | steps/s | ratio to the row above |")
    print("|---|---|---|")
    for i, (name, rate) in enumerate(rows):
        ratio = f"{rate / rows[i - 1][1]:.2f}" if i % 2 else "1.00"
        print(f"| {name} | {rate:.2f} | {ratio} |")


if __name__ == "__main__":
    main(tyro.cli(Args))
