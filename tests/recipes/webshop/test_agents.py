"""The WebShop agents on the real server with the real embedded LLM, in-process and through the OpenAI API."""

import json
from pathlib import Path

import numpy as np

from teduo_gym.envs.webshop import WebShopEngine
from teduo_gym.llm import LLMServer
from teduo_gym.llm.config import LLMConfig
from teduo_gym.recipes.webshop import (
    REACT_TEMPLATE,
    EpisodeFile,
    WebShopLLMAgent,
    collect_episodes,
    play_episode,
    score_continuations,
    webshop,
)

from .conftest import train_goals


def test_cached_scoring_matches_the_backend(llm) -> None:
    prompt, candidates = (
        "Instruction: i need a red mug\nAction:",
        [" click[b07x1y2z3a]", " click[buy now]", " search[mug]"],
    )
    assert np.allclose(score_continuations(llm, prompt, candidates), llm.score([prompt], candidates)[0], atol=1e-3)


def test_react_baseline_gives_the_same_actions_through_the_openai_api(env, llm) -> None:
    local = WebShopLLMAgent(llm, REACT_TEMPLATE, max_chars=120, max_item_chars=20)
    in_process = play_episode(env, local.act, 0, max_steps=2)
    assert in_process.actions[0].startswith("search[") and in_process.actions[0] != "search[]"
    obs, _ = env.reset(options={"goal_index": 0})
    obs, *_ = env.step(in_process.actions[0])
    assert in_process.actions[1].removeprefix("click[").removesuffix("]") in webshop().clickables(obs)  # never invalid
    with LLMServer(llm) as server:
        api = LLMConfig(backend="openai", base_url=server.url, timeout_s=600).create()
        remote = WebShopLLMAgent(api, REACT_TEMPLATE, max_chars=120, max_item_chars=20)
        over_http = play_episode(env, remote.act, 0, max_steps=2)
    assert over_http.actions == in_process.actions


def test_collection_resumes(env, engine: WebShopEngine, llm, tmp_path: Path) -> None:
    goals = train_goals(engine, 3)
    path = tmp_path / "episodes.jsonl"
    collect_episodes(env, goals, 2, 4, path, llm=llm, progress=False)
    first = list(EpisodeFile(path).read())
    collect_episodes(env, goals, 3, 4, path, llm=llm, progress=False)
    episodes = list(EpisodeFile(path).read())
    assert episodes[:2] == first and [e.key for e in episodes] == ["0", "1", "2"]
    assert all(e.actions[0].startswith("search[") and len(e.actions) <= 4 for e in episodes)
    assert all(e.instruction == goals[e.goal_index] for e in episodes)
    assert set(json.loads((tmp_path / "queries.json").read_text())) == {goals[e.goal_index] for e in episodes}
