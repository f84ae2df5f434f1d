"""Collection of text episodes on the real WebShop server with the real embedded LLM resumes where it stopped."""

import json
from pathlib import Path

from teduo_gym.collection.text_episodes import collect_text_episodes
from teduo_gym.datasets.text_episodes import TextEpisodeFile
from teduo_gym.envs import knowledge_for
from teduo_gym.llm.config import LLMConfig, shared_backend


def test_collection_resumes(tmp_path: Path) -> None:
    llm = shared_backend(LLMConfig())
    path = tmp_path / "episodes.jsonl"
    with knowledge_for("teduo/WebShop-v0").text_episodes() as shop:
        goals = shop.instructions(shop.goal_split()[0][:3])
        collect_text_episodes(shop, goals, 2, 4, path, llm=llm, progress=False)
        first = list(TextEpisodeFile(path).read())
        collect_text_episodes(shop, goals, 3, 4, path, llm=llm, progress=False)
    episodes = list(TextEpisodeFile(path).read())
    assert episodes[:2] == first and [e.key for e in episodes] == ["0", "1", "2"]
    assert all(e.actions[0].startswith("search[") and len(e.actions) <= 4 for e in episodes)
    assert all(e.instruction == goals[e.goal_index] for e in episodes)
    assert set(json.loads((tmp_path / "queries.json").read_text())) == {goals[e.goal_index] for e in episodes}
