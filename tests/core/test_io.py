from pathlib import Path

import pytest

from teduo_gym.core.io import JsonlLog, atomic_write, write_json


def test_a_failed_write_leaves_neither_file_nor_temporary(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    write_json(target, {"a": 1})

    def fail(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert target.read_text() == '{\n "a": 1\n}'
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_append_after_a_torn_line_starts_a_fresh_line(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    JsonlLog(path).append({"i": 0})
    with open(path, "a") as file:
        file.write('{"i": 1')  # a kill in the middle of a write
    log = JsonlLog(path)  # a new process: appends without reading first
    log.append({"i": 2})
    assert [r["i"] for r in JsonlLog(path).read()] == [0, 2]


def test_reading_a_missing_log_is_empty(tmp_path: Path) -> None:
    assert JsonlLog(tmp_path / "none.jsonl").read() == []
