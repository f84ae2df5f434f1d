"""kill -9 in the middle of a long stage (collect, label, evaluate, a fine-tune, `teduo run`), then a rerun: the
outputs are byte-identical to an uninterrupted run's, and so are the costs it reports (a label table's LLM calls, a
fine-tune's loss)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from teduo_gym.cli import main
from teduo_gym.finetune import ActionExample, FinetuneConfig, finetune, write_examples

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
    assert tables[0] == tables[1]  # llm_calls included: those of the answers cached before the kill are counted


def _prompts(server: Any, judge: bool) -> int:
    """The prompts ``server`` was sent: the judge's (``judge``), or those that read goals into choices."""
    prompts = [p for _, request in server.requests for p in _as_list(request.get("prompt"))]
    return sum(("Is the goal achieved" in str(p)) == judge for p in prompts)


def _as_list(prompt: Any) -> list[Any]:
    return prompt if isinstance(prompt, list) else [prompt]


@pytest.mark.timeout(120)
def test_a_resumed_label_counts_the_calls_of_answers_from_the_cache(tmp_path, tiny_data, fake_openai):
    """A rerun whose choices and judgements all come from the cache, as a resume's after a kill: each table reports
    the calls of the whole run (those the first run asked), not 0."""
    server = fake_openai(_slow_judge)
    args = ["label", "--dataset", str(tiny_data), "--n-goals", "4", "--modes", "compiled", "judge",
            "--llm.backend", "openai", "--llm.base-url", server.url, "--cache-dir", str(tmp_path / "cache"),
            "--no-progress"]  # fmt: skip
    main([*args, "--out-dir", str(tmp_path / "first")])
    reading, judging = _prompts(server, judge=False), _prompts(server, judge=True)
    main([*args, "--out-dir", str(tmp_path / "resumed")])
    assert (_prompts(server, judge=False), _prompts(server, judge=True)) == (reading, judging)  # nothing asked
    calls = {
        (out, mode): json.loads((tmp_path / out / f"labels_{mode}.json").read_text())["llm_calls"]
        for out in ("first", "resumed")
        for mode in ("compiled", "judge")
    }
    for mode in ("compiled", "judge"):
        assert calls["resumed", mode] == calls["first", mode]
    # each table counts the goals' reading (asked once, by the first mode), the judge's also its judgements (one
    # prompt each; a reading question is one prompt per option on this server, so its prompts are not counted here)
    assert sum(calls["first", "compiled"]) > 0
    assert sum(calls["first", "judge"]) - sum(calls["first", "compiled"]) == judging > 0


_FINETUNE = {"env": "BabyAI-GoToLocal-v0", "batch_size": 2, "max_steps": 2, "save_steps": 1, "max_length": 64}


def _finetune(data: Path, out: Path) -> dict[str, Any]:
    """Fine-tune 2 steps (a checkpoint after each) on ``data`` into ``out`` (or resume there); its record's results."""
    finetune(FinetuneConfig(data, out, progress=False, **_FINETUNE))  # type: ignore[arg-type]
    return json.loads((out / "finetune.json").read_text())["results"]


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """Tiny examples, and an uninterrupted fine-tune on them: the examples, its folder, its record's results."""
    folder = tmp_path_factory.mktemp("finetune")
    examples = [ActionExample("go to the red ball", f"target: {d} forward, 1 left", "left") for d in range(1, 9)]
    data = write_examples(folder / "examples.jsonl", examples)
    return data, folder / "clean", _finetune(data, folder / "clean")


def _adapter(out: Path) -> bytes:
    return (out / "adapter_model.safetensors").read_bytes()


@pytest.mark.timeout(300)
def test_a_resumed_fine_tune_reports_the_loss_of_every_step(finetuned, tmp_path):
    """A fine-tune that lost its last checkpoint (killed before writing it) resumes from the one before: its
    ``train_loss`` is the mean over all its steps, as an uninterrupted run's, not that of the steps after the
    resume."""
    data, clean_out, clean = finetuned
    killed = tmp_path / "killed"
    assert _finetune(data, killed)["train_loss"] == clean["train_loss"]  # deterministic at a thread count
    shutil.rmtree(killed / "checkpoints" / "checkpoint-2")
    resumed = _finetune(data, killed)
    assert resumed["resumed_from"].endswith("checkpoint-1")
    steps = [h["loss"] for h in clean["loss_history"]]
    assert len(steps) == 2 and resumed["train_loss"] != pytest.approx(steps[-1])  # not the last step's alone
    assert resumed["train_loss"] == pytest.approx(clean["train_loss"]) == pytest.approx(sum(steps) / 2)
    assert _adapter(killed) == _adapter(clean_out)


