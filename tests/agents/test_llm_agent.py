import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy

from teduo_gym.agents import AGENT_CONFIG_FILE, COMPACT_TEMPLATE, LLMAgent
from teduo_gym.envs import UnknownEnvironmentError, knowledge_for
from teduo_gym.envs.babyai import make_babyai_env
from teduo_gym.envs.babyai.actions import ACTION_WORDS
from teduo_gym.envs.babyai.describe import describe_egocentric


@pytest.fixture(scope="module")
def agent(embedded_backend):
    return LLMAgent(embedded_backend, ACTION_WORDS, seed=0)


def test_action_is_the_most_likely_action_word(agent, embedded_backend):
    obs = {"mission": "go to the red ball", "text": "a red ball 1 step forward\nYou carry nothing."}
    action, state = agent.predict(obs, deterministic=True)
    scores = embedded_backend.score([agent.prompt(obs["mission"], obs["text"])], [" " + w for w in ACTION_WORDS])
    assert state is None and int(action) == int(scores.argmax())


def test_logprobs_are_normalised_and_cached(agent):
    logp = agent.action_logprobs(["go to the red ball"] * 2, ["a wall 1 step forward", "a red ball"])
    assert logp.shape == (2, 7)
    np.testing.assert_allclose(np.exp(logp).sum(axis=1), 1.0, rtol=1e-6)
    before = len(agent._cache)
    agent.action_logprobs(["go to the red ball"], ["a wall 1 step forward"])
    assert len(agent._cache) == before


def test_sampling_is_seeded(embedded_backend):
    goals, states = ["go to the red ball"] * 30, ["a red ball 2 steps forward"] * 30
    a = LLMAgent(embedded_backend, ACTION_WORDS, seed=1).act(goals, states, deterministic=False)
    b = LLMAgent(embedded_backend, ACTION_WORDS, seed=1).act(goals, states, deterministic=False)
    assert a.tolist() == b.tolist() and len(set(a.tolist())) > 1


def test_sb3_evaluate_policy_on_numeric_vec_env(embedded_backend):
    vec = make_vec_env(lambda: make_babyai_env("BabyAI-GoToLocal-v0", text=False, max_steps=8), n_envs=2, seed=0)
    agent = LLMAgent.for_env(vec, embedded_backend)
    assert agent.goals == tuple(vec.get_attr("goals")[0])
    rewards, lengths = evaluate_policy(agent, vec, n_eval_episodes=4, return_episode_rewards=True)
    assert len(rewards) == 4 and all(1 <= n <= 8 for n in lengths)


def test_batched_equals_one_at_a_time(agent):
    env = make_babyai_env("BabyAI-GoToLocal-v0", text=False)
    observations = [env.reset(seed=s)[0] for s in range(3)]
    agent.describer = describe_egocentric
    agent.goals = env.get_wrapper_attr("goals")
    batch = {k: np.stack([o[k] for o in observations]) for k in observations[0]}
    batched, _ = agent.predict(batch, deterministic=True)
    single = [int(agent.predict(o, deterministic=True)[0]) for o in observations]
    assert batched.tolist() == single


def test_clear_errors_for_missing_goal_or_text(embedded_backend):
    agent = LLMAgent(embedded_backend, ACTION_WORDS)
    with pytest.raises(ValueError, match="no goal vocabulary"):
        agent.predict({"text": "x", "desired_goal": np.array([0, 1])})
    with pytest.raises(ValueError, match="no describer"):
        agent.predict({"mission": "go to the red ball", "observation": np.zeros(147)})
    with pytest.raises(ValueError, match=r"must contain \{state\}"):
        LLMAgent(embedded_backend, ACTION_WORDS, template="{goal}")


def test_save_and_from_pretrained_round_trip(agent, tmp_path):
    agent.save_pretrained(tmp_path / "agent")
    loaded = LLMAgent.from_pretrained(tmp_path / "agent")
    assert loaded.config == agent.config
    goals, states = ["open the blue door"], ["a closed blue door 1 step forward"]
    np.testing.assert_allclose(loaded.action_logprobs(goals, states), agent.action_logprobs(goals, states), atol=1e-4)
    # the saved words may be given again (not a TypeError), never other ones; the template may be replaced
    again = LLMAgent.from_pretrained(tmp_path / "agent", action_words=ACTION_WORDS, template=COMPACT_TEMPLATE, seed=1)
    assert again.config.action_words == ACTION_WORDS and again.config.template == COMPACT_TEMPLATE
    with pytest.raises(ValueError, match="differ from the"):
        LLMAgent.from_pretrained(tmp_path / "agent", action_words=ACTION_WORDS[::-1])
    (tmp_path / "agent" / AGENT_CONFIG_FILE).unlink()  # a plain Hugging Face directory
    plain = LLMAgent.from_pretrained(tmp_path / "agent", action_words=ACTION_WORDS[:3], template=COMPACT_TEMPLATE)
    assert plain.config.action_words == ACTION_WORDS[:3] and plain.config.template == COMPACT_TEMPLATE


def test_for_env_takes_the_knowledge_of_any_environment(embedded_backend):
    lake = gym.make("FrozenLake-v1")
    with pytest.raises(UnknownEnvironmentError, match="FrozenLake-v1.*LLMAgent.for_env\\(env, knowledge=...\\)"):
        LLMAgent.for_env(lake, embedded_backend, goals=["reach cell 15"])
    agent = LLMAgent.for_env(lake, embedded_backend, knowledge="tests.evaluation.lake:Lake", goals=["reach cell 15"])
    assert agent.config.action_words == ("left", "down", "right", "up")
    assert agent.describer is knowledge_for("tests.evaluation.lake:Lake").describers["cell"]


def test_from_pretrained_names_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match=AGENT_CONFIG_FILE):
        LLMAgent.from_pretrained(tmp_path)
