"""``teduo evaluate``: agents side by side on seeded episodes of one environment, as a table and a JSON record.

- :class:`EvaluateConfig` -- what to evaluate (one ``--flag`` per field).
- :func:`evaluate` -- run it: one :func:`~teduo_gym.evaluation.run_episodes` per agent, the same seeds for all.
- :func:`build_agent` -- an agent from its name: ``llm``, ``random``, ``bot``, a saved LLMAgent, an SB3 zip.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym

from teduo_gym.agents import BabyAIBotAgent, LLMAgent, RandomAgent, SB3Agent
from teduo_gym.evaluation.metrics import summarize
from teduo_gym.evaluation.report import markdown_table
from teduo_gym.evaluation.rollout import run_episodes
from teduo_gym.llm.config import LLMConfig
from teduo_gym.records import write_record

__all__ = ["EvaluateConfig", "evaluate", "build_agent"]


@dataclass(frozen=True)
class EvaluateConfig:
    """Evaluate agents on one environment: success rate, episode length, invalid-action rate."""

    #: Gymnasium id of a supported environment (BabyAI levels, e.g. BabyAI-GoToLocal-v0).
    env: str = "BabyAI-GoToLocal-v0"
    #: agents to compare: llm (the LLM of --llm.*), random, bot, a saved LLMAgent directory, or an SB3 .zip.
    agents: tuple[str, ...] = ("llm", "random", "bot")
    #: the goal of each episode: 'mission' (the level's own), 'feasible' (any goal possible in the layout),
    #: or one goal text such as 'go to the red ball'.
    goal: str = "mission"
    #: episodes per agent (the same seeds for every agent).
    episodes: int = 20
    #: step limit of an episode.
    max_steps: int = 64
    #: environments run side by side (the LLM scores them in one batch).
    n_envs: int = 8
    #: the first layout seed; episodes use seed, seed+1, ...
    seed: int = 0
    #: how states become text for the LLM ('egocentric' or 'full').
    describer: str = "egocentric"
    #: the LLM behind the 'llm' agent.
    llm: LLMConfig = field(default_factory=LLMConfig)
    #: sample actions instead of taking the most likely one.
    stochastic: bool = False
    #: where the JSON record is written.
    out: Path = Path("results/evaluate.json")
    #: show progress bars.
    progress: bool = True


def build_agent(name: str, envs: Sequence[gym.Env], config: EvaluateConfig) -> Any:
    """The agent called ``name`` acting in ``envs`` (see :attr:`EvaluateConfig.agents`)."""
    from teduo_gym.envs import knowledge_for

    knowledge = knowledge_for(config.env)
    goals = envs[0].get_wrapper_attr("goals")
    if name == "random":
        return RandomAgent(envs[0].action_space, seed=config.seed)
    if name == "bot":
        return BabyAIBotAgent(envs)
    if name == "llm":
        return LLMAgent(config.llm.create(), knowledge.action_words, goals=goals, seed=config.seed)
    path = Path(name)
    if path.suffix == ".zip":
        numeric = envs[0].observation_space["observation"]  # without the text
        return SB3Agent(path, numeric)
    if path.is_dir():
        return LLMAgent.from_pretrained(path, goals=goals, seed=config.seed)
    raise ValueError(
        f"unknown agent {name!r}: use llm, random, bot, a directory saved by LLMAgent.save_pretrained, "
        "or a Stable-Baselines3 .zip"
    )


def evaluate(config: EvaluateConfig) -> dict[str, Any]:
    """Evaluate every agent of ``config`` on the same seeds; print a table and write the JSON record."""
    from teduo_gym.envs import knowledge_for

    knowledge = knowledge_for(config.env)
    sampler, goals, options = config.goal, None, None
    if config.goal not in ("mission", "feasible"):  # one goal text, given to every episode
        sampler, goals, options = "uniform", knowledge.goals_with(config.goal), {"goal": config.goal}

    def make_env() -> gym.Env:
        return knowledge.make_env(
            config.env,
            goals=goals,
            text=True,
            describer=config.describer,
            goal_sampler=sampler,
            max_steps=config.max_steps,
        )

    seeds = [config.seed + i for i in range(config.episodes)]
    summaries: dict[str, Any] = {}
    episodes: dict[str, Any] = {}
    for name in config.agents:
        envs = [make_env() for _ in range(min(config.n_envs, len(seeds)))]
        agent = build_agent(name, envs, config)
        start = time.perf_counter()
        results = run_episodes(
            agent,
            envs,
            seeds,
            state_key=knowledge.state_key,
            deterministic=not config.stochastic,
            reset_options=options,
            progress=f"{name}" if config.progress else False,
        )
        seconds = time.perf_counter() - start
        summaries[name] = {
            **summarize(results),
            "seconds": seconds,
            "steps_per_second": _rate(results, seconds),
        }
        episodes[name] = results
        for env in envs:
            env.close()
    print("\n" + markdown_table(summaries))
    write_record(config.out, config, {"summary": summaries, "episodes": episodes, "seeds": seeds})
    print(f"\nwrote {config.out}")
    return summaries


def _rate(results: Sequence[Any], seconds: float) -> float:
    return sum(r.length for r in results) / seconds if seconds > 0 else 0.0
