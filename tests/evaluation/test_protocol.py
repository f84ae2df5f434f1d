"""The TEDUO protocol on real minigrid: the layouts a run collects on, feasible goals, a fixed episode list."""

import dataclasses

import pytest

from teduo_gym.collection import CollectConfig, collect
from teduo_gym.datasets import load_dataset
from teduo_gym.envs import UnknownEnvironmentError
from teduo_gym.envs.babyai import feasible_goals, parse_goal
from teduo_gym.evaluation.protocol import SETTINGS, Protocol
from teduo_gym.recipes.teduo import RunConfig

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
