"""Faults of `teduo label` and label tables: empty, commented-out, zero or repeated goals, a proxy budget of 0 or a
precision above 1, a goal longer than the model's context, truncated or out-of-range label tables."""

from __future__ import annotations

import json

import numpy as np
import pytest

from teduo_gym.labeling.proxy import ProxyConfig
from teduo_gym.labeling.table import LabelTable
from tests.faults.conftest import assert_one_line


@pytest.fixture
def label(teduo, tiny_data, tmp_path):
    """``teduo label`` on the tiny dataset, writing under ``tmp_path/labels``."""

    def run(*args: str):
        return teduo("label", "--dataset", tiny_data, "--out-dir", tmp_path / "labels", "--no-progress", *args)

    return run


@pytest.mark.parametrize(
    "text", ["", "# only\n# comments\n", "\n\n   \n"], ids=["empty-file", "comments-only", "blank-lines"]
)
def test_a_goals_file_without_goals_is_one_line(label, tmp_path, text):
    goals = tmp_path / "goals.txt"
    goals.write_text(text)
    assert_one_line(label("--goals-file", goals, "--modes", "compiled"), str(goals), "lists no goals")
    assert not (tmp_path / "labels" / "labels_compiled.npz").exists()


def test_zero_goals_is_one_line(label, tmp_path):
    assert_one_line(label("--n-goals", "0", "--modes", "compiled"), "--n-goals 0")
    assert not (tmp_path / "labels").exists()


def test_a_repeated_goal_is_one_line(label, tmp_path):
    goals = tmp_path / "goals.txt"
    goals.write_text("go to the red ball\ngo to the red ball\ngo to the red ball\n")
    assert_one_line(label("--goals-file", goals, "--modes", "compiled"), "'go to the red ball'", "more than once")


def test_a_proxy_budget_of_zero_is_one_line_before_the_model_loads(label):
    assert_one_line(label("--n-goals", "2", "--modes", "proxy", "--precision", "2", "--budget", "0"), "--precision",
                    "(0, 1]")  # fmt: skip
    assert_one_line(label("--n-goals", "2", "--modes", "proxy", "--budget", "0"), "--budget 0")


@pytest.mark.parametrize("precision", [0.0, 1.5, -1.0])
def test_a_precision_outside_0_1_is_refused(precision):
    with pytest.raises(ValueError, match="precision must be in"):
        ProxyConfig(precision=precision)


def test_a_holdout_of_everything_is_refused():
    with pytest.raises(ValueError, match="holdout"):
        ProxyConfig(holdout=1.0)


def test_a_goal_outside_the_grammar_is_one_line(label, tmp_path):
    goals = tmp_path / "goals.txt"
    goals.write_text("fly to the moon\n")
    assert_one_line(label("--goals-file", goals, "--modes", "compiled"), "fly to the moon")


def test_a_goals_file_that_is_missing_is_one_line(label, tmp_path):
    assert_one_line(label("--goals-file", tmp_path / "nope.txt", "--modes", "compiled"), "nope.txt")


def test_a_dataset_that_is_missing_is_one_line(teduo, tmp_path):
    outcome = teduo("label", "--dataset", tmp_path / "nodata", "--out-dir", tmp_path / "l", "--no-progress")
    assert_one_line(outcome, "nodata", "teduo collect")


def test_a_goal_longer_than_the_context_is_one_line(label, tmp_path):
    """A 60 KB goal text (with a canonical goal): reading it into the goal schema's slots would overflow SmolLM2's
    context and choose nonsense; instead one line names the limit."""
    goals = tmp_path / "goals.txt"
    goals.write_text("go to the red ball " * 3200 + "\tgo to the red ball\n")
    assert_one_line(label("--goals-file", goals, "--modes", "compiled"), "longer than the context", "8192")
    assert not (tmp_path / "labels" / "labels_compiled.npz").exists()


@pytest.fixture
def table(tmp_path):
    """A saved 2-goal x 5-transition label table."""
    import scipy.sparse as sp

    labels = sp.csr_matrix(np.array([[1, 0, 0, 1, 0], [0, 0, 1, 0, 0]], bool))
    path = LabelTable(["go to a key", "go to a ball"], labels, "fp", "compiled", scores=None).save(tmp_path / "t.npz")
    return path


def test_a_truncated_label_table_names_the_file_and_the_fix(table):
    table.write_bytes(table.read_bytes()[: len(table.read_bytes()) // 2])
    with pytest.raises(ValueError, match="t.npz is not a readable.*delete t.npz and t.json"):
        LabelTable.load(table)


def test_a_label_table_with_out_of_range_indices_is_refused(table):
    meta = json.loads(table.with_suffix(".json").read_text())
    meta["n_transitions"] = 3  # the table labels transition 3, beyond 3 transitions
    table.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="outside"):
        LabelTable.load(table)


def test_a_label_table_with_broken_row_pointers_is_refused(table):
    with np.load(table) as arrays:
        saved = dict(arrays)
    saved["indptr"] = saved["indptr"][:-1]
    np.savez_compressed(table, **saved)
    with pytest.raises(ValueError, match="row pointers"):
        LabelTable.load(table)


def test_a_truncated_table_sidecar_names_the_file(table):
    table.with_suffix(".json").write_text("{")
    with pytest.raises(ValueError, match="t.npz is not a readable"):
        LabelTable.load(table)


def test_a_table_without_its_sidecar_names_it(table):
    table.with_suffix(".json").unlink()
    with pytest.raises(FileNotFoundError, match="t.json is missing"):
        LabelTable.load(table)
