"""Agents with Stable-Baselines3's ``predict(observation, state, episode_start, deterministic)`` protocol.

- :class:`LLMAgent` (``llm_agent.py``) -- an LLM that scores the environment's action words.
- :class:`RandomAgent`, :class:`EpsilonMixtureAgent`, :class:`SB3Agent` (``baselines.py``).
- :class:`TextLLMAgent`, :class:`RandomTextAgent`, :class:`ScriptedTextAgent` (``text_agents.py``) -- agents whose
  actions are texts (environments played as :class:`~teduo_gym.envs.TextEpisodes`).
"""

from teduo_gym.agents.baselines import EpsilonMixtureAgent, RandomAgent, SB3Agent
from teduo_gym.agents.llm_agent import AGENT_CONFIG_FILE, COMPACT_TEMPLATE, DEFAULT_TEMPLATE, AgentConfig, LLMAgent
from teduo_gym.agents.offline_policy import GoalPolicy, OfflinePolicyAgent
from teduo_gym.agents.text_agents import RandomTextAgent, ScriptedTextAgent, TextLLMAgent

__all__ = [
    "AGENT_CONFIG_FILE",
    "AgentConfig",
    "COMPACT_TEMPLATE",
    "DEFAULT_TEMPLATE",
    "EpsilonMixtureAgent",
    "GoalPolicy",
    "OfflinePolicyAgent",
    "LLMAgent",
    "RandomAgent",
    "RandomTextAgent",
    "ScriptedTextAgent",
    "SB3Agent",
    "TextLLMAgent",
]
