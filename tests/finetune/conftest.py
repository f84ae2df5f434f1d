"""Tiny fine-tuning data shared by the fine-tuning tests."""

import pytest

from teduo_gym.finetune import ActionExample, write_examples

GOAL = "go to the red ball"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Eight examples that all teach "left"."""
    examples = [ActionExample(GOAL, f"target: {d} forward, 1 left", "left") for d in range(1, 9)]
    return write_examples(tmp_path_factory.mktemp("ft") / "data.jsonl", examples)
