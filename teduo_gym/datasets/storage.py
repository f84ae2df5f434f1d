"""Reading collected datasets back: the unlabelled transitions and, apart, their ground truth.

A dataset directory written by :func:`teduo_gym.collection.collect` holds::

    manifest.json        format, env id, state layout, counts, train/test layout seeds, config, versions,
                         fingerprint (what load_dataset checks)
    minari/              the Minari dataset (metadata.json + main_data.hdf5): observations
                         {"state": uint8 (D,), "text": str}, Discrete actions, rewards all 0; no goals, no infos
    ground_truth/        goals.json (the goal vocabulary) + achieved.npz (a (T, G) scipy.sparse CSR matrix, the
                         dataset fingerprint, the desired goal and success of each episode); only evaluation
                         reads it
    shards/              the collection's resumable pieces (they also hold ground truth; labelling never reads them)

- :func:`load_dataset` -- the Minari data as a :class:`~teduo_gym.datasets.TransitionDataset`, checked.
- :func:`load_ground_truth` -- the :class:`~teduo_gym.datasets.GroundTruth` of a dataset.
- :class:`DatasetError` -- what is wrong with a dataset directory, and how to fix it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from teduo_gym.core.digest import digest
from teduo_gym.datasets.transitions import GroundTruth, TransitionDataset

__all__ = ["DatasetError", "FORMAT", "assemble", "load_dataset", "load_ground_truth", "read_manifest", "text_digest"]

#: The manifest's format tag; a dataset written in another format is refused.
FORMAT = "teduo-gym/transitions/1"
MANIFEST = "manifest.json"
MINARI_DIR = "minari"
GROUND_TRUTH_DIR = "ground_truth"


class DatasetError(ValueError):
    """A dataset directory that cannot be used as asked; the message names the problem and the fix."""


def text_digest(texts: Sequence[str]) -> str:
    """A hash of the state texts (which :meth:`TransitionDataset.fingerprint` does not cover).

    Example:
        >>> text_digest(["a", "b"]) == text_digest(["a", "b"]) != text_digest(["ab", ""])
        True
    """
    return digest(*texts)


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of the dataset at ``path``, format checked.

    Raises:
        DatasetError: no such directory, no manifest (collection unfinished), an unreadable manifest, another format.
    """
    root = Path(path)
    if not root.is_dir():
        raise DatasetError(
            f"no dataset directory at {root}: give the `out` directory of a finished `teduo collect` "
            "(CollectConfig.out), or run the collection first"
        )
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        shards = sorted((root / "shards").glob("shard-*.npz")) if (root / "shards").is_dir() else []
        hint = (
            f" It holds {len(shards)} shard(s): the collection did not finish; rerun it with the same config to resume."
            if shards
            else " Run the collection with out pointing here first."
        )
        raise DatasetError(f"{manifest_path} is missing, so {root} is not a finished dataset.{hint}")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DatasetError(
            f"{manifest_path} is corrupt ({err}); delete it and rerun the collection with the same config: it "
            "rebuilds the manifest from the finished shards"
        ) from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise DatasetError(
            f"{manifest_path} has format {found!r}, this version of teduo-gym reads {FORMAT!r}: recollect the "
            "data with this version"
        )
    return manifest


def _layout_dict(state_layout: Any) -> dict[str, Any]:
    return dict(state_layout.as_dict() if hasattr(state_layout, "as_dict") else state_layout)


