from __future__ import annotations

import dataclasses

import pytest

from teduo_gym.llm import LLMConfig, LLMServer, OpenAIBackend, TransformersBackend


def test_openai_without_base_url_names_the_fix() -> None:
    with pytest.raises(ValueError, match="base_url"):
        LLMConfig(backend="openai").create()


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        LLMConfig().chat = True  # type: ignore[misc]


def test_creates_each_backend(server: LLMServer) -> None:
    local = LLMConfig(batch_size=4).create()
    assert isinstance(local, TransformersBackend) and local.batch_size == 4
    remote = LLMConfig(backend="openai", base_url=server.url, chat=True, timeout_s=5).create()
    assert isinstance(remote, OpenAIBackend) and remote.chat and remote.name == local.name
