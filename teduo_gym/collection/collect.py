"""Collect unlabelled transitions of any environment with knowledge, by a behaviour policy, in resumable shards,
saved in the Minari format.

- :class:`CollectConfig` -- what to collect (environment, policy, layouts, episodes, seed, where).
- :func:`collect` -- run it: shards of episodes on the configured executor (this process, local processes or
  Ray; see :mod:`teduo_gym.core.executor`), each written atomically as it finishes (a rerun skips finished shards), then
  the Minari dataset, the ground truth apart and the manifest (layout of the directory: :mod:`.storage`).
- :func:`collect_shard` -- one shard's episodes as arrays; a pure function of (config, shard), so that shards can
  run on any executor and give the same data.

Everything environment-specific comes from the environment's knowledge (:func:`teduo_gym.envs.knowledge_for`):
the environment over every goal (``make_env``), the layouts (``layout_seeds``), the goals feasible in a layout,
the state vectors (``state_tracker``, ``state_layout``), the stored text (``describers``) and the expert of the
``"bot"`` and ``"mixture"`` policies (``expert_policy``). Each episode resets the environment with its layout seed
and pursues a goal drawn uniformly among those feasible in the layout (so the expert has something to do); the
wrapper records which of all goals (BabyAI: the grammar's 623) every transition achieved. Only states, texts and
actions go to the dataset; rewards are stored as zeros, episode ends as truncations (a termination would tell that
a goal was reached).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import gymnasium as gym
import numpy as np
import scipy.sparse as sp
from tqdm.auto import tqdm

from teduo_gym.core.digest import digest, json_digest
from teduo_gym.core.executor import ExecutorConfig, map_shards
from teduo_gym.core.io import atomic_directory, atomic_write, write_json
from teduo_gym.core.records import to_jsonable, versions
from teduo_gym.datasets.storage import (
    FORMAT,
    GROUND_TRUTH_DIR,
    MANIFEST,
    MINARI_DIR,
    DatasetError,
    assemble,
    text_digest,
)
from teduo_gym.envs import EnvKnowledge, knowledge_for
from teduo_gym.wrappers import TEXT_CHARSET, call_describer

__all__ = ["CollectConfig", "POLICIES", "collect", "collect_shard", "shard_path"]

#: The built-in behaviour policies; any other ``policy`` is the path of a Stable-Baselines3 ``.zip``. ``"bot"`` is
#: the knowledge's expert (:meth:`~teduo_gym.envs.EnvKnowledge.expert_policy`; BabyAI's bot), ``"mixture"`` the
#: expert with random actions.
POLICIES = ("random", "bot", "mixture")
#: The policies that need the knowledge's expert.
EXPERT_POLICIES = ("bot", "mixture")
#: Longest state text stored (the Minari ``Text`` space's ``max_length``).
MAX_TEXT = 8192


@dataclass(frozen=True)
class CollectConfig:
    """What :func:`collect` collects.

    Example:
        >>> CollectConfig(layouts=4).episodes
        40
    """

    #: an environment id with knowledge (teduo_gym.envs.knowledge_for): registered, or "module:attr".
    env: str = "BabyAI-Synth-v0"
    #: behaviour policy: "random", "bot" (the knowledge's expert), "mixture" (expert, epsilon random) or the path of
    #: a Stable-Baselines3 .zip.
    policy: str = "mixture"
    #: probability that the mixture replaces the expert's action by a random one.
    epsilon: float = 0.3
    #: training layouts collected on.
    layouts: int = 40
    #: test layouts, never collected on, recorded in the manifest for evaluation.
    test_layouts: int = 2
    #: episodes per training layout (each with its own goal and agent seed).
    episodes_per_layout: int = 10
    #: step cap of an episode.
    max_steps: int = 128
    #: seeds the layouts, goals and agents; the same config gives the same dataset.
    seed: int = 0
    #: describer of the stored state text: a key of the knowledge's describers (BabyAI: "full", "egocentric");
    #: None: the knowledge's dataset_describer (BabyAI: "full").
    describer: str | None = None
    #: episodes per shard (the unit of resumption and of parallel work).
    shard_episodes: int = 50
    #: the dataset directory.
    out: Path = Path("runs/data")
    #: where the shards run (the data does not depend on it).
    executor: ExecutorConfig = dataclasses.field(default_factory=ExecutorConfig)

    def __post_init__(self) -> None:
        for name in ("layouts", "episodes_per_layout", "max_steps", "shard_episodes"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.test_layouts < 0:
            raise ValueError(f"test_layouts must be at least 0, got {self.test_layouts}")
        if not 0.0 <= self.epsilon <= 1.0:
            raise ValueError(f"epsilon must be in [0, 1], got {self.epsilon}")
        if self.policy not in POLICIES and not str(self.policy).endswith(".zip"):
            raise ValueError(
                f"policy must be one of {POLICIES} or the path of a Stable-Baselines3 model .zip, got {self.policy!r}"
            )
        knowledge = knowledge_for(self.env)  # an unknown id: the registry's error, listing what is registered
        self.describer_name()  # an unknown describer: its one-line error now
        if self.policy in EXPERT_POLICIES:
            knowledge.check("expert_policy", stage=f"collection with policy {self.policy!r}")

    def describer_name(self) -> str:
        """The key of the knowledge's describers that writes the stored texts (:attr:`describer` or the default).

        Example:
            >>> CollectConfig(env="BabyAI-GoToLocal-v0").describer_name()
            'full'
        """
        knowledge = knowledge_for(self.env)
        name = self.describer or knowledge.dataset_describer or knowledge.default_describer
        known = sorted(knowledge.describers)
        if not known:
            raise ValueError(f"the knowledge of {knowledge.env_id} has no describers: give it one (describers)")
        if not name:
            raise ValueError(
                f"the knowledge of {knowledge.env_id} names no default describer: set its default_describer, or "
                f"give describer (one of {known})"
            )
        if name not in known:
            raise ValueError(f"describer must be one of {known} (the describers of {knowledge.env_id}), got {name!r}")
        return name

    @property
    def episodes(self) -> int:
        """Episodes in all: ``layouts * episodes_per_layout``."""
        return self.layouts * self.episodes_per_layout

    @property
    def shards(self) -> int:
        """Number of shards."""
        return math.ceil(self.episodes / self.shard_episodes)


def config_key(config: CollectConfig) -> str:
    """A hash of everything that decides the data (all fields but ``out`` and ``executor``, the describer by name;
    an SB3 model's bytes too)."""
    fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.name not in ("out", "executor")}
    key = json_digest(to_jsonable(fields | {"describer": config.describer_name()}))
    if config.policy not in POLICIES:
        if not Path(config.policy).is_file():
            raise FileNotFoundError(f"{config.policy} does not exist: give the .zip written by an SB3 model's save()")
        key = digest(key, Path(config.policy).read_bytes())
    return key


