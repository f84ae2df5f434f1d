"""WebShop over HTTP: a FastAPI app speaking the REST schema of AgentGym's WebShop server, served by uvicorn.

- :class:`WebShopServeConfig` -- what ``teduo webshop serve`` takes (a tyro-friendly frozen dataclass).
- :func:`serve` -- load the catalog, build the index and serve until interrupted.
- :func:`create_app` -- the FastAPI app over a :class:`~teduo_gym.envs.webshop.engine.WebShopEngine`.
- :class:`WebShopServer` -- the app served from a background thread on a loopback port, for tests and benchmarks.

Endpoints (``agentenv-webshop/agentenv_webshop/server.py`` of WooooDyy/AgentGym; ``env_idx`` names a session):

- ``GET /`` -> ``"ok"``; ``GET /list_envs`` -> the session ids.
- ``POST /create`` -> a new session's ``env_idx`` (query ``observation_mode=text|text_rich``, ``text`` by default).
- ``POST /reset`` ``{"env_idx", "session_id": goal index or null}`` -> ``[observation, info]``.
- ``POST /step`` ``{"env_idx", "action"}`` -> ``{"state", "reward", "done", "info"}``.
- ``GET /observation``, ``GET /available_actions`` (``{"has_search_bar", "clickables"}``),
  ``GET /instruction_text``, each with ``?env_idx=``.
- ``POST /close`` ``{"env_idx"}`` -> ``{"closed": bool}``.
- ``GET /goals`` (teduo-gym's) -> ``{"num_goals", "splits": {"test": [start, stop], "eval": ..., "train": ...}}``.

Where AgentGym answers ``info: null``, this server puts the new page's ``available_actions`` (and, on reset, the
instruction text and goal index) in ``info``, sparing its client a request per step. An unknown ``env_idx``
is a 404 with a message saying so (AgentGym answers 500), a goal index out of range a 400, a malformed body a 422;
none of them stops the server.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from teduo_gym.envs.webshop.catalog import DEMO_DATA_DIR, Catalog, load_catalog
from teduo_gym.envs.webshop.engine import UnknownSessionError, WebShopEngine
from teduo_gym.envs.webshop.search import SearchIndex

__all__ = ["WebShopServeConfig", "WebShopServer", "create_app", "serve"]

_MAX_ACTION_CHARS = 10_000


@dataclass(frozen=True)
class WebShopServeConfig:
    """Serve WebShop over HTTP (AgentGym's REST schema)."""

    #: WebShop data directory (items_shuffle*.json, items_ins_v2*.json, items_human_ins.json); the demo if unset.
    data_dir: Path | None = None
    #: interface to listen on.
    host: str = "127.0.0.1"
    #: TCP port.
    port: int = 3000
    #: human instructions as goals (WebShop's benchmark), else the synthetic ones.
    human_goals: bool = True
    #: keep only the first products of the product file (WebShop's num_products).
    num_products: int | None = None
    #: where the search index is cached (default: $TEDUO_CACHE/webshop or ~/.cache/teduo-gym/webshop).
    cache_dir: Path | None = None
    #: sessions held at most; one more evicts the least recently used.
    max_sessions: int = 4096
    #: seeds prices of price ranges, goals' price bounds and random goal choices.
    seed: int = 0
    #: uvicorn's log level.
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    #: log every request (uvicorn's access log, at the info level); a line per step slows a busy server.
    access_log: bool = False

    def load_catalog(self) -> Catalog:
        """The catalog served: ``data_dir`` (or the demo) with these goals, products and seed.

        Example:
            >>> len(WebShopServeConfig().load_catalog().goals) > 0
            True
        """
        return load_catalog(
            self.data_dir or DEMO_DATA_DIR, human_goals=self.human_goals, num_products=self.num_products, seed=self.seed
        )

    def build_engine(self, catalog: Catalog | None = None) -> WebShopEngine:
        """Load the catalog (unless given, as :meth:`load_catalog` loads it), build (or reuse) its search index and
        return the engine.

        Example:
            >>> import tempfile
            >>> engine = WebShopServeConfig(cache_dir=Path(tempfile.mkdtemp())).build_engine()
            >>> engine.goal_info()["splits"]["eval"]
            [50, 150]
        """
        catalog = self.load_catalog() if catalog is None else catalog
        index = SearchIndex(catalog.products, catalog.content_hash, self.cache_dir)
        return WebShopEngine(catalog, index, max_sessions=self.max_sessions, seed=self.seed)


class _StepQuery(BaseModel):
    env_idx: int
    action: str = Field(max_length=_MAX_ACTION_CHARS)


class _ResetQuery(BaseModel):
    env_idx: int
    session_id: int | None = None


class _CloseQuery(BaseModel):
    env_idx: int


def create_app(engine: WebShopEngine) -> FastAPI:
    """The FastAPI app serving ``engine``'s sessions (endpoints in the module docstring).

    The endpoints are ``async``: the engine answers from memory in well under a millisecond, so each request runs
    on the event loop, which also serialises the engine's calls. Sync endpoints cost two hops through anyio's
    thread pool per request (FastAPI runs the endpoint and then its response's validation there), which took
    half of the server's CPU time per step.
    """
    app = FastAPI(title="teduo-gym WebShop", description="WebShop sessions in AgentGym's REST schema.")

    @app.exception_handler(UnknownSessionError)
    async def _unknown_session(request: Request, exc: UnknownSessionError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(ValueError)  # a goal index out of range, an unknown observation mode
    async def _bad_value(request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    @app.get("/")
    async def ok() -> str:
        return "ok"

    @app.get("/list_envs")
    async def list_envs() -> list[int]:
        return engine.session_ids()

    @app.get("/goals")
    async def goals() -> dict[str, Any]:
        return engine.goal_info()

    @app.post("/create")
    async def create(observation_mode: str = "text") -> int:
        return engine.create(observation_mode)  # type: ignore[arg-type]  # checked by the engine

    @app.post("/reset")
    async def reset(query: _ResetQuery) -> tuple[str, dict[str, Any]]:
        observation = engine.reset(query.env_idx, query.session_id)
        info = {
            "available_actions": engine.available_actions(query.env_idx),
            "instruction_text": engine.instruction_text(query.env_idx),
            "goal_index": engine.goal_index(query.env_idx),
        }
        return observation, info

    @app.post("/step")
    async def step(query: _StepQuery) -> dict[str, Any]:
        result = engine.step(query.env_idx, query.action)
        info = {"available_actions": result.available_actions}
        return {"state": result.observation, "reward": result.reward, "done": result.done, "info": info}

    @app.get("/observation")
    async def observation(env_idx: int) -> str:
        return engine.observation(env_idx)

    @app.get("/available_actions")
    async def available_actions(env_idx: int) -> dict[str, Any]:
        return engine.available_actions(env_idx)

    @app.get("/instruction_text")
    async def instruction_text(env_idx: int) -> str:
        return engine.instruction_text(env_idx)

    @app.post("/close")
    async def close(query: _CloseQuery) -> dict[str, bool]:
        return {"closed": engine.close(query.env_idx)}

    return app


def serve(config: WebShopServeConfig) -> None:
    """Serve WebShop until interrupted (``teduo webshop serve``)."""
    engine = config.build_engine()
    catalog = engine.catalog
    print(
        f"WebShop: {len(catalog.products)} products, {len(catalog.goals)} goals, index {engine.index.path}; "
        f"serving at http://{config.host}:{config.port}",
        flush=True,
    )
    uvicorn.run(
        create_app(engine),
        host=config.host,
        port=config.port,
        log_level=config.log_level,
        access_log=config.access_log,
    )


class WebShopServer:
    """Serve an engine from a background thread (uvicorn), e.g. on a free loopback port for tests.

    Args:
        engine: the sessions to serve.
        host: the interface to listen on.
        port: the TCP port; 0 picks a free one (see :attr:`url`). The socket reuses the address, so a server can
            be restarted on the port of one just closed.

    Example:
        >>> import tempfile, urllib.request
        >>> engine = WebShopServeConfig(cache_dir=Path(tempfile.mkdtemp())).build_engine()
        >>> with WebShopServer(engine) as server:
        ...     urllib.request.urlopen(server.url, timeout=10).read()
        b'"ok"'
    """

    def __init__(self, engine: WebShopEngine, host: str = "127.0.0.1", port: int = 0) -> None:
        self.engine = engine
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        config = uvicorn.Config(create_app(engine), log_level="warning", access_log=False, timeout_keep_alive=30)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The server's root, e.g. ``http://127.0.0.1:36001``."""
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self, timeout_s: float = 30.0) -> WebShopServer:
        """Serve in a daemon thread; returns self once the server accepts connections."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.run, kwargs={"sockets": [self._socket]}, name="teduo-webshop-server", daemon=True
            )
            self._thread.start()
            deadline = time.monotonic() + timeout_s
            while not self._server.started:
                if not self._thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"the WebShop server at {self.url} did not start")
                time.sleep(0.01)
        return self

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join()
            self._thread = None
        self._socket.close()

    def __enter__(self) -> WebShopServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
