"""Filtered behaviour cloning: the best loop-free trajectory to each goal, as fine-tuning data.

TEDUO's second step for environments where Q-iteration does not fit (the paper used it for WebShop): for each goal,
take every episode that reaches it, cut the episode after the first transition whose reward reaches a threshold,
remove the loops of that prefix, and keep the best (highest reward, then shortest) trajectories.

- :class:`GoalTrajectory` / :func:`best_trajectories` -- the generic core, on plain arrays of state ids, episode ids
  and rewards; it knows nothing of an environment.
- :func:`action_sequences` -- the kept trajectories of a labelled
  :class:`~teduo_gym.datasets.TransitionDataset` as whole :class:`~teduo_gym.finetune.ActionSequence` of action
  words from a start state text.
- :func:`filtered_bc_examples` -- the same as ``(goal, state text, action word)`` examples and per-goal statistics,
  the shape :func:`~teduo_gym.offline.action_examples` returns, so either can make the fine-tuning data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from teduo_gym.datasets.examples import ActionExample, ActionSequence, write_examples
from teduo_gym.datasets.transitions import TransitionDataset
from teduo_gym.labeling.abstraction import AbstractStates, unique_rows
from teduo_gym.labeling.table import LabelTable

__all__ = ["GoalTrajectory", "action_sequences", "best_trajectories", "filtered_bc_examples"]

#: The paper's reward threshold for WebShop (its scores lie in [0, 1]); boolean labels pass it when True.
THRESHOLD = 0.6


@dataclass(frozen=True)
class GoalTrajectory:
    """A loop-free trajectory from the start of an episode to a goal.

    Attributes:
        goal: the goal's row in the reward matrix.
        episode: the episode it was cut from.
        transitions: the transitions kept, in order; the last one is the first of the episode that reached the goal.
        reward: the reward of that last transition.
        prefix_length: steps from the episode's start to the goal before loop removal.
    """

    goal: int
    episode: int
    transitions: tuple[int, ...]
    reward: float
    prefix_length: int

    @property
    def loops_removed(self) -> int:
        """Steps cut out as loops."""
        return self.prefix_length - len(self.transitions)


def best_trajectories(
    rewards: np.ndarray | sp.spmatrix | sp.sparray,
    src: np.ndarray,
    dst: np.ndarray,
    episode: np.ndarray,
    *,
    threshold: float = THRESHOLD,
    keep: int | None = 1,
) -> list[GoalTrajectory]:
    """The best loop-free trajectories to every goal.

    For goal ``g`` and every episode, the prefix up to and including the episode's first transition ``t`` with
    ``rewards[g, t] >= threshold`` is a candidate. Its loops are removed: wherever a state recurs, the steps between
    its two visits are cut (chronological loop erasure, so the states the kept path leaves from are distinct). The
    reaching transition is always kept last, since the reward belongs to it; its end state may, rarely, be one the
    path visited before without the reward. Candidates are ranked by reward (higher first), then kept length
    (shorter first), then episode id (lower first), and the first ``keep`` per goal are returned.

    Transitions of an episode must appear in the order they were taken (episodes may interleave), so that the end
    state of each is the start state of the next; state ids may be raw or abstract.

    Example:
        One episode ``0 -> 1 -> 2 -> 1 -> 3 -> 4``, rewarded on its last step: the loop ``1 -> 2 -> 1`` is cut.

        >>> src, dst = np.array([0, 1, 2, 1, 3]), np.array([1, 2, 1, 3, 4])
        >>> [best] = best_trajectories(np.array([0, 0, 0, 0, 1.0]), src, dst, np.zeros(5, int))
        >>> best.transitions, best.reward, best.prefix_length, best.loops_removed
        ((0, 3, 4), 1.0, 5, 2)

    Args:
        rewards: ``(G, T)`` rewards of each goal for each transition (bool or float, dense or ``scipy.sparse``), or
            one goal's ``(T,)``.
        src, dst: ``(T,)`` ids of each transition's start and end state.
        episode: ``(T,)`` episode id of each transition.
        threshold: the reward that counts as reaching a goal; must be positive (a zero reward never does).
        keep: trajectories kept per goal; ``None`` keeps one per episode that reaches the goal.

    Returns:
        The kept trajectories, by goal, best first.

    Raises:
        ValueError: mismatched shapes, a threshold that is not positive, ``keep < 1``, or an episode whose
            transitions do not chain (``dst`` of one is not ``src`` of the next).
    """
    src, dst, episode = (np.asarray(a, np.int64).ravel() for a in (src, dst, episode))
    n = len(src)
    if len(dst) != n or len(episode) != n:
        raise ValueError(
            f"src, dst and episode must have one entry per transition, got {n}, {len(dst)}, {len(episode)}"
        )
    if not threshold > 0:
        raise ValueError(f"threshold must be positive, got {threshold}")
    if keep is not None and keep < 1:
        raise ValueError(f"keep must be at least 1 or None, got {keep}")
    goals, hits, values = _hits(rewards, n, threshold)

    # Episodes as contiguous runs of a stable sort by id; a "position" is a transition's place in that order.
    order = np.argsort(episode, kind="stable")
    sorted_episode = episode[order]
    same = sorted_episode[1:] == sorted_episode[:-1]
    broken = np.flatnonzero(same & (dst[order[:-1]] != src[order[1:]]))
    if len(broken):
        t0, t1 = order[broken[0]], order[broken[0] + 1]
        raise ValueError(
            f"episode {episode[t0]} does not chain: transition {t0} ends in state {dst[t0]} but the next one, {t1}, "
            f"starts in {src[t1]}; give each episode's transitions in the order they were taken"
        )
    starts = np.flatnonzero(np.r_[True, ~same]) if n else np.zeros(0, np.int64)
    position = np.empty(n, np.int64)
    position[order] = np.arange(n)

    # The first reaching transition of each (goal, episode): hits sorted by goal, then by position.
    pos = position[hits]
    by = np.lexsort((pos, goals))
    goals, pos, values = goals[by], pos[by], values[by]
    first = np.ones(len(goals), bool)
    first[1:] = (goals[1:] != goals[:-1]) | (sorted_episode[pos[1:]] != sorted_episode[pos[:-1]])
    goals, pos, values = goals[first], pos[first], values[first]

    erased = _LoopErasure(src[order], dst[order], starts, pos)
    lengths = erased.depth_before(pos) + 1
    rank = np.lexsort((sorted_episode[pos], lengths, -values, goals))
    goals, pos, values = goals[rank], pos[rank], values[rank]
    within = np.arange(len(goals)) - np.searchsorted(goals, goals)  # rank within the goal (goals are sorted)
    chosen = np.arange(len(goals)) if keep is None else np.flatnonzero(within < keep)
    result = []
    for i in chosen:
        p = int(pos[i])
        path = order[erased.path_before(p) + [p]]
        result.append(
            GoalTrajectory(
                goal=int(goals[i]),
                episode=int(sorted_episode[p]),
                transitions=tuple(path.tolist()),
                reward=float(values[i]),
                prefix_length=int(p - starts[np.searchsorted(starts, p, side="right") - 1] + 1),
            )
        )
    return result


def _hits(rewards: Any, n: int, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(goal, transition, reward)`` of every reward at or above the threshold."""
    if sp.issparse(rewards):
        coo = sp.coo_matrix(rewards)
        if coo.shape[1] != n:
            raise ValueError(f"rewards have {coo.shape[1]} columns for {n} transitions")
        data = coo.data.astype(np.float64)
        ok = data >= threshold  # zeros left out of a sparse matrix are below any positive threshold
        return coo.row[ok].astype(np.int64), coo.col[ok].astype(np.int64), data[ok]
    dense = np.asarray(rewards)
    dense = dense.reshape(1, -1) if dense.ndim == 1 else dense
    if dense.ndim != 2 or dense.shape[1] != n:
        raise ValueError(f"rewards of shape {np.shape(rewards)} for {n} transitions: give (G, T) or (T,)")
    goals, hits = np.nonzero(dense.astype(np.float64) >= threshold)
    return goals.astype(np.int64), hits.astype(np.int64), dense[goals, hits].astype(np.float64)


