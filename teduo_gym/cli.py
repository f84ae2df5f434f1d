"""The ``teduo`` command: ``run``, ``collect``, ``label``, ``evaluate``, ``baseline sb3``, ``compare``, ``balrog``,
``serve-llm`` (``--help`` lists flags)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import tyro

from teduo_gym.baselines.config import SB3Config
from teduo_gym.datasets.collect import CollectConfig, collect
from teduo_gym.evaluation.balrog import BalrogConfig, balrog
from teduo_gym.evaluation.compare import CompareConfig, compare
from teduo_gym.evaluation.evaluate import EvaluateConfig, evaluate
from teduo_gym.labeling.hindsight import LabelConfig, label
from teduo_gym.llm.base import LLMError
from teduo_gym.llm.config import LLMConfig

__all__ = ["ServeLLMConfig", "main"]


@dataclass(frozen=True)
class RunCommand:
    """TEDUO end to end from a JSON config (see teduo_gym.pipeline.RunConfig): each stage cached, reruns resume."""

    #: the JSON config, e.g. examples/babyai-quick.json.
    config: Path


@dataclass(frozen=True)
class _BaselineGroup:
    """Train a baseline on a run's protocol environments: `teduo baseline sb3 --algo ppo --steps N` (see its --help)."""


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
    if args[:1] == ["baseline"]:  # a group: `teduo baseline sb3 ...`
        config: object = tyro.extras.subcommand_cli_from_dict(
            {"sb3": SB3Config},
            prog="teduo baseline",
            description="Baselines trained on a run's protocol environments.",
            args=args[1:],
        )
    else:
        config = tyro.extras.subcommand_cli_from_dict(
            {
                "run": RunCommand,
                "collect": CollectConfig,
                "label": LabelConfig,
                "evaluate": EvaluateConfig,
                "baseline": _BaselineGroup,
                "compare": CompareConfig,
                "balrog": BalrogConfig,
                "serve-llm": ServeLLMConfig,
            },
            prog="teduo",
            description="teduo-gym: language-goal environments, LLM agents and their evaluation.",
            args=args,
        )
    try:
        if isinstance(config, RunCommand):
            from teduo_gym.pipeline import RunConfig, run

            run(RunConfig.from_file(config.config))
        elif isinstance(config, CollectConfig):
            print(f"wrote {collect(config)}")
        elif isinstance(config, LabelConfig):
            label(config)
        elif isinstance(config, EvaluateConfig):
            evaluate(config)
        elif isinstance(config, SB3Config):
            from teduo_gym.baselines.sb3 import train_sb3

            print(f"wrote {train_sb3(config)}")
        elif isinstance(config, CompareConfig):
            print(f"wrote {compare(config)}")
        elif isinstance(config, BalrogConfig):
            balrog(config)
        elif isinstance(config, ServeLLMConfig):
            serve_llm(config)
    except (ValueError, TypeError, FileNotFoundError, LLMError) as err:
        # Bad input: a message that names the problem and the fix, not a traceback.
        print(f"teduo: error: {err}", file=sys.stderr)
        raise SystemExit(2) from err


if __name__ == "__main__":
    main()
