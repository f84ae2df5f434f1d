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
