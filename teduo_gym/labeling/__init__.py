"""Hindsight goal labelling with LLMs, goal-conditioned state abstraction and proxy rewards.

- :class:`LLMGoalJudge` (``judge.py``) -- an LLM's yes / no judgement of whether a state achieves a goal.
- :class:`Slot`, :func:`choose`, :class:`GoalAbstraction`, :func:`abstraction_for`, :func:`abstract`
  (``abstraction.py``) -- the LLM's constrained choice per goal, applied to states by environment code.
- :class:`HindsightLabeler`, :class:`LabelConfig`, :func:`label` (``hindsight.py``) -- judge / compiled / proxy
  labelling of a dataset for a list of goals.
- :class:`LabelTable` (``table.py``) -- the labels on disk; :class:`ProxyNet` (``proxy.py``); caches
  (``cache.py``); :func:`accuracy_report` (``report.py``) against ground truth; :func:`sampled_judge_report`
  (``sampled.py``) estimates judge accuracy from a stratified sample.
"""

from teduo_gym.labeling.abstraction import (
    AbstractStates,
    AbstractTextDescriber,
    GoalAbstraction,
    Slot,
    UnknownLayoutError,
    abstract,
    abstraction_for,
    choose,
    register_abstraction,
)
from teduo_gym.labeling.hindsight import MODES, CallCounter, HindsightLabeler, LabelConfig, label, read_goals
from teduo_gym.labeling.judge import JUDGE_TEMPLATE, LLMGoalJudge
from teduo_gym.labeling.proxy import ProxyConfig, ProxyNet, choose_threshold, train_proxy
from teduo_gym.labeling.report import accuracy_report, markdown_table, write_report
from teduo_gym.labeling.sampled import sampled_judge_report
from teduo_gym.labeling.table import FingerprintMismatchError, LabelTable

__all__ = [
    "JUDGE_TEMPLATE",
    "MODES",
    "AbstractStates",
    "AbstractTextDescriber",
    "CallCounter",
    "FingerprintMismatchError",
    "GoalAbstraction",
    "HindsightLabeler",
    "LLMGoalJudge",
    "LabelConfig",
    "LabelTable",
    "ProxyConfig",
    "ProxyNet",
    "Slot",
    "UnknownLayoutError",
    "abstract",
    "abstraction_for",
    "accuracy_report",
    "choose",
    "choose_threshold",
    "label",
    "markdown_table",
    "read_goals",
    "register_abstraction",
    "sampled_judge_report",
    "train_proxy",
    "write_report",
]
