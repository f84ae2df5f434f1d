"""kill -9 in the middle of a long stage, then a rerun: the outputs are byte-identical to an uninterrupted run's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from teduo_gym.cli import main

TEDUO = Path(sys.executable).parent / "teduo"


def _kill_when(args: list[str], ready: Callable[[], bool], timeout: float = 60) -> None:
    """Run ``teduo ARGS`` and SIGKILL it once ``ready()``; skip the test if it finished first."""
    process = subprocess.Popen([str(TEDUO), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while process.poll() is None and not ready() and time.monotonic() < deadline:
        time.sleep(0.02)
    if process.poll() is not None:
        pytest.skip("the command finished before it could be killed")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, less the hidden temporary file of a write a kill cut short
    (atomic_write's, never read)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


@pytest.mark.timeout(120)
def test_collect_killed_then_rerun_is_byte_identical(tmp_path):
    args = ["collect", "--env", "BabyAI-GoToLocal-v0", "--layouts", "8", "--test-layouts", "1",
            "--episodes-per-layout", "5", "--max-steps", "24", "--shard-episodes", "1"]  # fmt: skip
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    _kill_when([*args, "--out", str(killed)], lambda: len(list((killed / "shards").glob("*.npz"))) >= 3)
    assert not (killed / "manifest.json").exists()
    main([*args, "--out", str(killed)])
    main([*args, "--out", str(clean)])
    a, b = _files(killed), _files(clean)
    manifest = [json.loads(files.pop("manifest.json")) for files in (a, b)]
    assert a == b
    for m in manifest:
        m.pop("created", None)
        m["config"].pop("out", None) if "config" in m else m.pop("out", None)
    assert manifest[0] == manifest[1]


@pytest.mark.timeout(120)
def test_evaluate_killed_then_rerun_is_byte_identical(tmp_path, write_json):
    settings = {"layouts": 3, "test_layouts": 3, "goal_kinds": ["go to"], "train_goals": 4, "test_goals": 6}
    config = write_json({**settings, "eval_episodes": 12, "max_steps": 16, "out": str(tmp_path / "run")})
    args = ["evaluate", "--config", str(config), "--agents", "random", "bot", "--n-envs", "1", "--no-progress"]
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    log = killed / "episodes" / "random.jsonl"
    _kill_when([*args, "--out", str(killed)], lambda: log.exists() and log.read_text().count("\n") >= 5)
    main([*args, "--out", str(killed)])
    main([*args, "--out", str(clean)])
    a, b = _files(killed), _files(clean)
    assert a["episodes/random.jsonl"] == b["episodes/random.jsonl"]
    assert a["episodes/bot.jsonl"] == b["episodes/bot.jsonl"]
    assert a["protocol.json"] == b["protocol.json"]
    summary = [json.loads(files["summary.json"])["results"]["evaluation"] for files in (a, b)]
    assert summary[0] == summary[1]


def _slow_judge(path: str, request: dict[str, Any]) -> tuple[int, bytes]:
    """A judge on loopback that takes 0.1 s a judgement (so a shard can be killed) and scores each prompt by its
    length (deterministic)."""
    prompts = request.get("prompt")
    if "Is the goal achieved" in str(prompts):
        time.sleep(0.1)
    choices = []
    for i, prompt in enumerate(prompts if isinstance(prompts, list) else [prompts]):
        value = -0.1 - (len(str(prompt)) % 7) / 2
        if request.get("echo"):  # two tokens: the prompt's, then the candidate's (from its last character)
            offsets = [0, max(0, len(prompt) - 1)]
            logprobs = {"tokens": ["a", "b"], "text_offset": offsets, "token_logprobs": [None, value]}
        else:
            logprobs = {"tokens": [" yes"], "top_logprobs": [{" yes": value, " no": -1.0}]}
        choices.append({"index": i, "text": " yes", "finish_reason": "length", "logprobs": logprobs})
    return 200, json.dumps(
        {"id": "x", "object": "completion", "created": 0, "model": "fake", "choices": choices}
    ).encode()


@pytest.mark.timeout(180)
def test_label_killed_then_rerun_is_byte_identical(tmp_path, tiny_data, fake_openai):
    server = fake_openai(_slow_judge)
    args = ["label", "--dataset", str(tiny_data), "--n-goals", "4", "--goals-per-shard", "1", "--modes", "judge",
            "--threshold", "0.5", "--llm.backend", "openai", "--llm.base-url", server.url, "--no-progress"]  # fmt: skip
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    parts = killed / "labels_judge.parts"
    run = [*args, "--out-dir", str(killed), "--cache-dir", str(tmp_path / "cache-killed")]
    _kill_when(run, lambda: parts.is_dir() and any(p for p in parts.rglob("*") if not p.name.startswith(".")))
    assert not (killed / "labels_judge.npz").exists()
    main(run)
    main([*args, "--out-dir", str(clean), "--cache-dir", str(tmp_path / "cache-clean")])
    a, b = _files(killed), _files(clean)
    assert a["labels_judge.npz"] == b["labels_judge.npz"]
    tables = [json.loads(files["labels_judge.json"]) for files in (a, b)]
    for table in tables:
        table.pop("seconds")  # wall time
        table.pop("llm_calls")  # a resume leaves out the calls of answers cached before the kill (left open)
    assert tables[0] == tables[1]
