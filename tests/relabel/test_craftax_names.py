"""The relabeller's Craftax achievement names are the environment's own (the relabel package does not import JAX)."""

import pytest

from teduo_gym.relabel import CRAFTAX_CLASSIC_ACHIEVEMENTS


def test_the_relabeller_names_the_achievements_as_craftax_does():
    craftax = pytest.importorskip("teduo_gym.envs.craftax", reason="needs the craftax extra")
    assert CRAFTAX_CLASSIC_ACHIEVEMENTS == tuple(craftax.ACHIEVEMENTS)
