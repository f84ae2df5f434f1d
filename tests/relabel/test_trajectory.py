"""Trajectory: achievement deltas, per-step changes, the compact summary; the achievement matcher."""

from __future__ import annotations

import numpy as np
import pytest

from teduo_gym.relabel import CRAFTAX_CLASSIC_ACHIEVEMENTS, AchievementMatcher, Trajectory


def test_gained_and_changes(wood_table):
    assert wood_table.gained == [(1, "collect_wood"), (2, "place_table")]
    assert wood_table.changes[0] == []
    assert "inventory: nothing -> wood 1" in wood_table.changes[1]
    assert "achieved place table" in wood_table.changes[2]
    assert any(c.startswith("nearby: grass, tree -> table, water") for c in wood_table.changes[2])


def test_summary_keeps_achievements_drops_noisy_keys():
    states = [
        f"facing: {'tree' if t % 2 else 'grass'}; inventory: {'wood 1' if t >= 5 else 'nothing'}" for t in range(10)
    ]
    flags = (np.arange(10) >= 5)[:, None]
    summary = Trajectory("x", states, flags, ("collect_wood",)).summary()
    assert summary == ["inventory: nothing -> wood 1", "achieved collect wood"] or summary == [
        "achieved collect wood",
        "inventory: nothing -> wood 1",
    ]


def test_achievement_shape_is_checked():
    with pytest.raises(ValueError, match="achievements must have shape"):
        Trajectory("x", ["a", "b"], np.zeros((3, 1), bool), ("collect_wood",))


def test_no_achievements_is_allowed():
    t = Trajectory("x", ["inventory: nothing", "inventory: wood 1"])
    assert t.gained == [] and t.summary() == ["inventory: nothing -> wood 1"]


def test_craftax_order():
    assert len(CRAFTAX_CLASSIC_ACHIEVEMENTS) == 22
    assert CRAFTAX_CLASSIC_ACHIEVEMENTS[0] == "collect_wood" and CRAFTAX_CLASSIC_ACHIEVEMENTS[-1] == "make_iron_sword"


@pytest.mark.parametrize(
    "instruction, expected",
    [
        ("collect wood", ("collect_wood",)),
        ("Gather logs and then build a workbench", ("collect_wood", "place_table")),
        ("craft a stone pickaxe", ("make_stone_pickaxe",)),
        ("mine some stone", ("collect_stone",)),
        ("kill the skeleton", ("defeat_skeleton",)),
        ("drink water from the lake", ("collect_drink",)),
        ("wake up", ("wake_up",)),
        ("explore the map", ()),
        # One clause word stands for one name word, and "drink" is not a way of collecting (issue 18).
        ("drink wood", ("collect_drink",)),
        ("walk to the plant", ()),
        ("get some sleep", ("wake_up",)),
        ("eat some beef", ("eat_cow",)),
        # "it" is what the clause before acted on.
        ("collect a sapling and plant it", ("collect_sapling", "place_plant")),
    ],
)
def test_matcher_keywords(instruction, expected, craftax_words):
    assert AchievementMatcher(CRAFTAX_CLASSIC_ACHIEVEMENTS, **craftax_words).match(instruction) == expected


def test_the_environment_brings_its_own_words():
    """Without Craftax's words the matcher knows English verbs only: "tree" is not wood, "drink" no achievement."""
    generic = AchievementMatcher(CRAFTAX_CLASSIC_ACHIEVEMENTS)
    assert generic.match("gather wood") == ("collect_wood",)
    assert generic.match("chop a tree") == generic.match("go to sleep") == ()
    words = AchievementMatcher(("collect_wood", "wake_up"), synonyms={"wood": ["tree"]}, forms={"wake_up": [["sleep"]]})
    assert words.match("chop a tree") == ("collect_wood",) and words.match("go to sleep") == ("wake_up",)
    with pytest.raises(ValueError, match="collect_drink"):
        AchievementMatcher(("collect_wood",), forms={"collect_drink": [["drink"]]})


def test_matcher_embedding_fallback(embedder, craftax_words):
    matcher = AchievementMatcher(CRAFTAX_CLASSIC_ACHIEVEMENTS, embedder, threshold=0.6, **craftax_words)
    assert matcher.match("slay zombies") == ("defeat_zombie",)
    assert matcher.match("look at the sky") == ()
