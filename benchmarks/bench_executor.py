"""Wall time of collect / label / offline RL / evaluate on each executor, side by side, in one run.

    python benchmarks/bench_executor.py --workers 1 2 4

Rows: the ``local`` executor (1 worker: this process; more: a pool of spawned processes) and the ``ray`` executor
(a local Ray started here with as many CPUs as the most workers asked), at each worker count. Columns: seconds per
stage and the ratio to ``local`` with 1 worker (above 1: slower). Every row must give the same data, labels,
examples and evaluation: the script checks it and says so. On a machine with C cores, expect no gain beyond C
workers. A local pool spawns its processes for every stage (imports of torch and minigrid each time); Ray's workers
stay up between stages, as on a cluster. One warm-up pass per executor comes first and is not reported.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tyro

from teduo_gym.collection import CollectConfig, collect
from teduo_gym.core.executor import ExecutorConfig
from teduo_gym.datasets import load_dataset
from teduo_gym.envs.babyai.actions import ACTION_WORDS
from teduo_gym.evaluation.protocol import Protocol
from teduo_gym.labeling import LabelConfig, LabelTable, label
from teduo_gym.offline import sharded_action_examples
from teduo_gym.recipes.teduo import RunConfig
from teduo_gym.recipes.teduo_evaluation import evaluate_run


@dataclass(frozen=True)
class Args:
    #: worker counts to time, on each executor.
    workers: tuple[int, ...] = (1, 2, 4)
    #: executors compared (the first row, "local" with the fewest workers, is the reference).
    kinds: tuple[str, ...] = ("local", "ray")
    #: training layouts collected on (10 episodes each, 25 per shard).
    layouts: int = 20
    #: goals labelled (2 per shard) and made into examples.
    goals: int = 16
    #: labelling mode ("compiled": the LLM once per goal; "judge": the LLM on every distinct state text).
    mode: str = "compiled"
    #: evaluation episodes per setting (bot and random agents, 4 settings).
    episodes: int = 16
    #: a tiny budget that checks the script runs (tests/benchmarks/test_smoke.py); no figure to read.
    smoke: bool = False


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def stages(args: Args, executor: ExecutorConfig, out: Path) -> tuple[dict[str, float], Any]:
    """Seconds per stage on ``executor``, and what the stages produced (to compare across executors)."""
    run = RunConfig(
        out=out / "run", layouts=args.layouts, test_layouts=4, train_goals=args.goals, eval_episodes=args.episodes
    )
    seconds: dict[str, float] = {}
    seconds["collect"], data_dir = timed(
        collect,
        CollectConfig(
            env=run.env,
            layouts=run.layouts,
            test_layouts=run.test_layouts,
            max_steps=run.max_steps,
            shard_episodes=25,
            out=out / "data",
            executor=executor,
        ),
        progress=False,
    )
    data = load_dataset(data_dir)
    goals = out / "goals.txt"
    goals.write_text("\n".join(Protocol.from_run_config(run).train_goals) + "\n")
    seconds["label"], _ = timed(
        label,
        LabelConfig(
            dataset=str(data_dir),
            goals_file=str(goals),
            modes=(args.mode,),
            cache_dir=str(out / "cache"),
            out_dir=str(out / "labels"),
            goals_per_shard=2,
            executor=executor,
        ),
    )
    table = LabelTable.load(out / "labels" / f"labels_{args.mode}.npz", data)
    seconds["offline RL"], (examples, _) = timed(
        sharded_action_examples, data, table, ACTION_WORDS, goals_per_shard=2, executor=executor, progress=False
    )
    seconds["evaluate"], evaluation = timed(
        evaluate_run,
        run,
        {"bot": "bot", "random": "random"},
        out=out / "evaluation",
        executor=executor,
        n_envs=4,
        progress=False,
    )
    produced = (
        data.fingerprint(),
        tuple(table.labels.indices.tolist()),
        len(examples),
        json.dumps(evaluation, sort_keys=True),
    )
    return seconds, produced


def main(args: Args) -> None:
    if args.smoke:
        args = dataclasses.replace(args, workers=(1,), kinds=("local",), layouts=4, goals=6, episodes=1)
    if "ray" in args.kinds:
        import ray

        ray.init(
            address="local",
            num_cpus=max(args.workers),
            include_dashboard=False,
            logging_level="ERROR",
            log_to_driver=False,
        )
    # Warm-up, not reported: imports, the model load of this process and of the Ray workers (which stay up between
    # rows, as on a cluster) would otherwise be charged to the first rows.
    for kind in args.kinds if not args.smoke else ():
        stages(args, ExecutorConfig(kind=kind, workers=max(args.workers)), Path(tempfile.mkdtemp()))
    rows: list[tuple[str, dict[str, float]]] = []
    produced = set()
    try:
        for kind in args.kinds:
            for workers in args.workers:
                seconds, result = stages(args, ExecutorConfig(kind=kind, workers=workers), Path(tempfile.mkdtemp()))
                rows.append((f"{kind}, {workers} worker{'s' if workers > 1 else ''}", seconds))
                produced.add(result)
    finally:
        if "ray" in args.kinds:
            ray.shutdown()
    base = rows[0][1]
    names = list(base)
    print(
        f"{args.layouts} layouts x 10 episodes, {args.goals} goals ({args.mode}), "
        f"{args.episodes} episodes x 4 settings x 2 agents\n"
    )
    print("| executor | " + " | ".join(f"{n} s (ratio)" for n in names) + " | total s (ratio) |")
    print("|---|" + "---|" * (len(names) + 1))
    for name, seconds in rows:
        cells = [f"{seconds[n]:.1f} ({seconds[n] / base[n]:.2f})" for n in names]
        total, base_total = sum(seconds.values()), sum(base.values())
        print(f"| {name} | " + " | ".join(cells) + f" | {total:.1f} ({total / base_total:.2f}) |")
    print(f"\nevery executor produced the same data, labels, examples and evaluation: {len(produced) == 1}")


if __name__ == "__main__":
    main(tyro.cli(Args))
