"""Agents on a :class:`~teduo_gym.evaluation.protocol.Protocol`, one saved record per episode.

- :func:`evaluate_agents` -- every agent on every episode of a protocol, the same episodes for all, in shards on the
  configured executor (this process, local processes or Ray), each shard saved as it finishes (an interrupted
  evaluation resumes). Every shard reseeds its agent, so the records do not depend on the executor or on
  interruptions. ``teduo evaluate`` runs it on a run config's protocol
  (:func:`~teduo_gym.recipes.teduo_evaluation.evaluate_run`).
- :func:`print_evaluation` -- a Markdown table per setting, and by goal kind.

An evaluation folder holds ``protocol.json`` (the protocol, its fingerprint, the acting text, greedy or sampled
actions, what each agent name stands for, and ``n_envs``), ``episodes/<agent>.jsonl`` (one record per finished
episode), ``seconds.json`` (each agent's seconds so far, rewritten after every shard) and ``summary.json`` (config,
seeds, versions and, per setting and agent, success rate, mean length and invalid-action rate with their 95%
intervals, each also by goal kind).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from teduo_gym.core.executor import ExecutorConfig, map_shards
from teduo_gym.core.io import write_json
from teduo_gym.core.records import to_jsonable, write_record
from teduo_gym.evaluation.agents import AgentFactory
from teduo_gym.evaluation.episodes import EpisodeLog, summarize_records
from teduo_gym.evaluation.protocol import EpisodeSpec, Protocol
from teduo_gym.evaluation.report import markdown_table
from teduo_gym.evaluation.rollout import EpisodeResult, run_episodes

__all__ = ["SHARD_BATCHES", "evaluate_agents", "print_evaluation"]

#: The file of each agent's seconds so far, rewritten after every shard.
_SECONDS = "seconds.json"
#: A shard holds this many batches of ``n_envs`` episodes (more amortises the tail of each shard, fewer loses less
#: to a killed worker).
SHARD_BATCHES = 4


def evaluate_agents(
    factory: AgentFactory,
    agents: Mapping[str, str],
    out: Path,
    *,
    executor: ExecutorConfig | None = None,
    n_envs: int = 8,
    deterministic: bool = True,
    progress: bool = True,
    record: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Every agent on every episode of ``factory.protocol``; returns ``{setting: {agent: summary}}`` for every agent of
    the folder (those of earlier calls too), also written to ``out/summary.json``.

    Episodes already recorded in ``out`` are not rerun; agents can be added to an existing folder. Agents that
    know only the training goals (:meth:`AgentFactory.train_goals_only`) skip the settings with test goals.

    Example:
        >>> import tempfile
        >>> protocol = Protocol("BabyAI-GoToLocal-v0", (1,), (2,), ("go to a ball",), (), episodes=2, max_steps=8)
        >>> evaluation = evaluate_agents(AgentFactory(protocol), {"random": "random"}, Path(tempfile.mkdtemp()),
        ...                              progress=False)
        >>> evaluation["train layouts / train goals"]["random"]["episodes"]
        2

    Args:
        factory: builds each agent from its spec, on the protocol's environments.
        agents: name -> spec (see :class:`~teduo_gym.evaluation.agents.AgentFactory`).
        out: the evaluation folder.
        executor: where the shards of ``SHARD_BATCHES * n_envs`` episodes run (default: this process); each worker
            builds its environments and agent once and reseeds the agent for every shard.
        n_envs: environments side by side in a worker.
        deterministic: every agent takes its most likely action (SB3's convention); ``False`` samples.
        progress: show a progress bar per agent.
        record: more of the configuration to write into ``summary.json`` (beside the executor and ``n_envs``).

    Raises:
        ValueError: ``out`` holds an evaluation of another protocol, text or action mode, or gives a name another
            agent.
    """
    if n_envs < 1:
        raise ValueError(f"n_envs ({n_envs}) must be >= 1")
    executor = executor or ExecutorConfig()
    protocol = factory.protocol
    mode = {"text": factory.text, "actions": "greedy" if deterministic else "sampled"}
    folder_agents = _claim(out, protocol, mode, {n: factory.identity(spec) for n, spec in agents.items()}, n_envs)
    specs = protocol.episode_specs()
    summary_path = out / "summary.json"
    seconds = _seconds(summary_path, out / _SECONDS)
    try:
        for name, spec in agents.items():
            wanted = [e for e in specs if not (factory.train_goals_only(spec) and e.setting.endswith("test goals"))]
            log = EpisodeLog(out / "episodes" / f"{_slug(name)}.jsonl", name)
            done = set(log.read(specs))
            size = SHARD_BATCHES * n_envs
            shards = [(k, wanted[i : i + size]) for k, i in enumerate(range(0, len(wanted), size))]
            todo = [shard for shard in shards if any(e.index not in done for e in shard[1])]
            if not todo:
                continue
            start = time.perf_counter()
            job = _Job(factory, name, spec, n_envs, deterministic)
            initial = sum(e.index in done for e in wanted)
            with tqdm(total=len(wanted), initial=initial, desc=name, disable=not progress) as bar:
                for position, results in map_shards(_play_shard, job, todo, executor):
                    new = [(e, r) for e, r in zip(todo[position][1], results) if e.index not in done]
                    for episode, result in new:  # a shard cut short by a kill is replayed: only its missing episodes
                        log.append(episode, result)
                    bar.update(len(new))
                    now = time.perf_counter()  # kept per shard, so a killed run's seconds count in the resume's
                    seconds[name], start = round(seconds.get(name, 0.0) + now - start, 2), now
                    write_json(out / _SECONDS, seconds)
    finally:
        _release()
    evaluation: dict[str, dict[str, Any]] = {setting: {} for setting in dict.fromkeys(e.setting for e in specs)}
    for name in folder_agents:  # every agent of the folder, those of earlier calls too
        records = EpisodeLog(out / "episodes" / f"{_slug(name)}.jsonl", name).read(specs)
        for setting, summary in summarize_records(records[i] for i in sorted(records)).items():
            evaluation[setting][name] = summary
    evaluation = {setting: found for setting, found in evaluation.items() if found}
    summary = {
        "protocol": dataclasses.asdict(protocol),
        "fingerprint": protocol.fingerprint(),
        **mode,
        "goal_kinds": list(protocol.knowledge.goal_kinds),
        "agents": folder_agents,
        "seconds": seconds,
        "evaluation": evaluation,
    }
    write_record(summary_path, {**(record or {}), "executor": executor, "n_envs": n_envs}, summary)
    return evaluation


