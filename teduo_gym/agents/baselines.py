"""Reference agents with Stable-Baselines3's ``predict`` protocol.

- :class:`RandomAgent` -- uniform random actions (the lower bound).
- :class:`SB3Agent` -- a saved Stable-Baselines3 model, fed the numeric part of the observation (its goal
  vocabulary checked when recorded beside it).
- :class:`EpsilonMixtureAgent` -- another agent's actions, each replaced by a random one with probability epsilon.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from teduo_gym.core.observation import batch_size

__all__ = ["RandomAgent", "SB3Agent", "EpsilonMixtureAgent"]


class RandomAgent:
    """Uniformly random actions from an action space.

    Example:
        >>> from gymnasium import spaces
        >>> agent = RandomAgent(spaces.Discrete(7), seed=0)
        >>> agent.predict({"text": ["a", "b"]})[0].shape
        (2,)
    """

    def __init__(self, action_space: gym.spaces.Space, seed: int | None = None):
        self.action_space = action_space
        self.seed(seed)

    def seed(self, seed: int | None) -> None:
        """Restart the random stream at ``seed`` (evaluation reseeds every shard of episodes, so results do not depend
        on which worker plays which episodes)."""
        self.action_space.seed(seed)

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, Any]:
        """Random actions, one per environment of the batch."""
        n = batch_size(observation)
        if n is None:
            return np.asarray(self.action_space.sample()), state
        return np.array([self.action_space.sample() for _ in range(n)]), state


class SB3Agent:
    """A saved Stable-Baselines3 model as an agent for environments that may carry text.

    The model sees the numeric observation it was trained on (the ``"text"`` entry that
    :class:`~teduo_gym.wrappers.TextObservationWrapper` adds is dropped). A model trained by
    :func:`teduo_gym.online.train_sb3` has its goal vocabulary recorded beside it (``sb3.json``): the
    environment's vocabulary must then be given and be the same, in the same order, since a goal is the position
    of its one-hot entry. A DQN model is loaded without its replay buffer (a ``HerReplayBuffer`` would need the
    training environment), which acting does not use.

    Example:
        >>> import tempfile
        >>> from stable_baselines3 import PPO
        >>> from teduo_gym.envs import knowledge_for
        >>> from teduo_gym.wrappers import TextObservationWrapper
        >>> numeric = knowledge_for("BabyAI-GoToLocal-v0").make_env(["go to a ball", "go to a key"])
        >>> path = Path(tempfile.mkdtemp()) / "ppo.zip"
        >>> PPO("MultiInputPolicy", numeric, device="cpu").save(path)
        >>> env = TextObservationWrapper(numeric, lambda env, obs: "a ball ahead")  # acting with text
        >>> agent = SB3Agent(path, env.observation_space, goals=env.get_wrapper_attr("goals"))
        >>> obs, _ = env.reset(seed=0)
        >>> int(agent.predict(obs, deterministic=True)[0]) in range(7)
        True

    Args:
        path: a ``.zip`` saved by ``model.save``.
        observation_space: the observation space of the environment it will act in (without its text, if a
            :class:`~teduo_gym.wrappers.TextObservationWrapper` added one); checked against the model's.
        goals: the goal vocabulary of the environment it will act in (``env.get_wrapper_attr("goals")``); needed,
            and checked, when the model's vocabulary is recorded beside it.
    """

    def __init__(self, path: str | Path, observation_space: gym.spaces.Space, goals: Sequence[str] | None = None):
        from stable_baselines3 import A2C, DQN, PPO
        from stable_baselines3.common.save_util import load_from_zip_file

        from teduo_gym.online.sb3 import recorded_goals

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist: give the .zip written by an SB3 model's save()")
        try:
            data, _, _ = load_from_zip_file(path, device="cpu", load_data=True)
        except Exception as err:
            raise ValueError(f"{path} is not a Stable-Baselines3 model archive ({err})") from err
        # An SB3 archive does not name its algorithm; each saves hyper-parameters of its own. Checked in
        # order: PPO saves gae_lambda too.
        data = data or {}
        markers: dict[str, type[PPO | DQN | A2C]] = {
            "clip_range": PPO,
            "target_update_interval": DQN,
            "gae_lambda": A2C,
        }
        algo = next((a for key, a in markers.items() if key in data), None)
        if algo is None:
            raise ValueError(f"{path}: unsupported SB3 algorithm; supported: PPO, DQN, A2C")
        if isinstance(observation_space, gym.spaces.Dict) and "text" in observation_space.spaces:
            observation_space = observation_space["observation"]  # what a TextObservationWrapper wraps
        if data["observation_space"] != observation_space:
            raise ValueError(
                f"{path} was trained on observations {data['observation_space']}, but this environment gives "
                f"{observation_space}: evaluate it on the environment (and goal vocabulary) it was trained on"
            )
        trained = recorded_goals(path)
        if trained is not None and (goals is None or list(goals) != trained):
            raise ValueError(_goal_mismatch(path, trained, goals))
        # Acting needs no replay buffer: a plain one of size 1 replaces the saved kind (HER's needs the env).
        buffer: dict[str, Any] = (
            {"replay_buffer_class": None, "replay_buffer_kwargs": {}, "buffer_size": 1} if algo is DQN else {}
        )
        self.model = algo.load(path, device="cpu", custom_objects=buffer)

    def seed(self, seed: int | None) -> None:
        """Restart the random stream at ``seed`` (evaluation reseeds every shard of episodes, so results do not depend
        on which worker plays which episodes). SB3 samples with torch's global generator, which this seeds."""
        self.model.set_random_seed(seed)

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, Any]:
        """The model's actions for the numeric part of the observation."""
        if isinstance(observation, dict) and "text" in observation:
            observation = observation["observation"]
        return self.model.predict(observation, state, episode_start, deterministic)


