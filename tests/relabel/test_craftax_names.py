"""The relabeller's Craftax achievement names are the environment's own (the relabel package does not import JAX)."""

import pytest

from teduo_gym.envs import knowledge_for
from teduo_gym.relabel import CRAFTAX_CLASSIC_ACHIEVEMENTS


def test_the_relabeller_names_the_achievements_as_craftax_does():
    pytest.importorskip("craftax", reason="needs the craftax extra")
    assert CRAFTAX_CLASSIC_ACHIEVEMENTS == knowledge_for("Craftax-Classic-Symbolic-v1").achievements
