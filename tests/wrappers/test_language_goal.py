import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from teduo_gym.wrappers import GoalDetector, LanguageGoalWrapper, UnknownGoalError

from ..conftest import LINE_GOALS, CellDetector


def make(line_world, **kwargs):
    return LanguageGoalWrapper(line_world, LINE_GOALS, CellDetector(), **kwargs)


def test_observation_layout_and_goal_text(line_world):
    env = make(line_world)
    obs, info = env.reset(seed=0, options={"goal": "reach cell 4"})
    assert info["goal"] == env.goal == "reach cell 4"
    assert obs["desired_goal"].tolist() == [0, 0, 0, 0, 1]
    assert env.goal_text(obs["desired_goal"]) == "reach cell 4"
    assert obs["achieved_goal"].tolist() == np.eye(5, dtype=int)[line_world.pos].tolist()
    assert env.observation_space.contains(obs)


def test_reward_and_termination_come_from_the_detector(line_world):
    env = make(line_world)
    env.reset(seed=0, options={"goal": 4})
    line_world.pos = 2
    obs, reward, terminated, truncated, info = env.step(1)
    assert (reward, terminated, info["is_success"]) == (0.0, False, False)
    assert obs["achieved_goal"].tolist() == [0, 0, 0, 1, 0]
    obs, reward, terminated, truncated, info = env.step(1)
    assert (reward, terminated, info["is_success"]) == (1.0, True, True)
    assert reward == env.compute_reward(obs["achieved_goal"], obs["desired_goal"], info)


def test_compute_reward_is_vectorised(line_world):
    env = make(line_world)
    achieved = np.array([[1, 0, 0, 0, 0], [0, 1, 1, 0, 0], [0, 0, 0, 0, 0]])
    desired = np.array([[1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 1]])
    assert env.compute_reward(achieved, desired, [{}] * 3).tolist() == [1.0, 0.0, 0.0]


def test_track_desired_checks_only_the_desired_goal(line_world):
    calls = []

    class Counting(CellDetector):
        def detect(self, env, observation, action, goal_ids):
            calls.append(list(goal_ids))
            return super().detect(env, observation, action, goal_ids)

    env = LanguageGoalWrapper(line_world, LINE_GOALS, Counting(), track="desired")
    env.reset(seed=0, options={"goal": "reach cell 1"})
    env.step(0)
    assert calls == [[1], [1]]


def test_sampler_chooses_goal_reproducibly(line_world):
    a = [make(line_world).reset(seed=s)[1]["goal"] for s in range(10)]
    b = [make(line_world).reset(seed=s)[1]["goal"] for s in range(10)]
    assert a == b and len(set(a)) > 1


def test_unknown_goal_names_nearest(line_world):
    env = make(line_world)
    with pytest.raises(UnknownGoalError, match="reach cell 3"):
        env.reset(options={"goal": "reach cel 3"})


@pytest.mark.parametrize(
    "goals, error, match",
    [([], ValueError, "empty"), (["a", "a"], ValueError, "distinct"), ([1], TypeError, "strings")],
)
def test_bad_vocabulary(line_world, goals, error, match):
    with pytest.raises(error, match=match):
        LanguageGoalWrapper(line_world, goals, CellDetector())


def test_detector_with_wrong_shape_is_named(line_world):
    class Broken(GoalDetector):
        def detect(self, env, observation, action, goal_ids):
            return np.zeros(2, bool)

    env = LanguageGoalWrapper(line_world, LINE_GOALS, Broken())
    with pytest.raises(ValueError, match="Broken.detect returned shape"):
        env.reset(seed=0)


def test_passes_gymnasium_and_sb3_checkers(line_world):
    check_env(make(line_world), skip_render_check=True)
    sb3_check_env(make(line_world), warn=False)
