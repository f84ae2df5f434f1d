"""What several benchmark scripts share (scripts run as ``python benchmarks/NAME.py`` import it directly)."""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np


def random_steps_per_second(env: gym.Env, steps: int, seed: int) -> float:
    """Steps per second of uniformly random actions, resetting with seeds seed, seed+1, ... as episodes end."""
    actions = np.random.default_rng(seed).integers(env.action_space.n, size=steps)
    env.reset(seed=seed)
    episode = 0
    start = time.perf_counter()
    for a in actions:
        _, _, terminated, truncated, _ = env.step(int(a))
        if terminated or truncated:
            episode += 1
            env.reset(seed=seed + episode)
    return steps / (time.perf_counter() - start)
