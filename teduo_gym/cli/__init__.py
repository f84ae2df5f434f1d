"""The ``teduo`` command: ``run``, ``collect``, ``label``, ``evaluate``, ``baseline sb3``, ``compare``, ``balrog``,
``serve-llm``, ``webshop serve|run``, ``finetune``, ``oir`` (``--help`` lists flags)."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
from teduo_gym.recipes.webshop.run import WebShopRunCommand, run_command
from teduo_gym.recipes.webshop.shop import webshop

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
    """WebShop: `teduo webshop serve` starts a WebShop server, `teduo webshop run --config C` runs TEDUO on it (see
    their --help)."""


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
    """Serve ``config.llm`` until interrupted."""
    from teduo_gym.llm import LLMServer, TransformersBackend

    backend = config.llm.create()
    if not isinstance(backend, TransformersBackend):
        raise SystemExit("teduo serve-llm serves local models only: use --llm.backend transformers")
    server = LLMServer(backend, host=config.host, port=config.port)
    print(f"serving {backend.name} at {server.url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.close()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``teduo`` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # an env "module:attr" imports from here, as under `python -m`
    try:
        _dispatch(_parse(args))
    except (ValueError, TypeError, FileNotFoundError, LLMError, ExecutorError) as err:
        # Bad input: a message that names the problem and the fix, not a traceback.
        print(f"teduo: error: {err}", file=sys.stderr)
        raise SystemExit(2) from err


def _parse(args: list[str]) -> object:
    """The command's config from the command line (a group's subcommand too)."""
    groups = {
        "baseline": ({"sb3": SB3Config}, "Baselines trained on a run's protocol environments."),
        "webshop": (  # the server's config comes from WebShop's knowledge, loaded only for this group
            {"serve": webshop().ServeConfig, "run": WebShopRunCommand} if args[:1] == ["webshop"] else {},
            "WebShop: a server of its page flow and reward, and TEDUO on WebShop end to end.",
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
    elif isinstance(config, WebShopRunCommand):
        run_command(config)
    elif isinstance(config, OIRCommand):
        config.run()
    elif isinstance(config, webshop().ServeConfig):
        webshop().serve(config)


def _run_config(path: Path, env: str | None) -> RunConfig:
    """The run config at ``path``, its env replaced by ``env`` when given; the env's knowledge is loaded now, so a
    bad id is one line before any stage starts."""
    config = RunConfig.from_file(path)
    if env is not None:
        config = dataclasses.replace(config, env=env)
    knowledge_for(config.env)
    return config
