"""BALROG's evaluation on an environment's BALROG tasks (BabyAI's five): its score, and the bot / random / LLM agents
on it."""

import numpy as np
import pytest

from teduo_gym.agents import RandomAgent
from teduo_gym.envs import MissingKnowledgeError, knowledge_for
from teduo_gym.evaluation.balrog import balrog_llm_agent, balrog_table, balrog_tasks, run_balrog
from teduo_gym.evaluation.paper import BALROG_RESULTS

from .lake import LAKE

BABYAI = balrog_tasks("BabyAI-GoToLocal-v0")
BOT = knowledge_for("BabyAI-GoToLocal-v0").expert_policy


def test_unknown_tasks_and_environments_without_balrog_are_named() -> None:
    with pytest.raises(ValueError, match="unknown BALROG task.*'nope'.*goto, pickup, open, putnext, pick_up_seq_go_to"):
        run_balrog(BOT, BABYAI, tasks=["goto", "nope"])
    with pytest.raises(MissingKnowledgeError, match="has no 'benchmark', which BALROG needs"):
        balrog_tasks(LAKE)


def test_bot_solves_every_task_and_random_scores_low() -> None:
    bot = run_balrog(BOT, BABYAI, episodes_per_task=6, progress=False)
    assert all(t["progression"] == 100.0 and t["episodes"] == 6 for t in bot["tasks"].values())
    assert bot["progression"] == 100.0 and bot["standard_error"] == 0.0 and bot["episodes"] == 30
    random = run_balrog(lambda envs: RandomAgent(envs[0].action_space, seed=0), BABYAI, 6, progress=False)
    assert random["progression"] < 30.0
    low, high = random["tasks"]["goto"]["progression_ci95"]
    assert low <= random["tasks"]["goto"]["progression"] <= high
    assert random["tasks"]["open"]["mean_length"] == 128.0
    again = run_balrog(lambda envs: RandomAgent(envs[0].action_space, seed=0), BABYAI, 6, progress=False)
    assert again == random
    table = balrog_table({"bot": bot, "random": random}, list(BABYAI.tasks))
    assert "| bot | 100.0 | 100.0 | 100.0 | 100.0 | 100.0 | 100.0 ± 0.0 | 30 |" in table
    assert all(f"| {r.method}, published (BALROG) |" in table for r in BALROG_RESULTS)


def test_balrog_standard_error() -> None:
    class Alternate:
        """The bot, but idle ("done") where the mission says "go to a ..." (several objects fit it)."""

        def __init__(self, envs):
            self.bot, self.envs = BOT(envs), envs

        def predict(self, observation, state=None, episode_start=None, deterministic=False):
            actions, _ = self.bot.predict(observation, state, episode_start, deterministic)
            idle = np.array([self.envs[i].unwrapped.mission.startswith("go to a") for i in range(len(self.envs))])
            return np.where(idle, 6, actions), state

    result = run_balrog(Alternate, BABYAI, episodes_per_task=8, tasks=["goto"], n_envs=1, progress=False)
    p = result["tasks"]["goto"]["progression"] / 100
    assert 0 < p < 1
    assert result["standard_error"] == pytest.approx(100 * np.sqrt(p * (1 - p) / 8))


def test_embedded_llm_agent_plays_every_task(embedded_backend) -> None:
    agent = balrog_llm_agent(embedded_backend, BABYAI)
    result = run_balrog(agent, BABYAI, episodes_per_task=1, max_steps=1, progress=False)
    assert list(result["tasks"]) == list(BABYAI.tasks)
    for task in result["tasks"].values():
        assert task["episodes"] == 1 and task["progression"] in (0.0, 100.0) and task["mean_length"] == 1
