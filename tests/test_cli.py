"""The `teduo` command end to end: real minigrid, the real embedded LLM, real SB3."""

import json

import pytest

from teduo_gym.cli import main

TINY = {"layouts": 3, "test_layouts": 2, "train_goals": 10, "test_goals": 6, "eval_episodes": 2, "max_steps": 12}


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps({**TINY, "out": str(tmp_path / "run")}))
    return path


def test_evaluate_prints_tables_and_writes_a_folder(config, tmp_path, capsys):
    out = tmp_path / "eval"
    main(["evaluate", "--config", str(config), "--agents", "random", "bot", "--out", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert "### train layouts / train goals" in printed and "| bot | 2 | 100.0" in printed
    assert "| bot / go to |" in printed or "| bot / pick up |" in printed or "| bot / open |" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["results"]["agents"] == {"random": "random", "bot": "bot"}
    assert summary["versions"]["minigrid"] != "missing"


def test_evaluate_the_embedded_llm_agent(config, tmp_path):
    out = tmp_path / "eval"
    main(
        ["evaluate", "--config", str(config), "--agents", "llm", "--episodes", "1", "--out", str(out), "--no-progress"]
    )
    evaluation = json.loads((out / "summary.json").read_text())["results"]["evaluation"]
    assert evaluation and all(1 <= s["llm"]["mean_length"] <= 12 for s in evaluation.values())


def test_sb3_baseline_then_evaluate_then_compare(config, tmp_path, capsys):
    """The issue's loop: train a PPO baseline on the run's protocol, evaluate it beside the bot, report both."""
    base = tmp_path / "ppo"
    main(
        [
            "baseline",
            "sb3",
            "--config",
            str(config),
            "--algo",
            "ppo",
            "--steps",
            "512",
            "--n-envs",
            "2",
            "--out",
            str(base),
            "--no-progress",
        ]
    )
    assert (base / "model.zip").is_file() and (base / "learning_curve.csv").is_file()
    out = tmp_path / "eval"
    main(
        [
            "evaluate",
            "--config",
            str(config),
            "--agents",
            f"ppo={base / 'model.zip'}",
            "bot",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert "| ppo | 2 |" in capsys.readouterr().out
    report = tmp_path / "report"
    main(["compare", "--evaluations", str(out), "--baselines", str(base), "--out", str(report)])
    text = (report / "report.md").read_text()
    assert "ppo" in text and "published (TEDUO" in text
    assert {"success_by_setting.png", "sb3_learning_curves.png"} <= {p.name for p in report.iterdir()}


def test_balrog_tasks_beside_the_leaderboard(tmp_path, capsys):
    out = tmp_path / "balrog.json"
    main(
        [
            "balrog",
            "--agents",
            "bot",
            "random",
            "--episodes",
            "2",
            "--tasks",
            "goto",
            "open",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    printed = capsys.readouterr().out
    assert "GPT-4o, published (BALROG)" in printed
    record = json.loads(out.read_text())["results"]
    assert record["bot"]["progression"] == 100.0 and set(record["bot"]["tasks"]) == {"goto", "open"}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["evaluate", "--agents", "chatgpt", "--no-progress"], "named agents: llm"),
        (["evaluate", "--executor.workers", "0", "--no-progress"], "workers must be at least 1"),
        (["evaluate", "--executor.address", "127.0.0.1:9", "--no-progress"], "is for kind 'ray'"),
        (["evaluate", "--executor.kind", "ray", "--executor.address", "127.0.0.1:9"], "cannot reach the Ray cluster"),
        (["balrog", "--agents", "chatgpt", "--no-progress"], "unknown agent 'chatgpt'"),
        (["balrog", "--tasks", "fly", "--no-progress"], "goto"),
        (["compare", "--evaluations", "nowhere"], "nowhere"),
    ],
)
def test_bad_input_exits_with_a_clear_message(argv, message, capsys, config):
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, *(["--config", str(config)] if argv[0] == "evaluate" else [])])
    assert exit_info.value.code == 2
    assert message in " ".join(capsys.readouterr().err.replace("│", " ").split())  # tyro wraps its own in a box


def test_an_unknown_level_in_the_config_is_named(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**TINY, "env": "BabyAI-GoToLokal-v0", "out": str(tmp_path / "run")}))
    with pytest.raises(SystemExit):
        main(["evaluate", "--config", str(path), "--agents", "random", "--no-progress"])
    assert "BabyAI-GoToLocal-v0" in capsys.readouterr().err


def test_run_until_examples_then_finetune_alone(tmp_path, capsys):
    """The path to fine-tuning on GPUs: stop after the examples, fine-tune as its own command (what `accelerate
    launch -m teduo_gym.cli finetune` runs), then `teduo run` finds the agent and goes on."""
    from teduo_gym.recipes.teduo import RunConfig, StagePaths

    path = tmp_path / "run.json"
    path.write_text(json.dumps({**TINY, "out": str(tmp_path / "run"), "finetune_steps": 1, "batch_size": 2}))
    paths = StagePaths.of(RunConfig.from_file(path))
    with pytest.raises(SystemExit) as exit_info:  # no examples yet: named, with the fix
        main(["finetune", "--config", str(path)])
    assert exit_info.value.code == 2 and str(paths.examples) in capsys.readouterr().err
    main(["run", "--config", str(path), "--until", "examples"])
    assert paths.examples.is_file() and not paths.agent.exists()
    main(["finetune", "--config", str(path)])
    assert f"wrote {paths.agent}" in capsys.readouterr().out
    assert json.loads((paths.agent / "finetune.json").read_text())["results"]["processes"] == 1
