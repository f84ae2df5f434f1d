"""Fine-tuning speed of the embedded SmolLM2: LoRA vs full, tokens per second, as a ratio in one run.

    python benchmarks/bench_finetune.py --steps 4 --batch-size 8

The examples are real: the BabyAI bot's actions on GoToLocal with egocentric state texts.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tyro

from teduo_gym.envs.babyai import make_babyai_env
from teduo_gym.envs.babyai.actions import ACTION_WORDS
from teduo_gym.envs.babyai.bot import BabyAIBotAgent
from teduo_gym.finetune import ActionExample, FinetuneConfig, finetune, write_examples


@dataclass(frozen=True)
class Args:
    #: optimiser steps per method.
    steps: int = 4
    #: examples per step.
    batch_size: int = 8
    #: seeds the episodes.
    seed: int = 0
    #: a tiny budget that checks the script runs (tests/benchmarks/test_smoke.py); no figure to read.
    smoke: bool = False


def bot_examples(n: int, seed: int) -> list[ActionExample]:
    env = make_babyai_env("BabyAI-GoToLocal-v0")
    bot = BabyAIBotAgent([env])
    examples: list[ActionExample] = []
    episode = 0
    while len(examples) < n:
        obs, info = env.reset(seed=seed + episode)
        start, done = True, False
        while not done and len(examples) < n:
            action = int(bot.predict(obs, episode_start=np.array([start]))[0])
            examples.append(ActionExample(info["goal"], obs["text"], ACTION_WORDS[action]))
            obs, _, terminated, truncated, info = env.step(action)
            start, done = False, terminated or truncated
        episode += 1
    return examples


def main(args: Args) -> None:
    if args.smoke:
        args = dataclasses.replace(args, steps=1, batch_size=2)
    work = Path(tempfile.mkdtemp())
    data = write_examples(work / "data.jsonl", bot_examples(args.steps * args.batch_size, args.seed))
    print(f"{args.steps} steps of {args.batch_size} real GoToLocal examples per method\n")
    print("| method | trainable parameters | seconds | tokens/s | ratio |\n|---|---|---|---|---|")
    base = None
    for method in ("full", "lora"):
        out = finetune(
            FinetuneConfig(
                data=data,
                out=work / method,
                env="BabyAI-GoToLocal-v0",
                method=method,
                max_steps=args.steps,
                batch_size=args.batch_size,
                save_steps=10**9,
                progress=False,
                seed=args.seed,
            )
        )
        r = json.loads((out / "finetune.json").read_text())["results"]
        base = base or r["tokens_per_second"]
        print(
            f"| {method} | {r['trainable_parameters']:,} | {r['seconds']:.1f} | {r['tokens_per_second']:.0f} "
            f"| {r['tokens_per_second'] / base:.2f} |"
        )


if __name__ == "__main__":
    main(tyro.cli(Args))
