"""Offline RL per goal (TEDUO step 2): TabularQ against d3rlpy on the same labelled data, fit time and success in
the real environment, side by side in one run.

    python benchmarks/bench_offline.py --layouts 30 --goals 12 --steps 1000

Data: ``--layouts`` training layouts of ``--env`` collected with the bot/random mixture (cached under ``--out``;
a rerun reuses them); goals drawn (seeded, balanced over kinds) among those the data achieve at least
``--min-reached`` times, labelled by their compiled predicates under the exact (oracle) abstraction choices, so
labels are right and only the offline RL differs. Rows: TabularQ (one fit for all goals, TEDUO's settings), one
d3rlpy model per goal and one goal-conditioned model per algorithm of ``--algos``, and uniformly random actions as
the floor. Each policy acts through :class:`~teduo_gym.agents.OfflinePolicyAgent` in the live environment on the
same (layout, goal) pairs: every goal feasible in a training layout, at most ``--episodes`` pairs (seeded). Ratios
are to TabularQ. "random steps" is the share of actions taken at random because a table never saw the state;
"table-optimal" is the share of the data's states with a positive tabular value (a path to the goal in the data)
where the policy's action is optimal under TabularQ's values: what a network learned, loops in the live
environment aside.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import tyro

from teduo_gym.agents import RandomAgent
from teduo_gym.agents.offline_policy import OfflinePolicyAgent
from teduo_gym.collection import CollectConfig, collect
from teduo_gym.datasets import load_dataset, load_ground_truth
from teduo_gym.envs import knowledge_for
from teduo_gym.envs.babyai import feasible_goals
from teduo_gym.evaluation import run_episodes
from teduo_gym.evaluation.metrics import summarize
from teduo_gym.labeling import LabelTable
from teduo_gym.labeling.abstraction import AbstractTextDescriber
from teduo_gym.labeling.hindsight import sample_goals
from teduo_gym.offline import TabularQ, goal_mdps
from teduo_gym.offline.deep import D3RLPYConfig, FlatFeatures, fit_goal_conditioned, fit_per_goal
from teduo_gym.offline.tabular import TabularPolicy


@dataclass(frozen=True)
class Args:
    #: a BabyAI level id.
    env: str = "BabyAI-GoToLocal-v0"
    #: training layouts collected (and evaluated on).
    layouts: int = 30
    #: episodes per layout.
    episodes_per_layout: int = 10
    #: step cap of an episode, in the data and in evaluation.
    max_steps: int = 64
    #: goals trained and evaluated.
    goals: int = 12
    #: a goal is eligible when its ground truth fires at least this often in the data.
    min_reached: int = 20
    #: d3rlpy algorithms compared (see teduo_gym.offline.deep.ALGOS).
    algos: tuple[str, ...] = ("dqn", "cql")
    #: gradient steps of each per-goal model.
    steps: int = 1000
    #: gradient steps of each goal-conditioned model.
    conditioned_steps: int = 3000
    #: network inputs: "raw" (abstract state vectors as they are) or "flat" (one-hot grids, ~8x wider, slower).
    features: str = "raw"
    #: most (layout, goal) pairs evaluated (every agent plays the same ones).
    episodes: int = 80
    #: environments run side by side.
    n_envs: int = 8
    #: seeds goal sampling, pair sampling, training and random actions.
    seed: int = 0
    #: the data directory (collected once, reused).
    out: Path = Path("runs/bench-offline/data")
    #: a tiny budget that checks the script runs (tests/benchmarks/test_smoke.py); no figure to read.
    smoke: bool = False


def main(args: Args) -> None:
    if args.smoke:
        args = dataclasses.replace(
            args,
            layouts=2,
            episodes_per_layout=4,
            goals=2,
            min_reached=1,
            algos=("dqn",),
            steps=5,
            conditioned_steps=5,
            episodes=2,
            n_envs=2,
            out=Path(tempfile.mkdtemp()) / "data",
        )
    knowledge = knowledge_for(args.env)
    config = CollectConfig(
        env=args.env,
        policy="mixture",
        layouts=args.layouts,
        episodes_per_layout=args.episodes_per_layout,
        max_steps=args.max_steps,
        seed=args.seed,
        out=args.out,
    )
    data, truth = load_dataset(collect(config, False)), load_ground_truth(args.out)
    abstraction = knowledge_for(data.env_id).goal_schema(data.state_layout)
    counts = np.asarray(truth.achieved.sum(axis=0)).ravel()
    eligible = [g for g, c in zip(truth.goals, counts) if c >= args.min_reached]
    goals = sample_goals(eligible, args.goals, args.seed, abstraction.goal_kind)
    choices = [abstraction.oracle_choice(g) for g in goals]
    labels = np.stack([abstraction.achieved(c, data.states, data.actions, data.src, data.dst) for c in choices])
    table = LabelTable(goals, sp.csr_matrix(labels), data.fingerprint(), "compiled", choices=choices)
    per_goal = goal_mdps(data, table, abstraction)
    n_actions = len(knowledge.action_words)
    features = FlatFeatures(abstraction) if args.features == "flat" else None

    def make_env():
        return knowledge.make_env(goals, goal_sampler="uniform", max_steps=args.max_steps)

    probe = make_env()
    pairs = []
    for layout in np.unique(data.layout_seeds).tolist():
        probe.reset(seed=layout)
        pairs += [(layout, goals[g]) for g in feasible_goals(probe, goals).tolist()]
    rng = np.random.default_rng(args.seed)
    pairs = [pairs[i] for i in sorted(rng.choice(len(pairs), size=min(args.episodes, len(pairs)), replace=False))]
    kinds = sorted({abstraction.goal_kind(g) for g in goals})
    print(
        f"{args.env}: {len(data)} transitions, {len(goals)} goals ({', '.join(kinds)}), "
        f"{np.mean([g.mdp.n_states for g in per_goal]):.0f} abstract states and "
        f"{np.mean([g.mdp.rewards.sum() for g in per_goal]):.0f} rewarded transitions per goal on average; "
        f"{len(pairs)} (layout, goal) pairs, {args.max_steps}-step cap, {args.features} features\n"
    )

    policies: dict[str, tuple[float, dict[str, object] | None]] = {}
    start = time.perf_counter()
    tables = TabularQ(n_actions=n_actions).fit([g.mdp for g in per_goal])
    policies["TabularQ (all goals at once)"] = (
        time.perf_counter() - start,
        {g.goal: TabularPolicy(t, g.vectors) for g, t in zip(per_goal, tables)},
    )
    for algo in args.algos:
        settings = D3RLPYConfig(algo=algo, steps=args.steps, seed=args.seed)
        start = time.perf_counter()
        fitted = fit_per_goal(per_goal, features, settings, n_actions=n_actions)
        policies[f"d3rlpy {algo}, one model per goal"] = (time.perf_counter() - start, dict(zip(goals, fitted)))
        settings = D3RLPYConfig(algo=algo, steps=args.conditioned_steps, seed=args.seed)
        start = time.perf_counter()
        fitted = fit_goal_conditioned(per_goal, features, settings, n_actions=n_actions)
        policies[f"d3rlpy {algo}, goal-conditioned"] = (time.perf_counter() - start, dict(zip(goals, fitted)))
    policies["random actions"] = (0.0, None)

    valued = []  # per goal: the states the table values, and their values
    for g, t in zip(per_goal, tables):
        values = np.where(t.seen, t.q, -np.inf).max(axis=1)
        states = np.flatnonzero(values > 0)
        valued.append((g, t, states, values[states]))

    def table_optimal(by_goal: dict[str, object]) -> float:
        hits = [t.q[s, by_goal[g.goal].act(g.vectors[s])] >= v - 1e-6 for g, t, s, v in valued]  # type: ignore[attr-defined]
        return float(np.concatenate(hits).mean())

    view = AbstractTextDescriber(abstraction, knowledge.symbolic_state, dict(zip(goals, choices)))
    envs = [make_env() for _ in range(min(args.n_envs, len(pairs)))]
    rows = {}
    for name, (seconds, by_goal) in policies.items():
        if by_goal is None:
            agent = RandomAgent(envs[0].action_space, seed=args.seed)
        else:
            agent = OfflinePolicyAgent(envs, by_goal, view, n_actions, seed=args.seed)  # type: ignore[arg-type]
        start = time.perf_counter()
        results = run_episodes(
            agent,
            envs,
            [p[0] for p in pairs],
            reset_options=[{"goal": p[1]} for p in pairs],
            progress=False,
        )
        unknown = agent.unknown_steps / max(agent.steps, 1) if isinstance(agent, OfflinePolicyAgent) else np.nan
        optimal = table_optimal(by_goal) if by_goal is not None else float("nan")
        rows[name] = (seconds, summarize(results), unknown, optimal, time.perf_counter() - start)

    base_seconds, base, *_ = rows["TabularQ (all goals at once)"]
    print(
        "| policy | fit s | fit vs tabular | success | success vs tabular | mean length | random steps | table-optimal "
        "| eval s |\n|---|---|---|---|---|---|---|---|---|"
    )
    for name, (seconds, summary, unknown, optimal, eval_seconds) in rows.items():
        fit = f"{seconds:.2f}" if seconds else "-"
        ratio = f"{seconds / base_seconds:,.0f}x" if seconds else "-"
        success, low_high = summary["success_rate"], summary["success_ci95"]
        vs = f"{success / base['success_rate']:.2f}x" if base["success_rate"] else "-"
        print(
            f"| {name} | {fit} | {ratio} | {success:.0%} [{low_high[0]:.0%}, {low_high[1]:.0%}] | {vs} | "
            f"{summary['mean_length']:.1f} | {_percent(unknown)} | {_percent(optimal)} | "
            f"{eval_seconds:.1f} |"
        )


def _percent(x: float) -> str:
    return "-" if np.isnan(x) else f"{x:.0%}"


if __name__ == "__main__":
    main(tyro.cli(Args))
