from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import numpy as np
import pytest

from teduo_gym.llm import (
    LLMBackend,
    LLMConnectionError,
    LLMResponseError,
    LLMServer,
    OpenAIBackend,
    TransformersBackend,
)
from teduo_gym.llm.server import QuietHTTPServer
from tests.llm.conftest import ACTIONS, PROMPTS


def test_discovers_the_model_and_generates_like_the_local_backend(
    server: LLMServer, backend: TransformersBackend
) -> None:
    remote = OpenAIBackend(server.url, timeout_s=60)
    assert isinstance(remote, LLMBackend)
    assert remote.name == backend.name
    assert remote.generate(PROMPTS[:2], max_new_tokens=8) == backend.generate(PROMPTS[:2], max_new_tokens=8)


def test_scores_match_the_local_backend(server: LLMServer, backend: TransformersBackend) -> None:
    # Some action words are outside the top-5: those go through echo, which must agree as well.
    remote = OpenAIBackend(server.url, timeout_s=60, top_logprobs=5)
    np.testing.assert_allclose(remote.score(PROMPTS[:2], ACTIONS), backend.score(PROMPTS[:2], ACTIONS), atol=1e-3)
    multi = [" left side", " go forward now"]
    np.testing.assert_allclose(remote.score(PROMPTS[:1], multi), backend.score(PROMPTS[:1], multi), atol=1e-3)


def test_chat_generation_and_scores_match(server: LLMServer, backend: TransformersBackend) -> None:
    local = TransformersBackend.from_model(backend.model, backend.tokenizer, name="chat", chat=True)
    remote = OpenAIBackend(server.url, chat=True, timeout_s=60)
    assert remote.generate(["Say hello."], max_new_tokens=6) == local.generate(["Say hello."], max_new_tokens=6)
    prompt = ["Is the sky blue? Answer yes or no."]
    np.testing.assert_allclose(remote.score(prompt, ["Yes", "No"]), local.score(prompt, ["Yes", "No"]), atol=1e-3)
    # A candidate outside the top-k gets a floor just below the smallest returned log-probability.
    floor = remote.score(prompt, ["Yes", "zzzz-not-a-token"])
    assert floor[0, 1] < floor[0, 0] and np.isfinite(floor[0, 1])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.timeout(30)  # never hangs: bounded by timeout_s and max_retries
def test_unreachable_server_raises() -> None:
    port = _closed_port()
    with pytest.raises(LLMConnectionError, match="teduo serve-llm") as info:
        OpenAIBackend(f"http://127.0.0.1:{port}/v1", timeout_s=1, max_retries=0)
    assert f"127.0.0.1:{port}" in str(info.value) and "1 try" in str(info.value)


def _serve(body: bytes, status: int = 200) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

    httpd = QuietHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def not_json() -> Iterator[str]:
    yield from _serve(b"<html>hello</html>")


@pytest.fixture
def no_choices() -> Iterator[str]:
    yield from _serve(json.dumps({"object": "text_completion", "data": []}).encode())


@pytest.fixture
def server_error() -> Iterator[str]:
    yield from _serve(b'{"error": {"message": "model exploded"}}', status=400)


def test_a_non_json_answer_is_a_response_error(not_json: str) -> None:
    with pytest.raises(LLMResponseError, match="not JSON"):
        OpenAIBackend(not_json, timeout_s=2, max_retries=0)
    llm = OpenAIBackend(not_json, "m", timeout_s=2, max_retries=0)
    with pytest.raises(LLMResponseError, match=not_json):
        llm.generate(["hi"])


def test_json_without_choices_is_a_response_error(no_choices: str) -> None:
    llm = OpenAIBackend(no_choices, "m", timeout_s=2, max_retries=0)
    with pytest.raises(LLMResponseError, match="choices"):
        llm.generate(["hi"])
    with pytest.raises(LLMResponseError, match="choices"):
        llm.score(["hi"], [" a"])


def test_an_http_error_status_is_a_response_error(server_error: str) -> None:
    llm = OpenAIBackend(server_error, "m", timeout_s=2, max_retries=0)
    with pytest.raises(LLMResponseError, match="HTTP 400.*model exploded"):
        llm.generate(["hi"])
