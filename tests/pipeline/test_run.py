"""`teduo run` end to end on a tiny config: real minigrid, the real embedded LLM, real fine-tuning."""

import json

from teduo_gym.cli import main
from teduo_gym.pipeline import RunConfig, run

TINY = {
    "env": "BabyAI-GoToLocal-v0",
    "policy": "bot",
    "layouts": 3,
    "test_layouts": 2,
    "episodes_per_layout": 4,
    "max_steps": 16,
    "train_goals": 4,
    "test_goals": 2,
    "finetune_steps": 2,
    "batch_size": 4,
    "eval_episodes": 2,
}


def test_every_stage_runs_then_reruns_from_cache(tmp_path, capsys):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps({**TINY, "out": str(tmp_path / "run")}))
    main(["run", "--config", str(path)])
    printed = capsys.readouterr().out
    assert "### train layouts / train goals" in printed and "| fine-tuned |" in printed
    folders = sorted(p.name.split("-")[0] for p in (tmp_path / "run").iterdir())
    assert {"data", "labels", "examples", "agent", "results"} <= set(folders)
    agent = next((tmp_path / "run").glob("agent-*"))
    written = (agent / "teduo_agent.json").stat().st_mtime_ns
    # a rerun skips every finished stage; a new evaluation budget reruns the evaluation only
    results = run(RunConfig.from_file(path), progress=False)
    assert (agent / "teduo_agent.json").stat().st_mtime_ns == written
    run(RunConfig(**{**RunConfig.from_file(path).__dict__, "eval_episodes": 3}), progress=False)
    assert len(list((tmp_path / "run").glob("results-*.json"))) == 2
    assert len(list((tmp_path / "run").glob("agent-*"))) == 1
    assert all(s["episodes"] == 2 for setting in results.values() for s in setting.values())


def test_a_config_with_unknown_settings_is_named(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"layots": 3}))
    try:
        main(["run", "--config", str(path)])
    except SystemExit as exit_info:
        assert exit_info.code == 2
    assert "unknown settings ['layots']" in capsys.readouterr().err
