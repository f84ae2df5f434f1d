"""``teduo evaluate``: agents on the TEDUO protocol of a run config, one saved record per episode.

- :class:`EvaluateConfig` -- what to evaluate (one ``--flag`` per field).
- :func:`evaluate` -- the command: :func:`evaluate_run` on the config's protocol, then a table per setting.
- :func:`evaluate_run` -- every agent on every episode of :class:`~teduo_gym.evaluation.protocol.Protocol`, the same
  episodes for all, in shards on the configured executor (this process, local processes or Ray), each shard saved
  as it finishes (an interrupted evaluation resumes). Every shard reseeds its agent, so the records do not depend
  on the executor or on interruptions.
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from teduo_gym.core.executor import ExecutorConfig, map_shards
from teduo_gym.core.records import to_jsonable, write_record
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
from teduo_gym.evaluation.rollout import EpisodeResult, run_episodes
from teduo_gym.llm.config import LLMConfig

__all__ = ["EvaluateConfig", "PIPELINE_AGENTS", "evaluate", "evaluate_run"]

#: A shard holds this many batches of ``n_envs`` episodes (more amortises the tail of each shard, fewer loses less
#: to a killed worker).
SHARD_BATCHES = 4
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
    #: acting text and episodes per setting; none: the defaults of teduo_gym.recipes.teduo.RunConfig.
    config: Path | None = None
    #: agents, each SPEC or NAME=SPEC. SPEC: llm (the model of --llm.*: embedded, a local directory or an
    #: OpenAI-compatible server), untuned (the run's local model), fine-tuned (the run's agent), q-table (the
    #: run's step-2 tables, training goals only), random, bot, a directory saved by LLMAgent, or an SB3 .zip.
    agents: tuple[str, ...] = ("llm", "random", "bot")
    #: episodes per setting (default: the config's eval_episodes).
    episodes: int | None = None
    #: environments each worker runs side by side (an LLM scores them in one batch).
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
    #: where the shards of episodes run ("local": this process, or N processes with --executor.workers N; "ray").
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)


def evaluate(config: EvaluateConfig) -> dict[str, Any]:
    """Run :func:`evaluate_run` for the command's config and print a table per setting (and by goal kind)."""
    from teduo_gym.recipes.teduo import RunConfig

    run = RunConfig.from_file(config.config) if config.config is not None else RunConfig()
    agents = parse_agents(config.agents)
    evaluation = evaluate_run(
        run,
        agents,
        out=config.out,
        episodes=config.episodes,
        executor=config.executor,
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
    executor: ExecutorConfig | None = None,
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
        run: a :class:`~teduo_gym.recipes.teduo.RunConfig`: the protocol, the acting text and the run's own agents.
        agents: name -> spec (see :func:`~teduo_gym.evaluation.agents.build_agent`).
        out: the evaluation folder (default: ``RUN_OUT/evaluation-<fingerprint>-<text>[-sampled]``).
        episodes: episodes per setting (default ``run.eval_episodes``).
        executor: where the shards of ``SHARD_BATCHES * n_envs`` episodes run (default ``run.executor``); each worker
            builds its environments and agent once and reseeds the agent for every shard.
        n_envs: environments side by side in a worker.
        llm: the model of the ``llm`` agent (default: ``run.llm``).
        deterministic: every agent takes its most likely action (SB3's convention); ``False`` samples.
        progress: show a progress bar per agent.

    Raises:
        ValueError: ``out`` holds an evaluation of another protocol, text or action mode, or gives a name another
            agent.
    """
    if n_envs < 1:
        raise ValueError(f"n_envs ({n_envs}) must be >= 1")
    executor = executor or run.executor
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
    try:
        for name, spec in agents.items():
            wanted = [e for e in specs if not (train_goals_only(spec) and e.setting.endswith("test goals"))]
            log = EpisodeLog(out / "episodes" / f"{_slug(name)}.jsonl", name)
            done = set(log.read(specs))
            size = SHARD_BATCHES * n_envs
            shards = [(k, wanted[i : i + size]) for k, i in enumerate(range(0, len(wanted), size))]
            todo = [shard for shard in shards if any(e.index not in done for e in shard[1])]
            if not todo:
                continue
            start = time.perf_counter()
            job = _Job(context, name, spec, n_envs, deterministic)
            initial = sum(e.index in done for e in wanted)
            with tqdm(total=len(wanted), initial=initial, desc=name, disable=not progress) as bar:
                for position, results in map_shards(_play_shard, job, todo, executor):
                    new = [(e, r) for e, r in zip(todo[position][1], results) if e.index not in done]
                    for episode, result in new:  # a shard cut short by a kill is replayed: only its missing episodes
                        log.append(episode, result)
                    bar.update(len(new))
            seconds[name] = round(seconds.get(name, 0.0) + time.perf_counter() - start, 2)
    finally:
        _release()
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
    write_record(out / "summary.json", {"run": run, "executor": executor, "n_envs": n_envs, "llm": llm}, results)
    return evaluation


@dataclass(frozen=True)
class _Job:
    """What a worker needs to play an agent's shards."""

    context: AgentContext
    name: str
    spec: str
    n_envs: int
    deterministic: bool


#: The environments and agent this process holds for the job it played last: ``{"key", "envs", "agent"}``.
_HELD: dict[str, Any] = {}


def _play_shard(job: _Job, shard: tuple[int, Sequence[EpisodeSpec]]) -> list[EpisodeResult]:
    """Play shard ``k``'s episodes with the agent reseeded for the shard (see :func:`map_shards`)."""
    from teduo_gym.envs.babyai.actions import state_key

    k, episodes = shard
    envs, agent = _held(job)
    for env in envs[len(episodes) :]:  # idle in a short shard, but still in the agent's batch: give it a real state
        env.reset(seed=episodes[0].layout_seed, options={"goal": episodes[0].goal})
    agent.seed(int(np.random.SeedSequence([job.context.run.seed, k]).generate_state(1)[0]))
    return run_episodes(
        agent,
        envs,
        [e.layout_seed for e in episodes],
        state_key=state_key,
        reset_options=[{"goal": e.goal} for e in episodes],
        deterministic=job.deterministic,
        progress=False,
    )


def _held(job: _Job) -> tuple[list[Any], Any]:
    """The job's environments and agent, built once per process (a saved model is loaded again if it changed)."""
    identity = agent_identity(job.spec, job.context)
    modified = Path(identity).stat().st_mtime_ns if Path(identity).exists() else None
    key = repr((job, identity, modified))
    if _HELD.get("key") != key:
        _release()
        describer = acting_text(job.context) if reads_text(job.spec) else None
        envs = [job.context.protocol.make_env(describer) for _ in range(job.n_envs)]
        _HELD.update(key=key, envs=envs, agent=build_agent(job.spec, envs, job.context))
    return _HELD["envs"], _HELD["agent"]


def _release() -> None:
    """Close the environments this process holds and drop its agent."""
    for env in _HELD.get("envs", []):
        env.close()
    _HELD.clear()


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
