"""Faults of a dataset's files: a manifest whose transition count was edited is named (not the intact ground truth)."""

from __future__ import annotations

import json
import shutil

import pytest

from teduo_gym.datasets.storage import DatasetError, load_dataset, load_ground_truth
from tests.faults.conftest import assert_one_line


@pytest.fixture
def edited(tiny_data, tmp_path):
    """A copy of the tiny dataset whose manifest counts one transition more."""
    data = shutil.copytree(tiny_data, tmp_path / "data")
    manifest = json.loads((data / "manifest.json").read_text())
    manifest["counts"]["transitions"] += 1
    (data / "manifest.json").write_text(json.dumps(manifest))
    return data


@pytest.mark.parametrize("load", [load_ground_truth, load_dataset], ids=["ground-truth", "dataset"])
def test_an_edited_transition_count_names_the_manifest(edited, load):
    with pytest.raises(
        DatasetError, match=r"manifest.json counts transitions \d+ \(the data hold \d+\).*edited"
    ) as err:
        load(edited)
    assert "ground_truth" not in str(err.value)


def test_an_edited_transition_count_through_teduo_label_is_one_line(teduo, edited, tmp_path):
    outcome = teduo("label", "--dataset", edited, "--n-goals", "2", "--out-dir", tmp_path / "l", "--no-progress")
    line = assert_one_line(outcome, f"{edited / 'manifest.json'} counts transitions", "the manifest was edited")
    assert "ground_truth" not in line
