"""Craftax-Classic: the Gymnasium adapter, the vector env, the describer, ground truth and the compilation cache.

Jit compiles take seconds to tens of seconds, so the environments are module-scoped and share the user's JAX
compilation cache (``compilation_cache_dir()``), which later runs and CI caches reuse.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("craftax", reason="needs the craftax extra: pip install teduo-gym[craftax]")

import gymnasium as gym  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from craftax.craftax_classic.constants import Action, BlockType  # noqa: E402
from gymnasium.utils.env_checker import check_env  # noqa: E402

from teduo_gym.envs.craftax import (  # noqa: E402
    ACHIEVEMENTS,
    ENV_ID,
    BatchMemoryError,
    CraftaxEnv,
    CraftaxVectorConfig,
    CraftaxVectorEnv,
    achievement_unlocked,
    compilation_cache_dir,
    describe_state,
    make_craftax_env,
)

# The user's cache, not the session's fresh $TEDUO_CACHE: compiling Craftax cold costs a minute.
CACHE = Path(os.environ.get("TEDUO_JAX_CACHE") or Path.home() / ".cache" / "teduo-gym" / "jax")


@pytest.fixture(scope="module")
def env() -> CraftaxEnv:
    return CraftaxEnv(compilation_cache=CACHE)


@pytest.fixture(scope="module")
def envs() -> CraftaxVectorEnv:
    return CraftaxVectorEnv(num_envs=2, reset_pool_size=2, max_episode_steps=30, compilation_cache=CACHE)


def test_achievements_are_craftax_order():
    assert len(ACHIEVEMENTS) == 22
    assert ACHIEVEMENTS[:2] == ("collect_wood", "place_table") and ACHIEVEMENTS[-1] == "make_iron_sword"


def test_check_env(env):
    check_env(env, skip_render_check=True)


def test_reset_is_deterministic_by_seed(env):
    first, _ = env.reset(seed=3)
    trajectory = [env.step(a)[0] for a in (1, 3, 5)]
    again, _ = env.reset(seed=3)
    np.testing.assert_array_equal(first, again)
    for obs, a in zip(trajectory, (1, 3, 5)):
        np.testing.assert_array_equal(obs, env.step(a)[0])
    assert not np.array_equal(first, env.reset(seed=4)[0])


def test_gym_make_and_goal_env(env):
    goal_env = make_craftax_env(ENV_ID, ["collect wood", "place table"], compilation_cache=CACHE)
    obs, info = goal_env.reset(seed=0)
    assert info["goal"] in ("collect wood", "place table")
    assert obs["text"].startswith("facing: ") and obs["observation"]["desired_goal"].shape == (2,)


def _facing_tree_state(env: CraftaxEnv):
    """The env's state with a tree right above the player, who faces up."""
    state = env.state
    row, col = (int(v) for v in state.player_position)
    world = state.map.at[row - 1, col].set(BlockType.TREE.value)
    return state.replace(map=world, player_direction=jnp.int32(Action.UP.value))


def test_collecting_wood_unlocks_the_achievement(env):
    env.reset(seed=0)
    env.state = _facing_tree_state(env)
    assert "facing: tree" in env.describe()
    obs, reward, terminated, truncated, info = env.step(Action.DO.value)
    assert info["achievements_unlocked"].tolist() == [name == "collect_wood" for name in ACHIEVEMENTS]
    np.testing.assert_array_equal(info["achievements"], np.asarray(env.state.achievements))
    assert reward >= 0.9 and bool(achievement_unlocked(np.zeros(22, bool), info["achievements"], "collect wood"))
    assert "inventory: wood 1" in env.describe() and "achievements: collect wood" in env.describe()