def load_dataset(path: str | Path, *, env_id: str | None = None, state_layout: Any = None) -> TransitionDataset:
    """Load a collected dataset: states, texts, actions and episode structure; never rewards, goals or infos.

    The Minari data are read episode by episode in whole arrays (20k transitions load in about a second); the
    result's :meth:`~TransitionDataset.fingerprint` and texts are checked against the manifest.

    Example:
        >>> import tempfile
        >>> from teduo_gym.collection import CollectConfig, collect
        >>> out = collect(CollectConfig(env="BabyAI-GoToLocal-v0", policy="random", layouts=2, test_layouts=1,
        ...                             episodes_per_layout=1, max_steps=8, out=Path(tempfile.mkdtemp())),
        ...               progress=False)
        >>> data = load_dataset(out, env_id="BabyAI-GoToLocal-v0")
        >>> len(data), data.n_episodes, data.states.shape[1]
        (16, 2, 198)

    Args:
        path: the dataset directory (``CollectConfig.out``).
        env_id: the environment the data must come from, if given.
        state_layout: the state layout the data must have (a ``StateLayout`` or its ``as_dict()``), if given.

    Raises:
        DatasetError: a missing or unfinished dataset, a corrupt or truncated file, another environment or state
            layout than asked, or data that do not match the manifest's fingerprint.
    """
    root = Path(path)
    manifest = read_manifest(root)
    if env_id is not None and manifest["env_id"] != env_id:
        raise DatasetError(
            f"{root} holds data of {manifest['env_id']!r}, not {env_id!r}: use a dataset collected on {env_id!r} "
            "(CollectConfig.env) or ask for the environment the data came from"
        )
    if state_layout is not None and _layout_dict(state_layout) != manifest["state_layout"]:
        raise DatasetError(
            f"{root} holds states of layout {manifest['state_layout']}, not {_layout_dict(state_layout)}: the data "
            "come from a level of another grid size or an older state encoding; recollect on the environment "
            "you want to use"
        )
    from minari import MinariDataset

    minari_dir = root / MINARI_DIR
    try:
        minari_data = MinariDataset(minari_dir)
        episodes = list(minari_data.iterate_episodes())
        seeds = [m.get("seed") for m in minari_data.storage.get_episode_metadata(minari_data.episode_indices)]
    except Exception as err:  # h5py's OSError, KeyError, JSON errors...: all mean the same to the user
        raise DatasetError(
            f"the Minari data in {minari_dir} are corrupt or truncated ({type(err).__name__}: {err}); delete "
            f"{minari_dir} and {root / MANIFEST} and rerun the collection with the same config: it rebuilds them "
            f"from the shards in {root / 'shards'}"
        ) from err
    data = _from_episodes(manifest, episodes, seeds)
    if data.fingerprint() != manifest["fingerprint"] or text_digest(data.texts) != manifest["text_digest"]:
        raise DatasetError(
            f"the data in {minari_dir} do not match the fingerprint in {root / MANIFEST}: they were changed or "
            "replaced after collection. Recollect them (delete the directory and rerun the collection), or restore "
            "the original files"
        )
    _check_counts(root, manifest, {"episodes": data.n_episodes, "transitions": len(data)})
    return data


def _check_counts(root: Path, manifest: dict[str, Any], found: dict[str, int]) -> None:
    """Raise a :class:`DatasetError` naming the manifest when its counts differ from ``found``, the counts of data
    that match its fingerprint (so the manifest is what was changed)."""
    counts = manifest.get("counts", {})
    wrong = {name: (counts.get(name), n) for name, n in found.items() if counts.get(name) != n}
    if wrong:
        said = ", ".join(f"{name} {given} (the data hold {n})" for name, (given, n) in wrong.items())
        raise DatasetError(
            f"{root / MANIFEST} counts {said}, though the data match its fingerprint: the manifest was edited; "
            "restore it, or delete it and rerun the collection with the same config to rebuild it from the shards"
        )


def _from_episodes(manifest: dict[str, Any], episodes: list[Any], seeds: list[Any]) -> TransitionDataset:
    """One :class:`TransitionDataset` from Minari ``EpisodeData`` (state ``n + 1`` entries, actions ``n``)."""
    states, texts, actions = [], [], []
    for ep in episodes:
        states.append(np.asarray(ep.observations["state"], dtype=np.uint8))
        texts.extend(ep.observations["text"])
        actions.append(np.asarray(ep.actions, dtype=np.int64).reshape(-1))
    layout_seeds = np.asarray([-1 if s is None else int(s) for s in seeds], dtype=np.int64)
    return assemble(manifest["env_id"], manifest["state_layout"], states, texts, actions, layout_seeds, manifest)


