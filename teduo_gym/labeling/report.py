"""How right the hindsight labels are: precision, recall, F1 and ROC-AUC against the environment's ground truth.

- :func:`accuracy_report` -- per goal, per goal kind and overall, for each label table (mode, LLM); LLM calls and
  seconds spent. Counts are pooled (micro-averaged) over the goals of a group; ROC-AUC pools the scores too.
- :func:`schema_check` -- where the goal schema's compiled predicate, under each goal's exact choice, disagrees
  with the environment's ground-truth detector on the recorded transitions (a bug of the knowledge, not of the LLM).
- :func:`markdown_table` / :func:`write_report` -- the report as Markdown and ``report.json`` + ``report.md``.

Undefined numbers (precision with no predicted positive, recall with no true positive, AUC with one class or no
scores) are ``None``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from teduo_gym.datasets.transitions import GroundTruth, TransitionDataset
from teduo_gym.envs import GoalSchema
from teduo_gym.labeling.table import FingerprintMismatchError, LabelTable

__all__ = ["accuracy_report", "markdown_table", "schema_check", "scores_of", "write_report"]


def scores_of(truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None = None) -> dict[str, Any]:
    """Counts and metrics of boolean predictions against boolean truth (flat arrays).

    Example:
        >>> m = scores_of(np.array([1, 1, 0, 0], bool), np.array([1, 0, 1, 0], bool), np.array([.9, .2, .6, .1]))
        >>> m["precision"], m["recall"], m["f1"], m["roc_auc"]
        (0.5, 0.5, 0.5, 0.75)
    """
    truth, predicted = np.asarray(truth, bool), np.asarray(predicted, bool)
    tp, fp, fn = int((truth & predicted).sum()), int((~truth & predicted).sum()), int((truth & ~predicted).sum())
    auc = None
    if scores is not None and 0 < truth.sum() < truth.size:
        auc = float(roc_auc_score(truth, np.asarray(scores, np.float64)))
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "positives": int(truth.sum()),
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None,
        "roc_auc": auc,
    }


def accuracy_report(
    tables: Sequence[LabelTable], truth: GroundTruth, goal_kind: Callable[[str], str]
) -> dict[str, list[dict[str, Any]]]:
    """Compare label tables with the ground truth (the columns of their canonical goals), per goal, per kind of
    goal (``goal_kind``: the environment's, ``knowledge_for(env_id).goal_kind``) and overall.

    Returns:
        ``{"goals": [...], "kinds": [...], "overall": [...]}``: one row per (table, goal), per (table, kind) and per
        table, each with ``mode``, ``llm``, counts, ``precision``, ``recall``, ``f1``, ``roc_auc``, ``llm_calls``,
        ``seconds`` (and ``goal`` / ``kind``).

    Raises:
        FingerprintMismatchError: a table belongs to other data than the ground truth.
        KeyError: a canonical goal is not in the ground truth's vocabulary.
    """
    report: dict[str, list[dict[str, Any]]] = {"goals": [], "kinds": [], "overall": []}
    for table in tables:
        if table.fingerprint != truth.fingerprint:
            raise FingerprintMismatchError(
                f"the {table.mode} label table belongs to dataset {table.fingerprint}, the ground truth to "
                f"{truth.fingerprint}"
            )
        missing = [g for g in table.canonical if g not in truth.goals]
        if missing:
            raise KeyError(f"goals {missing[:3]} are not in the ground truth's vocabulary ({len(truth.goals)} goals)")
        columns = truth.achieved[:, [truth.goals.index(g) for g in table.canonical]].T.tocsr()
        kinds = [goal_kind(g) for g in table.canonical]
        head = {"mode": table.mode, "llm": table.llm}
        groups: dict[str, list[int]] = {}
        for i, goal in enumerate(table.goals):
            groups.setdefault(kinds[i], []).append(i)
            row = _group(table, columns, [i])
            report["goals"].append({**head, "goal": goal, "canonical": table.canonical[i], "kind": kinds[i], **row})
        for kind, ids in groups.items():
            report["kinds"].append({**head, "kind": kind, "goals": len(ids), **_group(table, columns, ids)})
        report["overall"].append({**head, "kind": "all", "goals": len(table.goals), **_group(table, columns, None)})
    return report


def schema_check(
    schema: GoalSchema, data: TransitionDataset, truth: GroundTruth, goals: Sequence[str]
) -> list[dict[str, Any]]:
    """Compare the goal schema's predicate, under each goal's exact choice (``schema.oracle_choice``, what a
    perfect reader answers), with the ground-truth detector on every recorded transition: one row per canonical goal
    with ``positives`` (the detector's), ``predicate_only`` and ``detector_only`` (transitions where only one of
    them fires). Any disagreement is a bug of the environment's knowledge (its predicate or its detector), which
    compiled labels inherit whatever the LLM reads.

    Example:
        >>> from teduo_gym.envs import knowledge_for
        >>> from teduo_gym.datasets.storage import load_ground_truth
        >>> schema_check(schema, data, load_ground_truth(path), ["go to the red ball"])  # doctest: +SKIP
        [{'goal': 'go to the red ball', 'positives': 12, 'predicate_only': 0, 'detector_only': 0}]
    """
    rows = []
    for goal in goals:
        predicted = schema.achieved(schema.oracle_choice(goal), data.states, data.actions, data.src, data.dst)
        actual = truth.column(goal)
        rows.append(
            {
                "goal": goal,
                "positives": int(actual.sum()),
                "predicate_only": int((predicted & ~actual).sum()),
                "detector_only": int((actual & ~predicted).sum()),
            }
        )
    return rows


def _group(table: LabelTable, columns: Any, ids: list[int] | None) -> dict[str, Any]:
    rows = slice(None) if ids is None else ids
    truth = columns[rows].toarray().ravel()
    predicted = table.labels[rows].toarray().ravel()
    scores = None if table.scores is None else table.scores[rows].ravel()
    metrics = scores_of(truth, predicted, scores)
    return {**metrics, "llm_calls": int(table.llm_calls[rows].sum()), "seconds": float(table.seconds[rows].sum())}


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def markdown_table(rows: Sequence[dict[str, Any]], key: str = "kind") -> str:
    """Rows of :func:`accuracy_report` as a Markdown table, ``key`` (``"kind"`` or ``"goal"``) first.

    Example:
        >>> print(markdown_table([{"mode": "compiled", "llm": "m", "kind": "all", "goals": 2, "positives": 3,
        ...     "precision": 1.0, "recall": 0.5, "f1": 0.667, "roc_auc": None, "llm_calls": 6, "seconds": 0.1}]))
        | mode | llm | kind | goals | positives | precision | recall | F1 | ROC-AUC | LLM calls | seconds |
        |---|---|---|---|---|---|---|---|---|---|---|
        | compiled | m | all | 2 | 3 | 1.000 | 0.500 | 0.667 | - | 6 | 0.100 |
    """
    cols = ["mode", "llm", key, "goals", "positives", "precision", "recall", "f1", "roc_auc", "llm_calls", "seconds"]
    names = [{"f1": "F1", "roc_auc": "ROC-AUC", "llm_calls": "LLM calls"}.get(c, c) for c in cols]
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_fmt(r.get(c, 1)) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def write_report(report: dict[str, list[dict[str, Any]]], directory: str | Path) -> Path:
    """Write ``report.json`` and ``report.md`` (overall, per kind, per goal); returns the Markdown path."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=1))
    md = [
        "# Hindsight labelling accuracy against ground truth",
        "",
        "## Overall",
        markdown_table(report["overall"]),
        "",
        "## Per goal kind",
        markdown_table(report["kinds"]),
        "",
        "## Per goal",
        markdown_table(report["goals"], key="goal"),
        "",
    ]
    if report.get("schema"):
        md += [
            "## Goal schema against the ground-truth detector (exact choices)",
            "",
            "| goal | positives | predicate only | detector only |",
            "|---|---|---|---|",
            *(
                f"| {r['goal']} | {r['positives']} | {r['predicate_only']} | {r['detector_only']} |"
                for r in report["schema"]
            ),
            "",
        ]
    (out / "report.md").write_text("\n".join(md))
    return out / "report.md"
