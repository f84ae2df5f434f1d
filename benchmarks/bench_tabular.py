"""TabularQ at scale: all goals in one sparse system vs one goal at a time, on synthetic offline data.

    python benchmarks/bench_tabular.py --goals 500 --transitions 800000 --states 20000

Each goal gets its own abstract MDP over ``--states`` states with ``--transitions`` transitions (the data's
transitions seen through that goal's abstraction), random actions and successors drawn near the source state (a
grid-like walk), and a goal region of ``--goal-states`` rewarded states. The reference fits the same goals one by
one with the same code (``TabularQ().fit([mdp])`` per goal), on the first ``--reference-goals`` goals, scaled up to
all goals. TEDUO's settings (gamma 0.7, stop below 1e-6) with each step size of ``--alphas``: the expected update
``Q += alpha (T Q - Q)`` has the same fixed point for any alpha in (0, 1], and alpha 1 needs ~10x fewer sweeps.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass

import numpy as np
import tyro

from teduo_gym.offline import GoalMDP, TabularQ, TabularQConfig


@dataclass(frozen=True)
class Args:
    #: goals.
    goals: int = 500
    #: transitions per goal.
    transitions: int = 800_000
    #: abstract states per goal.
    states: int = 20_000
    #: rewarded states per goal.
    goal_states: int = 20
    #: goals fitted one at a time for the reference (its time is scaled to all goals).
    reference_goals: int = 5
    #: Q-iteration step sizes compared (TEDUO's 0.1; 1.0 reaches the same fixed point in fewer sweeps).
    alphas: tuple[float, ...] = (0.1, 1.0)
    #: seed.
    seed: int = 0


def synthetic_mdp(rng: np.random.Generator, args: Args) -> GoalMDP:
    src = rng.integers(args.states, size=args.transitions)
    dst = np.clip(src + rng.integers(-3, 4, size=args.transitions), 0, args.states - 1)
    goal = rng.integers(args.states - args.goal_states)
    rewards = (dst >= goal) & (dst < goal + args.goal_states)
    return GoalMDP(src, rng.integers(7, size=args.transitions), dst, rewards, args.states)


def main(args: Args) -> None:
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    mdps = [synthetic_mdp(rng, args) for _ in range(args.goals)]
    made = time.perf_counter() - start

    rows, sweeps, tables = [], [], []
    for alpha in args.alphas:
        start = time.perf_counter()
        fitter = TabularQ(TabularQConfig(alpha=alpha), n_actions=7)
        tables.append(fitter.fit(mdps))
        rows.append((f"TabularQ alpha {alpha}, all goals at once", time.perf_counter() - start))
        sweeps.append(f"alpha {alpha}: {fitter.iterations}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    gap = max(float(np.abs(a.q - b.q).max()) for a, b in zip(tables[0], tables[-1]))

    k = min(args.reference_goals, args.goals)
    start = time.perf_counter()
    for mdp in mdps[:k]:
        TabularQ(TabularQConfig(alpha=args.alphas[0]), n_actions=7).fit([mdp])
    rows.append(
        (
            f"alpha {args.alphas[0]}, one goal at a time (measured on {k}, scaled)",
            (time.perf_counter() - start) * args.goals / k,
        )
    )

    print(
        f"{args.goals} goals x {args.transitions:,} transitions ({args.states:,} abstract states each; data made in "
        f"{made:.1f} s; peak RSS {peak:.1f} GB; sweeps {', '.join(sweeps)}; largest Q difference between the first "
        f"and last alpha {gap:.1e})\n"
    )
    print("| fit | seconds | vs the first row |\n|---|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.1f} | {seconds / rows[0][1]:.2f}x |")


if __name__ == "__main__":
    main(tyro.cli(Args))
