"""Real BabyAI data for the labelling tests: a BabyAI bot mixed with random actions on GoToLocal, with the
ground truth of every goal of the grammar read from ``obs["achieved_goal"]``."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from minigrid.utils.baby_ai_bot import BabyAIBot

from teduo_gym.datasets import GroundTruth, TransitionDataset
from teduo_gym.envs.babyai import enumerate_goals, make_babyai_env
from teduo_gym.envs.babyai.state import state_layout, symbolic_state


def rollout_dataset(
    n_episodes: int, n_layouts: int, seed: int = 0, epsilon: float = 0.3, env_id: str = "BabyAI-GoToLocal-v0"
) -> tuple[TransitionDataset, GroundTruth]:
    """Episodes of a bot pursuing a feasible goal, each action random with probability ``epsilon``, on
    ``n_layouts`` layouts in turn (as TEDUO's data: a few layouts visited many times)."""
    goals = enumerate_goals()
    env = make_babyai_env(env_id, goals=goals, text=False, goal_sampler="feasible")
    rng = np.random.default_rng(seed)
    states, actions, src, dst, episode, rows = [], [], [], [], [], []
    for e in range(n_episodes):
        obs, _ = env.reset(seed=seed + e % n_layouts)
        bot = BabyAIBot(env.unwrapped)
        states.append(symbolic_state(env))
        taken, done = None, False
        while not done:
            try:
                action = int(bot.replan(taken))
            except Exception:  # the bot cannot always recover from random actions; act randomly then
                action = int(rng.integers(6))
            if rng.random() < epsilon:
                action = int(rng.integers(6))
            obs, _, terminated, truncated, _ = env.step(action)
            done = terminated or truncated
            taken = action
            src.append(len(states) - 1)
            states.append(symbolic_state(env))
            dst.append(len(states) - 1)
            actions.append(action)
            episode.append(e)
            rows.append(np.flatnonzero(obs["achieved_goal"]))
    layout = state_layout(env).as_dict()
    data = TransitionDataset(
        env_id,
        layout,
        np.stack(states),
        [""] * len(states),
        np.array(actions, dtype=np.int64),
        np.array(src, dtype=np.int64),
        np.array(dst, dtype=np.int64),
        np.array(episode, dtype=np.int64),
        seed + np.arange(n_episodes, dtype=np.int64) % n_layouts,
    )
    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    achieved = sp.csr_matrix((np.ones(len(indices), bool), indices, indptr), shape=(len(rows), len(goals)))
    return data, GroundTruth(goals, achieved, data.fingerprint())


@pytest.fixture(scope="session")
def babyai_data() -> tuple[TransitionDataset, GroundTruth]:
    """~1k transitions: 60 GoToLocal episodes on 12 layouts."""
    return rollout_dataset(60, 12, seed=0)


@pytest.fixture(scope="session")
def tiny_data() -> tuple[TransitionDataset, GroundTruth]:
    """~100 transitions: 6 GoToLocal episodes on 2 layouts (for the modes that ask the LLM about every state)."""
    return rollout_dataset(6, 2, seed=0)


from tests.datasets.conftest import line_data  # noqa: E402, F401  (the line world's collection, no goal schema)
