"""``teduo evaluate``: agents on the TEDUO protocol of a run config, one saved record per episode.

- :class:`EvaluateConfig` -- what to evaluate (one ``--flag`` per field).
- :func:`evaluate` -- the command: :func:`evaluate_run` on the config's protocol, then a table per setting.
- :func:`evaluate_run` -- every agent on every episode of :class:`~teduo_gym.evaluation.protocol.Protocol`, the same
  episodes for all, saved as they end (an interrupted evaluation resumes), in parallel processes if asked.
- :data:`PIPELINE_AGENTS` -- the agents ``teduo run`` compares.

An evaluation folder holds ``protocol.json`` (the protocol, its fingerprint, the acting text, greedy or sampled
actions, and what each agent name stands for), ``episodes/<agent>.jsonl`` (one record per finished episode) and
``summary.json`` (config, seeds, versions and, per setting and agent, success rate, mean length and invalid-action
rate with their 95% intervals, each also by goal kind).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from teduo_gym.evaluation.agents import (
    AgentContext,
    acting_text,
    agent_identity,
    build_agent,
    parse_agents,
    reads_text,
    train_goals_only,
)
from teduo_gym.evaluation.episodes import EpisodeLog, summarize_records
from teduo_gym.evaluation.protocol import EpisodeSpec, Protocol
from teduo_gym.evaluation.report import markdown_table
from teduo_gym.evaluation.rollout import run_episodes
from teduo_gym.llm.config import LLMConfig
from teduo_gym.records import to_jsonable, write_record

__all__ = ["EvaluateConfig", "PIPELINE_AGENTS", "evaluate", "evaluate_run"]

#: The agents ``teduo run`` compares: name -> spec (see :func:`~teduo_gym.evaluation.agents.build_agent`).
PIPELINE_AGENTS: dict[str, str] = {
    "fine-tuned": "fine-tuned",
    "untuned": "untuned",
    "Q-table": "q-table",
    "random": "random",
    "bot": "bot",
}


@dataclass(frozen=True)
class EvaluateConfig:
    """Evaluate agents on the TEDUO protocol of a run config: train / test layouts x train / test goals."""

    #: a `teduo run` JSON config (e.g. examples/babyai-quick.json) fixing the level, layouts, goals, step cap,
    #: acting text and episodes per setting; none: the defaults of teduo_gym.pipeline.RunConfig.
    config: Path | None = None
    #: agents, each SPEC or NAME=SPEC. SPEC: llm (the model of --llm.*: embedded, a local directory or an
    #: OpenAI-compatible server), untuned (the run's local model), fine-tuned (the run's agent), q-table (the
    #: run's step-2 tables, training goals only), random, bot, a directory saved by LLMAgent, or an SB3 .zip.
    agents: tuple[str, ...] = ("llm", "random", "bot")
    #: episodes per setting (default: the config's eval_episodes).
    episodes: int | None = None
    #: processes running episodes side by side (1: in this process).
    workers: int = 1
    #: environments each process runs side by side (an LLM scores them in one batch).
    n_envs: int = 8
    #: the evaluation folder (default: RUN_OUT/evaluation-<protocol fingerprint>-<text>[-sampled]).
    out: Path | None = None
    #: the LLM of the 'llm' agent.
    llm: LLMConfig = field(default_factory=LLMConfig)
    #: sample actions from each agent's distribution instead of taking the most likely one (a folder holds one or
    #: the other).
    stochastic: bool = False
    #: show progress bars.
    progress: bool = True


def evaluate(config: EvaluateConfig) -> dict[str, Any]:
    """Run :func:`evaluate_run` for the command's config and print a table per setting (and by goal kind)."""
    from teduo_gym.pipeline import RunConfig

    run = RunConfig.from_file(config.config) if config.config is not None else RunConfig()
    agents = parse_agents(config.agents)
    evaluation = evaluate_run(
        run,
        agents,
        out=config.out,
        episodes=config.episodes,
        workers=config.workers,
        n_envs=config.n_envs,
        llm=config.llm,
        deterministic=not config.stochastic,
        progress=config.progress,
    )
    for setting, summaries in evaluation.items():
        print(f"\n### {setting}\n{markdown_table(summaries)}")
        by_kind = {f"{a} / {k}": s for a, summary in summaries.items() for k, s in summary["by_kind"].items()}
        print(f"\nby goal kind:\n{markdown_table(by_kind)}")
    return evaluation


