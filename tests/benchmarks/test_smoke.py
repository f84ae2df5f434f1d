"""Every script under benchmarks/ runs at a tiny budget (its ``--smoke`` flag), in this process, so none of them
rots. Nothing here checks a timing: a smoke run's figures mean nothing; only that the script runs and prints its
table, the reference and the ratio to it side by side."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import torch
import tyro

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
#: smoke runs of minutes on 2 cores, run with `-m slow`: bench_craftax (JAX compiles five loops), bench_relabel (the
#: embedded LLM generates instructions for two trajectories with two prompts, ~2 min).
SLOW = {"bench_craftax", "bench_relabel"}
SCRIPTS = [
    pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name
    for name in sorted(path.stem for path in BENCHMARKS.glob("bench_*.py"))
]
#: what a script needs beyond the package's dependencies (the test extra installs them).
NEEDS = {"bench_craftax": "craftax", "bench_executor": "ray"}
#: a ratio as the scripts print it: "1.00x", "| 0.95 |", "(1.02)", "  12.3" under a "ratio"/"x raw" column.
RATIO = re.compile(r"ratio|speed-up|x raw|vs |\d\.\d+x")


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_benchmark_runs_at_a_tiny_budget(name, monkeypatch, tmp_path, capsys):
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # the scripts import benchmarks/common.py as `common`
    monkeypatch.chdir(tmp_path)  # whatever a script writes by default lands here
    module = importlib.import_module(name)
    threads = torch.get_num_threads()
    try:
        module.main(tyro.cli(module.Args, args=["--smoke"]))
    finally:
        torch.set_num_threads(threads)  # bench_sb3 trains on one thread, as train_sb3 does
    out = capsys.readouterr().out
    assert out.strip() and (name == "bench_reading" or RATIO.search(out)), out
