"""Open-ended instruction relabelling (OIR, Zhang et al. 2025) on Craftax-Classic: an instruction-conditioned
PQN agent trained online on the 22 achievement instructions, with ground-truth hindsight, LLM relabelling of its
trajectories, or both; relabelled segments reach the learner through a replay.

Needs the ``craftax`` extra (JAX, flax, optax) and the relabelling models (MiniLM, an LLM).

- ``config.py`` -- :class:`OIRConfig` (JSON in, unknown keys an error; arms x seeds), :class:`EvaluationConfig`,
  :data:`ARMS`,
  :data:`ENV_ID` (Craftax-Classic, reached only through its knowledge: ``teduo_gym.envs.knowledge_for(ENV_ID)``).
- ``policy.py`` -- :class:`InstructionQNetwork` (observation + instruction embedding -> Q), :func:`epsilon_greedy`.
- ``pqn.py`` -- :class:`PQNLearner`, :class:`Rollout`, :func:`lambda_returns` (Q(lambda) on a batch of columns).
- ``replay.py`` -- :class:`SegmentReplay` (the newest relabelled segments), :func:`concat_columns`.
- ``train.py`` -- :class:`OIRTrainer` (one arm and seed: act, learn, relabel, replay, log, evaluate, checkpoint,
  resume), :func:`run_oir` (every arm and seed, their evaluation and the report), :func:`evaluate_random`,
  :func:`check_memory`.
- ``evaluate.py`` -- :data:`EVALUATION_SETS` (achievement, paraphrased, compositional instructions), ``CRAFTAX``
  (the knowledge: batched worlds, achievements, texts),
  :func:`evaluate_instructions`, :func:`evaluate_sets`, :func:`coverage`, ``evaluation.json``.
- ``report.py`` -- :func:`write_report`: ``report.md`` with learning curves and per-achievement success plots, means
  over seeds with 95% intervals (:func:`seed_interval`), the relabelling counts.
- ``checkpoint.py`` -- atomic checkpoints, :class:`CheckpointMismatchError` when the settings differ.
- ``command.py`` -- :class:`OIRCommand`, the ``teduo oir CONFIG`` command.
"""

import importlib
from typing import Any

from teduo_gym.recipes.oir.command import OIRCommand
from teduo_gym.recipes.oir.config import ARMS, ENV_ID, GROUND_TRUTH_ARMS, LLM_ARMS, EvaluationConfig, OIRConfig

#: What needs JAX (the craftax extra), imported on first use so the command line and configs load without it.
_LAZY = {
    "CheckpointMismatchError": "checkpoint",
    "InstructionQNetwork": "policy",
    "epsilon_greedy": "policy",
    "PQNLearner": "pqn",
    "Rollout": "pqn",
    "lambda_returns": "pqn",
    "SegmentReplay": "replay",
    "concat_columns": "replay",
    "OIRTrainer": "train",
    "check_memory": "train",
    "evaluate_random": "train",
    "run_oir": "train",
    "EVALUATION_SETS": "evaluate",
    "InstructionResult": "evaluate",
    "coverage": "evaluate",
    "evaluate_instructions": "evaluate",
    "evaluate_sets": "evaluate",
    "write_report": "report",
    "seed_interval": "report",
}

__all__ = [
    "ARMS",
    "ENV_ID",
    "GROUND_TRUTH_ARMS",
    "LLM_ARMS",
    "EVALUATION_SETS",
    "EvaluationConfig",
    "InstructionResult",
    "coverage",
    "evaluate_instructions",
    "evaluate_random",
    "evaluate_sets",
    "write_report",
    "CheckpointMismatchError",
    "InstructionQNetwork",
    "OIRCommand",
    "OIRConfig",
    "OIRTrainer",
    "PQNLearner",
    "Rollout",
    "SegmentReplay",
    "check_memory",
    "concat_columns",
    "epsilon_greedy",
    "lambda_returns",
    "run_oir",
    "seed_interval",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"teduo_gym.recipes.oir.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'teduo_gym.recipes.oir' has no attribute {name!r}")
