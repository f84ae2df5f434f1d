import importlib
import json
from pathlib import Path

import gymnasium as gym
import h5py
import minari
import numpy as np
import pytest
import scipy.sparse as sp
from gymnasium.wrappers import FilterObservation, FlattenObservation
from minigrid.core.constants import DIR_TO_VEC, IDX_TO_COLOR, IDX_TO_OBJECT
from stable_baselines3 import PPO

from teduo_gym.collection import CollectConfig, collect
from teduo_gym.datasets import load_dataset, load_ground_truth
from teduo_gym.envs import MissingKnowledgeError, UnknownEnvironmentError
from teduo_gym.envs.babyai import (
    BabyAIGoal,
    ObjectRef,
    QuietGeneration,
    enumerate_goals,
    layout_fingerprint,
    make_babyai_env,
    parse_goal,
)
from teduo_gym.envs.babyai.state import StateLayout, split_states, symbolic_state
from tests.datasets.conftest import ENV, LINE_ENV, tiny_config

DESCRIBABLE = ("ball", "box", "key", "door")
collect_mod = importlib.import_module("teduo_gym.collection.collect")  # the module, not the function


def test_collection_writes_manifest_minari_and_ground_truth(random_data):
    manifest = json.loads((random_data / "manifest.json").read_text())
    data = load_dataset(random_data, env_id=ENV, state_layout=StateLayout(8, 8))
    assert manifest["env_id"] == ENV and manifest["state_layout"] == StateLayout(8, 8).as_dict()
    assert manifest["counts"] == {"episodes": 6, "transitions": len(data), "states": len(data) + 6, "shards": 3}
    assert manifest["fingerprint"] == data.fingerprint() and manifest["versions"]["minigrid"] != "missing"
    assert manifest["config"]["policy"] == "random" and len(manifest["layouts"]["test"]) == 2
    # a plain Minari dataset: observation space, episodes, actions
    md = minari.MinariDataset(random_data / "minari")
    assert md.total_episodes == 6 and md.total_steps == len(data)
    assert md.observation_space["state"] == gym.spaces.Box(0, 255, (198,), np.uint8)
    assert isinstance(md.observation_space["text"], gym.spaces.Text) and md.action_space == gym.spaces.Discrete(7)
    first = next(md.iterate_episodes())
    assert first.observations["text"][0].startswith("You are at") and len(first.observations["text"]) == len(first) + 1
    # ground truth apart, also readable by scipy
    truth = load_ground_truth(random_data)
    assert truth.goals == enumerate_goals() and truth.achieved.shape == (len(data), 623)
    assert truth.fingerprint == data.fingerprint()
    assert (sp.load_npz(random_data / "ground_truth" / "achieved.npz") != truth.achieved).nnz == 0
    assert truth.achieved.nnz > 0


def test_dataset_holds_no_rewards_goals_or_infos(random_data, mixture_data):
    for root in (random_data, mixture_data):
        for ep in minari.MinariDataset(root / "minari").iterate_episodes():
            assert not ep.rewards.any() and not ep.terminations.any() and ep.truncations[-1]
        names = []
        with h5py.File(root / "minari" / "main_data.hdf5") as f:
            f.visit(names.append)
        assert names and not [n for n in names if "goal" in n or "info" in n or "mission" in n]
        assert "goal" not in (root / "minari" / "metadata.json").read_text()
        data = load_dataset(root)
        assert not any("goal" in t or "mission" in t for t in data.texts)
        assert "goal" not in json.dumps(data.metadata) and not any("goal" in f for f in vars(data))


def _refs(kind: str, color: str) -> list[ObjectRef]:
    return [ObjectRef(kind, color), ObjectRef(kind)]


