"""Unlabelled transitions in memory, and the ground truth kept apart from them.

- :class:`TransitionDataset` -- ``(state, action, next state)`` triples of many episodes, no rewards and no goals:
  what TEDUO's labelling and offline RL read.
- :class:`GroundTruth` -- which goals each transition really achieved; only evaluation reads it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["GroundTruth", "TransitionDataset"]


@dataclass
class TransitionDataset:
    """Transitions of many episodes, stored once per state.

    Transition ``t`` goes from ``states[src[t]]`` by ``actions[t]`` to ``states[dst[t]]``. States are the
    environment's full symbolic state as flat uint8 vectors (their layout in ``state_layout``, from the knowledge's
    :meth:`~teduo_gym.envs.EnvKnowledge.state_layout`), with their texts in ``texts``.

    Attributes:
        env_id: the environment id the data came from (``knowledge_for(env_id)`` gives its knowledge).
        state_layout: the JSON description of a state vector's layout (checked when data are combined).
        states: ``(S, D)`` uint8, every state visited (an episode of ``n`` steps has ``n + 1`` states).
        texts: ``S`` state texts.
        actions: ``(T,)`` int64.
        src, dst: ``(T,)`` int64 indices into ``states``.
        episode: ``(T,)`` int64 episode of each transition.
        layout_seeds: ``(E,)`` int64 reset seed of each episode (it fixes the layout).
        metadata: anything else worth keeping (the collection config, versions...).

    Example:
        >>> d = TransitionDataset("Toy-v0", {"kind": "toy"}, np.zeros((3, 2), np.uint8), ["a", "b", "c"],
        ...                       np.array([0, 1]), np.array([0, 1]), np.array([1, 2]), np.array([0, 0]),
        ...                       np.array([7]))
        >>> len(d), d.n_episodes
        (2, 1)
    """

    env_id: str
    state_layout: dict[str, Any]
    states: np.ndarray
    texts: list[str]
    actions: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    episode: np.ndarray
    layout_seeds: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n_states, n = len(self.states), len(self.actions)
        if len(self.texts) != n_states:
            raise ValueError(f"{len(self.texts)} texts for {n_states} states")
        for name in ("src", "dst", "episode"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} entries for {n} transitions")
        if n and (max(self.src.max(), self.dst.max()) >= n_states or min(self.src.min(), self.dst.min()) < 0):
            raise ValueError("src / dst index states that do not exist")
        if n and self.episode.max() >= len(self.layout_seeds):
            raise ValueError("episode ids exceed the number of layout seeds")

    def __len__(self) -> int:
        return len(self.actions)

    @property
    def n_episodes(self) -> int:
        """Number of episodes."""
        return len(self.layout_seeds)

    def fingerprint(self) -> str:
        """A hash of the content (env id, layout, states, actions, indices), to tie label tables to their data."""
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{self.env_id}|{sorted(self.state_layout.items())}".encode())
        for array in (self.states, self.actions, self.src, self.dst, self.episode, self.layout_seeds):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()


@dataclass
class GroundTruth:
    """Which goals each transition of a :class:`TransitionDataset` achieved, by the environment's own checker.

    Attributes:
        goals: the goal vocabulary (canonical texts).
        achieved: ``(T, G)`` boolean sparse matrix; row ``t`` marks the goals transition ``t`` achieved.
        fingerprint: the :meth:`TransitionDataset.fingerprint` of the data it belongs to.
    """

    goals: list[str]
    achieved: sp.csr_matrix
    fingerprint: str

    def __post_init__(self) -> None:
        if self.achieved.shape[1] != len(self.goals):
            raise ValueError(f"achieved has {self.achieved.shape[1]} goal columns for {len(self.goals)} goals")

    def column(self, goal: str) -> np.ndarray:
        """The ``(T,)`` boolean vector of one goal."""
        return self.achieved[:, self.goals.index(goal)].toarray().ravel().astype(bool)
