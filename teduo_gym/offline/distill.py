"""From Q-tables to a fine-tuning dataset (TEDUO step 3): greedy rollouts through the empirical dynamics.

- :class:`EmpiricalModel` -- the most frequent next state of every (state, action) pair in the data, and the
  mean label of those transitions.
- :func:`greedy_rollouts` -- from every start state at once, follow a goal's greedy policy through the
  empirical model until the goal's label fires (vectorised over start states).
- :class:`Rollout` -- one start state's rollout: visited states, actions, whether it reached the goal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from teduo_gym.offline.tabular import GoalMDP, QTable

__all__ = ["EmpiricalModel", "Rollout", "greedy_rollouts"]


@dataclass(frozen=True)
class EmpiricalModel:
    """The data's dynamics of one goal: for each (state, action) pair seen, its most frequent successor."""

    pairs: np.ndarray  # sorted state * n_actions + action
    successor: np.ndarray  # most frequent next state per pair
    reward: np.ndarray  # mean label per pair
    n_actions: int

    @classmethod
    def fit(cls, mdp: GoalMDP, n_actions: int) -> EmpiricalModel:
        """Count the transitions of ``mdp``."""
        pair = mdp.src.astype(np.int64) * n_actions + mdp.actions
        triple = pair * mdp.n_states + mdp.dst
        triples, counts = np.unique(triple, return_counts=True)
        triple_pair = triples // mdp.n_states
        # for each pair, the successor with the highest count (ties: the smallest state id)
        order = np.lexsort((triples % mdp.n_states, -counts, triple_pair))
        first = np.r_[True, triple_pair[order][1:] != triple_pair[order][:-1]]
        pairs = triple_pair[order][first]
        successor = (triples[order][first] % mdp.n_states).astype(np.int64)
        inverse = np.searchsorted(pairs, pair)  # every pair of the data is in the sorted ``pairs``
        reward = np.bincount(inverse, weights=mdp.rewards.astype(float)) / np.bincount(inverse)
        return cls(pairs, successor, reward, n_actions)

    def step(self, states: np.ndarray, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Next states and label probabilities; pairs never seen give next state -1."""
        key = states.astype(np.int64) * self.n_actions + actions
        idx = np.clip(np.searchsorted(self.pairs, key), 0, len(self.pairs) - 1)
        known = self.pairs[idx] == key
        return np.where(known, self.successor[idx], -1), np.where(known, self.reward[idx], 0.0)


@dataclass(frozen=True)
class Rollout:
    """A greedy rollout: ``states[i]`` then ``actions[i]``; ``success`` if the last action's label fired."""

    states: list[int]
    actions: list[int]
    success: bool


def greedy_rollouts(
    table: QTable, model: EmpiricalModel, starts: np.ndarray, max_steps: int = 64, threshold: float = 0.5
) -> list[Rollout]:
    """Roll the greedy policy of ``table`` from every start state through ``model``, all starts at once.

    A rollout ends when the label of its last transition fires (mean label above ``threshold``: success), when
    it reaches a state without a seen action or revisits a state (a loop), or after ``max_steps``.

    Example:
        >>> from teduo_gym.offline import TabularQ
        >>> mdp = GoalMDP(np.array([0, 1]), np.array([1, 1]), np.array([1, 2]), np.array([0, 1], bool), 3)
        >>> table = TabularQ(n_actions=2).fit([mdp])[0]
        >>> greedy_rollouts(table, EmpiricalModel.fit(mdp, 2), np.array([0]))[0]
        Rollout(states=[0, 1], actions=[1, 1], success=True)
    """
    n = len(starts)
    states = np.asarray(starts, dtype=np.int64).copy()
    alive = np.ones(n, dtype=bool)
    success = np.zeros(n, dtype=bool)
    visited: list[list[int]] = [[int(s)] for s in states]
    actions: list[list[int]] = [[] for _ in range(n)]
    seen_states = [{int(s)} for s in states]
    for _ in range(max_steps):
        live = np.flatnonzero(alive)
        if not len(live):
            break
        chosen = table.greedy(states[live])
        stuck = chosen < 0
        nxt, reward = model.step(states[live], np.maximum(chosen, 0))
        for i, a, s2, r, dead in zip(live, chosen, nxt, reward, stuck | (nxt < 0)):
            if dead:
                alive[i] = False
                continue
            actions[i].append(int(a))
            if r > threshold:
                success[i], alive[i] = True, False
            elif int(s2) in seen_states[i]:
                alive[i] = False
            else:
                visited[i].append(int(s2))
                seen_states[i].add(int(s2))
                states[i] = s2
    return [Rollout(visited[i][: len(actions[i])], actions[i], bool(success[i])) for i in range(n)]
