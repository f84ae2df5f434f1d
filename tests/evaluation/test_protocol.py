"""The TEDUO protocol on real minigrid: the layouts a run collects on, feasible goals, a fixed episode list."""

import dataclasses
from types import SimpleNamespace

import pytest

from teduo_gym.collection import CollectConfig, collect
from teduo_gym.datasets import load_dataset
from teduo_gym.envs import EnvKnowledge, UnknownEnvironmentError
from teduo_gym.envs.babyai import feasible_goals, parse_goal
from teduo_gym.evaluation.protocol import SETTINGS, Protocol
from teduo_gym.recipes.teduo import RunConfig

from .lake import LAKE

CONFIG = RunConfig(layouts=4, test_layouts=3, train_goals=12, test_goals=6, eval_episodes=5, max_steps=24)


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return Protocol.from_run_config(CONFIG)


def test_layouts_are_those_the_run_collects_on(tmp_path, protocol):
    out = collect(
        CollectConfig(
            env=CONFIG.env,
            policy="random",
            layouts=4,
            test_layouts=3,
            episodes_per_layout=1,
            max_steps=4,
            seed=CONFIG.seed,
            out=tmp_path / "data",
        ),
        progress=False,
    )
    layouts = load_dataset(out).metadata["layouts"]
    assert list(protocol.train_layouts) == layouts["train"] and list(protocol.test_layouts) == layouts["test"]


def test_episodes_are_feasible_pairs_of_their_setting(protocol):
    specs = protocol.episode_specs()
    assert [e.index for e in specs] == list(range(len(specs)))
    assert {e.setting for e in specs} <= set(SETTINGS)
    env = protocol.make_env()
    for e in specs:
        train_layout = e.setting.startswith("train layouts")
        assert e.layout_seed in (protocol.train_layouts if train_layout else protocol.test_layouts)
        goals = protocol.train_goals if e.setting.endswith("train goals") else protocol.test_goals
        assert e.goal in goals
        canonical = protocol.canonical(e.goal)
        assert e.kind == parse_goal(canonical).kind
        env.reset(seed=e.layout_seed, options={"goal": e.goal})
        assert feasible_goals(env.unwrapped, [canonical]).tolist() == [0]
    # test goals are reworded: the agent never reads their canonical text
    assert all(protocol.canonical(e.goal) != e.goal for e in specs if e.setting.endswith("test goals"))
    per_setting = {s: sum(e.setting == s for e in specs) for s in {e.setting for e in specs}}
    assert set(per_setting.values()) == {CONFIG.eval_episodes}


def test_same_config_same_episodes_and_fingerprint(protocol):
    again = Protocol.from_run_config(CONFIG)
    assert again.episode_specs() == protocol.episode_specs() and again.fingerprint() == protocol.fingerprint()
    other = Protocol.from_run_config(dataclasses.replace(CONFIG, seed=1))
    assert other.fingerprint() != protocol.fingerprint()
    assert Protocol.from_run_config(CONFIG, episodes=6).fingerprint() != protocol.fingerprint()


def test_an_unknown_level_is_named():
    with pytest.raises(UnknownEnvironmentError, match="BabyAI-GoToLocal-v0"):
        Protocol.from_run_config(dataclasses.replace(CONFIG, env="BabyAI-GoToLokal-v0"))


def test_fingerprint_is_the_blake2b_of_the_sorted_json_protocol(protocol):
    import hashlib
    import json

    blob = json.dumps(dataclasses.asdict(protocol), sort_keys=True).encode()  # how fingerprints were always made
    assert protocol.fingerprint() == hashlib.blake2b(blob, digest_size=8).hexdigest()


def test_episodes_of_a_babyai_config_are_those_of_the_bare_level(protocol):
    """BabyAI finds feasible goals on the bare level; the generic way (its own environment) finds the same."""
    knowledge = protocol.knowledge
    for layouts, goals in (
        (protocol.train_layouts, protocol.train_goals),
        (protocol.test_layouts, protocol.test_goals),
    ):
        canonical = [protocol.canonical(g) for g in goals]
        generic = EnvKnowledge.feasible_by_layout(knowledge, layouts, goals, canonical)
        assert knowledge.feasible_by_layout(layouts, goals, canonical) == generic


def test_protocol_on_an_environment_that_is_not_built_in():
    run = SimpleNamespace(env=LAKE, goal_kinds=("reach", "leave"), train_goals=6, test_goals=4, layouts=2,
                          test_layouts=1, max_steps=10, eval_episodes=5, seed=0)  # fmt: skip
    protocol = Protocol.from_run_config(run)
    knowledge = protocol.knowledge
    specs = protocol.episode_specs()
    assert {e.setting for e in specs} == set(SETTINGS) and len(specs) == 4 * 5
    assert {e.kind for e in specs} <= {"reach", "leave"}
    holes = {5, 7, 11, 12}  # FrozenLake's 4x4 map
    assert not any(e.kind == "reach" and int(protocol.canonical(e.goal).split()[-1]) in holes for e in specs)
    assert all(e.goal.startswith(("get to", "step off")) for e in specs if e.setting.endswith("test goals"))
    env = protocol.make_env(knowledge.describers["cell"])
    test = next(e for e in specs if e.setting.endswith("test goals"))
    obs, info = env.reset(seed=test.layout_seed, options={"goal": test.goal})
    assert info["goal"] == test.goal and obs["text"] == "you stand on cell 0"
    assert env.get_wrapper_attr("_max_episode_steps") == 10  # the protocol's step cap
