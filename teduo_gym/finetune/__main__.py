"""``python -m teduo_gym.finetune``: fine-tune from the command line, on one process or on several GPUs.

One process (CPU, or one GPU when there is one), the default::

    python -m teduo_gym.finetune --data runs/x/examples-KEY.jsonl --out runs/x/agent-KEY

Four GPUs of one machine, one process each (DDP); ``--batch-size`` is per process, so 4 x 4 is the default 16::

    accelerate launch --multi_gpu --num_processes 4 -m teduo_gym.finetune --data ... --out ... --batch-size 4
    torchrun --standalone --nproc_per_node 4 -m teduo_gym.finetune --data ... --out ... --batch-size 4

``--help`` lists every flag (one per :class:`~teduo_gym.finetune.FinetuneConfig` field).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import tyro

from teduo_gym.finetune.train import FinetuneConfig, finetune


def main(args: Sequence[str] | None = None) -> Path:
    """Parse ``args`` (default: the command line) into a :class:`FinetuneConfig` and fine-tune."""
    return finetune(tyro.cli(FinetuneConfig, args=args, prog="python -m teduo_gym.finetune"))


if __name__ == "__main__":
    out = main()
    if os.environ.get("RANK", "0") == "0":  # accelerate and torchrun number the processes in RANK; print once
        print(f"wrote {out}")
