import numpy as np
import pytest
from gymnasium import spaces
from stable_baselines3 import PPO

from teduo_gym.agents import RandomAgent, SB3Agent
from teduo_gym.envs.babyai import make_babyai_env
from teduo_gym.envs.babyai.bot import BabyAIBotAgent
from teduo_gym.evaluation import run_episodes


def test_random_agent_single_and_batched():
    agent = RandomAgent(spaces.Discrete(7), seed=0)
    single, _ = agent.predict({"text": "a wall 1 step forward"})
    batch, _ = agent.predict({"text": ["x"] * 5})
    assert np.shape(single) == () and batch.shape == (5,)
    assert set(RandomAgent(spaces.Discrete(7), seed=0).predict({"text": ["x"] * 50})[0]) <= set(range(7))


def test_bot_solves_the_goals_the_wrapper_sets():
    envs = [make_babyai_env("BabyAI-GoToLocal-v0", goal_sampler="feasible") for _ in range(3)]
    results = run_episodes(BabyAIBotAgent(envs), envs, list(range(6)), progress=False)
    assert all(r.success for r in results), results
    # the goals were the wrapper's, not the levels' own missions
    assert any(r.goal.startswith(("pick up", "open")) for r in results) or len({r.goal for r in results}) > 1


def test_bot_batch_must_match_envs():
    env = make_babyai_env("BabyAI-GoToLocal-v0")
    obs, _ = env.reset(seed=0)
    with pytest.raises(ValueError, match="a batch of 1 observations for 2 environments"):
        BabyAIBotAgent([env, env]).predict(obs)


def test_sb3_agent_loads_a_model_and_acts_on_text_observations(tmp_path):
    numeric = make_babyai_env("BabyAI-GoToLocal-v0", text=False)
    model = PPO("MultiInputPolicy", numeric, n_steps=64, batch_size=32, seed=0, device="cpu")
    model.learn(64)
    model.save(tmp_path / "ppo.zip")
    env = make_babyai_env("BabyAI-GoToLocal-v0")
    agent = SB3Agent(tmp_path / "ppo.zip", env.observation_space["observation"])
    obs, _ = env.reset(seed=0)
    action, _ = agent.predict(obs, deterministic=True)
    expected, _ = model.predict(obs["observation"], deterministic=True)
    assert int(action) == int(expected)


def test_sb3_agent_rejects_other_observation_spaces_and_non_models(tmp_path):
    numeric = make_babyai_env("BabyAI-GoToLocal-v0", text=False)
    PPO("MultiInputPolicy", numeric, n_steps=64, batch_size=32, device="cpu").save(tmp_path / "ppo.zip")
    other = make_babyai_env("BabyAI-GoToLocal-v0", goals=["go to the red ball"], goal_sampler="uniform")
    with pytest.raises(ValueError, match="trained on observations"):
        SB3Agent(tmp_path / "ppo.zip", other.observation_space["observation"])
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a Stable-Baselines3 model"):
        SB3Agent(tmp_path / "junk.zip", numeric.observation_space)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        SB3Agent(tmp_path / "missing.zip", numeric.observation_space)
