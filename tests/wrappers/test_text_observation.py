import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from teduo_gym.wrappers import TextObservationWrapper


def describe_line(env, obs) -> str:
    return f"agent in cell {int(obs[0])}"


def test_keeps_observation_and_adds_text(line_world):
    env = TextObservationWrapper(line_world, describe_line)
    obs, _ = env.reset(seed=3)
    assert obs["text"] == f"agent in cell {line_world.pos}"
    np.testing.assert_array_equal(obs["observation"], [line_world.pos])
    obs, *_ = env.step(1)
    assert obs["text"] == f"agent in cell {line_world.pos}"
    assert env.observation_space.contains(obs)


def test_passes_gymnasium_check_env(line_world):
    check_env(TextObservationWrapper(line_world, describe_line), skip_render_check=True)


def test_describer_gets_the_wrapped_env(line_world):
    seen = []
    env = TextObservationWrapper(line_world, lambda e, o: seen.append(e) or "x")
    env.reset(seed=0)
    assert seen[0] is line_world


@pytest.mark.parametrize(
    "describer, error, match",
    [
        (lambda env, obs: 3, TypeError, "returned int, not str"),
        (lambda env, obs: "x" * 20, ValueError, "more than max_length=10"),
        (lambda env, obs: "caf\u00e9", ValueError, "outside printable ASCII"),
    ],
)
def test_bad_describer_output_is_named(line_world, describer, error, match):
    env = TextObservationWrapper(line_world, describer, max_length=10)
    with pytest.raises(error, match=match):
        env.reset(seed=0)


def test_describer_must_be_callable(line_world):
    with pytest.raises(TypeError, match="callable"):
        TextObservationWrapper(line_world, "not a function")


def test_wraps_real_cartpole():
    env = TextObservationWrapper(gym.make("CartPole-v1"), lambda e, o: f"angle {o[2]:+.3f}")
    check_env(env, skip_render_check=True)
