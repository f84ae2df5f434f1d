"""The fault catalogue's fixtures: the real `teduo` command run in-process (its stderr, its exit code), a tiny BabyAI
dataset collected once, and a fake OpenAI-compatible server on loopback that answers what a test tells it to."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from teduo_gym.cli import main
from teduo_gym.llm.server import QuietHTTPServer


@dataclass
class Outcome:
    """What the `teduo` command did: its exit code (0 when it returned) and what it printed."""

    code: int | str | None
    err: str
    out: str

    @property
    def error_lines(self) -> list[str]:
        """The lines the command printed as errors."""
        return [line for line in self.err.splitlines() if line.startswith("teduo: error:")]


@pytest.fixture
def teduo(capsys: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    """Run ``teduo ARGS...`` in-process; a raw traceback (an exception out of main) fails the test."""

    def run(*args: str) -> Outcome:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code: int | str | None = 0
        except SystemExit as exit_info:
            code = exit_info.code
        captured = capsys.readouterr()
        return Outcome(code, captured.err, captured.out)

    return run


def assert_one_line(outcome: Outcome, *words: str) -> str:
    """The outcome is exit code 2 with exactly one error line that holds every one of ``words``; returns it."""
    assert outcome.code == 2, outcome
    assert len(outcome.error_lines) == 1, outcome.err
    line = outcome.error_lines[0]
    for word in words:
        assert word in line, line
    assert "Traceback" not in outcome.err
    return line


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BabyAI GoToLocal dataset (2 layouts x 2 episodes of at most 8 steps), collected once."""
    from teduo_gym.collection import CollectConfig, collect

    out = tmp_path_factory.mktemp("faults") / "data"
    collect(
        CollectConfig(
            env="BabyAI-GoToLocal-v0", layouts=2, test_layouts=1, episodes_per_layout=2, max_steps=8, out=out
        ),
        progress=False,
    )
    return out


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[[Any], Path]:
    """Write a JSON value to a fresh file; returns its path."""

    def write(value: Any, name: str = "config.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(value))
        return path

    return write


class FakeOpenAI:
    """An OpenAI-compatible server on loopback: ``/models`` lists one model, ``/completions`` and
    ``/chat/completions`` answer ``answer(path, request) -> (status, body bytes)``."""

    def __init__(self, answer: Callable[[str, dict[str, Any]], tuple[int, bytes]]):
        self.requests: list[tuple[str, dict[str, Any]]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._reply(200, json.dumps({"object": "list", "data": [{"id": "fake", "object": "model"}]}).encode())

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = json.loads(raw or b"{}")
                fake.requests.append((self.path, request))
                self._reply(*answer(self.path, request))

        self.httpd = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake_openai() -> Iterator[Callable[[Callable[[str, dict[str, Any]], tuple[int, bytes]]], FakeOpenAI]]:
    """Start fake servers for a test (closed after it)."""
    servers: list[FakeOpenAI] = []

    def start(answer: Callable[[str, dict[str, Any]], tuple[int, bytes]]) -> FakeOpenAI:
        servers.append(FakeOpenAI(answer))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


#: A log-probability in the answers, replaced in the JSON text by the literal a test asks for.
_MARK = 12345.678


def completion_with_logprob(value: str) -> Callable[[str, dict[str, Any]], tuple[int, bytes]]:
    """An answer whose every log-probability is the JSON literal ``value`` (``NaN``, ``Infinity``, ``-1.5``)."""

    def answer(path: str, request: dict[str, Any]) -> tuple[int, bytes]:
        if path.endswith("/chat/completions"):
            top = [{"token": "Yes", "logprob": _MARK}, {"token": "No", "logprob": _MARK}]
            content = [{"token": "Yes", "logprob": _MARK, "top_logprobs": top}]
            message = {"role": "assistant", "content": "Yes"}
            choices = [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": {"content": content}}]
        else:
            prompts = request.get("prompt")
            prompts = prompts if isinstance(prompts, list) else [prompts]
            choices = []
            for i, prompt in enumerate(prompts):
                if request.get("echo"):  # two tokens: the prompt's, then the candidate's (from its last character)
                    offsets = [0, max(0, len(prompt) - 1)]
                    logprobs = {"tokens": ["a", "b"], "text_offset": offsets, "token_logprobs": [None, _MARK]}
                else:
                    logprobs = {"tokens": [" yes"], "top_logprobs": [{" yes": _MARK, " no": _MARK}]}
                choices.append({"index": i, "text": " yes", "finish_reason": "length", "logprobs": logprobs})
        body = {"id": "x", "object": "completion", "created": 0, "model": "fake", "choices": choices}
        return 200, json.dumps(body).replace(str(_MARK), value).encode()

    return answer
