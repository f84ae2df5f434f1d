"""teduo-gym: language-goal Gymnasium environments, LLM hindsight labelling, offline RL and LLM policies.

Packages, from the bottom layer up (each imports only those below it; ``lint-imports`` checks it):

- :mod:`teduo_gym.core` -- atomic IO, digests, cache root, run records, config reading, stages, executor, the
  ``Agent`` protocol.
- :mod:`teduo_gym.datasets` -- transitions (Minari) and fine-tuning examples on disk.
- :mod:`teduo_gym.wrappers` -- text view of a state, language goals and their rewards.
- :mod:`teduo_gym.envs` -- the environment-knowledge protocol, its registry, and BabyAI / Craftax / WebShop.
- :mod:`teduo_gym.llm` -- LLM backends (embedded SmolLM2, any HF directory, OpenAI-compatible servers).
- :mod:`teduo_gym.labeling`, :mod:`teduo_gym.relabel` -- hindsight labels; open-ended relabelling.
- :mod:`teduo_gym.offline` -- Q-iteration, d3rlpy, filtered BC, rollouts through the empirical model.
- :mod:`teduo_gym.online` -- Stable-Baselines3 baselines.
- :mod:`teduo_gym.agents` -- ``LLMAgent`` and the other agents.
- :mod:`teduo_gym.collection` -- behaviour policies over layouts, saved as datasets.
- :mod:`teduo_gym.finetune` -- LoRA / full fine-tuning of an LLM into a policy.
- :mod:`teduo_gym.evaluation` -- the protocol, rollouts, metrics, reports.
- :mod:`teduo_gym.recipes` -- TEDUO (any registered environment), WebShop, OIR, each stage cached and resumable.
- :mod:`teduo_gym.cli` -- the ``teduo`` command.

A new environment is one :class:`~teduo_gym.envs.EnvKnowledge` registered with :func:`register_knowledge`.
"""

from teduo_gym.envs import EnvKnowledge, knowledge_for, register_knowledge

__all__ = ["EnvKnowledge", "knowledge_for", "register_knowledge"]
__version__ = "0.1.0"
