"""What ``teduo baseline sb3`` trains: :class:`SB3Config` (kept apart from ``sb3.py`` so that reading the command
line does not import Stable-Baselines3).

- :class:`SB3Config` -- the algorithm, budget, seed, folder and checkpoint interval of one baseline.
- :data:`ALGOS` -- the algorithms it knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["ALGOS", "SB3Config"]

#: The algorithms a baseline can use: PPO, and DQN with Hindsight Experience Replay.
ALGOS = ("ppo", "dqn")


@dataclass(frozen=True)
class SB3Config:
    """A Stable-Baselines3 baseline trained on the training layouts and goals of a TEDUO protocol.

    Example:
        >>> SB3Config(algo="dqn", steps=2000).n_envs_used
        1
    """

    #: a ``teduo run`` JSON config whose protocol (layouts, goal split, step cap) the baseline trains on; None
    #: for RunConfig's defaults.
    config: Path | None = None
    #: "ppo", or "dqn" with Hindsight Experience Replay (HerReplayBuffer, "future" goals).
    algo: Literal["ppo", "dqn"] = "ppo"
    #: the budget of environment steps (PPO finishes its last rollout, so it may take a few more).
    steps: int = 50_000
    #: environments stepped side by side by PPO (DQN uses 1).
    n_envs: int = 4
    #: seeds the model and the layouts and goals of the training resets.
    seed: int = 0
    #: where the run writes; None for <RunConfig.out>/baselines/<algo>-<steps>.
    out: Path | None = None
    #: save a checkpoint after about every this many environment steps (at the next rollout boundary); a rerun
    #: of an interrupted run resumes from the latest one.
    checkpoint_every: int = 10_000
    #: show a progress bar.
    progress: bool = True

    def __post_init__(self) -> None:
        if self.algo not in ALGOS:
            raise ValueError(f"algo={self.algo!r}: expected one of {list(ALGOS)}")
        for name in ("steps", "n_envs", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    @property
    def n_envs_used(self) -> int:
        """The number of environments actually stepped: ``n_envs`` for PPO, 1 for DQN."""
        return self.n_envs if self.algo == "ppo" else 1
