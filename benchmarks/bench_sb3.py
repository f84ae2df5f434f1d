"""PPO training throughput: the raw minigrid level vs the protocol's training environment, as a ratio in one run.

    python benchmarks/bench_sb3.py --config examples/babyai-quick.json --steps 20000

Rows: the raw level (``gym.make`` with the protocol's step cap -> the image only -> ``FlattenObservation``: a
(147,) uint8 vector, ``MlpPolicy``, the level's own missions and rewards); the protocol's training environment
(:func:`teduo_gym.online.make_training_env`: its goal vocabulary, the ground-truth detector tracking every goal,
training layouts and goals at each reset; ``MultiInputPolicy``). Both train PPO with
``teduo_gym.online.sb3.HYPERPARAMETERS["ppo"]`` on ``--n-envs`` environments of an SB3 ``DummyVecEnv``, the
same seed, torch on one thread as ``train_sb3`` runs it. Steps/s are environment steps of ``model.learn``,
collection and updates together.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import torch
import tyro
from gymnasium.wrappers import FilterObservation, FlattenObservation
from stable_baselines3.common.env_util import make_vec_env

from teduo_gym.envs.babyai import QuietGeneration
from teduo_gym.evaluation.protocol import Protocol
from teduo_gym.online import make_model, make_training_env
from teduo_gym.recipes.teduo import RunConfig


@dataclass(frozen=True)
class Args:
    #: a ``teduo run`` JSON config (its protocol); None for RunConfig's defaults.
    config: Path | None = None
    #: environment steps of PPO training timed per row.
    steps: int = 20000
    #: environments stepped side by side.
    n_envs: int = 4
    #: seeds the models and the environments.
    seed: int = 0
    #: a tiny budget that checks the script runs (tests/benchmarks/test_smoke.py); no figure to read.
    smoke: bool = False


def ppo_steps_per_second(make_env: Callable[[], gym.Env], args: Args) -> float:
    """Environment steps per second of ``model.learn(args.steps)`` with PPO on ``args.n_envs`` copies."""
    env = make_vec_env(make_env, n_envs=args.n_envs)
    model = make_model("ppo", env, args.seed)
    start = time.perf_counter()
    model.learn(args.steps)
    seconds = time.perf_counter() - start
    env.close()
    return model.num_timesteps / seconds


def main(args: Args) -> None:
    if args.smoke:
        args = dataclasses.replace(args, steps=64, n_envs=1)
    run = RunConfig() if args.config is None else RunConfig.from_file(args.config)
    protocol = Protocol.from_run_config(run)

    def raw() -> gym.Env:
        return FlattenObservation(
            FilterObservation(QuietGeneration(gym.make(protocol.env, max_steps=run.max_steps)), ["image"])
        )

    rows = {
        "raw minigrid (image, FlattenObservation)": raw,
        "protocol training env (make_training_env)": lambda: make_training_env(protocol),
    }
    torch.set_num_threads(1)
    print(
        f"{protocol.env}, PPO on {args.n_envs} envs, {args.steps} steps per row, {len(protocol.vocabulary)} goals, "
        f"{len(protocol.train_layouts)} training layouts, step cap {protocol.max_steps}\n"
    )
    print(f"| {'environment':<45} | steps/s | ratio to raw |\n|{'-' * 47}|---------|--------------|")
    first = None
    for name, make_env in rows.items():
        sps = ppo_steps_per_second(make_env, args)
        first = first or sps
        print(f"| {name:<45} | {sps:7.0f} | {sps / first:12.2f} |", flush=True)


if __name__ == "__main__":
    main(tyro.cli(Args))
