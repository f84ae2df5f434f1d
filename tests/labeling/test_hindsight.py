import re

import numpy as np
import pytest

from teduo_gym.datasets.storage import load_dataset
from teduo_gym.envs import MissingKnowledgeError, knowledge_for
from teduo_gym.envs.babyai.abstraction import choice_of_goal
from teduo_gym.labeling import (
    FingerprintMismatchError,
    HindsightLabeler,
    LabelConfig,
    LabelTable,
    accuracy_report,
    hindsight,
    label,
)
from teduo_gym.labeling.report import scores_of
from teduo_gym.wrappers import UnknownGoalError
from tests.datasets.conftest import LINE_ENV

GOALS = ["go to the red ball", "pick up a key"]


class Counting:
    """A backend wrapper that counts scored prompts and can fail after some of them."""

    def __init__(self, backend, fail_after: int | None = None):
        self.backend, self.name, self.chat = backend, backend.name, backend.chat
        self.prompts, self.fail_after = 0, fail_after

    def score(self, prompts, candidates):
        if self.fail_after is not None and self.prompts + len(prompts) > self.fail_after:
            raise RuntimeError("backend died")
        self.prompts += len(prompts)
        return self.backend.score(prompts, candidates)


def test_compiled_predicates_equal_the_ground_truth(babyai_data):
    """Every goal of the grammar, with the exact choice: the compiled predicate reproduces minigrid's verifier on
    every transition, its quirks included (it keeps the position of an object picked up, or of a box that vanished
    when opened, until the next drop)."""
    data, truth = babyai_data
    a = knowledge_for(data.env_id).goal_schema(data.state_layout)
    pred = np.stack(
        [a.achieved(a.oracle_choice(g), data.states, data.actions, data.src, data.dst) for g in truth.goals]
    )
    gt = truth.achieved.T.toarray()
    m = scores_of(gt.ravel(), pred.ravel())
    assert m["positives"] > 300 and m["f1"] == 1.0, m
    assert gt[np.array([g.startswith("pick up") for g in truth.goals])].any()


def test_compiled_mode_with_the_embedded_llm(babyai_data, embedded_backend, tmp_path):
    data, truth = babyai_data
    counting = Counting(embedded_backend)
    goals = ["go to the red ball", "pick up a key", "open the blue door", "go to a box"]
    table = HindsightLabeler(counting, "compiled", cache_dir=tmp_path).label(data, goals)
    assert table.choices == [choice_of_goal(g) for g in goals]
    assert counting.prompts == 3 * len(goals) and table.llm_calls.sum() == counting.prompts
    overall = accuracy_report([table], truth, knowledge_for(data.env_id).goal_kind)["overall"][0]
    assert overall["f1"] >= 0.95, overall
    path = table.save(tmp_path / "labels")
    again = LabelTable.load(path, data)
    assert (again.labels != table.labels).nnz == 0 and again.goals == goals and again.mode == "compiled"


def test_judge_labels_are_cached_on_disk(tiny_data, embedded_backend, tmp_path):
    data, truth = tiny_data
    first = Counting(embedded_backend)
    table = HindsightLabeler(first, "judge", cache_dir=tmp_path).label(data, ["pick up a key"])
    distinct = table.settings["per_goal"][0]["texts"]
    # 3 choice questions, the calibration question, then one judgement per distinct next-state text
    assert first.prompts == 3 + 1 + distinct
    assert table.scores is not None and table.scores.shape == (1, len(data))
    second = Counting(embedded_backend)
    again = HindsightLabeler(second, "judge", cache_dir=tmp_path).label(data, ["pick up a key"])
    assert second.prompts == 0
    np.testing.assert_array_equal(again.scores, table.scores)
    report = accuracy_report([table], truth, knowledge_for(data.env_id).goal_kind)["overall"][0]
    assert report["roc_auc"] is not None and report["llm_calls"] == first.prompts


