"""Craftax-Classic's environment knowledge: every Craftax specific a stage of teduo-gym needs, behind
:class:`~teduo_gym.envs.EnvKnowledge`.

- :class:`CraftaxKnowledge` -- registered for ``Craftax-Classic-Symbolic-v1`` (:func:`teduo_gym.envs.knowledge_for`).

This module imports without the ``craftax`` extra; the knowledge itself needs it, and without it
``knowledge_for("Craftax-Classic-Symbolic-v1")`` is a one-line :class:`~teduo_gym.envs.KnowledgeError` naming the
``pip install`` command.
"""

from __future__ import annotations

import difflib
from collections.abc import Hashable, Mapping, Sequence
from types import ModuleType
from typing import Any

import gymnasium as gym
import numpy as np

from teduo_gym.envs.knowledge import EnvKnowledge, KnowledgeError

__all__ = ["INSTALL", "CraftaxKnowledge"]

#: How to install what the knowledge needs.
INSTALL = "pip install 'teduo-gym[craftax]'"


def _craftax() -> ModuleType:
    """``teduo_gym.envs.craftax``, or a :class:`KnowledgeError` naming the extra to install."""
    try:
        import teduo_gym.envs.craftax as craftax  # JAX and Craftax: the craftax extra
    except ImportError as err:
        raise KnowledgeError(f"Craftax-Classic needs JAX and Craftax ({err}): {INSTALL}") from err
    return craftax


