"""Text agents on the real WebShop server with the real embedded LLM: in-process, through the OpenAI API, and
fine-tuned on free-text actions."""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from teduo_gym.agents.text_agents import RandomTextAgent, TextLLMAgent
from teduo_gym.collection.text_episodes import play_episode
from teduo_gym.envs import TextEpisodes, knowledge_for
from teduo_gym.finetune import ActionExample, FinetuneConfig, finetune, read_examples, write_examples
from teduo_gym.labeling.outcomes import score_continuations
from teduo_gym.llm import LLMServer, TransformersBackend
from teduo_gym.llm.base import LLMBackend
from teduo_gym.llm.config import LLMConfig, shared_backend


@pytest.fixture(scope="module")
def shop() -> Iterator[TextEpisodes]:
    with knowledge_for("teduo/WebShop-v0").text_episodes(page_chars=120, item_chars=20) as episodes:
        yield episodes


@pytest.fixture(scope="module")
def llm() -> LLMBackend:
    return shared_backend(LLMConfig())


def test_cached_scoring_matches_the_backend(llm) -> None:
    prompt, candidates = (
        "Instruction: i need a red mug\nAction:",
        [" click[b07x1y2z3a]", " click[buy now]", " search[mug]"],
    )
    assert np.allclose(score_continuations(llm, prompt, candidates), llm.score([prompt], candidates)[0], atol=1e-3)


def test_prompted_baseline_gives_the_same_actions_through_the_openai_api(shop, llm) -> None:
    local = TextLLMAgent(llm, shop, shop.baseline_template)
    in_process = play_episode(shop, local.act, 0, max_steps=2)
    assert in_process.actions[0].startswith("search[") and in_process.actions[0] != "search[]"
    page = shop.reset(0)
    page, *_ = shop.step(in_process.actions[0])
    assert in_process.actions[1] in shop.choices(page).candidates  # never invalid
    with LLMServer(llm) as server:
        api = LLMConfig(backend="openai", base_url=server.url, timeout_s=600).create()
        over_http = play_episode(shop, TextLLMAgent(api, shop, shop.baseline_template).act, 0, max_steps=2)
    assert over_http.actions == in_process.actions


def test_random_agent_is_seeded(shop) -> None:
    def play(seed: int) -> tuple[str, ...]:
        return play_episode(shop, RandomTextAgent(shop, seed=seed).act, 0, max_steps=3).actions

    assert play(1) == play(1) and play(1)[0] == f"search[{shop.instructions([0])[0]}]"


def test_finetuned_agent_acts_on_the_server(shop, tmp_path: Path) -> None:
    examples = [
        ActionExample("i need a red mug", "WebShop | Search", "search[red mug]"),
        ActionExample("i need a red mug", "Back to Search | Page 1 | B01 | Red Mug", "click[b01]"),
        ActionExample("i need a red mug", "Back to Search | < Prev | Red Mug | Buy Now", "click[buy now]"),
    ]
    data = write_examples(tmp_path / "examples.jsonl", examples)
    assert read_examples(data) == examples  # any action string is allowed without an env's action words
    out = finetune(FinetuneConfig(data, tmp_path / "agent", free_text=True, max_steps=1, batch_size=3, max_length=64,
                                  template=shop.act_template, progress=False))  # fmt: skip
    agent = TextLLMAgent(TransformersBackend(out), shop, shop.act_template)
    page = shop.reset(0)
    assert agent.act(page).startswith("search[")
    page, *_ = shop.step(agent.act(page))
    assert agent.act(page) in shop.choices(page).candidates
