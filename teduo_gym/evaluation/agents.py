"""The agents of an evaluation, built from short specs so that every process can build its own.

- :func:`parse_agents` -- ``["random", "tuned=runs/x/agent-1"]`` -> ``{name: spec}``.
- :func:`build_agent` -- the agent a spec names, acting in given environments.
- :func:`agent_identity` -- what a spec stands for in a given run (so a folder never mixes two agents of one name).
- :func:`train_goals_only` -- whether an agent knows the training goals only.
- :func:`reads_text` -- whether an agent acts on the state's text (the others need no describer).
- :func:`acting_text` -- the describer of the text LLM agents act on.
- :class:`AgentContext` -- the run, protocol and LLM the specs refer to.

Specs: ``llm`` (the model of an :class:`~teduo_gym.llm.LLMConfig`: the embedded SmolLM2, a local directory or an
OpenAI-compatible server), ``untuned`` (the run's local model, before fine-tuning), ``fine-tuned`` (the run's
fine-tuned agent), ``q-table`` (the run's step-2 Q-tables), ``random``, ``bot`` (the BabyAI bot), a directory saved
by :meth:`~teduo_gym.agents.LLMAgent.save_pretrained`, or a Stable-Baselines3 ``.zip``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym

from teduo_gym.evaluation.protocol import Protocol
from teduo_gym.llm.config import LLMConfig, shared_backend

__all__ = [
    "AgentContext",
    "NAMED_SPECS",
    "acting_text",
    "agent_identity",
    "build_agent",
    "parse_agents",
    "reads_text",
    "train_goals_only",
]

#: The specs that are names rather than paths.
NAMED_SPECS = ("llm", "untuned", "fine-tuned", "q-table", "random", "bot")


@dataclass(frozen=True)
class AgentContext:
    """What specs refer to: a :class:`~teduo_gym.recipes.teduo.RunConfig`, its protocol, and the ``llm`` agent's model."""

    run: Any
    protocol: Protocol
    llm: LLMConfig


def parse_agents(items: Iterable[str]) -> dict[str, str]:
    """Name -> spec for ``SPEC`` or ``NAME=SPEC`` items; a path's name is its last part.

    Example:
        >>> parse_agents(["random", "tuned=runs/x/agent-1", "runs/b/ppo.zip"])
        {'random': 'random', 'tuned': 'runs/x/agent-1', 'ppo': 'runs/b/ppo.zip'}

    Raises:
        ValueError: two agents share a name.
    """
    agents: dict[str, str] = {}
    for item in items:
        name, _, spec = item.rpartition("=") if "=" in item else ("", "", item)
        name = name or (spec if spec in NAMED_SPECS else Path(spec).stem or spec)
        if name in agents:
            raise ValueError(f"two agents are named {name!r}: name them apart with NAME=SPEC")
        agents[name] = spec
    return agents


def train_goals_only(spec: str) -> bool:
    """Whether the agent acts on training goals only (step 2's tables exist for those goals only)."""
    return spec == "q-table"


def reads_text(spec: str) -> bool:
    """Whether the agent acts on the state's text: the LLM agents (the others read numbers or the env itself).

    Example:
        >>> reads_text("llm"), reads_text("bot")
        (True, False)
    """
    return spec in ("llm", "untuned", "fine-tuned") or Path(spec).is_dir()


def agent_identity(spec: str, context: AgentContext) -> str:
    """What ``spec`` stands for under ``context``: the run's own agents resolve to their folders and models.

    Example:
        >>> from teduo_gym.recipes.teduo import RunConfig
        >>> ctx = AgentContext(RunConfig(out=Path("runs/x")), None, LLMConfig())
        >>> agent_identity("fine-tuned", ctx).startswith("runs/x/agent-")
        True
    """
    from teduo_gym.recipes.teduo import StagePaths

    paths = StagePaths.of(context.run)
    resolved = {
        "fine-tuned": str(paths.agent),
        "q-table": f"q-table of {paths.labels}",
        "untuned": f"untuned {context.run.llm.model or 'embedded SmolLM2'}",
        "llm": f"llm {context.llm.backend} {context.llm.model or 'embedded SmolLM2'} {context.llm.base_url or ''}",
    }
    return resolved.get(spec, spec)


