"""Synthetic Craftax-like trajectories, for tests, benchmarks and examples that must not need the environment.

- :func:`synthetic_trajectory` -- an episode of a small survival world with Craftax-Classic's first
  achievements: states as text (inventory, facing, nearby, vitals), cumulative achievement flags, a random
  instruction, success when the instruction's achievement was unlocked.
"""

from __future__ import annotations

import numpy as np

from teduo_gym.relabel.achievements import CRAFTAX_CLASSIC_ACHIEVEMENTS
from teduo_gym.relabel.trajectory import Trajectory, achievement_phrase

__all__ = ["synthetic_trajectory"]

_TERRAIN = ("grass", "tree", "water", "stone", "sand", "cow", "zombie")
# achievement -> (thing faced, inventory needed, inventory change, thing left nearby)
_ACTIONS: dict[str, tuple[str, dict[str, int], dict[str, int], str | None]] = {
    "collect_wood": ("tree", {}, {"wood": 1}, None),
    "collect_sapling": ("grass", {}, {"sapling": 1}, None),
    "collect_drink": ("water", {}, {}, None),
    "eat_cow": ("cow", {}, {}, None),
    "place_table": ("grass", {"wood": 1}, {"wood": -1}, "table"),
    "place_plant": ("grass", {"sapling": 1}, {"sapling": -1}, "plant"),
    "make_wood_pickaxe": ("table", {"wood": 1}, {"wood": -1, "wood pickaxe": 1}, None),
    "make_wood_sword": ("table", {"wood": 1}, {"wood": -1, "wood sword": 1}, None),
    "defeat_zombie": ("zombie", {}, {}, None),
    "collect_stone": ("stone", {"wood pickaxe": 1}, {"stone": 1}, None),
    "place_stone": ("grass", {"stone": 1}, {"stone": -1}, "stone"),
}


def synthetic_trajectory(seed: int, steps: int = 60, act_prob: float = 0.12) -> Trajectory:
    """One random episode: each step the agent either walks (what it faces and sees changes) or, with
    ``act_prob``, does one feasible action, which unlocks its achievement; vitals drop every 10 steps.

    Example:
        >>> t = synthetic_trajectory(0)
        >>> len(t.states), t.achievements.shape, t.states[0].splitlines()[0]
        (60, (60, 22), 'inventory: nothing')
    """
    rng = np.random.default_rng(seed)
    names = CRAFTAX_CLASSIC_ACHIEVEMENTS
    goal = str(rng.choice(list(_ACTIONS)))
    inventory: dict[str, int] = {}
    vitals = {"health": 9, "food": 9, "drink": 9, "energy": 9}
    placed: list[str] = []
    facing, nearby = "grass", ["grass", "tree"]
    unlocked = np.zeros(len(names), bool)
    states, flags = [], []
    for t in range(steps):
        feasible = [
            a for a, (_, need, _, _) in _ACTIONS.items() if all(inventory.get(k, 0) >= n for k, n in need.items())
        ]
        if t > 0 and rng.random() < act_prob and feasible:
            action = str(rng.choice(feasible))
            facing, _, change, leaves = _ACTIONS[action]
            for item, n in change.items():
                inventory[item] = inventory.get(item, 0) + n
            if leaves:
                placed.append(leaves)
            if action == "collect_drink":
                vitals["drink"] = 9
            if action == "eat_cow":
                vitals["food"] = 9
            unlocked[names.index(action)] = True
        else:
            facing = str(rng.choice(_TERRAIN))
            nearby = sorted({str(x) for x in rng.choice(_TERRAIN, size=3)} | {facing} | set(placed[-2:]))
        if t and t % 10 == 0:
            for k in ("food", "drink", "energy"):
                vitals[k] = max(vitals[k] - 1, 0)
        items = ", ".join(f"{k} {n}" for k, n in sorted(inventory.items()) if n > 0) or "nothing"
        states.append(
            f"inventory: {items}\nfacing: {facing}\nnearby: {', '.join(nearby)}\n"
            f"vitals: {', '.join(f'{k} {v}' for k, v in vitals.items())}"
        )
        flags.append(unlocked.copy())
    success = bool(unlocked[names.index(goal)])
    return Trajectory(
        achievement_phrase(goal), states, np.array(flags), names, success=success, episode_return=float(unlocked.sum())
    )
