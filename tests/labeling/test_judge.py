import numpy as np
from gymnasium.utils.env_checker import check_env

from teduo_gym.envs.babyai import make_babyai_env
from teduo_gym.envs.babyai.describe import describe_egocentric
from teduo_gym.labeling import LLMGoalJudge
from teduo_gym.wrappers import LanguageGoalWrapper


class CountingBackend:
    """Wraps a backend and counts score calls."""

    def __init__(self, backend):
        self.backend, self.name, self.chat, self.prompts = backend, backend.name, backend.chat, 0

    def score(self, prompts, candidates):
        self.prompts += len(prompts)
        return self.backend.score(prompts, candidates)


def test_judge_is_the_llms_yes_no_probability(embedded_backend):
    judge = LLMGoalJudge(embedded_backend, describe_egocentric)
    goals, states = ["go to the red ball", "open the blue door"], ["a red ball 1 step forward", "a wall"]
    p = judge.judge(goals, states)
    prompts = [judge.template.format(goal=g, state=s) for g, s in zip(goals, states)]
    logp = embedded_backend.score(prompts, [" yes", " no"])
    expected = np.exp(logp[:, 0]) / np.exp(logp).sum(axis=1)
    np.testing.assert_allclose(p, expected, rtol=1e-6)
    assert ((0 < p) & (p < 1)).all()


def test_judgements_are_cached(embedded_backend):
    counting = CountingBackend(embedded_backend)
    judge = LLMGoalJudge(counting, describe_egocentric)
    judge.judge(["go to the red ball"] * 3, ["a red ball 1 step forward"] * 3)
    judge.judge(["go to the red ball"], ["a red ball 1 step forward"])
    assert counting.prompts == 1


def test_judge_gives_a_real_babyai_env_its_rewards(embedded_backend):
    counting = CountingBackend(embedded_backend)
    judge = LLMGoalJudge(counting, describe_egocentric, threshold=0.5)
    inner = make_babyai_env("BabyAI-GoToLocal-v0", text=False, max_steps=6)
    env = LanguageGoalWrapper(inner, inner.get_wrapper_attr("goals"), judge, track="desired")
    check_env(env, skip_render_check=True)
    env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(2)
    p = judge.judge([info["goal"]], [describe_egocentric(None, obs)])[0]
    assert reward == float(p > 0.5)
    assert terminated or p <= 0.5
    assert counting.prompts > 0


def test_threshold_decides(embedded_backend):
    always = LLMGoalJudge(embedded_backend, describe_egocentric, threshold=0.0)
    never = LLMGoalJudge(embedded_backend, describe_egocentric, threshold=1.0)
    env = make_babyai_env("BabyAI-GoToLocal-v0", text=False)
    obs, _ = env.reset(seed=0)
    ids = np.arange(3)
    for judge, expected in ((always, True), (never, False)):
        judge.reset(env, obs, env.get_wrapper_attr("goals"), 0)
        assert (judge.detect(env, obs, None, ids) == expected).all()
