"""Evaluation on text episodes: the environment's score (mean reward x 100) and success rate, each with a 95%
interval.

- :func:`evaluate_text_agent` -- one episode per goal through :class:`~teduo_gym.envs.TextEpisodes`, appended to a
  JSONL file (a rerun plays only the goals not yet played).
- :func:`score_summary` -- score, success rate (reward 1), outcome rate and mean steps of a list of episodes.
- :func:`score_table` -- agents x goal sets as a markdown table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from teduo_gym.collection.text_episodes import play_episode
from teduo_gym.datasets.text_episodes import TextEpisode, TextEpisodeFile
from teduo_gym.envs.knowledge import TextEpisodes
from teduo_gym.evaluation.metrics import mean_interval, wilson_interval

__all__ = ["evaluate_text_agent", "score_summary", "score_table"]


def evaluate_text_agent(
    episodes: TextEpisodes,
    act: Callable[[Any], str],
    goal_indices: Sequence[int],
    max_steps: int,
    path: str | Path,
    *,
    desc: str = "evaluate",
    progress: bool = True,
) -> list[TextEpisode]:
    """Play each goal once with ``act`` (observation -> action); episodes are kept in ``path`` by goal index."""
    file = TextEpisodeFile(path)
    done = file.keys()
    for goal in tqdm(goal_indices, desc=desc, disable=not progress):
        if str(goal) not in done:
            file.append(play_episode(episodes, act, int(goal), max_steps, key=str(goal)))
    wanted = {str(g) for g in goal_indices}
    return [e for e in file.read() if e.key in wanted]


def score_summary(episodes: Sequence[TextEpisode]) -> dict[str, Any]:
    """The score (mean reward x 100) and success rate (reward 1), with 95% intervals (normal approximation for the
    score, Wilson's for the success rate), the share of episodes that ended with an outcome (e.g. bought something)
    and the mean length.

    Example:
        >>> s = score_summary([TextEpisode("0", 0, "", (), ("a", "b"), {}, 1.0),
        ...                    TextEpisode("1", 1, "", (), ("a",), {}, 0.5), TextEpisode("2", 2, "", (), ("a",) * 4)])
        >>> s["score"], s["success_rate"], s["outcome_rate"], s["mean_steps"]
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
        "outcome_rate": round(sum(e.outcome is not None for e in episodes) / n, 3) if n else 0.0,
        "mean_steps": round(float(np.mean([len(e.actions) for e in episodes])), 3) if n else 0.0,
    }


def score_table(results: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
    """A markdown table: one row per agent, score and success rate per goal set.

    Example:
        >>> print(score_table({"random": {"test": {"episodes": 2, "score": 12.5, "score_ci95": [0, 30],
        ...                                         "success_rate": 0.0, "success_ci95": [0, 0.66]}}}))
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
