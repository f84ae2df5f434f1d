"""WebShop episodes as plain records, played by any agent and kept in JSONL files that resume.

- :class:`Episode` -- one episode: its goal, the text and action of every step, what it bought and the reward.
- :func:`play_episode` -- play one goal with an agent on a :class:`~teduo_gym.recipes.webshop.pages.PurchaseTracker`.
- :class:`EpisodeFile` -- a JSONL file of episodes, one line each, appended as they finish; a rerun reads the
  finished ones and plays only the rest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym

from teduo_gym.recipes.webshop.pages import Purchase, state_text

__all__ = ["Episode", "EpisodeFile", "play_episode"]


@dataclass(frozen=True)
class Episode:
    """One episode.

    Attributes:
        key: the episode's id in its file (e.g. its number, or ``"<agent>/<goal>"``).
        goal_index: the goal's index on the server.
        instruction: the goal's instruction.
        states: the text of each page acted on (:func:`~teduo_gym.recipes.webshop.pages.state_text`, no instruction).
        actions: the action taken on each page.
        purchase: what was bought (None: nothing within the step cap).
        reward: the environment's reward at the end (WebShop's score in [0, 1]; 0 without a purchase). Never used
            for learning: only to report how good the labels and the agents are.
    """

    key: str
    goal_index: int
    instruction: str
    states: tuple[str, ...]
    actions: tuple[str, ...]
    purchase: Purchase | None = None
    reward: float = 0.0

    def to_json(self) -> str:
        """One JSON line."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, line: str) -> Episode:
        """Read :meth:`to_json`'s line.

        Example:
            >>> e = Episode("0", 3, "buy a mug", ("WebShop | Search",), ("search[mug]",), Purchase("b1", "Mug", "$2"))
            >>> Episode.from_json(e.to_json()) == e
            True
        """
        record = json.loads(line)
        purchase = record.pop("purchase")
        record["states"], record["actions"] = tuple(record["states"]), tuple(record["actions"])
        if purchase is not None:
            purchase["options"] = tuple(purchase["options"])
            purchase = Purchase(**purchase)
        return cls(**record, purchase=purchase)


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

    ``env`` is a :class:`~teduo_gym.recipes.webshop.pages.PurchaseTracker` over a
    :class:`~teduo_gym.envs.webshop.WebShopEnv`; the states recorded are
    :func:`~teduo_gym.recipes.webshop.pages.state_text` of each page with ``max_chars`` and ``max_item_chars``: what an
    LLM agent with the same settings reads.
    """
    observation, _ = env.reset(options={"goal_index": goal_index})
    instruction = observation["instruction"]
    states, actions = [], []
    purchase, reward = None, 0.0
    for _ in range(max_steps):
        action = act(observation)
        states.append(state_text(observation, max_chars, max_item_chars))
        actions.append(action)
        observation, reward, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            purchase = info.get("purchase")
            break
    return Episode(key, goal_index, instruction, tuple(states), tuple(actions), purchase, float(reward))


class EpisodeFile:
    """Episodes in a JSONL file, appended one by one (a crash loses at most the episode being played).

    Example:
        >>> import tempfile
        >>> f = EpisodeFile(Path(tempfile.mkdtemp()) / "episodes.jsonl")
        >>> f.append(Episode("a", 0, "buy a mug", (), ()))
        >>> list(EpisodeFile(f.path).read())[0].key
        'a'
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> Iterator[Episode]:
        """The episodes written so far (a torn last line, from a crash, is skipped)."""
        if not self.path.is_file():
            return
        with self.path.open() as f:
            for line in f:
                if line.endswith("\n"):
                    yield Episode.from_json(line)

    def keys(self) -> set[str]:
        """Keys of the episodes written so far."""
        return {e.key for e in self.read()}

    def append(self, episode: Episode) -> None:
        """Append one episode and flush it to disk."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.is_file() and self.path.stat().st_size:
            with self.path.open("rb") as f:  # drop a torn last line left by a crash
                f.seek(-1, os.SEEK_END)
                torn = f.read(1) != b"\n"
            if torn:
                lines = self.path.read_text().splitlines(keepends=True)
                self.path.write_text("".join(line for line in lines if line.endswith("\n")))
        with self.path.open("a") as f:
            f.write(episode.to_json() + "\n")
            f.flush()
            os.fsync(f.fileno())
