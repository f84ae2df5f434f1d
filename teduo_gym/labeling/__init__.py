"""Hindsight goal labelling with LLMs.

- :class:`LLMGoalJudge` (``judge.py``) -- an LLM's yes / no judgement of whether a state achieves a goal.
"""

from teduo_gym.labeling.judge import JUDGE_TEMPLATE, LLMGoalJudge

__all__ = ["JUDGE_TEMPLATE", "LLMGoalJudge"]
