"""Online training of the instruction-conditioned PQN agent on Craftax-Classic, with or without relabelling.

- :class:`OIRTrainer` -- one arm and seed: acts on instructions drawn from the instruction buffer, learns with PQN
  on its rollouts and on relabelled segments replayed beside them, relabels (the arms other than "fixed"), logs a
  learning curve, checkpoints and resumes.
- :func:`run_oir` -- every arm and seed of an :class:`~teduo_gym.recipes.oir.config.OIRConfig`, for the same number
  of env steps, then the evaluation of each run and of a random agent, and ``out/report.md``.
- :func:`evaluate_random` -- the random agent's ``evaluation.json``.
- :func:`check_memory` -- raises Craftax's ``BatchMemoryError`` (a ``MemoryError``) for a batch that cannot fit.

Each world acts on one instruction at a time, drawn from the buffer when the world starts and again as soon as the
instruction is achieved, among those the world has not achieved yet (``draw_unachieved``: an achievement unlocks once
per world episode, so one already achieved could not be rewarded again). An instruction's reward is the ground
truth of the achievements it names (1 at the step the last of them is unlocked; the 22 fixed instructions name one
each); an open-ended relabelled instruction ("walk to the water") names none and gets OIR's embedding reward online:
1 at the first step whose changes (the world's text before and after the step,
:func:`~teduo_gym.relabel.state_changes`, :data:`IGNORED_KEYS` aside) are similar enough to it.
An arm that relabels turns a rollout's instruction episodes (segments) into relabelled segments, each a column of
the rollout's steps carrying its new instruction, reward 1 where it is achieved and a mask over the segment up to
there, kept in a :class:`~teduo_gym.recipes.oir.replay.SegmentReplay`:

- LLM relabelling ("relabel", "relabel_ground_truth"), every ``relabel_every`` updates: the rollout's states are
  described sparsely (every ``describe_every`` steps and at each unlocked achievement), the
  :class:`~teduo_gym.relabel.Relabeler` reads the segments (failed ones first), the kept instructions join the
  buffer and a segment's reward is where the embedding-similarity reward first fires;
- ground-truth hindsight ("ground_truth", "relabel_ground_truth"), every update (it costs no LLM): each achievement
  a segment unlocked relabels it with that achievement's instruction, rewarded at the step it was unlocked (HER
  with the checker).

Every update of those arms trains on ``replay_columns`` segments from the replay beside the online rollout; the
relabelled steps consumed are counted (``replayed_steps`` in ``curve.csv`` and the summary).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import numpy as np
from tqdm.auto import tqdm

from teduo_gym.core.io import atomic_write, write_json
from teduo_gym.core.stage import Stage, StageRunner
from teduo_gym.llm import shared_embedder
from teduo_gym.llm.base import LLMResponseError
from teduo_gym.recipes.oir.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from teduo_gym.recipes.oir.config import ADDED_SETTINGS, EvaluationConfig, OIRConfig
from teduo_gym.recipes.oir.evaluate import (
    ACHIEVEMENT_GOALS,
    ACHIEVEMENTS,
    CRAFTAX,
    EVALUATION_SETS,
    NUM_ACTIONS,
    InstructionResult,
    QFunction,
    evaluate_instructions,
    evaluate_sets,
    results_from_json,
    results_to_json,
    summarize,
)
from teduo_gym.recipes.oir.policy import epsilon_greedy
from teduo_gym.recipes.oir.pqn import PQNLearner, Rollout
from teduo_gym.recipes.oir.replay import SegmentReplay, concat_columns
from teduo_gym.recipes.oir.report import RANDOM_AGENT, write_report
from teduo_gym.relabel import (
    AchievementMatcher,
    InstructionBuffer,
    Relabeler,
    Trajectory,
    split_state,
    state_changes,
)

__all__ = ["IGNORED_KEYS", "OIRTrainer", "check_memory", "evaluate_random", "run_oir"]

#: Lines of Craftax's state text whose changes are not rewarded or relabelled: ``nearby`` changes with every step
#: the player walks (positions are relative), ``achievements`` is said by the achievement flags.
IGNORED_KEYS = ("nearby", "achievements")


def check_memory(config: OIRConfig) -> None:
    """Raise Craftax's ``BatchMemoryError`` (a ``MemoryError``) when the worlds and, for each, its share of the
    rollouts (acting, relabelled, replayed: observations and instruction embeddings) and of the replay would not
    fit.

    Example:
        >>> config = OIRConfig(num_envs=4096, rollout_steps=512, total_env_steps=2**21, max_memory_bytes=2**30)
        >>> check_memory(config)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        teduo_gym.envs.craftax.vector.BatchMemoryError: a batch of 4096 Craftax worlds (... OIR's rollouts ...
    """
    dim = shared_embedder(config.embedding_model).dim
    column = (config.rollout_steps + 1) * (CRAFTAX.observation_size + dim) * 4
    replay = config.replay_capacity if config.relabels else 0
    per_world = 2 * column + (replay + 2 * config.replay_columns) * column // config.num_envs
    _env_config(config).check_memory(extra_bytes_per_world=per_world, extra="OIR's rollouts")


def _env_config(config: OIRConfig) -> Any:
    """The batch's ``CraftaxVectorConfig``."""
    return CRAFTAX.vector_config(
        config.num_envs,
        reset_pool_size=config.reset_pool_size,
        max_episode_steps=config.max_episode_steps,
        max_memory_bytes=config.max_memory_bytes,
    )


@dataclass
class _Segment:
    """One instruction episode inside a rollout: what the relabeller reads and the hindsight update trains on."""

    env: int
    instruction: str
    start: int
    #: the world's achievements when the segment started (not gained by it).
    before: np.ndarray = field(default_factory=lambda: np.zeros(len(ACHIEVEMENTS), bool))
    #: (step, achievement index) of each achievement the segment unlocked.
    unlocked: list[tuple[int, int]] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    achievements: list[np.ndarray] = field(default_factory=list)
    success: bool = False
    episode_return: float = 0.0

    def trajectory(self) -> Trajectory:
        # Achievements the world held before the segment are not the segment's to relabel.
        held = np.asarray(self.achievements, bool).reshape(len(self.texts), len(ACHIEVEMENTS))
        return Trajectory(
            self.instruction,
            self.texts,
            held & ~self.before,
            ACHIEVEMENTS,
            self.success,
            self.episode_return,
            IGNORED_KEYS,
        )


class OIRTrainer:
    """One arm and seed of an OIR run (``config.arms`` and ``config.seeds`` hold one each; see
    :meth:`OIRConfig.run`).

    Writes ``curve.csv`` (one row every ``log_every`` updates and at each ``eval_every`` evaluation),
    ``checkpoints/update-N/`` (every ``checkpoint_every`` updates and at the end), ``summary.json`` (what
    :meth:`train` returns: counters, buffer, relabelling counts with the relabelled steps replayed) and
    ``evaluation.json`` from :meth:`evaluate`. A trainer
    made on a directory holding a checkpoint resumes from it (with the same settings, else
    :class:`~teduo_gym.recipes.oir.checkpoint.CheckpointMismatchError`).

    Raises:
        MemoryError: Craftax's ``BatchMemoryError``, the batch would not fit in memory.
    """

    def __init__(self, config: OIRConfig, relabeler: Relabeler | None = None):
        if len(config.arms) != 1 or len(config.seeds) != 1:
            raise ValueError(
                f"OIRTrainer trains one arm and seed; use config.run(arm, seed), got arms {list(config.arms)} "
                f"and seeds {list(config.seeds)}"
            )
        check_memory(config)
        self.config = config
        self.out = Path(config.out)
        self.embedder = shared_embedder(config.embedding_model)
        self.matcher = AchievementMatcher(ACHIEVEMENTS, self.embedder, **CRAFTAX.achievement_words)
        self.relabeler = (
            relabeler
            if relabeler is not None or not config.llm_relabel
            else config.relabel_config().create(self.embedder)
        )
        self.learner = PQNLearner(
            NUM_ACTIONS,
            width=config.width,
            layers=config.layers,
            lr=config.lr,
            max_grad_norm=config.max_grad_norm,
            decay_steps=config.num_updates * config.epochs * config.minibatches if config.lr_decay else None,
            gamma=config.gamma,
            td_lambda=config.td_lambda,
            epochs=config.epochs,
            minibatches=config.minibatches,
        )
        self._targets: dict[str, np.ndarray] = {}
        checkpoint = latest_checkpoint(self.out / "checkpoints")
        if checkpoint is None:
            self._start()
        else:
            state, self.buffer = load_checkpoint(checkpoint, config.fingerprint(), ADDED_SETTINGS)
            self.__dict__.update(state["trainer"])

    def _start(self) -> None:
        config = self.config
        self.buffer = InstructionBuffer(priority=config.priority, seed=config.seed)  # type: ignore[arg-type]
        self.buffer.add(ACHIEVEMENT_GOALS, source="fixed")
        key, init_key = jax.random.split(jax.random.PRNGKey(config.seed))
        self.params = self.learner.init(init_key, CRAFTAX.observation_size, self.embedder.dim)
        self.opt_state = self.learner.optimizer.init(self.params)
        self.key = key
        self.envs = _env_config(config).create()
        self.obs, _ = self.envs.reset(seed=config.seed)
        n = config.num_envs
        self.world_achievements = np.zeros((n, len(ACHIEVEMENTS)), bool)
        self.instructions = [""] * n
        self.done_before = np.zeros(n, bool)
        self.returns = np.zeros(n, np.float32)
        self.world_texts: dict[int, dict[str, frozenset[str]]] = {}
        self._assign(np.arange(n))
        self.update = self.env_steps = self.instruction_episodes = self.world_episodes = 0
        self.window: dict[str, list[int]] = {}
        self.replay = SegmentReplay(
            config.replay_capacity, config.rollout_steps, CRAFTAX.observation_size, self.embedder.dim, config.seed
        )
        totals = "proposed kept restating no_change duplicate unsupported checked agreed"
        self.relabel_totals = dict.fromkeys(
            [*totals.split(), "llm_segments", "ground_truth_segments", "hindsight_steps", "replayed_steps"], 0
        )

    # -- instructions -------------------------------------------------------------------------------------------

    def target(self, instruction: str) -> np.ndarray:
        """The achievements an instruction names, as a boolean mask over :data:`ACHIEVEMENTS` (cached)."""
        if instruction not in self._targets:
            names = (
                (ACHIEVEMENTS[ACHIEVEMENT_GOALS.index(instruction)],)
                if instruction in ACHIEVEMENT_GOALS
                else self.matcher.match(instruction)
            )
            self._targets[instruction] = np.isin(ACHIEVEMENTS, names)
        return self._targets[instruction]

    def _assign(self, envs: np.ndarray) -> None:
        """Draw new instructions for ``envs`` (world achievements already current)."""
        if not len(envs):
            return
        host = None
        index = {text: i for i, text in enumerate(self.buffer.instructions)}
        # achieved[k, i]: world envs[k] already holds every achievement instruction i names (it names at least one).
        targets = np.stack([self.target(text) for text in index])
        achieved = targets.any(1) & ~(targets & ~self.world_achievements[envs][:, None]).any(2)
        drawn = self.buffer.sample(len(envs), ~achieved if self.config.draw_unachieved else None)
        for k, (env, instruction) in enumerate(zip(envs, drawn)):
            self.instructions[env] = instruction
            target = self.target(instruction)
            self.done_before[env] = achieved[k, index[instruction]]
            self.returns[env] = 0.0
            self.world_texts.pop(int(env), None)
            if not target.any():
                host = jax.device_get(self.envs.states) if host is None else host
                self.world_texts[int(env)] = split_state(CRAFTAX.describe_world(host, int(env)))

    def _open_ended_rewards(self, unlocked: np.ndarray, world_done: np.ndarray, host: Any) -> np.ndarray:
        """OIR's embedding reward of the worlds acting on open-ended instructions, on what their last step changed."""
        reached = np.zeros(self.config.num_envs, bool)
        envs = [env for env in self.world_texts if not world_done[env]]
        if not envs:
            return reached
        host = jax.device_get(self.envs.states) if host is None else host
        texts = []
        for env in envs:
            after = split_state(CRAFTAX.describe_world(host, env))
            gained = [name for name, on in zip(ACHIEVEMENTS, unlocked[env]) if on]
            texts.append("; ".join(state_changes(self.world_texts[env], after, gained, skip=IGNORED_KEYS)))
            self.world_texts[env] = after
        changed = [k for k, text in enumerate(texts) if text]
        if changed:
            similarity = np.sum(
                self._embeddings([texts[k] for k in changed])
                * self._embeddings([self.instructions[envs[k]] for k in changed]),
                axis=1,
            )
            reached[[envs[k] for k in changed]] = similarity >= self.config.reward_threshold
        return reached

    def _embeddings(self, instructions: Sequence[str]) -> np.ndarray:
        return self.embedder.embed(list(instructions))

    # -- training -----------------------------------------------------------------------------------------------

    def epsilon(self) -> float:
        """Exploration at the current update: linear decay, then constant."""
        c = self.config
        frac = min(1.0, self.update / max(1.0, c.epsilon_decay * c.num_updates))
        return c.epsilon_start + frac * (c.epsilon_end - c.epsilon_start)

    def train(self, max_updates: int | None = None) -> dict[str, Any]:
        """Run the remaining updates (at most ``max_updates`` of them, then checkpoint); returns the run's summary."""
        c = self.config
        start_update, started = self.update, time.perf_counter()
        stop = c.num_updates if max_updates is None else min(c.num_updates, self.update + max_updates)
        self._trim_curve()
        with tqdm(total=c.num_updates, initial=self.update, desc=f"oir {self.out.name}", unit="update") as bar:
            while self.update < stop:
                llm = c.llm_relabel and (self.update + 1) % c.relabel_every == 0
                rollout, segments = self._rollout(describe=llm)
                batch = rollout
                if c.replay_columns:
                    replayed = self.replay.sample(c.replay_columns)
                    self.relabel_totals["replayed_steps"] += int(replayed.mask.sum())
                    batch = concat_columns(rollout, replayed)
                self.key, key = jax.random.split(self.key)
                self.params, self.opt_state, loss = self.learner.update(self.params, self.opt_state, batch, key)
                row: dict[str, Any] = {"loss": float(loss)}
                if llm or c.ground_truth_relabel:
                    row.update(self._relabel(rollout, segments, llm))
                self.update += 1
                self.env_steps += c.steps_per_update
                evaluate = c.eval_every and (self.update % c.eval_every == 0 or self.update == c.num_updates)
                if evaluate:
                    row.update(self._curve_evaluation())
                if evaluate or self.update % c.log_every == 0 or self.update == c.num_updates:
                    elapsed = time.perf_counter() - started
                    row["steps_per_s"] = (self.update - start_update) * c.steps_per_update / max(elapsed, 1e-9)
                    self._log(row)
                if self.update % c.checkpoint_every == 0 or self.update == stop:
                    self.save()
                bar.update(1)
                bar.set_postfix(steps=self.env_steps, eps=f"{self.epsilon():.2f}", loss=f"{float(loss):.3f}")
        seconds = time.perf_counter() - started
        summary = self.summary() | {
            "seconds": seconds,
            "steps_per_s": (self.update - start_update) * c.steps_per_update / max(seconds, 1e-9),
        }
        if self.update > start_update or not (self.out / "summary.json").is_file():  # a finished run's rerun keeps it
            write_json(self.out / "summary.json", summary, indent=1)
        return summary

    # -- evaluation ---------------------------------------------------------------------------------------------

    def q_function(self) -> QFunction:
        """The current network's Q-values, ``(observations, instruction embeddings) -> (B, actions)``."""
        params = self.params
        return lambda obs, emb: self.learner.q_values(params, obs, emb)

    def _curve_evaluation(self) -> dict[str, Any]:
        """A learning-curve point: the greedy policy on the 22 achievement instructions (the same worlds each time)."""
        config = dataclasses.replace(self.config.evaluation, episodes=self.config.curve_episodes)
        results = evaluate_instructions(self.q_function(), self.embedder, EVALUATION_SETS["achievements"], config)
        point = summarize({"achievements": results}, config.coverage_threshold)["sets"]["achievements"]
        return {"eval/success_rate": point["mean_success"], "eval/coverage": point["coverage"]}

    def relabelled_instructions(self) -> dict[str, tuple[str, ...]]:
        """The relabelled instructions of the buffer with a ground-truth checker: instruction -> achievements."""
        return {
            text: tuple(np.asarray(ACHIEVEMENTS)[self.target(text)])
            for text, entry in self.buffer.entries.items()
            if entry.source == "relabelled" and self.target(text).any()
        }

    def evaluate(self) -> dict[str, dict[str, InstructionResult]]:
        """Evaluate the current policy on every instruction set and on :meth:`relabelled_instructions`; written to
        ``evaluation.json`` (reused while the update and the evaluation settings are the same)."""
        return _cached_evaluation(
            self.out / "evaluation.json",
            self.config.evaluation,
            self.update,
            lambda: evaluate_sets(
                self.q_function(), self.embedder, self.config.evaluation, self.relabelled_instructions()
            ),
        )

    def _rollout(self, describe: bool) -> tuple[Rollout, list[_Segment]]:
        c = self.config
        t_len, n = c.rollout_steps, c.num_envs
        obs = np.zeros((t_len + 1, n, CRAFTAX.observation_size), np.float32)
        emb = np.zeros((t_len + 1, n, self.embedder.dim), np.float32)
        actions = np.zeros((t_len, n), np.int32)
        rewards = np.zeros((t_len, n), np.float32)
        dones = np.zeros((t_len, n), np.float32)
        open_segments = [_Segment(i, self.instructions[i], 0, self.world_achievements[i].copy()) for i in range(n)]
        segments: list[_Segment] = []
        epsilon = self.epsilon()
        for t in range(t_len):
            obs[t], emb[t] = self.obs, self._embeddings(self.instructions)
            self.key, key = jax.random.split(self.key)
            q = self.learner.q_values(self.params, obs[t], emb[t])
            actions[t] = np.asarray(epsilon_greedy(key, q, epsilon))
            self.obs, _, terminated, truncated, info = self.envs.step(actions[t])
            achievements, unlocked = info["achievements"], info["achievements_unlocked"]
            world_done = terminated | truncated
            targets = np.stack([self.target(i) for i in self.instructions])
            reached = targets.any(1) & (achievements | ~targets).all(1)
            host = jax.device_get(self.envs.states) if describe else None
            reached |= self._open_ended_rewards(unlocked, world_done, host)
            success = reached & ~self.done_before
            self.done_before |= reached
            rewards[t], dones[t] = success, success | world_done
            self.returns += rewards[t]
            for env in np.flatnonzero(unlocked.any(1) & ~world_done).tolist():
                open_segments[env].unlocked += [(t, int(k)) for k in np.flatnonzero(unlocked[env])]
            if describe:
                for env, seg in enumerate(open_segments):
                    if not world_done[env] and ((t - seg.start) % c.describe_every == 0 or unlocked[env].any()):
                        seg.steps.append(t)
                        seg.texts.append(CRAFTAX.describe_world(host, env))
                        seg.achievements.append(achievements[env])
            ended = np.flatnonzero(dones[t])
            for env in ended.tolist():
                self.buffer.update(self.instructions[env], bool(success[env]))
                stats = self.window.setdefault(self.instructions[env], [0, 0])
                stats[0] += 1
                stats[1] += int(success[env])
                seg = open_segments[env]
                seg.success, seg.episode_return = bool(success[env]), float(self.returns[env])
                segments.append(seg)
                open_segments[env] = _Segment(int(env), "", t + 1)
            self.instruction_episodes += len(ended)
            self.world_episodes += int(world_done.sum())
            self.world_achievements = np.where(world_done[:, None], False, achievements)
            self._assign(ended)
            for env in ended.tolist():
                open_segments[env].instruction = self.instructions[env]
                open_segments[env].before = self.world_achievements[env].copy()
        obs[t_len], emb[t_len] = self.obs, self._embeddings(self.instructions)
        for seg in open_segments:
            seg.episode_return = float(self.returns[seg.env])
        segments += open_segments
        rollout = Rollout(obs, emb, actions, rewards, dones, np.ones((t_len, n), np.float32))
        return rollout, segments

    def _relabel(self, rollout: Rollout, segments: list[_Segment], llm: bool) -> dict[str, Any]:
        """Relabel the rollout's segments into the replay: by the LLM when ``llm``, by the achievements they
        unlocked in the ground-truth arms; returns the curve row's relabelling entries."""
        ends: list[tuple[_Segment, str, int]] = []  # (segment, new instruction, step where it is achieved)
        row: dict[str, Any] = {}
        if llm:
            ends += self._llm_relabel(segments, row)
        if self.config.ground_truth_relabel:
            truth = [
                (seg, ACHIEVEMENT_GOALS[k], t)
                for seg in segments
                for t, k in seg.unlocked
                if ACHIEVEMENT_GOALS[k] != seg.instruction  # its own success is trained on online
            ]
            self.relabel_totals["ground_truth_segments"] += len(truth)
            ends += truth
        row["hindsight_segments"] = len(ends)
        if ends:
            hindsight = self._hindsight_columns(rollout, ends)
            self.replay.add(hindsight)
            self.relabel_totals["hindsight_steps"] += int(hindsight.mask.sum())
        return row

    def _llm_relabel(self, segments: list[_Segment], row: dict[str, Any]) -> list[tuple[_Segment, str, int]]:
        """The LLM's relabelled segments (instruction, step where its reward first fires); its counts go to
        ``row`` and the totals, its kept instructions to the buffer."""
        assert self.relabeler is not None
        readable = [s for s in segments if len(s.texts) >= 2]
        if not readable:
            return []
        try:
            relabelled, stats = self.relabeler.relabel([s.trajectory() for s in readable], self.buffer.instructions)
        except LLMResponseError:
            return []
        for name in ("proposed", "kept", "restating", "no_change", "duplicate", "unsupported", "checked", "agreed"):
            self.relabel_totals[name] += getattr(stats, name)
        row.update(relabel_proposed=stats.proposed, relabel_kept=stats.kept)
        ends = []
        for item in relabelled:
            self.buffer.add([item.instruction], source="relabelled")
            self._targets.setdefault(item.instruction, np.isin(ACHIEVEMENTS, item.achievements))
            fired = np.flatnonzero(item.rewards > 0)
            if len(fired):
                seg = readable[item.index]
                ends.append((seg, item.instruction, seg.steps[fired[0]]))
        self.relabel_totals["llm_segments"] += len(ends)
        return ends

    def _hindsight_columns(self, rollout: Rollout, ends: list[tuple[_Segment, str, int]]) -> Rollout:
        """One column per relabelled segment: its world's steps, the new instruction, reward 1 and the end of the
        instruction's episode at the step it is achieved, trained on from the segment's start to there."""
        envs = np.array([seg.env for seg, _, _ in ends])
        start = np.array([seg.start for seg, _, _ in ends])
        end = np.array([t for _, _, t in ends])
        emb = self._embeddings([text for _, text, _ in ends])
        t = np.arange(self.config.rollout_steps)[:, None]
        reached = (t == end).astype(np.float32)
        return Rollout(
            rollout.observation[:, envs],
            np.broadcast_to(emb, (len(t) + 1, *emb.shape)).astype(np.float32),
            rollout.action[:, envs],
            reached,
            np.where(t < end, rollout.done[:, envs], reached).astype(np.float32),
            ((t >= start) & (t <= end)).astype(np.float32),
        )

    # -- records ------------------------------------------------------------------------------------------------

    @property
    def curve_path(self) -> Path:
        """The learning curve's CSV."""
        return self.out / "curve.csv"

    def _columns(self) -> list[str]:
        return [
            "update",
            "env_steps",
            "instruction_episodes",
            "world_episodes",
            "epsilon",
            "loss",
            "buffer_size",
            "buffer_relabelled",
            "relabel_proposed",
            "relabel_kept",
            "hindsight_segments",
            "replayed_steps",
            "steps_per_s",
            "success_rate",
            "eval/success_rate",
            "eval/coverage",
            *(f"success/{name}" for name in ACHIEVEMENTS),
        ]

    def _log(self, row: dict[str, Any]) -> None:
        """Append a curve row; success rates are over the fixed instructions' episodes since the last row."""
        fixed = {g: self.window.get(g, [0, 0]) for g in ACHIEVEMENT_GOALS}
        attempts = sum(a for a, _ in fixed.values())
        row = {
            "update": self.update,
            "env_steps": self.env_steps,
            "instruction_episodes": self.instruction_episodes,
            "world_episodes": self.world_episodes,
            "epsilon": round(self.epsilon(), 4),
            "buffer_size": len(self.buffer),
            "buffer_relabelled": self.buffer.stats()["relabelled"],
            "replayed_steps": self.relabel_totals["replayed_steps"],
            "success_rate": sum(s for _, s in fixed.values()) / attempts if attempts else "",
            **{f"success/{n}": (s / a if a else "") for n, (a, s) in zip(ACHIEVEMENTS, fixed.values())},
            **row,
        }
        self.window = {}
        new = not self.curve_path.exists()
        self.out.mkdir(parents=True, exist_ok=True)
        with open(self.curve_path, "a", newline="") as f:
            writer = csv.DictWriter(f, self._columns())
            if new:
                writer.writeheader()
            writer.writerow(row)

    def _trim_curve(self) -> None:
        """Drop rows written after the checkpoint being resumed (they will be written again)."""
        if not self.curve_path.exists():
            return
        with open(self.curve_path, newline="") as f:
            rows = [r for r in csv.DictReader(f) if int(r["update"]) <= self.update]

        def write(tmp: Path) -> None:
            with open(tmp, "w", newline="") as f:
                writer = csv.DictWriter(f, self._columns())
                writer.writeheader()
                writer.writerows(rows)

        atomic_write(self.curve_path, write)

    def save(self) -> Path:
        """Write a checkpoint of the current update."""
        names = (
            "params opt_state key envs obs world_achievements world_texts instructions done_before returns update "
            "env_steps instruction_episodes world_episodes window relabel_totals replay"
        ).split()
        trainer = {
            name: jax.device_get(getattr(self, name)) if name in ("params", "opt_state", "key") else getattr(self, name)
            for name in names
        }
        state = {"fingerprint": self.config.fingerprint(), "trainer": trainer}
        return save_checkpoint(self.out / "checkpoints", self.update, state, self.buffer)

    def summary(self) -> dict[str, Any]:
        """Counters, the buffer's statistics and each fixed instruction's success rate over the whole run."""
        entries = self.buffer.entries
        return {
            "updates": self.update,
            "env_steps": self.env_steps,
            "instruction_episodes": self.instruction_episodes,
            "world_episodes": self.world_episodes,
            "buffer": self.buffer.stats(),
            "relabel": dict(self.relabel_totals),
            "success": {
                name: entries[g].success_rate for name, g in zip(ACHIEVEMENTS, ACHIEVEMENT_GOALS) if g in entries
            },
        }


def _stored_evaluation(
    path: Path, config: EvaluationConfig, update: int
) -> dict[str, dict[str, InstructionResult]] | None:
    """The results in ``path`` when they are those of the same settings and update, else None."""
    if path.is_file():
        data = json.loads(path.read_text())
        if data.get("config") == dataclasses.asdict(config) and data.get("update") == update:
            return results_from_json(data)
    return None


def _cached_evaluation(
    path: Path, config: EvaluationConfig, update: int, evaluate: Callable[[], dict[str, dict[str, InstructionResult]]]
) -> dict[str, dict[str, InstructionResult]]:
    """``evaluate()``'s results, from ``path`` when it holds those of the same settings and update, else written."""
    stored = _stored_evaluation(path, config, update)
    if stored is not None:
        return stored
    results = evaluate()
    write_json(path, results_to_json(results, config) | {"update": update}, indent=1, allow_nan=False)
    return results


def evaluate_random(config: OIRConfig) -> dict[str, dict[str, InstructionResult]]:
    """A uniformly random agent on the instruction sets: the floor the arms are compared with, in
    ``out/random/evaluation.json``."""
    embedder = shared_embedder(config.embedding_model)
    return _cached_evaluation(
        Path(config.out) / RANDOM_AGENT / "evaluation.json",
        config.evaluation,
        0,
        lambda: evaluate_sets(None, embedder, config.evaluation),
    )


def _run_stages(name: str, trainer: OIRTrainer, evaluation: EvaluationConfig) -> list[Stage]:
    """Train one run (an arm and a seed), then evaluate it; both resume (training from its last checkpoint,
    evaluation from its file) and return what later code needs, so they run even when done."""
    path = trainer.out / "evaluation.json"
    return [
        Stage(
            f"train {name}",
            trainer.out,
            trainer.train,
            done=lambda: trainer.update >= trainer.config.num_updates,
            resumes=True,
        ),
        Stage(
            f"evaluate {name}",
            path,
            trainer.evaluate,
            done=lambda: _stored_evaluation(path, evaluation, trainer.update) is not None,
            resumes=True,
        ),
    ]


def run_oir(config: OIRConfig) -> dict[str, Any]:
    """Train every arm of ``config`` once per seed (each run resumes from its last checkpoint), evaluate them and a
    random agent, and write ``out/report.md``; returns ``{"<arm>/seed-<seed>": summary}`` with each run's
    evaluation summary, the report's path and ``"stages"``: each stage's wall time
    (:class:`~teduo_gym.core.stage.StageRunner`, kept in ``out/stage_times.json``; a stage found done reports the
    time it took when it ran).

    Example:
        >>> run_oir(OIRConfig(arms=("fixed",), num_envs=2, rollout_steps=2, total_env_steps=4,
        ...                   out=__import__("tempfile").mkdtemp()))["fixed/seed-0"]["env_steps"]  # doctest: +SKIP
        4
    """
    out = Path(config.out)
    runner = StageRunner(out)
    results: dict[str, Any] = {}
    threshold = config.evaluation.coverage_threshold
    for arm in config.arms:  # one trainer at a time: each holds its own networks and buffer
        for seed in config.seeds:
            name = f"{arm}/seed-{seed}"
            trainer = OIRTrainer(config.run(arm, seed))
            ran = runner.run(_run_stages(name, trainer, config.evaluation))
            results[name] = ran[f"train {name}"] | {"evaluation": summarize(ran[f"evaluate {name}"], threshold)}
    path = out / RANDOM_AGENT / "evaluation.json"
    ran = runner.run(
        [
            Stage(
                f"evaluate {RANDOM_AGENT}",
                path,
                lambda: evaluate_random(config),
                done=lambda: _stored_evaluation(path, config.evaluation, 0) is not None,
                resumes=True,
            )
        ]
    )
    results[RANDOM_AGENT] = {"evaluation": summarize(ran[f"evaluate {RANDOM_AGENT}"], threshold)}
    results["report"] = str(write_report(out, config.arms, config.seeds))
    results["stages"] = runner.report()
    return results