def print_evaluation(evaluation: Mapping[str, Mapping[str, Any]]) -> None:
    """Print :func:`evaluate_agents`'s result: a Markdown table per setting, then by goal kind.

    Example:
        >>> s = {"episodes": 2, "success_rate": 0.5, "success_ci95": [0.1, 0.9], "mean_length": 5.0,
        ...      "invalid_action_rate": 0.0, "by_kind": {}}
        >>> print_evaluation({"train layouts / train goals": {"bot": s}})  # doctest: +ELLIPSIS
        <BLANKLINE>
        ### train layouts / train goals
        | agent | episodes | success % (95% CI) | ...
    """
    for setting, summaries in evaluation.items():
        print(f"\n### {setting}\n{markdown_table(summaries)}")
        by_kind = {f"{a} / {k}": s for a, summary in summaries.items() for k, s in summary["by_kind"].items()}
        print(f"\nby goal kind:\n{markdown_table(by_kind)}")


@dataclass(frozen=True)
class _Job:
    """What a worker needs to play an agent's shards."""

    factory: AgentFactory
    name: str
    spec: str
    n_envs: int
    deterministic: bool


#: The environments and agent this process holds for the job it played last: ``{"key", "envs", "agent"}``.
_HELD: dict[str, Any] = {}


def _play_shard(job: _Job, shard: tuple[int, Sequence[EpisodeSpec]]) -> list[EpisodeResult]:
    """Play shard ``k``'s episodes with the agent reseeded for the shard (see :func:`map_shards`)."""
    k, episodes = shard
    envs, agent = _held(job)
    for env in envs[len(episodes) :]:  # idle in a short shard, but still in the agent's batch: give it a real state
        env.reset(seed=episodes[0].layout_seed, options={"goal": episodes[0].goal})
    agent.seed(int(np.random.SeedSequence([job.factory.seed, k]).generate_state(1)[0]))
    return run_episodes(
        agent,
        envs,
        [e.layout_seed for e in episodes],
        state_key=job.factory.protocol.knowledge.state_key,
        reset_options=[{"goal": e.goal} for e in episodes],
        deterministic=job.deterministic,
        progress=False,
    )


