"""Wrappers that turn an environment into a language-goal environment.

- :class:`LanguageGoalWrapper` -- a goal-conditioned environment over a finite vocabulary of goal texts, in
  the convention of Stable-Baselines3's ``HerReplayBuffer`` and gymnasium-robotics' ``GoalEnv``.
- :class:`GoalDetector` -- decides which goals a state (or transition) achieves: ground truth, an LLM judge,
  or a learned proxy reward all implement it.
- :func:`uniform_goal_sampler` -- the default way a goal is chosen at reset.
"""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, Generic, Literal, SupportsFloat, TypeVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

__all__ = [
    "GoalDetector",
    "GoalSampler",
    "LanguageGoalWrapper",
    "UnknownGoalError",
    "uniform_goal_sampler",
]

ObsType = TypeVar("ObsType")
ActType = TypeVar("ActType")

#: ``sampler(env, goals, rng) -> index`` chooses the desired goal after each reset (the layout is known).
GoalSampler = Callable[[gym.Env, Sequence[str], np.random.Generator], int]


class UnknownGoalError(ValueError):
    """A goal text is not in the vocabulary (or grammar) it was checked against."""

    def __init__(self, goal: str, known: Sequence[str], where: str = "the goal vocabulary"):
        close = difflib.get_close_matches(goal, list(known), n=3, cutoff=0.4)
        hint = f" Nearest valid goals: {close}." if close else ""
        super().__init__(f"goal {goal!r} is not in {where} ({len(known)} goals).{hint}")
        self.goal = goal
        self.suggestions = close


class GoalDetector(ABC):
    """Decides which goals of a vocabulary the current state or last transition achieves.

    The wrapper calls :meth:`reset` after every environment reset and :meth:`detect` after every reset and
    step. Ground-truth checkers, LLM judges and learned proxy rewards implement this one interface, so any of
    them can give a :class:`LanguageGoalWrapper` its rewards.
    """

    def reset(self, env: gym.Env, observation: Any, goals: Sequence[str], desired: int) -> Any:
        """Prepare for a new episode whose desired goal is ``goals[desired]``.

        Returns:
            the observation, updated if the detector changes what the environment shows (for example a
            BabyAI level whose own mission is replaced by the desired goal); by default unchanged.
        """
        return observation

    @abstractmethod
    def detect(self, env: gym.Env, observation: Any, action: Any | None, goal_ids: np.ndarray) -> np.ndarray:
        """Whether each goal in ``goal_ids`` is achieved.

        Args:
            env: the wrapped environment, after the step.
            observation: the observation after the step (or after reset).
            action: the action just taken, or ``None`` right after a reset.
            goal_ids: indices into the goal vocabulary to check.

        Returns:
            a boolean array with one entry per index in ``goal_ids``.
        """


def uniform_goal_sampler(env: gym.Env, goals: Sequence[str], rng: np.random.Generator) -> int:
    """Choose a goal uniformly from the whole vocabulary."""
    return int(rng.integers(len(goals)))