def _goal_mismatch(path: Path, trained: list[str], goals: Sequence[str] | None) -> str:
    """Why a model trained on the goal vocabulary ``trained`` cannot act with ``goals``."""
    if goals is None:
        return (
            f"{path} was trained on goals {trained} (recorded beside it): give the environment's goals, "
            "SB3Agent(..., goals=env.get_wrapper_attr('goals')), so they are checked against them"
        )
    given = list(goals)
    only_model, only_env = [g for g in trained if g not in given], [g for g in given if g not in trained]
    detail = (
        f"only the model's: {only_model}; only this environment's: {only_env}"
        if only_model or only_env
        else "the same goals in another order, so each goal's one-hot position differs"
    )
    return (
        f"{path} was trained on goals {trained}, this environment has {given} ({detail}): act in an environment "
        "with the vocabulary it was trained on (the Protocol.make_env of its run)"
    )


class EpsilonMixtureAgent:
    """Another agent's actions, each replaced by a uniformly random action with probability ``epsilon``.

    The classic epsilon-mixture behaviour policy of offline RL datasets (e.g. D4RL's "medium-replay" style
    data): mostly purposeful, with random detours that widen the coverage of states and actions. After each
    :meth:`predict` the wrapped agent is told the actions actually taken if it has an ``observe_actions``
    method (BabyAI's bot does), so a planner replans around the random actions.

    Example:
        >>> from teduo_gym.envs import knowledge_for
        >>> knowledge = knowledge_for("BabyAI-GoToLocal-v0")
        >>> env = knowledge.make_env()
        >>> obs, _ = env.reset(seed=1)
        >>> agent = EpsilonMixtureAgent(knowledge.expert_policy(env), env.action_space, epsilon=0.3, seed=0)
        >>> int(agent.predict(obs, episode_start=np.array([True]))[0]) in range(7)
        True

    Args:
        agent: the agent mixed with random actions (anything with SB3's ``predict``).
        action_space: a :class:`gymnasium.spaces.Discrete` space the random actions come from.
        epsilon: the probability of replacing each action, in ``[0, 1]``.
        seed: seeds the choice and the random actions.
    """

    def __init__(self, agent: Any, action_space: gym.spaces.Space, epsilon: float, seed: int | None = None):
        if not isinstance(action_space, gym.spaces.Discrete):
            raise TypeError(f"EpsilonMixtureAgent needs a Discrete action space, got {action_space}")
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
        self.agent = agent
        self.action_space = action_space
        self.epsilon = float(epsilon)
        self._rng = np.random.default_rng(seed)

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, Any]:
        """The wrapped agent's actions, some replaced by random ones; the wrapped agent learns which."""
        actions, state = self.agent.predict(observation, state, episode_start, deterministic)
        actions = np.asarray(actions)
        flat = actions.reshape(-1).copy()
        replace = self._rng.random(flat.size) < self.epsilon
        n, start = int(self.action_space.n), int(self.action_space.start)
        flat[replace] = start + self._rng.integers(n, size=int(replace.sum()))
        if hasattr(self.agent, "observe_actions"):
            self.agent.observe_actions(flat)
        return flat.reshape(actions.shape), state
