import numpy as np
import pytest

from teduo_gym.envs import Slot, knowledge_for
from teduo_gym.labeling import choose
from teduo_gym.labeling.reading import FALLBACK_SIMILARITY, option_similarity, slot_accuracy
from teduo_gym.llm import shared_embedder

SCHEMA = knowledge_for("BabyAI-Synth-v0").goal_schema({"width": 22, "height": 22})

#: "put X next to Y" goals whose object the LLM-only reading of the old slots took from the target (measured with
#: SmolLM2-135M: object door / key / colour green instead of ball / ball / any).
SWAPPED_BEFORE = [
    "put the green ball next to the yellow door",
    "put the purple ball next to the grey key",
    "put a box next to the green key",
]


class FirstOption:
    """A fake LLM that always prefers the first option."""

    name, chat = "first", False

    def score(self, prompts, candidates):
        return np.tile(-np.arange(len(candidates), dtype=float), (len(prompts), 1))


def test_slot_accuracy_counts_each_slot_and_kind_against_the_oracle():
    goals = ["go to the red ball", "pick up a key", "put the green box next to a door"]
    choices = choose(FirstOption(), goals, SCHEMA.slots, similarity_weight=0)  # kind go, type ball, colour blue
    acc = slot_accuracy(SCHEMA, goals, choices)
    assert acc.kinds == ["go to", "pick up", "put next to"] and acc.counts == {
        "go to": 1,
        "pick up": 1,
        "put next to": 1,
    }
    assert acc.accuracy("kind") == pytest.approx(1 / 3) and acc.accuracy("object_type", "go to") == 1.0
    assert acc.accuracy("object_color", "go to") == 0.0 and acc.accuracy("all") == 0.0 and acc.worst == 0.0
    assert acc.table()["pick up"]["target_type"] == 1.0  # not asked, "none" as the oracle's
    assert ("go to the red ball", "object_color", "blue", "red") in acc.errors


def test_reworded_goals_are_judged_against_their_canonical_goal():
    goals = ["collect the crimson orb", "place the golden unlocker beside a globe"]
    canonical = ["pick up the red ball", "put the yellow key next to a ball"]
    acc = slot_accuracy(SCHEMA, goals, [SCHEMA.oracle_choice(g) for g in canonical], canonical)
    assert acc.accuracy() == 1.0 and acc.kinds == ["pick up", "put next to"]
    with pytest.raises(ValueError, match="2 goals need as many"):
        slot_accuracy(SCHEMA, goals, [{}])


def test_the_similarity_prior_reads_each_role_from_its_own_half_of_the_goal():
    object_type, target_color = (Slot(**s) for s in SCHEMA.slots if s["name"] in ("object_type", "target_color"))
    goal = "place the golden unlocker beside a globe"
    assert object_type.read(goal) == "place the golden unlocker" and target_color.read(goal) == "a globe"
    types = option_similarity(object_type, [object_type.read(goal)])
    assert object_type.options[int(types.argmax())] == "key"
    colours = option_similarity(target_color, [target_color.read(goal)])
    assert colours[0, target_color.options.index("any")] == FALLBACK_SIMILARITY and colours.max() == FALLBACK_SIMILARITY


def test_without_an_llm_the_words_alone_read_the_environments_vocabulary():
    goals = ["place the scarlet sphere beside the ash portal", "swing open the jade gate", "acquire a crate"]
    assert choose(None, goals, SCHEMA.slots) == [SCHEMA.oracle_choice(g) for g in (
        "put the red ball next to the grey door", "open the green door", "pick up a box")]  # fmt: skip


def test_the_embedded_models_read_put_next_to_roles_right(embedded_backend):
    expected = [SCHEMA.oracle_choice(g) for g in SWAPPED_BEFORE]
    assert choose(embedded_backend, SWAPPED_BEFORE, SCHEMA.slots) == expected
    reworded = ["place a container beside the lime unlocker"]  # "put a box next to the green key", reworded
    assert choose(embedded_backend, reworded, SCHEMA.slots, embedder=shared_embedder()) == [expected[2]]
