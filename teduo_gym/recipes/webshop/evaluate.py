"""Evaluation on WebShop: WebShop's score (mean reward x 100) and success rate, each with a 95% interval.

- :func:`evaluate_agent` -- one episode per goal through the environment, appended to a JSONL file (a rerun plays
  only the goals not yet played).
- :func:`score_summary` -- score, success rate (reward 1), purchase rate and mean steps of a list of episodes.
- :func:`results_table` -- agents x goal sets as a markdown table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from tqdm.auto import tqdm

from teduo_gym.evaluation.metrics import mean_interval, wilson_interval
from teduo_gym.recipes.webshop.episodes import Episode, EpisodeFile, play_episode

__all__ = ["evaluate_agent", "results_table", "score_summary"]


def evaluate_agent(
    env: gym.Env,
    act: Callable[[dict[str, str]], str],
    goal_indices: Sequence[int],
    max_steps: int,
    path: str | Path,
    *,
    desc: str = "evaluate",
    progress: bool = True,
) -> list[Episode]:
    """Play each goal once with ``act`` (observation -> action) on WebShop's ``shop_env``; episodes are kept in
    ``path`` by goal index."""
    file = EpisodeFile(path)
    done = file.keys()
    for goal in tqdm(goal_indices, desc=desc, disable=not progress):
        if str(goal) not in done:
            file.append(play_episode(env, act, int(goal), max_steps, key=str(goal)))
    wanted = {str(g) for g in goal_indices}
    return [e for e in file.read() if e.key in wanted]


def score_summary(episodes: Sequence[Episode]) -> dict[str, Any]:
    """WebShop's score (mean reward x 100) and success rate (reward 1), with 95% intervals (normal approximation for
    the score, Wilson's for the success rate), the share of episodes that bought something and the mean length.

    Example:
        >>> from teduo_gym.recipes.webshop.shop import webshop
        >>> p = webshop().Purchase("b1", "Mug", "$5")
        >>> s = score_summary([Episode("0", 0, "", (), ("a", "b"), p, 1.0), Episode("1", 1, "", (), ("a",), p, 0.5),
        ...                    Episode("2", 2, "", (), ("a",) * 4)])
        >>> s["score"], s["success_rate"], s["purchase_rate"], s["mean_steps"]
        (50.0, 0.333, 0.667, 2.333)
    """
    n = len(episodes)
    rewards = np.array([e.reward for e in episodes], dtype=float)
    successes = int(sum(e.reward >= 1.0 - 1e-9 for e in episodes))
    low, high = mean_interval(rewards * 100)
    return {
        "episodes": n,
        "score": round(float(rewards.mean() * 100), 1) if n else 0.0,
        "score_ci95": [round(max(0.0, low), 1), round(min(100.0, high), 1)],
        "success_rate": round(successes / n, 3) if n else 0.0,
        "success_ci95": [round(x, 3) for x in wilson_interval(successes, n)],
        "purchase_rate": round(sum(e.purchase is not None for e in episodes) / n, 3) if n else 0.0,
        "mean_steps": round(float(np.mean([len(e.actions) for e in episodes])), 3) if n else 0.0,
    }


def results_table(results: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
    """A markdown table: one row per agent, score and success rate per goal set.

    Example:
        >>> print(results_table({"random": {"test": {"episodes": 2, "score": 12.5, "score_ci95": [0, 30],
        ...                                           "success_rate": 0.0, "success_ci95": [0, 0.66]}}}))
        | agent | test score | test success |
        |---|---|---|
        | random | 12.5 [0, 30] | 0% [0, 66] (n=2) |
    """
    sets = list(dict.fromkeys(s for summaries in results.values() for s in summaries))
    lines = [
        "| agent | " + " | ".join(f"{s} score | {s} success" for s in sets) + " |",
        "|---|" + "---|---|" * len(sets),
    ]
    for agent, summaries in results.items():
        cells = []
        for s in sets:
            r = summaries.get(s)
            if r is None:
                cells += ["-", "-"]
                continue
            lo, hi = r["score_ci95"]
            slo, shi = (round(100 * x) for x in r["success_ci95"])
            cells += [
                f"{r['score']:g} [{lo:g}, {hi:g}]",
                f"{100 * r['success_rate']:.0f}% [{slo}, {shi}] (n={r['episodes']})",
            ]
        lines.append(f"| {agent} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
