"""Relabelling throughput with the embedded LLM: trajectories per second with the chat prompt vs the default few-shot
completion prompt (both uncached) vs cached, and the embedding reward per step vs batched.

    python benchmarks/bench_relabel.py --trajectories 8 --states 512

The trajectories are synthetic Craftax-like episodes (``teduo_gym.relabel.synthetic``: inventory, facing,
nearby and vitals as text, Craftax-Classic achievement flags). "uncached" relabels them with an empty answer cache,
so every LLM answer is generated, once with the chat template and PROPOSE_TEMPLATE and once (the default) as plain
completion of FEW_SHOT_TEMPLATE; "cached" relabels them again with a new default relabeller on the same cache, as a
resumed run does. The reward rows embed ``--states`` change texts (what each step changed, what the reward reads)
with a cache-less embedder, one per call and all in one batched call, against the instructions kept (or the
achievement phrases when none was kept).
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import tyro

from teduo_gym.llm.config import LLMConfig
from teduo_gym.llm.embedding import TextEmbedder
from teduo_gym.relabel import InstructionFormatError, RelabelConfig
from teduo_gym.relabel.achievements import CRAFTAX_CLASSIC_ACHIEVEMENTS
from teduo_gym.relabel.rewards import EmbeddingReward
from teduo_gym.relabel.synthetic import synthetic_trajectory
from teduo_gym.relabel.trajectory import achievement_phrase


@dataclass(frozen=True)
class Args:
    #: trajectories relabelled.
    trajectories: int = 8
    #: steps per trajectory.
    steps: int = 60
    #: state texts rewarded in the reward rows.
    states: int = 512
    #: the longest LLM answer, in tokens.
    max_new_tokens: int = 48
    #: prompts per forward pass of the embedded LLM.
    batch_size: int = 8
    #: seed of the first synthetic trajectory.
    seed: int = 0
    #: a tiny budget that checks the script runs (tests/benchmarks/test_smoke.py); no figure to read.
    smoke: bool = False


def main(args: Args) -> None:
    if args.smoke:
        args = dataclasses.replace(args, trajectories=2, steps=8, states=8)
    trajectories = [synthetic_trajectory(args.seed + i, steps=args.steps) for i in range(args.trajectories)]
    embedder = TextEmbedder()
    runs: dict[bool, tuple[float, Any]] = {}
    cached = float("nan")
    for chat in (True, False):
        with tempfile.TemporaryDirectory() as cache:
            config = RelabelConfig(
                llm=LLMConfig(chat=chat, batch_size=args.batch_size),
                cache_dir=cache,
                max_new_tokens=args.max_new_tokens,
            )
            relabeler = config.create(embedder)
            relabeler.proposer.backend.generate(["warm up"], max_new_tokens=1)
            start = time.perf_counter()
            try:
                relabelled, stats = relabeler.relabel(trajectories)
            except InstructionFormatError as error:  # a small model may write no instruction for a few trajectories
                relabelled, stats = [], error
            runs[chat] = (time.perf_counter() - start, stats)
            if not chat and not isinstance(stats, InstructionFormatError):  # the default prompt, from the cache
                start = time.perf_counter()
                config.create(embedder).relabel(trajectories)
                cached = time.perf_counter() - start
    for chat, (_, stats) in runs.items():
        if isinstance(stats, InstructionFormatError):
            print(f"{'chat' if chat else 'few-shot'}: no instruction at all ({stats})")
            continue
        print(
            f"{'chat' if chat else 'few-shot'}: proposed {stats.proposed}, off-format {stats.off_format}, "
            f"duplicate {stats.duplicate}, unsupported {stats.unsupported}, kept {stats.kept}"
        )
    instructions = sorted({r.instruction for r in relabelled}) or [
        achievement_phrase(a) for a in CRAFTAX_CLASSIC_ACHIEVEMENTS
    ]
    states = [text for t in trajectories for text in t.change_texts if text]
    states = (states * (args.states // max(len(states), 1) + 1))[: args.states]
    reward = EmbeddingReward(TextEmbedder(cache_size=0), instructions)
    start = time.perf_counter()
    for state in states:
        reward([state])
    per_state = time.perf_counter() - start
    start = time.perf_counter()
    reward(states)
    batched = time.perf_counter() - start

    n, chat_seconds = len(trajectories), runs[True][0]
    print(f"{'mode':<34}{'seconds':>10}{'per second':>14}{'ratio':>10}")
    for label, seconds in [
        ("relabel, chat prompt, uncached", chat_seconds),
        ("relabel, few-shot, uncached", runs[False][0]),
        ("relabel, few-shot, cached", cached),
    ]:
        print(f"{label:<34}{seconds:>10.2f}{n / seconds:>10.2f} tr/s{chat_seconds / seconds:>10.1f}")
    print(f"{'reward, one step a call':<34}{per_state:>10.2f}{len(states) / per_state:>10.0f} st/s{1.0:>10.1f}")
    print(f"{'reward, batched':<34}{batched:>10.2f}{len(states) / batched:>10.0f} st/s{per_state / batched:>10.1f}")
    print(
        f"({len(instructions)} instructions, {len(states)} steps; relabel ratios are chat / row, reward ratios "
        "one step a call / batched)"
    )


if __name__ == "__main__":
    main(tyro.cli(Args))
