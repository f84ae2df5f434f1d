"""Agents with Stable-Baselines3's ``predict(observation, state, episode_start, deterministic)`` protocol.

- :class:`LLMAgent` (``llm_agent.py``) -- an LLM that scores the environment's action words.
- :class:`RandomAgent`, :class:`BabyAIBotAgent`, :class:`EpsilonMixtureAgent`, :class:`SB3Agent` (``baselines.py``).
- observation helpers (``observation.py``) shared by all agents.
"""

from teduo_gym.agents.baselines import BabyAIBotAgent, EpsilonMixtureAgent, RandomAgent, SB3Agent
from teduo_gym.agents.llm_agent import AGENT_CONFIG_FILE, DEFAULT_TEMPLATE, AgentConfig, LLMAgent

__all__ = [
    "AGENT_CONFIG_FILE",
    "AgentConfig",
    "BabyAIBotAgent",
    "DEFAULT_TEMPLATE",
    "EpsilonMixtureAgent",
    "LLMAgent",
    "RandomAgent",
    "SB3Agent",
]
