"""Faults of LLM back ends: a server that answers NaN or infinite log-probabilities, garbage, HTTP 500 or nothing; a
prompt longer than the model's context."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from teduo_gym.labeling.cache import JudgeCache
from teduo_gym.llm import LLMConnectionError, LLMResponseError, OpenAIBackend
from teduo_gym.llm.base import PromptTooLongError
from tests.faults.conftest import assert_one_line, completion_with_logprob


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_next_token_logprobs_are_an_error(fake_openai, value):
    server = fake_openai(completion_with_logprob(value))
    llm = OpenAIBackend(server.url, timeout_s=5, max_retries=0)
    with pytest.raises(LLMResponseError, match="non-finite log-probabilities") as info:
        llm.score(["Is the sky blue? Answer:"], [" yes", " no"])
    assert server.url in str(info.value)


def test_non_finite_chat_logprobs_are_an_error(fake_openai):
    server = fake_openai(completion_with_logprob("NaN"))
    llm = OpenAIBackend(server.url, chat=True, timeout_s=5, max_retries=0)
    with pytest.raises(LLMResponseError, match="non-finite"):
        llm.score(["Is the sky blue?"], ["Yes", "No"])


def test_non_finite_echoed_logprobs_are_an_error(fake_openai):
    """A candidate outside the top-k is scored through echo: a NaN there is refused too."""
    server = fake_openai(completion_with_logprob("NaN"))
    llm = OpenAIBackend(server.url, timeout_s=5, max_retries=0)
    with pytest.raises(LLMResponseError, match="non-finite"):
        llm.score(["Is the sky blue? Answer:"], [" maybe not"])


def test_finite_logprobs_are_accepted(fake_openai):
    server = fake_openai(completion_with_logprob("-1.5"))
    scores = OpenAIBackend(server.url, timeout_s=5, max_retries=0).score(["Q:"], [" yes", " no"])
    np.testing.assert_allclose(scores, [[-1.5, -1.5]])


def test_a_nan_server_through_teduo_label_is_one_line_and_poisons_no_cache(fake_openai, teduo, tiny_data, tmp_path):
    server = fake_openai(completion_with_logprob("NaN"))
    cache = tmp_path / "cache"
    outcome = teduo(
        "label", "--dataset", tiny_data, "--n-goals", "1", "--modes", "judge", "--threshold", "0.5",
        "--llm.backend", "openai", "--llm.base-url", server.url, "--llm.max-retries", "0",
        "--cache-dir", cache, "--out-dir", tmp_path / "labels", "--no-progress",
    )  # fmt: skip
    assert_one_line(outcome, "non-finite", server.url)
    assert not list(cache.rglob("*.npz")), "a NaN answer was cached"
    assert not (tmp_path / "labels" / "labels_judge.npz").exists()


def test_a_nan_in_the_judge_cache_is_never_stored():
    import tempfile

    cache = JudgeCache(tempfile.mkdtemp(), "model|prompt")
    with pytest.raises(ValueError, match="not probabilities"):
        cache.put("go to a key", ["a key"], [float("nan")])
    assert cache.get("go to a key", ["a key"]) == [None]


def test_a_poisoned_judge_cache_on_disk_is_asked_again(tmp_path):
    cache = JudgeCache(tmp_path, "model|prompt")
    cache.put("go to a key", ["a key", "a wall"], [0.9, 0.1])
    cache.save("go to a key")
    path = next(tmp_path.rglob("*.npz"))
    with np.load(path) as arrays:
        keys, p = arrays["keys"], arrays["p"].copy()
    p[0] = np.nan  # as an older version wrote it
    np.savez(path, keys=keys, p=p)
    with pytest.warns(UserWarning, match="not probabilities"):
        got = JudgeCache(tmp_path, "model|prompt").get("go to a key", ["a key", "a wall"])
    assert got.count(None) == 1 and 0.1 in got


def test_a_truncated_judge_cache_is_asked_again(tmp_path):
    cache = JudgeCache(tmp_path, "model|prompt")
    cache.put("go to a key", ["a key"], [0.9])
    cache.save("go to a key")
    path = next(tmp_path.rglob("*.npz"))
    path.write_bytes(path.read_bytes()[:40])
    with pytest.warns(UserWarning, match="unreadable"):
        assert JudgeCache(tmp_path, "model|prompt").get("go to a key", ["a key"]) == [None]


def test_a_truncated_choice_cache_is_asked_again(tmp_path):
    from teduo_gym.labeling.cache import ChoiceCache

    cache = ChoiceCache(tmp_path, "model|slots")
    cache.put("go to a key", {"kind": "go"})
    cache.path.write_text(cache.path.read_text()[:5])
    with pytest.warns(UserWarning, match="unreadable"):
        assert ChoiceCache(tmp_path, "model|slots").get("go to a key") is None


def test_garbage_from_the_server_is_named(fake_openai):
    server = fake_openai(lambda path, request: (200, b"<html>not json</html>"))
    with pytest.raises(LLMResponseError):
        OpenAIBackend(server.url, timeout_s=5, max_retries=0).score(["Q:"], [" yes"])


def test_http_500_is_named(fake_openai):
    server = fake_openai(lambda path, request: (500, b'{"error": "boom"}'))
    with pytest.raises((LLMResponseError, LLMConnectionError)) as info:
        OpenAIBackend(server.url, timeout_s=5, max_retries=0).score(["Q:"], [" yes"])
    assert "500" in str(info.value) or server.url in str(info.value)


@pytest.fixture
def hanging_server() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    stop.set()
    for conn in held:
        conn.close()
    sock.close()


@pytest.mark.timeout(30)
def test_a_hanging_server_times_out_and_is_named(hanging_server):
    start = time.perf_counter()
    with pytest.raises(LLMConnectionError, match="127.0.0.1"):
        OpenAIBackend(hanging_server, timeout_s=1, max_retries=0)
    assert time.perf_counter() - start < 20


def test_a_prompt_longer_than_the_context_is_an_error(embedded_backend):
    """A 60 KB goal is ~16k tokens, twice SmolLM2's context: no nonsense answer, one error naming the limit."""
    goal = "go to the red ball " * 3200
    with pytest.raises(PromptTooLongError, match="8192 tokens"):
        embedded_backend.score([f"Goal: {goal}\nAchieved? Answer:"], [" yes", " no"])
    with pytest.raises(PromptTooLongError, match="longer than the context"):
        embedded_backend.generate([goal], max_new_tokens=2)