def evaluate_run(
    run: Any,
    agents: Mapping[str, str],
    *,
    out: Path | None = None,
    episodes: int | None = None,
    workers: int = 1,
    n_envs: int = 8,
    llm: LLMConfig | None = None,
    deterministic: bool = True,
    progress: bool = True,
) -> dict[str, dict[str, Any]]:
    """Every agent on every episode of ``run``'s protocol; returns ``{setting: {agent: summary}}`` for every agent of
    the folder (those of earlier calls too), also written to ``out/summary.json``.

    Episodes already recorded in ``out`` are not rerun; agents can be added to an existing folder. Agents that
    know only the training goals (``q-table``) skip the settings with test goals.

    Args:
        run: a :class:`~teduo_gym.pipeline.RunConfig`: the protocol, the acting text and the run's own agents.
        agents: name -> spec (see :func:`~teduo_gym.evaluation.agents.build_agent`).
        out: the evaluation folder (default: ``RUN_OUT/evaluation-<fingerprint>-<text>[-sampled]``).
        episodes: episodes per setting (default ``run.eval_episodes``).
        workers: processes; each builds its own environments and agent and runs a share of the episodes.
        n_envs: environments per process.
        llm: the model of the ``llm`` agent (default: ``run.llm``).
        deterministic: every agent takes its most likely action (SB3's convention); ``False`` samples.
        progress: show a progress bar per agent.

    Raises:
        ValueError: ``out`` holds an evaluation of another protocol, text or action mode, or gives a name another
            agent.
    """
    if workers < 1 or n_envs < 1:
        raise ValueError(f"workers ({workers}) and n_envs ({n_envs}) must be >= 1")
    protocol = Protocol.from_run_config(run, episodes)
    mode = {"text": run.text, "actions": "greedy" if deterministic else "sampled"}
    default = f"evaluation-{protocol.fingerprint()[:8]}-{run.text}" + ("" if deterministic else "-sampled")
    out = Path(out) if out is not None else Path(run.out) / default
    context = AgentContext(run, protocol, llm or run.llm)
    folder_agents = _claim(out, protocol, mode, {n: agent_identity(spec, context) for n, spec in agents.items()})
    specs = protocol.episode_specs()
    summary_path = out / "summary.json"
    seconds: dict[str, float] = (
        json.loads(summary_path.read_text())["results"]["seconds"] if summary_path.exists() else {}
    )
    for name, spec in agents.items():
        wanted = [e for e in specs if not (train_goals_only(spec) and e.setting.endswith("test goals"))]
        log = EpisodeLog(out / "episodes" / f"{_slug(name)}.jsonl", name)
        todo = [e for e in wanted if e.index not in log.read(specs)]
        if not todo:
            continue
        start = time.perf_counter()
        parts = [todo[w::workers] for w in range(min(workers, len(todo)))]
        jobs = [_Job(context, name, spec, part, n_envs, log.path, len(parts), deterministic) for part in parts]
        with tqdm(total=len(wanted), initial=len(wanted) - len(todo), desc=name, disable=not progress) as bar:
            if len(jobs) == 1:
                _run_job(jobs[0], bar.update)
            else:
                with ProcessPoolExecutor(len(jobs), mp_context=get_context("spawn")) as pool:
                    for done in pool.map(_run_job, jobs):
                        bar.update(done)
        seconds[name] = round(seconds.get(name, 0.0) + time.perf_counter() - start, 2)
    evaluation: dict[str, dict[str, Any]] = {setting: {} for setting in dict.fromkeys(e.setting for e in specs)}
    for name in folder_agents:  # every agent of the folder, those of earlier calls too
        records = EpisodeLog(out / "episodes" / f"{_slug(name)}.jsonl", name).read(specs)
        for setting, summary in summarize_records(records[i] for i in sorted(records)).items():
            evaluation[setting][name] = summary
    evaluation = {setting: found for setting, found in evaluation.items() if found}
    results = {
        "protocol": dataclasses.asdict(protocol),
        "fingerprint": protocol.fingerprint(),
        **mode,
        "agents": folder_agents,
        "seconds": seconds,
        "evaluation": evaluation,
    }
    write_record(out / "summary.json", {"run": run, "workers": workers, "n_envs": n_envs, "llm": llm}, results)
    return evaluation


