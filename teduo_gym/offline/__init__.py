"""Offline RL per goal (TEDUO step 2).

- :class:`TabularQ`, :class:`TabularQConfig`, :class:`GoalMDP`, :class:`QTable` (``tabular.py``) -- Q-iteration
  over abstract states for all goals at once.
- :class:`TabularPolicy` (``tabular.py``) -- a Q-table acting on abstract state vectors.
- :class:`D3RLPYConfig`, :func:`fit_per_goal`, :func:`fit_goal_conditioned`, :class:`D3RLPYPolicy` (``deep.py``) --
  d3rlpy's discrete offline algorithms (DQN, DoubleDQN, DiscreteCQL, DiscreteBCQ, DiscreteBC) per goal or
  goal-conditioned, logs kept out of the working directory.
- :class:`EmpiricalModel`, :func:`greedy_rollouts` (``distill.py``) -- greedy rollouts through the data's dynamics.
- :func:`goal_mdps`, :func:`action_examples`, :func:`sharded_action_examples` (``examples.py``) -- the fine-tuning
  dataset of TEDUO step 3.
- :func:`best_trajectories`, :func:`action_sequences`, :func:`filtered_bc_examples` (``filtered_bc.py``) --
  filtered behaviour cloning: the best loop-free trajectory per goal (the paper's WebShop method).
- :func:`episode_bc_examples` (``episode_bc.py``) -- the same over text episodes labelled by their outcomes.
"""

from teduo_gym.offline.deep import (
    ALGOS,
    D3RLPYConfig,
    D3RLPYPolicy,
    EpisodeRows,
    FlatFeatures,
    episode_rows,
    fit_goal_conditioned,
    fit_per_goal,
)
from teduo_gym.offline.distill import EmpiricalModel, Rollout, greedy_rollouts
from teduo_gym.offline.episode_bc import episode_bc_examples
from teduo_gym.offline.examples import GoalData, action_examples, goal_mdps, sharded_action_examples
from teduo_gym.offline.filtered_bc import (
    GoalTrajectory,
    action_sequences,
    best_trajectories,
    filtered_bc_examples,
)
from teduo_gym.offline.tabular import GoalMDP, QTable, TabularPolicy, TabularQ, TabularQConfig

__all__ = [
    "ALGOS",
    "D3RLPYConfig",
    "D3RLPYPolicy",
    "EpisodeRows",
    "FlatFeatures",
    "TabularPolicy",
    "episode_rows",
    "fit_goal_conditioned",
    "fit_per_goal",
    "GoalTrajectory",
    "action_sequences",
    "best_trajectories",
    "episode_bc_examples",
    "filtered_bc_examples",
    "EmpiricalModel",
    "GoalData",
    "GoalMDP",
    "QTable",
    "Rollout",
    "TabularQ",
    "TabularQConfig",
    "action_examples",
    "goal_mdps",
    "sharded_action_examples",
    "greedy_rollouts",
]
