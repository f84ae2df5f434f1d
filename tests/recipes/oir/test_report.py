"""The OIR report from small synthetic run folders: figures, tables, seeds, relabelling counts, missing arms,
nothing at all."""

from __future__ import annotations

import csv
import json
import math
import re

import pytest

pytest.importorskip("craftax")

from teduo_gym.recipes.oir.evaluate import EvaluationConfig, InstructionResult, results_to_json  # noqa: E402
from teduo_gym.recipes.oir.report import RELABEL_COLUMNS, seed_interval, write_report  # noqa: E402

CONFIG = EvaluationConfig(episodes=4, max_steps=50, coverage_threshold=0.5)


def write_curve(folder, rows) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    columns = ["update", "env_steps", "loss", "success_rate", "eval/success_rate", "eval/coverage"]
    with open(folder / "curve.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        writer.writerows(dict(zip(columns, row)) for row in rows)


def write_evaluation(folder, successes: dict[str, dict[str, int]]) -> None:
    """``successes``: set -> instruction -> successes out of 4 (each instruction requires collect_wood)."""
    results = {
        name: {
            text: InstructionResult(text, ("collect_wood",), 4, k, 10.0 if k else math.nan) for text, k in rows.items()
        }
        for name, rows in successes.items()
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "evaluation.json").write_text(json.dumps(results_to_json(results, CONFIG)))


def table_row(report: str, first_cell: str, after: str) -> list[str]:
    """The cells of the first table row starting with ``first_cell`` after the line ``after``."""
    lines = report.splitlines()
    for line in lines[lines.index(after) :]:
        if line.startswith(f"| {first_cell} |"):
            return [c.strip() for c in line.strip("|").split("|")]
    raise AssertionError(f"no row {first_cell!r} after {after!r}")


def test_report_of_two_arms_and_a_random_agent(tmp_path):
    relabel, fixed = tmp_path / "relabel" / "seed-0", tmp_path / "fixed" / "seed-0"
    write_curve(relabel, [[1, 64, 0.3, 0.1, "", ""], [2, 128, 0.2, 0.25, 0.5, 3], [3, 192, 0.1, "", "", ""]])
    write_curve(fixed, [[1, 64, 0.3, 0.05, "", ""], [2, 128, 0.2, 0.1, "", ""]])
    write_evaluation(relabel, {"achievements": {"collect wood": 4, "eat cow": 1}, "paraphrased": {"chop": 2}})
    write_evaluation(fixed, {"achievements": {"collect wood": 2, "eat cow": 0}, "paraphrased": {"chop": 0}})
    write_evaluation(tmp_path / "random", {"achievements": {"collect wood": 1, "eat cow": 0}})

    path = write_report(tmp_path, ["relabel", "fixed"])
    report = path.read_text()
    assert path == tmp_path / "report.md"
    for image in ("curves.png", "achievements.png"):
        assert (tmp_path / image).read_bytes().startswith(b"\x89PNG")
        assert f"]({image})" in report
    assert "not found" not in report
    # Learning curves: the last measured value of each column (empty cells skipped).
    assert table_row(report, "relabel", "## Learning curves") == ["relabel", "1", "192", "25.0", "50.0", "50.0", "3"]
    assert table_row(report, "fixed", "## Learning curves") == ["fixed", "1", "128", "10.0", "-", "-", "-"]
    # Per set: mean success and coverage at the threshold 0.5.
    # ... and the ratio of mean successes to the fixed arm's, where the fixed arm succeeded at all.
    assert table_row(report, "agent", "### achievements")[-1] == "mean success / fixed's"
    assert table_row(report, "relabel", "### achievements") == ["relabel", "62.5", "1 / 2", "2.50x"]
    assert table_row(report, "fixed", "### achievements") == ["fixed", "25.0", "1 / 2", "1.00x"]
    assert table_row(report, "random", "### achievements") == ["random", "12.5", "0 / 2", "0.50x"]
    assert table_row(report, "fixed", "### paraphrased") == ["fixed", "0.0", "0 / 1"]
    assert table_row(report, "relabel", "### all sets (distinct instructions)") == ["relabel", "2 / 3"]
    assert table_row(report, "instruction", "### Per achievement (success %, mean over seeds)") == [
        "instruction",
        "relabel",
        "fixed",
        "random",
    ]
    assert table_row(report, "eat cow", "### Per achievement (success %, mean over seeds)") == [
        "eat cow",
        "25.0",
        "0.0",
        "0.0",
    ]


def test_missing_arm_files_are_noted(tmp_path):
    write_curve(tmp_path / "fixed" / "seed-0", [[1, 64, 0.3, 0.5, "", ""]])
    (tmp_path / "achievements.png").write_bytes(b"stale")
    report = write_report(tmp_path, ["relabel", "fixed"]).read_text()
    for missing in ("relabel/seed-0/curve.csv", "relabel/seed-0/evaluation.json", "fixed/seed-0/evaluation.json"):
        assert f"{tmp_path / missing}`" in report
    assert "random/evaluation.json" not in report  # the random agent is optional
    assert (tmp_path / "curves.png").is_file() and not (tmp_path / "achievements.png").exists()
    assert "## Evaluation" not in report


def test_nothing_to_report(tmp_path):
    (tmp_path / "fixed").mkdir()
    with pytest.raises(FileNotFoundError, match=rf"{re.escape(str(tmp_path))}.*run `teduo oir CONFIG` first"):
        write_report(tmp_path, ["relabel", "fixed"])


def test_seeds_are_averaged_with_an_interval_and_relabelling_is_counted(tmp_path):
    """Three seeds of one arm: success 40, 50, 60 % -> 50.0 ± 24.8 (95% Student-t, 2 degrees of freedom); over the
    second half of training 30, 37.5, 45 % -> 37.5 ± 18.6."""
    for seed, (rate, kept, replayed) in enumerate([(0.4, 2, 100), (0.5, 4, 200), (0.6, 6, 300)]):
        run = tmp_path / "relabel" / f"seed-{seed}"
        evaluations = [rate / 4, rate / 4, rate / 2, rate]  # second half (steps > 128): 0.75 x rate on average
        write_curve(run, [[k + 1, 64 * (k + 1), 0.3, rate, e, seed] for k, e in enumerate(evaluations)])
        write_evaluation(run, {"achievements": {"collect wood": seed + 1, "eat cow": 0}})
        counts = dict.fromkeys(RELABEL_COLUMNS, 0) | {"proposed": 10, "kept": kept, "checked": 2, "agreed": 1,
                                                      "hindsight_steps": 50}  # fmt: skip
        (run / "summary.json").write_text(json.dumps({"relabel": counts | {"replayed_steps": replayed}}))
    report = write_report(tmp_path, ["relabel"], seeds=[0, 1, 2]).read_text()
    assert table_row(report, "relabel", "## Learning curves") == ["relabel", "3", "256", "50.0 ± 24.8", "50.0 ± 24.8",
                                                                  "37.5 ± 18.6", "1.0 ± 2.5"]  # fmt: skip
    # Mean success per seed 12.5, 25, 37.5 %; coverage (success >= 0.5) 0, 1, 1.
    assert table_row(report, "relabel", "### achievements") == ["relabel", "25.0 ± 31.1", "0.7 ± 1.4 / 2"]
    row = table_row(report, "relabel", "## Relabelling (mean over seeds)")
    header = table_row(report, "arm", "## Relabelling (mean over seeds)")
    cells = dict(zip(header, row))
    assert cells["kept %"] == "40.0 ± 49.7" and cells["agree %"] == "50.0 ± 0.0"
    assert cells["replayed steps"] == "200.0 ± 248.4" and cells["proposed"] == "10.0 ± 0.0"
    assert cells["replays per relabelled step"] == "4.0 ± 5.0"  # 2, 4 and 6 times
    assert "3 seed(s)" in report


def test_seed_interval():
    mean, half = seed_interval([0.4, 0.5, 0.6])
    assert mean == pytest.approx(0.5) and half == pytest.approx(4.303 * 0.1 / 3**0.5, rel=1e-3)
    assert seed_interval([0.7]) == (0.7, 0.0)
