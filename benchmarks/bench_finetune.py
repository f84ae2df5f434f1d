"""Fine-tuning speed of the embedded SmolLM2: a LoRA step with vocabulary logits at every position (Hugging Face's
default causal-LM loss, what teduo-gym did before) vs at the action tokens only (``collate_actions`` +
``action_loss``, what ``finetune`` does), then ``finetune`` itself (LoRA and full), as ratios in one run.

    python benchmarks/bench_finetune.py --steps 6 --batch-size 16 \
        --examples runs/babyai-quick/examples-18f2f6ef.jsonl

(that file from ``teduo run --config examples/babyai-quick.json --until examples``).

The examples are real: a TEDUO examples file (``--examples``: abstract state texts, what the main job's agent is
fine-tuned on) or, without one, the BabyAI bot's actions on GoToLocal with egocentric texts; the compact template
of a fine-tuned agent. Both loss paths see the same batches from the same initial adapter; the
script prints their first losses too (the same numbers up to float rounding).
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import tyro
from peft import LoraConfig, get_peft_model
from transformers import DataCollatorForSeq2Seq

from teduo_gym.agents.llm_agent import COMPACT_TEMPLATE, AgentConfig
from teduo_gym.envs import knowledge_for
from teduo_gym.envs.babyai import make_babyai_env
from teduo_gym.envs.babyai.bot import BabyAIBotAgent
from teduo_gym.finetune import ActionExample, FinetuneConfig, finetune, read_examples, write_examples
from teduo_gym.finetune.train import action_loss, collate_actions, tokenize_example
from teduo_gym.llm import load_model

ENV = "BabyAI-GoToLocal-v0"


@dataclass(frozen=True)
class Args:
    #: timed optimiser steps per row (after one warm-up step).
    steps: int = 6
    #: examples per step.
    batch_size: int = 16
    #: seeds the episodes and the batches.
    seed: int = 0
    #: a TEDUO examples file (JSONL); None: the bot's actions on GoToLocal, egocentric text.
    examples: Path | None = None
    #: a tiny budget that checks the script runs (tests/benchmarks/test_smoke.py); no figure to read.
    smoke: bool = False


def bot_examples(n: int, seed: int) -> list[ActionExample]:
    """``n`` (goal, egocentric state text, bot action) examples from GoToLocal episodes."""
    knowledge = knowledge_for(ENV)
    env = make_babyai_env(ENV)
    bot = BabyAIBotAgent([env])
    examples: list[ActionExample] = []
    episode = 0
    while len(examples) < n:
        obs, info = env.reset(seed=seed + episode)
        start, done = True, False
        while not done and len(examples) < n:
            action = int(bot.predict(obs, episode_start=np.array([start]))[0])
            examples.append(ActionExample(info["goal"], obs["text"], knowledge.action_words[action]))
            obs, _, terminated, truncated, info = env.step(action)
            start, done = False, terminated or truncated
        episode += 1
    return examples


def step_seconds(rows: list[dict[str, list[int]]], batches: list[list[int]], action_only: bool) -> tuple[float, float]:
    """Mean seconds per LoRA step (the first, a warm-up, not counted) and the first step's loss."""
    torch.manual_seed(0)
    model, tokenizer, _ = load_model(None)
    pad = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id)
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM"))
    model.train()
    reference = DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100)
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-4)
    times, first_loss = [], 0.0
    for i, batch in enumerate(batches):
        examples = [rows[j] for j in batch]
        start = time.perf_counter()
        if action_only:
            inputs = collate_actions(examples, pad)
            labels = inputs.pop("labels")
            loss = action_loss(model(**inputs), labels)
        else:
            loss = model(**reference(examples)).loss
        loss.backward()
        optimiser.step()
        optimiser.zero_grad()
        if i:
            times.append(time.perf_counter() - start)
        else:
            first_loss = loss.item()
    return float(np.mean(times)), first_loss


def main(args: Args) -> None:
    if args.smoke:
        args = dataclasses.replace(args, steps=1, batch_size=2)
    n = (args.steps + 1) * args.batch_size
    if args.examples is None:
        examples = bot_examples(n, args.seed)
    else:
        pool = read_examples(args.examples)
        examples = [pool[i] for i in np.random.default_rng(args.seed).choice(len(pool), n, replace=False)]
    words = knowledge_for(ENV).action_words
    agent = AgentConfig(words, COMPACT_TEMPLATE)
    _, tokenizer, _ = load_model(None)
    rows = [tokenize_example(tokenizer, agent.prompt(e.goal, e.state), e.action, 256) for e in examples]
    order = np.random.default_rng(args.seed).permutation(n)
    batches = [order[i : i + args.batch_size].tolist() for i in range(0, n, args.batch_size)]
    tokens = args.batch_size * float(np.mean([len(r["input_ids"]) for r in rows]))
    source = args.examples or "the bot on GoToLocal, egocentric text"
    print(
        f"LoRA steps of {args.batch_size} examples of {source} (compact template, ~{tokens:.0f} tokens per step), "
        f"{args.steps} timed per row\n"
    )
    print("| one LoRA step | seconds | first loss | ratio |\n|---|---|---|---|")
    base = None
    for name, action_only in (
        ("logits at every position (HF causal-LM loss)", False),
        ("logits at the action only", True),
    ):
        seconds, loss = step_seconds(rows, batches, action_only)
        base = base or seconds
        print(f"| {name} | {seconds:.2f} | {loss:.4f} | {base / seconds:.2f}x |")

    work = Path(tempfile.mkdtemp())
    data = write_examples(work / "data.jsonl", examples)
    print("\n| `finetune` (Trainer, checkpoints, record) | trainable parameters | seconds | tokens/s | ratio |")
    print("|---|---|---|---|---|")
    reference_rate = None
    for method in ("full", "lora"):
        config = FinetuneConfig(
            data=data,
            out=work / method,
            env=ENV,
            method=method,
            max_steps=args.steps,
            batch_size=args.batch_size,
            save_steps=10**9,
            progress=False,
            seed=args.seed,
            template=COMPACT_TEMPLATE,
        )
        r = json.loads((finetune(config) / "finetune.json").read_text())["results"]
        reference_rate = reference_rate or r["tokens_per_second"]
        print(
            f"| {method} | {r['trainable_parameters']:,} | {r['seconds']:.1f} | {r['tokens_per_second']:.0f} "
            f"| {r['tokens_per_second'] / reference_rate:.2f}x |"
        )


if __name__ == "__main__":
    main(tyro.cli(Args))
