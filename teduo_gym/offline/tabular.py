"""Tabular Q-iteration for many goals at once, over the abstract states seen in offline data (TEDUO step 2).

- :class:`GoalMDP` -- one goal's labelled transitions between abstract-state ids.
- :class:`TabularQConfig` -- the paper's defaults: alpha 0.1, gamma 0.7, stop when the update is below 1e-6.
- :class:`TabularQ` -- fits every goal in one loop of sparse matrix products; :class:`QTable` holds a result.
- :class:`TabularPolicy` -- a :class:`QTable` acting on abstract state vectors (looked up among the goal's states).

The update, for all goals together (each goal's states occupy their own block of one sparse system)::

    Q(s, a) <- (1 - alpha) Q(s, a) + alpha [ R(s, a) + gamma * sum_s' P(s' | s, a) max_a' Q(s', a') ]

where ``R(s, a)`` is the mean label of the transitions from ``(s, a)`` and ``P`` the empirical probability of
reaching a non-goal ``s'`` (a transition whose label fires ends the episode, so it contributes no future value).
This is tabular Q-learning's update in expectation over the data; its fixed point is the same, reached without
sampling noise. Actions never taken in a state are never chosen by :meth:`QTable.greedy`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

__all__ = ["GoalMDP", "QTable", "TabularPolicy", "TabularQ", "TabularQConfig"]


@dataclass(frozen=True)
class GoalMDP:
    """One goal's data: transition ``t`` goes from ``src[t]`` by ``actions[t]`` to ``dst[t]``, labelled ``rewards[t]``.

    State ids are ``0 .. n_states - 1`` (e.g. the goal's abstract-state ids).
    """

    src: np.ndarray
    actions: np.ndarray
    dst: np.ndarray
    rewards: np.ndarray
    n_states: int


@dataclass(frozen=True)
class QTable:
    """Q-values of one goal: ``q[s, a]``; ``seen[s, a]`` marks pairs present in the data."""

    q: np.ndarray
    seen: np.ndarray

    def greedy(self, states: np.ndarray) -> np.ndarray:
        """The best action seen in each state (-1 where a state has no action in the data)."""
        q = np.where(self.seen[states], self.q[states], -np.inf)
        best = q.argmax(axis=1)
        return np.where(self.seen[states].any(axis=1), best, -1)


@dataclass(frozen=True, eq=False)  # arrays inside: compared by identity
class TabularPolicy:
    """A goal's :class:`QTable` acting on abstract state vectors: the greedy action of the goal's state with the
    same vector, or -1 for a vector never seen in the data (or a state never left in it): a table cannot generalise,
    so the caller decides what to do there (:class:`~teduo_gym.agents.OfflinePolicyAgent` acts at random).

    Example:
        >>> table = QTable(np.array([[0.0, 1.0], [2.0, 0.0]], np.float32), np.ones((2, 2), bool))
        >>> policy = TabularPolicy(table, np.array([[0, 0], [0, 1]], np.uint8))
        >>> policy.act(np.array([[0, 1], [0, 0], [5, 5]], np.uint8)).tolist()
        [0, 1, -1]

    Args:
        table: the goal's Q-table over its abstract states ``0 .. K - 1``.
        vectors: ``(K, D)`` the goal's abstract state vectors, ``vectors[k]`` of state ``k``
            (:attr:`~teduo_gym.offline.GoalData.vectors`).
    """

    table: QTable
    vectors: np.ndarray
    _index: dict[bytes, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.vectors) != len(self.table.q):
            raise ValueError(f"{len(self.vectors)} state vectors for a Q-table of {len(self.table.q)} states")
        vectors = np.ascontiguousarray(self.vectors)
        object.__setattr__(self, "_index", {v.tobytes(): k for k, v in enumerate(vectors)})

    def act(self, vectors: np.ndarray) -> np.ndarray:
        """The greedy action of each ``(n, D)`` abstract state vector; -1 where the table knows no action."""
        rows = np.ascontiguousarray(vectors, dtype=self.vectors.dtype).reshape(len(vectors), -1)
        states = np.array([self._index.get(v.tobytes(), -1) for v in rows], dtype=np.int64)
        actions = np.full(len(states), -1, dtype=np.int64)
        known = states >= 0
        actions[known] = self.table.greedy(states[known])
        return actions


@dataclass(frozen=True)
class TabularQConfig:
    """Tabular Q-iteration settings (TEDUO's defaults)."""

    #: step size of each update.
    alpha: float = 0.1
    #: discount.
    gamma: float = 0.7
    #: a goal stops when none of its Q-values moves by more than this.
    tol: float = 1e-6
    #: give up after this many sweeps (a warning is recorded in ``TabularQ.iterations``).
    max_iterations: int = 20_000
    #: goals are solved together in batches of at most this many transitions (one goal may exceed it alone),
    #: which bounds memory (~100 bytes a transition) at the paper's scale of 500 goals x 800k transitions.
    batch_transitions: int = 20_000_000


class TabularQ:
    """Q-iteration over offline data for many goals at once (sparse, vectorised across goals).

    Example:
        >>> mdp = GoalMDP(src=np.array([0, 1, 0]), actions=np.array([1, 1, 0]), dst=np.array([1, 2, 0]),
        ...               rewards=np.array([0, 1, 0], bool), n_states=3)
        >>> table = TabularQ().fit([mdp])[0]
        >>> table.greedy(np.array([0, 1])).tolist()
        [1, 1]
        >>> round(float(table.q[0, 1]), 3)  # gamma * 1
        0.7
    """

    def __init__(self, config: TabularQConfig | None = None, n_actions: int | None = None):
        self.config = config or TabularQConfig()
        self.n_actions = n_actions
        self.iterations = 0

    def fit(self, problems: Sequence[GoalMDP]) -> list[QTable]:
        """Fit one Q-table per goal, goals batched by :attr:`TabularQConfig.batch_transitions`.

        Goals are independent and each stops when its own values move less than ``tol``, so batching (and sharding
        goals over workers) changes no table. :attr:`iterations` is the most sweeps any goal needed.
        """
        tables: list[QTable] = []
        batch: list[GoalMDP] = []
        iterations = 0
        for problem in problems:
            if batch and sum(len(p.src) for p in batch) + len(problem.src) > self.config.batch_transitions:
                tables += self._fit_batch(batch)
                iterations, batch = max(iterations, self.iterations), []
            batch.append(problem)
        if batch:
            tables += self._fit_batch(batch)
            iterations = max(iterations, self.iterations)
        self.iterations = iterations
        return tables

    def _fit_batch(self, problems: Sequence[GoalMDP]) -> list[QTable]:
        if not problems:
            return []
        n_actions = self.n_actions or int(max(p.actions.max() for p in problems if len(p.actions)) + 1)
        offsets = np.cumsum([0] + [p.n_states for p in problems])
        src = np.concatenate([p.src + o for p, o in zip(problems, offsets)]).astype(np.int64)
        dst = np.concatenate([p.dst + o for p, o in zip(problems, offsets)]).astype(np.int64)
        actions = np.concatenate([p.actions for p in problems]).astype(np.int64)
        rewards = np.concatenate([p.rewards for p in problems]).astype(np.float64)
        n_total = int(offsets[-1])

        # One row per (state, action) pair present in the data.
        pair = src * n_actions + actions
        pairs, row = np.unique(pair, return_inverse=True)
        counts = np.bincount(row, minlength=len(pairs)).astype(np.float64)
        mean_reward = np.bincount(row, weights=rewards, minlength=len(pairs)) / counts
        # P(s' | s, a) over transitions that do not end the episode (a fired label is terminal).
        go_on = (1.0 - rewards) / counts[row]
        transition = sp.csr_matrix((go_on, (row, dst)), shape=(len(pairs), n_total))

        q_pairs = np.zeros(len(pairs))
        q = np.zeros(n_total * n_actions)
        seen = np.zeros(n_total * n_actions, dtype=bool)
        seen[pairs] = True
        # Each goal stops on its own (its rows are contiguous, since pair ids grow with the state offsets), so a
        # goal's table is bit for bit the one it gets alone: batches and shards of goals change nothing.
        goal_of = np.searchsorted(offsets, pairs // n_actions, side="right") - 1
        starts = np.searchsorted(goal_of, np.arange(len(problems)))
        has_rows = np.diff(np.append(starts, len(pairs))) > 0
        active = has_rows.copy()
        moved = np.zeros(len(problems))
        alpha, gamma = self.config.alpha, self.config.gamma
        for iteration in range(1, self.config.max_iterations + 1):
            self.iterations = iteration
            values = np.where(seen, q, -np.inf).reshape(n_total, n_actions).max(axis=1)
            values[~np.isfinite(values)] = 0.0  # states never left in the data
            update = alpha * (mean_reward + gamma * (transition @ values) - q_pairs)
            update[~active[goal_of]] = 0.0
            q_pairs += update
            q[pairs] = q_pairs
            moved[has_rows] = np.maximum.reduceat(np.abs(update), starts[has_rows])
            active &= moved >= self.config.tol
            if not active.any():
                break
        q2, seen2 = q.reshape(n_total, n_actions), seen.reshape(n_total, n_actions)
        return [QTable(q2[a:b].astype(np.float32), seen2[a:b].copy()) for a, b in zip(offsets[:-1], offsets[1:])]
