"""make_babyai_env, the environment registry, the bot through the wrapper, and state_key."""

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from minigrid.utils.baby_ai_bot import BabyAIBot
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from teduo_gym.envs import UnknownEnvironmentError, knowledge_for
from teduo_gym.envs.babyai import (
    ACTION_WORDS,
    DEFAULT_GOALS,
    describe_egocentric,
    make_babyai_env,
    make_goal_split,
    state_key,
)


@pytest.mark.parametrize("text", [True, False])
def test_gymnasium_check_env(text: bool) -> None:
    env = make_babyai_env("BabyAI-GoToLocal-v0", text=text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env, skip_render_check=True)


def test_sb3_check_env_numeric() -> None:
    env = make_babyai_env("BabyAI-GoToLocal-v0", text=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # SB3 warns about observation spaces it cannot use
        sb3_check_env(env)
    assert env.observation_space["observation"].shape == (147,)
    assert env.observation_space["observation"].dtype == np.uint8


def test_default_vocabulary_and_mission() -> None:
    env = make_babyai_env()
    obs, info = env.reset(seed=0)
    goals = env.get_wrapper_attr("goals")
    assert goals == DEFAULT_GOALS and len(goals) == 56
    assert info["goal"] == env.unwrapped.mission
    assert goals[int(np.argmax(obs["observation"]["desired_goal"]))] == info["goal"]
    assert obs["text"] == describe_egocentric(None, obs)


@pytest.mark.parametrize("seed", range(6))
def test_bot_solves_feasible_goals_through_the_wrapper(seed: int) -> None:
    env = make_babyai_env("BabyAI-GoToLocal-v0", goal_sampler="feasible", text=False)
    obs, info = env.reset(seed=seed)
    assert env.unwrapped.mission == info["goal"]
    bot = BabyAIBot(env.unwrapped)
    for _ in range(64):
        obs, reward, terminated, truncated, info = env.step(int(bot.replan()))
        if terminated or truncated:
            break
    assert reward == 1.0 and info["is_success"] and terminated


def test_reworded_test_goals_are_checked_by_meaning() -> None:
    split = make_goal_split(DEFAULT_GOALS, 30, 10, seed=0)
    env = make_babyai_env(
        "BabyAI-GoToLocal-v0", split.test, goal_sampler="feasible", aliases=split.canonical, text=False
    )
    solved = 0
    for seed in range(10):
        try:
            env.reset(seed=seed)
        except ValueError:  # none of the held-out objects in this layout
            continue
        bot = BabyAIBot(env.unwrapped)
        for _ in range(64):
            _, reward, terminated, truncated, _ = env.step(int(bot.replan()))
            if terminated or truncated:
                break
        solved += reward == 1.0
    assert solved >= 3


def test_unknown_env_ids() -> None:
    with pytest.raises(UnknownEnvironmentError, match="BabyAI-GoToLocal-v0"):
        make_babyai_env("BabyAI-GoToLocl-v0")
    with pytest.raises(UnknownEnvironmentError):
        make_babyai_env("CartPole-v1")
    with pytest.raises(UnknownEnvironmentError, match="BabyAI-"):
        knowledge_for("CartPole-v1")
    with pytest.raises(ValueError):  # UnknownEnvironmentError is a ValueError
        knowledge_for("BabyAI-Nope-v0")


def test_state_key_flags_exactly_the_actions_that_change_nothing() -> None:
    env = gym.make("BabyAI-GoToLocal-v0")
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    changed = {a: 0 for a in range(7)}
    for _ in range(300):
        a = int(rng.integers(7))
        u = env.unwrapped
        before = (tuple(u.agent_pos), u.agent_dir, u.carrying, str(u.grid.encode().tobytes()))
        key = state_key(env)
        env.step(a)
        after = (tuple(u.agent_pos), u.agent_dir, u.carrying, str(u.grid.encode().tobytes()))
        assert (state_key(env) != key) == (before != after), ACTION_WORDS[a]
        changed[a] += state_key(env) != key
    assert changed[0] > 0 and changed[6] == 0  # turning always changes the state, done never does
