"""Train/test splits of BabyAI layouts (reset seeds) that provably never share a layout.

- :func:`layout_fingerprint` -- a hash of a generated layout: grid encoding, agent pose and mission.
- :func:`layout_seeds` -- reset seeds for training and test layouts, all fingerprints distinct.
- :class:`QuietGeneration` -- a wrapper that keeps level generation's "Sampling rejected" prints off stdout.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from typing import Any

import gymnasium as gym
import minigrid  # noqa: F401  (registers the BabyAI environments)
import numpy as np

from teduo_gym.envs.knowledge import LayoutSplit

__all__ = ["LayoutSplit", "QuietGeneration", "layout_fingerprint", "layout_seeds"]


class QuietGeneration(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Silences what minigrid's level generation prints on stdout ("Sampling rejected: ...") during reset.

    Example:
        >>> env = QuietGeneration(gym.make("BabyAI-GoToLocal-v0"))
        >>> _ = env.reset(seed=0)
    """

    def __init__(self, env: gym.Env):
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.Wrapper.__init__(self, env)

    def reset(self, **kwargs: Any) -> Any:
        """Reset with stdout captured."""
        with contextlib.redirect_stdout(io.StringIO()):
            return self.env.reset(**kwargs)


def layout_fingerprint(env: Any) -> str:
    """A hash of the current layout: the full grid encoding, the agent's position and direction, the mission.

    Example:
        >>> env = gym.make("BabyAI-GoToLocal-v0")
        >>> _ = env.reset(seed=3)
        >>> a = layout_fingerprint(env); _ = env.reset(seed=3)
        >>> a == layout_fingerprint(env)
        True
    """
    u = env.unwrapped
    digest = hashlib.blake2b(u.grid.encode().tobytes(), digest_size=16)
    digest.update(f"|{int(u.agent_pos[0])},{int(u.agent_pos[1])},{int(u.agent_dir)}|{u.mission}".encode())
    return digest.hexdigest()


def layout_seeds(env_id: str, n_train: int, n_test: int, seed: int = 0) -> LayoutSplit:
    """Draw reset seeds whose layouts are all distinct, the first ``n_train`` for training, the rest for test.

    Seeds are drawn from ``numpy.random.default_rng(seed)``; a seed whose layout repeats an earlier one is
    skipped, so train and test never overlap. Level generation's "Sampling rejected" prints are silenced.

    Example:
        >>> split = layout_seeds("BabyAI-GoToLocal-v0", 3, 2, seed=0)
        >>> len(split.train), len(split.test), set(split.train) & set(split.test)
        (3, 2, set())

    Raises:
        RuntimeError: the level has too few distinct layouts to fill the split.
    """
    env = QuietGeneration(gym.make(env_id))
    rng = np.random.default_rng(seed)
    wanted = n_train + n_test
    seeds: list[int] = []
    seen: set[str] = set()
    tries = 0
    while len(seeds) < wanted:
        if tries >= 20 * wanted + 100:
            raise RuntimeError(f"{env_id}: found only {len(seeds)} distinct layouts in {tries} seeds, {wanted} wanted")
        tries += 1
        candidate = int(rng.integers(2**31 - 1))
        env.reset(seed=candidate)
        key = layout_fingerprint(env)
        if key not in seen:
            seen.add(key)
            seeds.append(candidate)
    env.close()
    return LayoutSplit(train=seeds[:n_train], test=seeds[n_train:])
