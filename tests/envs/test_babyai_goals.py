"""The BabyAI goal grammar."""

import gymnasium as gym
import minigrid  # noqa: F401
import pytest
from minigrid.core.world_object import Ball
from minigrid.envs.babyai.core.verifier import GoToInstr, OpenInstr, PickupInstr, PutNextInstr

from teduo_gym.envs.babyai import (
    BabyAIGoal,
    ObjectRef,
    enumerate_goals,
    feasible_goals,
    goal_to_instr,
    parse_goal,
)
from teduo_gym.wrappers import UnknownGoalError


def test_every_enumerated_goal_parses_back_to_itself() -> None:
    goals = enumerate_goals()
    assert len(goals) == len(set(goals)) == 28 + 21 + 7 + 21 * 28 - 21
    assert goals == enumerate_goals()  # deterministic
    for g in goals:
        assert parse_goal(g).text == g


def test_parse_ignores_case_whitespace_and_determiner() -> None:
    assert parse_goal("  GO   to A Red ball ") == parse_goal("go to the red ball")
    assert parse_goal("put a key next to the grey door") == BabyAIGoal(
        "put next to", ObjectRef("key"), ObjectRef("door", "grey")
    )


@pytest.mark.parametrize(
    "text, near",
    [
        ("go to the red bal", "go to the red ball"),
        ("pick up the red door", None),
        ("open the red ball", None),
        ("go to the pink ball", None),
        ("go to the red ball on your left", None),
        ("", None),
    ],
)
def test_outside_the_grammar_raises_with_suggestions(text: str, near: str | None) -> None:
    with pytest.raises(UnknownGoalError) as info:
        parse_goal(text)
    if near is not None:
        assert near in info.value.suggestions


def test_enumerate_goals_by_kind() -> None:
    assert len(enumerate_goals(("open",))) == 7
    assert enumerate_goals(("go to", "pick up", "open"))[:2] == ["go to a ball", "go to the blue ball"]
    with pytest.raises(ValueError, match="unknown goal kinds"):
        enumerate_goals(("jump",))


def test_goal_validation() -> None:
    with pytest.raises(ValueError):
        BabyAIGoal("pick up", ObjectRef("door"))
    with pytest.raises(ValueError):
        BabyAIGoal("go to", ObjectRef("ball", "pink"))
    with pytest.raises(ValueError):
        BabyAIGoal("put next to", ObjectRef("ball"))


def test_goal_to_instr_builds_minigrid_instructions() -> None:
    cases = {
        "go to a door": GoToInstr,
        "pick up the red key": PickupInstr,
        "open the blue door": OpenInstr,
        "put a ball next to the green box": PutNextInstr,
    }
    for text, cls in cases.items():
        assert type(goal_to_instr(text)) is cls
    put = goal_to_instr("put a ball next to the green box")
    assert (put.desc_move.type, put.desc_move.color) == ("ball", None)
    assert (put.desc_fixed.type, put.desc_fixed.color) == ("box", "green")


def test_feasible_goals_follow_the_layout() -> None:
    env = gym.make("BabyAI-GoToLocal-v0")
    env.reset(seed=0)
    u = env.unwrapped
    for x in range(1, 7):
        for y in range(1, 7):
            u.grid.set(x, y, None)
    u.grid.set(2, 2, Ball("red"))
    goals = [
        "go to the red ball",
        "go to a ball",
        "go to the blue ball",
        "open a door",
        "put a ball next to the red ball",
        "put the red ball next to a key",
    ]
    assert feasible_goals(env, goals).tolist() == [0, 1]
    u.grid.set(4, 4, Ball("blue"))
    assert feasible_goals(env, goals).tolist() == [0, 1, 2, 4]
