"""Hindsight labelling throughput: labelled (transition, goal) pairs per second for judge / compiled / proxy.

    python benchmarks/bench_labeling.py --dataset runs/data --goals 10 --transitions 2000 --budget 50

All three modes label the same transitions (the first ``--transitions`` of the dataset) for the same goals (drawn
from the dataset's goal vocabulary, balanced over kinds), each with a fresh cache, so every LLM answer is paid
for. Rows: pairs per second, LLM calls per goal, seconds per goal, and the speed ratio of each mode to judge.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tyro

from teduo_gym.collection import CollectConfig, collect
from teduo_gym.datasets.storage import load_dataset, load_ground_truth
from teduo_gym.datasets.transitions import TransitionDataset
from teduo_gym.envs import knowledge_for
from teduo_gym.labeling import HindsightLabeler
from teduo_gym.labeling.hindsight import sample_goals
from teduo_gym.llm.config import LLMConfig


@dataclass(frozen=True)
class Args:
    #: a dataset directory written by `teduo collect`.
    dataset: str = "runs/data"
    #: goals labelled by every mode.
    goals: int = 6
    #: transitions labelled (the first ones of the dataset); 0 for all.
    transitions: int = 1000
    #: proxy: LLM labels per goal.
    budget: int = 50
    #: seeds goal sampling and the proxy.
    seed: int = 0
    #: the LLM.
    llm: LLMConfig = field(default_factory=lambda: LLMConfig(batch_size=8))
    #: a tiny budget that checks the script runs (tests/benchmarks/test_smoke.py); no figure to read.
    smoke: bool = False


def head(data: TransitionDataset, n: int) -> TransitionDataset:
    """The first ``n`` transitions of a dataset, with only the states they use."""
    if n <= 0 or n >= len(data):
        return data
    used, inverse = np.unique(np.r_[data.src[:n], data.dst[:n]], return_inverse=True)
    episodes = int(data.episode[:n].max()) + 1
    return TransitionDataset(
        data.env_id,
        data.state_layout,
        data.states[used],
        [data.texts[i] for i in used],
        data.actions[:n],
        inverse[:n],
        inverse[n:],
        data.episode[:n],
        data.layout_seeds[:episodes],
        dict(data.metadata),
    )


def main(args: Args) -> None:
    if args.smoke:
        dataset = collect(
            CollectConfig(layouts=1, test_layouts=0, episodes_per_layout=2, max_steps=16, out=Path(tempfile.mkdtemp())),
            progress=False,
        )
        args = dataclasses.replace(args, dataset=str(dataset), goals=2, transitions=40, budget=4)
    data = head(load_dataset(args.dataset), args.transitions)
    knowledge = knowledge_for(data.env_id)
    abstraction = knowledge.goal_schema(data.state_layout)
    goals = sample_goals(load_ground_truth(args.dataset).goals, args.goals, args.seed, knowledge.goal_kind)
    backend = args.llm.create()
    print(f"{data.env_id}: {len(data)} transitions x {len(goals)} goals, {backend.name}, proxy budget {args.budget}\n")
    rows = {}
    for mode in ("judge", "compiled", "proxy"):
        with tempfile.TemporaryDirectory() as cache:
            labeler = HindsightLabeler(backend, mode, cache_dir=cache, budget=args.budget, seed=args.seed)
            start = time.perf_counter()
            table = labeler.label(data, goals, abstraction=abstraction)
            rows[mode] = (time.perf_counter() - start, table.llm_calls.mean())
    print("| mode | pairs/s | LLM calls / goal | s / goal | speed vs judge |\n|---|---|---|---|---|")
    for mode, (seconds, calls) in rows.items():
        pairs = len(data) * len(goals) / seconds
        ratio = rows["judge"][0] / seconds
        print(f"| {mode} | {pairs:,.0f} | {calls:.1f} | {seconds / len(goals):.2f} | {ratio:,.1f}x |")


if __name__ == "__main__":
    main(tyro.cli(Args))
