"""Filtered behaviour cloning keeps the best loop-free trajectory per goal."""

from teduo_gym.recipes.webshop import Episode, Label, bc_examples, webshop

MUG = webshop().Purchase("b1", "Red Mug", "$5", ("large",))


def test_best_loop_free_trajectory_per_goal() -> None:
    looped = Episode(
        "looped",
        1,
        "a red mug",
        ("search", "results", "item", "description", "item", "item\nchosen: large"),
        ("search[mug]", "click[b1]", "click[description]", "click[< prev]", "click[large]", "click[buy now]"),
        MUG,
        1.0,
    )
    short = Episode(
        "short", 2, "a cup", ("search", "results", "item"), ("search[cup]", "click[b1]", "click[buy now]"), MUG, 0.4
    )
    below = Episode(
        "below", 1, "a red mug", ("search", "results", "item"), ("search[x]", "click[b1]", "click[buy now]"), MUG, 0.0
    )
    labels = [
        Label("looped", 1, 0.9, {}),
        Label("short", 1, 0.7, {}),
        Label("below", 1, 0.5, {}),  # goal 1
        Label("short", 2, 0.65, {}),
        Label("looped", 2, 0.65, {}),  # goal 2: a tie, the shorter wins
        Label("below", 3, 0.2, {}),  # goal 3: never reaches the threshold
    ]
    goals = {1: "a red mug", 2: "a cup", 3: "a large mug"}
    examples, stats = bc_examples([looped, short, below], labels, goals)
    by_goal: dict[str, list[str]] = {}
    for e in examples:
        by_goal.setdefault(e.goal, []).append(e.action)
    # goal 1: the best label wins although longer; its description detour (a loop) is cut, the option kept
    assert by_goal["a red mug"] == ["search[mug]", "click[b1]", "click[large]", "click[buy now]"]
    assert by_goal["a cup"] == ["search[cup]", "click[b1]", "click[buy now]"]
    assert "a large mug" not in by_goal
    assert stats["goals_reached"] == 2 and stats["loops_removed"] == 2 and stats["goal_indices"] == [1, 2]
    assert [e.state for e in examples[:2]] == ["search", "results"]


def test_nothing_reaches_a_higher_threshold() -> None:
    episode = Episode("a", 1, "a red mug", ("search", "item"), ("search[mug]", "click[buy now]"), MUG)
    examples, stats = bc_examples([episode], [Label("a", 1, 0.5, {})], {1: "a red mug"}, threshold=0.6)
    assert examples == [] and stats["goals_reached"] == 0
