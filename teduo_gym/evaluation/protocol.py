"""The TEDUO evaluation protocol: train / test layouts x train / test goals, as a fixed list of episodes.

- :class:`Protocol` -- the layouts, goals, step cap and episode budget of one evaluation, derived from a run's
  config (:meth:`Protocol.from_run_config`); it makes the evaluation environment and lists the episodes.
- :class:`EpisodeSpec` -- one (setting, layout, goal) episode, with its index: its identity in the per-episode
  records, so an interrupted evaluation resumes where it stopped.
- :data:`SETTINGS` -- the four settings, in order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

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
    #: the goal's kind ("go to", "pick up", "open", "put next to").
    kind: str


@dataclass(frozen=True)
class Protocol:
    """Layouts, goals and episodes of a TEDUO evaluation on a BabyAI level.

    Episodes are (layout, goal) pairs drawn uniformly, with replacement, from the pairs where the goal is feasible
    (its objects exist in the layout), ``episodes`` per setting, from ``numpy.random.default_rng(seed)``.

    Example:
        >>> protocol = Protocol("BabyAI-GoToLocal-v0", (1, 2), (3,), ("go to a ball", "pick up a key"),
        ...                     ("reach a box",), {"reach a box": "go to a box"}, episodes=2, max_steps=16)
        >>> sorted({e.setting for e in protocol.episode_specs()}) == sorted(SETTINGS)
        True
    """

    #: a BabyAI level id.
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
        """The protocol of a :class:`~teduo_gym.recipes.teduo.RunConfig`: the layouts its data was collected on (and
        held out), its goal split, its step cap and ``eval_episodes`` (or ``episodes``) per setting.

        Raises:
            UnknownEnvironmentError: the config's level is not a supported one; the message names close ids.
        """
        from teduo_gym.envs import knowledge_for
        from teduo_gym.envs.babyai import enumerate_goals, layout_seeds, make_goal_split

        knowledge_for(config.env)

        split = make_goal_split(enumerate_goals(config.goal_kinds), config.train_goals, config.test_goals, config.seed)
        layouts = layout_seeds(config.env, config.layouts, config.test_layouts, config.seed)
        return cls(
            config.env,
            layouts.train,
            layouts.test,
            split.train,
            split.test,
            split.canonical,
            episodes=config.eval_episodes if episodes is None else episodes,
            max_steps=config.max_steps,
            seed=config.seed,
        )

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
        blob = json.dumps(dataclasses.asdict(self), sort_keys=True)
        return hashlib.blake2b(blob.encode(), digest_size=8).hexdigest()

    def make_env(self, describer: Any = None) -> Any:
        """The evaluation environment: the level with the protocol's goal vocabulary (test goals detected through
        their canonical text), its step cap, the goal of each episode given as ``reset(options={"goal": ...})``, and
        ``obs["text"]`` from ``describer`` when one is given."""
        from teduo_gym.envs.babyai import make_babyai_env
        from teduo_gym.wrappers import TextObservationWrapper

        env = make_babyai_env(
            self.env,
            goals=self.vocabulary,
            text=False,
            aliases=self.aliases,
            goal_sampler="uniform",
            max_steps=self.max_steps,
        )
        return env if describer is None else TextObservationWrapper(env, describer)

    def episode_specs(self) -> list[EpisodeSpec]:
        """Every episode of the protocol, setting by setting (a setting with no feasible pair has none)."""
        import gymnasium as gym

        from teduo_gym.envs.babyai import QuietGeneration, feasible_by_layout, parse_goal

        probe = QuietGeneration(gym.make(self.env))
        rng = np.random.default_rng(self.seed)
        specs: list[EpisodeSpec] = []
        for setting in SETTINGS:
            layouts = self.train_layouts if setting.startswith("train layouts") else self.test_layouts
            goals = self.train_goals if setting.endswith("train goals") else self.test_goals
            feasible = feasible_by_layout(probe, layouts, goals, [self.canonical(g) for g in goals])
            pairs = [(seed, goal) for seed in layouts for goal in feasible[seed]]
            if not pairs:
                continue
            for i in rng.choice(len(pairs), size=self.episodes, replace=True):
                seed, goal = pairs[i]
                kind = parse_goal(self.canonical(goal)).kind
                specs.append(EpisodeSpec(len(specs), setting, seed, goal, kind))
        probe.close()
        return specs
