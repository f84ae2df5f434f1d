"""A TEDUO run's agents on its protocol (`evaluate_run`), and SB3 baselines on it (`train_baseline`): the run's own
folders, agents and errors."""

import json
import re

import pytest

from teduo_gym.evaluation.protocol import Protocol
from teduo_gym.online import SB3Config
from teduo_gym.recipes.teduo import RunConfig, StagePaths
from teduo_gym.recipes.teduo_evaluation import RunAgents, evaluate_run, pipeline_agents, train_baseline

from ..evaluation.lake import LAKE


def tiny(tmp_path, **changes) -> RunConfig:
    settings = dict(layouts=3, test_layouts=2, train_goals=10, test_goals=6, eval_episodes=1, max_steps=20)
    return RunConfig(out=tmp_path / "run", **{**settings, **changes})


def test_sampled_actions_have_their_own_default_folder_and_the_record_holds_the_run(tmp_path):
    config = tiny(tmp_path)
    evaluate_run(config, {"bot": "bot"}, deterministic=False, progress=False)
    evaluate_run(config, {"bot": "bot"}, progress=False)
    folders = sorted(p.name for p in (tmp_path / "run").glob("evaluation-*"))
    assert len(folders) == 2 and folders[1].endswith("-abstract-sampled") and folders[0].endswith("-abstract")
    saved = json.loads((tmp_path / "run" / folders[1] / "summary.json").read_text())
    assert saved["results"]["actions"] == "sampled" and saved["results"]["text"] == "abstract"
    assert saved["config"]["run"]["seed"] == 0 and "executor" in saved["config"]
    assert saved["results"]["fingerprint"] == Protocol.from_run_config(config).fingerprint()


def test_the_runs_own_agents_resolve_to_its_folders_and_are_named_when_missing(tmp_path):
    config = tiny(tmp_path)
    agents = RunAgents.of(config)
    assert agents.identity("fine-tuned") == str(StagePaths.of(config).agent)
    assert agents.reads_text("untuned") and agents.train_goals_only("q-table") and not agents.reads_text("random")
    with pytest.raises(FileNotFoundError, match="no fine-tuned agent yet"):
        evaluate_run(config, {"tuned": "fine-tuned"}, out=tmp_path / "e1", progress=False)
    with pytest.raises(FileNotFoundError, match="labels of a finished run"):
        evaluate_run(config, {"q": "q-table"}, out=tmp_path / "e2", progress=False)


def test_the_pipeline_compares_the_bot_only_where_there_is_an_expert():
    assert "bot" in pipeline_agents("BabyAI-GoToLocal-v0").values()
    assert list(pipeline_agents(LAKE)) == ["fine-tuned", "untuned", "Q-table", "random"]


def test_a_baseline_writes_under_its_run_by_default(tmp_path):
    run_config = tmp_path / "run.json"
    run_config.write_text(json.dumps({"out": str(tmp_path / "run"), "layouts": 2, "test_layouts": 1}))
    default = tmp_path / "run" / "baselines" / "ppo-7"
    default.mkdir(parents=True)
    (default / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match=re.escape(f"{default} holds files but no sb3.json")):
        train_baseline(SB3Config(config=run_config, steps=7, progress=False))