def test_describer_names_relative_positions(env):
    env.reset(seed=0)
    state = _facing_tree_state(env)
    row, col = (int(v) for v in state.player_position)
    world = state.map.at[row - 3 : row + 4, col - 4 : col + 5].set(BlockType.GRASS.value)
    world = world.at[row - 1, col].set(BlockType.TREE.value).at[row + 2, col - 1].set(BlockType.WATER.value)
    cows = state.cows.replace(
        position=state.cows.position.at[0].set(jnp.array([row, col + 3])), mask=state.cows.mask.at[0].set(True)
    )
    zombies = state.zombies.replace(mask=jnp.zeros_like(state.zombies.mask))
    text = describe_state(state.replace(map=world, cows=cows, zombies=zombies))
    lines = text.splitlines()
    assert lines[0] == "facing: tree"
    assert lines[1].startswith("nearby: tree 1 up, cow 3 right, water 2 down 1 left")
    assert lines[2:] == ["inventory: nothing", "vitals: health 9, food 9, drink 9, energy 9", "achievements: none"]


def test_vector_env_shapes_and_auto_reset(envs):
    obs, info = envs.reset(seed=0)
    assert obs.shape == (2, 1345) and obs.dtype == np.float32 and info["achievements"].shape == (2, 22)
    rng = np.random.default_rng(0)
    truncated_seen = False
    for t in range(31):
        obs, reward, terminated, truncated, info = envs.step(rng.integers(17, size=2))
        assert reward.shape == (2,) and terminated.dtype == bool and obs.dtype == np.float32
        if truncated.any():
            truncated_seen = True
            assert t == 29 or terminated.any()
            assert info["_final_obs"].tolist() == (terminated | truncated).tolist()
            assert int(np.asarray(envs.states.timestep)[truncated][0]) == 0  # restarted from the pool
    assert truncated_seen
    assert envs.describe(1).startswith("facing: ")


def test_vector_env_is_deterministic_by_seed(envs):
    actions = np.random.default_rng(1).integers(17, size=(12, 2))

    def run() -> list[np.ndarray]:
        envs.reset(seed=7)
        return [envs.step(a)[0] for a in actions]

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_gym_make_vec(envs):
    vec = gym.make_vec(ENV_ID, num_envs=2, vectorization_mode="vector_entry_point", reset_pool_size=2)
    assert isinstance(vec, CraftaxVectorEnv) and vec.single_action_space.n == 17


def test_batch_too_large_fails_before_allocating():
    with pytest.raises(BatchMemoryError, match=r"10000000 Craftax worlds.*GiB.*lower num_envs"):
        CraftaxVectorEnv(num_envs=10_000_000, compilation_cache=False)
    with pytest.raises(BatchMemoryError, match="rollout of 1000 steps"):
        CraftaxVectorConfig(num_envs=64, max_memory_bytes=2**28).check_memory(rollout_steps=1000)


def test_compilation_cache_is_written_and_hit(env, monkeypatch):
    env.reset(seed=0)
    entries = set(CACHE.iterdir())
    assert any(p.name.startswith("jit__reset") for p in entries)
    script = (
        "import time; t = time.perf_counter()\n"
        "from teduo_gym.envs.craftax import CraftaxEnv\n"
        f"CraftaxEnv(compilation_cache={str(CACHE)!r}).reset(seed=0)\n"
        "print(time.perf_counter() - t)"
    )
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert float(out.stdout.split()[-1]) < time.perf_counter() - start + 1
    assert not {p for p in CACHE.iterdir() if p.name.startswith("jit__reset")} - entries  # a hit, nothing new
    monkeypatch.setenv("TEDUO_JAX_CACHE", "0")
    assert compilation_cache_dir() is None


def test_an_unknown_achievement_names_the_nearest():
    from teduo_gym.envs.craftax import achievement_index
    from teduo_gym.wrappers import UnknownGoalError

    with pytest.raises(UnknownGoalError, match=r"'collect wod' is not in Craftax-Classic's achievements .*wood"):
        achievement_index("collect_wod")
    with pytest.raises(UnknownGoalError):
        make_craftax_env(goals=["fly to the moon"]).reset(seed=0)