class _LoopErasure:
    """Chronological loop erasure of the episodes that hold candidates, each up to its last candidate.

    Each transition (by its position in episode order) is a node of a tree: when it enters a state not on the
    current path it is pushed with the path's last node as parent; when it enters a state on the path, the path is
    popped back to that state's node. ``top[p]`` is the path's last node before transition ``p`` (-1: the empty
    path at the episode's start), so the loop-free path to any prefix is a walk up the parents.
    """

    def __init__(self, src: np.ndarray, dst: np.ndarray, starts: np.ndarray, ends: np.ndarray):
        n = len(src)
        self.top = np.full(n, -1, np.int64)
        self.parent = np.full(n, -1, np.int64)
        self.depth = np.zeros(n, np.int64)
        episode_of = np.searchsorted(starts, ends, side="right") - 1
        last = np.full(len(starts), -1, np.int64)
        np.maximum.at(last, episode_of, ends)
        for e in np.flatnonzero(last >= 0):
            self._erase(int(starts[e]), int(last[e]), src, dst)

    def _erase(self, start: int, end: int, src: np.ndarray, dst: np.ndarray) -> None:
        # a plain loop over one episode's prefix; the node of each state on the path, -1 for the start state
        entered = dst[start:end].tolist()
        top, parent, depth = self.top, self.parent, self.depth
        on_path = {int(src[start]): -1}
        node = -1
        for p, state in enumerate(entered, start):
            top[p] = node
            found = on_path.get(state)
            if found is None:
                parent[p], depth[p] = node, (depth[node] + 1 if node >= 0 else 1)
                on_path[state] = node = p
            else:
                while node != found:  # pop the loop
                    del on_path[int(dst[node])]
                    node = int(parent[node])
        top[end] = node

    def depth_before(self, positions: np.ndarray) -> np.ndarray:
        """Length of the loop-free path to the start state of each transition."""
        top = self.top[positions]
        return np.where(top >= 0, self.depth[np.maximum(top, 0)], 0)

    def path_before(self, position: int) -> list[int]:
        """The loop-free path (positions) to the start state of one transition."""
        path, node = [], int(self.top[position])
        while node >= 0:
            path.append(node)
            node = int(self.parent[node])
        return path[::-1]


