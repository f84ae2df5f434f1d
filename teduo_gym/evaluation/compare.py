"""``teduo compare``: one readable report from evaluation folders (``teduo evaluate``) and SB3 baseline folders
(``teduo baseline sb3``): Markdown tables, PNG figures, and the numbers of the tables as JSON.

- :class:`CompareConfig` -- the folders to compare and where the report goes (one ``--flag`` per field).
- :func:`compare` -- check the folders, write ``report.md``, ``compare.json`` and the figures; returns the report.

The figures are drawn by :mod:`teduo_gym.evaluation.plots`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from teduo_gym.core.records import to_jsonable
from teduo_gym.envs import KnowledgeError, knowledge_for
from teduo_gym.evaluation.paper import PAPER_PROTOCOL, PAPER_SETTINGS, TEDUO_SOURCE, published
from teduo_gym.evaluation.plots import kinds_of, plot_all
from teduo_gym.evaluation.protocol import SETTINGS
from teduo_gym.evaluation.report import markdown_rows, markdown_table

__all__ = ["CompareConfig", "compare"]

_SUMMARY_KEYS = ("episodes", "success_rate", "success_ci95", "mean_length", "invalid_action_rate")
_EPISODE_KEYS = ("agent", "setting", "success", "length")
_CURVE_COLUMNS = ("steps", "episodes", "success_rate", "mean_length")
_EVALUATE = "pass a folder written by `teduo evaluate` (or re-run it to rewrite the file)"
_BASELINE = "pass a folder written by `teduo baseline sb3` (or re-run it to rewrite the file)"
# What the report's header shows of a baseline's config.
_BASELINE_KEYS = ("algo", "steps", "n_envs", "seed", "protocol_fingerprint")
# The two settings of the paper's main table (and of its per-goal-kind numbers).
_PAPER_PAIR = (PAPER_SETTINGS["train env, train goals"], PAPER_SETTINGS["test env, test goals"])


@dataclass(frozen=True)
class CompareConfig:
    """Compare evaluations and SB3 baselines in one report.

    Example:
        >>> CompareConfig((Path("runs/a/eval"),)).out
        PosixPath('results/compare')
    """

    #: evaluation folders written by `teduo evaluate` (summary.json, episodes/*.jsonl); with several, each agent
    #: name is prefixed with its folder's name.
    evaluations: tuple[Path, ...]
    #: SB3 baseline folders written by `teduo baseline sb3` (sb3.json, learning_curve.csv).
    baselines: tuple[Path, ...] = ()
    #: where report.md, compare.json and the figures are written.
    out: Path = Path("results/compare")


@dataclass(frozen=True)
class _Evaluation:
    folder: Path
    label: str
    record: dict[str, Any]
    episodes: list[dict[str, Any]]

    @property
    def results(self) -> dict[str, Any]:
        return self.record["results"]


@dataclass(frozen=True)
class _Baseline:
    folder: Path
    label: str
    record: dict[str, Any]
    curve: list[dict[str, float]]

    @property
    def config(self) -> dict[str, Any]:
        return self.record["config"]


def compare(config: CompareConfig) -> Path:
    """Check the folders of ``config``; write ``report.md``, ``compare.json`` and the figures into ``config.out``.

    Raises:
        FileNotFoundError: a folder, or a file it must hold, does not exist.
        ValueError: a folder that is not an evaluation (or baseline), or a corrupt file (named, with the fix).

    Example:
        >>> import tempfile
        >>> from teduo_gym.core.records import write_record
        >>> root = Path(tempfile.mkdtemp())
        >>> s = {"episodes": 4, "success_rate": 0.5, "success_ci95": [0.15, 0.85], "mean_length": 9.0,
        ...      "invalid_action_rate": 0.1}
        >>> _ = write_record(root / "eval" / "summary.json", {}, {"protocol": {"env": "BabyAI-GoToLocal-v0"},
        ...     "fingerprint": "f00d", "evaluation": {"train layouts / train goals": {"random": s}}})
        >>> compare(CompareConfig((root / "eval",), out=root / "report"))  # doctest: +ELLIPSIS
        PosixPath('.../report/report.md')
    """
    if not config.evaluations:
        raise ValueError("no evaluation folders given: pass at least one folder written by `teduo evaluate`")
    folders = [*config.evaluations, *config.baselines]
    if len({f.resolve() for f in folders}) < len(folders):
        raise ValueError(f"a folder is given twice in {[str(f) for f in folders]}")
    labels = _short_names(config.evaluations)
    evaluations = [_load_evaluation(f, label) for f, label in zip(config.evaluations, labels)]
    baselines = _label_baselines([_load_baseline(f) for f in config.baselines])
    agents = _agents(evaluations)
    kinds = _goal_kinds(evaluations)
    summaries = {
        setting: {
            name: ev.results["evaluation"][setting][agent]
            for name, (ev, agent) in agents.items()
            if agent in ev.results["evaluation"].get(setting, {})
        }
        for setting in SETTINGS
    }
    summaries = {setting: rows for setting, rows in summaries.items() if rows}
    episodes = {name: [r for r in ev.episodes if r["agent"] == agent] for name, (ev, agent) in agents.items()}
    episodes = {name: records for name, records in episodes.items() if records}
    numbers = {
        "evaluations": [_describe(ev) for ev in evaluations],
        "protocols_differ": len({ev.results.get("fingerprint") for ev in evaluations}) > 1,
        "agents": {
            name: {"folder": ev.label, "agent": agent, "fingerprint": ev.results.get("fingerprint")}
            for name, (ev, agent) in agents.items()
        },
        "settings": summaries,
        "by_kind": {s: {name: _kind_rates(row) for name, row in rows.items()} for s, rows in summaries.items()},
        "episode_lengths": {name: _length_stats(records) for name, records in episodes.items()},
        "published_comparison": _comparison_rows(summaries, kinds),
        "sb3": [_final(b) for b in baselines],
    }
    out = config.out
    out.mkdir(parents=True, exist_ok=True)
    curves = {b.label: b.curve for b in baselines}
    numbers["figures"] = plot_all(out, list(agents), summaries, episodes, curves, kinds)
    (out / "compare.json").write_text(json.dumps(to_jsonable(numbers), indent=2))
    report = out / "report.md"
    report.write_text(_render(numbers, evaluations, baselines, kinds))
    return report


# ---------------------------------------------------------------------------------------------------------- inputs


def _short_names(folders: Sequence[Path]) -> list[str]:
    """The fewest trailing path parts that tell the folders apart (``runs/a/eval``, ``runs/b/eval`` -> ``a/eval``,
    ``b/eval``); the folders are distinct."""
    resolved = [f.resolve() for f in folders]
    depth = 1
    while len({p.parts[-depth:] for p in resolved}) < len(resolved):
        depth += 1
    return ["/".join(p.parts[-depth:]) for p in resolved]


def _require_folder(folder: Path, fix: str) -> None:
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {folder}: {fix}")


def _read_json(path: Path, kind: str, fix: str) -> dict[str, Any]:
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: {path.parent} is not {kind} folder; {fix}")
    try:
        data = json.loads(path.read_text())
    except ValueError as err:
        raise ValueError(f"{path} is not valid JSON ({err}): {fix}") from err
    if not isinstance(data, dict):
        raise ValueError(f"{path} holds no JSON object: {fix}")
    return data


def _load_evaluation(folder: Path, label: str) -> _Evaluation:
    _require_folder(folder, _EVALUATE)
    path = folder / "summary.json"
    record = _read_json(path, "an evaluation", _EVALUATE)
    results = record.get("results")
    evaluation = results.get("evaluation") if isinstance(results, dict) else None
    if not isinstance(evaluation, dict):
        raise ValueError(f"{path} is not an evaluation record (it has no results.evaluation): {_EVALUATE}")
    if not evaluation:
        raise ValueError(f"{path} holds no results (results.evaluation is empty): run `teduo evaluate` to completion")
    for setting, rows in evaluation.items():
        if setting not in SETTINGS:
            raise ValueError(f"{path}: unknown setting {setting!r} (expected one of {SETTINGS}): {_EVALUATE}")
        if not isinstance(rows, dict):
            raise ValueError(f"{path}: results.evaluation[{setting!r}] is not a mapping agent -> summary: {_EVALUATE}")
        for agent, summary in rows.items():
            if not (_is_summary(summary) and all(map(_is_summary, summary.get("by_kind", {}).values()))):
                raise ValueError(
                    f"{path}: the summary of {agent!r} in {setting!r} (or one of its goal kinds) lacks "
                    f"one of {_SUMMARY_KEYS}: {_EVALUATE}"
                )
    return _Evaluation(folder, label, record, _read_episodes(folder / "episodes"))


def _is_summary(summary: Any) -> bool:
    return isinstance(summary, dict) and all(k in summary for k in _SUMMARY_KEYS)


def _read_episodes(folder: Path) -> list[dict[str, Any]]:
    """Every episode record of ``folder/*.jsonl`` (none when the folder is missing)."""
    records = []
    for path in sorted(folder.glob("*.jsonl")):
        lines = path.read_text().split("\n")
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as err:
                if number == len(lines):  # no newline after it: a write cut short, which `teduo evaluate` reruns
                    break
                raise ValueError(f"{path}:{number} is not JSON ({err}): {_EVALUATE}") from err
            if not isinstance(record, dict) or any(k not in record for k in _EPISODE_KEYS):
                raise ValueError(f"{path}:{number} is not an episode record (keys {_EPISODE_KEYS}): {_EVALUATE}")
            records.append(record)
    return records


def _load_baseline(folder: Path) -> _Baseline:
    _require_folder(folder, _BASELINE)
    path = folder / "sb3.json"
    record = _read_json(path, "an SB3 baseline", _BASELINE)
    config = record.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("algo"), str):
        raise ValueError(f"{path} has no config.algo: {_BASELINE}")
    path = folder / "learning_curve.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: {_BASELINE}")
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in _CURVE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: the header lacks {missing} (expected {','.join(_CURVE_COLUMNS)}): {_BASELINE}")
        try:
            curve = [{c: float(row[c]) for c in _CURVE_COLUMNS} for row in reader]
        except (TypeError, ValueError) as err:
            raise ValueError(f"{path}:{reader.line_num}: not a number ({err}): {_BASELINE}") from err
    if not curve:
        raise ValueError(f"{path} holds no rows yet: run `teduo baseline sb3` to completion")
    return _Baseline(folder, f"SB3 {config['algo'].upper()}", record, curve)


def _label_baselines(baselines: Sequence[_Baseline]) -> list[_Baseline]:
    """Baselines whose algorithm another baseline shares get their folder's name in their label."""
    algos = [b.config["algo"].lower() for b in baselines]
    shared = [i for i, a in enumerate(algos) if algos.count(a) > 1]
    names = dict(zip(shared, _short_names([baselines[i].folder for i in shared])))
    return [
        _Baseline(b.folder, f"{b.label} ({names[i]})", b.record, b.curve) if i in names else b
        for i, b in enumerate(baselines)
    ]


def _goal_kinds(evaluations: Sequence[_Evaluation]) -> list[str]:
    """The goal kinds of the evaluations' environments, in their order: recorded by `teduo evaluate`, else (older
    records) from the environment's knowledge where it is registered."""
    order: list[str] = []
    for ev in evaluations:
        kinds = ev.results.get("goal_kinds")
        if kinds is None:
            try:
                kinds = knowledge_for(str(ev.results.get("protocol", {}).get("env"))).goal_kinds
            except KnowledgeError:
                kinds = ()
        order += [k for k in kinds if k not in order]
    return order


def _agents(evaluations: Sequence[_Evaluation]) -> dict[str, tuple[_Evaluation, str]]:
    """Every evaluated agent, in the order its evaluation lists them, by the name the report shows."""
    found = {}
    for ev in evaluations:
        evaluated = [a for rows in ev.results["evaluation"].values() for a in rows]
        for agent in dict.fromkeys([*(a for a in ev.results.get("agents", {}) if a in evaluated), *evaluated]):
            found[f"{ev.label}: {agent}" if len(evaluations) > 1 else agent] = (ev, agent)
    return found


# --------------------------------------------------------------------------------------------------------- numbers


def _describe(ev: _Evaluation) -> dict[str, Any]:
    keys = ("protocol", "fingerprint", "text", "actions", "agents")
    return {
        "folder": str(ev.folder),
        "label": ev.label,
        **{k: ev.results.get(k) for k in keys},
        "versions": ev.record.get("versions", {}),
        "created": ev.record.get("created"),
    }


def _final(b: _Baseline) -> dict[str, Any]:
    last = b.curve[-1]
    return {
        "label": b.label,
        "folder": str(b.folder),
        "algo": b.config["algo"],
        "steps": b.config.get("steps"),
        "final_steps": last["steps"],
        "final_success_rate": last["success_rate"],
        "final_mean_length": last["mean_length"],
        "finished": b.record.get("results") is not None,
        "protocol_fingerprint": b.config.get("protocol_fingerprint"),
    }


def _kind_rates(summary: Mapping[str, Any]) -> dict[str, float]:
    return {kind: s["success_rate"] for kind, s in summary.get("by_kind", {}).items()}


def _length_stats(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Mean and median episode length of all episodes and of the successful ones (None: no such episode)."""
    lengths = np.array([r["length"] for r in records], dtype=float)
    won = lengths[[bool(r["success"]) for r in records]]
    return {
        "episodes": len(lengths),
        "mean": lengths.mean(),
        "median": np.median(lengths),
        "successful": len(won),
        "successful_mean": won.mean() if len(won) else None,
        "successful_median": np.median(won) if len(won) else None,
    }


def _measured(setting: str, kind: str | None, name: str, s: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "source": "measured",
        "method": name,
        "setting": setting,
        "kind": kind,
        "episodes": s["episodes"],
        "success": 100 * s["success_rate"],
        "success_ci95": [100 * x for x in s["success_ci95"]],
        "mean_length": s["mean_length"],
        "invalid": 100 * s["invalid_action_rate"],
    }


def _comparison_rows(summaries: Mapping[str, Mapping[str, Any]], kinds: Sequence[str]) -> list[dict[str, Any]]:
    """The TEDUO paper's numbers beside ours: every setting over all goals, then the paper's two main settings per
    goal kind (percentages)."""
    rows = []
    for setting in SETTINGS:
        rows += [asdict(r) for r in published(TEDUO_SOURCE, setting)]
        rows += [_measured(setting, None, name, s) for name, s in summaries.get(setting, {}).items()]
    for kind in kinds:
        for setting in _PAPER_PAIR:
            rows += [asdict(r) for r in published(TEDUO_SOURCE, setting, kind)]
            rows += [
                _measured(setting, kind, name, s["by_kind"][kind])
                for name, s in summaries.get(setting, {}).items()
                if kind in s.get("by_kind", {})
            ]
    return rows


# ---------------------------------------------------------------------------------------------------------- report


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def _preview(items: Sequence[Any], n: int = 5) -> str:
    shown = ", ".join(str(i) for i in items[:n])
    return f"{len(items)} ({shown}{', ...' if len(items) > n else ''})" if items else "0"


def _versions(record: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in record.get("versions", {}).items()) or "not recorded"


def _protocol_lines(ev: _Evaluation) -> list[str]:
    p, results = ev.results.get("protocol", {}), ev.results
    goals = {k: [f'"{g}"' for g in p.get(k, [])] for k in ("train_goals", "test_goals")}
    agents = ", ".join(f"`{a}` = {src}" for a, src in results.get("agents", {}).items())
    return [
        f"### `{ev.label}` ({ev.folder})",
        "",
        f"- environment `{p.get('env', '?')}`, protocol fingerprint `{results.get('fingerprint', '?')}`, "
        f"state text `{results.get('text', '?')}`, {results.get('actions', 'greedy')} actions",
        f"- layouts: train {_preview(p.get('train_layouts', []))}; test {_preview(p.get('test_layouts', []))}",
        f"- goals: train {_preview(goals['train_goals'], 3)}; test {_preview(goals['test_goals'], 3)}",
        f"- {p.get('episodes', '?')} episodes per setting, step cap {p.get('max_steps', '?')}, "
        f"episode seed {p.get('seed', '?')}",
        f"- agents: {agents or 'not listed'}",
        f"- versions: {_versions(ev.record)}",
        f"- evaluated: {ev.record.get('created', '?')}",
        "",
    ]


def _paper_differences(protocol: Mapping[str, Any]) -> list[str]:
    """How a protocol differs from the paper's (counts for the layout and goal lists)."""
    ours = {k: len(v) if isinstance(v, list) else v for k, v in protocol.items()}
    return [
        f"{k.replace('_', ' ')} {ours.get(k, '?')} (paper: {v})" for k, v in PAPER_PROTOCOL.items() if ours.get(k) != v
    ]


def _header(numbers: Mapping[str, Any], evaluations: Sequence[_Evaluation], baselines: Sequence[_Baseline]) -> str:
    lines = ["# Evaluation report (`teduo compare`)", "", "## Inputs", ""]
    if len(evaluations) > 1:
        lines += ["Agent names are prefixed with the name of their evaluation folder.", ""]
    if numbers["protocols_differ"]:
        lines += [
            "**The evaluations use different protocols** (fingerprints differ): compare rows only within one "
            "protocol; each row's folder prefix names its protocol below.",
            "",
        ]
    for ev in evaluations:
        lines += _protocol_lines(ev)
    if baselines:
        lines += ["### SB3 baselines", ""]
        lines += [
            f"- `{b.label}` ({b.folder}): "
            + ", ".join(f"{k.replace('_', ' ')} `{b.config[k]}`" for k in _BASELINE_KEYS if k in b.config)
            + f"; versions: {_versions(b.record)}; trained: {b.record.get('created', '?')}"
            for b in baselines
        ]
        lines.append("")
    return "\n".join(lines)


def _setting_sections(summaries: Mapping[str, Mapping[str, Any]], order: Sequence[str]) -> str:
    lines = ["## Results by setting", ""]
    for setting, rows in summaries.items():
        lines += [f"### {setting}", "", markdown_table(rows), ""]
    lines += ["## Success by goal kind", "", "Success % (episodes); — where the agent met no goal of that kind.", ""]
    for setting, rows in summaries.items():
        kinds = kinds_of(rows, order)
        table = [
            [name]
            + [
                f"{100 * s['by_kind'][k]['success_rate']:.1f} ({s['by_kind'][k]['episodes']})"
                if k in s.get("by_kind", {})
                else "—"
                for k in kinds
            ]
            for name, s in rows.items()
        ]
        lines += [
            f"### {setting}",
            "",
            markdown_rows(["agent", *kinds], table) if kinds else "No per-kind results.",
            "",
        ]
    return "\n".join(lines)


def _lengths_section(stats: Mapping[str, Mapping[str, Any]]) -> str:
    header = [
        "agent",
        "episodes",
        "mean length",
        "median length",
        "successful",
        "mean length (successful)",
        "median length (successful)",
    ]
    rows = [
        [
            name,
            s["episodes"],
            _num(s["mean"]),
            _num(s["median"]),
            s["successful"],
            _num(s["successful_mean"]),
            _num(s["successful_median"]),
        ]
        for name, s in stats.items()
    ]
    body = markdown_rows(header, rows) if rows else "No episode records (episodes/*.jsonl) in the evaluation folders."
    return "\n".join(["## Episode lengths (all settings, from the episode records)", "", body, ""])


def _comparison_section(numbers: Mapping[str, Any], evaluations: Sequence[_Evaluation]) -> str:
    differences = [
        f"`{ev.label}`: " + ("; ".join(d) if d else "same environment, counts, episodes and step cap as the paper")
        for ev in evaluations
        for d in [_paper_differences(ev.results.get("protocol", {}))]
    ]
    note = (
        f"> Rows labelled *{TEDUO_SOURCE}* are the paper's numbers (Pouplin et al., ICML 2025), not measured here: "
        f"BabyAI Synth (22x22, 3x3 rooms), {PAPER_PROTOCOL['episodes']} episodes per setting, "
        f"{PAPER_PROTOCOL['max_steps']}-step cap, Llama-3-8B fine-tuned with LoRA on 4x A100. They are context, not a "
        "like-for-like comparison unless the protocol matches. Protocol differences: " + " | ".join(differences) + ". "
        "The paper's per-goal-kind numbers are given as train -> test; they are shown here as "
        f"{_PAPER_PAIR[0]} -> {_PAPER_PAIR[1]}."
    )

    def success(r: Mapping[str, Any]) -> str:
        ci = r.get("success_ci95")
        return _num(r["success"]) + (f" ({ci[0]:.1f}-{ci[1]:.1f})" if ci else "")

    rows = numbers["published_comparison"]
    overall = [
        [r["setting"], r["source"], r["method"], success(r), _num(r["mean_length"]), _num(r["invalid"])]
        for r in rows
        if r["kind"] is None
    ]
    per_kind = [[r["kind"], r["setting"], r["source"], r["method"], success(r)] for r in rows if r["kind"]]
    anchors = [[r.source, r.method, _num(r.success), r.note] for r in published() if r.setting is None]
    return "\n".join(
        [
            "## Ours vs published",
            "",
            note,
            "",
            markdown_rows(
                ["setting", "source", "method / agent", "success % (95% CI)", "mean length", "invalid %"], overall
            ),
            "",
            "### By goal kind",
            "",
            markdown_rows(["goal kind", "setting", "source", "method / agent", "success % (95% CI)"], per_kind),
            "",
            "### Other published anchors (different protocols)",
            "",
            markdown_rows(["source", "method", "success %", "measured on"], anchors),
            "",
        ]
    )


def _sb3_section(finals: Sequence[Mapping[str, Any]]) -> str:
    rows = [
        [
            f["label"],
            f["steps"] if f["steps"] is not None else "—",
            f"{f['final_steps']:.0f}",
            _num(100 * f["final_success_rate"]),
            _num(f["final_mean_length"]),
            "yes" if f["finished"] else "no (still training)",
        ]
        for f in finals
    ]
    header = ["baseline", "step budget", "steps done", "final success %", "final mean length", "finished"]
    note = (
        "Training success rates, the last row of each learning_curve.csv (a moving window over the last training "
        "episodes), not measured on the protocol's settings above."
    )
    return "\n".join(["## SB3 baselines", "", note, "", markdown_rows(header, rows), ""])


_FIGURE_CAPTIONS = {
    "success_by_setting.png": "success % by agent and setting, 95% CI error bars",
    "success_by_goal_kind.png": "success % by goal kind, one panel per setting, 95% CI error bars",
    "episode_lengths.png": "episode lengths per agent, all episodes vs successful ones",
    "sb3_learning_curves.png": "SB3 success % against environment steps",
}


def _render(
    numbers: Mapping[str, Any],
    evaluations: Sequence[_Evaluation],
    baselines: Sequence[_Baseline],
    kinds: Sequence[str],
) -> str:
    figures = [f"- [{name}]({name}): {_FIGURE_CAPTIONS[name]}" for name in numbers["figures"]]
    parts = [
        _header(numbers, evaluations, baselines),
        _setting_sections(numbers["settings"], kinds),
        _lengths_section(numbers["episode_lengths"]),
        _comparison_section(numbers, evaluations),
        _sb3_section(numbers["sb3"]) if baselines else "",
        "\n".join(["## Figures", "", *figures, ""]),
    ]
    return "\n".join(p for p in parts if p)
