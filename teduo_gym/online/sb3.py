"""Stable-Baselines3 baselines trained on a TEDUO protocol's training layouts and goals (``teduo baseline sb3``).

- :class:`~teduo_gym.online.config.SB3Config` (``config.py``) -- what to train, where it writes, how often it
  checkpoints.
- :func:`train_sb3` -- train, resume or find finished one baseline on a protocol; it writes ``model.zip``,
  :data:`RECORD` and :data:`CURVE` into its folder. ``teduo baseline sb3`` runs it on a run config's protocol
  (:func:`~teduo_gym.recipes.teduo_evaluation.train_baseline`).
- :class:`TrainingProtocol` -- what a baseline needs of a protocol (an
  :class:`~teduo_gym.evaluation.protocol.Protocol` has it).
- :class:`TrainingResets` -- an environment whose every reset is a training layout with a feasible training goal.
- :func:`make_training_env` -- a protocol's environment wrapped in :class:`TrainingResets`.
- :func:`make_model` -- a fresh PPO, or DQN with Hindsight Experience Replay, with :data:`HYPERPARAMETERS`.
- :func:`recorded_goals` -- the goal vocabulary recorded beside a saved model, if any.
- :data:`HYPERPARAMETERS`, :data:`RECORD`, :data:`CURVE` -- the settings of each algorithm; the file names of
  the run record and of the learning curve.
"""

from __future__ import annotations

import json
import shutil
import time
import warnings
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3 import DQN, PPO, HerReplayBuffer
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env

from teduo_gym.core.io import write_json, write_text
from teduo_gym.core.records import to_jsonable, write_record
from teduo_gym.envs import EnvKnowledge, knowledge_for
from teduo_gym.online.config import SB3Config

__all__ = [
    "CURVE",
    "HYPERPARAMETERS",
    "RECORD",
    "SB3Config",
    "TrainingProtocol",
    "TrainingResets",
    "make_model",
    "make_training_env",
    "recorded_goals",
    "train_sb3",
]

#: The run record beside ``model.zip``: the config (with the protocol and its goal vocabulary), library versions
#: and, once training has finished, the results.
RECORD = "sb3.json"
#: The learning curve: one row about every ``steps / 50`` environment steps.
CURVE = "learning_curve.csv"
#: The settings of each algorithm (fixed, and part of a run's identity). DQN stores its transitions in SB3's
#: ``HerReplayBuffer`` with these ``replay_buffer_kwargs``.
HYPERPARAMETERS: dict[str, dict[str, Any]] = {
    "ppo": {
        "n_steps": 128,
        "batch_size": 64,
        "n_epochs": 10,
        "learning_rate": 2.5e-4,
        "gamma": 0.99,
        "gae_lambda": 0.95,
        "clip_range": 0.2,
        "ent_coef": 0.01,
    },
    "dqn": {
        "buffer_size": 100_000,
        "learning_starts": 1_000,
        "batch_size": 64,
        "train_freq": 4,
        "target_update_interval": 1_000,
        "exploration_fraction": 0.3,
        "exploration_final_eps": 0.05,
        "learning_rate": 1e-4,
        "gamma": 0.99,
        "replay_buffer_kwargs": {"n_sampled_goal": 4, "goal_selection_strategy": "future"},
    },
}
_ALGOS: dict[str, type[BaseAlgorithm]] = {"ppo": PPO, "dqn": DQN}
_MODEL = "model.zip"
_CHECKPOINTS = "checkpoints"
_HEADER = "steps,episodes,success_rate,mean_length\n"
#: success rate and mean length are over this many last finished training episodes.
_WINDOW = 100
#: torch threads while training: the policies are small MLPs, which one thread runs fastest (several threads
#: contend for the cores with the environments, and slow training by up to 20x on a busy machine); it also keeps
#: the numbers independent of the machine's core count.
_TORCH_THREADS = 1
#: what must match between a run folder's record and a config for the config to continue (or reuse) it.
_IDENTITY = ("algo", "steps", "n_envs", "seed", "hyperparameters", "protocol_fingerprint")


