"""minigrid's BabyAI bot as an agent: BabyAI's expert behaviour policy and the upper bound of evaluations.

- :class:`BabyAIBotAgent` -- ``BabyAIBot`` behind Stable-Baselines3's ``predict`` protocol, following the
  language-goal wrapper's goal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from teduo_gym.core.observation import batch_size

__all__ = ["BabyAIBotAgent"]


class BabyAIBotAgent:
    """minigrid's ``BabyAIBot``, which solves BabyAI goals by planning on the full state.

    It reads the goal from the level's instruction (``env.unwrapped.instrs``), which
    :class:`~teduo_gym.envs.babyai.BabyAIGoalDetector` sets to the desired goal, so it follows
    :class:`~teduo_gym.wrappers.LanguageGoalWrapper` goals. It needs the environments themselves: batch entry
    ``i`` is ``envs[i]``.

    Example:
        >>> from teduo_gym.envs.babyai import make_babyai_env
        >>> env = make_babyai_env("BabyAI-GoToLocal-v0")
        >>> obs, info = env.reset(seed=1)
        >>> agent = BabyAIBotAgent([env])
        >>> int(agent.predict(obs, episode_start=np.array([True]))[0]) in range(7)
        True

    Args:
        envs: the environments acted in, in batch order (``vec_env.envs`` for an SB3 ``DummyVecEnv``).
    """

    def __init__(self, envs: Sequence[gym.Env]):
        from minigrid.utils.baby_ai_bot import BabyAIBot

        self._bot_class = BabyAIBot
        self.envs = list(envs)
        self._bots: list[Any] = [None] * len(self.envs)
        self._suggested: list[int | None] = [None] * len(self.envs)
        self._taken: list[int | None] = [None] * len(self.envs)
        self._overridden = [False] * len(self.envs)

    def seed(self, seed: int | None) -> None:
        """Nothing to seed: the bot is deterministic (the same interface as the other agents)."""

    def observe_actions(self, actions: Any) -> None:
        """Tell the bots which actions were actually taken after the last :meth:`predict`.

        When another policy overrides the bot (as :class:`EpsilonMixtureAgent` does), the bot must know, or its
        plan goes stale: minigrid's ``BabyAIBot.replan(action_taken)`` then plans to undo the unplanned action
        (walk back, drop what was picked up, close what was opened). Without this call the bot assumes its own
        suggestion was taken.

        Example:
            >>> from teduo_gym.envs.babyai import make_babyai_env
            >>> env = make_babyai_env("BabyAI-GoToLocal-v0")
            >>> obs, _ = env.reset(seed=1)
            >>> agent = BabyAIBotAgent([env])
            >>> suggested, _ = agent.predict(obs, episode_start=np.array([True]))
            >>> obs, *_ = env.step(0)  # turn left instead
            >>> agent.observe_actions(np.array([0]))
            >>> int(agent.predict(obs, episode_start=np.array([False]))[0]) in range(7)
            True

        Args:
            actions: one action per environment, in batch order (a scalar for a single environment).
        """
        taken = np.asarray(actions).reshape(-1)
        if len(taken) != len(self.envs):
            raise ValueError(f"{len(taken)} actions taken for {len(self.envs)} environments")
        self._taken = [int(a) for a in taken]

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, Any]:
        """The bot's next action in each environment; a new plan where an episode starts."""
        n = batch_size(observation)
        count = 1 if n is None else n
        if count != len(self.envs):
            raise ValueError(f"a batch of {count} observations for {len(self.envs)} environments")
        starts = np.ones(count, bool) if episode_start is None else np.asarray(episode_start, bool).reshape(-1)
        actions = np.array([self._act(i, bool(starts[i])) for i in range(count)])
        return (actions[0] if n is None else actions), state

    def _act(self, i: int, start: bool) -> int:
        env: Any = self.envs[i].unwrapped  # a minigrid level
        taken, self._taken[i] = self._taken[i], None
        if start or self._bots[i] is None:
            self._bots[i], self._overridden[i], taken = self._bot_class(env), False, None
        # The bot treats None as "my suggestion was taken"; an overriding action is passed on so it replans.
        override = None if taken is None or taken == self._suggested[i] else taken
        self._overridden[i] = self._overridden[i] or override is not None
        try:
            action = int(self._bots[i].replan(override))
        except Exception:  # the bot's planner gives up on rare layouts; "done" is an honest failure
            if not self._overridden[i]:
                self._suggested[i] = None
                return int(env.actions.done)
            # An overriding action can leave the bot's plan inconsistent (e.g. a subgoal asserting what the
            # agent carries): plan afresh from the current state.
            try:
                self._bots[i], self._overridden[i] = self._bot_class(env), False
                action = int(self._bots[i].replan())
            except Exception:
                action = int(env.actions.done)
        self._suggested[i] = action
        return action
