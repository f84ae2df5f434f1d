"""BALROG's BabyAI tasks (envs/babyai/balrog.py): the five levels, their missions and time limits, BALROG's text."""

import re
import warnings

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env
from minigrid.core.world_object import Ball, Box, Door, Key

from teduo_gym.envs.babyai import describe_egocentric
from teduo_gym.envs.babyai.balrog import (
    BALROG_ACTIONS,
    BALROG_ENV_IDS,
    BALROG_TASKS,
    balrog_env_id,
    describe_balrog,
    make_balrog_env,
)

_REF = r"(the|a) (red|green|blue|purple|yellow|grey) (ball|box|key)"
MISSIONS = {
    "goto": rf"go to {_REF}",
    "pickup": rf"pick up {_REF}",
    "open": r"open the ((yellow|green|blue|purple) )?door",
    "putnext": rf"put {_REF} next to {_REF}",
    "pick_up_seq_go_to": rf"pick up {_REF}, then go to {_REF}|go to {_REF} after you pick up {_REF}",
}


def test_task_names_and_ids() -> None:
    assert list(BALROG_TASKS) == ["goto", "pickup", "open", "putnext", "pick_up_seq_go_to"]
    assert all(env_id in gym.registry for env_id in BALROG_ENV_IDS.values())
    assert BALROG_ACTIONS == ("turn left", "turn right", "go forward", "pick up", "drop", "toggle")


@pytest.mark.parametrize("task", list(BALROG_TASKS))
def test_check_env_level_and_wrapped(task: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(gym.make(balrog_env_id(task)).unwrapped, skip_render_check=True)
        check_env(make_balrog_env(task), skip_render_check=True)


@pytest.mark.parametrize("task", list(BALROG_TASKS))
def test_missions_of_the_task_kind_and_layout(task: str) -> None:
    env = make_balrog_env(task)
    for seed in range(8):
        obs, info = env.reset(seed=seed)
        level = env.unwrapped
        assert re.fullmatch(MISSIONS[task], level.mission), level.mission
        assert not any(pair in level.mission for pair in ("yellow box", "red key", "green ball"))
        assert info.get("goal", level.mission) == level.mission
        objects = [c for c in level.grid.grid if c is not None and c.type != "wall"]
        if task == "open":  # two rooms, the locked door between them, its key and 8 distractors
            assert (level.width, level.height, len(objects)) == (15, 8, 10)
            door = next(c for c in objects if c.type == "door")
            assert door.is_locked and any(c.type == "key" and c.color == door.color for c in objects)
        else:
            assert (level.width, level.height, len(objects)) == (8, 8, 9 if task in ("goto", "pickup") else 10)
        assert level.max_steps == (64 if task in ("goto", "pickup") else 128)
        assert obs["text"] == describe_balrog(None, obs)


def test_fixed_time_limit_and_distractors() -> None:
    env = make_balrog_env("goto", max_steps=100, num_dists=0)
    env.reset(seed=0)
    objects = [c for c in env.unwrapped.grid.grid if c is not None and c.type != "wall"]
    assert env.unwrapped.max_steps == 100 and len(objects) == 1


def test_text_matches_balrog_on_a_made_state() -> None:
    env = make_balrog_env("goto")
    env.reset(seed=0)
    level = env.unwrapped
    for x in range(1, 7):
        for y in range(1, 7):
            level.grid.set(x, y, None)
    level.agent_pos, level.agent_dir, level.carrying = (3, 5), 3, Key("blue")  # facing north
    level.grid.set(1, 2, Ball("red"))
    level.grid.set(3, 3, Box("grey"))  # hides the wall ahead
    level.grid.set(5, 0, Door("purple", is_open=True))
    level.grid.set(6, 5, Key("yellow"))  # hides the wall on the right
    obs = level.gen_obs()
    assert describe_balrog(None, obs) == (
        "You carry a blue key\n"
        "a wall 3 steps left\n"
        "a red ball 2 steps left and 3 steps forward\n"
        "a grey box 2 steps forward\n"
        "a open purple door 2 steps right and 5 steps forward\n"
        "a yellow key 3 steps right"
    )
    assert describe_balrog(None, obs) != describe_egocentric(None, obs)


def test_text_of_a_fixed_seed() -> None:
    obs, _ = make_balrog_env("goto").reset(seed=4)
    assert obs["text"] == (
        "a grey ball 3 steps left\na grey ball 2 steps forward\n"
        "a red box 1 step right and 1 step forward\na yellow key 2 steps right"
    )


def test_unknown_task_names_the_tasks() -> None:
    with pytest.raises(ValueError, match="unknown BALROG task.*goto, pickup, open, putnext, pick_up_seq_go_to"):
        make_balrog_env("go to")
