"""`teduo oir CONFIG` end to end: real Craftax, the real MiniLM embedder and the real embedded SmolLM2 relabelling;
both arms train, are evaluated with a random agent, and the report is written; a rerun resumes and redoes nothing."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("craftax")

from teduo_gym.cli import main  # noqa: E402

TINY = {
    "arms": ["relabel", "fixed"],
    "num_envs": 4,
    "rollout_steps": 8,
    "total_env_steps": 64,
    "max_episode_steps": 200,
    "width": 32,
    "relabel_every": 2,
    "relabel_trajectories": 2,
    "describe_every": 2,
    "log_every": 1,
    "checkpoint_every": 1,
    "eval_every": 1,
    "curve_episodes": 1,
    "evaluation": {"episodes": 1, "max_steps": 20, "num_envs": 8},
    "llm": {"batch_size": 2},
}


def test_oir_command_trains_evaluates_and_reports(tmp_path, capsys, teduo_cache):
    path = tmp_path / "oir.json"
    out = tmp_path / "run"
    path.write_text(json.dumps({**TINY, "out": str(out), "llm_cache_dir": str(tmp_path / "answers")}))
    main(["oir", "--config", str(path)])
    assert f"wrote {out / 'summary.json'}" in capsys.readouterr().out
    record = json.loads((out / "summary.json").read_text())
    assert record["config"]["num_envs"] == 4 and "torch" in record["versions"]
    summary = record["results"]
    assert set(summary) == {"relabel/seed-0", "fixed/seed-0", "random", "report", "stages"}
    assert set(summary["stages"]) == {"train relabel/seed-0", "evaluate relabel/seed-0", "train fixed/seed-0",
                                      "evaluate fixed/seed-0", "evaluate random"}  # fmt: skip
    assert not any(stage["cached"] for stage in summary["stages"].values())
    assert summary["relabel/seed-0"]["env_steps"] == summary["fixed/seed-0"]["env_steps"] == 64
    assert summary["relabel/seed-0"]["relabel"]["proposed"] > 0  # the real LLM answered something parseable
    for agent, folder in (("relabel/seed-0", "relabel/seed-0"), ("fixed/seed-0", "fixed/seed-0"), ("random", "random")):
        evaluation = json.loads((out / folder / "evaluation.json").read_text())
        assert {"achievements", "paraphrased", "compositional"} <= set(evaluation["sets"])
        assert len(evaluation["sets"]["achievements"]) == 22
        assert summary[agent]["evaluation"]["sets"]["achievements"]["instructions"] == 22
    for arm in ("relabel", "fixed"):
        rows = (out / arm / "seed-0" / "curve.csv").read_text().splitlines()
        header = rows[0].split(",")
        assert len(rows) == 3 and rows[-1].split(",")[header.index("eval/coverage")] != ""
    report = (out / "report.md").read_text()
    assert "| relabel |" in report and "| random |" in report and "### compositional" in report
    assert (out / "curves.png").stat().st_size > 0 and (out / "achievements.png").stat().st_size > 0

    before = {p: p.stat().st_mtime_ns for p in out.rglob("evaluation.json")}
    main(["oir", "--config", str(path)])  # done: resumes, trains and evaluates nothing again
    assert {p: p.stat().st_mtime_ns for p in out.rglob("evaluation.json")} == before
    again = json.loads((out / "summary.json").read_text())["results"]
    assert again["fixed/seed-0"]["evaluation"] == summary["fixed/seed-0"]["evaluation"]
    assert all(stage["cached"] for stage in again["stages"].values())
    stage = "train fixed/seed-0"
    assert again["stages"][stage]["seconds"] == summary["stages"][stage]["seconds"]