@pytest.mark.timeout(300)
def test_a_fine_tune_killed_while_writing_a_checkpoint_resumes_from_the_one_before(finetuned, tmp_path):
    """Trainer writes a checkpoint's ``trainer_state.json`` last: a kill before it leaves a checkpoint without one.
    The rerun passes over it with a warning naming it and resumes from the checkpoint before, to the same agent and
    loss as an uninterrupted run."""
    data, clean_out, clean = finetuned
    killed = tmp_path / "killed"
    _finetune(data, killed)
    (killed / "checkpoints" / "checkpoint-2" / "trainer_state.json").unlink()
    with pytest.warns(UserWarning, match="checkpoint-2 is incomplete"):
        resumed = _finetune(data, killed)
    assert resumed["resumed_from"].endswith("checkpoint-1")
    assert resumed["train_loss"] == pytest.approx(clean["train_loss"])
    assert _adapter(killed) == _adapter(clean_out)


#: ``teduo run`` at its tiniest: a fine-tune of 2 steps (a checkpoint after each), one evaluation episode a setting.
_RUN = {"env": "BabyAI-GoToLocal-v0", "policy": "bot", "layouts": 3, "test_layouts": 2, "episodes_per_layout": 4,
        "max_steps": 8, "goal_kinds": ["go to"], "train_goals": 4, "test_goals": 6, "finetune_steps": 2,
        "batch_size": 2, "eval_episodes": 1}  # fmt: skip
#: What holds wall times (or says whether a stage was resumed): compared less those.
_TIMES = ("seconds", "created", "tokens_per_second", "resumed_from", "cached")


def _less_times(value: Any) -> Any:
    """A JSON value less its wall times, at any depth."""
    if isinstance(value, dict):
        return {k: _less_times(v) for k, v in value.items() if k not in _TIMES}
    if isinstance(value, list):
        return [_less_times(v) for v in value]
    return value


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_run_killed_while_fine_tuning_then_rerun_is_byte_identical(tmp_path, write_json):
    """`teduo run` killed (-9) in its longest stage, fine-tuning, once its first checkpoint is written: the rerun
    skips the finished stages, resumes the fine-tune and gives the files of an uninterrupted run, byte for byte
    (wall times aside), its fine-tune's ``train_loss`` included. Both run at the same path (paths are recorded) and
    thread count (fine-tuning is deterministic at a fixed one)."""
    out = tmp_path / "run"
    config = write_json({**_RUN, "out": str(out)})
    env = {**os.environ, "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
    args = [str(TEDUO), "run", "--config", str(config)]
    clean_run = subprocess.run(args, env=env, capture_output=True, text=True)
    assert clean_run.returncode == 0, clean_run.stderr[-3000:]
    out.rename(tmp_path / "clean")
    checkpoint = "agent-*/checkpoints/checkpoint-1/trainer_state.json"
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while process.poll() is None and not any(out.glob(checkpoint)) and time.monotonic() < deadline:
        time.sleep(0.05)
    if process.poll() is not None:
        pytest.skip("the run finished before it could be killed")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not list(out.glob("results-*.json")) and not list(out.glob("agent-*/finetune.json"))
    rerun = subprocess.run(args, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    killed, clean = _files(out), _files(tmp_path / "clean")
    assert sorted(killed) == sorted(clean)
    differ = sorted(name for name in killed if killed[name] != clean[name])
    for name in differ:  # the files that hold wall times
        assert name.endswith(".json"), name
        if Path(name).name in ("stage_times.json", "seconds.json"):  # nothing but wall times: the same entries
            assert json.loads(killed[name]).keys() == json.loads(clean[name]).keys(), name
        else:
            assert _less_times(json.loads(killed[name])) == _less_times(json.loads(clean[name])), name
    record = json.loads(next(v for k, v in killed.items() if k.endswith("/finetune.json")))["results"]
    assert record["resumed_from"].endswith("checkpoint-1")
