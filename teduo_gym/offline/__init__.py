"""Offline RL per goal (TEDUO step 2).

- :class:`TabularQ`, :class:`TabularQConfig`, :class:`GoalMDP`, :class:`QTable` (``tabular.py``) -- Q-iteration
  over abstract states for all goals at once.
"""

from teduo_gym.offline.tabular import GoalMDP, QTable, TabularQ, TabularQConfig

__all__ = ["GoalMDP", "QTable", "TabularQ", "TabularQConfig"]
