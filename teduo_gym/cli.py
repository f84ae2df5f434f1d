"""The ``teduo`` command: ``run``, ``collect``, ``label``, ``evaluate``, ``serve-llm`` (``--help`` lists flags)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import tyro

from teduo_gym.datasets.collect import CollectConfig, collect
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
    config = tyro.extras.subcommand_cli_from_dict(
        {
            "run": RunCommand,
            "collect": CollectConfig,
            "label": LabelConfig,
            "evaluate": EvaluateConfig,
            "serve-llm": ServeLLMConfig,
        },
        prog="teduo",
        description="teduo-gym: language-goal environments, LLM agents and their evaluation.",
        args=list(sys.argv[1:] if argv is None else argv),
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
        else:
            serve_llm(config)
    except (ValueError, TypeError, FileNotFoundError, LLMError) as err:
        # Bad input: a message that names the problem and the fix, not a traceback.
        print(f"teduo: error: {err}", file=sys.stderr)
        raise SystemExit(2) from err


if __name__ == "__main__":
    main()
