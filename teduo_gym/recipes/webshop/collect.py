"""TEDUO's data on WebShop: episodes of a behaviour policy that knows nothing of rewards.

- :func:`goal_instructions` -- the instruction of each goal index, read from the server.
- :func:`collect_episodes` -- episodes on training goals: the LLM writes a search query from the instruction
  (:func:`~teduo_gym.recipes.webshop.agents.write_queries`, all goals in one batch), then random clicks
  (:class:`~teduo_gym.recipes.webshop.agents.RandomClickAgent`) until something is bought or the step cap; written to a
  JSONL file one episode at a time, so a rerun plays only the missing ones.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import gymnasium as gym
import numpy as np
from tqdm.auto import tqdm

from teduo_gym.core.io import write_json
from teduo_gym.llm.base import LLMBackend
from teduo_gym.recipes.webshop.agents import RandomClickAgent, write_queries
from teduo_gym.recipes.webshop.episodes import EpisodeFile, play_episode

__all__ = ["collect_episodes", "goal_instructions"]


def goal_instructions(env: gym.Env, goal_indices: Sequence[int]) -> dict[int, str]:
    """Goal index -> its instruction (one reset each of WebShop's ``shop_env``).

    Example:
        >>> from teduo_gym.recipes.webshop.shop import webshop
        >>> with webshop().server() as (url, _):
        ...     goals = goal_instructions(webshop().shop_env(url), [0])
        >>> goals[0][:20]
        'i want a dry hair ha'
    """
    return {int(i): env.reset(options={"goal_index": int(i)})[0]["instruction"] for i in goal_indices}


def collect_episodes(
    env: gym.Env,
    goals: dict[int, str],
    n_episodes: int,
    max_steps: int,
    path: str | Path,
    *,
    llm: LLMBackend,
    seed: int = 0,
    max_chars: int = 600,
    max_item_chars: int = 40,
    progress: bool = True,
) -> Path:
    """Play ``n_episodes`` episodes on ``goals`` (index -> instruction) with LLM-written queries and random clicks.

    Episode ``i`` plays goal ``order[i % len(goals)]`` (``order`` a permutation seeded by ``seed``) with clicks
    seeded by ``(seed, i)``, so an interrupted collection resumed later gives the same episodes. Queries are
    written once per instruction and kept in ``queries.json`` beside ``path``. No reward is used (it is recorded
    for reports).
    Pages are recorded as WebShop's ``page_text`` with ``max_chars`` and ``max_item_chars``.

    Returns:
        ``path``, the JSONL episodes (:class:`~teduo_gym.recipes.webshop.episodes.EpisodeFile`).

    Raises:
        ValueError: no goals, or ``n_episodes < 1``.
    """
    if not goals or n_episodes < 1:
        raise ValueError(f"need goals and at least one episode, got {len(goals)} goals and {n_episodes} episodes")
    path = Path(path)
    order = np.random.default_rng(seed).permutation(sorted(goals))
    queries_path = path.parent / "queries.json"
    queries = json.loads(queries_path.read_text()) if queries_path.is_file() else {}
    missing = sorted({goals[int(order[i % len(order)])] for i in range(n_episodes)} - set(queries))
    if missing:
        queries.update(zip(missing, write_queries(llm, missing)))
        write_json(queries_path, queries, indent=1)
    file = EpisodeFile(path)
    done = file.keys()
    agent = RandomClickAgent(queries)
    for i in tqdm(range(n_episodes), desc="collect", disable=not progress):
        if str(i) in done:
            continue
        agent.rng = np.random.default_rng([seed, i])
        goal = int(order[i % len(order)])
        file.append(
            play_episode(env, agent.act, goal, max_steps, str(i), max_chars=max_chars, max_item_chars=max_item_chars)
        )
    return path
