"""InstructionProposer: parsing off-format and empty answers, the whole-batch error, the disk cache, priority
order (the real SmolLM2 runs in test_relabeler.py)."""

from __future__ import annotations

import dataclasses

import pytest

from teduo_gym.relabel import InstructionFormatError, InstructionProposer, Trajectory, parse_instructions
from teduo_gym.relabel.proposer import priority_order
from tests.relabel.conftest import ScriptedLLM


def test_parse_off_format_and_empty():
    proposal = parse_instructions(
        "Sure! Here they are:\n- Collect wood.\n* place a table\n3) achieved eat cow\n- collect wood\n"
        "- \n- go to the place where the big tree is and then walk around it twice\n- #$%^ 12\n"
    )
    assert proposal.instructions == ["collect wood", "place a table", "eat cow"]
    assert [reason for _, reason in proposal.dropped] == [
        "not a list item",
        "repeated in the answer",
        "no words",
        "too long",
        "no words",
    ]
    assert parse_instructions("").dropped == [("", "empty answer")]
    assert parse_instructions("The agent collected wood.").instructions == []


def test_nothing_parses_in_a_batch_is_an_error(wood_table):
    llm = ScriptedLLM(["I cannot tell.", ""])
    with pytest.raises(InstructionFormatError, match=r"scripted proposed no instruction.*'I cannot tell.'"):
        InstructionProposer(llm).propose([wood_table, wood_table])


def test_some_off_format_answers_are_dropped_not_raised(wood_table):
    other = dataclasses.replace(wood_table, instruction="drink water")
    proposals = InstructionProposer(ScriptedLLM(["", "- collect wood"])).propose([wood_table, other])
    assert [p.instructions for p in proposals] == [[], ["collect wood"]]
    assert proposals[0].dropped == [("", "empty answer")]


def test_prose_answers_are_read_and_a_repeated_prompt_is_generated_once(wood_table):
    llm = ScriptedLLM(["The player achieved collect wood, which was easy, and place a table."])
    proposals = InstructionProposer(llm).propose([wood_table, wood_table, wood_table])
    assert llm.calls == 1
    assert [p.instructions for p in proposals] == [["collect wood", "place a table"]] * 3


def test_disk_cache_hit_on_rerun(tmp_path, wood_table):
    llm = ScriptedLLM(["- collect wood\n- place a table"])
    first = InstructionProposer(llm, cache_dir=tmp_path).propose([wood_table])
    again = InstructionProposer(llm, cache_dir=tmp_path).propose([wood_table])
    assert llm.calls == 1 and first == again
    other = InstructionProposer(ScriptedLLM(["- x"]), cache_dir=tmp_path, template="{events}{instruction}{outcome}")
    assert other.propose([wood_table])[0].instructions == ["x"]  # another prompt: not served from the cache


def test_failed_first_and_limit():
    ts = [Trajectory("a", ["s"], success=True), Trajectory("b", ["s"], episode_return=3.0), Trajectory("c", ["s"])]
    assert priority_order(ts) == [2, 1, 0]
    proposals = InstructionProposer(ScriptedLLM(["- go"])).propose(ts, limit=2)
    assert [p.index for p in proposals] == [2, 1]
