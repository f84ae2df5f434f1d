"""TabularQ at TEDUO's scale: today's damped Q-iteration (alpha 0.1, float64) vs value iteration (alpha 1, float32).

    python benchmarks/bench_tabular.py                # 500 goals x 800k transitions (~4 GB of synthetic data)
    python benchmarks/bench_tabular.py --smoke        # a tiny run that checks the script works

Each goal gets its own abstract MDP over ``--transitions`` transitions, shaped like TEDUO's BabyAI data seen through
a goal's abstraction (measured on the labels of ``examples/babyai-quick.json``: 0.46 abstract states and 0.68
``(state, action)`` pairs per transition, each pair leading to one next state, episodes of 16 steps on average, the
actions' frequencies below, a label firing on 0.2-12% of transitions, median 1%): episodes of ``--episode-length``
steps from uniform start states, each action moving deterministically along a ring of states (turns and moves; pick
up, drop, toggle and done stay), the ring sized for ``--states-per-transition`` (the walks overlap less than that
estimate: 0.39 distinct states and 0.79 pairs per transition come out), and a goal region of ``--reward-fraction``
of the states. Values propagate along the ring for as long as gamma allows, so value iteration needs its worst case
of sweeps here (43; 25 on the quick config's real data, whose distances to a goal are short).

The reference is today's fit, ``TabularQ(TabularQConfig(alpha=0.1))`` (the damped update, float64), timed on the
first ``--reference-goals`` goals fitted together and scaled linearly to all goals (its goals are alike, so its time
grows with their number). The new fit is ``TabularQ()``: value iteration on all goals (``--goals-per-call`` at a
time, to bound memory), batches of goals in threads. Both are compared on the reference goals with the exact fixed
point (float64, alpha just under 1, stopped at 1e-12): the largest Q difference, and the greedy actions where the
best two Q-values differ by more than 1e-5. CPU seconds (all threads) are printed beside wall seconds, since a shared
machine's load changes what a wall second is worth.
"""

from __future__ import annotations

import dataclasses
import os
import resource
import time
from dataclasses import dataclass

import numpy as np
import tyro

from teduo_gym.offline import GoalMDP, QTable, TabularQ, TabularQConfig

#: action frequencies of the quick config's data (BabyAI: left, right, forward, pick up, drop, toggle, done).
ACTION_FREQUENCIES = np.array([0.16, 0.195, 0.352, 0.112, 0.094, 0.041, 0.048])
#: where each action leads from abstract state s: s + this offset (mod the number of states).
ACTION_OFFSETS = np.array([-1, 1, 3, 0, 0, 0, 0])


@dataclass(frozen=True)
class Args:
    #: goals.
    goals: int = 500
    #: transitions per goal (the dataset's, seen through each goal's abstraction).
    transitions: int = 800_000
    #: abstract states per transition (0.46 in the quick config's data).
    states_per_transition: float = 0.46
    #: steps per episode (16 on average in the quick config's data).
    episode_length: int = 16
    #: fraction of the states where a goal's label fires.
    reward_fraction: float = 0.01
    #: goals fitted by the reference (its time is scaled to all goals).
    reference_goals: int = 2
    #: goals per call of the new fit (timed together); each call's tables are dropped before the next, as 500 goals'
    #: dense tables (states x actions) would take ~8 GB. A call fits its goals in batches of 25, on the threads.
    goals_per_call: int = 50
    #: threads of the new fit (0: one per core).
    threads: int = 0
    #: seed.
    seed: int = 0
    #: a tiny budget (6 goals x 3,000 transitions): checks that the script runs.
    smoke: bool = False


def synthetic_mdps(args: Args) -> list[GoalMDP]:
    """``args.goals`` goal MDPs sharing one action sequence (as TEDUO's goals share the dataset's actions): episodes
    of ``args.episode_length`` steps from uniform start states, each action moving by its offset on a ring of states
    sized so that the episodes visit ``args.states_per_transition`` distinct states per transition."""
    rng = np.random.default_rng(args.seed)
    length = min(args.episode_length, args.transitions)
    episodes = args.transitions // length
    # Episodes cover a ring of S states like T uniform draws: S (1 - exp(-T / S)) distinct states = f T; x = T / S
    # solves (1 - exp(-x)) / x = f (decreasing in x), by bisection.
    low, high = 1e-9, 1 / args.states_per_transition
    for _ in range(60):
        ratio = (low + high) / 2
        low, high = (ratio, high) if -np.expm1(-ratio) / ratio > args.states_per_transition else (low, ratio)
    n_states = max(int(episodes * length / ratio), 8)
    p = ACTION_FREQUENCIES / ACTION_FREQUENCIES.sum()
    actions = rng.choice(len(p), size=(episodes, length), p=p).astype(np.int8)
    steps = ACTION_OFFSETS[actions].astype(np.int32)
    walk = np.cumsum(steps, axis=1, dtype=np.int32)
    region = max(int(args.reward_fraction * n_states), 1)
    mdps = []
    for _ in range(args.goals):
        dst = (rng.integers(n_states, size=(episodes, 1), dtype=np.int32) + walk) % np.int32(n_states)
        src = (dst - steps) % np.int32(n_states)
        goal = np.int32(rng.integers(n_states))
        rewards = (dst - goal) % np.int32(n_states) < region
        mdps.append(GoalMDP(src.ravel(), actions.ravel(), dst.ravel(), rewards.ravel(), n_states))
    return mdps


