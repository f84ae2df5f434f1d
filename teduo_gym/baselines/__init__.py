"""Reinforcement-learning baselines trained on a TEDUO protocol's training layouts and goals.

- :class:`SB3Config`, :func:`train_sb3`, :class:`TrainingResets`, :func:`make_training_env`, :func:`make_model`,
  :func:`recorded_goals` (``sb3.py``): Stable-Baselines3 PPO, or DQN with Hindsight Experience Replay.
"""

from teduo_gym.baselines.sb3 import (
    SB3Config,
    TrainingResets,
    make_model,
    make_training_env,
    recorded_goals,
    train_sb3,
)

__all__ = ["SB3Config", "TrainingResets", "make_model", "make_training_env", "recorded_goals", "train_sb3"]