def test_resume_after_a_failure_keeps_finished_goals(tiny_data, embedded_backend, tmp_path):
    data, _ = tiny_data
    goals = ["go to the red ball", "pick up a key"]
    full = Counting(embedded_backend)
    HindsightLabeler(full, "judge", cache_dir=tmp_path / "probe").label(data, goals[:1])
    # the probe's prompts + 3 more choices + the 2nd goal's calibration + 12 of its texts: it dies after 3 chunks
    dying = Counting(embedded_backend, fail_after=full.prompts + 3 + 1 + 12)
    with pytest.raises(RuntimeError, match="backend died"):
        HindsightLabeler(dying, "judge", cache_dir=tmp_path / "run", chunk=4).label(data, goals)
    resumed = Counting(embedded_backend)
    table = HindsightLabeler(resumed, "judge", cache_dir=tmp_path / "run", chunk=4).label(data, goals)
    distinct = table.settings["per_goal"][1]["texts"]
    assert 0 < resumed.prompts == distinct - 12  # the second goal resumes after its 3 saved chunks
    # the table counts the calls its labels took, those of answers read back from the cache included
    assert table.llm_calls.tolist() == [full.prompts, 3 + 1 + distinct]


def test_proxy_respects_its_budget(babyai_data, embedded_backend, tmp_path):
    data, _ = babyai_data
    counting = Counting(embedded_backend)
    table = HindsightLabeler(counting, "proxy", cache_dir=tmp_path, budget=12, seed=1).label(data, GOALS)
    choice_calls = 3 * len(GOALS)
    assert counting.prompts <= choice_calls + 13 * len(GOALS)  # + the calibration question per goal
    assert all(info["llm_labels"] == 12 for info in table.settings["per_goal"])
    assert table.scores is not None and np.isfinite(table.scores.astype(float)).all()
    other_seed = Counting(embedded_backend)
    HindsightLabeler(other_seed, "proxy", cache_dir=tmp_path, budget=12, seed=2).label(data, GOALS)
    assert other_seed.prompts > 0  # another seed samples other states (the cache covers the same ones)


def test_bad_goals_and_mismatched_data_are_clear_errors(babyai_data, embedded_backend, tmp_path):
    data, _ = babyai_data
    labeler = HindsightLabeler(Counting(embedded_backend, fail_after=0), "compiled", cache_dir=tmp_path)
    with pytest.raises(UnknownGoalError, match="Nearest valid goals") as err:
        labeler.label(data, ["go to the red bal"])
    assert "go to the red ball" in err.value.suggestions
    table = LabelTable(["go to a key"], np.zeros((1, len(data)), bool), "not-this-data", "compiled")
    table.save(tmp_path / "t.npz")
    with pytest.raises(FingerprintMismatchError, match="relabel"):
        LabelTable.load(tmp_path / "t.npz", data)
    (tmp_path / "t.npz").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="not a readable"):
        LabelTable.load(tmp_path / "t.npz")


def compiled_report_config(
    tmp_path, goals: str, *, policy: str = "mixture", episodes: int = 3, report: bool = True
) -> tuple[LabelConfig, object]:
    """A small real BabyAI dataset, a goals file holding ``goals`` and a compiled-mode config that reports on them."""
    from teduo_gym.collection.collect import CollectConfig, collect

    data = CollectConfig(
        env="BabyAI-GoToLocal-v0", policy=policy, layouts=2, episodes_per_layout=episodes, out=tmp_path / "data"
    )
    collect(data, False)
    goals_file = tmp_path / "goals.txt"
    goals_file.write_text(goals)
    config = LabelConfig(
        dataset=str(tmp_path / "data"),
        goals_file=str(goals_file),
        modes=("compiled",),
        cache_dir=str(tmp_path / "cache"),
        out_dir=str(tmp_path / "out"),
        report=report,
    )
    return config, goals_file


def test_goals_that_need_an_action_the_data_never_shows_are_refused_before_any_llm_call(tmp_path):
    from teduo_gym.datasets.storage import load_dataset

    # the bot on GoToLocal: no doors
    config, goals = compiled_report_config(
        tmp_path, "go to a key\nopen a door\n", policy="bot", episodes=2, report=False
    )
    assert 5 not in load_dataset(tmp_path / "data").actions  # never toggles: no doors to open
    with pytest.raises(ValueError, match="never shows the action 'toggle', which 1 of the goals need .*'open a door'"):
        label(config)
    assert not (tmp_path / "cache").exists() and not (tmp_path / "out").exists()
    goals.write_text("go to a key\n")  # go-to goals need no special action
    assert label(config)["goals"] == ["go to a key"]


