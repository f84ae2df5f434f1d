"""The OIR report from small synthetic run folders: figures, tables, missing arms, nothing at all."""

from __future__ import annotations

import csv
import json
import math
import re

import pytest

pytest.importorskip("craftax")

from teduo_gym.recipes.oir.evaluate import EvaluationConfig, InstructionResult, results_to_json  # noqa: E402
from teduo_gym.recipes.oir.report import write_report  # noqa: E402

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
    write_curve(
        tmp_path / "relabel", [[1, 64, 0.3, 0.1, "", ""], [2, 128, 0.2, 0.25, 0.5, 3], [3, 192, 0.1, "", "", ""]]
    )
    write_curve(tmp_path / "fixed", [[1, 64, 0.3, 0.05, "", ""], [2, 128, 0.2, 0.1, "", ""]])
    write_evaluation(
        tmp_path / "relabel", {"achievements": {"collect wood": 4, "eat cow": 1}, "paraphrased": {"chop": 2}}
    )
    write_evaluation(
        tmp_path / "fixed", {"achievements": {"collect wood": 2, "eat cow": 0}, "paraphrased": {"chop": 0}}
    )
    write_evaluation(tmp_path / "random", {"achievements": {"collect wood": 1, "eat cow": 0}})

    path = write_report(tmp_path, ["relabel", "fixed"])
    report = path.read_text()
    assert path == tmp_path / "report.md"
    for image in ("curves.png", "achievements.png"):
        assert (tmp_path / image).read_bytes().startswith(b"\x89PNG")
        assert f"]({image})" in report
    assert "not found" not in report
    # Learning curves: the last measured value of each column (empty cells skipped).
    assert table_row(report, "relabel", "## Learning curves") == ["relabel", "192", "25.0", "50.0", "3"]
    assert table_row(report, "fixed", "## Learning curves") == ["fixed", "128", "10.0", "-", "-"]
    # Per set: mean success and coverage at the threshold 0.5.
    assert table_row(report, "relabel", "### achievements") == ["relabel", "62.5", "1 / 2"]
    assert table_row(report, "fixed", "### achievements") == ["fixed", "25.0", "1 / 2"]
    assert table_row(report, "random", "### achievements") == ["random", "12.5", "0 / 2"]
    assert table_row(report, "fixed", "### paraphrased") == ["fixed", "0.0", "0 / 1"]
    assert table_row(report, "relabel", "### all sets (distinct instructions)") == ["relabel", "2 / 3"]
    assert table_row(report, "instruction", "### Per achievement (success %)") == [
        "instruction",
        "relabel",
        "fixed",
        "random",
    ]
    assert table_row(report, "eat cow", "### Per achievement (success %)") == ["eat cow", "25.0", "0.0", "0.0"]


def test_missing_arm_files_are_noted(tmp_path):
    write_curve(tmp_path / "fixed", [[1, 64, 0.3, 0.5, "", ""]])
    (tmp_path / "achievements.png").write_bytes(b"stale")
    report = write_report(tmp_path, ["relabel", "fixed"]).read_text()
    for missing in ("relabel/curve.csv", "relabel/evaluation.json", "fixed/evaluation.json"):
        assert f"{tmp_path / missing}`" in report
    assert "random/evaluation.json" not in report  # the random agent is optional
    assert (tmp_path / "curves.png").is_file() and not (tmp_path / "achievements.png").exists()
    assert "## Evaluation" not in report


def test_nothing_to_report(tmp_path):
    (tmp_path / "fixed").mkdir()
    with pytest.raises(FileNotFoundError, match=rf"{re.escape(str(tmp_path))}.*run `teduo oir CONFIG` first"):
        write_report(tmp_path, ["relabel", "fixed"])
