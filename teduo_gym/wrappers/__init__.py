"""Environment-agnostic Gymnasium wrappers: a text view of the state, and language goals with rewards.

- :class:`TextObservationWrapper` (``text_observation.py``)
- :class:`LanguageGoalWrapper`, :class:`GoalDetector` (``language_goal.py``)
"""

from teduo_gym.wrappers.language_goal import (
    GoalDetector,
    GoalSampler,
    LanguageGoalWrapper,
    UnknownGoalError,
    uniform_goal_sampler,
)
from teduo_gym.wrappers.text_observation import (
    TEXT_CHARSET,
    Describer,
    TextObservationWrapper,
    call_describer,
)

__all__ = [
    "Describer",
    "GoalDetector",
    "GoalSampler",
    "LanguageGoalWrapper",
    "TEXT_CHARSET",
    "TextObservationWrapper",
    "UnknownGoalError",
    "call_describer",
    "uniform_goal_sampler",
]
