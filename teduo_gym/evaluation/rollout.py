"""Batched rollouts of an agent over seeded episodes.

- :func:`run_episodes` -- play one episode per seed in a set of environments side by side, with one batched
  ``predict`` per step; records success, length and invalid actions of each episode.
- :class:`EpisodeResult` -- what one episode yields.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from tqdm.auto import tqdm

from teduo_gym.core.observation import stack_observations

__all__ = ["EpisodeResult", "run_episodes"]


@dataclass(frozen=True)
class EpisodeResult:
    """One finished episode."""

    #: the reset seed (which fixes the layout).
    seed: int
    #: the goal text of the episode (``info["goal"]``, else the environment's mission).
    goal: str
    #: whether the desired goal was achieved.
    success: bool
    #: steps taken.
    length: int
    #: steps whose action left the state unchanged (needs ``state_key``; else 0).
    invalid_actions: int
    #: the sum of rewards.
    reward: float


def run_episodes(
    agent: Any,
    envs: Sequence[gym.Env],
    seeds: Sequence[int],
    *,
    state_key: Callable[[gym.Env], Hashable] | None = None,
    deterministic: bool = True,
    reset_options: dict[str, Any] | Sequence[dict[str, Any] | None] | None = None,
    progress: bool | str = True,
    on_result: Callable[[int, EpisodeResult], None] | None = None,
) -> list[EpisodeResult]:
    """Play one episode per seed with ``agent`` and return their results, in seed order.

    The environments run side by side; each step makes one ``agent.predict`` call on the stacked observations
    of all of them (an environment whose episodes are over keeps its last observation, so the batch keeps
    its shape, as in a vectorised environment), so an :class:`~teduo_gym.agents.LLMAgent` scores the whole
    batch at once and an expert policy built on the same ``envs`` (``knowledge.expert_policy(envs)``, such as
    BabyAI's bot) sees entry ``i`` as ``envs[i]``.

    Example:
        >>> from teduo_gym.agents import RandomAgent
        >>> from teduo_gym.envs import knowledge_for
        >>> envs = [knowledge_for("BabyAI-GoToLocal-v0").make_env() for _ in range(2)]
        >>> results = run_episodes(RandomAgent(envs[0].action_space, seed=0), envs, [1, 2, 3], progress=False)
        >>> [r.seed for r in results]
        [1, 2, 3]

    Args:
        agent: anything with SB3's ``predict(observation, state, episode_start, deterministic)``.
        envs: the environments to run in.
        seeds: one episode per seed.
        state_key: a fingerprint of the environment state; an action that leaves it unchanged is invalid.
        deterministic: passed to ``predict``.
        reset_options: passed to every ``reset`` (e.g. ``{"goal": "go to the red ball"}``), or one per seed.
        progress: show a progress bar (a string is used as its description).
        on_result: called with ``(position in seeds, result)`` as each episode ends (e.g. to save it at once).
    """
    if not seeds:
        return []
    if not envs:
        raise ValueError("no environments to run in")
    pending = list(enumerate(seeds))[::-1]
    results: dict[int, EpisodeResult] = {}
    slot_episode: list[int | None] = [None] * len(envs)
    obs: list[Any] = [None] * len(envs)
    starts = np.zeros(len(envs), dtype=bool)
    tallies = np.zeros((len(envs), 3))  # length, invalid actions, reward
    goals = [""] * len(envs)

    def assign(slot: int) -> None:
        if not pending:
            slot_episode[slot] = None
            return
        episode, seed = pending.pop()
        options = reset_options if reset_options is None or isinstance(reset_options, dict) else reset_options[episode]
        o, info = envs[slot].reset(seed=int(seed), options=options)
        slot_episode[slot], obs[slot], starts[slot] = episode, o, True
        tallies[slot] = 0
        goals[slot] = str(info.get("goal", getattr(envs[slot].unwrapped, "mission", "")))

    for slot in range(len(envs)):
        assign(slot)
    desc = progress if isinstance(progress, str) else "episodes"
    with tqdm(total=len(seeds), desc=desc, disable=not progress, leave=False) as bar:
        while any(e is not None for e in slot_episode):
            live = [s for s in range(len(envs)) if slot_episode[s] is not None]
            # Finished slots keep their last observation so the batch keeps its shape.
            batch = stack_observations([obs[s] if obs[s] is not None else obs[live[0]] for s in range(len(envs))])
            actions, _ = agent.predict(batch, episode_start=starts.copy(), deterministic=deterministic)
            actions = np.asarray(actions).reshape(len(envs), *np.shape(actions)[1:])
            starts[:] = False
            for s in live:
                env = envs[s]
                before = state_key(env) if state_key else None
                o, reward, terminated, truncated, info = env.step(actions[s])
                obs[s] = o
                tallies[s] += (1, state_key is not None and state_key(env) == before, float(reward))
                if terminated or truncated:
                    success = bool(info.get("is_success", float(reward) > 0))
                    length, invalid, total = tallies[s]
                    episode = slot_episode[s]
                    assert episode is not None
                    results[episode] = EpisodeResult(
                        int(seeds[episode]), goals[s], success, int(length), int(invalid), float(total)
                    )
                    if on_result is not None:
                        on_result(episode, results[episode])
                    bar.update()
                    assign(s)
    return [results[i] for i in range(len(seeds))]
