from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from teduo_gym.llm import LLMBackend, ModelNotFoundError, TransformersBackend
from tests.llm.conftest import ACTIONS, PROMPTS


def test_is_an_llm_backend(backend: TransformersBackend) -> None:
    assert isinstance(backend, LLMBackend)
    assert backend.name == "SmolLM2-135M-Instruct"
    assert not backend.model.training


@pytest.mark.parametrize("content", [None, {"hello": 1}])
def test_a_dir_without_a_model_is_refused(tmp_path: Path, content: dict | None) -> None:
    if content is not None:
        (tmp_path / "notes.json").write_text(json.dumps(content))
    with pytest.raises(ModelNotFoundError, match="config.json") as info:
        TransformersBackend(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_greedy_generation_is_deterministic_and_batch_independent(backend: TransformersBackend) -> None:
    first = backend.generate(PROMPTS[:3], max_new_tokens=8)
    assert first == backend.generate(PROMPTS[:3], max_new_tokens=8)
    assert all(isinstance(t, str) for t in first) and all(first)
    one_at_a_time = [backend.generate([p], max_new_tokens=8)[0] for p in PROMPTS[:3]]
    assert first == one_at_a_time


def test_generation_stops_at_a_stop_string(backend: TransformersBackend) -> None:
    prompt = "Count: 1, 2, 3,"
    full = backend.generate([prompt], max_new_tokens=12)[0]
    assert ", 6" in full  # the model counts on
    cut = backend.generate([prompt], max_new_tokens=12, stop=[", 6"])[0]
    assert cut == full[: full.index(", 6")]


def test_sampling_is_seedable(backend: TransformersBackend) -> None:
    torch.manual_seed(0)
    a = backend.generate(PROMPTS[:2], max_new_tokens=6, temperature=1.0)
    torch.manual_seed(0)
    assert a == backend.generate(PROMPTS[:2], max_new_tokens=6, temperature=1.0)


def test_score_shape_and_fast_path_matches_sequences(backend: TransformersBackend) -> None:
    fast = backend.score(PROMPTS, ACTIONS)
    assert fast.shape == (len(PROMPTS), len(ACTIONS)) and fast.dtype == np.float64
    assert np.all(fast < 0)
    slow = backend.score_by_sequences(PROMPTS, ACTIONS)
    np.testing.assert_allclose(fast, slow, atol=1e-4)


def test_batched_scores_equal_one_at_a_time(backend: TransformersBackend) -> None:
    batched = backend.score(PROMPTS, ACTIONS)
    single = np.stack([backend.score([p], ACTIONS)[0] for p in PROMPTS])
    np.testing.assert_allclose(batched, single, atol=1e-4)
    batched_seq = backend.score_by_sequences(PROMPTS, [" left side", " yes"])
    single_seq = np.stack([backend.score_by_sequences([p], [" left side", " yes"])[0] for p in PROMPTS])
    np.testing.assert_allclose(batched_seq, single_seq, atol=1e-4)


def test_multi_token_candidates_follow_the_chain_rule(backend: TransformersBackend) -> None:
    prompt = PROMPTS[0]
    both = backend.score([prompt], [" left side", " left"])[0]
    assert len(backend.tokenizer(" left side")["input_ids"]) == 2
    side_after_left = backend.score([prompt + " left"], [" side"])[0, 0]
    assert both[0] == pytest.approx(both[1] + side_after_left, abs=1e-4)


def test_next_token_logprobs_are_normalised(backend: TransformersBackend) -> None:
    lp = backend.next_token_logprobs(PROMPTS[:2])
    assert lp.shape == (2, len(backend.tokenizer))
    torch.testing.assert_close(lp.logsumexp(dim=-1), torch.zeros(2), atol=1e-4, rtol=0)
    left = backend.tokenizer(" left")["input_ids"][0]
    assert float(lp[0, left]) == pytest.approx(backend.score(PROMPTS[:1], [" left"])[0, 0], abs=1e-4)


def test_chat_wraps_prompts_in_the_template(backend: TransformersBackend) -> None:
    chat = TransformersBackend.from_model(backend.model, backend.tokenizer, name="chat", chat=True)
    assert "<|im_start|>user\nhello" in chat.format_prompt("hello")
    reply = chat.generate(["Say hello."], max_new_tokens=8)[0]
    assert reply and "<|im_start|>" not in reply
    scores = chat.score(["Is the sky blue? Answer yes or no."], ["Yes", "No"])
    np.testing.assert_allclose(
        scores, chat.score_by_sequences(["Is the sky blue? Answer yes or no."], ["Yes", "No"]), atol=1e-4
    )
    assert not np.allclose(scores, backend.score(["Is the sky blue? Answer yes or no."], ["Yes", "No"]))


def test_peft_adapter_dir_loads_on_the_embedded_model(backend: TransformersBackend, tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model

    base = TransformersBackend(batch_size=8).model  # a private copy: peft modifies the model in place
    lora = get_peft_model(base, LoraConfig(r=2, target_modules=["q_proj"], init_lora_weights=False))
    lora.save_pretrained(tmp_path / "adapter")
    config = json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = "HuggingFaceTB/SmolLM2-135M-Instruct"  # a hub name: not local
    (tmp_path / "adapter" / "adapter_config.json").write_text(json.dumps(config))

    loaded = TransformersBackend(tmp_path / "adapter")
    assert loaded.name == "SmolLM2-135M-Instruct+adapter"
    expected = TransformersBackend.from_model(lora, backend.tokenizer, name="lora").score(PROMPTS[:2], ACTIONS)
    np.testing.assert_allclose(loaded.score(PROMPTS[:2], ACTIONS), expected, atol=1e-4)
    assert not np.allclose(expected, backend.score(PROMPTS[:2], ACTIONS), atol=1e-3)
