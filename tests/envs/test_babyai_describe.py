"""Describers: exact lines on constructed states, every observation form, errors."""

import gymnasium as gym
import minigrid  # noqa: F401
import numpy as np
import pytest
from minigrid.core.world_object import Ball, Door, Key

from teduo_gym.envs.babyai import describe_egocentric, describe_full_grid, make_babyai_env
from teduo_gym.wrappers import TEXT_CHARSET


def _empty_room(agent_pos, agent_dir, carrying=None):
    env = gym.make("BabyAI-GoToLocal-v0")
    env.reset(seed=0)
    u = env.unwrapped
    for x in range(1, 7):
        for y in range(1, 7):
            u.grid.set(x, y, None)
    u.agent_pos, u.agent_dir, u.carrying = agent_pos, agent_dir, carrying
    return env


@pytest.fixture
def north_state():
    env = _empty_room((3, 5), 3, Key("blue"))
    grid = env.unwrapped.grid
    grid.set(1, 2, Ball("red"))
    grid.set(6, 4, Key("grey"))
    grid.set(3, 0, Door("purple", is_locked=True))
    return env, env.unwrapped.gen_obs()


def test_egocentric_lines_facing_north(north_state) -> None:
    _, obs = north_state
    assert describe_egocentric(None, obs).splitlines() == [
        "a grey key 3 steps right and 1 step forward",
        "a red ball 2 steps left and 3 steps forward",
        "a locked purple door 5 steps forward",
        "a wall 3 steps left",
        "You carry a blue key.",
    ]


def test_egocentric_lines_facing_east() -> None:
    env = _empty_room((1, 1), 0)
    env.unwrapped.grid.set(7, 3, Door("green", is_open=True))
    env.unwrapped.grid.set(2, 1, Door("yellow"))
    obs = env.unwrapped.gen_obs()
    assert describe_egocentric(None, obs).splitlines() == [
        "a closed yellow door 1 step forward",
        "an open green door 2 steps right and 6 steps forward",
        "a wall 6 steps forward",
        "a wall 1 step left",  # the wall 6 steps right is outside the 7x7 view
        "You carry nothing.",
    ]


def test_full_grid_lines(north_state) -> None:
    env, obs = north_state
    assert describe_full_grid(env, obs).splitlines() == [
        "You are at (3, 5) facing north.",
        "You carry a blue key.",
        "a locked purple door at (3, 0)",
        "a red ball at (1, 2)",
        "a grey key at (6, 4)",
    ]


def test_egocentric_accepts_every_observation_form(north_state) -> None:
    _, obs = north_state
    expected = describe_egocentric(None, obs)
    image = obs["image"]
    forms = [
        image,
        image.reshape(-1),
        {"observation": image.reshape(-1)},
        {"observation": {"observation": obs}, "desired_goal": np.zeros(3)},
        image.tolist(),
    ]
    for form in forms:
        assert describe_egocentric(None, form) == expected


def test_egocentric_rejects_other_inputs() -> None:
    for bad in ("a ball", {"text": "x"}, np.zeros((2, 147)), np.zeros(100), None):
        with pytest.raises(ValueError):
            describe_egocentric(None, bad)


def test_full_grid_needs_the_env() -> None:
    with pytest.raises(ValueError, match="needs the environment"):
        describe_full_grid(None, np.zeros(147))


def test_describers_in_the_wrapped_env_are_ascii_and_agree() -> None:
    env = make_babyai_env("BabyAI-Synth-v0", goal_sampler="feasible")
    full = make_babyai_env("BabyAI-Synth-v0", goal_sampler="feasible", describer="full_grid")
    obs, _ = env.reset(seed=3)
    full_obs, _ = full.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(50):
        assert set(obs["text"]) <= TEXT_CHARSET and set(full_obs["text"]) <= TEXT_CHARSET
        assert obs["text"] == describe_egocentric(None, obs["observation"]["observation"])
        assert full_obs["text"].startswith("You are at (")
        action = int(rng.integers(7))
        obs, *_ = env.step(action)
        full_obs, *_ = full.step(action)