def _expected_goals(data, layout: StateLayout, goals: list[str]):
    """Per transition: the goals BabyAI's (non-strict) verifiers accept, recomputed from the stored states alone.

    Also the go-to goals that may hold on top: minigrid keeps a picked-up object's recorded position while it is
    carried, so facing that cell still counts as going to it.
    """
    index = {g: i for i, g in enumerate(goals)}
    before, after = split_states(data.states[data.src], layout), split_states(data.states[data.dst], layout)
    names = lambda code: (IDX_TO_OBJECT[int(code[0])], IDX_TO_COLOR[int(code[1])])  # noqa: E731
    expected, allowed = [], []
    for t, action in enumerate(data.actions.tolist()):
        grid, (x, y, d), carried = after[0][t], after[1][t].astype(int), after[2][t]
        fx, fy = np.array([x, y]) + DIR_TO_VEC[d]
        front = grid[fx, fy] if 0 <= fx < layout.width and 0 <= fy < layout.height else None
        hits, extra = set(), set()
        if front is not None and names(front)[0] in DESCRIBABLE:
            hits |= {index[BabyAIGoal("go to", r).text] for r in _refs(*names(front))}
        if carried[0]:
            extra |= {index[BabyAIGoal("go to", r).text] for r in _refs(*names(carried))}
        had = before[2][t]
        if action == 3 and not had[0] and carried[0]:  # pickup
            hits |= {index[BabyAIGoal("pick up", r).text] for r in _refs(*names(carried))}
        if action == 5 and front is not None and names(front)[0] == "door" and front[2] == 0:  # toggle, now open
            hits |= {index[BabyAIGoal("open", r).text] for r in _refs(*names(front))}
        if action == 4 and had[0] and not carried[0]:  # a drop: the object now lies in front
            for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                other = grid[fx + dx, fy + dy]
                if names(other)[0] in DESCRIBABLE:
                    for moved in _refs(*names(had)):
                        for fixed in _refs(*names(other)):
                            text = BabyAIGoal("put next to", moved, fixed).text
                            hits |= {index[text]} if text in index else set()
        expected.append(hits)
        allowed.append(extra)
    return expected, allowed


def _assert_ground_truth(root, kinds):
    data, truth = load_dataset(root), load_ground_truth(root)
    layout = StateLayout(data.state_layout["width"], data.state_layout["height"])
    expected, allowed = _expected_goals(data, layout, truth.goals)
    kind_of = [parse_goal(g).kind for g in truth.goals]
    seen = set()
    for t in range(len(data)):
        row = set(truth.achieved[t].indices.tolist())
        assert expected[t] <= row and row - expected[t] <= allowed[t], (t, [truth.goals[g] for g in row ^ expected[t]])
        seen |= {kind_of[g] for g in row}
    assert set(kinds) <= seen, seen


def test_ground_truth_agrees_with_the_detector_semantics(random_data):
    _assert_ground_truth(random_data, ("go to", "pick up"))


def test_ground_truth_of_doors_and_put_next_in_synth(tmp_path):
    out = collect(
        tiny_config(tmp_path / "synth", env="BabyAI-Synth-v0", policy="mixture", epsilon=0.1, layouts=3, max_steps=100),
        progress=False,
    )
    _assert_ground_truth(out, ("go to", "pick up", "open", "put next to"))


def test_stored_states_replay_from_the_layout_seed(random_data):
    data = load_dataset(random_data)
    env = QuietGeneration(gym.make(ENV, max_steps=40))
    for e, seed in enumerate(data.layout_seeds):
        steps = np.flatnonzero(data.episode == e)
        env.reset(seed=int(seed))
        assert np.array_equal(symbolic_state(env), data.states[data.src[steps[0]]])
        for t in steps:
            env.step(int(data.actions[t]))
            assert np.array_equal(symbolic_state(env), data.states[data.dst[t]]), (e, t)


def test_train_layouts_are_disjoint_from_test_layouts(random_data):
    manifest = json.loads((random_data / "manifest.json").read_text())
    train, test = manifest["layouts"]["train"], manifest["layouts"]["test"]
    data = load_dataset(random_data)
    assert set(data.layout_seeds.tolist()) == set(train) and not set(train) & set(test)
    env = QuietGeneration(gym.make(ENV))
    prints = []
    for seed in train + test:
        env.reset(seed=seed)
        prints.append(layout_fingerprint(env))
    assert not set(prints[: len(train)]) & set(prints[len(train) :])


