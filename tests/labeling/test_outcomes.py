"""The LLM judge on real WebShop purchases: rewards in [0, 1], accuracy against WebShop's reward, resumed from its
cache."""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from teduo_gym.collection.text_episodes import play_episode
from teduo_gym.envs import TextEpisodes, knowledge_for
from teduo_gym.envs.webshop import load_catalog
from teduo_gym.labeling.outcomes import CriteriaJudge, judge_rater, label_accuracy, label_outcomes
from teduo_gym.llm.base import LLMBackend
from teduo_gym.llm.config import LLMConfig, shared_backend
from tests.envs.webshop.conftest import expert_actions


@pytest.fixture(scope="module")
def shop() -> Iterator[TextEpisodes]:
    with knowledge_for("teduo/WebShop-v0").text_episodes() as episodes:
        yield episodes


@pytest.fixture(scope="module")
def llm() -> LLMBackend:
    return shared_backend(LLMConfig())


class NoCalls:
    """A backend that fails if asked anything: whatever it labels comes from the cache."""

    def __init__(self, llm: LLMBackend) -> None:
        self.name, self.chat = llm.name, llm.chat

    def generate(self, *args, **kwargs):
        raise AssertionError("the LLM was called")

    score = generate


def test_labels_resume_from_the_cache(shop: TextEpisodes, llm, tmp_path: Path) -> None:
    train = shop.goal_split()[0][:5]
    goals = shop.instructions(train)
    goal = train[0]
    catalog = load_catalog()
    actions = iter(expert_actions(catalog, catalog.goals[goal]))
    episode = play_episode(shop, lambda obs: next(actions), goal, max_steps=10, key="0")

    def label(backend):
        judge = CriteriaJudge(backend, tmp_path, shop.judge_template, shop.criteria)
        rate = judge_rater(judge, shop.combine, shop.outcome_text)
        return label_outcomes([episode], goals, rate, outcome_words=shop.outcome_words, hindsight=1, truth=shop.truth,
                              progress=False)  # fmt: skip

    labels = label(llm)
    assert [lb.goal_index for lb in labels][0] == goal and len(labels) == 2
    assert all(0 <= lb.reward <= 1 and set(lb.parts) == {"category", "attributes", "options", "price"} for lb in labels)
    assert labels[0].true_reward == episode.reward == 1.0
    assert label(NoCalls(llm)) == labels
    accuracy = label_accuracy(labels)
    assert accuracy["pairs"] == 2 and 0 <= accuracy["accuracy"] <= 1


def test_judge_is_calibrated_against_a_content_free_input(shop: TextEpisodes, llm, tmp_path: Path) -> None:
    parts = CriteriaJudge(llm, tmp_path, shop.judge_template, shop.criteria).parts("N/A", "N/A")
    assert np.allclose(list(parts.values()), 0.5)