class TrainingProtocol(Protocol):
    """What a baseline needs of an evaluation protocol (:class:`~teduo_gym.evaluation.protocol.Protocol`)."""

    @property
    def env(self) -> str:
        """The environment id (its knowledge: :func:`~teduo_gym.envs.knowledge_for`)."""
        ...

    @property
    def train_layouts(self) -> Sequence[int]:
        """Reset seeds of the training layouts."""
        ...

    @property
    def train_goals(self) -> Sequence[str]:
        """Canonical training goals."""
        ...

    @property
    def vocabulary(self) -> list[str]:
        """Every goal of the protocol: the goal vocabulary of its environment."""
        ...

    def make_env(self, describer: Any = None) -> gym.Env:
        """The evaluation environment (with the whole goal vocabulary)."""
        ...

    def fingerprint(self) -> str:
        """A hash of everything that fixes the protocol."""
        ...


class TrainingResets(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Resets only to training layouts, each with a desired goal among the training goals feasible in it.

    Each reset draws a layout uniformly from ``layouts`` (layouts where no goal is feasible are left out), then a
    goal uniformly among the ``goals`` whose objects exist in that layout, from a generator that
    ``reset(seed=...)`` seeds; the layout's reset seed is ``info["layout"]``. The observation space, and so the
    goal vocabulary, stays the wrapped environment's: a model trained here acts unchanged in the wrapped
    environment, where other layouts and goals can be set.

    Example:
        >>> from teduo_gym.envs import knowledge_for
        >>> knowledge = knowledge_for("BabyAI-GoToLocal-v0")
        >>> goals = ["go to the red ball", "go to a key", "open a door"]
        >>> env = TrainingResets(knowledge.make_env(goals), [1, 2], goals[:2], knowledge)
        >>> obs, info = env.reset(seed=0)
        >>> info["layout"] in (1, 2), info["goal"] in env.goals_by_layout[info["layout"]]
        (True, True)

    Args:
        env: a language-goal environment (:meth:`Protocol.make_env`, or the knowledge's ``make_env``) whose
            vocabulary holds ``goals``.
        layouts: reset seeds of the training layouts.
        goals: the training goals, canonical texts.
        knowledge: the environment's knowledge (or its id), which tells the goals feasible in each layout.

    Raises:
        ValueError: no goal is feasible in any of the layouts.
    """

    def __init__(self, env: gym.Env, layouts: Sequence[int], goals: Sequence[str], knowledge: EnvKnowledge | str):
        knowledge = knowledge_for(knowledge) if isinstance(knowledge, str) else knowledge
        gym.utils.RecordConstructorArgs.__init__(
            self, layouts=tuple(layouts), goals=tuple(goals), knowledge=knowledge.env_id
        )
        gym.Wrapper.__init__(self, env)
        goals = list(goals)
        feasible = knowledge.feasible_by_layout(layouts, goals)
        #: each usable training layout -> the training goals feasible in it.
        self.goals_by_layout: dict[int, tuple[str, ...]] = {k: tuple(v) for k, v in feasible.items() if v}
        if not self.goals_by_layout:
            raise ValueError(f"none of the goals {goals} is feasible in any of the layouts {list(layouts)}")
        self._layouts = list(self.goals_by_layout)
        self._rng = np.random.default_rng()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Reset to a random training layout and feasible training goal (``seed`` seeds the draws)."""
        if options and "goal" in options:
            raise ValueError("TrainingResets chooses the goal of every episode: reset without options['goal']")
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        layout = self._layouts[int(self._rng.integers(len(self._layouts)))]
        goals = self.goals_by_layout[layout]
        goal = goals[int(self._rng.integers(len(goals)))]
        obs, info = self.env.reset(seed=layout, options={**(options or {}), "goal": goal})
        return obs, {**info, "layout": layout}


def make_training_env(protocol: TrainingProtocol) -> TrainingResets:
    """The protocol's environment (its whole goal vocabulary) resetting to its training layouts and goals only.

    Example:
        >>> from teduo_gym.evaluation.protocol import Protocol
        >>> protocol = Protocol("BabyAI-GoToLocal-v0", (1, 2), (3,), ("go to a ball", "go to a key"),
        ...                     ("reach a box",), {"reach a box": "go to a box"})
        >>> env = make_training_env(protocol)
        >>> env.observation_space["desired_goal"].n == len(protocol.vocabulary)
        True
    """
    return TrainingResets(protocol.make_env(), protocol.train_layouts, protocol.train_goals, protocol.env)


def make_model(algo: str, env: Any, seed: int) -> BaseAlgorithm:
    """A fresh model of ``algo`` ("ppo" or "dqn") with :data:`HYPERPARAMETERS`, on the CPU.

    A Dict observation space gets SB3's ``MultiInputPolicy``, any other ``MlpPolicy``; DQN needs a goal
    environment (its replay buffer is a ``HerReplayBuffer``).

    Example:
        >>> from teduo_gym.envs import knowledge_for
        >>> make_model("ppo", knowledge_for("BabyAI-GoToLocal-v0").make_env(), seed=0).n_steps
        128
    """
    kwargs = dict(HYPERPARAMETERS[algo])
    if algo == "dqn":
        kwargs["replay_buffer_class"] = HerReplayBuffer
    policy = "MultiInputPolicy" if isinstance(env.observation_space, spaces.Dict) else "MlpPolicy"
    return _ALGOS[algo](policy, env, seed=seed, device="cpu", verbose=0, **kwargs)


def recorded_goals(model_path: str | Path) -> list[str] | None:
    """The goal vocabulary recorded in the :data:`RECORD` beside a saved model (None without one).

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = write_record(folder / RECORD, {"goals": ["go to a ball"]}, None)
        >>> recorded_goals(folder / "model.zip"), recorded_goals(folder / "elsewhere" / "model.zip")
        (['go to a ball'], None)
    """
    path = Path(model_path).parent / RECORD
    if not path.is_file():
        return None
    goals = json.loads(path.read_text())["config"].get("goals")
    return None if goals is None else list(goals)


def train_sb3(config: SB3Config, protocol: TrainingProtocol, callbacks: Sequence[BaseCallback] = ()) -> Path:
    """Train the baseline of ``config`` on ``protocol``'s training layouts and goals (or resume it, or find it
    finished) in ``config.out`` and return that folder.

    The folder holds ``model.zip``, :data:`RECORD` and :data:`CURVE`. The record is written when training
    starts, with the config, the protocol, its fingerprint and goal vocabulary, the hyper-parameters and library
    versions; its ``results`` are filled in when training ends: ``steps_done``, ``episodes``, ``success_rate``
    and ``mean_length`` over the last 100 finished training episodes (None before any), ``wall_seconds`` (of
    every session, up to its last checkpoint for an interrupted one) and ``resumed_from`` (the checkpoints
    reruns resumed from). Training runs torch on one thread.

    While training, ``checkpoints/`` holds the latest checkpoint (the model, DQN's replay buffer, the learning
    curve's state); a rerun of the same config resumes from it, with the step count and the learning curve going
    on from there (rows logged after the checkpoint are dropped). A resumed run gives the same numbers on every
    rerun from the same checkpoint, but not those of an uninterrupted run: the episodes under way at the
    checkpoint start afresh and the random streams are reseeded with ``seed + steps``.

    Args:
        config: what to train, and where (``config.out``; ``config.config`` is only recorded).
        protocol: the layouts and goals it trains on, and its environment (an
            :class:`~teduo_gym.evaluation.protocol.Protocol`).
        callbacks: more SB3 callbacks, called at every step after the run's own.

    Raises:
        ValueError: no ``config.out``, or the folder holds a run of another config (other algorithm, budget, seed or
            protocol).
        FileExistsError: the folder holds files but no run record.
    """
    if config.out is None:
        raise ValueError("SB3Config.out is None: give the folder the baseline writes to (--out)")
    out = Path(config.out)
    record_config = _record_config(config, protocol, out)
    record = _existing_record(out, record_config)
    if record is not None and record["results"] is not None and (out / _MODEL).is_file():
        print(f"{out}: already trained ({record['results']['steps_done']} steps)")
        return out
    if record is None:
        write_record(out / RECORD, record_config, None)
    env = make_vec_env(make_training_env, n_envs=config.n_envs_used, env_kwargs={"protocol": protocol})
    threads = torch.get_num_threads()
    torch.set_num_threads(_TORCH_THREADS)
    try:
        model, state = _start(config, env, out)
        log = _TrainingLog(out, max(1, config.steps // 50), config.checkpoint_every, state)
        model.learn(
            max(0, config.steps - model.num_timesteps),
            callback=[log, *callbacks],
            reset_num_timesteps=False,
            progress_bar=config.progress,
        )
    finally:
        torch.set_num_threads(threads)
    model.save(out / _MODEL)
    results = {"steps_done": model.num_timesteps, **log.finish()}
    write_record(out / RECORD, record_config, results)
    shutil.rmtree(out / _CHECKPOINTS, ignore_errors=True)
    env.close()
    return out


def _record_config(config: SB3Config, protocol: TrainingProtocol, out: Path) -> dict[str, Any]:
    record = {
        **to_jsonable(config),
        "out": str(out),
        "n_envs": config.n_envs_used,
        "hyperparameters": HYPERPARAMETERS[config.algo],
        "torch_threads": _TORCH_THREADS,
        "protocol_fingerprint": protocol.fingerprint(),
        "protocol": protocol,
        "goals": protocol.vocabulary,
    }
    return json.loads(json.dumps(to_jsonable(record)))  # as it reads back from the record


def _existing_record(out: Path, record_config: dict[str, Any]) -> dict[str, Any] | None:
    """The run record in ``out`` (None for a new folder); an error if it is another config's."""
    path = out / RECORD
    if not path.is_file():
        if out.is_dir() and any(out.iterdir()):
            raise FileExistsError(f"{out} holds files but no {RECORD}: it is no baseline run; pass another --out")
        return None
    record = json.loads(path.read_text())
    theirs = record["config"]
    # another algorithm has other hyper-parameters and number of environments: naming the algorithm says it
    keys = (
        _IDENTITY if theirs.get("algo") == record_config["algo"] else ("algo", "steps", "seed", "protocol_fingerprint")
    )
    diffs = [
        f"{k} {theirs.get(k)!r} there, {record_config[k]!r} here" for k in keys if theirs.get(k) != record_config[k]
    ]
    if diffs:
        raise ValueError(
            f"{out} holds a baseline run of another config (made from {theirs.get('config') or 'the default RunConfig'}"
            f"): {'; '.join(diffs)}. Pass another --out, or delete {out} to train this config there"
        )
    return record


def _start(config: SB3Config, env: Any, out: Path) -> tuple[BaseAlgorithm, dict[str, Any]]:
    """A fresh model and curve state, or those of the latest checkpoint (the curve cut back to it)."""
    folder = out / _CHECKPOINTS
    done = sorted(int(p.stem) for p in folder.glob("*.json")) if folder.is_dir() else []
    if not done:
        write_text(out / CURVE, _HEADER)
        fresh = {"episodes": 0, "successes": [], "lengths": [], "wall_seconds": 0.0, "resumed_from": []}
        return make_model(config.algo, env, config.seed), fresh
    steps = done[-1]
    model = _ALGOS[config.algo].load(folder / f"{steps}.zip", env=env, device="cpu")
    if config.algo == "dqn":
        with warnings.catch_warnings():  # HER cuts the episode under way at the checkpoint: intended, it restarts
            warnings.filterwarnings("ignore", "The last trajectory in the replay buffer will be truncated")
            model.load_replay_buffer(folder / f"{steps}.replay.pkl")  # type: ignore[attr-defined]
    model.set_random_seed(config.seed + steps)
    state = json.loads((folder / f"{steps}.json").read_text())
    state["resumed_from"].append(steps)
    rows = (out / CURVE).read_text().splitlines(keepends=True)
    write_text(out / CURVE, "".join(rows[:1] + [r for r in rows[1:] if int(r.split(",")[0]) <= steps]))
    return model, state


class _TrainingLog(BaseCallback):
    """Counts finished episodes, appends learning-curve rows and saves checkpoints at rollout boundaries."""

    def __init__(self, out: Path, row_every: int, checkpoint_every: int, state: dict[str, Any]):
        super().__init__()
        self.out, self.row_every, self.checkpoint_every = out, row_every, checkpoint_every
        self.episodes: int = state["episodes"]
        self.successes: deque[bool] = deque(state["successes"], maxlen=_WINDOW)
        self.lengths: deque[int] = deque(state["lengths"], maxlen=_WINDOW)
        self.wall_before: float = state["wall_seconds"]
        self.resumed_from: list[int] = state["resumed_from"]
        self.started = time.perf_counter()

    def _on_training_start(self) -> None:
        self.next_row = (self.num_timesteps // self.row_every + 1) * self.row_every
        self.last_checkpoint = self.num_timesteps

    def _on_step(self) -> bool:
        for done, info in zip(self.locals["dones"], self.locals["infos"]):
            if done:
                self.episodes += 1
                self.successes.append(bool(info["is_success"]))
                self.lengths.append(int(info["episode"]["l"]))
        if self.num_timesteps >= self.next_row:
            self._write_row()
            self.next_row = (self.num_timesteps // self.row_every + 1) * self.row_every
        return True

    def _on_rollout_start(self) -> None:
        if self.num_timesteps - self.last_checkpoint >= self.checkpoint_every:
            self._save_checkpoint()
            self.last_checkpoint = self.num_timesteps

    def finish(self) -> dict[str, Any]:
        """Write the last row of the curve and return the results of the run."""
        last_row = (self.out / CURVE).read_text().splitlines()[-1]
        if last_row.split(",")[0] != str(self.num_timesteps):
            self._write_row()
        success_rate, mean_length = self._window() if self.successes else (None, None)  # JSON has no NaN
        return {
            "episodes": self.episodes,
            "success_rate": success_rate,
            "mean_length": mean_length,
            "success_window": _WINDOW,
            "wall_seconds": round(self._wall_seconds(), 2),
            "resumed_from": self.resumed_from,
        }

    def _window(self) -> tuple[float, float]:
        if not self.successes:
            return float("nan"), float("nan")
        return float(np.mean(self.successes)), float(np.mean(self.lengths))

    def _wall_seconds(self) -> float:
        return self.wall_before + time.perf_counter() - self.started

    def _write_row(self) -> None:
        success_rate, mean_length = self._window()
        with open(self.out / CURVE, "a") as f:
            f.write(f"{self.num_timesteps},{self.episodes},{success_rate:.4f},{mean_length:.2f}\n")

    def _save_checkpoint(self) -> None:
        folder = self.out / _CHECKPOINTS
        folder.mkdir(exist_ok=True)
        steps = self.num_timesteps
        self.model.save(folder / f"{steps}.zip")
        if isinstance(self.model, DQN):
            self.model.save_replay_buffer(folder / f"{steps}.replay.pkl")
        state = {
            "episodes": self.episodes,
            "successes": list(self.successes),
            "lengths": list(self.lengths),
            "wall_seconds": self._wall_seconds(),
            "resumed_from": self.resumed_from,
        }
        # the state file, written last and atomically, marks the checkpoint complete; then older ones go
        write_json(folder / f"{steps}.json", state, indent=None)
        for path in folder.iterdir():
            if path.name.split(".")[0] != str(steps):
                path.unlink()