#: State ids and texts of one goal: an :class:`AbstractStates` per goal (by goal index), or a function giving it.
GoalViews = Callable[[int], AbstractStates] | Sequence[AbstractStates]


def action_sequences(
    data: TransitionDataset,
    table: LabelTable,
    action_words: Sequence[str],
    *,
    views: GoalViews | None = None,
    threshold: float = THRESHOLD,
    keep: int | None = 1,
    scores: bool = False,
) -> tuple[list[ActionSequence], dict[str, Any]]:
    """The best trajectories of every goal of a label table (:func:`best_trajectories`) as action sequences.

    Example:
        >>> from teduo_gym.labeling.abstraction import AbstractStates
        >>> data = TransitionDataset("Toy-v0", {}, np.arange(6, dtype=np.uint8).reshape(6, 1), list("abcdef"),
        ...     np.array([1, 1, 0, 1, 1]), np.array([0, 1, 2, 3, 4]), np.array([1, 2, 3, 4, 5]), np.zeros(5, int),
        ...     np.array([0]))
        >>> table = LabelTable(["reach f", "fly"], sp.csr_matrix([[0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]),
        ...                    data.fingerprint(), "compiled")
        >>> # the goal's abstraction merges states b and d: b -> c -> d is a loop
        >>> view = AbstractStates(np.zeros((5, 1)), np.array([0, 1, 2, 1, 3, 4]), ["A", "B", "C", "E", "F"], 6)
        >>> [seq], stats = action_sequences(data, table, ["left", "right"], views=[view, view])
        >>> seq.state, seq.actions, seq.states, stats["fly"]
        ('A', ('right', 'right', 'right'), ('A', 'B', 'E'), {'reached': False})

    Args:
        data: the transitions.
        table: their labels (or scores), made from ``data``.
        action_words: the environment's actions as words.
        views: per goal, the state ids that decide loops and the texts of the examples (e.g. ``lambda g:
            abstract(abstraction, data.states, table.choices[g])``); by default raw states, identical when their
            vectors are, with the dataset's texts.
        threshold: the reward that counts as reaching a goal.
        keep: sequences kept per goal (``None``: one per episode that reaches it).
        scores: rank by ``table.scores`` (float) instead of the boolean labels.

    Returns:
        The sequences, by goal, best first; and per goal ``{"reached": False}`` or ``{"reached": True,
        "episodes": episodes that reach it, "kept": sequences kept, "mean_length": their mean length,
        "loops_removed": steps cut from them, "best_reward": the best reward}``.

    Raises:
        FingerprintMismatchError: the table was made from other data.
        ValueError: ``scores`` without scores in the table, an action id with no word, views that do not fit, or
            bad settings.
    """
    table.check_data(data)
    if len(data) and data.actions.max() >= len(action_words):
        raise ValueError(f"action {data.actions.max()} has no word in {list(action_words)}")
    if scores and table.scores is None:
        raise ValueError(f"the {table.mode} label table has no scores: rank by its labels (scores=False)")
    rewards = table.scores if scores else table.labels
    assert rewards is not None
    if views is None:
        ids = unique_rows(data.states)[1]
        kept = best_trajectories(rewards, ids[data.src], ids[data.dst], data.episode, threshold=threshold, keep=keep)
        goal_views: list[AbstractStates] | None = None
    else:
        if not callable(views) and len(views) != len(table.goals):
            raise ValueError(f"{len(views)} views for the {len(table.goals)} goals of the label table")
        goal_views = [views(g) if callable(views) else views[g] for g in range(len(table.goals))]
        kept = []
        for g, view in enumerate(goal_views):
            if len(view.ids) != len(data.states):
                raise ValueError(f"the view of goal {g} has {len(view.ids)} state ids for {len(data.states)} states")
            src, dst = view.ids[data.src], view.ids[data.dst]
            for t in best_trajectories(rewards[g : g + 1], src, dst, data.episode, threshold=threshold, keep=keep):
                kept.append(GoalTrajectory(g, t.episode, t.transitions, t.reward, t.prefix_length))

    sequences: list[ActionSequence] = []
    by_goal: dict[int, list[GoalTrajectory]] = {}
    for t in kept:
        index = np.asarray(t.transitions, np.int64)
        states = data.src[index].tolist()
        if goal_views is None:
            texts = tuple(data.texts[s] for s in states)
        else:
            view = goal_views[t.goal]
            texts = tuple(view.texts[i] for i in view.ids[states].tolist())
        actions = tuple(action_words[a] for a in data.actions[index].tolist())
        sequences.append(ActionSequence(table.goals[t.goal], texts[0], actions[0], actions, texts, t.episode, t.reward))
        by_goal.setdefault(t.goal, []).append(t)
    stats: dict[str, Any] = {}
    for g, goal in enumerate(table.goals):
        if g not in by_goal:
            stats[goal] = {"reached": False}
            continue
        row = rewards[g]
        row = row.toarray().ravel() if sp.issparse(row) else np.asarray(row).ravel()
        stats[goal] = {
            "reached": True,
            "episodes": int(len(np.unique(data.episode[row.astype(np.float64) >= threshold]))),
            "kept": len(by_goal[g]),
            "mean_length": float(np.mean([len(t.transitions) for t in by_goal[g]])),
            "loops_removed": int(sum(t.loops_removed for t in by_goal[g])),
            "best_reward": max(t.reward for t in by_goal[g]),
        }
    return sequences, stats


