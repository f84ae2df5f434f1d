"""The ``teduo`` command: ``run``, ``collect``, ``label``, ``evaluate``, ``baseline sb3``, ``compare``, ``balrog``,
``serve-llm``, ``webshop serve``, ``finetune``, ``oir`` (``--help`` lists flags).

A mistake of the user's (a bad flag or config, a missing or corrupt file, an unreachable server) is one line on stderr
that names the problem and the fix, with exit code 2; ``--debug`` anywhere on the command line shows the traceback.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tyro

from teduo_gym.collection.collect import CollectConfig, collect
from teduo_gym.core.executor import ExecutorConfig, ExecutorError
from teduo_gym.envs import knowledge_for
from teduo_gym.evaluation.balrog import BalrogConfig, balrog
from teduo_gym.evaluation.compare import CompareConfig, compare
from teduo_gym.labeling.hindsight import LabelConfig, label
from teduo_gym.llm.base import LLMError
from teduo_gym.llm.config import LLMConfig
from teduo_gym.online.config import SB3Config
from teduo_gym.recipes.oir.command import OIRCommand
from teduo_gym.recipes.teduo import RunConfig, StageName
from teduo_gym.recipes.teduo_evaluation import EvaluateConfig, evaluate

__all__ = ["ServeLLMConfig", "main"]


@dataclass(frozen=True)
class RunCommand:
    """TEDUO end to end from a JSON config (see teduo_gym.recipes.teduo.RunConfig): each stage cached, reruns resume."""

    #: the JSON config, e.g. examples/babyai-quick.json.
    config: Path
    #: stop after this stage (e.g. examples, then fine-tune on GPUs with `teduo finetune`, then run again).
    until: StageName | None = None
    #: the environment; replaces the config's "env" when set: a registered id or the "module:attr" of knowledge in
    #: your own file (e.g. my_env:MyKnowledge, importable from the current directory).
    env: str | None = None
    #: where the shards of collect, label, offline RL and evaluate run; replaces the config's "executor" when set
    #: (e.g. --executor.kind ray --executor.workers 8 --executor.address HEAD:6379).
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)


@dataclass(frozen=True)
class FinetuneCommand:
    """Fine-tune the agent of a `teduo run` config from the examples that run wrote (`teduo run` skips the stage when
    the agent exists); on N GPUs: `accelerate launch --multi_gpu --num_processes N -m teduo_gym.cli finetune
    --config X.json` (or `torchrun --nproc_per_node N -m teduo_gym.cli finetune ...`)."""

    #: the JSON config of the run.
    config: Path
    #: the environment; replaces the config's "env" when set (as `teduo run --env`).
    env: str | None = None


@dataclass(frozen=True)
class _BaselineGroup:
    """Train a baseline on a run's protocol environments: `teduo baseline sb3 --algo ppo --steps N` (see its --help)."""


@dataclass(frozen=True)
class _WebShopGroup:
    """WebShop: `teduo webshop serve` starts a WebShop server (see its --help); TEDUO runs on WebShop with `teduo run
    --config examples/webshop-quick.json`."""


@dataclass(frozen=True)
class ServeLLMConfig:
    """Serve a local model (the embedded SmolLM2 by default) over an OpenAI-compatible HTTP API."""

    #: the model to serve (--llm.model DIR for a local Hugging Face directory; backend must be transformers).
    llm: LLMConfig = field(default_factory=LLMConfig)
    #: the address to listen on.
    host: str = "127.0.0.1"
    #: the port to listen on.
    port: int = 8000


