"""Hindsight labels of a dataset: which transitions achieve which goals, on disk as ``.npz`` + JSON sidecar.

- :class:`LabelTable` -- goals x transitions boolean labels (``scipy.sparse`` CSR), optional float16 scores,
  and how they were made.
- :class:`FingerprintMismatchError` -- a label table loaded against a dataset it was not made from.

File format (``labels.npz`` and ``labels.json`` side by side; :meth:`LabelTable.save` takes either name)::

    labels.npz   indptr (G+1,) int64, indices (nnz,) int32: CSR rows of the (G, T) boolean label matrix
                 (row g lists the transitions that achieve goal g); scores (G, T) float16, present for the
                 judge and proxy modes (the probability behind each label)
    labels.json  {"format": "teduo-gym/labels/1", "goals": [...], "canonical": [...] (the canonical goal of
                 each text), "n_transitions": T, "fingerprint": the dataset's TransitionDataset.fingerprint(),
                 "mode": "judge" | "compiled" | "proxy", "llm": model name, "llm_calls": [per goal],
                 "seconds": [per goal], "choices": [the LLM's choice per goal], "settings": {...}}
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from teduo_gym.core.io import atomic_write
from teduo_gym.datasets.transitions import TransitionDataset

__all__ = ["FORMAT", "FingerprintMismatchError", "LabelTable"]

#: The sidecar's format tag.
FORMAT = "teduo-gym/labels/1"


class FingerprintMismatchError(ValueError):
    """A label table does not belong to the dataset it is used with."""


@dataclass
class LabelTable:
    """Labels of every (goal, transition) pair of a dataset.

    Example:
        >>> t = LabelTable(["go to a key"], sp.csr_matrix(np.array([[False, True, False]])), "abc", "compiled")
        >>> t.column("go to a key").tolist(), t.shape
        ([False, True, False], (1, 3))

    Attributes:
        goals: the goal texts, one row each.
        labels: ``(G, T)`` boolean CSR matrix.
        fingerprint: the :meth:`~teduo_gym.datasets.TransitionDataset.fingerprint` of the labelled data.
        mode: ``"judge"``, ``"compiled"`` or ``"proxy"``.
        llm: the LLM's name.
        llm_calls: ``(G,)`` LLM prompts each goal's labels took: those reading it into a choice and, for the judge
            and proxy, one per judgement; counted whether asked in this run or read back from the answer cache, where
            an earlier run asked them, so a rerun or a resume after a kill reports the whole run's cost (the prompts
            a run sends are fewer where the cache holds answers).
        seconds: ``(G,)`` seconds spent per goal.
        scores: ``(G, T)`` float16 probabilities, or ``None``.
        canonical: the canonical goal of each text (for ground truth); defaults to the texts.
        choices: the LLM's choice (slot -> answer) per goal.
        settings: anything else worth keeping (budget, precision target, thresholds...).
    """

    goals: list[str]
    labels: sp.csr_matrix
    fingerprint: str
    mode: str
    llm: str = ""
    llm_calls: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    seconds: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scores: np.ndarray | None = None
    canonical: list[str] = field(default_factory=list)
    choices: list[dict[str, str]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.labels = sp.csr_matrix(self.labels, dtype=bool)
        g = len(self.goals)
        if self.labels.shape[0] != g:
            raise ValueError(f"labels have {self.labels.shape[0]} rows for {g} goals")
        self.llm_calls = np.zeros(g, np.int64) if len(self.llm_calls) == 0 else np.asarray(self.llm_calls, np.int64)
        self.seconds = np.zeros(g) if len(self.seconds) == 0 else np.asarray(self.seconds, np.float64)
        self.canonical = list(self.canonical) or list(self.goals)
        if self.scores is not None and self.scores.shape != self.labels.shape:
            raise ValueError(f"scores of shape {self.scores.shape} for labels of shape {self.labels.shape}")

    @property
    def shape(self) -> tuple[int, int]:
        """``(goals, transitions)``."""
        return self.labels.shape

    def check_data(self, dataset: TransitionDataset, name: str = "the label table") -> None:
        """Raise :class:`FingerprintMismatchError` unless the table was made from ``dataset``."""
        if dataset.fingerprint() != self.fingerprint:
            raise FingerprintMismatchError(
                f"{name} was made from other data ({self.fingerprint}), not from this dataset "
                f"({dataset.fingerprint()}, {len(dataset)} transitions of {dataset.env_id}); relabel it with "
                "`teduo label`"
            )

    def column(self, goal: str) -> np.ndarray:
        """The ``(T,)`` labels of one goal."""
        return self.labels[self.goals.index(goal)].toarray().ravel()

    def save(self, path: str | Path) -> Path:
        """Write ``<stem>.npz`` and ``<stem>.json`` atomically; returns the ``.npz`` path."""
        npz = Path(path).with_suffix(".npz")
        arrays = {"indptr": self.labels.indptr.astype(np.int64), "indices": self.labels.indices.astype(np.int32)}
        if self.scores is not None:
            arrays["scores"] = self.scores.astype(np.float16)
        atomic_write(npz, lambda p: np.savez_compressed(p, **arrays))
        meta = {
            "format": FORMAT,
            "goals": self.goals,
            "canonical": self.canonical,
            "n_transitions": int(self.labels.shape[1]),
            "fingerprint": self.fingerprint,
            "mode": self.mode,
            "llm": self.llm,
            "llm_calls": self.llm_calls.tolist(),
            "seconds": self.seconds.tolist(),
            "choices": self.choices,
            "settings": self.settings,
        }
        atomic_write(npz.with_suffix(".json"), lambda p: p.write_text(json.dumps(meta, indent=1)))
        return npz

    @classmethod
    def load(cls, path: str | Path, dataset: TransitionDataset | None = None) -> LabelTable:
        """Read a table written by :meth:`save`; with ``dataset``, check that it was made from those data.

        Raises:
            FileNotFoundError: the ``.npz`` or the ``.json`` is missing.
            ValueError: a file is not a teduo-gym label table, or is corrupt.
            FingerprintMismatchError: the table belongs to other data than ``dataset``.
        """
        npz = Path(path).with_suffix(".npz")
        sidecar = npz.with_suffix(".json")
        for p in (npz, sidecar):
            if not p.is_file():
                raise FileNotFoundError(f"label table file {p} is missing (a table is {npz.name} + {sidecar.name})")
        try:
            meta = json.loads(sidecar.read_text())
            if meta.get("format") != FORMAT:
                raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT!r}")
            with np.load(npz) as arrays:
                shape = (len(meta["goals"]), int(meta["n_transitions"]))
                indices, indptr = arrays["indices"], arrays["indptr"]
                scores = arrays["scores"] if "scores" in arrays else None
            _check_csr(indices, indptr, shape)
            labels = sp.csr_matrix((np.ones(len(indices), bool), indices, indptr), shape=shape)
        except (ValueError, KeyError, TypeError, OSError, EOFError, zipfile.BadZipFile) as err:
            raise ValueError(
                f"{npz} is not a readable teduo-gym label table ({type(err).__name__}: {err}): it is truncated or "
                f"corrupt; delete {npz.name} and {sidecar.name} to label again"
            ) from err
        table = cls(
            goals=list(meta["goals"]),
            labels=labels,
            fingerprint=meta["fingerprint"],
            mode=meta["mode"],
            llm=meta.get("llm", ""),
            llm_calls=np.asarray(meta.get("llm_calls", []), np.int64),
            seconds=np.asarray(meta.get("seconds", []), np.float64),
            scores=scores,
            canonical=list(meta.get("canonical", [])),
            choices=list(meta.get("choices", [])),
            settings=dict(meta.get("settings", {})),
        )
        if dataset is not None:
            table.check_data(dataset, f"the label table {npz}")
        return table


def _check_csr(indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]) -> None:
    """Raise ``ValueError`` unless ``indices`` / ``indptr`` are the CSR rows of a ``shape`` table."""
    if indptr.shape != (shape[0] + 1,) or indptr[0] != 0 or indptr[-1] != len(indices):
        raise ValueError(
            f"{len(indptr)} row pointers ending at {indptr[-1] if len(indptr) else None} for {shape[0]} "
            f"goals and {len(indices)} labels"
        )
    if np.any(np.diff(indptr) < 0):
        raise ValueError("row pointers that decrease")
    if len(indices) and (indices.min() < 0 or indices.max() >= shape[1]):
        raise ValueError(f"transition indices outside [0, {shape[1]})")