def shard_path(out: str | Path, shard: int) -> Path:
    """Where shard ``shard`` lives: ``out/shards/shard-00000.npz``."""
    return Path(out) / "shards" / f"shard-{shard:05d}.npz"


# -- behaviour policies -------------------------------------------------------------------------------------


class _SeededFeasibleGoals:
    """Goal sampler: uniform over the goals the knowledge finds feasible in the layout, from an rng set per episode.

    The wrapper's own rng is seeded by the reset seed, the same for every episode of a layout; episodes of one
    layout need goals of their own.
    """

    def __init__(self, knowledge: EnvKnowledge):
        self.knowledge = knowledge
        self.rng = np.random.default_rng(0)

    def __call__(self, env: gym.Env, goals: Sequence[str], rng: np.random.Generator) -> int:
        ok = np.asarray(self.knowledge.feasible_goals(env, goals))
        if ok.size == 0:
            raise ValueError(
                f"no goal of {self.knowledge.env_id} is feasible in this layout: its knowledge's feasible_goals must "
                "find at least one goal in every layout"
            )
        return int(ok[self.rng.integers(ok.size)])


def _make_env(config: CollectConfig, knowledge: EnvKnowledge) -> tuple[gym.Env, _SeededFeasibleGoals]:
    sampler = _SeededFeasibleGoals(knowledge)
    return knowledge.make_env(knowledge.goals(), goal_sampler=sampler, max_steps=config.max_steps), sampler


