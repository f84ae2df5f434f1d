"""Filtered behaviour cloning over text episodes keeps the best loop-free trajectory per goal."""

from teduo_gym.datasets.text_episodes import TextEpisode
from teduo_gym.labeling.outcomes import OutcomeLabel
from teduo_gym.offline.episode_bc import episode_bc_examples

MUG = {"asin": "b1", "title": "Red Mug", "price": "$5", "options": ["large"]}


def test_best_loop_free_trajectory_per_goal() -> None:
    looped = TextEpisode(
        "looped",
        1,
        "a red mug",
        ("search", "results", "item", "description", "item", "item\nchosen: large"),
        ("search[mug]", "click[b1]", "click[description]", "click[< prev]", "click[large]", "click[buy now]"),
        MUG,
        1.0,
    )
    short = TextEpisode(
        "short", 2, "a cup", ("search", "results", "item"), ("search[cup]", "click[b1]", "click[buy now]"), MUG, 0.4
    )
    below = TextEpisode(
        "below", 1, "a red mug", ("search", "results", "item"), ("search[x]", "click[b1]", "click[buy now]"), MUG, 0.0
    )
    labels = [
        OutcomeLabel("looped", 1, 0.9, {}),
        OutcomeLabel("short", 1, 0.7, {}),
        OutcomeLabel("below", 1, 0.5, {}),  # goal 1
        OutcomeLabel("short", 2, 0.65, {}),
        OutcomeLabel("looped", 2, 0.65, {}),  # goal 2: a tie, the shorter wins
        OutcomeLabel("below", 3, 0.2, {}),  # goal 3: never reaches the threshold
    ]
    goals = {1: "a red mug", 2: "a cup", 3: "a large mug"}
    examples, stats = episode_bc_examples([looped, short, below], labels, goals)
    by_goal: dict[str, list[str]] = {}
    for e in examples:
        by_goal.setdefault(e.goal, []).append(e.action)
    # goal 1: the best label wins although longer; its description detour (a loop) is cut, the option kept
    assert by_goal["a red mug"] == ["search[mug]", "click[b1]", "click[large]", "click[buy now]"]
    assert by_goal["a cup"] == ["search[cup]", "click[b1]", "click[buy now]"]
    assert "a large mug" not in by_goal
    assert stats["goals_reached"] == 2 and stats["loops_removed"] == 2 and stats["goal_indices"] == [1, 2]
    assert [e.state for e in examples[:2]] == ["search", "results"]
    every, _ = episode_bc_examples([looped, short, below], labels, goals, keep=None)
    assert len(every) > len(examples)  # keep=None clones every trajectory that reaches the threshold


def test_nothing_reaches_a_higher_threshold() -> None:
    episode = TextEpisode("a", 1, "a red mug", ("search", "item"), ("search[mug]", "click[buy now]"), MUG)
    examples, stats = episode_bc_examples([episode], [OutcomeLabel("a", 1, 0.5, {})], {1: "a red mug"}, threshold=0.6)
    assert examples == [] and stats["goals_reached"] == 0
