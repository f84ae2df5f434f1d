"""``python -m teduo_gym.finetune``: its flags, and DDP over two CPU processes under ``accelerate launch``."""

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from teduo_gym.agents import LLMAgent
from teduo_gym.finetune import read_examples
from teduo_gym.finetune.__main__ import main

TINY = ["--env", "BabyAI-GoToLocal-v0", "--max-steps", "4", "--save-steps", "2", "--max-length", "64", "--no-progress"]


def test_help_lists_the_config_flags(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    usage = capsys.readouterr().out
    assert "python -m teduo_gym.finetune" in usage and "--batch-size" in usage and "--data" in usage


def launch(command: list[str], data: Path, out: Path, batch_size: int) -> tuple[str, float]:
    """Run a fine-tuning command line on ``data``; its output and wall time."""
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "--data", str(data), "--out", str(out), "--batch-size", str(batch_size), *TINY],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, time.perf_counter() - start


@pytest.mark.slow
def test_two_processes_train_the_one_process_batch_and_save_one_agent(data, tmp_path):
    one, one_seconds = launch([sys.executable, "-m", "teduo_gym.finetune"], data, tmp_path / "one", batch_size=2)
    with socket.socket() as sock:  # a free rendezvous port, so parallel runs do not collide
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    accelerate = Path(sys.executable).parent / "accelerate"
    # --multi_gpu starts one process per device, and on a machine without GPUs each trains on the CPU over gloo
    # (accelerate's --cpu would start a single process unless given an MPI hostfile).
    flags = ["--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no"]
    two, two_seconds = launch(
        [str(accelerate), "launch", *flags, "--dynamo_backend", "no", "--main_process_port", str(port)]
        + ["-m", "teduo_gym.finetune"],
        data,
        tmp_path / "two",
        batch_size=1,
    )
    print(f"wall time: 1 process {one_seconds:.1f} s, 2 processes {two_seconds:.1f} s")
    assert one.count("wrote ") == 1 and two.count("wrote ") == 1
    records = {n: json.loads((tmp_path / n / "finetune.json").read_text())["results"] for n in ("one", "two")}
    assert records["two"]["processes"] == 2 and records["two"]["examples_per_step"] == 2
    # Same seed, same data order, same examples per step: the same losses.
    losses = {n: [h["loss"] for h in r["loss_history"]] for n, r in records.items()}
    assert losses["two"] == pytest.approx(losses["one"], rel=1e-3)
    example = read_examples(data)[0]
    agent = LLMAgent.from_pretrained(tmp_path / "two")
    assert agent.config.action_words[agent.act([example.goal], [example.state])[0]] == "left"
