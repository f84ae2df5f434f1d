"""Reworded goals and train/test goal splits."""

import numpy as np
import pytest

from teduo_gym.envs.babyai import enumerate_goals, make_goal_split, paraphrase, parse_goal

# "open" stays in "push open" / "swing open"; every other word of the grammar is reworded
ORIGINAL_WORDS = {
    "go",
    "pick",
    "up",
    "put",
    "next",
    "box",
    "ball",
    "key",
    "door",
    "red",
    "green",
    "blue",
    "purple",
    "yellow",
    "grey",
}


def test_paraphrase_rewords_every_word_and_keeps_the_meaning_distinct() -> None:
    goals = enumerate_goals()
    rng = np.random.default_rng(0)
    texts = [paraphrase(g, rng) for g in goals]
    assert len(set(texts)) == len(goals)  # synonyms are disjoint: one meaning per reworded text
    for text in texts:
        assert not set(text.split()) & ORIGINAL_WORDS, text
    assert paraphrase("put the red ball next to a door", rng).startswith("place the ")


def test_split_is_disjoint_and_holds_out_objects() -> None:
    goals = enumerate_goals(("go to", "pick up", "open"))
    split = make_goal_split(goals, n_train=30, n_test=10, seed=1)
    assert len(split.train) == 30 and len(split.test) == 10
    assert not set(split.train) & set(split.test)
    assert set(split.canonical) == set(split.test)
    train_refs = {r for g in split.train for r in parse_goal(g).refs}
    for text, canonical in split.canonical.items():
        assert canonical in goals and canonical not in split.train
        assert not set(parse_goal(canonical).refs) & train_refs  # whole (colour, type) held out
        assert not set(text.split()) & ORIGINAL_WORDS


def test_split_is_deterministic_per_seed() -> None:
    goals = enumerate_goals()
    a, b = make_goal_split(goals, 100, 40, seed=5), make_goal_split(goals, 100, 40, seed=5)
    assert a == b
    assert make_goal_split(goals, 100, 40, seed=6) != a


def test_split_too_large_raises() -> None:
    with pytest.raises(ValueError, match="cannot split"):
        make_goal_split(enumerate_goals(("open",)), n_train=7, n_test=1)
