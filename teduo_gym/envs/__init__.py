"""Per-environment knowledge: describers, goal grammars, ground-truth checkers and how to build each env.

- :class:`EnvKnowledge` -- what teduo-gym knows about one environment.
- :func:`knowledge_for` -- the knowledge for an environment id (BabyAI levels; Craftax-Classic with the
  ``teduo-gym[craftax]`` extra).
- :class:`UnknownEnvironmentError` -- an id no knowledge covers.

Environment packages (``teduo_gym.envs.babyai``) are imported only when asked for, so importing this module is
cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["SUPPORTED", "EnvKnowledge", "UnknownEnvironmentError", "knowledge_for"]

#: Environment families teduo-gym knows, by id prefix.
SUPPORTED: tuple[str, ...] = ("BabyAI-*", "Craftax-Classic-Symbolic-v1")


class UnknownEnvironmentError(ValueError):
    """An environment id that is not registered or that teduo-gym has no knowledge of."""


@dataclass(frozen=True)
class EnvKnowledge:
    """Everything teduo-gym knows about one environment.

    Attributes:
        name: the environment id.
        action_words: one word per discrete action, indexed by action.
        describers: named describers ``(env, observation) -> str``.
        make_env: ``make_env(env_id, goals=None, *, text, describer, goal_sampler, ...)`` builds the
            language-goal environment (the family's ``make_*_env``).
        state_key: ``state_key(env)``, a fingerprint of what an action can change (equal before and after an
            invalid action).
        default_describer: the key of :attr:`describers` used unless one is chosen.
        default_goals: the goal vocabulary ``make_env`` uses when given none.
        symbolic_state: ``symbolic_state(env)``, the full state as the flat uint8 vector datasets store.
    """

    name: str
    action_words: tuple[str, ...]
    describers: Mapping[str, Callable[[Any, Any], str]]
    make_env: Callable[..., Any]
    state_key: Callable[[Any], Hashable]
    default_describer: str = "egocentric"
    default_goals: tuple[str, ...] = ()
    symbolic_state: Callable[[Any], Any] | None = None

    def goals_with(self, *goals: str) -> list[str]:
        """The default vocabulary with ``goals`` appended where missing.

        Example:
            >>> knowledge_for("BabyAI-GoToLocal-v0").goals_with("put the red ball next to a door")[-1]
            'put the red ball next to a door'
        """
        vocabulary = list(self.default_goals)
        vocabulary += [g for g in dict.fromkeys(goals) if g not in vocabulary]
        return vocabulary


def knowledge_for(env_id: str) -> EnvKnowledge:
    """The knowledge for ``env_id``.

    Example:
        >>> knowledge_for("BabyAI-GoToLocal-v0").action_words[:3]
        ('left', 'right', 'forward')

    Raises:
        UnknownEnvironmentError: no knowledge covers ``env_id``; the message lists what is supported.
    """
    if env_id.startswith("BabyAI-"):
        from teduo_gym.envs import babyai

        if env_id not in babyai.babyai_env_ids():
            babyai.make_babyai_env(env_id)  # raises UnknownEnvironmentError naming close ids
        return EnvKnowledge(
            name=env_id,
            action_words=babyai.ACTION_WORDS,
            describers=dict(babyai.DESCRIBERS),
            make_env=babyai.make_babyai_env,
            state_key=babyai.state_key,
            default_describer="egocentric",
            default_goals=tuple(babyai.DEFAULT_GOALS),
            symbolic_state=babyai.symbolic_state,
        )
    if env_id.startswith("Craftax-"):
        try:
            from teduo_gym.envs import craftax
        except ImportError as err:
            raise UnknownEnvironmentError(
                f"{env_id} needs the craftax extra: pip install 'teduo-gym[craftax]' ({err})"
            ) from err
        if env_id != craftax.ENV_ID:
            raise UnknownEnvironmentError(f"{env_id!r} is not known; the Craftax id is {craftax.ENV_ID!r}")
        return EnvKnowledge(
            name=env_id,
            action_words=craftax.ACTION_WORDS,
            describers=dict(craftax.DESCRIBERS),
            make_env=craftax.make_craftax_env,
            state_key=craftax.state_key,
            default_describer="state",
            default_goals=tuple(craftax.DEFAULT_GOALS),
        )
    raise UnknownEnvironmentError(f"no teduo-gym knowledge for {env_id!r}; supported: {', '.join(SUPPORTED)}")
