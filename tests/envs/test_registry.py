"""The knowledge registry: patterns, classes, instances, factories, ``module:attr`` ids, entry points, and the
one-line errors of each way an id can fail."""

from __future__ import annotations

from importlib import metadata

import gymnasium as gym
import numpy as np
import pytest

from teduo_gym.envs import (
    EnvKnowledge,
    KnowledgeError,
    UnknownEnvironmentError,
    knowledge_for,
    load_entry,
    register_knowledge,
    registered_knowledge,
    registry,
)


class TinyKnowledge(EnvKnowledge):
    """The smallest knowledge: FrozenLake's four moves and one goal."""

    action_words = ("left", "down", "right", "up")

    def make_env(self, goals=None, *, aliases=None, goal_sampler="uniform", max_steps=None) -> gym.Env:
        return gym.make("FrozenLake-v1")

    def goals(self, kinds=None) -> list[str]:
        return ["reach the goal"]

    def symbolic_state(self, env: gym.Env) -> np.ndarray:
        return np.array([env.unwrapped.s], np.uint8)


#: An instance, as a module may export one (``--env tests.envs.test_registry:tiny``).
tiny = TinyKnowledge("tiny")


def make_tiny(env_id: str) -> TinyKnowledge:
    """A factory: called with the id it was matched for."""
    return TinyKnowledge(env_id)


def not_knowledge(env_id: str) -> str:
    return "a string"


#: Not knowledge either.
LINE_LENGTH = 120


@pytest.fixture(autouse=True)
def clean_registry(monkeypatch):
    """Each test sees the built-in registry and nothing it loaded before."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_LOADED", {})


@pytest.mark.parametrize(
    "entry",
    [TinyKnowledge, make_tiny, "tests.envs.test_registry:TinyKnowledge", "tests.envs.test_registry:make_tiny"],
    ids=["class", "factory", "module:class", "module:factory"],
)
def test_a_pattern_gives_its_ids_the_knowledge_built_for_them(entry):
    register_knowledge("Tiny-*", entry)
    k = knowledge_for("Tiny-v3")
    assert isinstance(k, TinyKnowledge) and k.env_id == "Tiny-v3"
    assert knowledge_for("Tiny-v3") is k  # loaded once
    assert "Tiny-*" in registered_knowledge()


def test_an_instance_is_returned_as_is():
    register_knowledge("Tiny-*", tiny)
    assert knowledge_for("Tiny-v0") is tiny


def test_the_latest_registration_of_overlapping_patterns_wins():
    register_knowledge("Tiny-*", TinyKnowledge)
    register_knowledge("Tiny-Special-*", tiny)
    assert knowledge_for("Tiny-Special-v0") is tiny
    assert knowledge_for("Tiny-v0") is not tiny


@pytest.mark.parametrize("attr", ["TinyKnowledge", "make_tiny", "tiny"])
def test_a_module_attr_id_names_the_knowledge_directly(attr):
    env_id = f"tests.envs.test_registry:{attr}"
    k = knowledge_for(env_id)
    assert isinstance(k, TinyKnowledge) and k.env_id == env_id  # later stages find it by the id datasets record


def test_an_unknown_id_lists_the_registered_patterns():
    register_knowledge("Tiny-*", TinyKnowledge)
    with pytest.raises(UnknownEnvironmentError) as err:
        knowledge_for("Nowhere-v0")
    message = str(err.value)
    assert "\n" not in message and "'Nowhere-v0'" in message
    assert all(p in message for p in ("BabyAI-*", "Tiny-*")) and "module:attr" in message


def test_a_module_that_does_not_import_is_one_line_naming_it_and_the_fix():
    with pytest.raises(KnowledgeError) as err:
        knowledge_for("no_such_package.knowledge:MyKnowledge")
    message = str(err.value)
    assert "\n" not in message and "'no_such_package.knowledge'" in message
    assert "install it" in message and "PYTHONPATH" in message


def test_a_missing_attribute_names_the_module_and_the_attribute():
    with pytest.raises(KnowledgeError, match=r"module 'tests.envs.test_registry' has no attribute 'Missing'"):
        knowledge_for("tests.envs.test_registry:Missing")


@pytest.mark.parametrize("attr", ["not_knowledge", "LINE_LENGTH"])
def test_an_attr_that_is_not_knowledge_says_what_it_gives(attr):
    with pytest.raises(KnowledgeError, match=r"not EnvKnowledge: name a subclass of teduo_gym.envs.EnvKnowledge"):
        knowledge_for(f"tests.envs.test_registry:{attr}")


@pytest.mark.parametrize("spec", ["no_colon", ":attr", "module:"])
def test_a_malformed_spec_shows_the_form(spec):
    with pytest.raises(KnowledgeError, match="is not 'module:attr'"):
        load_entry(spec)


def test_a_pattern_must_be_a_non_empty_string():
    with pytest.raises(KnowledgeError, match="non-empty string"):
        register_knowledge("", TinyKnowledge)


def test_knowledge_without_action_words_is_refused():
    class Wordless(TinyKnowledge):
        action_words = ()

    register_knowledge("Wordless-*", Wordless)
    with pytest.raises(KnowledgeError, match="sets no action_words"):
        knowledge_for("Wordless-v0")


def test_another_distribution_ships_knowledge_through_the_entry_point_group(monkeypatch):
    shipped = metadata.EntryPoint("Shipped-*", "tests.envs.test_registry:make_tiny", registry.ENTRY_POINT_GROUP)
    asked = []

    def entry_points(group):
        asked.append(group)
        return [shipped] if group == registry.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(registry.metadata, "entry_points", entry_points)
    monkeypatch.setattr(registry, "_entry_points_read", False)
    assert "Shipped-*" in registered_knowledge()
    k = knowledge_for("Shipped-v1")
    assert isinstance(k, TinyKnowledge) and k.env_id == "Shipped-v1"
    assert asked == [registry.ENTRY_POINT_GROUP]  # read once


def test_a_registration_in_code_wins_over_an_entry_point_of_the_same_pattern(monkeypatch):
    shipped = metadata.EntryPoint("Tiny-*", "tests.envs.test_registry:make_tiny", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry.metadata, "entry_points", lambda group: [shipped])
    monkeypatch.setattr(registry, "_entry_points_read", False)
    register_knowledge("Tiny-*", tiny)
    assert knowledge_for("Tiny-v0") is tiny
