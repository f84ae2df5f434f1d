"""SB3 DQN with Hindsight Experience Replay through LanguageGoalWrapper on a real BabyAI level."""

import numpy as np
from stable_baselines3 import DQN, HerReplayBuffer

from teduo_gym.envs.babyai import make_babyai_env


def test_her_relabelled_rewards_agree_with_the_detector():
    env = make_babyai_env("BabyAI-GoToLocal-v0", text=False, goal_sampler="feasible", max_steps=32)
    model = DQN(
        "MultiInputPolicy",
        env,
        replay_buffer_class=HerReplayBuffer,
        replay_buffer_kwargs={"n_sampled_goal": 4, "goal_selection_strategy": "future"},
        learning_starts=500,
        train_freq=8,
        buffer_size=5000,
        seed=0,
        device="cpu",
    )
    model.learn(3000)
    buffer = model.replay_buffer
    samples = buffer.sample(2048)
    achieved = samples.next_observations["achieved_goal"].numpy()
    desired = samples.observations["desired_goal"].numpy()
    rewards = samples.rewards.numpy().ravel()
    # the rewards HER stored or recomputed are the wrapper's compute_reward of the detector's output
    np.testing.assert_array_equal(rewards, env.compute_reward(achieved, desired, None))
    # relabelling happened: future achieved goals became desired goals, so more samples are rewarded than
    # the stored transitions themselves
    stored_rewards = buffer.rewards[: buffer.pos].ravel()
    assert rewards.mean() > stored_rewards.mean()
    # each stored achieved-goal vector marks only goals the detector can reach in one step: never more than
    # the handful of goals describing the object in front (or carried / opened / placed)
    stored_achieved = buffer.next_observations["achieved_goal"][: buffer.pos].reshape(-1, desired.shape[-1])
    assert stored_achieved.sum(axis=1).max() <= 8
