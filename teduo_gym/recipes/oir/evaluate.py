"""Held-out evaluation of an instruction-conditioned agent on Craftax-Classic: success per instruction, coverage.

- :data:`CRAFTAX` -- Craftax-Classic's knowledge (:func:`teduo_gym.envs.knowledge_for`), the source of
  :data:`ACHIEVEMENTS`, :data:`ACHIEVEMENT_GOALS`, :data:`NUM_ACTIONS` and the batched worlds.
- :data:`EVALUATION_SETS` -- the instruction sets: the 22 achievement goals, the knowledge's paraphrase of each,
  and compositional instructions needing two achievements (instruction -> the achievements it requires).
- :class:`~teduo_gym.recipes.oir.config.EvaluationConfig` -- episodes per instruction, episode length, batch,
  exploration, seed, threshold.
- :class:`InstructionResult` -- one instruction's episodes, successes and mean steps to success.
- :func:`evaluate_instructions` -- roll out a Q-function (or a uniformly random agent) on instructions, batched.
- :func:`evaluate_sets` -- every set of :data:`EVALUATION_SETS` (plus the instructions a relabelling agent learned)
  in one pass.
- :func:`coverage`, :func:`summarize` -- instructions solved at least ``threshold`` of the time; per-set means.
- :func:`results_to_json`, :func:`results_from_json` -- the ``evaluation.json`` format (:data:`FORMAT`).

An episode succeeds when every achievement its instruction requires is unlocked (in any order) before the world's
first episode ends, by death or the time limit ``max_steps``. The worlds depend only on the seed and the batch
layout, never on the actions, so agents evaluated with the same config and instructions face the same worlds.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from teduo_gym.envs import knowledge_for
from teduo_gym.llm.embedding import TextEmbedder
from teduo_gym.recipes.oir.config import ENV_ID, EvaluationConfig

__all__ = [
    "ACHIEVEMENTS",
    "ACHIEVEMENT_GOALS",
    "CRAFTAX",
    "EVALUATION_SETS",
    "FORMAT",
    "RELABELLED_SET",
    "EvaluationConfig",
    "InstructionResult",
    "NUM_ACTIONS",
    "QFunction",
    "coverage",
    "evaluate_instructions",
    "evaluate_sets",
    "results_from_json",
    "results_to_json",
    "summarize",
]

#: ``(observations float32 (B, 1345), instruction embeddings float32 (B, 384)) -> Q-values (B, 17)``.
QFunction = Callable[[np.ndarray, np.ndarray], Any]

#: The format tag of ``evaluation.json``.
FORMAT = "teduo-gym/oir-evaluation/1"
#: The name :func:`evaluate_sets` gives the extra instructions (those a relabelling agent learned).
RELABELLED_SET = "relabelled"

#: Craftax-Classic's knowledge: typed ``Any``, as OIR uses its members beyond the protocol (``vector_env``,
#: ``vector_config``, ``describe_world``, ``achievements``, ``observation_size``).
CRAFTAX: Any = knowledge_for(ENV_ID)
#: The achievement names (``"collect_wood"``), in the column order of the worlds' ``info["achievements"]``.
ACHIEVEMENTS: tuple[str, ...] = CRAFTAX.achievements
#: The achievement instructions (``"collect wood"``), in the same order.
ACHIEVEMENT_GOALS: tuple[str, ...] = tuple(CRAFTAX.goals())
#: The worlds' actions.
NUM_ACTIONS: int = len(CRAFTAX.action_words)

#: Set name -> instruction -> the achievements (:data:`ACHIEVEMENTS`) it requires.
EVALUATION_SETS: dict[str, dict[str, tuple[str, ...]]] = {
    "achievements": {goal: (name,) for goal, name in zip(ACHIEVEMENT_GOALS, ACHIEVEMENTS)},
    "paraphrased": {
        CRAFTAX.paraphrase(goal, np.random.default_rng(0)): (name,)
        for goal, name in zip(ACHIEVEMENT_GOALS, ACHIEVEMENTS)
    },
    "compositional": {
        "collect wood and then place a table": ("collect_wood", "place_table"),
        "collect a sapling and plant it": ("collect_sapling", "place_plant"),
        "drink water and eat a cow": ("collect_drink", "eat_cow"),
        "collect wood and make a wood pickaxe": ("collect_wood", "make_wood_pickaxe"),
        "place a table and make a wood sword": ("place_table", "make_wood_sword"),
        "make a wood pickaxe and then collect stone": ("make_wood_pickaxe", "collect_stone"),
        "collect stone and place it": ("collect_stone", "place_stone"),
        "eat a cow and then go to sleep": ("eat_cow", "wake_up"),
    },
}


@dataclass(frozen=True)
class InstructionResult:
    """One instruction's evaluation.

    Example:
        >>> r = InstructionResult("collect wood", ("collect_wood",), episodes=4, successes=1, mean_steps=12.0)
        >>> r.success_rate
        0.25
    """

    instruction: str
    #: the achievements it requires.
    achievements: tuple[str, ...]
    episodes: int
    successes: int
    #: mean steps to success over the successful episodes (nan when none).
    mean_steps: float

    @property
    def success_rate(self) -> float:
        """Successes over episodes."""
        return self.successes / self.episodes if self.episodes else 0.0

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``evaluation.json`` (``mean_steps`` null when nan)."""
        row = dataclasses.asdict(self)
        row["achievements"] = list(self.achievements)
        row["mean_steps"] = None if math.isnan(self.mean_steps) else self.mean_steps
        return row

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> InstructionResult:
        """The inverse of :meth:`to_json`."""
        steps = row["mean_steps"]
        return cls(
            row["instruction"],
            tuple(row["achievements"]),
            int(row["episodes"]),
            int(row["successes"]),
            math.nan if steps is None else float(steps),
        )


