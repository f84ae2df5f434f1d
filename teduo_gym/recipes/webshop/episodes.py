"""WebShop episodes as plain records, played by any agent and kept in JSONL files that resume.

- :class:`Episode` -- one episode: its goal, the text and action of every step, what it bought and the reward.
- :func:`play_episode` -- play one goal with an agent on WebShop's ``shop_env`` (:mod:`teduo_gym.recipes.webshop.shop`).
- :class:`EpisodeFile` -- a JSONL log of episodes (:class:`~teduo_gym.core.io.JsonlLog`), one line each, appended as
  they finish; a rerun reads the finished ones and plays only the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym

from teduo_gym.core.io import JsonlLog
from teduo_gym.recipes.webshop.shop import webshop

__all__ = ["Episode", "EpisodeFile", "play_episode"]


@dataclass(frozen=True)
class Episode:
    """One episode.

    Attributes:
        key: the episode's id in its file (e.g. its number, or ``"<agent>/<goal>"``).
        goal_index: the goal's index on the server.
        instruction: the goal's instruction.
        states: the text of each page acted on (WebShop's ``page_text``, without the instruction).
        actions: the action taken on each page.
        purchase: what was bought, a WebShop ``Purchase`` (None: nothing within the step cap).
        reward: the environment's reward at the end (WebShop's score in [0, 1]; 0 without a purchase). Never used
            for learning: only to report how good the labels and the agents are.
    """

    key: str
    goal_index: int
    instruction: str
    states: tuple[str, ...]
    actions: tuple[str, ...]
    purchase: Any = None
    reward: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the episode (one line of an :class:`EpisodeFile`)."""
        return asdict(self)

    def to_json(self) -> str:
        """One JSON line."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> Episode:
        """Read :meth:`to_dict`'s object."""
        record = dict(record)
        purchase = record.pop("purchase")
        record["states"], record["actions"] = tuple(record["states"]), tuple(record["actions"])
        if purchase is not None:
            purchase = webshop().Purchase(**{**purchase, "options": tuple(purchase["options"])})
        return cls(**record, purchase=purchase)

    @classmethod
    def from_json(cls, line: str) -> Episode:
        """Read :meth:`to_json`'s line.

        Example:
            >>> bought = webshop().Purchase("b1", "Mug", "$2")
            >>> e = Episode("0", 3, "buy a mug", ("WebShop | Search",), ("search[mug]",), bought)
            >>> Episode.from_json(e.to_json()) == e
            True
        """
        return cls.from_dict(json.loads(line))


def play_episode(
    env: gym.Env,
    act: Callable[[dict[str, str]], str],
    goal_index: int,
    max_steps: int,
    key: str = "",
    *,
    max_chars: int = 600,
    max_item_chars: int = 40,
) -> Episode:
    """Play goal ``goal_index`` with ``act`` (observation -> action) for at most ``max_steps`` steps.

    ``env`` is WebShop's ``shop_env`` (its purchase is reported in the buying step's info); the states recorded
    are WebShop's ``page_text`` of each page with ``max_chars`` and ``max_item_chars``: what an LLM agent with the
    same settings reads.
    """
    shop = webshop()
    observation, _ = env.reset(options={"goal_index": goal_index})
    instruction = observation["instruction"]
    states, actions = [], []
    purchase, reward = None, 0.0
    for _ in range(max_steps):
        action = act(observation)
        states.append(shop.page_text(observation, max_chars, max_item_chars))
        actions.append(action)
        observation, step_reward, terminated, truncated, info = env.step(action)
        reward = float(step_reward)
        if terminated or truncated:
            purchase = info.get("purchase")
            break
    return Episode(key, goal_index, instruction, tuple(states), tuple(actions), purchase, float(reward))


class EpisodeFile:
    """Episodes in a JSONL log (:class:`~teduo_gym.core.io.JsonlLog`), appended one by one and synced: a crash loses
    at most the episode being played, and its torn line is cut when the file is next read.

    Example:
        >>> import tempfile
        >>> f = EpisodeFile(Path(tempfile.mkdtemp()) / "episodes.jsonl")
        >>> f.append(Episode("a", 0, "buy a mug", (), ()))
        >>> list(EpisodeFile(f.path).read())[0].key
        'a'
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._log = JsonlLog(self.path)

    def read(self) -> Iterator[Episode]:
        """The episodes written so far (a torn last line, from a crash, is cut from the file)."""
        for record in self._log.read():
            yield Episode.from_dict(record)

    def keys(self) -> set[str]:
        """Keys of the episodes written so far."""
        return {e.key for e in self.read()}

    def append(self, episode: Episode) -> None:
        """Append one episode and sync it to disk (a torn last line left by a crash is cut first)."""
        self._log.append(episode.to_dict())
