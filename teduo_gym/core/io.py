"""Files written whole or not at all, and append-only JSON-lines logs that survive a kill.

- :func:`atomic_write` -- ``write(tmp_path)`` then one ``os.replace``: a crash never leaves half a file.
- :func:`write_json` / :func:`write_text` -- the common cases of it.
- :func:`atomic_directory` -- the same for a folder: filled beside its place, then moved there whole.
- :class:`JsonlLog` -- one JSON object per line, appended and synced; a line torn by a killed process is dropped
  (and cut from the file) when the log is read.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["JsonlLog", "atomic_directory", "atomic_write", "write_json", "write_text"]


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


def atomic_directory(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` on an empty temporary folder beside ``path``, then move it into place, replacing a folder
    already there: a crash never leaves half a folder at ``path`` (the temporary one is hidden: ``.name.*``).

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> p = atomic_directory(root / "ckpt", lambda tmp: (tmp / "a.txt").write_text("1"))
        >>> sorted(q.name for q in root.iterdir()), (p / "a.txt").read_text()
        (['ckpt'], '1')
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        write(tmp)
        shutil.rmtree(path, ignore_errors=True)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
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
    process can only be the last one; :meth:`read` drops it and cuts it from the file, and so does the first
    :meth:`append` of a log object, so the record it held is simply produced again and never glued to the next.

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
        self._repaired = False

    def append(self, record: Any) -> None:
        """Append one record (a JSON-serialisable object) and sync it to disk."""
        if not self._repaired:
            self._cut_torn_line()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as file:
            file.write(json.dumps(record) + "\n")
            file.flush()
            os.fsync(file.fileno())

    def read(self) -> list[Any]:
        """Every whole record, in order; a torn last line is removed from the file."""
        return list(self._records())

    def _cut_torn_line(self) -> bytes:
        """Cut a torn last line from the file (later appends start on a fresh line); return the whole lines."""
        self._repaired = True
        if not self.path.exists():
            return b""
        raw = self.path.read_bytes()
        whole = raw[: raw.rfind(b"\n") + 1]
        if len(whole) != len(raw):
            with open(self.path, "r+b") as file:
                file.truncate(len(whole))
        return whole

    def _records(self) -> Iterator[Any]:
        for line in self._cut_torn_line().decode().splitlines():
            if line.strip():
                yield json.loads(line)