def test_teduo_label_writes_tables_and_the_report(embedded_backend, tmp_path):
    config, goals = compiled_report_config(tmp_path, "go to a key\ngo to the red bal\n")
    with pytest.raises(UnknownGoalError, match="go to the red ball"):
        label(config)
    goals.write_text("go to a key\nopen a door\n")
    out = label(config)
    table = LabelTable.load(out["tables"]["compiled"], load_dataset(tmp_path / "data"))
    assert table.goals == ["go to a key", "open a door"]
    assert {r["kind"] for r in out["report"]["kinds"]} == {"go to", "open"}
    assert (tmp_path / "out" / "report.md").read_text().startswith("# Hindsight labelling accuracy")
    schema = out["report"]["schema"]  # BabyAI's predicate agrees with its detector on every recorded transition
    assert [r["goal"] for r in schema] == ["go to a key", "open a door"]
    assert all(r["predicate_only"] == r["detector_only"] == 0 for r in schema)


def test_a_predicate_that_disagrees_with_the_detector_is_reported_not_fatal(embedded_backend, tmp_path, capsys):
    config, _ = compiled_report_config(tmp_path, "go to a key\n")
    real = hindsight.goal_schema_for

    class Inverted:  # the knowledge's schema with a bug: its predicate fires exactly where the real one does not
        def __init__(self, schema):
            self.schema = schema

        def __getattr__(self, name):
            return getattr(self.schema, name)

        def achieved(self, *args):
            return ~self.schema.achieved(*args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hindsight, "goal_schema_for", lambda *a: Inverted(real(*a)))
        out = label(config)
    (row,) = out["report"]["schema"]
    assert row["predicate_only"] + row["detector_only"] == len(load_dataset(tmp_path / "data"))
    err = capsys.readouterr().err
    assert "disagrees with its ground-truth detector" in err and "'go to a key'" in err
    assert "predicate only" in (tmp_path / "out" / "report.md").read_text()


class CellJudge:
    """A fake LLM that answers yes exactly when the state text names the goal's cell (and no to "N/A")."""

    name, chat = "cell-judge", False

    def __init__(self):
        self.prompts = 0

    def score(self, prompts, candidates):
        self.prompts += len(prompts)
        rows = []
        for p in prompts:
            cell = re.search(r"reach cell (\d)", p)
            yes = cell is not None and f"in cell {cell.group(1)}." in p
            rows.append([0.0, -5.0] if yes else [-5.0, 0.0])
        return np.array(rows)


def test_the_judge_reads_the_stored_texts_of_knowledge_without_a_goal_schema(line_data, tmp_path, monkeypatch):
    judge = CellJudge()
    monkeypatch.setattr(hindsight, "shared_backend", lambda llm: judge)
    config = LabelConfig(
        dataset=str(line_data),
        n_goals=5,
        modes=("judge",),
        cache_dir=str(tmp_path / "c"),
        out_dir=str(tmp_path / "o"),
        report=True,
    )
    result = label(config)
    overall = result["report"]["overall"][0]
    assert overall["f1"] == 1.0 and overall["positives"] > 0 and judge.prompts > 0
    assert [k["kind"] for k in result["report"]["kinds"]] == ["goal"]


def test_modes_that_need_a_goal_schema_fail_before_any_llm_call(line_data, tmp_path, monkeypatch):
    judge = CellJudge()
    monkeypatch.setattr(hindsight, "shared_backend", lambda llm: judge)
    for mode in ("compiled", "proxy"):
        config = LabelConfig(dataset=str(line_data), modes=("judge", mode), out_dir=str(tmp_path / mode))
        with pytest.raises(MissingKnowledgeError, match=f"has no 'goal_schema', which labelling mode '{mode}' needs"):
            label(config)
        data = load_dataset(line_data)
        with pytest.raises(MissingKnowledgeError, match="goal_schema"):
            HindsightLabeler(judge, mode, cache_dir=tmp_path).label(data, ["reach cell 1"])
    assert judge.prompts == 0 and not (tmp_path / "compiled").exists()
    assert knowledge_for(LINE_ENV).provides("goal_schema") is False
