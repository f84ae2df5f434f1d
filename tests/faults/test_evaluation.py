"""Faults of evaluations: agent names of one log file, a resume with another --n-envs, a setting whose goals are
feasible nowhere, a truncated summary or log, a folder of another protocol."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from teduo_gym.evaluation.agents import AgentFactory
from teduo_gym.evaluation.evaluate import evaluate_agents
from teduo_gym.evaluation.protocol import Protocol
from tests.faults.conftest import assert_one_line

TINY = {
    "layouts": 2,
    "test_layouts": 4,
    "goal_kinds": ["go to"],
    "train_goals": 4,
    "test_goals": 6,
    "eval_episodes": 2,
    "max_steps": 6,
}


def _protocol(**changes) -> Protocol:
    settings = dict(
        env="BabyAI-GoToLocal-v0",
        train_layouts=(1,),
        test_layouts=(2,),
        train_goals=("go to a ball", "go to a key"),
        test_goals=(),
        episodes=2,
        max_steps=6,
    )
    return Protocol(**{**settings, **changes})


@pytest.fixture
def config(write_json, tmp_path) -> Path:
    return write_json({**TINY, "out": str(tmp_path / "run")})


def test_two_agent_names_of_one_log_file_are_refused(teduo, config, tmp_path):
    out = tmp_path / "eval"
    outcome = teduo("evaluate", "--config", config, "--agents", "my agent=random", "my_agent=bot", "--out", out,
                    "--no-progress")  # fmt: skip
    assert_one_line(outcome, "'my agent'", "'my_agent'", "share an episode log", "NAME=SPEC")
    assert not (out / "episodes").exists()


def test_a_name_that_clashes_with_an_earlier_call_is_refused(tmp_path):
    factory = AgentFactory(_protocol())
    evaluate_agents(factory, {"my agent": "random"}, tmp_path, progress=False)
    with pytest.raises(ValueError, match="share an episode log"):
        evaluate_agents(factory, {"my_agent": "bot"}, tmp_path, progress=False)


def test_resuming_with_another_n_envs_is_refused(tmp_path):
    factory = AgentFactory(_protocol())
    evaluate_agents(factory, {"random": "random"}, tmp_path, n_envs=2, progress=False)
    with pytest.raises(ValueError, match="--n-envs 2"):
        evaluate_agents(factory, {"random": "random"}, tmp_path, n_envs=1, progress=False)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["config"]["n_envs"] == 2 if "config" in summary else True


def test_resuming_with_the_same_n_envs_gives_the_same_episodes(tmp_path):
    factory = AgentFactory(_protocol())
    first = evaluate_agents(factory, {"random": "random"}, tmp_path / "a", n_envs=2, progress=False)
    log = (tmp_path / "a" / "episodes" / "random.jsonl").read_text().splitlines()
    (tmp_path / "a" / "episodes" / "random.jsonl").write_text(log[0] + "\n")  # killed after one episode
    again = evaluate_agents(factory, {"random": "random"}, tmp_path / "a", n_envs=2, progress=False)
    assert again == first


def test_a_setting_whose_goals_are_feasible_nowhere_is_an_error_not_a_missing_row():
    protocol = _protocol(test_goals=("open the red door",))  # GoToLocal has no doors
    with pytest.raises(ValueError, match="test goals: none of the 1 goals .* feasible"):
        protocol.episode_specs()


def test_door_goals_on_a_level_without_doors_is_one_line(teduo, write_json, tmp_path):
    config = write_json({**TINY, "goal_kinds": ["open"], "train_goals": 2, "test_goals": 2, "out": str(tmp_path / "r")})
    outcome = teduo("evaluate", "--config", config, "--agents", "random", "--out", tmp_path / "e", "--no-progress")
    assert_one_line(outcome, "feasible in any of the", "choose goal kinds")


def test_a_setting_without_goals_is_left_out():
    assert {e.setting for e in _protocol().episode_specs()} == {"train layouts / train goals",
                                                                 "test layouts / train goals"}  # fmt: skip


def test_a_truncated_summary_names_the_file_and_the_fix(teduo, config, tmp_path):
    out = tmp_path / "eval"
    assert teduo("evaluate", "--config", config, "--agents", "random", "--out", out, "--no-progress").code == 0
    (out / "summary.json").write_text((out / "summary.json").read_text()[:30])
    (out / "seconds.json").unlink()  # a folder of an earlier version: the summary is the only record of seconds
    outcome = teduo("evaluate", "--config", config, "--agents", "random", "--out", out, "--no-progress")
    assert_one_line(outcome, str(out / "summary.json"), "delete it")


def test_a_truncated_summary_is_rebuilt_from_the_logs(tmp_path):
    factory = AgentFactory(_protocol())
    first = evaluate_agents(factory, {"random": "random"}, tmp_path, progress=False)
    (tmp_path / "summary.json").write_text((tmp_path / "summary.json").read_text()[:30])
    assert evaluate_agents(factory, {"random": "random"}, tmp_path, progress=False) == first
    assert json.loads((tmp_path / "summary.json").read_text())["results"]["evaluation"] == first


def test_a_killed_evaluation_keeps_its_seconds(tmp_path, monkeypatch):
    """A resumed evaluation reports the seconds of the killed run too, not only its own."""
    import teduo_gym.evaluation.evaluate as evaluate_module

    factory = AgentFactory(_protocol(episodes=12))
    real = evaluate_module.map_shards

    def killed_after_one_shard(*args, **kwargs):
        for i, item in enumerate(real(*args, **kwargs)):
            yield item
            time.sleep(0.2)
            if i == 0:
                raise KeyboardInterrupt

    monkeypatch.setattr(evaluate_module, "map_shards", killed_after_one_shard)
    with pytest.raises(KeyboardInterrupt):
        evaluate_agents(factory, {"random": "random"}, tmp_path, n_envs=1, progress=False)
    killed = json.loads((tmp_path / "seconds.json").read_text())["random"]
    assert killed > 0
    monkeypatch.setattr(evaluate_module, "map_shards", real)
    evaluate_agents(factory, {"random": "random"}, tmp_path, n_envs=1, progress=False)
    assert json.loads((tmp_path / "summary.json").read_text())["results"]["seconds"]["random"] >= killed


def test_a_corrupt_protocol_file_names_the_folder(teduo, config, tmp_path):
    out = tmp_path / "eval"
    out.mkdir()
    (out / "protocol.json").write_text("{")
    outcome = teduo("evaluate", "--config", config, "--agents", "random", "--out", out, "--no-progress")
    assert_one_line(outcome, "protocol.json", "choose another --out")


def test_a_corrupt_episode_log_names_the_file(tmp_path):
    factory = AgentFactory(_protocol())
    evaluate_agents(factory, {"random": "random"}, tmp_path, progress=False)
    log = tmp_path / "episodes" / "random.jsonl"
    log.write_text("garbage\n" + log.read_text())
    with pytest.raises(ValueError, match="random.jsonl"):
        evaluate_agents(factory, {"random": "random"}, tmp_path, progress=False)


def test_zero_n_envs_is_one_line(teduo, config, tmp_path):
    outcome = teduo("evaluate", "--config", config, "--agents", "random", "--n-envs", "0", "--out", tmp_path / "e",
                    "--no-progress")  # fmt: skip
    assert_one_line(outcome, "n_envs")