def _targets(instructions: Mapping[str, Sequence[str]]) -> np.ndarray:
    """The required achievements as a boolean mask ``(instructions, 22)``; unknown or missing ones are an error."""
    if not instructions:
        raise ValueError("no instructions to evaluate")
    masks = []
    for text, names in instructions.items():
        unknown = [n for n in names if n not in ACHIEVEMENTS]
        if unknown or not names:
            what = f"unknown achievements {unknown}" if unknown else "no achievement"
            raise ValueError(f"instruction {text!r} names {what}; known: {list(ACHIEVEMENTS)}")
        masks.append(np.isin(ACHIEVEMENTS, names))
    return np.stack(masks)


def _batch_seed(seed: int, batch: int) -> int:
    return int(np.random.SeedSequence((seed, batch)).generate_state(1)[0])


def evaluate_instructions(
    q_values: QFunction | None,
    embedder: TextEmbedder,
    instructions: Mapping[str, Sequence[str]],
    config: EvaluationConfig | None = None,
) -> dict[str, InstructionResult]:
    """Roll out ``config.episodes`` episodes per instruction; returns each instruction's result, in input order.

    The ``(instruction, episode)`` pairs are stepped ``config.num_envs`` at a time (the last batch padded), each
    batch in worlds reset with a seed derived from ``config.seed`` and the batch's index, for at most
    ``config.max_steps`` steps. Actions are the greedy ones of ``q_values`` (None: uniformly random), each replaced
    by a random one with probability ``config.epsilon``. Deterministic for a deterministic ``q_values``.

    Args:
        q_values: the agent's Q-function, e.g. ``lambda o, e: learner.q_values(params, o, e)``; None: random agent.
        embedder: embeds each distinct instruction once (``embed(texts) -> float32 (k, dim)``).
        instructions: instruction -> the achievement names it requires.
        config: episodes, batch, exploration and seed (None: the defaults).

    Raises:
        ValueError: no instructions, or an instruction names no or an unknown achievement.

    Example:
        >>> from teduo_gym.llm import shared_embedder
        >>> config = EvaluationConfig(episodes=2, max_steps=10, num_envs=4)
        >>> noop = lambda obs, emb: np.eye(NUM_ACTIONS)[np.zeros(len(obs), int)]
        >>> table = {"place a table": ["place_table"]}
        >>> results = evaluate_instructions(noop, shared_embedder(), table, config)  # doctest: +SKIP
        >>> results["place a table"].successes  # doctest: +SKIP
        0
    """
    config = EvaluationConfig() if config is None else config
    targets = _targets(instructions)
    texts = list(instructions)
    embeddings = np.asarray(embedder.embed(texts), np.float32)
    n, episodes = config.num_envs, config.episodes
    pairs = np.repeat(np.arange(len(texts)), episodes)  # instruction index of each (instruction, episode)
    successes = np.zeros(len(texts), int)
    steps_sum = np.zeros(len(texts), float)
    rng = np.random.default_rng(config.seed)
    envs = CRAFTAX.vector_env(n, max_episode_steps=config.max_steps)
    for batch, start in enumerate(range(0, len(pairs), n)):
        real = pairs[start : start + n]
        which = np.concatenate([real, np.zeros(n - len(real), int)])  # padding: instruction 0, results ignored
        target, emb = targets[which], embeddings[which]
        obs, _ = envs.reset(seed=_batch_seed(config.seed, batch))
        finished = np.arange(n) >= len(real)  # succeeded or ended
        for step in range(1, config.max_steps + 1):
            random = rng.integers(NUM_ACTIONS, size=n)
            if q_values is None:
                actions = random
            else:
                greedy = np.asarray(q_values(obs, emb)).argmax(-1)
                actions = np.where(rng.random(n) < config.epsilon, random, greedy)
            obs, _, terminated, truncated, info = envs.step(actions)
            success = ~finished & (info["achievements"] | ~target).all(-1)
            np.add.at(successes, which[success], 1)
            np.add.at(steps_sum, which[success], step)
            finished |= success | terminated | truncated
            if finished.all():
                break
    return {
        text: InstructionResult(
            text,
            tuple(instructions[text]),
            episodes,
            int(successes[i]),
            float(steps_sum[i] / successes[i]) if successes[i] else math.nan,
        )
        for i, text in enumerate(texts)
    }