class _InnerObservation:
    """An SB3 agent trained on the image alone, fed ``obs["observation"]`` of the goal environment."""

    def __init__(self, agent: Any):
        self.agent, self.model = agent, agent.model

    def predict(
        self, observation: Any, state: Any = None, episode_start: Any = None, deterministic: bool = False
    ) -> Any:
        return self.agent.predict(observation["observation"], state, episode_start, deterministic)


def _load_sb3(path: str, env: gym.Env) -> Any:
    """An :class:`SB3Agent` fed the observation it was trained on: the goal env's Dict, or its inner image."""
    from teduo_gym.agents.baselines import SB3Agent

    space = cast(gym.spaces.Dict, env.observation_space)  # a LanguageGoalWrapper's
    try:
        return SB3Agent(path, space)
    except ValueError as whole_err:
        if "trained on observations" not in str(whole_err):
            raise
        try:
            return _InnerObservation(SB3Agent(path, space["observation"]))
        except ValueError:
            raise ValueError(
                f"{path} was trained on other observations than this environment's: it must take either {space} "
                f"(knowledge_for(env).make_env() over every goal) or its 'observation' entry {space['observation']}"
            ) from whole_err


def _make_agent(config: CollectConfig, knowledge: EnvKnowledge, env: gym.Env, seed: int, sb3: Any) -> Any:
    from teduo_gym.agents.baselines import EpsilonMixtureAgent, RandomAgent  # teduo_gym.agents loads torch

    n_actions = int(env.action_space.n)  # type: ignore[attr-defined]
    if config.policy == "random":
        return RandomAgent(gym.spaces.Discrete(n_actions), seed=seed)
    if config.policy == "bot":
        return knowledge.expert_policy(env)
    if config.policy == "mixture":
        return EpsilonMixtureAgent(knowledge.expert_policy(env), gym.spaces.Discrete(n_actions), config.epsilon, seed)
    sb3.model.set_random_seed(seed)
    return sb3


# -- collection ---------------------------------------------------------------------------------------------


def _episode_rngs(config: CollectConfig, episode: int) -> tuple[np.random.Generator, int]:
    """The goal rng and the agent seed of one episode, from the config's seed and the episode index alone."""
    goal_seq, agent_seq = np.random.SeedSequence(entropy=config.seed, spawn_key=(episode,)).spawn(2)
    return np.random.default_rng(goal_seq), int(agent_seq.generate_state(1)[0])


