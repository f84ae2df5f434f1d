"""Filtered behaviour cloning over text episodes: the best loop-free labelled trajectory per goal, as fine-tuning
examples (the paper's WebShop step 2).

- :func:`episode_bc_examples` -- with :func:`~teduo_gym.offline.filtered_bc.best_trajectories`: for each goal, the
  episodes whose outcome the judge rewarded at least ``threshold`` for it, loops removed (a state text visited
  twice, e.g. a page opened and closed), the best (highest label, then shortest) kept; every step becomes an
  :class:`~teduo_gym.datasets.ActionExample` of the goal's instruction, the state's text and the action (hindsight:
  an episode played for one goal teaches every goal its outcome satisfies).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from teduo_gym.datasets.examples import ActionExample
from teduo_gym.datasets.text_episodes import TextEpisode
from teduo_gym.labeling.outcomes import OutcomeLabel
from teduo_gym.offline.filtered_bc import THRESHOLD, best_trajectories

__all__ = ["episode_bc_examples"]

_DONE = "\0done"


def episode_bc_examples(
    episodes: Sequence[TextEpisode],
    labels: Sequence[OutcomeLabel],
    goals: Mapping[int, str],
    *,
    threshold: float = THRESHOLD,
    keep: int | None = 1,
) -> tuple[list[ActionExample], dict[str, Any]]:
    """Examples of the best loop-free trajectories per goal (``goals``: index -> instruction; ``keep`` None keeps
    every trajectory that reaches the threshold).

    Example:
        Episode "a" opens the description and goes back (a loop) before buying; "b" buys at once:

        >>> bought = {"title": "Mug"}
        >>> a = TextEpisode("a", 7, "a mug", ("search page", "results", "item", "description", "item"),
        ...     ("search[mug]", "click[b1]", "click[description]", "click[< prev]", "click[buy now]"), bought)
        >>> b = TextEpisode("b", 8, "a cup", ("search page", "results", "item"),
        ...     ("search[cup]", "click[b1]", "click[buy now]"), bought)
        >>> labels = [OutcomeLabel("a", 7, 0.9, {}), OutcomeLabel("b", 7, 0.7, {}), OutcomeLabel("b", 8, 0.3, {})]
        >>> examples, stats = episode_bc_examples([a, b], labels, {7: "a mug", 8: "a cup"})
        >>> [e.action for e in examples], stats["goals_reached"]
        (['search[mug]', 'click[b1]', 'click[buy now]'], 1)

    Returns:
        The examples, and statistics: goals reached, trajectories kept, steps, loops removed, mean label, and the
        indices of the goals reached.
    """
    by_key = {e.key: e for e in episodes}
    ids: dict[str, int] = {}
    src, dst, episode_ids, states, actions, last_step = [], [], [], [], [], {}
    for number, episode in enumerate(episodes):
        pages = [*episode.states, f"{_DONE}{episode.key}"]
        for t, action in enumerate(episode.actions):
            src.append(ids.setdefault(pages[t], len(ids)))
            dst.append(ids.setdefault(pages[t + 1], len(ids)))
            episode_ids.append(number)
            states.append(pages[t])
            actions.append(action)
        last_step[episode.key] = len(src) - 1
    goal_list = sorted({lb.goal_index for lb in labels})
    row = {g: i for i, g in enumerate(goal_list)}
    rewards = sp.lil_matrix((len(goal_list), len(src)))
    for lb in labels:
        if lb.episode in by_key and by_key[lb.episode].outcome is not None:
            rewards[row[lb.goal_index], last_step[lb.episode]] = lb.reward
    kept = best_trajectories(
        rewards.tocsr(), np.array(src), np.array(dst), np.array(episode_ids), threshold=threshold, keep=keep
    )
    examples = []
    for trajectory in kept:
        goal = goal_list[trajectory.goal]
        examples += [ActionExample(goals[goal], states[t], actions[t]) for t in trajectory.transitions]
    stats = {
        "goals_labelled": len(goal_list),
        "goals_reached": len({t.goal for t in kept}),
        "trajectories": len(kept),
        "examples": len(examples),
        "loops_removed": sum(t.loops_removed for t in kept),
        "mean_label": float(np.mean([t.reward for t in kept])) if kept else None,
        "goal_indices": sorted({goal_list[t.goal] for t in kept}),
    }
    return examples, stats