def test_a_prompt_within_the_context_is_scored(embedded_backend):
    assert np.isfinite(embedded_backend.score(["Is the sky blue? Answer:"], [" yes", " no"])).all()


@pytest.fixture
def model_copy(embedded_backend, tmp_path):
    """A copy of the embedded model's small files, with the first 1000 bytes of its weights (a cut-short download)."""
    import shutil

    from teduo_gym.llm import embedded_model_dir

    source, copy = embedded_model_dir(), tmp_path / "model"
    copy.mkdir()
    for path in source.iterdir():
        if path.suffix != ".safetensors":
            shutil.copy(path, copy / path.name)
    (copy / "model.safetensors").write_bytes((source / "model.safetensors").read_bytes()[:1000])
    return copy


def _free_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def test_truncated_model_weights_are_one_line(teduo, model_copy):
    outcome = teduo("serve-llm", "--llm.model", model_copy, "--port", _free_port())
    assert_one_line(outcome, str(model_copy), "cannot be loaded", "truncated or broken")


def test_a_broken_model_config_is_one_line(teduo, model_copy):
    (model_copy / "config.json").write_text('{"model_type": ')
    assert_one_line(teduo("serve-llm", "--llm.model", model_copy, "--port", _free_port()), str(model_copy))


def test_a_broken_adapter_config_is_one_line(teduo, tmp_path):
    adapter = tmp_path / "agent"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{")
    assert_one_line(teduo("serve-llm", "--llm.model", adapter, "--port", _free_port()), str(adapter), "cannot be")


def test_a_model_folder_that_is_not_a_model_is_one_line(teduo, tmp_path):
    assert_one_line(teduo("serve-llm", "--llm.model", tmp_path, "--port", _free_port()), "is not a model directory")


def test_a_prompt_longer_than_the_served_context_is_a_400_naming_the_limit(embedded_backend):
    from teduo_gym.llm import LLMServer

    server = LLMServer(embedded_backend, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        remote = OpenAIBackend(server.url, timeout_s=30, max_retries=0)
        with pytest.raises(LLMResponseError, match="longer than the context") as info:
            remote.score(["go to the red ball " * 3200 + "? Answer:"], [" yes", " no"])
        assert "400" in str(info.value)
    finally:
        server.close()