class CraftaxKnowledge(EnvKnowledge):
    """Craftax-Classic-Symbolic (Matthews et al., 2024): the 22 achievements as goals (``"collect wood"``), checked
    by Craftax itself; one rewording of each for held-out goals; the map, player, inventory, creatures and
    achievements as the stored state; the text describer of :func:`~teduo_gym.envs.craftax.describe_state`.

    Beyond the protocol, OIR's online training reaches Craftax's batched stepping through :meth:`vector_env` (and
    :meth:`vector_config`, :meth:`describe_world`, :attr:`achievements`, :attr:`observation_size`).

    Example:
        >>> from teduo_gym.envs import knowledge_for
        >>> k = knowledge_for("Craftax-Classic-Symbolic-v1")
        >>> k.action_words[:6], k.goals()[:2], k.goal_kind("make wood pickaxe")
        (('noop', 'left', 'right', 'up', 'down', 'do'), ['collect wood', 'place table'], 'make')
    """

    default_describer = "state"
    goal_kinds = ("collect", "place", "make", "eat", "defeat", "wake")

    def __init__(self, env_id: str | None = None):
        self._craftax = craftax = _craftax()
        self.action_words = craftax.ACTION_WORDS
        self.describers = craftax.DESCRIBERS
        super().__init__(env_id or craftax.ENV_ID)

    # -- the environment --------------------------------------------------------------------------------------

    def make_env(
        self,
        goals: Sequence[str] | None = None,
        *,
        aliases: Mapping[str, str] | None = None,
        goal_sampler: Any = "uniform",
        max_steps: int | None = None,
    ) -> gym.Env:
        """:func:`~teduo_gym.envs.craftax.make_craftax_env` without text (every achievement by default); each
        episode lasts at most ``max_steps`` steps (Craftax's time limit)."""
        extra = {} if max_steps is None else {"max_episode_steps": max_steps}
        vocabulary = self.goals() if goals is None else list(goals)
        return self._craftax.make_craftax_env(
            self._craftax.ENV_ID, vocabulary, text=False, aliases=aliases, goal_sampler=goal_sampler, **extra
        )

    # -- the goal space ---------------------------------------------------------------------------------------

    def goals(self, kinds: Sequence[str] | None = None) -> list[str]:
        """The achievements as goal phrases (:data:`~teduo_gym.envs.craftax.DEFAULT_GOALS`), in Craftax's order."""
        unknown = sorted(set(kinds or ()) - set(self.goal_kinds))
        if unknown:
            raise KnowledgeError(f"goal kinds {unknown} are not Craftax's; its kinds are {list(self.goal_kinds)}")
        return [g for g in self._craftax.DEFAULT_GOALS if kinds is None or self.goal_kind(g) in kinds]

    def parse_goal(self, text: str) -> str:
        """The goal phrase of an achievement's phrase or name (``"Collect_Wood"`` -> ``"collect wood"``)."""
        normal = " ".join(text.lower().replace("_", " ").split())
        if normal in self._craftax.DEFAULT_GOALS:
            return normal
        close = difflib.get_close_matches(normal, self.goals(), n=3, cutoff=0.5)
        hint = f"; did you mean {close}?" if close else f"; the goals are {self.goals()}"
        raise KnowledgeError(f"{text!r} is not a Craftax-Classic achievement{hint}")

    def goal_kind(self, goal: str) -> str:
        """The verb of the achievement: ``"collect"``, ``"place"``, ``"make"``, ``"eat"``, ``"defeat"`` or
        ``"wake"``."""
        return goal.split()[0]

    def paraphrase(self, goal: str, rng: np.random.Generator) -> str:
        """The achievement's rewording (:data:`~teduo_gym.envs.craftax.PARAPHRASES`): ``"chop down a tree"``."""
        return self._craftax.PARAPHRASES[self.parse_goal(goal)]

    # -- states -----------------------------------------------------------------------------------------------

    def symbolic_state(self, env: gym.Env) -> np.ndarray:
        """:func:`~teduo_gym.envs.craftax.symbolic_state` of the world: map, player, inventory, creatures and
        achievements as uint8 (:func:`~teduo_gym.envs.craftax.decode_state` reads it back)."""
        return self._craftax.symbolic_state(env.unwrapped.state)  # type: ignore[attr-defined]

    def state_layout(self, env: gym.Env) -> dict[str, Any]:
        """Kind ``craftax-classic-symbolic/1``, the vector's size and its fields (name and shape, in order)."""
        fields = self._craftax.state_fields()
        size = sum(int(np.prod(shape)) for _, shape in fields)
        return {"kind": self._craftax.STATE_KIND, "size": size, "fields": [[n, list(s)] for n, s in fields]}

    def describe_states(self, states: np.ndarray, describer: str) -> list[str]:
        """The text of each stored vector under ``describer`` (``"state"``): what
        :func:`~teduo_gym.envs.craftax.describe_state` said of the live world (:func:`decode_state` reads it)."""
        if describer not in self.describers:
            known = sorted(self.describers)
            raise KnowledgeError(f"describer {describer!r} is not Craftax's; its describers are {known}")
        craftax = self._craftax
        return [str(craftax.describe_state(craftax.decode_state(vector))) for vector in np.asarray(states)]

    def state_key(self, env: gym.Env) -> Hashable:
        """The player's position, direction and inventory, and the map (:func:`~teduo_gym.envs.craftax.state_key`)."""
        return self._craftax.state_key(env)

    # -- Craftax's own machinery, for recipes that train online (OIR) -----------------------------------------

    @property
    def achievements(self) -> tuple[str, ...]:
        """The achievement names (``"collect_wood"``) in the column order of ``info["achievements"]``."""
        return tuple(self._craftax.ACHIEVEMENTS)

    @property
    def achievement_words(self) -> dict[str, Any]:
        """The keyword arguments of :class:`~teduo_gym.relabel.AchievementMatcher` for Craftax's own words:
        ``synonyms`` (:data:`~teduo_gym.envs.craftax.ACHIEVEMENT_SYNONYMS`: "tree" for wood) and ``forms``
        (:data:`~teduo_gym.envs.craftax.ACHIEVEMENT_FORMS`: "drink" for collect drink)."""
        return {"synonyms": self._craftax.ACHIEVEMENT_SYNONYMS, "forms": self._craftax.ACHIEVEMENT_FORMS}

    @property
    def observation_size(self) -> int:
        """The length of the symbolic observation (1345)."""
        return int(self._craftax.OBSERVATION_SIZE)

    def vector_config(self, num_envs: int, **options: Any) -> Any:
        """A :class:`~teduo_gym.envs.craftax.CraftaxVectorConfig` (``reset_pool_size``, ``max_episode_steps``,
        ``max_memory_bytes``, ``compilation_cache``): its ``memory_bytes`` and ``check_memory`` size a batch before
        anything is allocated, its ``create()`` makes it."""
        return self._craftax.CraftaxVectorConfig(num_envs=num_envs, **options)

    def vector_env(self, num_envs: int, **options: Any) -> Any:
        """``num_envs`` worlds stepped and reset inside JAX (:class:`~teduo_gym.envs.craftax.CraftaxVectorEnv`).

        Example:
            >>> from teduo_gym.envs import knowledge_for
            >>> envs = knowledge_for("Craftax-Classic-Symbolic-v1").vector_env(2, reset_pool_size=2)
            >>> envs.reset(seed=0)[0].shape
            (2, 1345)

        Raises:
            BatchMemoryError: the batch would not fit in memory (a ``MemoryError``).
        """
        return self._craftax.CraftaxVectorEnv(num_envs=num_envs, **options)

    def describe_world(self, states: Any, index: int) -> str:
        """The text of world ``index`` of a batch's states (``vector_env(...).states``, on the host or not)."""
        return str(self._craftax.describe_state(states, index=index))
