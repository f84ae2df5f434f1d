"""The report of an OIR run: every arm's learning curve and evaluation, next to a random agent's.

- :func:`write_report` -- ``out/report.md`` (tables per evaluation set and per achievement) with its figures
  ``out/curves.png`` (success vs environment steps) and ``out/achievements.png`` (success per achievement).
- :data:`CURVE_COLUMNS` -- the ``curve.csv`` columns read (training success, and the periodic evaluation's).
- :data:`RANDOM_AGENT` -- the folder of the uniformly random agent's ``evaluation.json``, shown when present.

Figures use matplotlib's object-oriented API on the Agg canvas, like :mod:`teduo_gym.evaluation.plots`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from teduo_gym.core.io import write_text
from teduo_gym.evaluation.plots import DPI, agent_colors, new_figure
from teduo_gym.evaluation.report import markdown_rows
from teduo_gym.recipes.oir.config import EvaluationConfig
from teduo_gym.recipes.oir.evaluate import InstructionResult, results_from_json, summarize

__all__ = ["CURVE_COLUMNS", "RANDOM_AGENT", "write_report"]

#: The ``curve.csv`` columns drawn and tabulated (cells left empty where not measured are skipped).
CURVE_COLUMNS: tuple[str, ...] = ("success_rate", "eval/success_rate", "eval/coverage")
#: The uniformly random agent's folder under ``out`` (``out/random/evaluation.json``).
RANDOM_AGENT = "random"

_Results = dict[str, dict[str, InstructionResult]]
_Curve = dict[str, tuple[np.ndarray, np.ndarray]]  # column (and "env_steps") -> (env steps, values) where measured


def _read_curve(path: Path) -> _Curve:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    curve = {}
    for column in ("env_steps", *CURVE_COLUMNS):
        points = [(float(r["env_steps"]), float(r[column])) for r in rows if r.get(column) not in (None, "")]
        if points:
            steps, values = np.array(points).T
            curve[column] = (steps, values)
    return curve


def _read_evaluation(path: Path) -> tuple[_Results, EvaluationConfig]:
    data = json.loads(path.read_text())
    return results_from_json(data), EvaluationConfig(**data["config"])


def _plot_curves(path: Path, curves: Mapping[str, _Curve], colors: Mapping[str, Any]) -> None:
    fig = new_figure((8, 5))
    ax = fig.subplots()
    styles = {"success_rate": ("-", "", "training"), "eval/success_rate": ("--", "o", "evaluation")}
    for arm, curve in curves.items():
        for column, (line, marker, label) in styles.items():
            if column in curve:
                steps, values = curve[column]
                ax.plot(steps, 100 * values, line, marker=marker, color=colors[arm], label=f"{arm} ({label})")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("success %")
    ax.set_ylim(0, 105)
    ax.set_title("Success of the achievement instructions")
    ax.legend(fontsize="small")
    fig.savefig(path, dpi=DPI)


def _plot_achievements(path: Path, rates: Mapping[str, Mapping[str, float]], colors: Mapping[str, Any]) -> None:
    """Grouped horizontal bars: one group per instruction (top to bottom), one bar per agent."""
    instructions = list(dict.fromkeys(text for by_text in rates.values() for text in by_text))
    fig = new_figure((8, 2 + 0.45 * len(instructions)))
    ax = fig.subplots()
    height = 0.8 / len(rates)
    y = np.arange(len(instructions))
    for i, (agent, by_text) in enumerate(rates.items()):
        present = [j for j, text in enumerate(instructions) if text in by_text]
        values = [100 * by_text[instructions[j]] for j in present]
        ax.barh(y[present] + (i - (len(rates) - 1) / 2) * height, values, height, color=colors[agent], label=agent)
    ax.set_yticks(y, instructions)
    ax.invert_yaxis()
    ax.set_xlim(0, 105)
    ax.set_xlabel("success %")
    ax.set_title("Success per achievement instruction")
    ax.legend(fontsize="small", loc="lower right")
    fig.savefig(path, dpi=DPI)


def _percent(value: float) -> str:
    return f"{100 * value:.1f}"


def _curve_table(curves: Mapping[str, _Curve]) -> str:
    def last(curve: _Curve, column: str, show: Any) -> str:
        return show(curve[column][1][-1]) if column in curve else "-"

    rows = [
        [
            arm,
            last(curve, "env_steps", lambda v: f"{v:.0f}"),
            last(curve, "success_rate", _percent),
            last(curve, "eval/success_rate", _percent),
            last(curve, "eval/coverage", lambda v: f"{v:g}"),
        ]
        for arm, curve in curves.items()
    ]
    return markdown_rows(["arm", "env steps", "training success %", "evaluation success %", "coverage"], rows)


def _evaluation_sections(evaluations: Mapping[str, tuple[_Results, EvaluationConfig]]) -> list[str]:
    summaries = {
        agent: summarize(results, config.coverage_threshold) for agent, (results, config) in evaluations.items()
    }
    lines = ["## Evaluation", ""]
    for agent, (_, config) in evaluations.items():
        lines.append(
            f"- {agent}: {config.episodes} episodes per instruction of at most {config.max_steps} steps, epsilon "
            f"{config.epsilon}, seed {config.seed}; covered: success rate >= {config.coverage_threshold}"
        )
    set_names = list(dict.fromkeys(name for s in summaries.values() for name in s["sets"]))
    for name in set_names:
        rows = [
            [
                agent,
                _percent(s["sets"][name]["mean_success"]),
                f"{s['sets'][name]['coverage']} / {s['sets'][name]['instructions']}",
            ]
            for agent, s in summaries.items()
            if name in s["sets"]
        ]
        lines += ["", f"### {name}", "", markdown_rows(["agent", "mean success %", "coverage"], rows)]
    rows = [[agent, f"{s['coverage']} / {s['instructions']}"] for agent, s in summaries.items()]
    lines += ["", "### all sets (distinct instructions)", "", markdown_rows(["agent", "coverage"], rows)]
    return lines


def write_report(out: Path, arms: Sequence[str]) -> Path:
    """Write ``out/report.md`` and its figures from ``out/<arm>/curve.csv`` and ``out/<arm>/evaluation.json`` (and
    ``out/random/evaluation.json``); returns the report's path. Missing files are listed in the report.

    Raises:
        FileNotFoundError: none of those files exists.

    Example:
        >>> import tempfile
        >>> out = Path(tempfile.mkdtemp())
        >>> (out / "fixed").mkdir()
        >>> _ = (out / "fixed" / "curve.csv").write_text("update,env_steps,success_rate\\n1,64,0.5\\n2,128,\\n")
        >>> write_report(out, ["fixed"]).read_text().count("not found")
        1
        >>> sorted(p.name for p in out.iterdir())
        ['curves.png', 'fixed', 'report.md']
    """
    out = Path(out)
    curves: dict[str, _Curve] = {}
    evaluations: dict[str, tuple[_Results, EvaluationConfig]] = {}
    missing: list[Path] = []
    for arm in arms:
        path = out / arm / "curve.csv"
        if path.is_file():
            curves[arm] = _read_curve(path)
        else:
            missing.append(path)
    for agent in [*arms, *([RANDOM_AGENT] if RANDOM_AGENT not in arms else [])]:
        path = out / agent / "evaluation.json"
        if path.is_file():
            evaluations[agent] = _read_evaluation(path)
        elif agent != RANDOM_AGENT or agent in arms:
            missing.append(path)
    if not curves and not evaluations:
        raise FileNotFoundError(
            f"{out} holds no curve.csv or evaluation.json of the arms {list(arms)}: run `teduo oir CONFIG` first"
        )
    colors = agent_colors(list(dict.fromkeys([*curves, *evaluations])))
    for name in ("curves.png", "achievements.png"):
        (out / name).unlink(missing_ok=True)

    lines = [f"# OIR on Craftax-Classic: {out.name}", ""]
    if missing:
        lines += ["Skipped (not found):", "", *(f"- `{p}`" for p in missing), ""]
    if curves:
        _plot_curves(out / "curves.png", curves, colors)
        lines += ["## Learning curves", "", "![success vs environment steps](curves.png)", "", _curve_table(curves)]
        lines.append("")
    if evaluations:
        lines += _evaluation_sections(evaluations)
        rates = {
            agent: {text: r.success_rate for text, r in results["achievements"].items()}
            for agent, (results, _) in evaluations.items()
            if "achievements" in results
        }
        if rates:
            _plot_achievements(out / "achievements.png", rates, colors)
            texts = list(dict.fromkeys(text for by_text in rates.values() for text in by_text))
            rows = [[text, *(_percent(r[text]) if text in r else "-" for r in rates.values())] for text in texts]
            lines += [
                "",
                "### Per achievement (success %)",
                "",
                "![success per achievement](achievements.png)",
                "",
                markdown_rows(["instruction", *rates], rows),
            ]
    path = out / "report.md"
    write_text(path, "\n".join(lines) + "\n")
    return path
