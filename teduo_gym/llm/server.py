"""A minimal OpenAI-compatible HTTP server over a :class:`~teduo_gym.llm.TransformersBackend` (stdlib only).

- :class:`LLMServer` -- serves ``GET /v1/models``, ``POST /v1/completions`` (with ``logprobs`` and
  ``echo``) and ``POST /v1/chat/completions`` (with ``logprobs`` / ``top_logprobs``), so that
  :class:`~teduo_gym.llm.OpenAIBackend`, or any OpenAI client, can use a local model from another process.

Bad requests get a 400 and unknown paths a 404, with OpenAI-style JSON errors; the server keeps serving.
Model calls are serialised by a lock (one forward pass at a time uses all cores anyway).
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from teduo_gym.llm.base import PromptTooLongError
from teduo_gym.llm.transformers_backend import Generation, TransformersBackend

__all__ = ["LLMServer", "QuietHTTPServer"]

_MAX_BODY_BYTES = 16 * 1024 * 1024
_MAX_TOP_LOGPROBS = 20
_REQUIRED = object()


class _BadRequest(ValueError):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def _field(body: dict[str, Any], key: str, types: tuple[type, ...], default: Any = _REQUIRED) -> Any:
    """``body[key]`` checked against ``types`` (bool is never accepted as a number)."""
    if key not in body or body[key] is None:
        if default is _REQUIRED:
            raise _BadRequest(f"missing required field '{key}'", key)
        return default
    value = body[key]
    if isinstance(value, bool) and bool not in types or not isinstance(value, types):
        names = " or ".join(t.__name__ for t in types)
        raise _BadRequest(f"field '{key}' must be {names}, got {type(value).__name__}", key)
    return value


def _int_field(body: dict[str, Any], key: str, default: int | None, low: int, high: int) -> int | None:
    value = _field(body, key, (int,), default)
    if value is not None and not low <= value <= high:
        raise _BadRequest(f"field '{key}' must be between {low} and {high}, got {value}", key)
    return value


def _sampling(body: dict[str, Any], default_max_tokens: int) -> dict[str, Any]:
    """The generation arguments shared by both endpoints."""
    temperature = float(_field(body, "temperature", (int, float), 1.0))
    if not 0 <= temperature <= 2:
        raise _BadRequest(f"field 'temperature' must be between 0 and 2, got {temperature}", "temperature")
    stop = _field(body, "stop", (str, list), [])
    stop = [stop] if isinstance(stop, str) else stop
    if not all(isinstance(s, str) for s in stop):
        raise _BadRequest("field 'stop' must be a string or a list of strings", "stop")
    max_tokens = _int_field(body, "max_tokens", default_max_tokens, 0, 1_000_000)
    return {"max_new_tokens": max_tokens, "temperature": temperature, "stop": stop}


class QuietHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that lets a client hang up without a printed traceback.

    A client that disconnects before its answer is written (a killed process, a timeout) is routine for a model
    server, not an error. The stdlib prints its traceback from the request's thread; on Python 3.11 printing a
    traceback parses source with :mod:`ast`, which is not thread-safe there and can fail a parse running in another
    thread at the same moment ("AST constructor recursion depth mismatch"). Other errors are reported as before.

    Example:
        >>> from http.server import BaseHTTPRequestHandler
        >>> server = QuietHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
        >>> server.daemon_threads
        True
        >>> server.server_close()
    """

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore a client's disconnect (:class:`ConnectionError`); report anything else as the stdlib does."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LLMServer:
    """Serve a :class:`TransformersBackend` over the OpenAI HTTP API.

    Args:
        backend: the model to serve; its ``name`` is the served model id.
        host: the interface to listen on.
        port: the TCP port; 0 picks a free one (see :attr:`url`).

    Example:
        >>> with LLMServer(TransformersBackend()) as server:  # doctest: +SKIP
        ...     OpenAIBackend(server.url).generate(["Hello"])
    """

    def __init__(self, backend: TransformersBackend, host: str = "127.0.0.1", port: int = 0) -> None:
        self.backend = backend
        self._lock = threading.Lock()
        self._httpd = QuietHTTPServer((host, port), _handler_for(self))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The API root for clients, e.g. ``http://127.0.0.1:8000/v1``."""
        host, port = self._httpd.server_address[:2]
        assert isinstance(host, str), "a bound AF_INET socket's host is a str"
        return f"http://{host}:{port}/v1"

    def start(self) -> LLMServer:
        """Serve in a background (daemon) thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, name="teduo-llm-server", daemon=True)
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (for a command line)."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> LLMServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---- endpoints -------------------------------------------------------------------------------------

    def models(self) -> dict[str, Any]:
        """The answer to ``GET /v1/models``."""
        return {
            "object": "list",
            "data": [{"id": self.backend.name, "object": "model", "created": 0, "owned_by": "teduo-gym"}],
        }

    def completions(self, body: dict[str, Any]) -> dict[str, Any]:
        """The answer to ``POST /v1/completions``."""
        prompt = _field(body, "prompt", (str, list))
        prompts = [prompt] if isinstance(prompt, str) else prompt
        if not prompts or not all(isinstance(p, str) for p in prompts):
            raise _BadRequest("field 'prompt' must be a string or a non-empty list of strings", "prompt")
        args = _sampling(body, default_max_tokens=16)
        k = _int_field(body, "logprobs", None, 0, _MAX_TOP_LOGPROBS)
        echo = _field(body, "echo", (bool,), False)
        with self._lock:
            gens = self._generate(prompts, args, k or 0)
            echoed = [self.backend.prompt_logprobs(p, k or 0) for p in prompts] if echo and k is not None else []
        choices = []
        for i, (prompt, gen) in enumerate(zip(prompts, gens, strict=True)):
            logprobs: dict[str, Any] | None = None
            if k is not None:
                offsets, start = [], len(prompt)
                for token in gen.tokens:
                    offsets.append(start)
                    start += len(token)
                logprobs = {
                    "tokens": list(gen.tokens),
                    "token_logprobs": list(gen.token_logprobs),
                    "top_logprobs": list(gen.top_logprobs),
                    "text_offset": offsets,
                }
                if echo:
                    e = echoed[i]
                    logprobs = {
                        "tokens": e.tokens + logprobs["tokens"],
                        "token_logprobs": e.token_logprobs + logprobs["token_logprobs"],
                        "top_logprobs": e.top_logprobs + logprobs["top_logprobs"],
                        "text_offset": e.text_offset + offsets,
                    }
            choices.append(
                {
                    "index": i,
                    "text": prompt + gen.text if echo else gen.text,
                    "logprobs": logprobs,
                    "finish_reason": gen.finish_reason,
                }
            )
        return {
            "id": f"cmpl-{uuid.uuid4().hex}",
            "object": "text_completion",
            "created": int(time.time()),
            "model": self.backend.name,
            "choices": choices,
        }

    def chat_completions(self, body: dict[str, Any]) -> dict[str, Any]:
        """The answer to ``POST /v1/chat/completions``."""
        messages = _field(body, "messages", (list,))
        if not messages or not all(
            isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
            for m in messages
        ):
            raise _BadRequest("field 'messages' must be a non-empty list of {'role': str, 'content': str}", "messages")
        if "max_completion_tokens" in body and "max_tokens" not in body:
            body = {**body, "max_tokens": body["max_completion_tokens"]}
        args = _sampling(body, default_max_tokens=256)
        want_logprobs = _field(body, "logprobs", (bool,), False)
        k = _int_field(body, "top_logprobs", 0, 0, _MAX_TOP_LOGPROBS) or 0
        text = self.backend.format_messages(messages)
        with self._lock:
            gen = self._generate([text], args, k)[0]
        logprobs = None
        if want_logprobs:
            logprobs = {
                "content": [
                    {
                        "token": token,
                        "logprob": lp,
                        "bytes": list(token.encode()),
                        "top_logprobs": [{"token": t, "logprob": v, "bytes": list(t.encode())} for t, v in top.items()],
                    }
                    for token, lp, top in zip(gen.tokens, gen.token_logprobs, gen.top_logprobs, strict=True)
                ]
            }
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.backend.name,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": gen.text},
                    "logprobs": logprobs,
                    "finish_reason": gen.finish_reason,
                }
            ],
        }

    def _generate(self, texts: list[str], args: dict[str, Any], k: int) -> list[Generation]:
        if args["max_new_tokens"] == 0:
            return [Generation(text="") for _ in texts]
        return self.backend.generate_details(texts, top_logprobs=k, **args)


def _handler_for(app: LLMServer) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to ``app``."""
    routes = {"/v1/completions": app.completions, "/v1/chat/completions": app.chat_completions}

    class Handler(BaseHTTPRequestHandler):
        server_version = "teduo-gym-llm/0.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
            """Quiet: no line per request."""

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str, kind: str, param: str | None = None) -> None:
            self._send(status, {"error": {"message": message, "type": kind, "param": param, "code": None}})

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if self.path.rstrip("/") == "/v1/models":
                self._send(200, app.models())
            else:
                self._error(404, f"unknown path {self.path}; this server offers GET /v1/models", "not_found")

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            route = routes.get(self.path.rstrip("/"))
            if route is None:
                self._error(
                    404,
                    f"unknown path {self.path}; this server offers POST /v1/completions and /v1/chat/completions",
                    "not_found",
                )
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
                if not 0 <= length <= _MAX_BODY_BYTES:
                    raise ValueError
            except ValueError:
                self.close_connection = True
                self._error(400, "a JSON body with a valid Content-Length is required", "invalid_request_error")
                return
            try:
                body = json.loads(self.rfile.read(length) or b"null")
                if not isinstance(body, dict):
                    raise _BadRequest("the request body must be a JSON object")
                self._send(200, route(body))
            except json.JSONDecodeError as exc:
                self._error(400, f"the request body is not valid JSON: {exc}", "invalid_request_error")
            except _BadRequest as exc:
                self._error(400, str(exc), "invalid_request_error", exc.param)
            except PromptTooLongError as exc:  # as OpenAI answers: the request, not the server, is at fault
                self._error(400, str(exc), "context_length_exceeded", "prompt")
            except Exception as exc:  # noqa: BLE001 - a failed model call must not kill the server
                self._error(500, f"{type(exc).__name__}: {exc}", "server_error")

    return Handler
