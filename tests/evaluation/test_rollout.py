import numpy as np

from teduo_gym.agents import RandomAgent
from teduo_gym.envs.babyai import make_babyai_env
from teduo_gym.envs.babyai.actions import ACTION_WORDS, state_key
from teduo_gym.envs.babyai.bot import BabyAIBotAgent
from teduo_gym.evaluation import run_episodes, summarize


class Always:
    """Always the same action."""

    def __init__(self, action: int):
        self.action = action

    def predict(self, observation, state=None, episode_start=None, deterministic=False):
        return np.full(len(episode_start), self.action), state


def envs(n=2, **kwargs):
    return [make_babyai_env("BabyAI-GoToLocal-v0", max_steps=16, **kwargs) for _ in range(n)]


def test_results_in_seed_order_and_reproducible():
    seeds = [5, 3, 9, 1, 7]
    a = run_episodes(RandomAgent(envs()[0].action_space, seed=0), envs(), seeds, state_key=state_key, progress=False)
    b = run_episodes(RandomAgent(envs()[0].action_space, seed=0), envs(), seeds, state_key=state_key, progress=False)
    assert [r.seed for r in a] == seeds
    assert a == b


def test_bot_succeeds_and_done_is_always_invalid():
    e = envs(3)
    bot = summarize(run_episodes(BabyAIBotAgent(e), e, list(range(6)), state_key=state_key, progress=False))
    assert bot["success_rate"] == 1.0 and bot["mean_length"] < 16
    done = ACTION_WORDS.index("done")
    idle = summarize(run_episodes(Always(done), envs(), [0, 1], state_key=state_key, progress=False))
    assert idle["success_rate"] == 0.0 and idle["invalid_action_rate"] == 1.0 and idle["mean_length"] == 16


def test_reset_options_fix_the_goal():
    results = run_episodes(Always(0), envs(), [0, 1], reset_options={"goal": "go to the red ball"}, progress=False)
    assert {r.goal for r in results} == {"go to the red ball"}
