from __future__ import annotations

import http.client
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from teduo_gym.llm import LLMServer, TransformersBackend
from teduo_gym.llm.server import QuietHTTPServer
from tests.llm.conftest import PROMPTS


def _post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/completions", b"{not json", None),
        ("/completions", b"[1, 2]", None),
        ("/completions", b'{"max_tokens": 3}', "prompt"),
        ("/completions", b'{"prompt": 3}', "prompt"),
        ("/completions", b'{"prompt": "hi", "max_tokens": "many"}', "max_tokens"),
        ("/completions", b'{"prompt": "hi", "logprobs": 1000}', "logprobs"),
        ("/chat/completions", b'{"messages": [{"role": "user"}]}', "messages"),
        (
            "/chat/completions",
            b'{"messages": [{"role": "user", "content": "hi"}], "logprobs": "yes"}',
            "logprobs",
        ),
    ],
)
def test_bad_requests_get_400_and_the_server_keeps_serving(
    server: LLMServer, path: str, body: bytes, param: str | None
) -> None:
    status, answer = _post(server.url + path, body)
    assert status == 400
    assert answer["error"]["type"] == "invalid_request_error" and answer["error"]["param"] == param
    status, answer = _post(server.url + "/completions", b'{"prompt": "Hi", "max_tokens": 1}')
    assert status == 200 and len(answer["choices"]) == 1


def test_unknown_paths_get_404(server: LLMServer) -> None:
    status, answer = _post(server.url + "/embeddings", b"{}")
    assert status == 404 and "not_found" == answer["error"]["type"]
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(server.url + "/nothing", timeout=10)
    assert info.value.code == 404


def test_models_lists_the_backend(server: LLMServer, backend: TransformersBackend) -> None:
    with urllib.request.urlopen(server.url + "/models", timeout=10) as answer:
        assert json.loads(answer.read())["data"][0]["id"] == backend.name


def test_completion_logprobs_and_echo_format(server: LLMServer, backend: TransformersBackend) -> None:
    prompt = PROMPTS[1]
    body = {"prompt": [prompt], "max_tokens": 3, "temperature": 0, "logprobs": 2, "echo": True}
    status, answer = _post(server.url + "/completions", json.dumps(body).encode())
    assert status == 200
    choice = answer["choices"][0]
    assert choice["text"] == prompt + backend.generate([prompt], max_new_tokens=3)[0]
    lp = choice["logprobs"]
    n = len(lp["tokens"])
    assert len(lp["token_logprobs"]) == len(lp["top_logprobs"]) == len(lp["text_offset"]) == n
    assert lp["token_logprobs"][0] is None and lp["top_logprobs"][0] is None
    assert all(isinstance(v, float) for v in lp["token_logprobs"][1:])
    assert all(len(t) == 2 for t in lp["top_logprobs"][1:])
    assert "".join(lp["tokens"])[: len(prompt)] == prompt
    assert lp["text_offset"] == sorted(lp["text_offset"]) and lp["text_offset"][0] == 0


def test_chat_completion_logprobs_format(server: LLMServer) -> None:
    body = {
        "messages": [{"role": "user", "content": "Say hi."}],
        "max_tokens": 2,
        "temperature": 0,
        "logprobs": True,
        "top_logprobs": 3,
    }
    status, answer = _post(server.url + "/chat/completions", json.dumps(body).encode())
    assert status == 200
    choice = answer["choices"][0]
    assert choice["message"]["role"] == "assistant" and choice["message"]["content"]
    content = choice["logprobs"]["content"]
    assert 1 <= len(content) <= 2
    assert all(len(c["top_logprobs"]) == 3 and isinstance(c["logprob"], float) for c in content)


@pytest.mark.parametrize(("error", "printed"), [(BrokenPipeError, False), (RuntimeError, True)])
def test_a_client_hanging_up_prints_no_traceback(capfd: pytest.CaptureFixture[str], error: type, printed: bool) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            raise error("the client went away" if error is BrokenPipeError else "a bug")

    httpd = QuietHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises((urllib.error.URLError, ConnectionError, http.client.HTTPException)):
            urllib.request.urlopen(f"http://127.0.0.1:{httpd.server_address[1]}/", timeout=10)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert ("Traceback" in capfd.readouterr().err) is printed
