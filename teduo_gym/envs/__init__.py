"""Environment knowledge: the only place where anything specific to one environment lives.

- :class:`EnvKnowledge` (``knowledge.py``) -- the protocol: action words, describers, goal space, layouts and
  feasibility, state codec, goal schema of compiled labelling, expert behaviour policy, ``make_env``, and
  :class:`TextEpisodes` for environments played as text episodes.
- :func:`register_knowledge`, :func:`knowledge_for`, :func:`registered_knowledge` (``registry.py``) -- the registry
  (patterns, the ``teduo_gym.knowledge`` entry-point group, ``module:attr`` ids).
- ``babyai/``, ``craftax/``, ``webshop/`` -- the built-in knowledge, imported only when asked for.
"""

from teduo_gym.envs.knowledge import (
    OPTIONAL,
    ActionChoices,
    Benchmark,
    EnvKnowledge,
    GoalSchema,
    GoalSplit,
    KnowledgeError,
    LayoutSplit,
    MissingKnowledgeError,
    OutcomeSchema,
    Slot,
    StateTracker,
    TextEpisodes,
    UnknownEnvironmentError,
)
from teduo_gym.envs.registry import (
    ENTRY_POINT_GROUP,
    knowledge_for,
    load_entry,
    register_knowledge,
    registered_knowledge,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "OPTIONAL",
    "ActionChoices",
    "Benchmark",
    "EnvKnowledge",
    "GoalSchema",
    "GoalSplit",
    "KnowledgeError",
    "LayoutSplit",
    "MissingKnowledgeError",
    "OutcomeSchema",
    "Slot",
    "StateTracker",
    "TextEpisodes",
    "UnknownEnvironmentError",
    "knowledge_for",
    "load_entry",
    "register_knowledge",
    "registered_knowledge",
]
