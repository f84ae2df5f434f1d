"""WebShop throughput: the HTTP server (driven by `WebShopEnv`) vs the in-process engine, 1 and 32 clients, in one run.

    python benchmarks/bench_webshop.py --steps 2000

The server runs in its own process (`teduo_gym.envs.webshop.server.serve`, uvicorn) on the demo catalog; the
in-process rows call `WebShopEngine` directly. Every client plays the same seeded policy: search for the
instruction, click random products, options and pages, buy after a few steps, start a new goal. Rows report
environment steps per second and requests per second (HTTP requests for the server, engine calls in-process),
and the ratio of each HTTP row to the in-process row with as many clients.
"""

from __future__ import annotations

import dataclasses
import json
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import tyro

from teduo_gym.envs.webshop import WebShopEngine, WebShopEnv, WebShopServeConfig


class Backend(NamedTuple):
    """One client's view of a shop: the engine in-process or the server over HTTP."""

    #: reset(goal index) -> (available actions, instruction)
    reset: Callable[[int], tuple[dict, str]]
    #: step(action) -> (available actions, done)
    step: Callable[[str], tuple[dict, bool]]
    #: requests (or engine calls) so far
    requests: Callable[[], int]
    close: Callable[[], object]


@dataclass(frozen=True)
class Args:
    #: environment steps per row (split between the clients).
    steps: int = 2000
    #: clients side by side in the concurrent rows.
    clients: int = 32
    #: the server's port.
    port: int = 36017
    #: a tiny budget that checks the script runs (tests/benchmarks/test_smoke.py); no figure to read.
    smoke: bool = False


def engine_backend(engine: WebShopEngine) -> Backend:
    env_idx, calls = engine.create(), [0]

    def reset(goal: int) -> tuple[dict, str]:
        calls[0] += 3
        engine.reset(env_idx, goal)
        return engine.available_actions(env_idx), engine.instruction_text(env_idx)

    def step(action: str) -> tuple[dict, bool]:
        calls[0] += 1
        result = engine.step(env_idx, action)
        return result.available_actions, result.done

    return Backend(reset, step, lambda: calls[0], lambda: engine.close(env_idx))


def http_backend(url: str) -> Backend:
    env = WebShopEnv(url)

    def reset(goal: int) -> tuple[dict, str]:
        obs, _ = env.reset(options={"goal_index": goal})
        return json.loads(obs["available_actions"]), obs["instruction"]

    def step(action: str) -> tuple[dict, bool]:
        obs, _, terminated, _, _ = env.step(action)
        return json.loads(obs["available_actions"]), terminated

    return Backend(reset, step, lambda: env.requests, env.close)


def play(backend: Backend, steps: int, seed: int, num_goals: int) -> int:
    """Play ``steps`` steps of the seeded policy; returns the requests made."""
    reset, step, requests, close = backend
    rng = random.Random(seed)
    available, instruction = reset(rng.randrange(num_goals))
    length = 0
    for _ in range(steps):
        clickables = [c for c in available["clickables"] if c != "back to search"]
        if available["has_search_bar"]:
            action = f"search[{' '.join(instruction.split()[:6])}]"
        elif "buy now" in clickables and length >= 5:
            action = "click[buy now]"
        else:
            action = f"click[{rng.choice(clickables)}]" if clickables else "click[back to search]"
        available, done = step(action)
        length += 1
        if done or length >= 15:
            available, instruction = reset(rng.randrange(num_goals))
            length = 0
    total = requests()
    close()
    return total


def timed_clients(make_backend: Callable[[], Backend], clients: int, steps: int, num_goals: int) -> tuple[float, float]:
    """Steps/s and requests/s of ``clients`` threads sharing ``steps``."""
    backends = [make_backend() for _ in range(clients)]
    requests = [0] * clients

    def run(i: int) -> None:
        requests[i] = play(backends[i], steps // clients, seed=i, num_goals=num_goals)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    return (steps // clients) * clients / seconds, sum(requests) / seconds


def start_server(port: int, cache_dir: Path) -> subprocess.Popen:
    code = (
        "from pathlib import Path; from teduo_gym.envs.webshop.server import WebShopServeConfig, serve; "
        f"serve(WebShopServeConfig(port={port}, cache_dir=Path({str(cache_dir)!r}), log_level='warning'))"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the WebShop server did not start")


def main(args: Args) -> None:
    if args.smoke:
        with socket.socket() as probe:  # a free port: a test may run beside a real server
            probe.bind(("127.0.0.1", 0))
            args = dataclasses.replace(args, steps=64, clients=4, port=probe.getsockname()[1])
    cache_dir = Path(tempfile.mkdtemp())
    engine = WebShopServeConfig(cache_dir=cache_dir).build_engine()
    num_goals = len(engine.catalog.goals)
    server = start_server(args.port, cache_dir)
    url = f"http://127.0.0.1:{args.port}"
    rows: list[tuple[str, float, float]] = []
    try:
        for clients in (1, args.clients):
            rate = timed_clients(lambda: engine_backend(engine), clients, args.steps, num_goals)
            rows.append((f"in-process engine, {clients} thread(s)", *rate))
            rate = timed_clients(lambda: http_backend(url), clients, args.steps, num_goals)
            rows.append((f"HTTP server (separate process), {clients} client(s)", *rate))
    finally:
        server.terminate()
        server.wait()
    print(f"WebShop demo catalog ({len(engine.catalog.products)} products), {args.steps} steps per row\n")
    print("| row | env steps/s | requests/s | steps/s ratio to in-process |")
    print("|---|---|---|---|")
    for i, (name, steps_per_s, requests_per_s) in enumerate(rows):
        ratio = steps_per_s / rows[i - 1][1] if i % 2 else 1.0
        print(f"| {name} | {steps_per_s:.0f} | {requests_per_s:.0f} | {ratio:.3f} |")


if __name__ == "__main__":
    main(tyro.cli(Args))
