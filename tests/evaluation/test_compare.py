"""``teduo compare``: report.md, compare.json and figures from evaluation folders and SB3 baseline folders."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from teduo_gym.core.records import write_record
from teduo_gym.envs.babyai.goals import GOAL_KINDS
from teduo_gym.evaluation.compare import CompareConfig, compare
from teduo_gym.evaluation.metrics import summarize
from teduo_gym.evaluation.paper import BALROG_SOURCE, TEDUO_SOURCE
from teduo_gym.evaluation.plots import DPI, FIGURE_SIZES
from teduo_gym.evaluation.protocol import SETTINGS
from teduo_gym.evaluation.report import markdown_table
from teduo_gym.evaluation.rollout import EpisodeResult

TRAIN_GOALS = {
    "go to the red ball": "go to",
    "pick up the blue key": "pick up",
    "open the green door": "open",
    "put the red ball next to the blue key": "put next to",
}
TEST_GOALS = {
    "reach the scarlet sphere": "go to",
    "grab the azure unlocker": "pick up",
    "swing open the jade gate": "open",
}
# agent -> chance of success; "Q-table" knows only the training goals; "LoRA / r16" has a name that is slugified.
AGENTS = {"LoRA / r16": 0.7, "random": 0.15, "Q-table": 0.5}
MAX_STEPS = 64


def protocol(episodes: int) -> dict[str, Any]:
    return {
        "env": "BabyAI-GoToLocal-v0",
        "train_layouts": [1, 2, 3, 4, 5, 6],
        "test_layouts": [100, 101],
        "train_goals": list(TRAIN_GOALS),
        "test_goals": list(TEST_GOALS),
        "aliases": {"reach the scarlet sphere": "go to the red ball"},
        "episodes": episodes,
        "max_steps": MAX_STEPS,
        "seed": 0,
    }


def episode_records(agent: str, chance: float, episodes: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Synthetic episode records of ``agent``, ``episodes`` per setting, indexed as the protocol's episodes."""
    records = []
    for s, setting in enumerate(SETTINGS):
        if agent == "Q-table" and setting.endswith("test goals"):
            continue
        goals = TRAIN_GOALS if setting.endswith("train goals") else TEST_GOALS
        for i in range(episodes):
            goal = list(goals)[i % len(goals)]
            success = bool(rng.random() < chance)
            length = int(rng.integers(3, 30)) if success else MAX_STEPS
            records.append(
                {
                    "index": s * episodes + i,
                    "setting": setting,
                    "layout_seed": int(rng.integers(100)),
                    "goal": goal,
                    "kind": goals[goal],
                    "agent": agent,
                    "success": success,
                    "length": length,
                    "invalid_actions": int(rng.integers(0, length // 2 + 1)),
                    "reward": 1 - 0.9 * length / MAX_STEPS if success else 0.0,
                }
            )
    return records


def summaries(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """setting -> summary with by_kind, computed with metrics.summarize as `teduo evaluate` does."""

    def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
        return summarize(
            [
                EpisodeResult(r["layout_seed"], r["goal"], r["success"], r["length"], r["invalid_actions"], r["reward"])
                for r in rows
            ]
        )

    return {
        setting: {
            **summary([r for r in records if r["setting"] == setting]),
            "by_kind": {
                kind: summary([r for r in records if r["setting"] == setting and r["kind"] == kind])
                for kind in dict.fromkeys(r["kind"] for r in records if r["setting"] == setting)
            },
        }
        for setting in dict.fromkeys(r["setting"] for r in records)
    }


def write_evaluation(folder: Path, *, seed: int = 0, episodes: int = 40, fingerprint: str = "0123456789abcdef"):
    """An evaluation folder as `teduo evaluate` writes it; returns its records by agent and its evaluation."""
    rng = np.random.default_rng(seed)
    records = {agent: episode_records(agent, chance, episodes, rng) for agent, chance in AGENTS.items()}
    evaluation: dict[str, dict[str, Any]] = {}
    for agent, rows in records.items():
        for setting, summary in summaries(rows).items():
            evaluation.setdefault(setting, {})[agent] = summary
        path = folder / "episodes" / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', agent)}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    results = {
        "protocol": protocol(episodes),
        "fingerprint": fingerprint,
        "text": "abstract",
        "agents": {"LoRA / r16": "runs/x/agent-1", "random": "random", "Q-table": "q-table"},
        "evaluation": evaluation,
    }
    write_record(folder / "summary.json", {"run": {"env": "BabyAI-GoToLocal-v0"}}, results)
    return records, evaluation


def write_baseline(folder: Path, algo: str = "ppo", steps: int = 2000, finished: bool = True) -> list[list[float]]:
    """An SB3 baseline folder as `teduo baseline sb3` writes it; returns its curve rows."""
    rows = [
        [step, step // 40, round(0.45 * step / steps, 4), 64 - 20 * step / steps] for step in range(400, steps + 1, 400)
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "learning_curve.csv").write_text(
        "steps,episodes,success_rate,mean_length\n" + "".join(f"{s},{e},{r:.4f},{m:.2f}\n" for s, e, r, m in rows)
    )
    config = {"algo": algo, "steps": steps, "n_envs": 4, "seed": 0, "protocol_fingerprint": "0123456789abcdef"}
    write_record(folder / "sb3.json", config, {"steps_done": steps} if finished else None)
    return rows


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    records, evaluation = write_evaluation(root / "eval")
    curve = write_baseline(root / "sb3-ppo")
    return root, records, evaluation, curve


@pytest.fixture(scope="module")
def report(folders):
    root, *_ = folders
    path = compare(CompareConfig((root / "eval",), (root / "sb3-ppo",), out=root / "out"))
    return path, path.read_text(), json.loads((path.parent / "compare.json").read_text())


def test_writes_every_file_and_valid_images(report):
    path, _, numbers = report
    assert path.name == "report.md"
    assert numbers["figures"] == list(FIGURE_SIZES)
    for name, (width, height) in FIGURE_SIZES.items():
        with Image.open(path.parent / name) as image:
            assert image.format == "PNG"
            assert image.size == (round(width * DPI), round(height * DPI))


def test_numbers_match_the_inputs(folders, report):
    _, records, evaluation, _ = folders
    _, text, numbers = report
    assert numbers["settings"] == evaluation
    for setting, rows in evaluation.items():
        assert f"### {setting}\n\n{markdown_table(rows)}" in text
        kinds = [k for k in GOAL_KINDS if any(k in s["by_kind"] for s in rows.values())]
        for agent, summary in rows.items():
            by_kind = summary["by_kind"]
            assert numbers["by_kind"][setting][agent] == {kind: s["success_rate"] for kind, s in by_kind.items()}
            cells = [f"{100 * by_kind[k]['success_rate']:.1f} ({by_kind[k]['episodes']})" for k in kinds]
            assert f"| {agent} | {' | '.join(cells)} |" in text
    assert "Q-table" not in numbers["settings"]["test layouts / test goals"]
    for agent, rows in records.items():
        stats = numbers["episode_lengths"][agent]
        lengths = [r["length"] for r in rows]
        won = [r["length"] for r in rows if r["success"]]
        assert stats["episodes"] == len(rows) and stats["successful"] == len(won)
        assert stats["mean"] == pytest.approx(np.mean(lengths))
        assert stats["successful_mean"] == pytest.approx(np.mean(won))


def test_header_names_inputs_protocol_and_versions(folders, report):
    root, *_ = folders
    _, text, numbers = report
    for expected in (
        "BabyAI-GoToLocal-v0",
        "0123456789abcdef",
        "40 episodes per setting, step cap 64",
        "train 6 (1, 2, 3, 4, 5, ...)",
        "test 2 (100, 101)",
        '"go to the red ball"',
        "`LoRA / r16` = runs/x/agent-1",
        "gymnasium ",
        str(root / "eval"),
        str(root / "sb3-ppo"),
    ):
        assert expected in text, expected
    assert [e["fingerprint"] for e in numbers["evaluations"]] == ["0123456789abcdef"]


def test_published_rows_beside_measured_ones(folders, report):
    _, _, evaluation, _ = folders
    _, text, numbers = report
    rows = numbers["published_comparison"]
    assert {r["source"] for r in rows} == {TEDUO_SOURCE, "measured"}
    teduo = "| published (TEDUO, Pouplin et al. 2025) | TEDUO, Llama-3-8B + LoRA |"
    assert f"| train layouts / train goals {teduo} 65.0 | 203.0 | 21.0 |" in text
    assert f"| test layouts / test goals {teduo} 45.0 | 286.0 | 31.0 |" in text
    assert f"| test layouts / train goals {teduo} 53.0 | — | — |" in text
    assert f"| train layouts / test goals {teduo} 55.0 | — | — |" in text
    assert f"| put next to | test layouts / test goals {teduo} 0.0 |" in text
    assert f"| open | train layouts / train goals {teduo} 100.0 |" in text
    assert f"| {BALROG_SOURCE} | GPT-4o | 77.6 | BALROG's BabyAI" in text
    assert (
        f"| {TEDUO_SOURCE} | TEDUO step-2 Q policies alone | 16.0 | TEDUO's BabyAI protocol, setting not stated |"
        in text
    )
    mine = evaluation["test layouts / test goals"]["LoRA / r16"]
    low, high = mine["success_ci95"]
    assert (
        f"| test layouts / test goals | measured | LoRA / r16 | {100 * mine['success_rate']:.1f} "
        f"({100 * low:.1f}-{100 * high:.1f}) | {mine['mean_length']:.1f} | {100 * mine['invalid_action_rate']:.1f} |"
    ) in text
    # every table row that quotes the paper says so; every other row of the comparison is labelled measured
    section = text.split("## Ours vs published")[1].split("### Other published anchors")[0]
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith(("| setting", "| goal kind")):
            assert TEDUO_SOURCE in line or "| measured |" in line, line
    assert "4x A100" in text and "BabyAI Synth" in text and "not a like-for-like comparison" in text
    assert "episodes 40 (paper: 400)" in text and "max steps 64 (paper: 500)" in text


def test_sb3_final_success_and_budget(folders, report):
    *_, curve = folders
    _, text, numbers = report
    steps, _, rate, length = curve[-1]
    assert numbers["sb3"][0]["final_success_rate"] == pytest.approx(rate)
    assert numbers["sb3"][0]["steps"] == 2000
    assert f"| SB3 PPO | 2000 | {steps} | {100 * rate:.1f} | {length:.1f} | yes |" in text


def test_learning_curves_only_with_baselines(folders, tmp_path):
    root, *_ = folders
    out = tmp_path / "out"
    compare(CompareConfig((root / "eval",), (root / "sb3-ppo",), out=out))
    assert (out / "sb3_learning_curves.png").is_file()
    text = compare(CompareConfig((root / "eval",), out=out)).read_text()  # the same folder, now without baselines
    assert not (out / "sb3_learning_curves.png").exists()
    assert "sb3_learning_curves" not in text and "## SB3 baselines" not in text
    assert "sb3_learning_curves.png" not in json.loads((out / "compare.json").read_text())["figures"]


def test_several_folders_are_prefixed_and_their_protocols_named(tmp_path):
    write_evaluation(tmp_path / "a" / "eval", seed=1, fingerprint="aaaaaaaaaaaaaaaa")
    write_evaluation(tmp_path / "b" / "eval", seed=2, episodes=20, fingerprint="bbbbbbbbbbbbbbbb")
    write_baseline(tmp_path / "ppo-1", steps=800)
    write_baseline(tmp_path / "ppo-2", steps=1200, finished=False)
    config = CompareConfig(
        (tmp_path / "a" / "eval", tmp_path / "b" / "eval"),
        (tmp_path / "ppo-1", tmp_path / "ppo-2"),
        out=tmp_path / "out",
    )
    text = compare(config).read_text()
    numbers = json.loads((tmp_path / "out" / "compare.json").read_text())
    assert list(numbers["agents"])[:3] == ["a/eval: LoRA / r16", "a/eval: random", "a/eval: Q-table"]
    assert numbers["agents"]["b/eval: random"]["fingerprint"] == "bbbbbbbbbbbbbbbb"
    assert numbers["protocols_differ"] and "different protocols" in text
    assert "### `a/eval`" in text and "aaaaaaaaaaaaaaaa" in text and "bbbbbbbbbbbbbbbb" in text
    assert "| b/eval: random | 20 |" in text
    assert [b["label"] for b in numbers["sb3"]] == ["SB3 PPO (ppo-1)", "SB3 PPO (ppo-2)"]
    assert "| SB3 PPO (ppo-2) | 1200 | 1200 |" in text and "no (still training)" in text


def test_cut_short_last_episode_line_is_dropped(tmp_path):
    records, _ = write_evaluation(tmp_path / "eval", episodes=4)
    with (tmp_path / "eval" / "episodes" / "random.jsonl").open("a") as f:
        f.write('{"index": 99, "setting": "train lay')
    compare(CompareConfig((tmp_path / "eval",), out=tmp_path / "out"))
    numbers = json.loads((tmp_path / "out" / "compare.json").read_text())
    assert numbers["episode_lengths"]["random"]["episodes"] == len(records["random"])


def _corrupt_summary(folder: Path) -> None:
    (folder / "summary.json").write_text('{"config": {}, "results": {"evaluation": ')


def _no_evaluation(folder: Path) -> None:
    write_record(folder / "summary.json", {"algo": "ppo"}, {"steps_done": 10})


def _no_summary(folder: Path) -> None:
    (folder / "summary.json").unlink()


def _corrupt_episodes(folder: Path) -> None:
    path = folder / "episodes" / "random.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], "{not json", *lines[1:]]) + "\n")


def _summary_without_ci(folder: Path) -> None:
    record = json.loads((folder / "summary.json").read_text())
    del record["results"]["evaluation"]["train layouts / train goals"]["random"]["success_ci95"]
    (folder / "summary.json").write_text(json.dumps(record))


@pytest.mark.parametrize(
    "damage, error, message",
    [
        (_no_summary, FileNotFoundError, r"summary\.json not found: .* is not an evaluation folder.*teduo evaluate"),
        (_corrupt_summary, ValueError, r"summary\.json is not valid JSON .*teduo evaluate"),
        (_no_evaluation, ValueError, r"summary\.json is not an evaluation record \(it has no results\.evaluation\)"),
        (_corrupt_episodes, ValueError, r"random\.jsonl:2 is not JSON .*teduo evaluate"),
        (_summary_without_ci, ValueError, r"summary\.json: the summary of 'random' in 'train layouts / train goals'"),
    ],
)
def test_bad_evaluation_folders_name_the_file_and_the_fix(tmp_path, damage, error, message):
    write_evaluation(tmp_path / "eval", episodes=4)
    damage(tmp_path / "eval")
    with pytest.raises(error, match=message):
        compare(CompareConfig((tmp_path / "eval",), out=tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_bad_folders_and_baselines(tmp_path):
    write_evaluation(tmp_path / "eval", episodes=4)
    with pytest.raises(FileNotFoundError, match=r"no folder .*missing: pass a folder written by `teduo evaluate`"):
        compare(CompareConfig((tmp_path / "missing",)))
    with pytest.raises(ValueError, match="at least one folder"):
        compare(CompareConfig(()))
    with pytest.raises(ValueError, match="given twice"):
        compare(CompareConfig((tmp_path / "eval", tmp_path / "eval")))
    write_baseline(tmp_path / "base")
    with pytest.raises(FileNotFoundError, match=r"summary\.json not found: .*base is not an evaluation folder"):
        compare(CompareConfig((tmp_path / "base",)))  # a baseline folder given as an evaluation
    (tmp_path / "base" / "learning_curve.csv").write_text("steps,success_rate\n100,0.5\n")
    with pytest.raises(ValueError, match=r"learning_curve\.csv: the header lacks \['episodes', 'mean_length'\]"):
        compare(CompareConfig((tmp_path / "eval",), (tmp_path / "base",), out=tmp_path / "out"))
    (tmp_path / "base" / "learning_curve.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"learning_curve\.csv not found: .*teduo baseline sb3"):
        compare(CompareConfig((tmp_path / "eval",), (tmp_path / "base",), out=tmp_path / "out"))
    with pytest.raises(FileNotFoundError, match=r"sb3\.json not found: .* is not an SB3 baseline folder"):
        compare(CompareConfig((tmp_path / "eval",), (tmp_path / "eval" / "episodes",)))
