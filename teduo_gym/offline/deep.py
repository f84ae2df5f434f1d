"""Deep offline RL per goal with d3rlpy (TEDUO step 2 with a network instead of a table).

- :data:`ALGOS` -- d3rlpy's discrete offline algorithms by short name.
- :class:`D3RLPYConfig` -- the algorithm and its training settings; :meth:`D3RLPYConfig.create` builds it.
- :class:`FlatFeatures` -- an abstraction's network inputs (one-hot grids) as one flat vector per abstract state.
- :func:`episode_rows` -- one goal's transitions as the rows of a d3rlpy ``MDPDataset`` (state ids, not features).
- :func:`fit_per_goal` -- one model per goal, on the goal's abstract states.
- :func:`fit_goal_conditioned` -- one model for all goals: the state's features with a code of the goal appended.
- :class:`D3RLPYPolicy` -- a fitted model acting on a goal's abstract state vectors.

The data are :class:`~teduo_gym.offline.TabularQ`'s: transition ``t`` of a goal goes from abstract state ``src[t]``
by ``actions[t]`` to ``dst[t]``, rewarded 1 where the goal's label fires, and a fired label ends the episode. The
Q-learning algorithms minimise the temporal-difference error over sampled batches (Huber loss in d3rlpy)::

    L(theta) = E_(s, a, r, s') [ (r + gamma * (1 - r) * max_a' Q_target(s', a') - Q_theta(s, a))^2 ]

with ``Q_target`` copied from ``Q_theta`` every ``target_update_interval`` steps. ``double_dqn`` picks ``a'`` with
``Q_theta`` (van Hasselt et al., 2016); ``cql`` adds ``alpha * E_s[logsumexp_a Q(s, a) - Q(s, a_data)]``, which
keeps actions absent from the data low (Kumar et al., 2020); ``bcq`` acts only among actions whose behaviour
probability is at least ``action_flexibility`` times the likeliest's (Fujimoto et al., 2019); ``bc`` imitates every
action of the goal's data and ignores rewards: the behaviour policy seen through the goal's abstraction, a floor.
TEDUO reports that a DQN scored as its tabular Q-iteration did (Pouplin et al., ICML 2025).

Importing this module does not import d3rlpy (slow, and it pulls in ``gym``); fitting does.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from teduo_gym.envs import GoalSchema
from teduo_gym.offline.examples import GoalData
from teduo_gym.offline.tabular import GoalMDP

__all__ = [
    "ALGOS",
    "D3RLPYConfig",
    "D3RLPYPolicy",
    "EpisodeRows",
    "FlatFeatures",
    "episode_rows",
    "fit_goal_conditioned",
    "fit_per_goal",
]

#: Short name -> d3rlpy config class (in ``d3rlpy.algos``).
ALGOS: dict[str, str] = {
    "dqn": "DQNConfig",
    "double_dqn": "DoubleDQNConfig",
    "cql": "DiscreteCQLConfig",
    "bcq": "DiscreteBCQConfig",
    "bc": "DiscreteBCConfig",
}

#: Abstract state vectors ``(n, D)`` -> network inputs ``(n, F)``.
Features = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class D3RLPYConfig:
    """Which d3rlpy algorithm, and how it trains.

    The defaults suit BabyAI's small rooms on a CPU. The algorithm is CQL: on BabyAI data of a few thousand
    transitions, most (state, action) pairs are absent (a mixture of the bot and 30% random actions takes one or two of
    the 7 actions in a state), DQN's ``max_a'`` bootstraps from the values it extrapolates for them, and its greedy
    action was one never taken in that state for about half of the data's states; its policies then did worse than
    random actions in the environment, where CQL's did far better (``tests/offline/test_deep.py``,
    ``benchmarks/bench_offline.py``). ``gamma`` is 0.9, not the 0.7 of TEDUO's table: with a network, values
    ``gamma ** distance`` must stay well above the fitting noise across a room (0.7 ** 12 = 0.014, 0.9 ** 12 = 0.28).
    The target network is copied every 100 steps, so that a few thousand steps propagate values along paths of a
    dozen steps (d3rlpy's default, 8000, suits Atari's millions of steps).

    Example:
        >>> D3RLPYConfig(algo="cql", steps=500).steps
        500
        >>> D3RLPYConfig(algo="sac")
        Traceback (most recent call last):
        ...
        ValueError: unknown algo 'sac': known ones are bc, bcq, cql, double_dqn, dqn
    """

    #: one of :data:`ALGOS`: "dqn", "double_dqn", "cql" (DiscreteCQL), "bcq" (DiscreteBCQ), "bc" (DiscreteBC).
    algo: str = "cql"
    #: gradient steps per model.
    steps: int = 2000
    #: steps per epoch (one log line, one saved model with ``log_dir``); ``steps`` must be a multiple if larger.
    steps_per_epoch: int = 1000
    #: transitions per gradient step.
    batch_size: int = 64
    #: Adam's step size.
    learning_rate: float = 3e-4
    #: discount (unused by "bc").
    gamma: float = 0.9
    #: gradient steps between copies of the target network (unused by "bc").
    target_update_interval: int = 100
    #: hidden layers of the MLP encoder.
    hidden_units: tuple[int, ...] = (256, 256)
    #: seeds the network's initialisation and the batches; the same seed and data give the same model on one device.
    seed: int = 0
    #: torch device: "cpu", or "cuda:0" for a GPU.
    device: str = "cpu"
    #: d3rlpy's logs (metrics, parameters, models) under this directory; None writes nothing at all.
    log_dir: Path | None = None
    #: show d3rlpy's progress bars and log lines.
    verbose: bool = False

    def __post_init__(self) -> None:
        if self.algo not in ALGOS:
            raise ValueError(f"unknown algo {self.algo!r}: known ones are {', '.join(sorted(ALGOS))}")
        for name in ("steps", "steps_per_epoch", "batch_size", "target_update_interval"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.steps > self.steps_per_epoch and self.steps % self.steps_per_epoch:
            raise ValueError(f"steps ({self.steps}) must be a multiple of steps_per_epoch ({self.steps_per_epoch})")
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {self.gamma}")

    def create(self) -> Any:
        """The d3rlpy algorithm object (not yet built: its networks are made, seeded, by ``fit``)."""
        import d3rlpy

        config_class = getattr(d3rlpy.algos, ALGOS[self.algo])
        settings = {
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "gamma": self.gamma,
            "target_update_interval": self.target_update_interval,
            "encoder_factory": d3rlpy.models.VectorEncoderFactory(hidden_units=list(self.hidden_units)),
        }
        known = {f.name for f in dataclasses.fields(config_class)}
        return config_class(**{k: v for k, v in settings.items() if k in known}).create(device=self.device)

    def logger_adapter(self) -> Any:
        """d3rlpy's logger: files under :attr:`log_dir`, or none (d3rlpy's default writes ``./d3rlpy_logs``)."""
        from d3rlpy.logging import FileAdapterFactory, NoopAdapterFactory

        return NoopAdapterFactory() if self.log_dir is None else FileAdapterFactory(root_dir=str(self.log_dir))


@dataclass(frozen=True)
class FlatFeatures:
    """An abstraction's network inputs (:meth:`~teduo_gym.envs.GoalSchema.features`: grid and vector) as
    one flat row per abstract state, uint8 when they are (BabyAI's one-hot codes are), which d3rlpy stores as bytes
    and feeds the network as floats.

    Example:
        >>> from teduo_gym.envs.babyai.abstraction import BabyAIAbstraction
        >>> from teduo_gym.envs.babyai.state import StateLayout
        >>> x = FlatFeatures(BabyAIAbstraction(StateLayout(8, 8)))(np.zeros((2, 198), np.uint8))
        >>> x.shape, x.dtype
        ((2, 1683), dtype('uint8'))
    """

    abstraction: GoalSchema

    def __call__(self, vectors: np.ndarray) -> np.ndarray:
        grid, extra = self.abstraction.features(vectors)
        flat = np.concatenate([grid.reshape(len(grid), -1), extra.reshape(len(extra), -1)], axis=1)
        as_bytes = flat.astype(np.uint8)
        return as_bytes if np.array_equal(as_bytes, flat) else flat.astype(np.float32)


class EpisodeRows(NamedTuple):
    """The rows of a d3rlpy ``MDPDataset``: row ``i`` is state ``states[i]``, action, reward, and whether the
    episode ends there by reaching the goal (``terminals``) or is cut (``timeouts``: a row holding the last state,
    whose action and reward are never used)."""

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    terminals: np.ndarray
    timeouts: np.ndarray


def episode_rows(mdp: GoalMDP) -> EpisodeRows:
    """One goal's transitions as d3rlpy episodes.

    A run of transitions where each one starts in the state the previous one reached is one episode; it ends as a
    terminal at the transition whose label fires (d3rlpy then bootstraps nothing from it), or is cut with a timeout
    row holding its last state (so that its last transition keeps its next state). Only the next state of each
    transition matters to one-step temporal differences, so runs are cut where states do not chain, whatever
    episode of the raw data they came from.

    Example:
        >>> mdp = GoalMDP(src=np.array([0, 1, 0]), actions=np.array([1, 1, 0]), dst=np.array([1, 2, 0]),
        ...               rewards=np.array([0, 1, 0], bool), n_states=3)
        >>> rows = episode_rows(mdp)
        >>> rows.states.tolist(), rows.terminals.tolist(), rows.timeouts.tolist()
        ([0, 1, 0, 0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0])
    """
    n = len(mdp.actions)
    if n == 0:
        raise ValueError("the goal has no transitions")
    fired = np.asarray(mdp.rewards, bool)
    chained = np.zeros(n, bool)
    chained[:-1] = mdp.dst[:-1] == mdp.src[1:]
    cut = ~fired & ~chained
    at = np.flatnonzero(cut) + 1
    reward = fired.astype(np.float32)
    return EpisodeRows(
        np.insert(np.asarray(mdp.src, np.int64), at, mdp.dst[cut]),
        np.insert(np.asarray(mdp.actions, np.int64), at, 0),
        np.insert(reward, at, 0.0),
        np.insert(reward, at, 0.0),
        np.insert(np.zeros(n, np.float32), at, 1.0),
    )


@dataclass(frozen=True, eq=False)  # arrays inside: compared by identity
class D3RLPYPolicy:
    """A fitted d3rlpy model acting greedily on one goal's abstract state vectors.

    Args:
        algo: the fitted d3rlpy algorithm (``algo.predict`` gives greedy actions).
        features: abstract vectors -> network inputs, as in training (None: the vectors themselves).
        goal_code: for a goal-conditioned model, the goal's code appended to every input.
    """

    algo: Any
    features: Features | None = None
    goal_code: np.ndarray | None = None

    def observations(self, vectors: np.ndarray) -> np.ndarray:
        """The network inputs of ``(n, D)`` abstract state vectors."""
        x = _inputs(self.features, vectors)
        if self.goal_code is None:
            return x
        return np.concatenate([x, np.broadcast_to(self.goal_code, (len(x), len(self.goal_code)))], axis=1)

    def act(self, vectors: np.ndarray) -> np.ndarray:
        """The greedy action of each ``(n, D)`` abstract state vector (never -1: a network answers everywhere)."""
        return np.asarray(self.algo.predict(self.observations(vectors)), dtype=np.int64).reshape(-1)


def fit_per_goal(
    goals: Sequence[GoalData],
    features: Features | None = None,
    config: D3RLPYConfig | None = None,
    *,
    n_actions: int | None = None,
) -> list[D3RLPYPolicy]:
    """One d3rlpy model per goal, each trained on its goal's transitions alone (same seed for every goal).

    A goal whose label never fires learns nothing useful (no reward in its data); skip such goals, as
    :func:`~teduo_gym.offline.action_examples` does.

    Example:
        >>> mdp = GoalMDP(src=np.array([0, 1]), actions=np.array([1, 1]), dst=np.array([1, 2]),
        ...               rewards=np.array([0, 1], bool), n_states=3)
        >>> goal = GoalData("reach 2", mdp, ["0", "1", "2"], np.array([[0], [1], [2]], np.uint8))
        >>> (policy,) = fit_per_goal([goal], config=D3RLPYConfig(steps=20, batch_size=4), n_actions=2)
        >>> policy.act(goal.vectors).shape
        (3,)

    Args:
        goals: per-goal MDPs with their abstract state vectors (:func:`~teduo_gym.offline.goal_mdps`).
        features: abstract vectors -> network inputs (e.g. :class:`FlatFeatures`); None feeds the vectors as they
            are.
        config: the algorithm and its settings.
        n_actions: the environment's number of actions (default: the largest action in the data, plus one).
    """
    config = config or D3RLPYConfig()
    n_actions = n_actions or _n_actions(goals)
    policies = []
    for i, goal in enumerate(goals):
        rows = episode_rows(goal.mdp)
        inputs = _inputs(features, _vectors(goal))
        algo = _fit(config, rows, inputs[rows.states], n_actions, f"{config.algo}-goal{i:04d}")
        policies.append(D3RLPYPolicy(algo, features))
    return policies


def fit_goal_conditioned(
    goals: Sequence[GoalData],
    features: Features | None = None,
    config: D3RLPYConfig | None = None,
    *,
    n_actions: int | None = None,
    goal_codes: np.ndarray | None = None,
) -> list[D3RLPYPolicy]:
    """One d3rlpy model for all goals: its input is a state's features under the goal's abstraction with the goal's
    code appended (one-hot by default; any fixed embedding, such as a sentence embedding of the goal text, works).

    Every transition appears once per goal (with that goal's abstraction and reward), so the dataset holds
    ``G * T`` rows of ``F + E`` inputs (``F`` features, ``E`` code length; ``E = G`` one-hot): 20 goals x 20,000
    transitions x 1,703 bytes (BabyAI's uint8 one-hot features) = 680 MB, against 34 MB at a time per goal. In
    return one network shares what goals have in common (walls, doors, moving), trains ``steps`` steps in all
    instead of ``steps`` per goal, and, with embeddings, may act for goals it never saw. Rewards are sparse for
    each goal, so it needs more steps than one goal's model.

    Returns:
        one policy per goal, in the order of ``goals``, all sharing the one model.

    Args:
        goals: per-goal MDPs with their abstract state vectors (:func:`~teduo_gym.offline.goal_mdps`).
        features: abstract vectors -> network inputs; None feeds the vectors as they are.
        config: the algorithm and its settings.
        n_actions: the environment's number of actions (default: the largest action in the data, plus one).
        goal_codes: ``(G, E)`` one code per goal; the identity (one-hot, uint8) by default.
    """
    if not goals:
        return []
    config = config or D3RLPYConfig()
    n_actions = n_actions or _n_actions(goals)
    codes = np.eye(len(goals), dtype=np.uint8) if goal_codes is None else np.asarray(goal_codes)
    if codes.ndim != 2 or len(codes) != len(goals):
        raise ValueError(f"goal_codes must have one row per goal ({len(goals)}), got shape {codes.shape}")
    per_goal = [(episode_rows(g.mdp), _inputs(features, _vectors(g))) for g in goals]
    widths = {x.shape[1] for _, x in per_goal}
    if len(widths) != 1:
        raise ValueError(f"the goals' features differ in width ({sorted(widths)}): use one abstraction layout")
    n_rows = sum(len(rows.states) for rows, _ in per_goal)
    width = widths.pop()
    inputs = np.empty((n_rows, width + codes.shape[1]), np.result_type(*(x.dtype for _, x in per_goal), codes.dtype))
    start = 0
    for (rows, x), code in zip(per_goal, codes):
        end = start + len(rows.states)
        inputs[start:end, :width] = x[rows.states]
        inputs[start:end, width:] = code
        start = end
    merged = EpisodeRows(*(np.concatenate(parts) for parts in zip(*(rows for rows, _ in per_goal))))
    algo = _fit(config, merged, inputs, n_actions, f"{config.algo}-goal-conditioned")
    return [D3RLPYPolicy(algo, features, code) for code in codes]


def _vectors(goal: GoalData) -> np.ndarray:
    if goal.vectors is None:
        raise ValueError(f"goal {goal.goal!r} has no abstract state vectors: build goals with goal_mdps(...)")
    return goal.vectors


def _inputs(features: Features | None, vectors: np.ndarray) -> np.ndarray:
    x = np.asarray(vectors if features is None else features(vectors))
    return x.reshape(len(x), -1)


def _n_actions(goals: Sequence[GoalData]) -> int:
    return int(max((g.mdp.actions.max() for g in goals if len(g.mdp.actions)), default=0)) + 1


def _fit(config: D3RLPYConfig, rows: EpisodeRows, inputs: np.ndarray, n_actions: int, name: str) -> Any:
    import d3rlpy

    per_epoch = min(config.steps, config.steps_per_epoch)
    with _seeded(config.seed), _quiet(not config.verbose):
        dataset = d3rlpy.dataset.MDPDataset(
            observations=inputs,
            actions=rows.actions,
            rewards=rows.rewards,
            terminals=rows.terminals,
            timeouts=rows.timeouts,
            action_space=d3rlpy.ActionSpace.DISCRETE,
            action_size=n_actions,
        )
        algo = config.create()
        algo.fit(
            dataset,
            n_steps=config.steps,
            n_steps_per_epoch=per_epoch,
            experiment_name=name,
            logger_adapter=config.logger_adapter(),
            show_progress=config.verbose,
        )
    return algo


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed what d3rlpy draws from (torch's generators for the networks, numpy's global one for the batches) and
    restore them afterwards, so that fitting neither depends on nor disturbs the caller's random state."""
    import d3rlpy
    import torch

    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        with torch.random.fork_rng():
            d3rlpy.seed(seed)
            yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


@contextmanager
def _quiet(quiet: bool) -> Iterator[None]:
    """Drop d3rlpy's info log lines (its parameters and every epoch's metrics, printed through structlog)."""
    if not quiet:
        yield
        return
    import structlog

    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        yield
    finally:
        structlog.configure(**saved)
