import json

import numpy as np
import pytest
import scipy.sparse as sp

from teduo_gym.datasets import GroundTruth
from teduo_gym.envs import knowledge_for
from teduo_gym.labeling import FingerprintMismatchError, LabelTable, accuracy_report, choose_threshold, write_report

GOALS = ["go to a key", "pick up the red ball", "open a door"]


def tiny_case():
    # ground truth over 6 transitions for the whole (tiny) vocabulary; the table labels two of its goals
    achieved = np.zeros((6, 3), bool)
    achieved[[0, 1, 2], 0] = True  # go to a key: t0, t1, t2
    achieved[[4], 1] = True  # pick up the red ball: t4
    truth = GroundTruth(GOALS, sp.csr_matrix(achieved), "fp")
    labels = np.zeros((2, 6), bool)
    labels[0, [0, 1, 3]] = True  # tp 2, fp 1, fn 1
    labels[1, [4, 5]] = True  # tp 1, fp 1, fn 0
    scores = np.array([[0.9, 0.8, 0.1, 0.7, 0.2, 0.3], [0.1, 0.2, 0.3, 0.4, 0.9, 0.6]], np.float16)
    table = LabelTable(
        ["reach a key", "grab the crimson orb"],
        sp.csr_matrix(labels),
        "fp",
        "judge",
        "m",
        llm_calls=np.array([10, 20]),
        seconds=np.array([1.0, 2.0]),
        scores=scores,
        canonical=["go to a key", "pick up the red ball"],
    )
    return table, truth


def test_report_matches_a_hand_computation(tmp_path):
    table, truth = tiny_case()
    report = accuracy_report([table], truth, knowledge_for("BabyAI-GoToLocal-v0").goal_kind)
    goto, pickup = report["goals"]
    assert (goto["tp"], goto["fp"], goto["fn"]) == (2, 1, 1)
    assert goto["precision"] == pytest.approx(2 / 3) and goto["recall"] == pytest.approx(2 / 3)
    assert goto["f1"] == pytest.approx(2 / 3) and goto["kind"] == "go to"
    # go to a key: positives score .9 .8 .1, negatives .7 .2 .3 -> 6 of 9 pairs ordered right (+0 ties)
    assert goto["roc_auc"] == pytest.approx(6 / 9)
    assert pickup["precision"] == 0.5 and pickup["recall"] == 1.0 and pickup["f1"] == pytest.approx(2 / 3)
    assert pickup["roc_auc"] == 1.0 and pickup["llm_calls"] == 20
    overall = report["overall"][0]
    assert (overall["tp"], overall["fp"], overall["fn"]) == (3, 2, 1)
    assert overall["f1"] == pytest.approx(6 / 9) and overall["llm_calls"] == 30 and overall["seconds"] == 3.0
    assert [k["kind"] for k in report["kinds"]] == ["go to", "pick up"]
    md = write_report(report, tmp_path)
    assert "| judge | m | go to | 1 | 3 | 0.667 | 0.667 | 0.667 | 0.667 | 10 | 1.000 |" in md.read_text()
    assert json.loads((tmp_path / "report.json").read_text()) == report


def test_report_refuses_labels_of_other_data():
    table, truth = tiny_case()
    truth.fingerprint = "other"
    with pytest.raises(FingerprintMismatchError):
        accuracy_report([table], truth, knowledge_for("BabyAI-GoToLocal-v0").goal_kind)


def test_threshold_reaches_the_precision_target_or_the_best_f1():
    scores = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.1])
    labels = np.array([1, 1, 0, 1, 0, 0], bool)
    assert choose_threshold(scores, labels, 0.95) == 0.9  # above .9 precision is 1; at .7 it is 3/4
    assert choose_threshold(scores, labels, 0.75) == 0.7
    assert choose_threshold(scores, np.zeros(6, bool), 0.95) == float("inf")