def test_a_relative_out_directory_works(random_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = collect(tiny_config(Path("runs/data")), progress=False)
    assert load_dataset(out).fingerprint() == load_dataset(random_data).fingerprint()


def test_same_config_gives_the_same_fingerprint(random_data, tmp_path):
    again = collect(tiny_config(tmp_path / "again"), progress=False)
    assert load_dataset(again).fingerprint() == load_dataset(random_data).fingerprint()
    assert load_dataset(again).texts == load_dataset(random_data).texts
    other = collect(tiny_config(tmp_path / "other", seed=2), progress=False)
    assert load_dataset(other).fingerprint() != load_dataset(random_data).fingerprint()
    # a finished dataset is returned as is, without collecting again
    assert collect(tiny_config(tmp_path / "again"), progress=False) == again


def test_episodes_of_a_layout_pursue_different_goals(mixture_data):
    achieved = np.load(mixture_data / "ground_truth" / "achieved.npz")
    assert len(set(achieved["desired_goal"].tolist())) > 3
    assert achieved["success"].mean() >= 0.5


def test_an_interrupted_collection_resumes_to_the_same_data(random_data, tmp_path, monkeypatch):
    out = tmp_path / "resumed"
    real = collect_mod.collect_shard
    calls = []

    def crash_after_first(config, seeds, shard):
        if calls:
            raise KeyboardInterrupt
        calls.append(shard)
        return real(config, seeds, shard)

    monkeypatch.setattr(collect_mod, "collect_shard", crash_after_first)
    with pytest.raises(KeyboardInterrupt):
        collect(tiny_config(out), progress=False)
    assert [p.name for p in sorted((out / "shards").iterdir())] == ["shard-00000.npz"]
    assert not (out / "manifest.json").exists()

    done = []

    def counted(config, seeds, shard):
        done.append(shard)
        return real(config, seeds, shard)

    monkeypatch.setattr(collect_mod, "collect_shard", counted)
    collect(tiny_config(out), progress=False)
    assert done == [1, 2]
    assert json.loads((out / "manifest.json").read_text())["fingerprint"] == load_dataset(random_data).fingerprint()

    # a lost last shard (and manifest) is recollected alone
    (out / "shards" / "shard-00002.npz").unlink()
    (out / "manifest.json").unlink()
    done.clear()
    collect(tiny_config(out), progress=False)
    assert done == [2] and load_dataset(out).fingerprint() == load_dataset(random_data).fingerprint()


def test_config_is_checked():
    for bad in (dict(epsilon=1.5), dict(layouts=0), dict(describer="poetry"), dict(policy="greedy")):
        with pytest.raises(ValueError):
            CollectConfig(**bad)
    with pytest.raises(ValueError, match=r"describer must be one of \['egocentric', 'full', 'full_grid'\]"):
        CollectConfig(env=ENV, describer="poetry")
    with pytest.raises(UnknownEnvironmentError, match="no teduo-gym knowledge for 'Nowhere-v0'; registered: BabyAI-"):
        CollectConfig(env="Nowhere-v0")
    assert CollectConfig().shards == 8 and CollectConfig().env == "BabyAI-Synth-v0"
    assert CollectConfig().describer_name() == "full" and CollectConfig(describer="egocentric").describer_name() == (
        "egocentric"
    )


def test_a_knowledge_without_expert_collects_with_the_random_policy(line_data):
    data, truth = load_dataset(line_data, env_id=LINE_ENV), load_ground_truth(line_data)
    manifest = json.loads((line_data / "manifest.json").read_text())
    assert manifest["state_layout"] == {"kind": f"{LINE_ENV}/symbolic", "size": 1}
    assert manifest["config"]["describer"] == "position" and data.n_episodes == 6
    assert data.texts[0] == f"You are in cell {int(data.states[0, 0])}."
    # the ground truth is the line world's detector: goal i is achieved in cell i
    cells = data.states[data.dst, 0]
    assert (truth.achieved.toarray() == (cells[:, None] == np.arange(5))).all()
    assert minari.MinariDataset(line_data / "minari").action_space == gym.spaces.Discrete(2)


def test_an_expert_policy_of_a_knowledge_without_expert_fails_before_any_work(tmp_path):
    for policy in ("mixture", "bot"):
        with pytest.raises(
            MissingKnowledgeError, match=f"has no 'expert_policy', which collection with policy '{policy}'"
        ):
            tiny_config(tmp_path / policy, env=LINE_ENV, policy=policy)
        assert not (tmp_path / policy).exists()


def test_sb3_policy_collects_and_rejects_other_observation_spaces(tmp_path):
    env = make_babyai_env(ENV, goals=enumerate_goals(), text=False, goal_sampler="feasible")
    PPO("MultiInputPolicy", env, n_steps=32, batch_size=32, seed=0, device="cpu").save(tmp_path / "ppo.zip")
    out = collect(tiny_config(tmp_path / "sb3", policy=str(tmp_path / "ppo.zip"), layouts=1), progress=False)
    assert len(load_dataset(out)) > 0
    small = make_babyai_env(ENV, text=False)  # 56 goals: another observation space
    PPO("MultiInputPolicy", small, n_steps=32, batch_size=32, device="cpu").save(tmp_path / "small.zip")
    with pytest.raises(ValueError, match="trained on other observations"):
        collect(tiny_config(tmp_path / "bad", policy=str(tmp_path / "small.zip"), layouts=1), progress=False)
    # a model of the image alone is fed the image
    image_env = FlattenObservation(FilterObservation(gym.make(ENV), ["image"]))
    PPO("MlpPolicy", image_env, n_steps=32, batch_size=32, device="cpu").save(tmp_path / "image.zip")
    out = collect(tiny_config(tmp_path / "image", policy=str(tmp_path / "image.zip"), layouts=1), progress=False)
    assert len(load_dataset(out)) > 0
    with pytest.raises(FileNotFoundError, match="missing.zip does not exist"):
        collect(tiny_config(tmp_path / "none", policy=str(tmp_path / "missing.zip")), progress=False)
