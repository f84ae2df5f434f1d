"""Faults of fine-tuning settings: an unknown method, zero steps, a zero batch or learning rate (each once ran, and
recorded, something else than asked)."""

from __future__ import annotations

from pathlib import Path

import pytest

from teduo_gym.finetune import FinetuneConfig
from tests.faults.conftest import assert_one_line


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"method": "qlora"}, "method 'qlora' is unknown"),
        ({"max_steps": 0}, "max_steps must be at least 1"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"lora_r": 0}, "lora_r must be at least 1"),
        ({"learning_rate": 0.0}, "learning_rate must be positive"),
        ({"save_steps": 0}, "save_steps must be at least 1"),
    ],
    ids=["method-qlora", "zero-steps", "zero-batch", "zero-rank", "zero-learning-rate", "zero-save-steps"],
)
def test_a_setting_that_would_train_something_else_is_refused(settings, words):
    with pytest.raises(ValueError, match=words):
        FinetuneConfig(data=Path("examples.jsonl"), **settings)


def test_zero_finetune_steps_in_a_run_config_is_one_line(teduo, write_json, tmp_path):
    outcome = teduo("finetune", "--config", write_json({"finetune_steps": 0, "out": str(tmp_path / "run")}))
    assert_one_line(outcome, "max_steps must be at least 1, got 0")
