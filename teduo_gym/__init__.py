"""teduo-gym: language-goal Gymnasium environments, LLM hindsight labelling, offline RL and LLM policies.

Subpackages, in the order data flows through them:

- :mod:`teduo_gym.wrappers` -- text view of a state, language goals and their rewards.
- :mod:`teduo_gym.envs` -- per-environment knowledge (BabyAI): describers, goal grammar, detectors.
- :mod:`teduo_gym.llm` -- LLM backends (embedded SmolLM2, any HF directory, OpenAI-compatible servers).
- :mod:`teduo_gym.labeling` -- LLM judgements of whether a state achieves a goal.
- :mod:`teduo_gym.agents` -- ``LLMAgent`` and baselines with Stable-Baselines3's ``predict`` protocol.
- :mod:`teduo_gym.evaluation` -- rollouts and metrics.
"""

__version__ = "0.1.0"
