"""Transitions per second of dataset collection, per behaviour policy, beside raw minigrid stepping, in one run.

    python benchmarks/bench_collect.py --env BabyAI-Synth-v0 --layouts 4 --episodes-per-layout 5

Rows: raw minigrid (``gym.make``, random actions, no recording); then :func:`teduo_gym.collection.collect` end to end
(layout split, episodes with the symbolic state, the full-grid text and the ground truth of all 623 goals at
every step, shards, the Minari file, the ground truth and the manifest) with the random policy, the BabyAI bot and
the epsilon-mixture. Ratios are to the raw row. The same layouts and seeds for every policy; each row runs once
into a fresh temporary directory, whose size on disk is reported.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import tyro
from common import random_steps_per_second

import teduo_gym.agents  # noqa: F401  (imported before timing: it pulls torch, a one-off cost of seconds)
from teduo_gym.collection import CollectConfig, collect
from teduo_gym.datasets import load_dataset
from teduo_gym.envs.babyai import QuietGeneration


@dataclass(frozen=True)
class Args:
    #: a BabyAI level id.
    env: str = "BabyAI-Synth-v0"
    #: training layouts collected per policy.
    layouts: int = 4
    #: episodes per layout.
    episodes_per_layout: int = 5
    #: step cap of an episode.
    max_steps: int = 128
    #: probability of a random action in the mixture.
    epsilon: float = 0.3
    #: random steps timed for the raw row.
    raw_steps: int = 5000
    #: seeds layouts, goals and agents.
    seed: int = 0
    #: a tiny budget that checks the script runs (tests/benchmarks/test_smoke.py); no figure to read.
    smoke: bool = False


def disk_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(args: Args) -> None:
    if args.smoke:
        args = dataclasses.replace(args, layouts=1, episodes_per_layout=1, max_steps=16, raw_steps=200)
    raw = random_steps_per_second(
        QuietGeneration(gym.make(args.env, max_steps=args.max_steps)), args.raw_steps, args.seed
    )
    print(
        f"{args.env}: {args.layouts} layouts x {args.episodes_per_layout} episodes per policy, "
        f"max {args.max_steps} steps, epsilon {args.epsilon}\n"
    )
    print("| behaviour policy | transitions | seconds | transitions/s | ratio to raw | disk (MB) |")
    print("|---|---|---|---|---|---|")
    print(f"| raw minigrid, random (no recording) | {args.raw_steps} | - | {raw:.0f} | 1.00 | - |")
    for policy in ("random", "bot", "mixture"):
        with tempfile.TemporaryDirectory() as tmp:
            config = CollectConfig(
                env=args.env,
                policy=policy,
                epsilon=args.epsilon,
                layouts=args.layouts,
                test_layouts=0,
                episodes_per_layout=args.episodes_per_layout,
                max_steps=args.max_steps,
                seed=args.seed,
                out=Path(tmp),
            )
            start = time.perf_counter()
            collect(config, progress=False)
            seconds = time.perf_counter() - start
            n = len(load_dataset(tmp))
            size = disk_size(Path(tmp)) / 1e6
            print(f"| {policy} | {n} | {seconds:.1f} | {n / seconds:.0f} | {n / seconds / raw:.2f} | {size:.1f} |")


if __name__ == "__main__":
    main(tyro.cli(Args))
