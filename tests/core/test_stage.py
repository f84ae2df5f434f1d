"""The stage machinery: skip what is done, redo what failed, stop after ``until``, keep the time of the run that
did the work, and key a stage by the settings it depends on."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from teduo_gym.core.stage import Stage, StageClock, StageRunner, stage_key


class Counter:
    """A stage's work: counts its calls, writes ``path`` (after ``seconds``), or fails before writing."""

    def __init__(self, path: Path, seconds: float = 0.0, fail: bool = False):
        self.path, self.seconds, self.fail, self.calls = path, seconds, fail, 0

    def __call__(self) -> str:
        self.calls += 1
        time.sleep(self.seconds)
        if self.fail:
            raise RuntimeError("interrupted")
        self.path.write_text("done")
        return "written"


def test_a_stage_found_done_is_skipped_and_reported_cached(tmp_path: Path) -> None:
    work = Counter(tmp_path / "a.txt")
    stages = [Stage("a", tmp_path / "a.txt", work)]
    assert StageRunner(tmp_path).run(stages) == {"a": "written"}
    runner = StageRunner(tmp_path)
    assert runner.run(stages) == {}
    assert work.calls == 1
    assert runner.report() == {"a": {"folder": "a.txt", "seconds": pytest.approx(0, abs=0.5), "cached": True}}


def test_a_failed_stage_leaves_no_output_and_reruns(tmp_path: Path) -> None:
    failing = Counter(tmp_path / "a.txt", fail=True)
    runner = StageRunner(tmp_path)
    with pytest.raises(RuntimeError, match="interrupted"):
        runner.run([Stage("a", tmp_path / "a.txt", failing)])
    assert not (tmp_path / "a.txt").exists() and "a" not in runner.report()
    assert not (tmp_path / "stage_times.json").exists()  # no time for work that did not finish
    work = Counter(tmp_path / "a.txt")
    later = Counter(tmp_path / "b.txt")
    ran = StageRunner(tmp_path).run([Stage("a", tmp_path / "a.txt", work), Stage("b", tmp_path / "b.txt", later)])
    assert ran == {"a": "written", "b": "written"} and work.calls == later.calls == 1


def test_until_stops_after_the_named_stage(tmp_path: Path) -> None:
    works = {name: Counter(tmp_path / name) for name in "abc"}
    stages = [Stage(name, tmp_path / name, work) for name, work in works.items()]
    runner = StageRunner(tmp_path)
    assert list(runner.run(stages, until="b")) == ["a", "b"] and runner.stopped
    assert not (tmp_path / "c").exists()
    assert list(runner.run(stages, until="c")) == ["c"] and not runner.stopped  # the last stage: nothing left
    assert list(runner.report()) == ["a", "b", "c"]
    with pytest.raises(ValueError, match=r"until='d': expected one of \['a', 'b', 'c'\]"):
        runner.run(stages, until="d")


def test_the_clock_keeps_the_time_of_the_run_that_did_the_work(tmp_path: Path) -> None:
    slow = Counter(tmp_path / "data", seconds=0.2)
    first = StageRunner(tmp_path)
    first.run([Stage("collect", tmp_path / "data", slow)])
    took = first.report()["collect"]["seconds"]
    assert took >= 0.2 and not first.report()["collect"]["cached"]
    again = StageRunner(tmp_path)
    again.run([Stage("collect", tmp_path / "data", slow)])
    assert again.report()["collect"] == {"folder": "data", "seconds": took, "cached": True}
    assert json.loads((tmp_path / "stage_times.json").read_text()) == {"data": took}


def test_a_marker_or_a_check_says_when_a_stage_is_done(tmp_path: Path) -> None:
    folder = tmp_path / "agent"
    folder.mkdir()  # a folder an interrupted stage left: not done until its last file is there
    work = Counter(folder / "model.json")
    marked = Stage("finetune", folder, work, done=folder / "model.json")
    assert not marked.is_done()
    StageRunner(tmp_path).run([marked])
    assert marked.is_done() and work.calls == 1
    assert Stage("check", folder, work, done=lambda: work.calls > 1).is_done() is False


def test_a_stage_that_resumes_runs_even_when_done_and_keeps_its_first_time(tmp_path: Path) -> None:
    work = Counter(tmp_path / "data", seconds=0.1)
    stage = Stage("collect", tmp_path / "data", work, resumes=True)
    first = StageRunner(tmp_path)
    first.run([stage])
    again = StageRunner(tmp_path)
    assert again.run([stage]) == {"collect": "written"} and work.calls == 2
    assert again.report()["collect"] == {**first.report()["collect"], "cached": True}


def test_the_folder_is_the_output_under_the_runner_folder(tmp_path: Path) -> None:
    runner = StageRunner(tmp_path / "run")
    (tmp_path / "run" / "arm").mkdir()
    runner.run([Stage("evaluate arm", tmp_path / "run" / "arm" / "evaluation.json", lambda: None, done=lambda: True)])
    assert runner.report()["evaluate arm"]["folder"] == "arm/evaluation.json"


@dataclass(frozen=True)
class Settings:
    out: Path = Path("runs/a")
    seed: int = 0
    steps: int = 10
    episodes: int = 5


def test_a_stage_key_changes_with_its_fields_only() -> None:
    key = stage_key(Settings(), "seed", "episodes")
    assert stage_key(Settings(seed=1), "seed", "episodes") != key
    assert stage_key(Settings(episodes=6), "seed", "episodes") != key
    assert stage_key(Settings(steps=11), "seed", "episodes") == key  # not a field of this stage
    assert stage_key(Settings(out=Path("elsewhere")), "out", "seed", "episodes") == stage_key(
        Settings(), "out", "seed", "episodes"
    )  # a moved run keeps its keys


def test_an_unreadable_stage_times_file_is_named_and_forgotten(tmp_path, capsys):
    (tmp_path / "stage_times.json").write_text('{"data-1": 1.5, "lab')  # truncated by a kill
    clock = StageClock(tmp_path)
    assert clock.seconds == {} and "stage_times.json is unreadable" in capsys.readouterr().err
    with clock.stage("collect", "data-2"):
        pass
    assert list(json.loads((tmp_path / "stage_times.json").read_text())) == ["data-2"]
