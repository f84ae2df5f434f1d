"""The agents of a TEDUO run on its protocol (``teduo evaluate``), and SB3 baselines on it (``teduo baseline sb3``).

- :class:`EvaluateConfig`, :func:`evaluate` -- the ``teduo evaluate`` command: :func:`evaluate_run` on a run
  config's protocol, then a table per setting.
- :func:`evaluate_run` -- :func:`~teduo_gym.evaluation.evaluate.evaluate_agents` on a
  :class:`~teduo_gym.recipes.teduo.RunConfig`'s protocol, in the run's folder by default.
- :class:`RunAgents` -- :class:`~teduo_gym.evaluation.agents.AgentFactory` with the run's own agents (``untuned``,
  ``fine-tuned``, ``q-table``) and the run's acting text (the abstract state of its labelling, or a describer).
- :func:`pipeline_agents` -- the agents ``teduo run`` compares.
- :func:`train_baseline` -- ``teduo baseline sb3``: :func:`~teduo_gym.online.sb3.train_sb3` on a run config's
  protocol, by default in ``<run out>/baselines/<algo>-<steps>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym

from teduo_gym.agents import LLMAgent, OfflinePolicyAgent
from teduo_gym.core.executor import ExecutorConfig
from teduo_gym.envs import KnowledgeError, knowledge_for
from teduo_gym.evaluation.agents import AgentFactory, parse_agents
from teduo_gym.evaluation.evaluate import evaluate_agents, print_evaluation
from teduo_gym.evaluation.protocol import Protocol
from teduo_gym.labeling import AbstractTextDescriber, HindsightLabeler
from teduo_gym.llm.config import LLMConfig, shared_backend
from teduo_gym.online.config import SB3Config
from teduo_gym.recipes.teduo import RunConfig, StagePaths, plays_text_episodes, q_table_policies
from teduo_gym.wrappers.text_observation import Describer

__all__ = [
    "PIPELINE_AGENTS",
    "EvaluateConfig",
    "RunAgents",
    "evaluate",
    "evaluate_run",
    "pipeline_agents",
    "train_baseline",
]

#: The agents ``teduo run`` compares: name -> spec (see :class:`RunAgents`); ``bot`` where the environment has an
#: expert (:func:`pipeline_agents`).
PIPELINE_AGENTS: dict[str, str] = {
    "fine-tuned": "fine-tuned",
    "untuned": "untuned",
    "Q-table": "q-table",
    "random": "random",
    "bot": "bot",
}


def pipeline_agents(env: str) -> dict[str, str]:
    """:data:`PIPELINE_AGENTS` for ``env``: without ``bot`` where its knowledge has no expert policy.

    Example:
        >>> list(pipeline_agents("BabyAI-GoToLocal-v0"))
        ['fine-tuned', 'untuned', 'Q-table', 'random', 'bot']
    """
    expert = knowledge_for(env).provides("expert_policy")
    return {name: spec for name, spec in PIPELINE_AGENTS.items() if expert or spec != "bot"}


@dataclass(frozen=True, kw_only=True)
class RunAgents(AgentFactory):
    """The agents of a TEDUO run: those of :class:`~teduo_gym.evaluation.agents.AgentFactory` and ``untuned`` (the
    run's local model before fine-tuning), ``fine-tuned`` (the run's agent) and ``q-table`` (the run's step-2
    Q-tables, training goals only); LLM agents read the run's ``text``.

    Example:
        >>> agents = RunAgents.of(RunConfig(out=Path("runs/x")))
        >>> agents.identity("fine-tuned").startswith("runs/x/agent-"), agents.train_goals_only("q-table")
        (True, True)
    """

    #: the run config.
    run: RunConfig

    names: ClassVar[tuple[str, ...]] = ("llm", "untuned", "fine-tuned", "q-table", "random", "bot")

    @classmethod
    def of(cls, run: RunConfig, episodes: int | None = None, llm: LLMConfig | None = None) -> RunAgents:
        """The agents of ``run`` on its protocol (``episodes`` per setting, default ``run.eval_episodes``); ``llm``
        is the model of the ``llm`` agent (default ``run.llm``)."""
        return cls(Protocol.from_run_config(run, episodes), llm or run.llm, run.seed, run=run)

    @property
    def text(self) -> str:
        """The run's acting text (``"abstract"`` or a describer's name)."""
        return self.run.text

    def identity(self, spec: str) -> str:
        """The run's own agents resolve to their folders and models."""
        paths = StagePaths.of(self.run)
        resolved = {
            "fine-tuned": str(paths.agent),
            "q-table": f"q-table of {paths.labels}",
            "untuned": f"untuned {self.run.llm.model or 'embedded SmolLM2'}",
        }
        return resolved.get(spec) or super().identity(spec)

    def reads_text(self, spec: str) -> bool:
        """The LLM agents, the run's included."""
        return spec in ("untuned", "fine-tuned") or super().reads_text(spec)

    def train_goals_only(self, spec: str) -> bool:
        """The Q-tables: step 2 made them for the training goals only."""
        return spec == "q-table"

    def acting_text(self) -> Describer:
        """The run's abstract state (``text="abstract"``) or the knowledge's describer of that name (BabyAI's
        ``"egocentric"`` view).

        Raises:
            KnowledgeError: the environment has no describer of that name.
        """
        if self.run.text == "abstract":
            return self._abstract_view()
        knowledge = self.protocol.knowledge
        if self.run.text not in knowledge.describers:
            raise KnowledgeError(
                f"text={self.run.text!r}: {knowledge.env_id} has no such describer; use 'abstract' or one of "
                f"{sorted(knowledge.describers)}"
            )
        return knowledge.describers[self.run.text]

    def build(self, spec: str, envs: Sequence[gym.Env]) -> Any:
        """The agent ``spec`` names, acting in ``envs``.

        Raises:
            FileNotFoundError: the run has no fine-tuned agent or labels yet.
        """
        if spec == "untuned":
            llm = self.run.llm
            if llm.backend != "transformers":  # labels from a server: the untuned agent is the local model fine-tuned
                llm = LLMConfig(model=llm.model)
            knowledge = self.protocol.knowledge
            return LLMAgent(shared_backend(llm), knowledge.action_words, goals=self.protocol.vocabulary, seed=self.seed)
        if spec == "q-table":
            return OfflinePolicyAgent(envs, q_table_policies(self.run), self._abstract_view(), seed=self.seed)
        if spec == "fine-tuned":
            path = StagePaths.of(self.run).agent
            if not path.exists():
                raise FileNotFoundError(
                    f"agent 'fine-tuned': {path} does not exist; the run has no fine-tuned agent yet: run `teduo run "
                    "--config ...` first"
                )
            return self._saved(spec, path, envs)
        return super().build(spec, envs)

    def _abstract_view(self) -> AbstractTextDescriber:
        """The abstract state of each goal under the LLM's cached choice for it, as the run's labelling made it."""
        knowledge = self.protocol.knowledge
        knowledge.check("goal_schema", stage="agents acting on the abstract state (text 'abstract', q-table)")
        probe = self.protocol.make_env()
        probe.reset(seed=self.protocol.train_layouts[0])
        abstraction = knowledge.goal_schema(knowledge.state_layout(probe))
        probe.close()
        goals = self.protocol.vocabulary
        labeler = HindsightLabeler(shared_backend(self.run.llm), "compiled", cache_dir=Path(self.run.out) / "cache")
        choices = dict(zip(goals, labeler.choices(abstraction, goals)))
        return AbstractTextDescriber(abstraction, knowledge.symbolic_state, choices)