def filtered_bc_examples(
    data: TransitionDataset,
    table: LabelTable,
    action_words: Sequence[str],
    *,
    views: GoalViews | None = None,
    threshold: float = THRESHOLD,
    keep: int | None = 1,
    scores: bool = False,
    sequences_path: str | Path | None = None,
) -> tuple[list[ActionExample], dict[str, Any]]:
    """Fine-tuning examples by filtered behaviour cloning: every step of :func:`action_sequences`.

    The counterpart of :func:`~teduo_gym.offline.action_examples`: the same ``(examples, stats)``, goals never
    reached skipped and reported (``"reached": False``), identical examples kept once.

    Example:
        >>> data = TransitionDataset("Toy-v0", {}, np.array([[0], [1], [0], [2]], np.uint8), list("abad"),
        ...     np.array([0, 1, 1]), np.array([0, 1, 2]), np.array([1, 2, 3]), np.zeros(3, int), np.array([0]))
        >>> table = LabelTable(["reach d"], sp.csr_matrix([[0, 0, 1]]), data.fingerprint(), "compiled")
        >>> examples, stats = filtered_bc_examples(data, table, ["left", "right"])  # a -> b -> a is a loop
        >>> [(e.state, e.action) for e in examples], stats["reach d"]["loops_removed"]
        ([('a', 'right')], 2)

    Args:
        data, table, action_words, views, threshold, keep, scores: as for :func:`action_sequences`.
        sequences_path: also write the whole sequences there as JSONL (:func:`~teduo_gym.finetune.write_examples`).
    """
    sequences, stats = action_sequences(
        data, table, action_words, views=views, threshold=threshold, keep=keep, scores=scores
    )
    if sequences_path is not None:
        write_examples(sequences_path, sequences)
    examples: dict[tuple[str, str, str], ActionExample] = {}
    for sequence in sequences:
        for example in sequence.steps():
            examples.setdefault((example.goal, example.state, example.action), example)
    return list(examples.values()), stats
