"""The real server on loopback, driven by the client (and by AgentGym's calls)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

from teduo_gym.envs.webshop import (
    WEBSHOP_ENV_ID,
    WebShopConnectionError,
    WebShopEngine,
    WebShopEnv,
    WebShopServer,
    WebShopSessionLostError,
)
from tests.envs.webshop.conftest import expert_actions


def _call(url: str, body: dict[str, Any] | None = None, method: str = "POST") -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_check_env(server: WebShopServer) -> None:
    env = WebShopEnv(server.url, split="train")
    try:
        check_env(env, skip_render_check=True)
    finally:
        env.close()


def test_gym_make_and_an_expert_episode_in_text_rich_mode(server: WebShopServer, catalog) -> None:
    env = gym.make(WEBSHOP_ENV_ID, base_url=server.url, observation_mode="text_rich")
    obs, info = env.reset(options={"goal_index": 7})
    goal = catalog.goals[7]
    assert info["goal_index"] == 7 and obs["instruction"] == goal.instruction_text
    assert (
        obs["observation"].startswith("WebShop\nInstruction:\n") and "[button] Search [button_]" in obs["observation"]
    )
    assert json.loads(obs["available_actions"]) == {"has_search_bar": True, "clickables": ["search"]}
    for action in expert_actions(catalog, goal):
        obs, reward, terminated, truncated, _ = env.step(action)
    assert (reward, terminated, truncated) == (1.0, True, False)
    env.close()


def test_splits_come_from_the_server_and_seeds_reproduce_goals(server: WebShopServer) -> None:
    env = WebShopEnv(server.url, split="test")
    indices = {env.reset(seed=s)[1]["goal_index"] for s in range(20)}
    assert indices <= set(range(50)) and len(indices) > 5
    assert env.reset(seed=3)[1] == env.reset(seed=3)[1]
    env.close()


def test_32_concurrent_sessions_see_only_their_own_state(server: WebShopServer, catalog, engine) -> None:
    """Each thread plays its own goal in lock step with the others; every page must equal a solo replay."""
    n = 32
    barrier = threading.Barrier(n)
    seen: dict[int, list[tuple[str, float, bool]]] = {}
    errors: list[BaseException] = []

    def play(goal_index: int) -> None:
        env = WebShopEnv(server.url, observation_mode="text_rich" if goal_index % 2 else "text")
        try:
            obs, _ = env.reset(options={"goal_index": goal_index})
            trace = [(obs["observation"], 0.0, False)]
            for action in expert_actions(catalog, catalog.goals[goal_index]):
                barrier.wait(timeout=30)
                obs, reward, terminated, _, _ = env.step(action)
                assert obs["instruction"] == catalog.goals[goal_index].instruction_text
                trace.append((obs["observation"], reward, terminated))
            seen[goal_index] = trace
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        finally:
            env.close()

    # expert episodes differ in length by their number of options; keep goals with the same length
    length = len(expert_actions(catalog, catalog.goals[0]))
    goals = [i for i, g in enumerate(catalog.goals) if len(expert_actions(catalog, g)) == length][:n]
    threads = [threading.Thread(target=play, args=(i,)) for i in goals]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    for goal_index, trace in seen.items():
        solo = engine.create("text_rich" if goal_index % 2 else "text")
        expected = [(engine.reset(solo, goal_index), 0.0, False)]
        for action in expert_actions(catalog, catalog.goals[goal_index]):
            result = engine.step(solo, action)
            expected.append((result.observation, result.reward, result.done))
        assert trace == expected
        assert trace[-1][1:] == (1.0, True)
    assert len(seen) == n


def test_invalid_actions_over_http_are_noops(server: WebShopServer) -> None:
    env = WebShopEnv(server.url)
    env.reset(options={"goal_index": 0})
    obs, *_ = env.step("search[green tea]")
    for action in ["click[not on the page]", "buy", "", "search[]", "click[search]", "x" * 20_000]:
        assert env.step(action)[:4] == (obs, 0.0, False, False)
    env.close()


def test_bad_requests_get_clear_errors_and_the_server_keeps_serving(server: WebShopServer, engine) -> None:
    status, answer = _call(f"{server.url}/step", {"env_idx": 987654321, "action": "search[x]"})
    assert status == 404 and "no WebShop session 987654321" in answer["detail"]
    status, _ = _call(f"{server.url}/observation?env_idx=987654321", method="GET")
    assert status == 404
    assert _call(f"{server.url}/step", {"action": "search[x]"})[0] == 422
    assert _call(f"{server.url}/step", {"env_idx": "abc", "action": "search[x]"})[0] == 422
    assert _call(f"{server.url}/create?observation_mode=html")[0] == 400
    env_idx = engine.create()
    status, answer = _call(f"{server.url}/reset", {"env_idx": env_idx, "session_id": 10**6})
    assert status == 400 and "out of range" in answer["detail"]
    assert _call(server.url, method="GET") == (200, "ok")


def test_agentgym_clients_calls(server: WebShopServer, catalog) -> None:
    """The requests agentenv/envs/webshop.py sends, in its order."""
    status, env_idx = _call(f"{server.url}/create")
    assert status == 200 and isinstance(env_idx, int)
    status, (observation, _) = _call(f"{server.url}/reset", {"env_idx": env_idx, "session_id": 3})
    assert _call(f"{server.url}/observation?env_idx={env_idx}", method="GET") == (200, observation)
    status, instruction = _call(f"{server.url}/instruction_text?env_idx={env_idx}", method="GET")
    assert instruction == f"Instruction: {catalog.goals[3].instruction_text}"
    status, step = _call(f"{server.url}/step", {"env_idx": env_idx, "action": "search[coffee beans]"})
    assert status == 200 and {"state", "reward", "done", "info"} <= set(step) and step["reward"] == 0.0
    status, available = _call(f"{server.url}/available_actions?env_idx={env_idx}", method="GET")
    assert available == step["info"]["available_actions"] and available["has_search_bar"] is False
    assert env_idx in _call(f"{server.url}/list_envs", method="GET")[1]
    assert _call(f"{server.url}/close", {"env_idx": env_idx}) == (200, {"closed": True})
    assert env_idx not in _call(f"{server.url}/list_envs", method="GET")[1]


def test_close_frees_the_session(server: WebShopServer, engine) -> None:
    env = WebShopEnv(server.url)
    env.reset(options={"goal_index": 0})
    before = set(engine.session_ids())
    env.close()
    env.close()  # idempotent
    assert len(before - set(engine.session_ids())) == 1


def test_a_server_restarted_mid_episode(catalog, engine) -> None:
    first = WebShopServer(WebShopEngine(catalog, engine.index)).start()
    url = first.url
    env = WebShopEnv(url, max_retries=1, backoff_s=0.01, timeout_s=5)
    env.reset(options={"goal_index": 0})
    env.step("search[green tea]")
    first.close()
    with pytest.raises(WebShopConnectionError, match="cannot reach the WebShop server"):
        env.step("click[next >]")
    port = int(url.rsplit(":", 1)[1])
    with WebShopServer(WebShopEngine(catalog, engine.index), port=port):
        with pytest.raises(WebShopSessionLostError, match="probably restarted: call reset"):
            env.step("click[next >]")
        obs, _ = env.reset(options={"goal_index": 0})  # a new episode recovers in a new session
        assert obs["observation"].startswith("WebShop [SEP]")
        env.close()
