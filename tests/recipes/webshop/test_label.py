"""The LLM judge on real purchases: rewards in [0, 1], accuracy against WebShop's reward, resumed from its cache."""

from pathlib import Path

import numpy as np

from teduo_gym.envs.webshop import WebShopEngine, catalog_truth
from teduo_gym.llm.base import LLMBackend
from teduo_gym.recipes.webshop import PurchaseJudge, label_accuracy, label_episodes, play_episode

from .conftest import expert_actions, train_goals


class NoCalls:
    """A backend that fails if asked anything: whatever it labels comes from the cache."""

    def __init__(self, llm: LLMBackend) -> None:
        self.name, self.chat = llm.name, llm.chat

    def generate(self, *args, **kwargs):
        raise AssertionError("the LLM was called")

    score = generate


def test_labels_resume_from_the_cache(env, engine: WebShopEngine, llm, tmp_path: Path) -> None:
    goals = train_goals(engine, 5)
    goal = next(iter(goals))
    actions = iter(expert_actions(engine, goal))
    episode = play_episode(env, lambda obs: next(actions), goal, max_steps=10, key="0")
    truth = catalog_truth(engine.catalog)
    labels = label_episodes([episode], goals, PurchaseJudge(llm, tmp_path), hindsight=1, truth=truth, progress=False)
    assert [lb.goal_index for lb in labels][0] == goal and len(labels) == 2
    assert all(0 <= lb.reward <= 1 and set(lb.parts) == {"category", "attributes", "options", "price"} for lb in labels)
    assert labels[0].true_reward == episode.reward == 1.0
    again = label_episodes([episode], goals, PurchaseJudge(NoCalls(llm), tmp_path), hindsight=1, truth=truth,
                           progress=False)  # fmt: skip
    assert again == labels
    accuracy = label_accuracy(labels)
    assert accuracy["pairs"] == 2 and 0 <= accuracy["accuracy"] <= 1


def test_judge_is_calibrated_against_a_content_free_input(llm, tmp_path: Path) -> None:
    judge = PurchaseJudge(llm, tmp_path)
    parts = judge.parts("N/A", "N/A")
    assert np.allclose(list(parts.values()), 0.5)
