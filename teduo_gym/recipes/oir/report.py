"""The report of an OIR run: every arm's learning curve and evaluation over its seeds, next to a random agent's.

- :func:`write_report` -- ``out/report.md`` (the learning curves' last points and their means over the second half
  of training, tables per evaluation set and per achievement, the relabelling counts) with its figures
  ``out/curves.png`` (success vs environment steps) and ``out/achievements.png`` (success per achievement). Each
  arm's value is the mean over its seeds ``out/<arm>/seed-<seed>``, with the 95% Student-t interval of that mean
  (:func:`seed_interval`) where there are several.
- :func:`seed_interval` -- the mean of per-seed values and the half-width of its 95% interval.
- :data:`CURVE_COLUMNS` -- the ``curve.csv`` columns read (training success, and the periodic evaluation's).
- :data:`RELABEL_COLUMNS` -- the counts of each run's ``summary.json`` tabulated (proposals kept, agreement with
  the checker, relabelled steps replayed).
- :data:`RANDOM_AGENT` -- the folder of the uniformly random agent's ``evaluation.json``, shown when present.
- :data:`BASELINE_ARM` -- the arm every agent's mean success is divided by, per evaluation set, where it was run.

Figures use matplotlib's object-oriented API on the Agg canvas, like :mod:`teduo_gym.evaluation.plots`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from teduo_gym.core.io import write_text
from teduo_gym.evaluation.metrics import mean_interval
from teduo_gym.evaluation.plots import DPI, agent_colors, new_figure
from teduo_gym.evaluation.report import markdown_rows
from teduo_gym.recipes.oir.config import EvaluationConfig
from teduo_gym.recipes.oir.evaluate import InstructionResult, results_from_json, summarize

__all__ = ["BASELINE_ARM", "CURVE_COLUMNS", "RANDOM_AGENT", "RELABEL_COLUMNS", "seed_interval", "write_report"]

#: The ``curve.csv`` columns drawn and tabulated (cells left empty where not measured are skipped).
CURVE_COLUMNS: tuple[str, ...] = ("success_rate", "eval/success_rate", "eval/coverage")
#: The relabelling counts of a run's ``summary.json`` (``"relabel"``) tabulated, and their headers.
RELABEL_COLUMNS: dict[str, str] = {
    "proposed": "proposed",
    "kept": "kept",
    "restating": "restating",
    "no_change": "no change",
    "checked": "with a checker",
    "agreed": "agree with it",
    "llm_segments": "LLM segments",
    "ground_truth_segments": "ground-truth segments",
    "hindsight_steps": "relabelled steps",
    "replayed_steps": "replayed steps",
}
#: The uniformly random agent's folder under ``out`` (``out/random/evaluation.json``).
RANDOM_AGENT = "random"
#: The arm the others are compared with: each evaluation set's table divides every agent's mean success by its.
BASELINE_ARM = "fixed"

_Results = dict[str, dict[str, InstructionResult]]
_Curve = dict[str, tuple[np.ndarray, np.ndarray]]  # column (and "env_steps") -> (env steps, values) where measured


def seed_interval(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """The mean of per-seed values and the half-width of its 95% Student-t interval (0 for a single seed).

    Example:
        >>> [round(x, 2) for x in seed_interval([0.1, 0.2, 0.3])]
        [0.2, 0.25]
        >>> seed_interval([0.5])
        (0.5, 0.0)
    """
    array = np.asarray(values, float)
    z = float(stats.t.ppf(0.975, len(array) - 1)) if len(array) > 1 else 0.0
    low, high = mean_interval(array, z)
    return (low + high) / 2, (high - low) / 2


def _show(values: Sequence[float] | np.ndarray, scale: float = 100.0, digits: int = 1) -> str:
    """``mean ± half-width`` over seeds (the mean alone for one seed), times ``scale``."""
    mean, half = seed_interval(values)
    return f"{scale * mean:.{digits}f}" + (f" ± {scale * half:.{digits}f}" if len(values) > 1 else "")


def _count(values: Sequence[float] | np.ndarray) -> str:
    """A count over seeds: whole for one seed, else ``mean ± half-width`` to a tenth."""
    return _show(values, 1.0, 1 if len(values) > 1 else 0)


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


def _seed_curve(curves: Sequence[_Curve]) -> _Curve:
    """Per column, the env steps every seed measured and the values there, shape ``(seeds, steps)``."""
    out = {}
    for column in ("env_steps", *CURVE_COLUMNS):
        if not all(column in curve for curve in curves):
            continue
        by_seed = [dict(zip(*curve[column])) for curve in curves]
        steps = np.array(sorted(set.intersection(*(set(values) for values in by_seed))))
        if len(steps):
            out[column] = (steps, np.array([[values[s] for s in steps] for values in by_seed]))
    return out


def _plot_curves(path: Path, curves: Mapping[str, _Curve], colors: Mapping[str, Any]) -> None:
    fig = new_figure((8, 5))
    ax = fig.subplots()
    styles = {"success_rate": ("-", "", "training"), "eval/success_rate": ("--", "o", "evaluation")}
    for arm, curve in curves.items():
        for column, (line, marker, label) in styles.items():
            if column in curve:
                steps, values = curve[column]
                mean, half = np.array([seed_interval(values[:, k]) for k in range(len(steps))]).T
                ax.plot(steps, 100 * mean, line, marker=marker, color=colors[arm], label=f"{arm} ({label})")
                if len(values) > 1:
                    ax.fill_between(steps, 100 * (mean - half), 100 * (mean + half), color=colors[arm], alpha=0.15)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("success % (mean over seeds, 95% interval)")
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
    ax.set_xlabel("success % (mean over seeds)")
    ax.set_title("Success per achievement instruction")
    ax.legend(fontsize="small", loc="lower right")
    fig.savefig(path, dpi=DPI)


def _curve_table(curves: Mapping[str, _Curve]) -> str:
    def last(curve: _Curve, column: str) -> str:
        return _show(curve[column][1][:, -1]) if column in curve else "-"

    def second_half(curve: _Curve, column: str) -> str:
        """Each seed's mean over the points of the second half of training, then over seeds (one evaluation of a
        fluctuating curve reads noise)."""
        if column not in curve:
            return "-"
        steps, values = curve[column]
        return _show(values[:, steps > steps[-1] / 2].mean(1))

    rows = [
        [
            arm,
            len(curve["env_steps"][1]) if "env_steps" in curve else "-",
            f"{curve['env_steps'][0][-1]:.0f}" if "env_steps" in curve else "-",
            last(curve, "success_rate"),
            last(curve, "eval/success_rate"),
            second_half(curve, "eval/success_rate"),
            _count(curve["eval/coverage"][1][:, -1]) if "eval/coverage" in curve else "-",
        ]
        for arm, curve in curves.items()
    ]
    header = [
        "arm",
        "seeds",
        "env steps",
        "training success %",
        "evaluation success %",
        "evaluation success %, second half",
        "coverage",
    ]
    return markdown_rows(header, rows)


def _evaluation_sections(evaluations: Mapping[str, Sequence[tuple[_Results, EvaluationConfig]]]) -> list[str]:
    summaries = {
        agent: [summarize(results, config.coverage_threshold) for results, config in runs]
        for agent, runs in evaluations.items()
    }
    lines = ["## Evaluation", ""]
    for agent, runs in evaluations.items():
        config = runs[0][1]
        lines.append(
            f"- {agent}: {len(runs)} seed(s), {config.episodes} episodes per instruction of at most "
            f"{config.max_steps} steps, epsilon {config.epsilon}, seed {config.seed}; covered: success rate >= "
            f"{config.coverage_threshold}"
        )
    set_names = list(dict.fromkeys(name for runs in summaries.values() for s in runs for name in s["sets"]))
    header = ["agent", "mean success % (95% interval over seeds)", "coverage"]
    for name in set_names:
        measured = {agent: runs for agent, runs in summaries.items() if all(name in s["sets"] for s in runs)}
        success = {agent: [s["sets"][name]["mean_success"] for s in runs] for agent, runs in measured.items()}
        baseline = float(np.mean(success[BASELINE_ARM])) if BASELINE_ARM in success else 0.0
        rows = [
            [
                agent,
                _show(success[agent]),
                f"{_count([s['sets'][name]['coverage'] for s in runs])} / {runs[0]['sets'][name]['instructions']}",
                *([f"{np.mean(success[agent]) / baseline:.2f}x"] if baseline > 0 else []),
            ]
            for agent, runs in measured.items()
        ]
        columns = [*header, f"mean success / {BASELINE_ARM}'s"] if baseline > 0 else header
        lines += ["", f"### {name}", "", markdown_rows(columns, rows)]
    rows = [
        [agent, f"{_count([s['coverage'] for s in runs])} / {np.mean([s['instructions'] for s in runs]):g}"]
        for agent, runs in summaries.items()
    ]
    lines += ["", "### all sets (distinct instructions)", "", markdown_rows(["agent", "coverage"], rows)]
    return lines


def _relabel_table(summaries: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """Per arm, the mean over seeds of each relabelling count; the fractions of proposals kept and of checked
    instructions agreeing with the checker; and how many times each relabelled step was replayed, on average."""

    def fraction(runs: Sequence[Mapping[str, Any]], part: str, whole: str, scale: float = 100.0) -> str:
        values = [run[part] / run[whole] for run in runs if run[whole]]
        return _show(values, scale) if values else "-"

    rows = [
        [
            arm,
            fraction(runs, "kept", "proposed"),
            fraction(runs, "agreed", "checked"),
            *(_count([run[key] for run in runs]) for key in RELABEL_COLUMNS),
            fraction(runs, "replayed_steps", "hindsight_steps", 1.0),
        ]
        for arm, runs in summaries.items()
    ]
    return markdown_rows(["arm", "kept %", "agree %", *RELABEL_COLUMNS.values(), "replays per relabelled step"], rows)


def write_report(out: Path, arms: Sequence[str], seeds: Sequence[int] = (0,)) -> Path:
    """Write ``out/report.md`` and its figures from each run's ``out/<arm>/seed-<seed>/`` ``curve.csv``,
    ``evaluation.json`` and ``summary.json`` (and ``out/random/evaluation.json``); returns the report's path. An
    arm's values are means over the seeds found; missing files are listed in the report.

    Raises:
        FileNotFoundError: no curve or evaluation file exists.

    Example:
        >>> import tempfile
        >>> out = Path(tempfile.mkdtemp())
        >>> for seed, row in ((0, "1,64,0.5"), (1, "1,64,0.3")):
        ...     (out / "fixed" / f"seed-{seed}").mkdir(parents=True)
        ...     _ = (out / "fixed" / f"seed-{seed}" / "curve.csv").write_text(f"update,env_steps,success_rate\\n{row}")
        >>> report = write_report(out, ["fixed"], seeds=[0, 1]).read_text()
        >>> [line for line in report.splitlines() if line.startswith("| fixed")]
        ['| fixed | 2 | 64 | 40.0 ± 127.1 | - | - | - |']
        >>> sorted(p.name for p in out.iterdir())
        ['curves.png', 'fixed', 'report.md']
    """
    out = Path(out)
    curves: dict[str, _Curve] = {}
    evaluations: dict[str, list[tuple[_Results, EvaluationConfig]]] = {}
    relabelling: dict[str, list[Mapping[str, Any]]] = {}
    missing: list[Path] = []
    for arm in arms:
        runs = [out / arm / f"seed-{seed}" for seed in seeds]
        found = [_read_curve(run / "curve.csv") for run in runs if (run / "curve.csv").is_file()]
        if found:
            curves[arm] = _seed_curve(found)
        evaluated = [_read_evaluation(run / "evaluation.json") for run in runs if (run / "evaluation.json").is_file()]
        if evaluated:
            evaluations[arm] = evaluated
        counted = [json.loads((run / "summary.json").read_text()) for run in runs if (run / "summary.json").is_file()]
        if counted:
            relabelling[arm] = [summary["relabel"] for summary in counted]
        missing += [
            run / name for run in runs for name in ("curve.csv", "evaluation.json") if not (run / name).is_file()
        ]
    if RANDOM_AGENT not in arms and (out / RANDOM_AGENT / "evaluation.json").is_file():
        evaluations[RANDOM_AGENT] = [_read_evaluation(out / RANDOM_AGENT / "evaluation.json")]
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
    if relabelling:
        lines += ["## Relabelling (mean over seeds)", "", _relabel_table(relabelling), ""]
    if evaluations:
        lines += _evaluation_sections(evaluations)
        rates = {
            agent: {
                text: float(np.mean([results["achievements"][text].success_rate for results, _ in runs]))
                for text in runs[0][0]["achievements"]
            }
            for agent, runs in evaluations.items()
            if all("achievements" in results for results, _ in runs)
        }
        if rates:
            _plot_achievements(out / "achievements.png", rates, colors)
            texts = list(dict.fromkeys(text for by_text in rates.values() for text in by_text))
            rows = [[text, *(f"{100 * r[text]:.1f}" if text in r else "-" for r in rates.values())] for text in texts]
            lines += [
                "",
                "### Per achievement (success %, mean over seeds)",
                "",
                "![success per achievement](achievements.png)",
                "",
                markdown_rows(["instruction", *rates], rows),
            ]
    path = out / "report.md"
    write_text(path, "\n".join(lines) + "\n")
    return path
