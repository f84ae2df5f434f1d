"""Hindsight goal labelling with LLMs, goal-conditioned state abstraction and proxy rewards.

- :class:`LLMGoalJudge` (``judge.py``) -- an LLM's yes / no judgement of whether a state achieves a goal.
- :func:`choose`, :func:`abstract`, :func:`state_views` (``abstraction.py``) -- the LLM's constrained choice per
  goal, applied to states by the environment's goal schema (``knowledge_for(env_id).goal_schema(state_layout)``,
  a :class:`teduo_gym.envs.GoalSchema`).
- :class:`HindsightLabeler`, :class:`LabelConfig`, :func:`label` (``hindsight.py``) -- judge / compiled / proxy
  labelling of a dataset for a list of goals.
- :class:`LabelTable` (``table.py``) -- the labels on disk; :class:`ProxyNet` (``proxy.py``); caches
  (``cache.py``); :func:`accuracy_report` (``report.py``) against ground truth; :func:`sampled_judge_report`
  (``sampled.py``) estimates judge accuracy from a stratified sample.
- :class:`CriteriaJudge`, :class:`OutcomeLabel`, :func:`label_outcomes`, :func:`judge_rater`,
  :func:`compiled_rater`, :class:`InstructionReadings`, :func:`label_accuracy`, :func:`hindsight_goals`,
  :func:`score_continuations` (``outcomes.py``) -- judge or compiled labels of the outcomes of text episodes
  against goals, with hindsight goals.
"""

from teduo_gym.labeling.abstraction import AbstractStates, AbstractTextDescriber, abstract, choose, state_views
from teduo_gym.labeling.hindsight import (
    MODES,
    SCHEMA_MODES,
    CallCounter,
    HindsightLabeler,
    LabelConfig,
    goal_schema_for,
    label,
    read_goals,
)
from teduo_gym.labeling.judge import JUDGE_TEMPLATE, LLMGoalJudge
from teduo_gym.labeling.outcomes import (
    CriteriaJudge,
    InstructionReadings,
    OutcomeLabel,
    compiled_rater,
    hindsight_goals,
    judge_rater,
    label_accuracy,
    label_outcomes,
    score_continuations,
)
from teduo_gym.labeling.proxy import ProxyConfig, ProxyNet, choose_threshold, train_proxy
from teduo_gym.labeling.report import accuracy_report, markdown_table, write_report
from teduo_gym.labeling.sampled import sampled_judge_report
from teduo_gym.labeling.table import FingerprintMismatchError, LabelTable

__all__ = [
    "JUDGE_TEMPLATE",
    "MODES",
    "SCHEMA_MODES",
    "AbstractStates",
    "AbstractTextDescriber",
    "CallCounter",
    "CriteriaJudge",
    "FingerprintMismatchError",
    "HindsightLabeler",
    "InstructionReadings",
    "LLMGoalJudge",
    "LabelConfig",
    "LabelTable",
    "OutcomeLabel",
    "ProxyConfig",
    "ProxyNet",
    "abstract",
    "accuracy_report",
    "choose",
    "choose_threshold",
    "compiled_rater",
    "goal_schema_for",
    "hindsight_goals",
    "judge_rater",
    "label_accuracy",
    "label_outcomes",
    "label",
    "markdown_table",
    "read_goals",
    "sampled_judge_report",
    "score_continuations",
    "state_views",
    "train_proxy",
    "write_report",
]
