"""BabyAIGoalDetector agrees exactly with minigrid's own instruction verifiers; goal samplers."""

import contextlib
import io

import gymnasium as gym
import minigrid  # noqa: F401
import numpy as np
import pytest
from minigrid.utils.baby_ai_bot import BabyAIBot

from teduo_gym.envs.babyai import (
    BabyAIGoalDetector,
    enumerate_goals,
    feasible_goal_sampler,
    feasible_goals,
    goal_to_instr,
    mission_goal_sampler,
)
from teduo_gym.wrappers import UnknownGoalError


def _test_vocabulary() -> list[str]:
    """Every go to / pick up / open goal; the "put" goals naming a colourless object, and 40 others.

    (All 623 goals would make minigrid's reference verifiers, which rescan the grid per goal, too slow.)
    """
    put = enumerate_goals(("put next to",))
    colourless = [g for g in put if g.startswith("put a ") or not g.split(" next to ")[1].startswith("the ")]
    others = [g for g in put if g not in colourless]
    picked = np.random.default_rng(0).choice(len(others), size=40, replace=False)
    return enumerate_goals(("go to", "pick up", "open")) + colourless + [others[i] for i in sorted(picked)]


GOALS = _test_vocabulary()
DROP = 4


def _run_against_minigrid(env_id: str, episodes: int, max_steps: int, seed: int) -> dict[str, int]:
    """Random, bot-driven and mixed episodes; every step, detector == [instr.verify(a) == 'success']."""
    env = gym.make(env_id)
    detector = BabyAIGoalDetector()
    rng = np.random.default_rng(seed)
    ids = np.arange(len(GOALS))
    kinds = np.array([g.split()[0] for g in GOALS])
    successes = {k: 0 for k in ("go", "pick", "open", "put")}
    steps = 0
    with contextlib.redirect_stdout(io.StringIO()):
        for episode in range(episodes):
            obs, _ = env.reset(seed=seed + episode)
            feasible = feasible_goals(env, GOALS)
            desired = int(rng.choice(feasible))
            detector.reset(env, obs, GOALS, desired)
            assert not detector.detect(env, obs, None, ids).any()
            instrs = [goal_to_instr(g) for g in GOALS]
            for instr in instrs:
                instr.reset_verifier(env.unwrapped)
            mode = episode % 3  # 0 random, 1 bot, 2 bot with 30% random actions
            bot = BabyAIBot(env.unwrapped) if mode else None
            taken = None
            for _ in range(max_steps):
                action = int(rng.integers(7))
                if bot is not None:
                    try:
                        planned = int(bot.replan(taken))
                    except Exception:  # the bot gives up in rare states that random actions made
                        bot = None
                    else:
                        if mode == 1 or rng.random() > 0.3:
                            action = planned
                taken = action
                obs, _, terminated, truncated, _ = env.step(action)
                if action == DROP:  # what RoomGridLevel.step does for its own instruction
                    for instr in instrs:
                        instr.update_objs_poss()
                expected = np.array([instr.verify(action) == "success" for instr in instrs])
                got = detector.detect(env, obs, action, ids)
                steps += 1
                mismatch = np.flatnonzero(expected != got)
                assert mismatch.size == 0, (
                    f"{env_id} seed {seed + episode} step {steps} action {action}: "
                    f"{[(GOALS[i], bool(expected[i])) for i in mismatch[:5]]}"
                )
                for k in successes:
                    successes[k] += int(expected[kinds == k].sum())
                if terminated or truncated:
                    break
    successes["steps"] = steps
    return successes


@pytest.mark.parametrize(
    "env_id, episodes, max_steps",
    [
        ("BabyAI-GoToLocal-v0", 24, 64),
        ("BabyAI-PickupLoc-v0", 24, 64),
        ("BabyAI-Open-v0", 9, 100),
        ("BabyAI-PutNextLocal-v0", 24, 80),
        ("BabyAI-Synth-v0", 9, 100),
    ],
)
def test_detector_matches_minigrid_verify(env_id: str, episodes: int, max_steps: int) -> None:
    counts = _run_against_minigrid(env_id, episodes, max_steps, seed=100)
    assert counts["steps"] >= 500
    assert counts["go"] > 0  # the comparison saw successes, not only "continue"


def test_detector_sees_every_kind_of_success() -> None:
    totals = {k: 0 for k in ("go", "pick", "open", "put")}
    for env_id in ("BabyAI-PutNextLocal-v0", "BabyAI-Open-v0", "BabyAI-PickupLoc-v0"):
        for k, v in _run_against_minigrid(env_id, 6, 80, seed=7).items():
            if k in totals:
                totals[k] += v
    assert all(v > 0 for v in totals.values()), totals


