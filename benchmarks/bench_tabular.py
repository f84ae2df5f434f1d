"""TabularQ at scale: all goals in one sparse system vs one goal at a time, on synthetic offline data.

    python benchmarks/bench_tabular.py --goals 500 --transitions 800000 --states 20000

Each goal gets its own abstract MDP over ``--states`` states with ``--transitions`` transitions (the data's
transitions seen through that goal's abstraction), random actions and successors drawn near the source state (a
grid-like walk), and a goal region of ``--goal-states`` rewarded states. The reference fits the same goals one by
one with the same code (``TabularQ().fit([mdp])`` per goal), on the first ``--reference-goals`` goals, scaled up to
all goals. Both use TEDUO's settings (alpha 0.1, gamma 0.7, stop below 1e-6).
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass

import numpy as np
import tyro

from teduo_gym.offline import GoalMDP, TabularQ


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

    start = time.perf_counter()
    fitter = TabularQ(n_actions=7)
    fitter.fit(mdps)
    together = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20

    k = min(args.reference_goals, args.goals)
    start = time.perf_counter()
    for mdp in mdps[:k]:
        TabularQ(n_actions=7).fit([mdp])
    one_by_one = (time.perf_counter() - start) * args.goals / k

    print(
        f"{args.goals} goals x {args.transitions:,} transitions ({args.states:,} abstract states each; data made in "
        f"{made:.1f} s; peak RSS {peak:.1f} GB; {fitter.iterations} sweeps)\n"
    )
    print("| fit | seconds | vs all at once |\n|---|---|---|")
    print(f"| TabularQ, all goals at once | {together:.1f} | 1.00x |")
    print(f"| one goal at a time (measured on {k}, scaled) | {one_by_one:.1f} | {one_by_one / together:.2f}x |")


if __name__ == "__main__":
    main(tyro.cli(Args))