def collect_shard(config: CollectConfig, train_seeds: list[int], shard: int) -> dict[str, np.ndarray]:
    """Run the episodes of one shard and return them as arrays (what :func:`collect` writes to the shard file).

    Episode ``e`` plays on layout ``train_seeds[e // episodes_per_layout]``; its goal and agent are seeded from
    ``(config.seed, e)`` only, so a shard's content does not depend on which worker runs it, or when.

    Example:
        >>> config = CollectConfig(env="BabyAI-GoToLocal-v0", policy="bot", layouts=1, episodes_per_layout=2)
        >>> arrays = collect_shard(config, [5], 0)
        >>> arrays["lengths"].shape, int(arrays["states"].shape[0] - arrays["lengths"].sum())
        ((2,), 2)
    """
    knowledge = knowledge_for(config.env)
    describe = knowledge.describers[config.describer_name()]
    env, sampler = _make_env(config, knowledge)
    tracker = knowledge.state_tracker(env)
    sb3 = _load_sb3(config.policy, env) if config.policy not in POLICIES else None
    first = shard * config.shard_episodes
    episodes = range(first, min(first + config.shard_episodes, config.episodes))
    states, texts, actions, rows = [], [], [], []
    lengths, seeds, desired, success = [], [], [], []
    for e in episodes:
        layout_seed = int(train_seeds[e // config.episodes_per_layout])
        sampler.rng, agent_seed = _episode_rngs(config, e)
        obs, _ = env.reset(seed=layout_seed)
        agent = _make_agent(config, knowledge, env, agent_seed, sb3)
        states.append(tracker.reset())
        texts.append(call_describer(describe, env, obs["observation"], MAX_TEXT))
        n, done, start, reached = 0, False, True, False
        while not done:
            action, _ = agent.predict(obs, episode_start=np.array([start]), deterministic=False)
            action = int(np.asarray(action).reshape(-1)[0])
            tracker.before_step()
            obs, _, terminated, truncated, info = env.step(action)
            start, n, done = False, n + 1, bool(terminated or truncated)
            reached = reached or bool(info.get("is_success", False))
            actions.append(action)
            states.append(tracker.after_step())
            texts.append(call_describer(describe, env, obs["observation"], MAX_TEXT))
            rows.append(np.flatnonzero(obs["achieved_goal"]).astype(np.int32))
        lengths.append(n)
        seeds.append(layout_seed)
        desired.append(int(np.argmax(obs["desired_goal"])))
        success.append(reached)
    env.close()
    encoded = [t.encode() for t in texts]
    return {
        "config_key": np.array(config_key(config)),
        "episode_ids": np.asarray(episodes, dtype=np.int64),
        "layout_seeds": np.asarray(seeds, dtype=np.int64),
        "lengths": np.asarray(lengths, dtype=np.int64),
        "states": np.stack(states).astype(np.uint8),
        "text_bytes": np.frombuffer(b"".join(encoded), dtype=np.uint8),
        "text_offsets": np.concatenate([[0], np.cumsum([len(b) for b in encoded])]).astype(np.int64),
        "actions": np.asarray(actions, dtype=np.int64),
        "achieved_indptr": np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64),
        "achieved_indices": (np.concatenate(rows) if rows else np.zeros(0)).astype(np.int32),
        "desired_goal": np.asarray(desired, dtype=np.int64),
        "success": np.asarray(success, dtype=bool),
    }


def _write_shard(path: Path, arrays: dict[str, Any]) -> None:
    atomic_write(path, lambda tmp: np.savez_compressed(tmp, **arrays))


def _read_shard(path: Path, key: str, check_only: bool = False) -> dict[str, np.ndarray]:
    """A shard's arrays (only its config key with ``check_only``), checked to belong to config ``key``."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            names = ["config_key"] if check_only else npz.files
            arrays = {k: npz[k] for k in names}
    except Exception as err:
        raise DatasetError(
            f"shard {path} is corrupt or truncated ({type(err).__name__}: {err}); delete it and rerun the "
            "collection: only that shard is collected again"
        ) from err
    if str(arrays["config_key"]) != key:
        raise DatasetError(
            f"shard {path} was collected with another config than this one: collect into another `out` "
            f"directory, or delete {path.parent} to recollect"
        )
    return arrays


def _texts(arrays: dict[str, np.ndarray]) -> list[str]:
    raw, offsets = arrays["text_bytes"].tobytes(), arrays["text_offsets"]
    return [raw[a:b].decode() for a, b in zip(offsets[:-1], offsets[1:])]


def collect(config: CollectConfig, progress: bool = True) -> Path:
    """Collect the dataset ``config`` describes into ``config.out`` and return that directory.

    Shards of ``config.shard_episodes`` episodes are written atomically as they finish; a rerun skips the shards
    that exist, so an interrupted collection resumes, and the result is the same as an uninterrupted run. When
    every shard exists the Minari dataset, the ground truth and the manifest are written (the manifest last: its
    presence marks a finished dataset). A finished dataset with the same config is returned as is.

    Example:
        >>> import tempfile
        >>> out = collect(CollectConfig(env="BabyAI-GoToLocal-v0", policy="bot", layouts=2, test_layouts=1,
        ...                             episodes_per_layout=2, out=Path(tempfile.mkdtemp())), progress=False)
        >>> sorted(p.name for p in out.iterdir())
        ['ground_truth', 'manifest.json', 'minari', 'shards']

    Raises:
        DatasetError: ``config.out`` holds data of another config, or a corrupt shard.
    """
    out = Path(config.out)
    key = config_key(config)
    if (out / MANIFEST).is_file():
        try:
            found = json.loads((out / MANIFEST).read_text()).get("config_key")
        except (OSError, json.JSONDecodeError):
            found = None  # a damaged manifest is rebuilt below
        if found == key:
            return out
        if found is not None:
            raise DatasetError(
                f"{out} already holds a dataset collected with another config: collect into another `out` "
                "directory, or delete it first"
            )
    split = knowledge_for(config.env).layout_seeds(config.layouts, config.test_layouts, config.seed)
    done = [s for s in range(config.shards) if shard_path(out, s).is_file()]
    for s in done:
        _read_shard(shard_path(out, s), key, check_only=True)
    done_episodes = sum(min(config.shard_episodes, config.episodes - s * config.shard_episodes) for s in done)
    todo = [s for s in range(config.shards) if s not in done]
    with tqdm(total=config.episodes, initial=done_episodes, desc="collect", unit="ep", disable=not progress) as bar:
        for position, arrays in map_shards(_collect_task, (config, split.train), todo, config.executor):
            _write_shard(shard_path(out, todo[position]), arrays)
            bar.update(len(arrays["lengths"]))
    _finish(config, key, split.train, split.test)
    return out


def _collect_task(shared: tuple[CollectConfig, list[int]], shard: int) -> dict[str, np.ndarray]:
    """One shard on a worker (see :func:`~teduo_gym.core.executor.map_shards`)."""
    return collect_shard(*shared, shard)


def _finish(config: CollectConfig, key: str, train: list[int], test: list[int]) -> None:
    """From the shards: the Minari dataset, the ground truth, then the manifest (each written atomically)."""
    knowledge = knowledge_for(config.env)
    out = Path(config.out)
    shards = [_read_shard(shard_path(out, s), key) for s in range(config.shards)]
    goals = knowledge.goals()
    env = knowledge.make_env(goals, max_steps=config.max_steps)
    env.reset(seed=int(train[0]))  # a state to read the layout of
    layout = knowledge.state_layout(env)
    n_actions = int(env.action_space.n)  # type: ignore[attr-defined]
    env.close()

    # Per-episode pieces, in episode order.
    ep_states, ep_texts, ep_actions = [], [], []
    for arrays in shards:
        texts = _texts(arrays)
        state_at = np.concatenate([[0], np.cumsum(arrays["lengths"] + 1)])
        action_at = np.concatenate([[0], np.cumsum(arrays["lengths"])])
        for i in range(len(arrays["lengths"])):
            ep_states.append(arrays["states"][state_at[i] : state_at[i + 1]])
            ep_texts.append(texts[state_at[i] : state_at[i + 1]])
            ep_actions.append(arrays["actions"][action_at[i] : action_at[i + 1]])
    seeds = np.concatenate([a["layout_seeds"] for a in shards])
    all_texts = [t for texts in ep_texts for t in texts]
    data = assemble(config.env, layout, ep_states, all_texts, ep_actions, seeds)
    fingerprint = data.fingerprint()

    _write_minari(out / MINARI_DIR, config, layout, n_actions, ep_states, ep_texts, ep_actions, seeds)
    _write_ground_truth(out / GROUND_TRUTH_DIR, goals, shards, len(data), fingerprint)
    manifest = {
        "format": FORMAT,
        "env_id": config.env,
        "state_layout": layout,
        "counts": {
            "episodes": data.n_episodes,
            "transitions": len(data),
            "states": len(data.states),
            "shards": config.shards,
        },
        "layouts": {"train": [int(s) for s in train], "test": [int(s) for s in test]},
        "config": to_jsonable(config) | {"describer": config.describer_name()},
        "config_key": key,
        "versions": versions(),
        "fingerprint": fingerprint,
        "text_digest": text_digest(data.texts),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_json(out / MANIFEST, manifest, indent=2)


def _write_minari(
    folder: Path,
    config: CollectConfig,
    layout: dict[str, Any],
    n_actions: int,
    ep_states: list[np.ndarray],
    ep_texts: list[list[str]],
    ep_actions: list[np.ndarray],
    seeds: np.ndarray,
) -> None:
    """The Minari dataset, written into a temporary folder that then replaces ``folder``."""
    from minari.data_collector import EpisodeBuffer
    from minari.dataset.minari_storage import MinariStorage

    observation_space = gym.spaces.Dict(
        {
            "state": gym.spaces.Box(0, 255, (int(layout["size"]),), np.uint8),
            "text": gym.spaces.Text(max_length=MAX_TEXT, charset=TEXT_CHARSET),
        }
    )
    policy = config.policy if config.policy in POLICIES else "sb3"

    def buffers() -> Any:
        for e, (states, texts, actions) in enumerate(zip(ep_states, ep_texts, ep_actions)):
            n = len(actions)
            yield EpisodeBuffer(
                id=e,
                seed=int(seeds[e]),
                observations={"state": states, "text": texts},
                actions=np.asarray(actions, dtype=np.int64),
                rewards=np.zeros(n, dtype=np.float64),
                terminations=np.zeros(n, dtype=bool),
                truncations=np.arange(n) == n - 1,
            )

    def write(tmp: Path) -> None:
        storage = MinariStorage.new(
            tmp,
            observation_space=observation_space,
            action_space=gym.spaces.Discrete(n_actions),
            data_format="hdf5",
            jpeg_encoding=False,
        )
        storage.update_metadata(
            {
                "dataset_id": f"teduo/{_id_part(config.env)}-{policy}-v0",
                "minari_version": _minari_version(),
                "algorithm_name": policy,
                "description": "Unlabelled transitions collected by teduo-gym: symbolic states, state texts and "
                "actions; rewards are zeros, episode ends are truncations. See manifest.json beside this folder.",
            }
        )
        storage.update_episodes(buffers())
        _compress_hdf5(tmp / "main_data.hdf5")
        storage.update_metadata({"dataset_size": storage.get_size()})

    atomic_directory(folder.resolve(), write)  # Minari joins relative paths with its own root


def _id_part(env_id: str) -> str:
    """``env_id`` as one part of a Minari dataset id (lower case; ``/``, ``:``, ``.`` and the like as ``-``).

    Example:
        >>> _id_part("BabyAI-GoToLocal-v0"), _id_part("my_pkg.envs:knowledge")
        ('babyai-gotolocal-v0', 'my_pkg-envs-knowledge')
    """
    return re.sub(r"[^a-z0-9_-]+", "-", env_id.lower())


def _compress_hdf5(path: Path) -> None:
    """Rewrite Minari's HDF5 file with gzip-compressed datasets, texts as fixed-length bytes.

    Minari writes uncompressed arrays and variable-length strings (whose bytes HDF5 cannot compress): about
    2.4 kB per BabyAI Synth transition. Same groups, names, attributes and values, so Minari reads it as before
    (its text decoder calls ``bytes.decode`` on each entry), at a fraction of the size.
    """
    import h5py

    def copy(src: Any, dst: Any) -> None:
        dst.attrs.update(dict(src.attrs))
        for name, item in src.items():
            if isinstance(item, h5py.Group):
                copy(item, dst.create_group(name, track_order=True))
                continue
            data = item[()]
            if item.shape == ():
                dst.create_dataset(name, data=data)
                continue
            if h5py.check_string_dtype(item.dtype) is not None:
                data = np.array(data, dtype=f"S{max(1, max((len(b) for b in data), default=1))}")
            out = dst.create_dataset(name, data=data, chunks=True, compression="gzip", shuffle=True)
            out.attrs.update(dict(item.attrs))

    def write(tmp: Path) -> None:
        with h5py.File(path, "r") as src, h5py.File(tmp, "w", track_order=True) as dst:
            copy(src, dst)

    atomic_write(path, write)


def _minari_version() -> str:
    import minari

    return str(minari.__version__)


def _write_ground_truth(
    folder: Path, goals: list[str], shards: list[dict[str, np.ndarray]], n_transitions: int, fingerprint: str
) -> None:
    """``goals.json`` and ``achieved.npz`` (readable by ``scipy.sparse.load_npz`` too), replacing ``folder``."""
    indices = np.concatenate([a["achieved_indices"] for a in shards]).astype(np.int32)
    counts = np.concatenate([np.diff(a["achieved_indptr"]) for a in shards])
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    achieved = sp.csr_matrix((np.ones(len(indices), dtype=bool), indices, indptr), shape=(n_transitions, len(goals)))

    def write(tmp: Path) -> None:
        (tmp / "goals.json").write_text(json.dumps({"goals": goals, "fingerprint": fingerprint}, indent=1))
        with open(tmp / "achieved.npz", "wb") as f:
            np.savez_compressed(
                f,
                format=np.array("csr"),
                shape=np.array(achieved.shape),
                data=achieved.data,
                indices=achieved.indices,
                indptr=achieved.indptr,
                fingerprint=np.array(fingerprint),
                # what each episode pursued (an index into goals) and whether it got there: evaluation only
                desired_goal=np.concatenate([a["desired_goal"] for a in shards]),
                success=np.concatenate([a["success"] for a in shards]),
            )

    atomic_directory(folder, write)
