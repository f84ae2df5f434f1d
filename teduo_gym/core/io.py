"""Files written whole or not at all, and append-only JSON-lines logs that survive a kill.

- :func:`atomic_write` -- ``write(tmp_path)`` then one ``os.replace``: a crash never leaves half a file.
- :func:`write_json` / :func:`write_text` -- the common cases of it.
- :class:`JsonlLog` -- one JSON object per line, appended and synced; a line torn by a killed process is dropped
  (and cut from the file) when the log is read.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["JsonlLog", "atomic_write", "write_json", "write_text"]


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it into place (one ``os.replace``).

    The temporary file keeps ``path``'s suffix, so writers that choose a format by suffix (``np.savez``) work.

    Example:
        >>> import tempfile
        >>> p = atomic_write(Path(tempfile.mkdtemp()) / "a" / "x.txt", lambda tmp: tmp.write_text("hi"))
        >>> p.read_text()
        'hi'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically.

    Example:
        >>> import tempfile
        >>> write_text(Path(tempfile.mkdtemp()) / "t.txt", "x").read_text()
        'x'
    """
    return atomic_write(path, lambda tmp: tmp.write_text(text))


def write_json(path: str | Path, value: Any, *, indent: int | None = 1, **dumps: Any) -> Path:
    """Write ``value`` as JSON atomically (``dumps`` go to :func:`json.dumps`, e.g. ``allow_nan=False``).

    Example:
        >>> import tempfile
        >>> json.loads(write_json(Path(tempfile.mkdtemp()) / "v.json", {"a": 1}).read_text())
        {'a': 1}
    """
    text = json.dumps(value, indent=indent, **dumps)
    return write_text(path, text)


class JsonlLog:
    """An append-only log of JSON objects, one per line, each appended with one ``write`` and synced.

    Several processes may append to one log: POSIX keeps each short append whole. A line cut short by a killed
    process can only be the last one; :meth:`read` drops it and cuts it from the file, so the record it held is
    simply produced again.

    Example:
        >>> import tempfile
        >>> log = JsonlLog(Path(tempfile.mkdtemp()) / "log.jsonl")
        >>> log.append({"i": 0}); log.append({"i": 1})
        >>> with open(log.path, "a") as f:
        ...     _ = f.write('{"i": 2')  # torn by a kill
        >>> [r["i"] for r in log.read()], log.path.read_text().count("\\n")
        ([0, 1], 2)
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def append(self, record: Any) -> None:
        """Append one record (a JSON-serialisable object) and sync it to disk."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as file:
            file.write(json.dumps(record) + "\n")
            file.flush()
            os.fsync(file.fileno())

    def read(self) -> list[Any]:
        """Every whole record, in order; a torn last line is removed from the file."""
        return list(self._records())

    def _records(self) -> Iterator[Any]:
        if not self.path.exists():
            return
        raw = self.path.read_bytes()
        whole = raw[: raw.rfind(b"\n") + 1]
        if len(whole) != len(raw):  # a torn last line: cut it so later appends start on a fresh line
            with open(self.path, "r+b") as file:
                file.truncate(len(whole))
        for line in whole.decode().splitlines():
            if line.strip():
                yield json.loads(line)
