"""Faults of config files: each wrong type, unknown key or unreadable file is one line naming the key, the type
expected and the value given, before any stage runs (`teduo run --config`, read by core.config.read_config)."""

from __future__ import annotations

import pytest

from tests.faults.conftest import assert_one_line

#: (case, settings, words the error line must hold)
WRONG_TYPES = [
    ("llm-a-string", {"llm": "smollm"}, ['"llm"', "LLMConfig", "'smollm'"]),
    ("layouts-a-string", {"layouts": "4"}, ['"layouts"', "an integer", "'4'"]),
    ("batch-size-a-word", {"batch_size": "big"}, ['"batch_size"', "an integer", "'big'"]),
    ("goal-kinds-a-string", {"goal_kinds": "go to"}, ['"goal_kinds"', "a list of strings", "'go to'"]),
    ("goal-kinds-a-number-inside", {"goal_kinds": ["go to", 3]}, ['"goal_kinds[1]"', "a string", "3"]),
    ("method-unknown", {"method": "qlora"}, ['"method"', "'lora', 'full'", "'qlora'"]),
    ("label-mode-unknown", {"label_mode": "magic"}, ['"label_mode"', "'compiled'", "'magic'"]),
    ("examples-unknown", {"examples": "rl"}, ['"examples"', "'rollouts'", "'rl'"]),
    ("llm-backend-unknown", {"llm": {"backend": "gpt"}}, ['"llm.backend"', "'openai'", "'gpt'"]),
    ("llm-chat-a-string", {"llm": {"chat": "yes"}}, ['"llm.chat"', "true or false", "'yes'"]),
    ("llm-unknown-key", {"llm": {"temperature": 0}}, ["['temperature']", '"llm"', "known:"]),
    ("executor-workers-a-string", {"executor": {"workers": "2"}}, ['"executor.workers"', "an integer"]),
    ("executor-a-list", {"executor": ["ray"]}, ['"executor"', "ExecutorConfig"]),
    ("bc-keep-a-string", {"bc_keep": "3"}, ['"bc_keep"', "an integer or null"]),
    ("out-a-number", {"out": 3}, ['"out"', "a path"]),
    ("layouts-a-float", {"layouts": 4.5}, ['"layouts"', "an integer", "4.5"]),
    ("seed-a-bool", {"seed": True}, ['"seed"', "an integer", "true"]),
    ("eval-episodes-null", {"eval_episodes": None}, ['"eval_episodes"', "an integer", "null"]),
    ("template-a-number", {"template": 7}, ['"template"', "a string"]),
    ("llm-timeout-a-string", {"llm": {"backend": "openai", "timeout_s": "30s"}}, ['"llm.timeout_s"', "a number"]),
]


@pytest.mark.parametrize("settings, words", [case[1:] for case in WRONG_TYPES], ids=[c[0] for c in WRONG_TYPES])
def test_a_wrong_type_is_one_line_naming_key_type_and_value(teduo, write_json, tmp_path, settings, words):
    path = write_json({"out": str(tmp_path / "run"), **settings})
    assert_one_line(teduo("run", "--config", path), str(path), *words)
    assert not (tmp_path / "run").exists(), "a stage ran"


def test_an_unknown_key_names_the_known_ones(teduo, write_json):
    assert_one_line(teduo("run", "--config", write_json({"layout": 4})), "unknown settings ['layout']", "'layouts'")


@pytest.mark.parametrize(
    "text, words",
    [("{", ["is not JSON"]), ("[1, 2]", ["expected a JSON object"]), ('"layouts"', ["expected a JSON object"])],
    ids=["truncated", "a-list", "a-string"],
)
def test_a_config_that_is_not_a_json_object(teduo, tmp_path, text, words):
    path = tmp_path / "config.json"
    path.write_text(text)
    assert_one_line(teduo("run", "--config", path), str(path), *words)


def test_a_binary_config_names_the_file(teduo, tmp_path):
    path = tmp_path / "config.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert_one_line(teduo("run", "--config", path), str(path), "not a text file")


def test_a_config_that_is_a_folder(teduo, tmp_path):
    assert_one_line(teduo("run", "--config", tmp_path), str(tmp_path), "is a directory")


def test_a_missing_config(teduo, tmp_path):
    assert_one_line(teduo("run", "--config", tmp_path / "nope.json"), "no config file at", "nope.json")


def test_finetune_command_checks_the_config_too(teduo, write_json):
    assert_one_line(teduo("finetune", "--config", write_json({"method": "qlora"})), '"method"', "'qlora'")


def test_a_right_config_is_read():
    from teduo_gym.core.config import check_value
    from teduo_gym.llm.config import LLMConfig

    assert check_value({"backend": "openai", "base_url": "http://x/v1", "timeout_s": 5}, LLMConfig, "llm") is None