def test_reset_replaces_the_level_instruction_and_mission() -> None:
    env = gym.make("BabyAI-GoToLocal-v0")
    obs, _ = env.reset(seed=0)
    goals = ["go to a ball", "go to a key", "go to a box", "go to a door"]
    desired = int(feasible_goals(env, goals)[0])
    new_obs = BabyAIGoalDetector().reset(env, {"observation": obs}, goals, desired)
    assert new_obs["observation"]["mission"] == goals[desired] == env.unwrapped.mission
    assert type(env.unwrapped.instrs).__name__ == "GoToInstr"
    assert env.unwrapped.instrs.desc.type == goals[desired].split()[-1]


def test_aliases_check_reworded_goals_by_their_meaning() -> None:
    env = gym.make("BabyAI-GoToLocal-v0")
    obs, _ = env.reset(seed=0)
    canonical = enumerate_goals(("go to",))
    reworded = [f"reach item {i}" for i in range(len(canonical))]
    detector = BabyAIGoalDetector(aliases=dict(zip(reworded, canonical, strict=True)))
    desired = int(feasible_goals(env, canonical)[0])
    detector.reset(env, obs, reworded, desired)
    bot = BabyAIBot(env.unwrapped)
    for _ in range(64):
        action = int(bot.replan())
        obs, _, terminated, _, _ = env.step(action)
        hits = detector.detect(env, obs, action, np.arange(len(reworded)))
        if terminated:
            break
    assert terminated and hits[desired]
    with pytest.raises(UnknownGoalError):
        BabyAIGoalDetector().reset(env, obs, reworded, 0)


def test_mission_sampler_finds_the_mission_by_meaning() -> None:
    env = gym.make("BabyAI-GoToLocal-v0")
    env.reset(seed=0)
    mission = env.unwrapped.mission
    goals = enumerate_goals(("go to",))
    index = mission_goal_sampler(env, goals, np.random.default_rng(0))
    assert goals[index].split()[-2:] == mission.split()[-2:]
    with pytest.raises(UnknownGoalError, match="mission"):
        mission_goal_sampler(env, ["open the red door"], np.random.default_rng(0))


def test_feasible_sampler_draws_only_feasible_goals() -> None:
    env = gym.make("BabyAI-GoToLocal-v0")
    env.reset(seed=0)
    goals = enumerate_goals(("go to", "pick up"))
    ok = set(feasible_goals(env, goals).tolist())
    assert 0 < len(ok) < len(goals)
    rng = np.random.default_rng(0)
    assert {feasible_goal_sampler(env, goals, rng) for _ in range(200)} <= ok
    with pytest.raises(ValueError, match="feasible"):
        feasible_goal_sampler(env, [goals[i] for i in range(len(goals)) if i not in ok], rng)


def test_toggling_doors_open_closed_and_locked() -> None:
    """Opening counts; closing an open door and toggling a locked door without its key do not."""
    from minigrid.core.world_object import Door

    env = gym.make("BabyAI-GoToLocal-v0")
    obs, _ = env.reset(seed=0)
    u = env.unwrapped
    u.grid.set(3, 0, Door("red"))
    u.grid.set(0, 3, Door("blue", is_locked=True))
    u.agent_pos, u.agent_dir = (3, 1), 3  # facing the red door
    goals = ["open the red door", "open a door", "open the blue door", "go to the red door"]
    detector = BabyAIGoalDetector()
    detector.reset(env, obs, goals, 0)
    instrs = [goal_to_instr(g) for g in goals]
    for instr in instrs:
        instr.reset_verifier(u)
    ids = np.arange(len(goals))
    seen = []
    for step, action in enumerate((5, 5, 5, 5, 5)):
        if step == 3:  # now face the locked blue door
            u.grid.set(1, 3, None)
            u.agent_pos, u.agent_dir = (1, 3), 2
        obs, *_ = env.step(action)
        expected = [instr.verify(action) == "success" for instr in instrs]
        assert detector.detect(env, obs, action, ids).tolist() == expected
        seen.append(expected)
    assert seen[0] == [True, True, False, True] and seen[1] == [False, False, False, True]
    assert seen[2] == [True, True, False, True]
    assert seen[3] == seen[4] == [False, False, False, False]  # the locked blue door stays locked