@dataclass(frozen=True)
class _Job:
    context: AgentContext
    name: str
    spec: str
    episodes: list[EpisodeSpec]
    n_envs: int
    log: Path
    processes: int
    deterministic: bool


def _run_job(job: _Job, advance: Any = None) -> int:
    """Play ``job.episodes`` with a new agent, saving each as it ends; returns how many were played."""
    if job.processes > 1:  # share the cores between the processes
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // job.processes))
    describer = acting_text(job.context) if reads_text(job.spec) else None
    envs = [job.context.protocol.make_env(describer) for _ in range(min(job.n_envs, len(job.episodes)))]
    agent = build_agent(job.spec, envs, job.context)
    log = EpisodeLog(job.log, job.name)

    def save(position: int, result: Any) -> None:
        log.append(job.episodes[position], result)
        if advance is not None:
            advance(1)

    from teduo_gym.envs.babyai.actions import state_key

    run_episodes(
        agent,
        envs,
        [e.layout_seed for e in job.episodes],
        state_key=state_key,
        reset_options=[{"goal": e.goal} for e in job.episodes],
        deterministic=job.deterministic,
        progress=False,
        on_result=save,
    )
    for env in envs:
        env.close()
    return len(job.episodes)


def _claim(out: Path, protocol: Protocol, mode: Mapping[str, str], agents: Mapping[str, str]) -> dict[str, str]:
    """Write ``out/protocol.json``, or check that the one there is this protocol's and that its agents of the same
    names are the same agents (``agents``: name -> identity); new agents are added. Returns every agent of the
    folder (name -> identity)."""
    path = out / "protocol.json"
    mine = {"fingerprint": protocol.fingerprint(), **mode, "protocol": to_jsonable(protocol)}
    known: dict[str, str] = {}
    if path.exists():
        try:
            saved = json.loads(path.read_text())
            theirs = {k: saved[k] for k in ("fingerprint", *mode)}
            known = dict(saved["agents"])
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path} is not an evaluation's protocol file ({err}): choose another --out") from err
        if theirs != {k: mine[k] for k in theirs}:
            raise ValueError(
                f"{out} holds an evaluation of another protocol ({theirs}); this config gives "
                f"{ {k: mine[k] for k in theirs} }: choose another --out, or delete that folder"
            )
        clashes = {n: (known[n], s) for n, s in agents.items() if n in known and known[n] != s}
        if clashes:
            raise ValueError(
                f"{out} already holds agents of these names with other specs (saved, given): {clashes}; give the new "
                "agents other names (NAME=SPEC)"
            )
    out.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    folder_agents = {**known, **agents}
    tmp.write_text(json.dumps({**mine, "agents": folder_agents}, indent=1))
    os.replace(tmp, path)
    return folder_agents


def _saved_seconds(path: Path) -> dict[str, float]:
    """The wall time of each agent recorded by earlier calls (none yet, or an unreadable summary: it is rewritten)."""
    try:
        return dict(json.loads(path.read_text())["results"]["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)
