"""The compiled predicate (``achieved``) against minigrid's own verifiers on scripted episodes."""

import gymnasium as gym
import minigrid  # noqa: F401
import numpy as np
import pytest
from minigrid.core.actions import Actions
from minigrid.core.world_object import Ball, Box, Key

from teduo_gym.envs.babyai.abstraction import achieved, choice_of_goal
from teduo_gym.envs.babyai.goals import goal_to_instr, parse_goal
from teduo_gym.envs.babyai.state import state_layout, symbolic_state

L, R, PICKUP, DROP, TOGGLE = Actions.left, Actions.right, Actions.pickup, Actions.drop, Actions.toggle
# agent at (3, 3) facing the red ball at (4, 3), the grey box below it at (3, 4), a purple key at (2, 2); the room is
# otherwise empty
SCRIPT = [PICKUP, L, R, R, TOGGLE, L, L, DROP, R, R]


def _play(goal: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """States, actions and minigrid's verdict per step of :data:`SCRIPT`, with ``goal`` as the level's instruction
    (the level keeps verifying after a success, as the verifier itself does)."""
    level = gym.make("BabyAI-GoToLocal-v0").unwrapped
    level.reset(seed=0)
    for x in range(1, level.grid.width - 1):
        for y in range(1, level.grid.height - 1):
            level.grid.set(x, y, None)
    level.grid.set(4, 3, Ball("red"))
    level.grid.set(3, 4, Box("grey"))
    level.grid.set(2, 2, Key("purple"))
    level.agent_pos, level.agent_dir = (3, 3), 0
    level.instrs = goal_to_instr(parse_goal(goal))
    level.instrs.reset_verifier(level)
    states, success = [symbolic_state(level)], []
    for action in SCRIPT:
        _, reward, _, _, _ = level.step(action)
        states.append(symbolic_state(level))
        success.append(reward > 0)
    return np.stack(states), np.array(SCRIPT, dtype=np.int64), np.array(success)


@pytest.mark.parametrize(
    ("goal", "expected"),
    [
        # picked up (0), faced again while carried (2, 5: minigrid keeps its position until a drop), dropped (7);
        # after the drop its old cell no longer counts (8)
        ("go to the red ball", [1, 0, 1, 0, 0, 1, 0, 1, 0, 0]),
        # faced (3), opened: the box vanishes but counts on that step (4); after the drop its cell is forgotten (9)
        ("go to the grey box", [0, 0, 0, 1, 1, 0, 0, 0, 0, 0]),
        ("pick up the red ball", [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        ("put the red ball next to the purple key", [0, 0, 0, 0, 0, 0, 0, 1, 0, 0]),  # dropped at (3, 2)
    ],
)
def test_the_predicate_counts_what_minigrids_verifier_counts(goal, expected):
    states, actions, truth = _play(goal)
    assert truth.tolist() == [bool(e) for e in expected]  # the scenario shows the verifier's quirks
    n = len(actions)
    layout = state_layout(gym.make("BabyAI-GoToLocal-v0"))
    predicted = achieved(choice_of_goal(goal), states, layout, actions, np.arange(n), np.arange(1, n + 1))
    assert predicted.tolist() == truth.tolist()


def test_a_new_episode_starts_from_its_own_recorded_positions():
    """Two episodes back to back: the ball picked up in the first does not count in the second, whose first state
    has no ball there."""
    states, actions, _ = _play("go to the red ball")
    n = len(actions)
    layout = state_layout(gym.make("BabyAI-GoToLocal-v0"))
    # episode 2 replays steps 1-2 (turn away, turn back) from the state after the pickup, a new first state
    src = np.concatenate([np.arange(n), [len(states) + 0, len(states) + 1]])
    dst = np.concatenate([np.arange(1, n + 1), [len(states) + 1, len(states) + 2]])
    both = np.concatenate([states, states[1:4]])
    predicted = achieved(
        choice_of_goal("go to the red ball"), both, layout, np.concatenate([actions, actions[1:3]]), src, dst
    )
    assert predicted[:n].tolist() == [True, False, True, False, False, True, False, True, False, False]
    assert predicted[n:].tolist() == [False, False]
