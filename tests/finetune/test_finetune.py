"""Fine-tuning the real embedded SmolLM2 on tiny data (LoRA and full), the action words it saves, resume, and bad
input."""

import json

import numpy as np
import pytest

from teduo_gym.agents import COMPACT_TEMPLATE, LLMAgent
from teduo_gym.envs.babyai.actions import ACTION_WORDS
from teduo_gym.finetune import FinetuneConfig, finetune, read_examples, tokenize_example
from teduo_gym.finetune.train import action_loss, action_words, collate_actions

from .conftest import GOAL

STATE = "target: 2 forward, 1 left"


def config(data, out, **kwargs):
    settings = {"batch_size": 4, "max_steps": 3, "save_steps": 1, "progress": False, **kwargs}
    if not {"env", "action_words", "free_text"} & set(kwargs):
        settings["env"] = "BabyAI-GoToLocal-v0"
    return FinetuneConfig(data=data, out=out, **settings)


def test_loss_is_on_the_action_token_only(embedded_backend):
    agent = LLMAgent(embedded_backend, ACTION_WORDS)
    row = tokenize_example(embedded_backend.tokenizer, agent.prompt(GOAL, STATE), "left", max_length=512)
    target = [t for t in row["labels"] if t != -100]
    assert target == embedded_backend.tokenizer(" left", add_special_tokens=False).input_ids
    assert row["labels"][: -len(target)] == [-100] * (len(row["labels"]) - len(target))
    short = tokenize_example(embedded_backend.tokenizer, agent.prompt(GOAL, STATE), "left", max_length=8)
    assert len(short["input_ids"]) == 8 and short["labels"][-1] == target[0]


def test_the_action_only_loss_equals_the_models_own_loss_on_a_padded_batch(embedded_backend):
    # prompts of several lengths, one- and several-token actions: the left-padded batch with logits kept at the
    # actions only gives the loss and gradients of Hugging Face's causal-LM loss over right-padded rows
    import torch
    from transformers import DataCollatorForSeq2Seq

    model, tokenizer = embedded_backend.model, embedded_backend.tokenizer
    agent = LLMAgent(embedded_backend, ACTION_WORDS)
    pairs = [(STATE, "left"), ("target: 12 forward, 3 right, behind a closed door", "toggle"), ("x", "click[buy now]")]
    rows = [tokenize_example(tokenizer, agent.prompt(GOAL, state), action, 512) for state, action in pairs]
    assert len({len(r["input_ids"]) for r in rows}) == 3 and sum(r["labels"][-2] != -100 for r in rows) == 1
    weight = model.model.layers[-1].mlp.down_proj.weight
    reference = DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100)(rows)
    with torch.enable_grad():
        expected = model(**reference).loss
        (expected_grad,) = torch.autograd.grad(expected, weight)
        batch = collate_actions(rows, pad_id=int(tokenizer.eos_token_id))
        labels = batch.pop("labels")
        outputs = model(**batch)
        assert outputs.logits.shape[1] == batch["logits_to_keep"] < batch["input_ids"].shape[1]
        loss = action_loss(outputs, labels)
        (grad,) = torch.autograd.grad(loss, weight)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-4)
    assert torch.allclose(grad, expected_grad, rtol=1e-3, atol=1e-6)


def test_lora_training_raises_the_taught_action_and_loads_as_an_agent(data, tmp_path, embedded_backend):
    before = LLMAgent(embedded_backend, ACTION_WORDS).action_logprobs([GOAL], [STATE])[0]
    out = finetune(config(data, tmp_path / "agent", action_words=ACTION_WORDS))  # no env: the words given, in order
    assert (out / "adapter_config.json").is_file()
    saved = json.loads((out / "teduo_agent.json").read_text())["action_words"]
    assert saved == list(ACTION_WORDS) != sorted(ACTION_WORDS)  # action i is word i, never the words sorted
    after = LLMAgent.from_pretrained(out, action_words=ACTION_WORDS).action_logprobs([GOAL], [STATE])[0]
    left = ACTION_WORDS.index("left")
    assert after[left] > before[left]
    with pytest.raises(ValueError, match=r"differ from the \['left', 'right', 'forward'"):
        LLMAgent.from_pretrained(out, action_words=sorted(ACTION_WORDS))
    record = json.loads((out / "finetune.json").read_text())
    assert record["config"]["method"] == "lora" and record["results"]["trainable_parameters"] > 0


def test_rerun_resumes_from_the_last_checkpoint_and_refuses_another_run(data, tmp_path):
    out = tmp_path / "agent"
    finetune(config(data, out, max_steps=2))
    finetune(config(data, out, max_steps=3))
    assert json.loads((out / "finetune.json").read_text())["results"]["resumed_from"].endswith("checkpoint-2")
    with pytest.raises(ValueError, match="made by another run"):
        finetune(config(data, out, method="full"))


def test_full_fine_tuning_on_free_text_actions_saves_a_whole_model(data, tmp_path):
    out = finetune(
        config(data, tmp_path / "full", method="full", max_steps=1, free_text=True, template=COMPACT_TEMPLATE)
    )
    assert (out / "config.json").is_file() and not (out / "adapter_config.json").exists()
    assert json.loads((out / "teduo_agent.json").read_text())["action_words"] == []
    with pytest.raises(ValueError, match="free-text actions"):
        LLMAgent.from_pretrained(out)
    logp = LLMAgent.from_pretrained(out, action_words=ACTION_WORDS).action_logprobs([GOAL], [STATE])
    assert np.isfinite(logp).all()


def test_the_action_words_come_from_the_environment_or_are_given_in_order(data, tmp_path):
    assert action_words(config(data, tmp_path)) == ACTION_WORDS
    assert action_words(config(data, tmp_path, env="tests.evaluation.lake:Lake")) == ("left", "down", "right", "up")
    assert action_words(config(data, tmp_path, action_words=("up", "down"))) == ("up", "down")
    assert action_words(config(data, tmp_path, free_text=True)) == ()
    for wrong in ({"env": None}, {"env": "BabyAI-GoToLocal-v0", "action_words": ("a",)}):
        with pytest.raises(ValueError, match="needs exactly one of env"):
            finetune(FinetuneConfig(data, tmp_path / "agent", **wrong))
    with pytest.raises(ValueError, match=r"template without \{actions\}"):
        finetune(config(data, tmp_path / "agent", free_text=True))


def test_bad_examples_are_named(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"goal": "go to the red ball", "state": "x", "action": "left"}\n{"goal": 1}\n')
    with pytest.raises(ValueError, match="bad.jsonl:2"):
        read_examples(bad)
    bad.write_text('{"goal": "go to the red ball", "state": "x", "action": "jump"}\n')
    with pytest.raises(ValueError, match="'jump' is not one of"):
        read_examples(bad, ACTION_WORDS)
    with pytest.raises(FileNotFoundError, match="no fine-tuning data"):
        read_examples(tmp_path / "missing.jsonl")
