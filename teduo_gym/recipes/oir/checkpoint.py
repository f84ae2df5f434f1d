"""Checkpoints of an OIR run: one directory per save, made whole before it appears.

- :func:`save_checkpoint` -- ``state.pkl`` (everything but the buffer: parameters, optimiser state, worlds, RNG,
  counters, the config's fingerprint) and ``buffer.json``, written to a hidden directory then renamed
  (:func:`~teduo_gym.core.io.atomic_directory`).
- :func:`latest_checkpoint` -- the newest complete checkpoint of a run, or None.
- :func:`load_checkpoint` -- its state and buffer; refuses a checkpoint written under other settings.
"""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from teduo_gym.core.io import atomic_directory
from teduo_gym.relabel import InstructionBuffer

__all__ = ["CheckpointMismatchError", "latest_checkpoint", "load_checkpoint", "save_checkpoint"]

_PREFIX = "update-"


class CheckpointMismatchError(ValueError):
    """A checkpoint was written by a run with other settings."""


def save_checkpoint(directory: Path, update: int, state: dict[str, Any], buffer: InstructionBuffer) -> Path:
    """Write checkpoint ``update`` under ``directory`` atomically and delete older ones; returns its path.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> path = save_checkpoint(root, 3, {"fingerprint": {}, "x": 1}, InstructionBuffer())
        >>> latest_checkpoint(root) == path, load_checkpoint(path, {})[0]["x"]
        (True, 1)
    """

    def write(tmp: Path) -> None:
        with open(tmp / "state.pkl", "wb") as f:
            pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
        buffer.save(tmp / "buffer.json")

    final = atomic_directory(directory / f"{_PREFIX}{update:08d}", write)
    for old in directory.glob(f"{_PREFIX}*"):
        if old != final:
            shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(directory: Path) -> Path | None:
    """The newest complete checkpoint under ``directory`` (None when there is none)."""
    found = sorted(directory.glob(f"{_PREFIX}*")) if directory.is_dir() else []
    return found[-1] if found else None


def load_checkpoint(
    path: Path, fingerprint: dict[str, Any], defaults: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], InstructionBuffer]:
    """The state and buffer of the checkpoint at ``path``.

    ``defaults`` holds the value of each setting before it existed: a checkpoint written before a setting was added
    lacks it and resumes when the config holds that value.

    Example:
        >>> import tempfile
        >>> path = save_checkpoint(Path(tempfile.mkdtemp()), 1, {"fingerprint": {"lr": 1}}, InstructionBuffer())
        >>> load_checkpoint(path, {"lr": 1, "decay": False}, defaults={"decay": False})[0]["fingerprint"]
        {'lr': 1}
        >>> load_checkpoint(path, {"lr": 1, "decay": True}, defaults={"decay": False})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        teduo_gym.recipes.oir.checkpoint.CheckpointMismatchError: ... {'decay': (False, True)}; use another ...

    Raises:
        CheckpointMismatchError: the checkpoint's settings differ from ``fingerprint``.
    """
    with open(path / "state.pkl", "rb") as f:
        state = pickle.load(f)
    saved = {k: v for k, v in (defaults or {}).items() if k in fingerprint} | state["fingerprint"]
    if saved != fingerprint:
        diff = {k: (saved.get(k), fingerprint.get(k)) for k in sorted(set(saved) | set(fingerprint))}
        diff = {k: v for k, v in diff.items() if v[0] != v[1]}
        raise CheckpointMismatchError(
            f"{path} was written with other settings (setting: checkpoint's value, this config's value): {diff}; "
            f"use another `out` directory, or restore those settings to resume"
        )
    return state, InstructionBuffer.load(path / "buffer.json")
