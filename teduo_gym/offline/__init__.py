"""Offline RL per goal (TEDUO step 2).

- :class:`TabularQ`, :class:`TabularQConfig`, :class:`GoalMDP`, :class:`QTable` (``tabular.py``) -- Q-iteration
  over abstract states for all goals at once.
- :class:`EmpiricalModel`, :func:`greedy_rollouts` (``distill.py``) -- greedy rollouts through the data's dynamics.
- :func:`goal_mdps`, :func:`action_examples` (``examples.py``) -- the fine-tuning dataset of TEDUO step 3.
"""

from teduo_gym.offline.distill import EmpiricalModel, Rollout, greedy_rollouts
from teduo_gym.offline.examples import GoalData, action_examples, goal_mdps
from teduo_gym.offline.tabular import GoalMDP, QTable, TabularQ, TabularQConfig

__all__ = [
    "EmpiricalModel",
    "GoalData",
    "GoalMDP",
    "QTable",
    "Rollout",
    "TabularQ",
    "TabularQConfig",
    "action_examples",
    "goal_mdps",
    "greedy_rollouts",
]