def _held(job: _Job) -> tuple[list[Any], Any]:
    """The job's environments and agent, built once per process (a saved model is loaded again if it changed)."""
    identity = job.factory.identity(job.spec)
    modified = Path(identity).stat().st_mtime_ns if Path(identity).exists() else None
    key = repr((job, identity, modified))
    if _HELD.get("key") != key:
        _release()
        describer = job.factory.acting_text() if job.factory.reads_text(job.spec) else None
        envs = [job.factory.protocol.make_env(describer) for _ in range(job.n_envs)]
        _HELD.update(key=key, envs=envs, agent=job.factory.build(job.spec, envs))
    return _HELD["envs"], _HELD["agent"]


def _release() -> None:
    """Close the environments this process holds and drop its agent."""
    for env in _HELD.get("envs", []):
        env.close()
    _HELD.clear()


def _claim(
    out: Path, protocol: Protocol, mode: Mapping[str, str], agents: Mapping[str, str], n_envs: int
) -> dict[str, str]:
    """Write ``out/protocol.json``, or check that the one there is this protocol's, played with the same ``n_envs``
    (an episode's random stream depends on its shard, of ``SHARD_BATCHES * n_envs`` episodes), and that its agents
    of the same names are the same agents (``agents``: name -> identity); new agents are added. Two names of one
    episode-log file are refused. Returns every agent of the folder (name -> identity)."""
    path = out / "protocol.json"
    mine = {"fingerprint": protocol.fingerprint(), **mode, "protocol": to_jsonable(protocol), "n_envs": n_envs}
    known: dict[str, str] = {}
    if path.exists():
        try:
            saved = json.loads(path.read_text())
            theirs = {k: saved[k] for k in ("fingerprint", *mode)}
            known = dict(saved["agents"])
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path} is not an evaluation's protocol file ({err}): choose another --out") from err
        if saved.get("n_envs", n_envs) != n_envs:
            raise ValueError(
                f"{out} was evaluated with --n-envs {saved['n_envs']} (the episodes' random streams depend on it), "
                f"not {n_envs}: pass --n-envs {saved['n_envs']} to resume or add agents, or choose another --out"
            )
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
    folder_agents = {**known, **agents}
    files: dict[str, list[str]] = {}
    for name in folder_agents:
        files.setdefault(_slug(name), []).append(name)
    shared = {f"episodes/{file}.jsonl": names for file, names in files.items() if len(names) > 1}
    if shared:
        raise ValueError(
            f"agent names {sorted(n for names in shared.values() for n in names)} share an episode log ({shared}): "
            "name them apart in letters, digits, '.', '_' or '-' (NAME=SPEC)"
        )
    write_json(path, {**mine, "agents": folder_agents})
    return folder_agents


def _seconds(summary_path: Path, seconds_path: Path) -> dict[str, float]:
    """The seconds each agent has played so far: from ``seconds.json``, written after every shard (a killed run's
    too), else from ``summary.json`` (none before the first call).

    Raises:
        ValueError: the file is truncated or not an evaluation's (named, with the fix).
    """
    if seconds_path.exists():
        try:
            kept = json.loads(seconds_path.read_text())
            if isinstance(kept, dict):
                return {str(k): float(v) for k, v in kept.items()}
        except (ValueError, TypeError):
            pass  # cut short by a kill: fall back on the summary
    if not summary_path.exists():
        return {}
    try:
        seconds = json.loads(summary_path.read_text())["results"]["seconds"]
        if not isinstance(seconds, dict):
            raise TypeError(f"seconds is a {type(seconds).__name__}")
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(
            f"{summary_path} is truncated or not an evaluation's summary ({type(err).__name__}: {err}): delete it, "
            "and the next `teduo evaluate` on this folder rewrites it from the episode logs (the agents' seconds "
            "restart at 0)"
        ) from err
    return dict(seconds)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)
