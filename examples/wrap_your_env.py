"""Wrap your own environment: a text view of its state and language goals with rewards.

    python examples/wrap_your_env.py

Nothing here is BabyAI: a describer (state -> text) and a goal detector (which goals a state achieves) are
all teduo-gym needs. The result passes Gymnasium's and Stable-Baselines3's environment checkers and trains
with SB3's DQN and Hindsight Experience Replay.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env
from stable_baselines3 import DQN, HerReplayBuffer

from teduo_gym.wrappers import GoalDetector, LanguageGoalWrapper, TextObservationWrapper

ROOMS = ["kitchen", "hall", "study", "garden", "attic"]


class Corridor(gym.Env):
    """Five rooms in a row; action 0 walks west, action 1 walks east."""

    def __init__(self) -> None:
        self.observation_space = spaces.Box(0, len(ROOMS) - 1, shape=(1,), dtype=np.float32)
        self.action_space = spaces.Discrete(2)
        self.room = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.room = int(self.np_random.integers(len(ROOMS)))
        return np.array([self.room], np.float32), {}

    def step(self, action):
        self.room = int(np.clip(self.room + (1 if action == 1 else -1), 0, len(ROOMS) - 1))
        return np.array([self.room], np.float32), 0.0, False, False, {}


def describe(env, obs) -> str:
    """The state as text: works from the observation alone, so agents can use it in vectorised loops."""
    if isinstance(obs, dict):  # under LanguageGoalWrapper the original observation is obs["observation"]
        obs = obs["observation"]
    return f"You are in the {ROOMS[int(np.ravel(obs)[0])]}."


class RoomReached(GoalDetector):
    """Ground truth: the goal 'go to the <room>' is achieved in that room."""

    def detect(self, env, observation, action, goal_ids):
        return np.asarray(goal_ids) == int(np.ravel(observation)[0])


GOALS = [f"go to the {room}" for room in ROOMS]


def make_env() -> gym.Env:
    return gym.wrappers.TimeLimit(LanguageGoalWrapper(Corridor(), GOALS, RoomReached()), max_episode_steps=10)


if __name__ == "__main__":
    text_env = TextObservationWrapper(make_env(), describe)
    check_env(text_env, skip_render_check=True)
    obs, info = text_env.reset(seed=0)
    print(f"goal: {info['goal']!r}; state: {obs['text']!r}")

    model = DQN("MultiInputPolicy", make_env(), replay_buffer_class=HerReplayBuffer, learning_starts=100, seed=0)
    model.learn(2000)
    env = make_env()
    successes = 0
    for seed in range(20):
        obs, info = env.reset(seed=1000 + seed)
        done = False
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, reward, terminated, truncated, info = env.step(action)
            done = terminated or truncated
        successes += info["is_success"]
    print(f"DQN + HER success on 20 new episodes: {successes / 20:.0%}")