def greedy_disagreements(
    a: list[QTable], b: list[QTable], exact: list[QTable], margin: float = 1e-5
) -> tuple[int, int]:
    """States (with an action in the data) where ``a`` and ``b`` act differently although the exact Q-values'
    best two differ by more than ``margin``, and the number of states compared."""
    differ = compared = 0
    for x, y, e in zip(a, b, exact):
        states = np.flatnonzero(e.seen.any(axis=1))
        q = np.sort(np.where(e.seen[states], e.q[states].astype(np.float64), -np.inf), axis=1)
        clear = q[:, -1] - q[:, -2] > margin
        differ += int(((x.greedy(states) != y.greedy(states)) & clear).sum())
        compared += len(states)
    return differ, compared


def largest_gap(a: list[QTable], b: list[QTable]) -> float:
    return max(float(np.abs(x.q.astype(np.float64) - y.q.astype(np.float64)).max()) for x, y in zip(a, b))


def main(args: Args) -> None:
    if args.smoke:
        args = dataclasses.replace(args, goals=6, transitions=3_000, reference_goals=2)
    start = time.perf_counter()
    mdps = synthetic_mdps(args)
    made = time.perf_counter() - start
    k = min(args.reference_goals, args.goals)

    start, cpu = time.perf_counter(), time.process_time()
    reference_fitter = TabularQ(TabularQConfig(alpha=0.1), n_actions=7)
    reference = reference_fitter.fit(mdps[:k])
    reference_seconds = (time.perf_counter() - start) * args.goals / k
    reference_cpu = (time.process_time() - cpu) * args.goals / k

    fitter = TabularQ(n_actions=7, threads=args.threads)
    seconds, cpu_seconds, sweeps, tables = 0.0, 0.0, 0, []
    for i in range(0, args.goals, args.goals_per_call):
        start, cpu = time.perf_counter(), time.process_time()
        fitted = fitter.fit(mdps[i : i + args.goals_per_call])
        seconds += time.perf_counter() - start
        cpu_seconds += time.process_time() - cpu
        sweeps = max(sweeps, fitter.iterations)
        tables += fitted[: k - len(tables)]
        del fitted
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20

    # float64 (alpha < 1 takes the float64 path), contracting by ~gamma per sweep like value iteration.
    exact = TabularQ(TabularQConfig(alpha=1 - 1e-9, tol=1e-12), n_actions=7).fit(mdps[:k])
    differ, compared = greedy_disagreements(reference, tables[:k], exact)

    n_states = mdps[0].n_states
    print(
        f"{args.goals} goals x {args.transitions:,} transitions ({n_states:,} abstract states each; data made in "
        f"{made:.1f} s; peak RSS {peak:.1f} GB; {os.cpu_count()} cores, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})\n"
    )
    print("| fit | sweeps | seconds | CPU seconds (all threads) | speed-up (seconds) |\n|---|---|---|---|---|")
    print(
        f"| reference: TabularQ alpha 0.1, float64 (today's; measured on {k} goals, scaled) "
        f"| {reference_fitter.iterations} | {reference_seconds:.1f} | {reference_cpu:.1f} | 1.00x |"
    )
    print(
        f"| TabularQ(): value iteration, float32, {fitter.threads} threads, all goals "
        f"| {sweeps} | {seconds:.1f} | {cpu_seconds:.1f} | {reference_seconds / seconds:.1f}x |"
    )
    print(
        f"\nOn the {k} reference goals: largest |Q difference| new vs reference "
        f"{largest_gap(tables[:k], reference):.1e}; "
        f"vs the exact fixed point: new {largest_gap(tables[:k], exact):.1e}, reference "
        f"{largest_gap(reference, exact):.1e}; greedy actions that differ where the best two exact Q-values are more "
        f"than 1e-5 apart: {differ} of {compared} states."
    )


if __name__ == "__main__":
    main(tyro.cli(Args))
