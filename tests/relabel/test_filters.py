"""InstructionFilter: duplicates (exact and near), unsupported achievements, unsupported open-ended text."""

from __future__ import annotations

import numpy as np
import pytest

from teduo_gym.relabel import CRAFTAX_CLASSIC_ACHIEVEMENTS, AchievementMatcher, InstructionFilter, Trajectory
from teduo_gym.relabel.filters import changed_words, restates_state


@pytest.fixture
def make_filter(craftax_words):
    def make(embedder, **kwargs) -> InstructionFilter:
        matcher = AchievementMatcher(CRAFTAX_CLASSIC_ACHIEVEMENTS, embedder, **craftax_words)
        return InstructionFilter(embedder, matcher, **kwargs)

    return make


def test_duplicates_exact_and_near(make_filter, embedder, wood_table):
    near = make_filter(embedder, duplicate_threshold=0.85)
    verdict = near.filter(wood_table, ["collect wood", "Collect the wood!", "gather wood"])
    assert [text for text, _ in verdict.kept] == ["collect wood"]
    assert [reason for _, reason in verdict.dropped] == ["duplicate", "duplicate"]


def test_unsupported_achievement(make_filter, embedder, wood_table):
    verdict = make_filter(embedder).filter(wood_table, ["drink water", "collect wood and place a table"])
    assert verdict.dropped == [("drink water", "unsupported: collect_drink not achieved")]
    assert verdict.kept == [("collect wood and place a table", ("collect_wood", "place_table"))]


def test_open_ended_needs_a_similar_state(make_filter, embedder, wood_table):
    verdict = make_filter(embedder, support_threshold=0.2).filter(wood_table, ["find water", "swim in the water"])
    assert [text for text, _ in verdict.kept] == ["find water"]
    assert verdict.dropped[0][1].startswith("unsupported: no change similar enough")


def test_without_achievement_flags_falls_back_to_similarity(make_filter, embedder, wood_table):
    plain = Trajectory(wood_table.instruction, wood_table.states)
    verdict = make_filter(embedder).filter(plain, ["collect wood", "eat a cow"])
    assert [text for text, _ in verdict.kept] == ["collect wood"]


def test_instructions_that_restate_the_state_go(make_filter, embedder, wood_table):
    proposals = ["inventory wood", "wood 1", "tree", "facing a table", "collect wood", "place a table by the water"]
    verdict = make_filter(embedder).filter(wood_table, proposals)
    assert [text for text, _ in verdict.kept] == ["collect wood", "place a table by the water"]
    assert {text for text, reason in verdict.dropped if reason == "restates the state"} == set(proposals[:4])


def test_restates_state_is_generic():
    # Any describer's "key: item, item" lines: nothing here is Craftax's.
    states = ["cart: 2 shirts, socks\nprice: 40 dollars", "page: results; cart: socks"]
    assert restates_state("buy 2 shirts", states)  # a number
    assert restates_state("cart socks", states)  # one line's own words
    assert restates_state("price dollars", states)
    assert not restates_state("buy the socks", states)
    assert not restates_state("open the results page", states, overlap=1.0)  # 2 of its 3 words
    assert restates_state("open the results page", states, overlap=0.6)


def test_an_instruction_must_name_something_that_changed(make_filter, embedder, wood_table):
    verdict = make_filter(embedder).filter(wood_table, ["eat a cow", "ride a horse", "collect wood"])
    assert verdict.dropped == [("eat a cow", "names no change"), ("ride a horse", "names no change")]
    # Items lost or got at some step (the grass left the view at the last step) and the achievements' words.
    assert sorted(changed_words(wood_table)) == ["collect", "grass", "place", "table", "tree", "water", "wood"]


def test_near_duplicates_of_known_instructions_take_their_text(make_filter, embedder, wood_table):
    verdict = make_filter(embedder).filter(wood_table, ["collect some wood", "place a table"], known=["collect wood"])
    assert verdict.kept == [("collect wood", ("collect_wood",)), ("place a table", ("place_table",))]


def test_an_achievement_line_is_not_restated_by_the_achievement(make_filter, embedder):
    """Craftax's text lists the achievements done; with achievement flags that line is an outcome, not state."""
    states = ["inventory: nothing; achievements: none", "inventory: wood 1; achievements: collect wood"]
    flags = np.array([[False], [True]])
    verdict = make_filter(embedder).filter(Trajectory("x", states, flags, ("collect_wood",)), ["collect wood"])
    assert verdict.kept == [("collect wood", ("collect_wood",))]
    verdict = make_filter(embedder).filter(Trajectory("x", states), ["collect wood"])  # no flags: a state line
    assert verdict.dropped == [("collect wood", "restates the state")]
