"""Faults at the `teduo` command itself: output paths that are files or unwritable, a bad port, a backend it
cannot serve, unknown environments; one line each, and --debug shows the traceback."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.faults.conftest import assert_one_line

COLLECT = ("collect", "--env", "BabyAI-GoToLocal-v0", "--layouts", "2", "--episodes-per-layout", "1",
           "--max-steps", "4")  # fmt: skip


def test_an_output_path_under_a_file_is_one_line(teduo, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert_one_line(teduo(*COLLECT, "--out", blocker), str(blocker), "not a folder", "--out")


def test_debug_shows_the_traceback(teduo, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(NotADirectoryError):
        teduo(*COLLECT, "--out", blocker, "--debug")


@contextmanager
def _as_nobody() -> Iterator[None]:
    """Root writes anywhere: as root, the block runs with the effective user ``nobody`` (the real user stays root,
    so root comes back after it); as anyone else, as they are."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


def test_a_read_only_output_folder_is_one_line(teduo, tmp_path):
    assert teduo(*COLLECT, "--out", tmp_path / "warm-up").code == 0  # its lazy imports first: nobody may not read them
    tmp_path.chmod(0o500)
    try:
        with _as_nobody():
            outcome = teduo(*COLLECT, "--out", tmp_path / "data")
    finally:
        tmp_path.chmod(0o700)
    assert_one_line(outcome, "permission denied", str(tmp_path / "data"))


def test_an_output_folder_on_a_read_only_file_system_is_one_line(teduo):
    if os.access("/proc/sys", os.W_OK) and os.path.ismount("/proc"):
        pytest.skip("no read-only file system here")
    assert_one_line(teduo(*COLLECT, "--out", "/proc/teduo-data"), "/proc/teduo-data")


@pytest.mark.parametrize("port", ["70000", "-1", "0"])
def test_a_port_outside_1_65535_is_one_line(teduo, port):
    assert_one_line(teduo("serve-llm", "--port", port), f"--port {port}", "1-65535")


def test_serving_a_remote_backend_says_it_serves_local_models_only(teduo):
    assert_one_line(teduo("serve-llm", "--llm.backend", "openai"), "local models only", "--llm.backend transformers")


def test_a_port_in_use_is_one_line(teduo):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = str(sock.getsockname()[1])
        assert_one_line(teduo("serve-llm", "--port", port), f"127.0.0.1:{port}", "choose another --port")


@pytest.mark.parametrize(
    "env, words",
    [("BabyAI-GoToLokal-v0", ["BabyAI-GoToLocal-v0"]), ("CartPole-v1", ["register_knowledge"]),
     ("nomodule:Knowledge", ["nomodule"])],
    ids=["misspelt-level", "gym-env-without-knowledge", "missing-module"],
)  # fmt: skip
def test_an_environment_without_knowledge_is_one_line(teduo, tmp_path, env, words):
    outcome = teduo("collect", "--env", env, "--layouts", "1", "--out", tmp_path / "d")
    assert outcome.code == 2 and "Traceback" not in outcome.err
    assert all(word in " ".join(outcome.err.replace("│", " ").split()) for word in words)


def test_an_unknown_env_in_a_run_config_is_one_line(teduo, write_json, tmp_path):
    outcome = teduo("run", "--config", write_json({"env": "Foo-v0", "out": str(tmp_path / "r")}))
    assert_one_line(outcome, "Foo-v0")


def test_compare_without_evaluations_is_one_line(teduo, tmp_path):
    assert_one_line(teduo("compare", "--evaluations", tmp_path / "nowhere", "--out", tmp_path / "r"), "nowhere")


def test_zero_layouts_is_named(teduo, tmp_path):
    outcome = teduo("collect", "--layouts", "0", "--out", tmp_path / "d")
    assert outcome.code == 2 and "layouts must be at least 1" in outcome.err and "Traceback" not in outcome.err


def test_a_webshop_server_that_is_down_is_one_line(teduo, monkeypatch):
    """The error classes of the package (here WebShop's client's) are one line, wherever they are raised."""
    import teduo_gym.cli as cli
    from teduo_gym.envs.webshop.client import WebShopConnectionError

    def down(config: object) -> None:
        raise WebShopConnectionError("cannot reach the WebShop server at http://127.0.0.1:9: `teduo webshop serve`")

    monkeypatch.setattr(cli, "_dispatch", down)
    assert_one_line(teduo("compare", "--evaluations", "x"), "cannot reach the WebShop server", "webshop serve")


def test_a_bug_keeps_its_traceback(teduo, monkeypatch):
    """Not a user's mistake (a KeyError inside the package): the traceback is not hidden."""
    import teduo_gym.cli as cli

    def bug(config: object) -> None:
        raise KeyError("internal")

    monkeypatch.setattr(cli, "_dispatch", bug)
    with pytest.raises(KeyError):
        teduo("compare", "--evaluations", "x")
