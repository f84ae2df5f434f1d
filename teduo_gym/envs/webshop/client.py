"""A Gymnasium environment that shops on a WebShop server over HTTP.

- :class:`WebShopEnv` -- one server session per instance; speaks AgentGym's WebShop REST schema, so it drives
  ``teduo webshop serve`` and AgentGym's own ``agentenv-webshop`` server alike.
- :class:`WebShopError` and its kinds: :class:`WebShopConnectionError` (the server cannot be reached),
  :class:`WebShopSessionLostError` (the server no longer knows the session, e.g. it restarted),
  :class:`WebShopResponseError` (any other failed request).
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.parse
from typing import Any, Literal

import gymnasium as gym
from gymnasium import spaces

from teduo_gym.wrappers import TEXT_CHARSET

__all__ = [
    "WEBSHOP_SPLIT_SIZES",
    "WebShopConnectionError",
    "WebShopEnv",
    "WebShopError",
    "WebShopResponseError",
    "WebShopSessionLostError",
]

#: WebShop's split of its shuffled goals, used with servers that do not report theirs: test 500, then eval 1000.
WEBSHOP_SPLIT_SIZES = {"test": 500, "eval": 1000}
_INSTRUCTION_PREFIX = re.compile(r"^\s*Instruction:\s*")
_MAX_ACTION_CHARS = 10_000


class WebShopError(RuntimeError):
    """A request to the WebShop server failed."""


class WebShopConnectionError(WebShopError, ConnectionError):
    """The WebShop server cannot be reached (after the retries), or did not answer in time."""


class WebShopSessionLostError(WebShopError):
    """The server does not know this environment's session: it was restarted, or evicted the session."""


class WebShopResponseError(WebShopError, ValueError):
    """The server answered with an error or with something that is not the WebShop schema."""


class _AnyText(spaces.Text):
    """A text space holding any string up to ``max_length`` characters (WebShop's data is not ASCII-only);
    samples use printable ASCII."""

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length


