"""Text episodes of environments played as :class:`~teduo_gym.envs.TextEpisodes`: one played by any agent, and
TEDUO's data, collected by a behaviour policy that knows nothing of rewards.

- :func:`play_episode` -- one goal played by an agent, as a :class:`~teduo_gym.datasets.text_episodes.TextEpisode`.
- :func:`collect_text_episodes` -- episodes on training goals: the LLM writes the text of each goal's open actions
  once (the environment's :meth:`~teduo_gym.envs.TextEpisodes.behaviour_texts`, e.g. WebShop's search queries, all
  goals in one batch), then :class:`~teduo_gym.agents.text_agents.RandomTextAgent` picks actions at random (or
  :class:`~teduo_gym.agents.text_agents.ScriptedTextAgent` mixes in the environment's scripted player) until the
  episode ends or the step cap; written to a JSONL file one episode at a time, so a rerun plays only the
  missing ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from teduo_gym.agents.text_agents import RandomTextAgent, ScriptedTextAgent
from teduo_gym.core.io import write_json
from teduo_gym.datasets.text_episodes import TextEpisode, TextEpisodeFile
from teduo_gym.envs.knowledge import TextEpisodes
from teduo_gym.llm.base import LLMBackend

__all__ = ["SCRIPTED_EPSILON", "collect_text_episodes", "play_episode"]

#: The share of random actions in the scripted behaviour policy (as collection's "mixture" on symbolic states).
SCRIPTED_EPSILON = 0.3


def play_episode(
    episodes: TextEpisodes, act: Callable[[Any], str], goal_index: int, max_steps: int, key: str = ""
) -> TextEpisode:
    """Play goal ``goal_index`` with ``act`` (observation -> action) for at most ``max_steps`` steps; the states
    recorded are ``episodes.state_text`` of each observation acted on (what an LLM agent reads).

    Example:
        >>> from teduo_gym.envs import knowledge_for
        >>> with knowledge_for("teduo/WebShop-v0").text_episodes() as shop:
        ...     episode = play_episode(shop, lambda page: "search[hair dryer]", 0, max_steps=1, key="0")
        >>> episode.actions, episode.outcome, episode.instruction[:12]
        (('search[hair dryer]',), None, 'i want a dry')
    """
    observation = episodes.reset(goal_index)
    instruction = episodes.instruction(observation)
    states, actions = [], []
    outcome, reward = None, 0.0
    for _ in range(max_steps):
        action = act(observation)
        states.append(episodes.state_text(observation))
        actions.append(action)
        observation, reward, done, outcome = episodes.step(action)
        if done:
            break
    return TextEpisode(key, goal_index, instruction, tuple(states), tuple(actions), outcome, float(reward))


def collect_text_episodes(
    episodes: TextEpisodes,
    goals: Mapping[int, str],
    n_episodes: int,
    max_steps: int,
    path: str | Path,
    *,
    llm: LLMBackend,
    readings: Mapping[str, Mapping[str, str]] | None = None,
    epsilon: float = SCRIPTED_EPSILON,
    seed: int = 0,
    progress: bool = True,
) -> Path:
    """Play ``n_episodes`` episodes on ``goals`` (index -> instruction) with LLM-written open-action texts and
    random candidates, or, given each instruction's ``readings``, with the environment's scripted player mixed with
    those random actions (:class:`~teduo_gym.agents.text_agents.ScriptedTextAgent`, ``epsilon`` random).

    Episode ``i`` plays goal ``order[i % len(goals)]`` (``order`` a permutation seeded by ``seed``) with choices
    seeded by ``(seed, i)``, so an interrupted collection resumed later gives the same episodes. The texts are
    written once per instruction and kept in ``queries.json`` beside ``path``. No reward is used (it is recorded
    for reports).

    Returns:
        ``path``, the JSONL episodes (:class:`~teduo_gym.datasets.text_episodes.TextEpisodeFile`).

    Raises:
        ValueError: no goals, or ``n_episodes < 1``.
    """
    if not goals or n_episodes < 1:
        raise ValueError(f"need goals and at least one episode, got {len(goals)} goals and {n_episodes} episodes")
    path = Path(path)
    order = np.random.default_rng(seed).permutation(sorted(goals))
    texts_path = path.parent / "queries.json"
    texts = json.loads(texts_path.read_text()) if texts_path.is_file() else {}
    missing = sorted({goals[int(order[i % len(order)])] for i in range(n_episodes)} - set(texts))
    if missing:
        texts.update(zip(missing, episodes.behaviour_texts(llm, missing)))
        write_json(texts_path, texts, indent=1)
    file = TextEpisodeFile(path)
    done = file.keys()
    agent = (
        RandomTextAgent(episodes, texts) if readings is None else ScriptedTextAgent(episodes, readings, epsilon, texts)
    )
    for i in tqdm(range(n_episodes), desc="collect", disable=not progress):
        if str(i) in done:
            continue
        agent.rng = np.random.default_rng([seed, i])
        goal = int(order[i % len(order)])
        file.append(play_episode(episodes, agent.act, goal, max_steps, str(i)))
    return path
