"""The `teduo` command end to end: real minigrid, the real embedded LLM."""

import json

import pytest

from teduo_gym.cli import main


def test_evaluate_writes_a_record(tmp_path, capsys):
    out = tmp_path / "eval.json"
    main(
        [
            "evaluate",
            "--agents",
            "random",
            "bot",
            "--episodes",
            "4",
            "--n-envs",
            "2",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    table = capsys.readouterr().out
    assert "| bot | 4 | 100.0" in table
    record = json.loads(out.read_text())
    assert record["config"]["episodes"] == 4 and record["config"]["seed"] == 0
    assert record["versions"]["minigrid"] != "missing"
    assert record["results"]["summary"]["bot"]["success_rate"] == 1.0
    assert len(record["results"]["episodes"]["random"]) == 4


def test_evaluate_llm_agent_end_to_end(tmp_path, capsys):
    out = tmp_path / "eval.json"
    main(
        [
            "evaluate",
            "--agents",
            "llm",
            "--episodes",
            "2",
            "--max-steps",
            "6",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    summary = json.loads(out.read_text())["results"]["summary"]["llm"]
    assert summary["episodes"] == 2 and 1 <= summary["mean_length"] <= 6


def test_same_config_same_numbers(tmp_path):
    runs = []
    for name in ("a", "b"):
        out = tmp_path / f"{name}.json"
        main(["evaluate", "--agents", "random", "--episodes", "3", "--out", str(out), "--no-progress"])
        runs.append(json.loads(out.read_text())["results"]["episodes"])
    assert runs[0] == runs[1]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["evaluate", "--env", "BabyAI-GoToLokal-v0"], "BabyAI-GoToLocal-v0"),
        (["evaluate", "--agents", "chatgpt"], "unknown agent 'chatgpt'"),
        (["evaluate", "--goal", "go to the pink ball"], "not in"),
    ],
)
def test_bad_input_exits_with_a_clear_message(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--episodes", "1", "--out", str(tmp_path / "x.json"), "--no-progress"])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
