"""The TEDUO evaluation protocol: train / test layouts x train / test goals, as a fixed list of episodes.

- :class:`Protocol` -- the layouts, goals, step cap and episode budget of one evaluation on any environment with
  registered knowledge (:func:`~teduo_gym.envs.knowledge_for`), derived from a run's config
  (:meth:`Protocol.from_run_config`); it makes the evaluation environment and lists the episodes.
- :class:`EpisodeSpec` -- one (setting, layout, goal) episode, with its index: its identity in the per-episode
  records, so an interrupted evaluation resumes where it stopped.
- :data:`SETTINGS` -- the four settings, in order.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from teduo_gym.core.digest import json_digest
from teduo_gym.envs import EnvKnowledge, knowledge_for
from teduo_gym.wrappers import TextObservationWrapper

__all__ = ["SETTINGS", "EpisodeSpec", "Protocol"]

#: The four settings of the protocol: (layouts, goals) each seen in training or held out.
SETTINGS: tuple[str, ...] = tuple(
    f"{layouts} layouts / {goals} goals" for layouts in ("train", "test") for goals in ("train", "test")
)


@dataclass(frozen=True)
class EpisodeSpec:
    """One episode of the protocol."""

    #: position in :meth:`Protocol.episode_specs` (its identity in the per-episode records).
    index: int
    #: one of :data:`SETTINGS`.
    setting: str
    #: the reset seed, which fixes the layout and the start state.
    layout_seed: int
    #: the goal text the agent reads (test goals are reworded).
    goal: str
    #: the goal's kind (one of the environment's ``goal_kinds``, e.g. BabyAI's "go to").
    kind: str


@dataclass(frozen=True)
class Protocol:
    """Layouts, goals and episodes of a TEDUO evaluation on an environment with registered knowledge.

    Episodes are (layout, goal) pairs drawn uniformly, with replacement, from the pairs where the goal is feasible
    (:meth:`~teduo_gym.envs.EnvKnowledge.feasible_by_layout`: on BabyAI, its objects exist in the layout),
    ``episodes`` per setting, from ``numpy.random.default_rng(seed)``.

    Example:
        >>> protocol = Protocol("BabyAI-GoToLocal-v0", (1, 2), (3,), ("go to a ball", "pick up a key"),
        ...                     ("reach a box",), {"reach a box": "go to a box"}, episodes=2, max_steps=16)
        >>> sorted({e.setting for e in protocol.episode_specs()}) == sorted(SETTINGS)
        True
    """

    #: the environment id (its knowledge: :func:`~teduo_gym.envs.knowledge_for`).
    env: str
    #: reset seeds of the training layouts.
    train_layouts: tuple[int, ...]
    #: reset seeds of the held-out layouts.
    test_layouts: tuple[int, ...]
    #: canonical training goals.
    train_goals: tuple[str, ...]
    #: reworded held-out goals.
    test_goals: tuple[str, ...]
    #: each test goal -> its canonical text.
    aliases: dict[str, str] = field(default_factory=dict)
    #: episodes per setting.
    episodes: int = 40
    #: step cap of an episode.
    max_steps: int = 64
    #: seeds the choice of episodes.
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("train_layouts", "test_layouts"):  # plain ints and tuples, so the fingerprint is stable
            object.__setattr__(self, name, tuple(int(s) for s in getattr(self, name)))
        for name in ("train_goals", "test_goals"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "aliases", dict(self.aliases))
        if self.episodes < 1 or self.max_steps < 1:
            raise ValueError(f"episodes ({self.episodes}) and max_steps ({self.max_steps}) must be >= 1")

    @classmethod
    def from_run_config(cls, config: Any, episodes: int | None = None) -> Protocol:
        """The protocol of a run config (a :class:`~teduo_gym.recipes.teduo.RunConfig`: ``env``, ``goal_kinds``,
        ``train_goals``, ``test_goals``, ``balance_kinds`` (optional), ``layouts``, ``test_layouts``, ``max_steps``,
        ``eval_episodes``, ``seed``):
        the layouts its data was collected on (and held out), its goal split, its step cap and ``eval_episodes`` (or
        ``episodes``) per setting, all from the environment's knowledge.

        Example:
            >>> from types import SimpleNamespace
            >>> run = SimpleNamespace(env="BabyAI-GoToLocal-v0", goal_kinds=("go to",), train_goals=4, test_goals=2,
            ...                       layouts=3, test_layouts=1, max_steps=32, eval_episodes=5, seed=0)
            >>> protocol = Protocol.from_run_config(run)
            >>> len(protocol.train_layouts), len(protocol.test_goals), protocol.episodes
            (3, 2, 5)

        Raises:
            UnknownEnvironmentError: no knowledge is registered for the config's environment (the message lists
                what is).
        """
        knowledge = knowledge_for(config.env)
        goals = knowledge.goals(config.goal_kinds)
        balanced = {"balanced": True} if getattr(config, "balance_kinds", False) else {}  # an override may lack it
        split = knowledge.goal_split(goals, config.train_goals, config.test_goals, config.seed, **balanced)
        layouts = knowledge.layout_seeds(config.layouts, config.test_layouts, config.seed)
        return cls(
            config.env,
            tuple(layouts.train),
            tuple(layouts.test),
            tuple(split.train),
            tuple(split.test),
            split.canonical,
            episodes=config.eval_episodes if episodes is None else episodes,
            max_steps=config.max_steps,
            seed=config.seed,
        )

    @property
    def knowledge(self) -> EnvKnowledge:
        """The knowledge of the protocol's environment."""
        return knowledge_for(self.env)

    @property
    def vocabulary(self) -> list[str]:
        """Every goal of the protocol, training goals first: the goal vocabulary of its environment."""
        return [*self.train_goals, *self.test_goals]

    def canonical(self, goal: str) -> str:
        """The canonical text of a goal (test goals are reworded)."""
        return self.aliases.get(goal, goal)

    def fingerprint(self) -> str:
        """A 16-character hash of everything that fixes the episodes.

        Example:
            >>> a = Protocol("BabyAI-GoToLocal-v0", (1,), (2,), ("go to the red ball",), (), episodes=2)
            >>> a.fingerprint() == Protocol("BabyAI-GoToLocal-v0", (1,), (2,), ("go to the red ball",), (),
            ...                             episodes=3).fingerprint()
            False
        """
        return json_digest(dataclasses.asdict(self), size=8)

    def make_env(self, describer: Any = None) -> Any:
        """The evaluation environment (:meth:`EnvKnowledge.make_env <teduo_gym.envs.EnvKnowledge.make_env>`): the
        protocol's goal vocabulary (test goals detected through their canonical text), its step cap, the goal of each
        episode given as ``reset(options={"goal": ...})``, and ``obs["text"]`` from ``describer`` when one is given.
        """
        env = self.knowledge.make_env(
            self.vocabulary, aliases=self.aliases, goal_sampler="uniform", max_steps=self.max_steps
        )
        return env if describer is None else TextObservationWrapper(env, describer)

    def episode_specs(self) -> list[EpisodeSpec]:
        """Every episode of the protocol, setting by setting (a setting without goals has none).

        Raises:
            ValueError: a setting's goals are feasible in none of its layouts (it would vanish from the results).
        """
        knowledge = self.knowledge
        rng = np.random.default_rng(self.seed)
        specs: list[EpisodeSpec] = []
        for setting in SETTINGS:
            layouts = self.train_layouts if setting.startswith("train layouts") else self.test_layouts
            goals = self.train_goals if setting.endswith("train goals") else self.test_goals
            feasible = knowledge.feasible_by_layout(layouts, goals, [self.canonical(g) for g in goals])
            pairs = [(seed, goal) for seed in layouts for goal in feasible[seed]]
            if not pairs and goals and layouts:
                raise ValueError(
                    f"{setting}: none of the {len(goals)} goals (e.g. {goals[0]!r}) is feasible in any of the "
                    f"{len(layouts)} layouts of {self.env}: choose goal kinds its layouts have, or more layouts"
                )
            if not pairs:
                continue
            for i in rng.choice(len(pairs), size=self.episodes, replace=True):
                seed, goal = pairs[i]
                kind = knowledge.goal_kind(self.canonical(goal))
                specs.append(EpisodeSpec(len(specs), setting, seed, goal, kind))
        return specs