class LanguageGoalWrapper(
    gym.Wrapper[dict[str, Any], ActType, ObsType, ActType],
    gym.utils.RecordConstructorArgs,
    Generic[ObsType, ActType],
):
    """A goal-conditioned environment over a finite vocabulary of natural-language goals.

    Observations are ``{"observation": original, "achieved_goal": MultiBinary(G), "desired_goal":
    MultiBinary(G)}`` where ``G = len(goals)``: ``desired_goal`` is the one-hot vector of the goal of the
    episode, ``achieved_goal`` marks the goals the last transition achieved (all goals with
    ``track="all"``, which Hindsight Experience Replay needs; only the desired one with ``track="desired"``,
    which is cheaper with an LLM detector). The reward is :meth:`compute_reward`, 1.0 when a desired goal is
    achieved, and the episode terminates then (or when the inner environment terminates). The goal's text is
    ``info["goal"]``, :attr:`goal`, and ``goals[argmax(desired_goal)]``.

    Example:
        >>> import gymnasium as gym, numpy as np
        >>> from teduo_gym.wrappers import GoalDetector, LanguageGoalWrapper
        >>> class Upright(GoalDetector):
        ...     def detect(self, env, obs, action, ids):
        ...         return np.array([abs(obs[2]) < 0.05 for _ in ids])
        >>> env = LanguageGoalWrapper(gym.make("CartPole-v1"), ["keep the pole upright"], Upright())
        >>> obs, info = env.reset(seed=0)
        >>> info["goal"], obs["desired_goal"].tolist()
        ('keep the pole upright', [1])

    Args:
        env: the environment to wrap.
        goals: the goal vocabulary, distinct texts.
        detector: decides which goals are achieved.
        goal_sampler: chooses the goal of each episode unless ``reset(options={"goal": ...})`` names one;
            ``"uniform"`` is :func:`uniform_goal_sampler`.
        track: ``"all"`` to detect every goal at each step, ``"desired"`` for the desired goal only.
    """

    def __init__(
        self,
        env: gym.Env[ObsType, ActType],
        goals: Sequence[str],
        detector: GoalDetector,
        goal_sampler: GoalSampler | Literal["uniform"] = uniform_goal_sampler,
        track: Literal["all", "desired"] = "all",
    ):
        goals = tuple(goals)
        if not goals:
            raise ValueError("goals is empty: give at least one goal text")
        if not all(isinstance(g, str) for g in goals):
            raise TypeError("goals must be strings")
        if len(set(goals)) != len(goals):
            dup = sorted({g for g in goals if goals.count(g) > 1})
            raise ValueError(f"goals must be distinct; repeated: {dup[:5]}")
        if not isinstance(detector, GoalDetector):
            raise TypeError(f"detector must be a GoalDetector, got {type(detector).__name__}")
        if track not in ("all", "desired"):
            raise ValueError(f"track must be 'all' or 'desired', got {track!r}")
        gym.utils.RecordConstructorArgs.__init__(
            self, goals=goals, detector=detector, goal_sampler=goal_sampler, track=track
        )
        gym.Wrapper.__init__(self, env)
        self.goals: tuple[str, ...] = goals
        self._index = {g: i for i, g in enumerate(goals)}
        self.detector = detector
        self.goal_sampler: GoalSampler = uniform_goal_sampler if goal_sampler == "uniform" else goal_sampler
        self.track = track
        self._all_ids = np.arange(len(goals))
        n = len(goals)
        self.observation_space = spaces.Dict(
            {
                "observation": env.observation_space,
                "achieved_goal": spaces.MultiBinary(n),
                "desired_goal": spaces.MultiBinary(n),
            }
        )
        self._desired = 0
        self._desired_vec = np.zeros(n, dtype=np.int8)

    @property
    def goal(self) -> str:
        """The text of the current episode's goal."""
        return self.goals[self._desired]

    def goal_index(self, goal: str | int) -> int:
        """The vocabulary index of ``goal`` (a text or an index); raises :class:`UnknownGoalError`."""
        if isinstance(goal, (int, np.integer)):
            if not 0 <= goal < len(self.goals):
                raise IndexError(f"goal index {goal} outside 0..{len(self.goals) - 1}")
            return int(goal)
        if goal not in self._index:
            raise UnknownGoalError(goal, self.goals)
        return self._index[goal]

    def goal_text(self, desired_goal: np.ndarray) -> str:
        """The text of a ``desired_goal`` vector (the first goal it marks)."""
        return self.goals[int(np.argmax(desired_goal))]

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Reset the environment, then choose the goal: ``options["goal"]`` (text or index) or the sampler."""
        options = dict(options or {})
        goal = options.pop("goal", None)
        obs, info = self.env.reset(seed=seed, options=options or None)
        if goal is None:
            self._desired = int(self.goal_sampler(self.env, self.goals, self.np_random))
        else:
            self._desired = self.goal_index(goal)
        self._desired_vec = np.zeros(len(self.goals), dtype=np.int8)
        self._desired_vec[self._desired] = 1
        obs = self.detector.reset(self.env, obs, self.goals, self._desired)
        achieved = self._detect(obs, None)
        return self._wrap(obs, achieved), {**info, "goal": self.goal}

    def step(self, action: ActType) -> tuple[dict[str, Any], SupportsFloat, bool, bool, dict[str, Any]]:
        """Step the environment; reward and termination come from the detector."""
        obs, _, terminated, truncated, info = self.env.step(action)
        achieved = self._detect(obs, action)
        info = {**info, "goal": self.goal}
        reward = float(self.compute_reward(achieved, self._desired_vec, info))
        success = reward > 0
        info["is_success"] = success
        return self._wrap(obs, achieved), reward, bool(terminated) or success, bool(truncated), info

    def compute_reward(self, achieved_goal: np.ndarray, desired_goal: np.ndarray, info: Any) -> np.ndarray:
        """1.0 where an achieved goal is a desired one, else 0.0; vectorised over leading dimensions."""
        hit = np.logical_and(np.asarray(achieved_goal, dtype=bool), np.asarray(desired_goal, dtype=bool))
        return hit.any(axis=-1).astype(np.float32)

    def _detect(self, obs: Any, action: Any | None) -> np.ndarray:
        ids = self._all_ids if self.track == "all" else self._all_ids[self._desired : self._desired + 1]
        hits = np.asarray(self.detector.detect(self.env, obs, action, ids), dtype=bool)
        if hits.shape != ids.shape:
            raise ValueError(
                f"{type(self.detector).__name__}.detect returned shape {hits.shape} for {len(ids)} goals; "
                "it must return one boolean per goal id"
            )
        achieved = np.zeros(len(self.goals), dtype=np.int8)
        achieved[ids] = hits
        return achieved

    def _wrap(self, obs: Any, achieved: np.ndarray) -> dict[str, Any]:
        return {"observation": obs, "achieved_goal": achieved, "desired_goal": self._desired_vec.copy()}