def evaluate_sets(
    q_values: QFunction | None,
    embedder: TextEmbedder,
    config: EvaluationConfig | None = None,
    extra: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, dict[str, InstructionResult]]:
    """:func:`evaluate_instructions` on every set of :data:`EVALUATION_SETS`, and on ``extra`` (when not empty)
    as the set :data:`RELABELLED_SET`; each distinct instruction is evaluated once, the standard sets in the same
    worlds whatever ``extra`` holds.

    Args:
        q_values, embedder, config: as for :func:`evaluate_instructions`.
        extra: more instructions (e.g. those the relabelling agent learned that name achievements) -> achievements.

    Raises:
        ValueError: an instruction names an unknown achievement, or two sets require different ones for it.

    Example:
        >>> from teduo_gym.llm import shared_embedder
        >>> config = EvaluationConfig(episodes=1, max_steps=5)
        >>> results = evaluate_sets(None, shared_embedder(), config)  # doctest: +SKIP
        >>> list(results)  # doctest: +SKIP
        ['achievements', 'paraphrased', 'compositional']
    """
    config = EvaluationConfig() if config is None else config
    sets = dict(EVALUATION_SETS) | ({RELABELLED_SET: dict(extra)} if extra else {})
    merged: dict[str, tuple[str, ...]] = {}
    for name, instructions in sets.items():
        for text, achievements in instructions.items():
            required = merged.setdefault(text, tuple(achievements))
            if set(required) != set(achievements):
                raise ValueError(
                    f"instruction {text!r} requires {list(required)} in one set and {list(achievements)} in {name!r}"
                )
    standard = {text: merged[text] for instructions in EVALUATION_SETS.values() for text in instructions}
    results = evaluate_instructions(q_values, embedder, standard, config)
    # The extra instructions run in worlds of their own, so the standard sets' worlds never depend on them.
    more = {text: achievements for text, achievements in merged.items() if text not in standard}
    if more:
        results |= evaluate_instructions(q_values, embedder, more, dataclasses.replace(config, seed=config.seed + 1))
    return {name: {text: results[text] for text in instructions} for name, instructions in sets.items()}


def coverage(results: Mapping[str, InstructionResult], threshold: float) -> int:
    """How many instructions succeed at least ``threshold`` of the time.

    Example:
        >>> coverage({"a": InstructionResult("a", ("eat_cow",), 4, 1, 9.0),
        ...           "b": InstructionResult("b", ("eat_cow",), 4, 0, math.nan)}, threshold=0.25)
        1
    """
    return sum(r.success_rate >= threshold for r in results.values())


def summarize(results_by_set: Mapping[str, Mapping[str, InstructionResult]], threshold: float) -> dict[str, Any]:
    """Mean success and coverage per set, and the coverage of the distinct instructions of all sets (JSON-ready).

    Example:
        >>> r = InstructionResult("collect wood", ("collect_wood",), 4, 2, 30.0)
        >>> summarize({"achievements": {r.instruction: r}, "relabelled": {r.instruction: r}}, 0.25)["coverage"]
        1
    """
    distinct = {text: r for results in results_by_set.values() for text, r in results.items()}
    return {
        "threshold": threshold,
        "sets": {
            name: {
                "instructions": len(results),
                "mean_success": float(np.mean([r.success_rate for r in results.values()])) if results else 0.0,
                "coverage": coverage(results, threshold),
            }
            for name, results in results_by_set.items()
        },
        "instructions": len(distinct),
        "coverage": coverage(distinct, threshold),
    }


def results_to_json(results_by_set: Mapping[str, Mapping[str, InstructionResult]], config: EvaluationConfig) -> dict:
    """The content of ``evaluation.json``: format tag, config, summary and ``sets`` (set -> instruction -> result).

    Example:
        >>> r = InstructionResult("eat cow", ("eat_cow",), 2, 0, math.nan)
        >>> data = results_to_json({"achievements": {"eat cow": r}}, EvaluationConfig())
        >>> data["sets"]["achievements"]["eat cow"]["mean_steps"] is None
        True
        >>> results_from_json(data)["achievements"]["eat cow"].to_json() == r.to_json()
        True
    """
    return {
        "format": FORMAT,
        "config": dataclasses.asdict(config),
        "summary": summarize(results_by_set, config.coverage_threshold),
        "sets": {name: {t: r.to_json() for t, r in results.items()} for name, results in results_by_set.items()},
    }


def results_from_json(data: Mapping[str, Any]) -> dict[str, dict[str, InstructionResult]]:
    """The results of :func:`results_to_json`'s output (its config: ``EvaluationConfig(**data["config"])``).

    Raises:
        ValueError: ``data`` is not in :data:`FORMAT`.
    """
    if data.get("format") != FORMAT:
        raise ValueError(f"not an OIR evaluation (format {FORMAT!r}), got format {data.get('format')!r}")
    return {
        name: {text: InstructionResult.from_json(row) for text, row in rows.items()}
        for name, rows in data["sets"].items()
    }