def build_agent(spec: str, envs: Sequence[gym.Env], context: AgentContext) -> Any:
    """The agent ``spec`` names, acting in ``envs`` (batch entry ``i`` is ``envs[i]``).

    Example:
        >>> from teduo_gym.recipes.teduo import RunConfig
        >>> protocol = Protocol("BabyAI-GoToLocal-v0", (1,), (2,), ("go to a ball",), ())
        >>> ctx = AgentContext(RunConfig(), protocol, LLMConfig())
        >>> type(build_agent("random", [protocol.make_env()], ctx)).__name__
        'RandomAgent'

    Raises:
        ValueError: an unknown name, or a path that is neither a saved agent directory nor an SB3 ``.zip``.
        FileNotFoundError: the run has no fine-tuned agent or labels yet, or a path does not exist.
    """
    from teduo_gym.agents import LLMAgent, OfflinePolicyAgent, RandomAgent, SB3Agent
    from teduo_gym.envs import knowledge_for
    from teduo_gym.envs.babyai.bot import BabyAIBotAgent
    from teduo_gym.recipes.teduo import StagePaths, q_table_policies

    run, goals = context.run, context.protocol.vocabulary
    if spec == "random":
        return RandomAgent(envs[0].action_space, seed=run.seed)
    if spec == "bot":
        return BabyAIBotAgent(envs)
    if spec in ("llm", "untuned"):
        if spec == "llm":
            llm = context.llm
        elif run.llm.backend == "transformers":
            llm = run.llm
        else:  # the run's labels came from a server: the untuned agent is the local model that was fine-tuned
            llm = LLMConfig(model=run.llm.model)
        return LLMAgent(
            shared_backend(llm), knowledge_for(context.protocol.env).action_words, goals=goals, seed=run.seed
        )
    if spec == "q-table":
        return OfflinePolicyAgent(envs, q_table_policies(run), _abstract_view(context), seed=run.seed)
    path = StagePaths.of(run).agent if spec == "fine-tuned" else Path(spec)
    if not path.exists():
        fix = "give a saved agent directory or an SB3 .zip"
        if spec == "fine-tuned":
            fix = "the run has no fine-tuned agent yet: run `teduo run --config ...` first"
        raise FileNotFoundError(
            f"agent {spec!r}: {path} does not exist; {fix} (named agents: {', '.join(NAMED_SPECS)})"
        )
    if path.suffix == ".zip":
        return SB3Agent(path, envs[0].observation_space, goals=goals)
    if path.is_dir():
        return LLMAgent.from_pretrained(path, goals=goals, seed=run.seed)
    raise ValueError(
        f"agent {spec!r}: {path} is neither a directory saved by LLMAgent.save_pretrained nor a Stable-Baselines3 "
        f".zip (named agents: {', '.join(NAMED_SPECS)})"
    )


def acting_text(context: AgentContext) -> Any:
    """The describer of the text LLM agents act on: the run's abstract state (``text="abstract"``) or the
    egocentric view."""
    from teduo_gym.envs.babyai import describe_egocentric

    return describe_egocentric if context.run.text == "egocentric" else _abstract_view(context)


def _abstract_view(context: AgentContext) -> Any:
    """The abstract state of each goal under the LLM's cached choice for it, as the run's labelling made it."""
    from teduo_gym.envs import knowledge_for
    from teduo_gym.envs.babyai import state_layout
    from teduo_gym.labeling import AbstractTextDescriber, HindsightLabeler, abstraction_for

    probe = context.protocol.make_env()
    probe.reset(seed=context.protocol.train_layouts[0])
    abstraction = abstraction_for(state_layout(probe.unwrapped).as_dict())
    goals = context.protocol.vocabulary
    labeler = HindsightLabeler(shared_backend(context.run.llm), "compiled", cache_dir=Path(context.run.out) / "cache")
    choices = dict(zip(goals, labeler.choices(abstraction, goals)))
    return AbstractTextDescriber(abstraction, knowledge_for(context.protocol.env).symbolic_state, choices)
