"""The agents of an evaluation, built from short specs so that every process can build its own.

- :func:`parse_agents` -- ``["random", "tuned=runs/x/agent-1"]`` -> ``{name: spec}``.
- :class:`AgentFactory` -- builds the agent a spec names on a protocol's environment, says what it stands for (so
  a folder never mixes two agents of one name), whether it reads the state's text and which text; recipes extend it
  with agents of their own (``teduo run``'s fine-tuned agent and Q-tables:
  :class:`~teduo_gym.recipes.teduo_evaluation.RunAgents`).

Specs: ``llm`` (the model of an :class:`~teduo_gym.llm.LLMConfig`: the embedded SmolLM2, a local directory or an
OpenAI-compatible server), ``random``, ``bot`` (the environment's expert policy, such as BabyAI's bot), a directory
saved by :meth:`~teduo_gym.agents.LLMAgent.save_pretrained`, or a Stable-Baselines3 ``.zip``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym

from teduo_gym.agents import LLMAgent, RandomAgent, SB3Agent
from teduo_gym.envs import MissingKnowledgeError
from teduo_gym.evaluation.protocol import Protocol
from teduo_gym.llm.config import LLMConfig, shared_backend
from teduo_gym.wrappers.text_observation import Describer

__all__ = ["AgentFactory", "parse_agents"]


def parse_agents(items: Iterable[str]) -> dict[str, str]:
    """Name -> spec for ``SPEC`` or ``NAME=SPEC`` items; a path's name is its last part without suffix.

    Example:
        >>> parse_agents(["random", "tuned=runs/x/agent-1", "runs/b/ppo.zip"])
        {'random': 'random', 'tuned': 'runs/x/agent-1', 'ppo': 'runs/b/ppo.zip'}

    Raises:
        ValueError: two agents share a name.
    """
    agents: dict[str, str] = {}
    for item in items:
        name, _, spec = item.rpartition("=") if "=" in item else ("", "", item)
        name = name or Path(spec).stem or spec
        if name in agents:
            raise ValueError(f"two agents are named {name!r}: name them apart with NAME=SPEC")
        agents[name] = spec
    return agents


@dataclass(frozen=True)
class AgentFactory:
    """Builds agents from specs on a protocol's environments (picklable: each worker of an evaluation builds its own).

    Example:
        >>> protocol = Protocol("BabyAI-GoToLocal-v0", (1,), (2,), ("go to a ball",), ())
        >>> factory = AgentFactory(protocol)
        >>> type(factory.build("random", [protocol.make_env()])).__name__, factory.reads_text("llm")
        ('RandomAgent', True)

    Attributes:
        protocol: the protocol whose environments the agents act in (its knowledge: action words, expert, text).
        llm: the model of the ``llm`` agent.
        seed: seeds the agents (an evaluation reseeds them for every shard of episodes from it).
    """

    protocol: Protocol
    llm: LLMConfig = field(default_factory=LLMConfig)
    seed: int = 0

    #: the specs that are names rather than paths.
    names: ClassVar[tuple[str, ...]] = ("llm", "random", "bot")

    @property
    def text(self) -> str:
        """The name of the text LLM agents read (the environment's default describer), recorded in an evaluation."""
        return self.protocol.knowledge.default_describer

    def identity(self, spec: str) -> str:
        """What ``spec`` stands for (a folder never holds two agents of one name with different identities).

        Example:
            >>> AgentFactory(Protocol("BabyAI-GoToLocal-v0", (1,), (2,), (), ())).identity("llm").split()
            ['llm', 'transformers', 'embedded', 'SmolLM2']
        """
        if spec == "llm":
            return f"llm {self.llm.backend} {self.llm.model or 'embedded SmolLM2'} {self.llm.base_url or ''}"
        return spec

    def reads_text(self, spec: str) -> bool:
        """Whether the agent acts on the state's text: the LLM agents (the others read numbers or the env itself)."""
        return spec == "llm" or Path(spec).is_dir()

    def train_goals_only(self, spec: str) -> bool:
        """Whether the agent knows the training goals only (it skips the settings with test goals)."""
        return False

    def acting_text(self) -> Describer:
        """The describer of the text LLM agents act on: the environment's default describer.

        Raises:
            MissingKnowledgeError: the environment's knowledge has no describer.
        """
        knowledge = self.protocol.knowledge
        if knowledge.default_describer not in knowledge.describers:
            raise MissingKnowledgeError(knowledge, "describers", "LLM agents, which read the state's text")
        return knowledge.describers[knowledge.default_describer]

    def build(self, spec: str, envs: Sequence[gym.Env]) -> Any:
        """The agent ``spec`` names, acting in ``envs`` (batch entry ``i`` is ``envs[i]``).

        Raises:
            ValueError: an unknown name, or a path that is neither a saved agent directory nor an SB3 ``.zip``.
            MissingKnowledgeError: ``bot`` on an environment without an expert policy.
            FileNotFoundError: a path that does not exist.
        """
        knowledge, goals = self.protocol.knowledge, self.protocol.vocabulary
        if spec == "random":
            return RandomAgent(envs[0].action_space, seed=self.seed)
        if spec == "bot":
            knowledge.check("expert_policy", stage="the 'bot' agent")
            return knowledge.expert_policy(envs)
        if spec == "llm":
            return LLMAgent(shared_backend(self.llm), knowledge.action_words, goals=goals, seed=self.seed)
        return self._saved(spec, Path(spec), envs)

    def _saved(self, spec: str, path: Path, envs: Sequence[gym.Env]) -> Any:
        """The agent saved at ``path``: an :class:`~teduo_gym.agents.LLMAgent` directory or an SB3 ``.zip``."""
        if not path.exists():
            raise FileNotFoundError(
                f"agent {spec!r}: {path} does not exist; give a saved agent directory or an SB3 .zip (named agents: "
                f"{', '.join(self.names)})"
            )
        goals = self.protocol.vocabulary
        if path.suffix == ".zip":
            return SB3Agent(path, envs[0].observation_space, goals=goals)
        if path.is_dir():
            return LLMAgent.from_pretrained(path, goals=goals, seed=self.seed)
        raise ValueError(
            f"agent {spec!r}: {path} is neither a directory saved by LLMAgent.save_pretrained nor a Stable-Baselines3 "
            f".zip (named agents: {', '.join(self.names)})"
        )