class WebShopEnv(gym.Env[dict[str, str], str]):
    """WebShop through a server's REST API: search, browse and buy to follow an instruction.

    Observations are a dict of three texts:

    - ``"observation"`` -- the page in WebShop's ``text`` or ``text_rich`` mode;
    - ``"instruction"`` -- the goal's instruction, without WebShop's ``"Instruction: "`` prefix;
    - ``"available_actions"`` -- the page's actions as WebShop's JSON, ``{"has_search_bar": bool,
      "clickables": [...]}``: ``search[...]`` works on every page, ``click[x]`` for ``x`` in ``clickables``.

    Actions are strings, ``"search[red running shoes]"`` or ``"click[buy now]"``; an invalid one changes nothing
    and earns 0. The reward is 0 until Buy Now, then WebShop's score in [0, 1] and the episode terminates.

    Goals: ``reset(options={"goal_index": i})`` picks one; otherwise the goal is drawn with the environment's
    generator from ``split`` (``"test"``, ``"eval"``, ``"train"``; all goals if None), so ``reset(seed=s)`` is
    reproducible. The split's goal indices come from the server (``GET /goals``) or, for servers that do not
    report them (AgentGym's), from WebShop's split with ``num_goals``; without either the server draws the goal.

    The session is created on the first reset and freed by :meth:`close`. Requests time out after
    ``timeout_s``; refused or dropped connections (and 503 answers) are retried ``max_retries`` times with
    exponential backoff; a timed-out step is not retried, as the server may have applied it.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from teduo_gym.envs.webshop.server import WebShopServeConfig, WebShopServer
        >>> engine = WebShopServeConfig(cache_dir=Path(tempfile.mkdtemp())).build_engine()
        >>> with WebShopServer(engine) as server:
        ...     env = WebShopEnv(server.url, split="test")
        ...     obs, info = env.reset(seed=0)
        ...     obs, reward, terminated, truncated, info = env.step("search[wireless earbuds]")
        ...     env.close()
        >>> obs["observation"].split(" [SEP] ")[3], reward, terminated
        ('Page 1 (Total results: 23)', 0.0, False)

    Args:
        base_url: the server's root, e.g. ``"http://127.0.0.1:3000"``.
        observation_mode: ``"text"`` or ``"text_rich"`` (asked of the server when creating the session;
            AgentGym's server always answers ``text``).
        split: draw goals from this split; None for all goals.
        num_goals: the server's number of goals, for servers without ``GET /goals``.
        timeout_s: seconds a request may take.
        max_retries: retries after a refused or dropped connection or a 503 answer.
        backoff_s: the first retry's delay; each next one doubles it.
        max_text_length: the longest text the observation space holds.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:3000",
        *,
        observation_mode: Literal["text", "text_rich"] = "text",
        split: Literal["test", "eval", "train"] | None = None,
        num_goals: int | None = None,
        timeout_s: float = 30.0,
        max_retries: int = 3,
        backoff_s: float = 0.1,
        max_text_length: int = 100_000,
    ) -> None:
        if observation_mode not in ("text", "text_rich"):
            raise ValueError(f"observation_mode must be 'text' or 'text_rich', got {observation_mode!r}")
        if split not in (None, "test", "eval", "train"):
            raise ValueError(f"split must be 'test', 'eval', 'train' or None, got {split!r}")
        url = urllib.parse.urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"base_url must be an http(s) URL such as 'http://127.0.0.1:3000', got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.observation_mode = observation_mode
        self.split = split
        self.num_goals = num_goals
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        #: HTTP requests sent so far (for benchmarks).
        self.requests = 0
        self._url = url
        self._connection: http.client.HTTPConnection | None = None
        self._env_idx: int | None = None
        self._goal_ranges: dict[str, tuple[int, int]] | None = None
        self._goal_index: int | None = None
        self._instruction = ""
        text = _AnyText(max_text_length, charset=TEXT_CHARSET)
        self.observation_space = spaces.Dict({"observation": text, "instruction": text, "available_actions": text})
        self.action_space = _AnyText(_MAX_ACTION_CHARS, min_length=1, charset=TEXT_CHARSET)

    # ---- HTTP ------------------------------------------------------------------------------------------

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            kind = http.client.HTTPSConnection if self._url.scheme == "https" else http.client.HTTPConnection
            self._connection = kind(self._url.hostname or "", self._url.port, timeout=self.timeout_s)
        return self._connection

    def _drop_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None, **query: Any) -> Any:
        """Send one request (retrying refused or dropped connections and 503s) and return the JSON answer."""
        target = f"{self._url.path.rstrip('/')}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                connection = self._connect()
                self.requests += 1
                connection.request(method, target, body=data, headers=headers)
                response = connection.getresponse()
                status, payload = response.status, response.read()
            except TimeoutError as exc:
                self._drop_connection()
                raise WebShopConnectionError(
                    f"the WebShop server at {self.base_url} did not answer {method} {path} within "
                    f"{self.timeout_s:g} s; raise timeout_s or check the server"
                ) from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop_connection()
                if last:
                    raise WebShopConnectionError(
                        f"cannot reach the WebShop server at {self.base_url} ({method} {path}) after "
                        f"{self.max_retries + 1} tries: {type(exc).__name__}: {exc}; start one with "
                        "`teduo webshop serve` or check base_url"
                    ) from exc
                time.sleep(self.backoff_s * 2**attempt)
                continue
            if status == 503 and not last:
                time.sleep(self.backoff_s * 2**attempt)
                continue
            return self._answer(method, path, status, payload)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _answer(self, method: str, path: str, status: int, payload: bytes) -> Any:
        try:
            answer = json.loads(payload) if payload else None
        except ValueError as exc:
            raise WebShopResponseError(
                f"the WebShop server at {self.base_url} answered {method} {path} with something that is not JSON: "
                f"{payload[:200]!r}"
            ) from exc
        if status == 200:
            return answer
        detail = answer.get("detail", answer) if isinstance(answer, dict) else answer
        if status == 404 and self._env_idx is not None and path not in ("/goals",):
            raise WebShopSessionLostError(
                f"the WebShop server at {self.base_url} no longer knows session {self._env_idx} ({detail}); "
                "it was probably restarted: call reset() to start a new episode in a new session"
            )
        raise WebShopResponseError(
            f"the WebShop server at {self.base_url} answered {method} {path} with HTTP {status}: {detail}"
        )

    # ---- session -----------------------------------------------------------------------------------------

    def _create(self) -> None:
        self._env_idx = None
        env_idx = self._request("POST", "/create", observation_mode=self.observation_mode)
        if not isinstance(env_idx, int):
            raise WebShopResponseError(f"POST /create answered {env_idx!r}, not a session id")
        self._env_idx = env_idx

    def _split_range(self) -> tuple[int, int] | None:
        """The goal indices to draw from, or None to let the server choose."""
        if self._goal_ranges is None:
            try:
                info = self._request("GET", "/goals")
                self._goal_ranges = {k: (int(v[0]), int(v[1])) for k, v in info["splits"].items()}
            except (WebShopResponseError, KeyError, TypeError, ValueError, IndexError):
                self._goal_ranges = {}
        if not self._goal_ranges and self.num_goals is not None:
            test, eval_ = WEBSHOP_SPLIT_SIZES["test"], WEBSHOP_SPLIT_SIZES["eval"]
            n = self.num_goals
            self._goal_ranges = {"test": (0, min(n, test)), "eval": (min(n, test), min(n, test + eval_))}
            self._goal_ranges["train"] = (min(n, test + eval_), n)
        if not self._goal_ranges:
            if self.split is not None:
                raise WebShopResponseError(
                    f"the WebShop server at {self.base_url} does not report its goals (GET /goals): pass num_goals=... "
                    f"to use WebShop's split, or options={{'goal_index': i}} to reset()"
                )
            return None
        if self.split is None:
            return 0, max(stop for _, stop in self._goal_ranges.values())
        return self._goal_ranges[self.split]

    def goal_range(self, split: Literal["test", "eval", "train"]) -> range:
        """The goal indices of ``split`` on the server (``GET /goals``, or WebShop's split with ``num_goals``).

        Raises:
            WebShopConnectionError: the server cannot be reached.
            WebShopResponseError: the server does not report its goals and ``num_goals`` is not set.
        """
        self._split_range()
        if not self._goal_ranges:
            raise WebShopResponseError(
                f"the WebShop server at {self.base_url} does not report its goals (GET /goals): pass num_goals=..."
            )
        return range(*self._goal_ranges[split])

    def _observation(self, page: str, available: Any) -> dict[str, str]:
        return {
            "observation": page,
            "instruction": self._instruction,
            "available_actions": json.dumps(available, ensure_ascii=False),
        }

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict[str, str], dict]:
        """Start an episode on a goal (``options={"goal_index": i}``, else one drawn from ``split``)."""
        super().reset(seed=seed)
        if self._env_idx is None:
            self._create()
        goal_index = (options or {}).get("goal_index")
        if goal_index is None:
            goal_range = self._split_range()
            if goal_range is not None:
                start, stop = goal_range
                if stop <= start:
                    raise ValueError(f"the {self.split!r} split of the server's goals is empty")
                goal_index = int(self.np_random.integers(start, stop))
        try:
            answer = self._request("POST", "/reset", {"env_idx": self._env_idx, "session_id": goal_index})
        except WebShopSessionLostError:  # the server restarted between episodes: start over in a new session
            self._create()
            answer = self._request("POST", "/reset", {"env_idx": self._env_idx, "session_id": goal_index})
        if not isinstance(answer, list) or not answer or not isinstance(answer[0], str):
            raise WebShopResponseError(f"POST /reset answered {str(answer)[:200]!r}, not [observation, info]")
        info = answer[1] if len(answer) > 1 and isinstance(answer[1], dict) else {}
        instruction = info.get("instruction_text") or self._request("GET", "/instruction_text", env_idx=self._env_idx)
        self._instruction = _INSTRUCTION_PREFIX.sub("", str(instruction))
        self._goal_index = info.get("goal_index", goal_index)
        available = info.get("available_actions") or self._request("GET", "/available_actions", env_idx=self._env_idx)
        return self._observation(answer[0], available), {"goal_index": self._goal_index}

    def step(self, action: str) -> tuple[dict[str, str], float, bool, bool, dict]:
        """Send ``search[...]`` or ``click[...]``; returns WebShop's page, reward and done."""
        if self._env_idx is None:
            raise RuntimeError("call reset() before step()")
        answer = self._request("POST", "/step", {"env_idx": self._env_idx, "action": str(action)[:_MAX_ACTION_CHARS]})
        if not isinstance(answer, dict) or not {"state", "reward", "done"} <= set(answer):
            raise WebShopResponseError(f"POST /step answered {str(answer)[:200]!r}, not {{state, reward, done}}")
        info = answer.get("info")
        info = info if isinstance(info, dict) else {}
        available = info.get("available_actions") or self._request("GET", "/available_actions", env_idx=self._env_idx)
        observation = self._observation(str(answer["state"]), available)
        return observation, float(answer["reward"]), bool(answer["done"]), False, {"goal_index": self._goal_index}

    def close(self) -> None:
        """Free the server session (if the server is still there) and the connection; idempotent."""
        if self._env_idx is not None:
            try:
                self._request("POST", "/close", {"env_idx": self._env_idx})
            except WebShopError:
                pass  # the server is gone or forgot the session: nothing left to free
            self._env_idx = None
        self._drop_connection()
        super().close()
