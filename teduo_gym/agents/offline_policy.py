"""Per-goal offline policies (TEDUO step 2) acting in live environments, with Stable-Baselines3's ``predict``.

- :class:`GoalPolicy` -- what a goal's policy provides: actions for abstract state vectors, -1 where it has none
  (:class:`~teduo_gym.offline.TabularPolicy`, :class:`~teduo_gym.offline.deep.D3RLPYPolicy`).
- :class:`OfflinePolicyAgent` -- abstracts each environment's live state with its goal's choice and asks that
  goal's policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from teduo_gym.core.observation import batch_size
from teduo_gym.labeling.abstraction import AbstractTextDescriber

__all__ = ["GoalPolicy", "OfflinePolicyAgent"]


class GoalPolicy(Protocol):
    """A goal's policy over its abstract states."""

    def act(self, vectors: np.ndarray) -> np.ndarray:
        """One action per ``(n, D)`` abstract state vector; -1 where the policy has no answer."""
        ...


class OfflinePolicyAgent:
    """Acts with one offline policy per goal on the abstract state of the environment's current goal.

    For batch entry ``i`` (environment ``envs[i]``, as an expert such as BabyAI's bot reads it): the
    goal is the environment's :attr:`~teduo_gym.wrappers.LanguageGoalWrapper.goal`, its live symbolic state is
    abstracted with that goal's choice (:meth:`~teduo_gym.labeling.AbstractTextDescriber.abstract_state`, the same
    code that built the training data), and the goal's policy picks the action: a Q-table's greedy action where
    the state was seen in the data, a network's greedy action anywhere. Where a policy has no answer (a table and a
    state it never saw: TEDUO's tables cover only the data) the action is uniformly random from a generator seeded
    by ``seed``; :attr:`unknown_steps` counts those steps. Actions are greedy whatever ``deterministic`` says.

    Example:
        >>> from teduo_gym.envs import knowledge_for
        >>> from teduo_gym.offline.tabular import QTable, TabularPolicy
        >>> knowledge = knowledge_for("BabyAI-GoToLocal-v0")
        >>> env = knowledge.make_env()
        >>> obs, _ = env.reset(seed=0, options={"goal": "go to the red ball"})
        >>> abstraction = knowledge.goal_schema(knowledge.state_layout(env))
        >>> view = AbstractTextDescriber(abstraction, knowledge.symbolic_state, abstraction.oracle_choice)
        >>> seen = view.abstract_state(env)[None]  # a table that knows this one state: turn right (1) there
        >>> table = QTable(np.array([[0, 1, 0, 0, 0, 0, 0]], np.float32), np.ones((1, 7), bool))
        >>> agent = OfflinePolicyAgent([env], {"go to the red ball": TabularPolicy(table, seen)}, view, seed=0)
        >>> int(agent.predict(obs)[0])
        1

    Args:
        envs: the environments acted in, in batch order.
        policies: goal text -> that goal's policy.
        view: abstracts an environment's live state under its goal's choice (the choices of the label table).
        n_actions: actions of the environment (default: ``envs[0].action_space.n``).
        seed: seeds the random actions where a policy has no answer.
    """

    def __init__(
        self,
        envs: Sequence[gym.Env],
        policies: Mapping[str, GoalPolicy],
        view: AbstractTextDescriber,
        n_actions: int | None = None,
        seed: int | None = None,
    ):
        if not envs:
            raise ValueError("no environments to act in")
        self.envs = list(envs)
        self.policies = dict(policies)
        self.view = view
        self.n_actions = int(n_actions if n_actions is not None else envs[0].action_space.n)  # type: ignore[attr-defined]
        self.seed(seed)
        #: actions given (one per environment per predict, finished episodes of a batch included) and those given at
        #: random.
        self.steps = 0
        self.unknown_steps = 0

    def seed(self, seed: int | None) -> None:
        """Restart the random stream at ``seed`` (evaluation reseeds every shard of episodes, so results do not depend
        on which worker plays which episodes)."""
        self.rng = np.random.default_rng(seed)

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, Any]:
        """The goal's policy's action in each environment of the batch."""
        n = batch_size(observation)
        count = 1 if n is None else n
        if count != len(self.envs):
            raise ValueError(f"a batch of {count} observations for {len(self.envs)} environments")
        goals = [str(env.get_wrapper_attr("goal")) for env in self.envs]
        vectors = np.stack([self.view.abstract_state(env) for env in self.envs])
        actions = np.full(count, -1, dtype=np.int64)
        for goal in dict.fromkeys(goals):
            if goal not in self.policies:
                raise KeyError(f"no offline policy for goal {goal!r}; policies cover {len(self.policies)} goals")
            rows = np.array([i for i, g in enumerate(goals) if g == goal])
            actions[rows] = self.policies[goal].act(vectors[rows])
        unknown = actions < 0
        actions[unknown] = self.rng.integers(self.n_actions, size=int(unknown.sum()))
        self.steps += count
        self.unknown_steps += int(unknown.sum())
        return (actions[0] if n is None else actions), state
