"""Reinforcement-learning baselines trained on a TEDUO protocol's training layouts and goals.

- :class:`SB3Config` (``config.py``): what to train.
- :func:`train_sb3`, :class:`TrainingProtocol`, :class:`TrainingResets`, :func:`make_training_env`,
  :func:`make_model`, :func:`recorded_goals` (``sb3.py``): Stable-Baselines3 PPO, or DQN with Hindsight Experience
  Replay; imported when first used, so ``from teduo_gym.online import SB3Config`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from teduo_gym.online.config import SB3Config

__all__ = [
    "SB3Config",
    "TrainingProtocol",
    "TrainingResets",
    "make_model",
    "make_training_env",
    "recorded_goals",
    "train_sb3",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("teduo_gym.online.sb3"), name)
    raise AttributeError(f"module 'teduo_gym.online' has no attribute {name!r}")
