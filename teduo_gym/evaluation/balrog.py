"""BALROG's evaluation: its tasks, its score, and a table beside its published leaderboard.

The tasks, their text, action names and prompt come from the environment's knowledge
(:meth:`EnvKnowledge.benchmark("balrog") <teduo_gym.envs.EnvKnowledge.benchmark>`: BabyAI's five tasks,
:mod:`teduo_gym.envs.babyai.balrog`).

- :func:`balrog_tasks` -- an environment's BALROG tasks (a :class:`~teduo_gym.envs.Benchmark`).
- :func:`run_balrog` -- play any agent on BALROG's tasks and score it as BALROG does.
- :func:`balrog_table` -- a Markdown table of such results beside BALROG's published BabyAI leaderboard
  (:data:`~teduo_gym.evaluation.paper.BALROG_RESULTS`).
- :func:`balrog_llm_agent` -- ``make_agent`` for an :class:`~teduo_gym.agents.LLMAgent` that chooses among
  BALROG's action names with BALROG's prompt.
- :class:`BalrogConfig`, :func:`balrog` -- ``teduo balrog``: agents by name, a table and a JSON record.

BALROG's score (balrog-ai/BALROG: ``clean_lang_wrapper.py``, ``utils.py::collect_and_summarize_results``): an
episode's *progression* is 100 if the level ever gave a reward > 0 (the mission was achieved) and 0 otherwise; a
task's score is the mean over its episodes, BabyAI's the mean over all episodes of its tasks (the mean of the
task scores when every task has as many episodes), reported ``± standard_error`` with the population standard
deviation: ``sqrt(sum((x - mean)^2) / n) / sqrt(n)`` (0 for one episode). BALROG plays 10 episodes per task
until the level's time limit, with random seeds; here seeds are derived from ``seed`` (see :func:`run_balrog`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym

from teduo_gym.agents import LLMAgent, RandomAgent
from teduo_gym.core.records import write_record
from teduo_gym.envs import Benchmark, knowledge_for
from teduo_gym.evaluation.metrics import wilson_interval
from teduo_gym.evaluation.paper import BALROG_RESULTS
from teduo_gym.evaluation.rollout import run_episodes
from teduo_gym.llm.base import LLMBackend
from teduo_gym.llm.config import LLMConfig

__all__ = ["BalrogConfig", "balrog", "balrog_llm_agent", "balrog_table", "balrog_tasks", "run_balrog"]

#: Seeds of consecutive tasks (in the benchmark's order) start this far apart.
_TASK_STRIDE = 100_000


def balrog_tasks(env: str) -> Benchmark:
    """The BALROG tasks of environment ``env`` (its knowledge's ``benchmark("balrog")``).

    Example:
        >>> list(balrog_tasks("BabyAI-GoToLocal-v0").tasks)
        ['goto', 'pickup', 'open', 'putnext', 'pick_up_seq_go_to']

    Raises:
        MissingKnowledgeError: the environment's knowledge has no BALROG tasks.
    """
    knowledge = knowledge_for(env)
    knowledge.check("benchmark", stage="BALROG")
    return knowledge.benchmark("balrog")


def _standard_error(values: Sequence[float]) -> float:
    """BALROG's standard error: population standard deviation over sqrt(n); 0 for fewer than two values."""
    n = len(values)
    if n < 2:
        return 0.0
    mean = sum(values) / n
    return math.sqrt(sum((x - mean) ** 2 for x in values) / n) / math.sqrt(n)


def run_balrog(
    make_agent: Callable[[Sequence[gym.Env]], Any],
    benchmark: Benchmark,
    episodes_per_task: int = 10,
    seed: int = 0,
    tasks: Iterable[str] | None = None,
    n_envs: int = 4,
    progress: bool = True,
    max_steps: int | None = None,
) -> dict[str, Any]:
    """Play an agent on BALROG's tasks and score it as BALROG does.

    For each task, ``n_envs`` environments from ``benchmark.make_env`` (BabyAI's:
    :func:`~teduo_gym.envs.babyai.balrog.make_balrog_env`), ``make_agent(envs)`` builds the agent acting in them,
    and :func:`~teduo_gym.evaluation.run_episodes` plays its episodes. Episode ``i`` of the ``t``-th task of
    ``benchmark.tasks`` resets with seed ``seed + 100000 * t + i``, whichever tasks are run.

    Example:
        >>> result = run_balrog(lambda envs: RandomAgent(envs[0].action_space, seed=0),
        ...                     balrog_tasks("BabyAI-GoToLocal-v0"), episodes_per_task=2, tasks=["goto"],
        ...                     progress=False)
        >>> sorted(result["tasks"]["goto"]), result["episodes"]
        (['episodes', 'kind', 'mean_length', 'progression', 'progression_ci95', 'standard_error'], 2)

    Args:
        make_agent: ``make_agent(envs) -> agent`` with Stable-Baselines3's ``predict(observation, state,
            episode_start, deterministic)``, acting in ``envs`` (batch entry ``i`` is ``envs[i]``).
        benchmark: the environment's BALROG tasks (:func:`balrog_tasks`).
        episodes_per_task: episodes of each task (BALROG: 10).
        seed: the seeds of all episodes derive from it.
        tasks: BALROG task names (by default all of ``benchmark.tasks``).
        n_envs: environments run side by side per task.
        progress: show progress bars.
        max_steps: a fixed time limit per episode (BALROG's ``eval.max_steps_per_episode``); by default the
            level's own.

    Returns:
        ``{"tasks": {task: {"kind", "episodes", "progression", "progression_ci95", "standard_error",
        "mean_length"}}, "progression", "standard_error", "episodes"}``: progressions in % (the 95% interval is
        Wilson's), ``"progression"`` the mean over tasks (BALROG's BabyAI score) and ``"standard_error"``
        BALROG's, over all episodes.

    Raises:
        ValueError: an unknown task (the message names the tasks), or fewer than one episode per task.
    """
    order = list(benchmark.tasks)
    names = list(dict.fromkeys(order if tasks is None else tasks))
    unknown = [task for task in names if task not in benchmark.tasks]
    if unknown or not names:
        raise ValueError(f"unknown BALROG task(s) {unknown or 'none given'}; the tasks are {', '.join(order)}")
    if not 1 <= episodes_per_task <= _TASK_STRIDE:
        raise ValueError(f"episodes_per_task must be in 1..{_TASK_STRIDE}, got {episodes_per_task}")
    per_task: dict[str, dict[str, Any]] = {}
    everything: list[float] = []
    for task in names:
        count = max(1, min(n_envs, episodes_per_task))
        envs = [benchmark.make_env(task, max_steps=max_steps) for _ in range(count)]
        first = seed + _TASK_STRIDE * order.index(task)
        seeds = list(range(first, first + episodes_per_task))
        results = run_episodes(make_agent(envs), envs, seeds, progress=f"BALROG {task}" if progress else False)
        scores = [100.0 if r.success else 0.0 for r in results]
        low, high = wilson_interval(sum(r.success for r in results), len(results))
        per_task[task] = {
            "kind": benchmark.tasks[task],
            "episodes": len(results),
            "progression": sum(scores) / len(scores),
            "progression_ci95": [100 * low, 100 * high],
            "standard_error": _standard_error(scores),
            "mean_length": sum(r.length for r in results) / len(results),
        }
        everything += scores
    return {
        "tasks": per_task,
        "progression": sum(t["progression"] for t in per_task.values()) / len(per_task),
        "standard_error": _standard_error(everything),
        "episodes": len(everything),
    }


def balrog_table(results: Mapping[str, Mapping[str, Any]], tasks: Sequence[str] | None = None) -> str:
    """A Markdown table: each agent's :func:`run_balrog` result, then BALROG's published BabyAI leaderboard.

    Task columns hold progressions (%); the leaderboard publishes BabyAI's average only.

    Example:
        >>> mine = {"tasks": {"goto": {"progression": 50.0}}, "progression": 50.0, "standard_error": 25.0,
        ...         "episodes": 2}
        >>> print(balrog_table({"random": mine}, ["goto", "pickup"]).splitlines()[2])
        | random | 50.0 | - | 50.0 ± 25.0 | 2 |

    Args:
        results: agent name -> :func:`run_balrog`'s result.
        tasks: the task columns, in order (default: every task of the results, as first met).
    """
    columns = list(tasks) if tasks is not None else list(dict.fromkeys(t for r in results.values() for t in r["tasks"]))
    header = " | ".join(("agent", *columns, "average ± s.e.", "episodes"))
    lines = [f"| {header} |", "|" + "---|" * (len(columns) + 3)]
    for name, result in results.items():
        found = result["tasks"]
        cells = [f"{found[t]['progression']:.1f}" if t in found else "-" for t in columns]
        average = f"{result['progression']:.1f} ± {result['standard_error']:.1f}"
        lines.append(f"| {' | '.join((name, *cells, average, str(result['episodes'])))} |")
    for published in BALROG_RESULTS:
        cells = ["-"] * len(columns)
        lines.append(
            f"| {' | '.join((f'{published.method}, published (BALROG)', *cells, f'{published.success:.1f}', '-'))} |"
        )
    return "\n".join(lines)


def balrog_llm_agent(
    backend: LLMBackend, benchmark: Benchmark, **kwargs: Any
) -> Callable[[Sequence[gym.Env]], LLMAgent]:
    """``make_agent`` for :func:`run_balrog`: an :class:`~teduo_gym.agents.LLMAgent` choosing among BALROG's
    action names (``benchmark.action_words``; BabyAI's never include minigrid's ``done``) with BALROG's prompt
    (``benchmark.template``, without BALROG's 16-turn history).

    The goal vocabulary is the environments' when they have one (the goal is then read from ``desired_goal``),
    else the goal is the observation's mission.

    Example:
        >>> class Backend:  # stands for an LLM: prefers the longest action name
        ...     def score(self, prompts, candidates):
        ...         return [[float(len(c)) for c in candidates] for _ in prompts]
        >>> benchmark = balrog_tasks("BabyAI-GoToLocal-v0")
        >>> env = benchmark.make_env("goto")
        >>> obs, _ = env.reset(seed=0)
        >>> int(balrog_llm_agent(Backend(), benchmark)([env]).predict(obs, deterministic=True)[0])  # "turn right"
        1

    Args:
        backend: the LLM.
        benchmark: the environment's BALROG tasks (:func:`balrog_tasks`).
        **kwargs: passed to :class:`~teduo_gym.agents.LLMAgent` (``template``, ``seed``...).
    """
    kwargs.setdefault("template", benchmark.template)

    def make_agent(envs: Sequence[gym.Env]) -> LLMAgent:
        try:
            goals = envs[0].get_wrapper_attr("goals")
        except AttributeError:
            goals = None
        return LLMAgent(backend, benchmark.action_words, goals=goals, **kwargs)

    return make_agent


@dataclass(frozen=True)
class BalrogConfig:
    """BALROG's tasks of an environment (BabyAI's five), scored as BALROG scores them, beside its published
    leaderboard."""

    #: an id of the environment whose BALROG tasks are played (its knowledge's benchmark "balrog").
    env: str = "BabyAI-GoToLocal-v0"
    #: agents: llm (the model of --llm.*, with BALROG's action names and prompt), random, bot (the environment's
    #: expert), or a directory saved by LLMAgent (it acts with its own action words and template on BALROG's text).
    agents: tuple[str, ...] = ("llm", "random", "bot")
    #: episodes per task (BALROG: 10).
    episodes: int = 10
    #: BALROG task names; none: every task of the environment.
    tasks: tuple[str, ...] | None = None
    #: seeds every episode.
    seed: int = 0
    #: environments run side by side.
    n_envs: int = 4
    #: the LLM of the 'llm' agent.
    llm: LLMConfig = field(default_factory=LLMConfig)
    #: where the JSON record is written.
    out: Path = Path("results/balrog.json")
    #: show progress bars.
    progress: bool = True


def balrog(config: BalrogConfig) -> dict[str, Any]:
    """Run :func:`run_balrog` for every agent of ``config``, print :func:`balrog_table`, write the record.

    Raises:
        ValueError: an agent that is neither a known name nor a saved agent directory.
        MissingKnowledgeError: the environment has no BALROG tasks, or ``bot`` and no expert policy.
    """
    benchmark = balrog_tasks(config.env)
    knowledge = knowledge_for(config.env)

    def maker(name: str) -> Callable[[Sequence[gym.Env]], Any]:
        if name == "llm":
            return balrog_llm_agent(config.llm.create(), benchmark, seed=config.seed)
        if name == "random":
            return lambda envs: RandomAgent(envs[0].action_space, seed=config.seed)
        if name == "bot":
            knowledge.check("expert_policy", stage="the 'bot' agent")
            return knowledge.expert_policy
        if Path(name).is_dir():
            return lambda envs: LLMAgent.from_pretrained(name, seed=config.seed)
        raise ValueError(f"unknown agent {name!r}: use llm, random, bot or a directory saved by LLMAgent")

    makers = {name: maker(name) for name in config.agents}  # every name checked before anything runs
    results = {
        name: run_balrog(make, benchmark, config.episodes, config.seed, config.tasks, config.n_envs, config.progress)
        for name, make in makers.items()
    }
    print("\n" + balrog_table(results, list(benchmark.tasks)))
    write_record(config.out, config, results)
    print(f"\nwrote {config.out}")
    return results
