"""InstructionFilter: duplicates (exact and near), unsupported achievements, unsupported open-ended text."""

from __future__ import annotations

from teduo_gym.relabel import CRAFTAX_CLASSIC_ACHIEVEMENTS, AchievementMatcher, InstructionFilter, Trajectory


def make_filter(embedder, **kwargs) -> InstructionFilter:
    return InstructionFilter(embedder, AchievementMatcher(CRAFTAX_CLASSIC_ACHIEVEMENTS, embedder), **kwargs)


def test_duplicates_exact_and_near(embedder, wood_table):
    near = make_filter(embedder, duplicate_threshold=0.85)
    verdict = near.filter(wood_table, ["collect wood", "Collect the wood!", "gather wood"])
    assert [text for text, _ in verdict.kept] == ["collect wood"]
    assert [reason for _, reason in verdict.dropped] == ["duplicate", "duplicate"]


def test_unsupported_achievement(embedder, wood_table):
    verdict = make_filter(embedder).filter(wood_table, ["eat a cow", "collect wood and place a table"])
    assert verdict.dropped == [("eat a cow", "unsupported: eat_cow not achieved")]
    assert verdict.kept == [("collect wood and place a table", ("collect_wood", "place_table"))]


def test_open_ended_needs_a_similar_state(embedder, wood_table):
    verdict = make_filter(embedder, support_threshold=0.2).filter(wood_table, ["find water", "sail a boat at sea"])
    assert [text for text, _ in verdict.kept] == ["find water"]
    assert verdict.dropped[0][1].startswith("unsupported: no change similar enough")


def test_without_achievement_flags_falls_back_to_similarity(embedder, wood_table):
    plain = Trajectory(wood_table.instruction, wood_table.states)
    verdict = make_filter(embedder).filter(plain, ["collect wood", "eat a cow"])
    assert [text for text, _ in verdict.kept] == ["collect wood"]
