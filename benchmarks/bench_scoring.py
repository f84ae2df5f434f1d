"""LLM scoring of many multi-token options after one long prompt: the shared-prompt path against one sequence each.

    python benchmarks/bench_scoring.py --prompts 20

The workload is compiled labelling's question about the WebShop product type (``PurchaseSchema``'s ``type``
slot): the slot's prompt for each of the first ``--prompts`` demo instructions, with the catalog's product types as
candidates (most are several tokens long). Both paths run on the embedded SmolLM2-135M-Instruct:

- ``sequences`` (the reference): :meth:`~teduo_gym.llm.TransformersBackend.score_by_sequences`, which runs every
  prompt + candidate sequence in full;
- ``shared prompt``: :meth:`~teduo_gym.llm.TransformersBackend.score`, which for 4 or more multi-token candidates
  runs each prompt once and continues its key/value cache with all candidates in one batch
  (:meth:`~teduo_gym.llm.TransformersBackend.score_shared_prompt`).

Printed: seconds per prompt of each, the speed-up, the largest score difference and whether both pick the same
option for every prompt.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import tyro

from teduo_gym.envs.webshop import load_catalog
from teduo_gym.envs.webshop.purchase import PurchaseSchema
from teduo_gym.llm import TransformersBackend
from teduo_gym.llm.config import LLMConfig, shared_backend


@dataclass(frozen=True)
class Args:
    #: demo instructions scored (one prompt each).
    prompts: int = 20
    #: a tiny run for the smoke test: 1 prompt, 4 candidates.
    smoke: bool = False


def main(args: Args) -> dict[str, float]:
    """Time both scoring paths on the same prompts and candidates; returns the figures printed."""
    catalog = load_catalog()
    slot = PurchaseSchema(catalog).slots[0]
    n = 1 if args.smoke else args.prompts
    options = slot.options[:4] if args.smoke else slot.options
    prompts = [slot.prompt(goal.instruction_text) for goal in catalog.goals[:n]]
    candidates = [f" {o}" for o in options]
    backend = shared_backend(LLMConfig())
    assert isinstance(backend, TransformersBackend)
    backend.score(prompts[:1], candidates)  # warm-up: weights paged in, kernels chosen

    start = time.perf_counter()
    reference = backend.score_by_sequences(prompts, candidates)
    sequences = (time.perf_counter() - start) / n
    start = time.perf_counter()
    shared = backend.score(prompts, candidates)
    fast = (time.perf_counter() - start) / n

    tokens = np.mean([len(backend.tokenizer(backend.format_prompt(p))["input_ids"]) for p in prompts])
    figures = {
        "sequences_s_per_prompt": sequences,
        "shared_s_per_prompt": fast,
        "speed_up": sequences / fast,
        "max_abs_diff": float(np.max(np.abs(shared - reference))),
        "same_choice": float(np.mean(shared.argmax(axis=1) == reference.argmax(axis=1))),
    }
    print(f"{n} prompts of {tokens:.0f} tokens, {len(candidates)} candidates (WebShop product types)")
    print("| path | s / prompt | speed-up vs sequences |")
    print("|---|---|---|")
    print(f"| sequences (reference) | {sequences:.3f} | 1.00x |")
    print(f"| shared prompt | {fast:.3f} | {figures['speed_up']:.2f}x |")
    agree = f"same choice on {figures['same_choice']:.0%} of prompts"
    print(f"largest score difference {figures['max_abs_diff']:.1e}; {agree}")
    return figures


if __name__ == "__main__":
    main(tyro.cli(Args))