@dataclass(frozen=True)
class EvaluateConfig:
    """Evaluate agents on the TEDUO protocol of a run config: train / test layouts x train / test goals."""

    #: a `teduo run` JSON config (e.g. examples/babyai-quick.json) fixing the environment, layouts, goals, step cap,
    #: acting text and episodes per setting; none: the defaults of teduo_gym.recipes.teduo.RunConfig.
    config: Path | None = None
    #: agents, each SPEC or NAME=SPEC. SPEC: llm (the model of --llm.*: embedded, a local directory or an
    #: OpenAI-compatible server), untuned (the run's local model), fine-tuned (the run's agent), q-table (the
    #: run's step-2 tables, training goals only), random, bot (the environment's expert), a directory saved by
    #: LLMAgent, or an SB3 .zip.
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
    run = RunConfig.from_file(config.config) if config.config is not None else RunConfig()
    if plays_text_episodes(run):
        raise ValueError(
            f"teduo evaluate plays the protocol of symbolic environments; {run.env} is played as text episodes: "
            "`teduo run` evaluates it (change eval_episodes or baselines in the config and run it again)"
        )
    evaluation = evaluate_run(
        run,
        parse_agents(config.agents),
        out=config.out,
        episodes=config.episodes,
        executor=config.executor,
        n_envs=config.n_envs,
        llm=config.llm,
        deterministic=not config.stochastic,
        progress=config.progress,
    )
    print_evaluation(evaluation)
    return evaluation


def evaluate_run(
    run: RunConfig,
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
    """:func:`~teduo_gym.evaluation.evaluate.evaluate_agents` of ``agents`` (:class:`RunAgents` specs) on ``run``'s
    protocol; returns ``{setting: {agent: summary}}`` for every agent of the folder.

    Args:
        run: the protocol, the acting text and the run's own agents.
        agents: name -> spec.
        out: the evaluation folder (default: ``RUN_OUT/evaluation-<fingerprint>-<text>[-sampled]``).
        episodes: episodes per setting (default ``run.eval_episodes``).
        executor: where the shards of episodes run (default ``run.executor``).
        n_envs: environments side by side in a worker.
        llm: the model of the ``llm`` agent (default: ``run.llm``).
        deterministic: every agent takes its most likely action (SB3's convention); ``False`` samples.
        progress: show a progress bar per agent.

    Raises:
        ValueError: ``out`` holds an evaluation of another protocol, text or action mode, or gives a name another
            agent.
    """
    factory = RunAgents.of(run, episodes, llm)
    default = f"evaluation-{factory.protocol.fingerprint()[:8]}-{run.text}" + ("" if deterministic else "-sampled")
    return evaluate_agents(
        factory,
        agents,
        Path(out) if out is not None else Path(run.out) / default,
        executor=executor or run.executor,
        n_envs=n_envs,
        deterministic=deterministic,
        progress=progress,
        record={"run": run, "llm": llm},
    )


def train_baseline(config: SB3Config, callbacks: Sequence[Any] = ()) -> Path:
    """``teduo baseline sb3``: :func:`~teduo_gym.online.sb3.train_sb3` on the protocol of ``config.config`` (a
    ``teduo run`` JSON config; none: :class:`~teduo_gym.recipes.teduo.RunConfig`'s defaults), in ``config.out`` or
    ``<run out>/baselines/<algo>-<steps>``; returns the folder.

    Example:
        >>> train_baseline(SB3Config(steps=64, out=Path("runs/x/ppo")))  # doctest: +SKIP
        PosixPath('runs/x/ppo')
    """
    from teduo_gym.online.sb3 import train_sb3  # Stable-Baselines3 and torch, only when training

    run = RunConfig() if config.config is None else RunConfig.from_file(config.config)
    if config.out is None:
        config = replace(config, out=Path(run.out) / "baselines" / f"{config.algo}-{config.steps}")
    return train_sb3(config, Protocol.from_run_config(run), callbacks)
