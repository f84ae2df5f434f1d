"""Judge-mode accuracy estimated from a stratified sample, when labelling every transition is out of reach.

- :func:`sampled_judge_report` -- per goal, the LLM judges a random sample of the transitions that achieve the
  goal and of those that do not; counts are weighted back to the whole dataset (each sampled transition stands
  for ``class size / sample size`` transitions of its class), which gives unbiased estimates of true positives,
  false positives and false negatives, hence precision, recall, F1 and a weighted ROC-AUC.

Judge mode asks one question per distinct abstract next state (stored text without a goal schema) and goal: on
the 22k-transition Synth data that is 800 to 9,000 questions per goal, hours for 50 goals with the embedded model
on 2 cores. The estimate needs ``2 * per_class`` questions per goal at most.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from teduo_gym.datasets.transitions import GroundTruth, TransitionDataset
from teduo_gym.envs import GoalSchema, knowledge_for
from teduo_gym.labeling.abstraction import state_views
from teduo_gym.labeling.hindsight import HindsightLabeler

__all__ = ["sampled_judge_report"]


def _weighted(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    truth = np.concatenate([r["truth"] for r in rows])
    pred = np.concatenate([r["pred"] for r in rows])
    p = np.concatenate([r["p"] for r in rows])
    w = np.concatenate([r["w"] for r in rows])
    tp, fp, fn = (float(w[truth & pred].sum()), float(w[~truth & pred].sum()), float(w[truth & ~pred].sum()))
    auc = float(roc_auc_score(truth, p, sample_weight=w)) if 0 < truth.sum() < truth.size else None
    return {
        "positives": float(w[truth].sum()),
        "sampled": int(truth.size),
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None,
        "roc_auc": auc,
        "llm_calls": sum(r["llm_calls"] for r in rows),
        "seconds": sum(r["seconds"] for r in rows),
    }


def sampled_judge_report(
    labeler: HindsightLabeler,
    data: TransitionDataset,
    truth: GroundTruth,
    goals: Sequence[str],
    abstraction: GoalSchema | None,
    *,
    per_class: int = 25,
    seed: int = 0,
) -> dict[str, list[dict[str, Any]]]:
    """Estimate judge-mode precision / recall / F1 / ROC-AUC on ``data`` from a stratified sample per goal.

    Args:
        labeler: a ``judge``-mode labeler (its disk cache is used and filled).
        data, truth: the transitions and their ground truth.
        goals: canonical goal texts (columns of ``truth``).
        abstraction: the goal schema of ``data``'s environment, or ``None`` to judge the stored texts.
        per_class: transitions sampled per goal among those achieving it, and as many among the others.
        seed: the sampling seed.

    Returns:
        ``{"kinds": [...], "overall": [...]}`` rows shaped like :func:`~teduo_gym.labeling.report.accuracy_report`'s,
        with ``mode="judge (sampled)"``; ``positives`` is the weighted (estimated) count.
    """
    rng = np.random.default_rng(seed)
    goal_kind = knowledge_for(data.env_id).goal_kind
    choices = labeler.choices(abstraction, goals)
    per_goal: list[dict[str, Any]] = []
    for goal, choice in zip(goals, choices):
        labeler.judgements(goal)
        start = time.perf_counter()
        column = truth.column(goal)
        classes = (np.flatnonzero(column), np.flatnonzero(~column))
        picked = [rng.choice(c, size=min(per_class, len(c)), replace=False) for c in classes]
        weights = [np.full(len(p), len(c) / len(p)) if len(p) else np.zeros(0) for p, c in zip(picked, classes)]
        index = np.concatenate(picked)
        views = state_views(abstraction, data, data.dst[index], choice)
        p = labeler.judge_texts(goal, views.texts)[views.ids]
        per_goal.append(
            {
                "goal": goal,
                "kind": goal_kind(goal),
                "truth": column[index],
                "pred": p > labeler.goal_threshold(goal),
                "p": p,
                "w": np.concatenate(weights),
                "llm_calls": labeler.judgements(goal),  # a rerun reads them back from the cache: the same count
                "seconds": time.perf_counter() - start,
            }
        )
    llm = labeler.llm.name
    kinds = sorted({r["kind"] for r in per_goal})
    return {
        "kinds": [
            {"mode": "judge (sampled)", "llm": llm, "kind": k, "goals": sum(r["kind"] == k for r in per_goal)}
            | _weighted([r for r in per_goal if r["kind"] == k])
            for k in kinds
        ],
        "overall": [
            {"mode": "judge (sampled)", "llm": llm, "kind": "all", "goals": len(per_goal)} | _weighted(per_goal)
        ],
    }