def assemble(
    env_id: str,
    state_layout: dict[str, Any],
    states: Sequence[np.ndarray],
    texts: list[str],
    actions: Sequence[np.ndarray],
    layout_seeds: np.ndarray,
    metadata: dict[str, Any] | None = None,
) -> TransitionDataset:
    """Per-episode arrays (``n + 1`` states, ``n`` actions each) as one :class:`TransitionDataset`.

    Example:
        >>> d = assemble("Toy-v0", {"kind": "toy"}, [np.zeros((3, 2), np.uint8)], ["a", "b", "c"],
        ...              [np.array([4, 5])], np.array([7]))
        >>> d.src.tolist(), d.dst.tolist()
        ([0, 1], [1, 2])
    """
    lengths = np.array([len(a) for a in actions], dtype=np.int64)
    if any(len(s) != n + 1 for s, n in zip(states, lengths)):
        raise DatasetError("an episode does not hold one more state than actions: the data are malformed; recollect")
    n_transitions = int(lengths.sum())
    # State offset of each episode's first state: episode e's states start after all earlier (n + 1)'s.
    state_start = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
    episode = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    step = np.arange(n_transitions, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    src = state_start[episode] + step if n_transitions else np.zeros(0, np.int64)
    width = int(state_layout.get("size", 0))
    all_states = np.concatenate(states, axis=0) if states else np.zeros((0, width), np.uint8)
    all_actions = np.concatenate(actions).astype(np.int64) if actions else np.zeros(0, np.int64)
    return TransitionDataset(
        env_id=env_id,
        state_layout=dict(state_layout),
        states=np.ascontiguousarray(all_states, dtype=np.uint8),
        texts=list(texts),
        actions=all_actions,
        src=src.astype(np.int64),
        dst=(src + 1).astype(np.int64),
        episode=episode,
        layout_seeds=np.asarray(layout_seeds, dtype=np.int64),
        metadata=dict(metadata or {}),
    )


def load_ground_truth(path: str | Path) -> GroundTruth:
    """The ground truth of a dataset: which goal of the whole grammar each transition achieved.

    Only evaluation should call this (labelling must not see it).

    Example:
        >>> import tempfile
        >>> from teduo_gym.collection import CollectConfig, collect
        >>> out = collect(CollectConfig(env="BabyAI-GoToLocal-v0", policy="random", layouts=2, test_layouts=1,
        ...                             episodes_per_layout=1, max_steps=8, out=Path(tempfile.mkdtemp())),
        ...               progress=False)
        >>> truth = load_ground_truth(out)
        >>> truth.achieved.shape[0] == len(load_dataset(out)), len(truth.goals)
        (True, 623)

    Args:
        path: the dataset directory (``CollectConfig.out``).

    Raises:
        DatasetError: missing or corrupt files, or a ground truth that belongs to other data.
    """
    root = Path(path)
    manifest = read_manifest(root)
    folder = root / GROUND_TRUTH_DIR
    try:
        goals = json.loads((folder / "goals.json").read_text())["goals"]
        with np.load(folder / "achieved.npz", allow_pickle=False) as npz:
            shape = tuple(int(v) for v in npz["shape"])
            indices, indptr = npz["indices"], npz["indptr"]
            achieved = sp.csr_matrix((npz["data"].astype(bool), indices, indptr), shape=shape)
            fingerprint = str(npz["fingerprint"])
    except Exception as err:
        raise DatasetError(
            f"the ground truth in {folder} is missing, corrupt or truncated ({type(err).__name__}: {err}); delete "
            f"{folder} and {root / MANIFEST} and rerun the collection with the same config to rebuild it from the "
            "shards"
        ) from err
    if fingerprint == manifest["fingerprint"]:  # the ground truth is of these data: a wrong count is the manifest's
        _check_counts(root, manifest, {"transitions": shape[0]})
    else:
        raise DatasetError(
            f"the ground truth in {folder} belongs to other data (fingerprint {fingerprint}, {shape[0]} rows; the "
            f"dataset has {manifest['fingerprint']}, {manifest['counts']['transitions']} transitions): recollect"
        )
    return GroundTruth(goals=list(goals), achieved=achieved, fingerprint=fingerprint)
