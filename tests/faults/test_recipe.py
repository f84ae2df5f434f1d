"""Faults of `teduo run`: a setting a later stage refuses (zero evaluation episodes, fine-tuning steps or batch, an
unknown method or label mode, goals feasible in no layout) fails before any stage runs, and a truncated label table
is labelled again instead of counting as a finished stage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from teduo_gym.core.stage import Stage
from teduo_gym.labeling.table import LabelTable
from teduo_gym.recipes.teduo import RunConfig, StagePaths, _state_stages
from tests.faults.conftest import assert_one_line

TINY = {"layouts": 2, "test_layouts": 1, "episodes_per_layout": 2, "max_steps": 8, "goal_kinds": ["go to"],
        "train_goals": 2, "test_goals": 2, "eval_episodes": 2}  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"eval_episodes": 0}, ["eval_episodes=0 evaluates nothing"]),
        ({"batch_size": 0}, ["batch_size must be at least 1, got 0"]),
        ({"finetune_steps": 0}, ["max_steps must be at least 1, got 0"]),
        ({"goal_kinds": ["open"]}, ["feasible in any of the", "choose goal kinds"]),
    ],
    ids=["zero-eval-episodes", "zero-batch", "zero-finetune-steps", "goals-feasible-nowhere"],
)
def test_a_setting_a_later_stage_refuses_fails_before_any_work(teduo, write_json, tmp_path, settings, words):
    out = tmp_path / "run"
    assert_one_line(teduo("run", "--config", write_json({**TINY, **settings, "out": str(out)})), *words)
    assert not out.exists() or not any(out.iterdir()), sorted(out.rglob("*"))


@pytest.mark.parametrize(
    ("settings", "words"),
    [({"method": "qlora"}, "method='qlora': expected one of"), ({"label_mode": "exact"}, "label_mode='exact'")],
    ids=["method", "label-mode"],
)
def test_an_unknown_method_or_label_mode_is_refused_in_python_too(settings, words):
    with pytest.raises(ValueError, match=words):
        RunConfig(**settings)


def _label_stage(tmp_path: Path) -> tuple[Stage, Path]:
    config = RunConfig(**{**TINY, "goal_kinds": ("go to",)}, out=tmp_path / "run")  # type: ignore[arg-type]
    stage = next(s for s in _state_stages(config, progress=False) if s.name == "label")
    return stage, StagePaths.of(config).labels


def test_a_truncated_label_table_is_labelled_again(tmp_path, capsys):
    stage, path = _label_stage(tmp_path)
    path.parent.mkdir(parents=True)
    labels = sp.csr_matrix(np.array([[1, 0, 1]], bool))
    LabelTable(["go to a key"], labels, "fp", "compiled", scores=None).save(path)
    assert stage.is_done()
    path.write_bytes(path.read_bytes()[:40])
    assert not stage.is_done()
    assert f"the label table {path} is truncated or corrupt" in capsys.readouterr().err
    path.with_suffix(".json").unlink()
    assert not stage.is_done()