def serve_llm(config: ServeLLMConfig) -> None:
    """Serve ``config.llm`` until interrupted.

    Raises:
        ValueError: a port outside 1-65535, a backend other than a local model, or an address that cannot be bound.
    """
    from teduo_gym.llm import LLMServer, TransformersBackend

    if not 0 < config.port < 65536:
        raise ValueError(f"--port {config.port} is not a TCP port: give one in 1-65535 (e.g. 8000)")
    if config.llm.backend != "transformers":
        raise ValueError(
            f"teduo serve-llm serves local models only, not --llm.backend {config.llm.backend}: use --llm.backend "
            "transformers (--llm.model DIR for a local Hugging Face directory)"
        )
    _check_address(config.host, config.port)  # before the model loads
    backend = config.llm.create()
    assert isinstance(backend, TransformersBackend)  # backend "transformers" builds one
    try:
        server = LLMServer(backend, host=config.host, port=config.port)
    except OSError as err:
        raise ValueError(
            f"cannot listen on {config.host}:{config.port} ({err.strerror or err}): choose another --port or --host"
        ) from err
    print(f"serving {backend.name} at {server.url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.close()


def _check_address(host: str, port: int) -> None:
    """Raise ``ValueError`` unless ``host:port`` can be listened on (as the server will: address reuse allowed)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            probe.listen(1)
        except OSError as err:
            raise ValueError(
                f"cannot listen on {host}:{port} ({err.strerror or err}): choose another --port or --host"
            ) from err


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``teduo`` command: a user's mistake exits with code 2 and one line naming the problem and
    the fix (``--debug`` raises it with its traceback instead).

    Example:
        >>> main(["collect", "--layouts", "2", "--out", "/dev/null/data"])  # doctest: +SKIP
        teduo: error: cannot create /dev/null/data: a part of that path is a file, not a folder: ...
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # an env "module:attr" imports from here, as under `python -m`
    try:
        _dispatch(_parse(args))
    except Exception as err:
        if debug or not _users_mistake(err):
            raise
        print(f"teduo: error: {_one_line(err)} (--debug shows the traceback)", file=sys.stderr)
        raise SystemExit(2) from err


#: Errors that bad input causes (a value, a file, a server): printed as one line, not a traceback.
_USER_ERRORS = (ValueError, TypeError, OSError, OverflowError, LLMError, ExecutorError)


def _users_mistake(err: BaseException) -> bool:
    """Whether ``err`` comes from the user's input rather than a bug: the package's own error classes, and the
    standard ones raised for a bad value or file."""
    return isinstance(err, _USER_ERRORS) or type(err).__module__.startswith("teduo_gym.")


#: What to do about an OS error on a path, by errno.
_OS_FIXES = {
    errno.ENOTDIR: "a part of that path is a file, not a folder: choose another path (e.g. --out)",
    errno.EISDIR: "it is a folder: give a file's path",
    errno.EEXIST: "a file of that name is in the way: choose another path (e.g. --out) or remove it",
    errno.EACCES: "permission denied: choose a folder you can write to (e.g. --out)",
    errno.EPERM: "permission denied: choose a folder you can write to (e.g. --out)",
    errno.EROFS: "the file system is read-only: choose a writable folder (e.g. --out)",
    errno.ENOSPC: "the disk is full: free space or choose another folder (e.g. --out)",
    errno.ENOENT: "no such file or folder: check the path",
}


def _one_line(err: BaseException) -> str:
    """``err`` as one line: an OS error on a path names the path and the fix; others give their own message."""
    if isinstance(err, OSError) and err.errno in _OS_FIXES and err.filename and str(err).startswith("[Errno"):
        return f"cannot use {err.filename}: {_OS_FIXES[err.errno]}"
    return " ".join(str(err).split()) or type(err).__name__


def _parse(args: list[str]) -> object:
    """The command's config from the command line (a group's subcommand too)."""
    groups = {
        "baseline": ({"sb3": SB3Config}, "Baselines trained on a run's protocol environments."),
        "webshop": (  # the server's config comes from WebShop's knowledge, loaded only for this group
            {"serve": _webshop().ServeConfig} if args[:1] == ["webshop"] else {},
            "WebShop: a server of its page flow and reward (TEDUO on it: `teduo run --config webshop-quick.json`).",
        ),
    }
    if args[:1] and args[0] in groups:  # a group: `teduo baseline sb3 ...`, `teduo webshop serve ...`
        commands, description = groups[args[0]]
        return tyro.extras.subcommand_cli_from_dict(
            commands, prog=f"teduo {args[0]}", description=description, args=args[1:]
        )
    return tyro.extras.subcommand_cli_from_dict(
        {
            "run": RunCommand,
            "collect": CollectConfig,
            "label": LabelConfig,
            "evaluate": EvaluateConfig,
            "finetune": FinetuneCommand,
            "baseline": _BaselineGroup,
            "webshop": _WebShopGroup,
            "compare": CompareConfig,
            "balrog": BalrogConfig,
            "oir": OIRCommand,
            "serve-llm": ServeLLMConfig,
        },
        prog="teduo",
        description="teduo-gym: language-goal environments, LLM agents and their evaluation.",
        args=args,
    )


def _dispatch(config: object) -> None:
    """Run the command ``config`` stands for."""
    if isinstance(config, RunCommand):
        from teduo_gym.recipes.teduo import run

        run_config = _run_config(config.config, config.env)
        if config.executor != ExecutorConfig():
            run_config = dataclasses.replace(run_config, executor=config.executor)
        run(run_config, until=config.until)
    elif isinstance(config, FinetuneCommand):
        from teduo_gym.finetune import finetune
        from teduo_gym.recipes.teduo import finetune_config

        processes = int(os.environ.get("WORLD_SIZE", "1"))  # set by accelerate launch and torchrun
        out = finetune(finetune_config(_run_config(config.config, config.env), processes=processes))
        if os.environ.get("RANK", "0") == "0":
            print(f"wrote {out}")
    elif isinstance(config, CollectConfig):
        print(f"wrote {collect(config)}")
    elif isinstance(config, LabelConfig):
        label(config)
    elif isinstance(config, EvaluateConfig):
        evaluate(config)
    elif isinstance(config, SB3Config):
        from teduo_gym.recipes.teduo_evaluation import train_baseline

        print(f"wrote {train_baseline(config)}")
    elif isinstance(config, CompareConfig):
        print(f"wrote {compare(config)}")
    elif isinstance(config, BalrogConfig):
        balrog(config)
    elif isinstance(config, ServeLLMConfig):
        serve_llm(config)
    elif isinstance(config, OIRCommand):
        config.run()
    elif isinstance(config, _webshop().ServeConfig):
        _webshop().serve(config)


def _webshop() -> Any:
    """WebShop's knowledge, typed ``Any``: ``teduo webshop serve`` uses its ``ServeConfig`` and ``serve``."""
    return knowledge_for("teduo/WebShop-v0")


def _run_config(path: Path, env: str | None) -> RunConfig:
    """The run config at ``path``, its env replaced by ``env`` when given; the env's knowledge is loaded now, so a
    bad id is one line before any stage starts."""
    config = RunConfig.from_file(path)
    if env is not None:
        config = dataclasses.replace(config, env=env)
    knowledge_for(config.env)
    return config
