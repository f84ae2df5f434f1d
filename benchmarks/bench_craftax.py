"""Craftax-Classic-Symbolic: steps per second of our adapters vs the raw jitted Craftax loop; time to first step.

    python benchmarks/bench_craftax.py --num-envs 64 --calls 50 --scan-steps 64 --single-steps 500

Throughput (random actions, printed side by side as ratios to the raw per-call loop):

- raw, per call: ``jit(vmap(env.step))`` of Craftax's own auto-resetting env (a new world generated every step);
- raw, scanned: a jitted ``lax.scan`` of that step over ``--scan-steps`` steps;
- :class:`CraftaxEnv`, one world through Gymnasium's ``step`` (numpy out);
- :class:`CraftaxVectorEnv`, ``--num-envs`` worlds per ``step`` call and per ``rollout`` (scan) call, numpy out.

Time to first step: a fresh process builds :class:`CraftaxEnv`, resets and steps, with the persistent
compilation cache off, then on with an empty cache (cold, it is filled), then on again (warm).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

import jax
import numpy as np
import tyro
from common import random_steps_per_second
from craftax.craftax_classic.envs.craftax_symbolic_env import CraftaxClassicSymbolicEnv

from teduo_gym.envs.craftax import CraftaxEnv, CraftaxVectorEnv, enable_compilation_cache


@dataclass(frozen=True)
class Args:
    #: worlds in a batch.
    num_envs: int = 64
    #: timed calls of each batched step.
    calls: int = 50
    #: steps of each scanned rollout.
    scan_steps: int = 64
    #: timed steps of the single-world adapter.
    single_steps: int = 500
    #: skip the time-to-first-step subprocesses.
    skip_startup: bool = False
    #: a tiny budget that checks the script runs (tests/benchmarks/test_smoke.py); no figure to read.
    smoke: bool = False


def _rate(run: Callable[[], object], steps: int, calls: int) -> float:
    """Steps per second of ``calls`` calls of ``run`` (each ``steps`` env steps) after one warm-up call."""
    jax.block_until_ready(run())
    start = time.perf_counter()
    for _ in range(calls):
        jax.block_until_ready(run())
    return steps * calls / (time.perf_counter() - start)


def raw_rates(num_envs: int, calls: int, scan_steps: int) -> tuple[float, float]:
    """Craftax's own loop: per-call ``jit(vmap(step))`` and a scanned rollout, in steps per second."""
    env = CraftaxClassicSymbolicEnv()
    params = env.default_params
    keys = jax.random.split(jax.random.PRNGKey(0), num_envs)
    _, states = jax.vmap(env.reset, in_axes=(0, None))(keys, params)

    @jax.jit
    def step(carry):
        key, states = carry
        key, action_key, step_key = jax.random.split(key, 3)
        actions = jax.random.randint(action_key, (num_envs,), 0, 17)
        obs, states, *_ = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
            jax.random.split(step_key, num_envs), states, actions, params
        )
        return (key, states), obs

    @jax.jit
    def scan(carry):
        return jax.lax.scan(lambda c, _: step(c), carry, None, length=scan_steps)

    carry = (jax.random.PRNGKey(1), states)
    per_call = _rate(lambda: step(carry), num_envs, calls)
    scanned = _rate(lambda: scan(carry), num_envs * scan_steps, max(calls // 10, 2))
    return per_call, scanned


def vector_rates(num_envs: int, calls: int, scan_steps: int) -> tuple[float, float]:
    """:class:`CraftaxVectorEnv`: per ``step`` call and per ``rollout`` call, in steps per second."""
    envs = CraftaxVectorEnv(num_envs=num_envs)
    envs.reset(seed=0)
    rng = np.random.default_rng(0)
    per_call = _rate(lambda: envs.step(rng.integers(17, size=num_envs))[0], num_envs, calls)
    scanned = _rate(
        lambda: envs.rollout(rng.integers(17, size=(scan_steps, num_envs))).observation,
        num_envs * scan_steps,
        max(calls // 10, 2),
    )
    return per_call, scanned


_FIRST_STEP = (
    "import sys, time; t = time.perf_counter()\n"
    "from teduo_gym.envs.craftax import CraftaxEnv\n"
    "env = CraftaxEnv(compilation_cache=sys.argv[1] if sys.argv[1] != 'off' else False)\n"
    "env.reset(seed=0); env.step(0)\n"
    "print(time.perf_counter() - t)\n"
)


def first_step_seconds(cache: str) -> float:
    """Seconds from a fresh process's first import to its first step (``cache``: a directory or ``"off"``)."""
    out = subprocess.run([sys.executable, "-c", _FIRST_STEP, cache], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def main(args: Args) -> None:
    if args.smoke:
        args = dataclasses.replace(args, num_envs=2, calls=2, scan_steps=2, single_steps=10, skip_startup=True)
    enable_compilation_cache()  # our own compiles below (not the raw loop's timing) load from the cache
    raw_call, raw_scan = raw_rates(args.num_envs, args.calls, args.scan_steps)
    single = random_steps_per_second(CraftaxEnv(), args.single_steps, seed=0)
    vector_call, vector_scan = vector_rates(args.num_envs, args.calls, args.scan_steps)
    print(f"{'loop':<46}{'steps/s':>10}{'x raw':>8}")
    for name, rate in (
        (f"raw Craftax jit(vmap(step)), {args.num_envs} envs, per call", raw_call),
        (f"raw Craftax lax.scan of {args.scan_steps} steps", raw_scan),
        ("CraftaxEnv (Gymnasium, 1 env)", single),
        (f"CraftaxVectorEnv.step, {args.num_envs} envs", vector_call),
        (f"CraftaxVectorEnv.rollout, {args.scan_steps} steps", vector_scan),
    ):
        print(f"{name:<46}{rate:>10,.0f}{rate / raw_call:>8.2f}")
    if args.skip_startup:
        return
    with tempfile.TemporaryDirectory() as cache:
        off, cold, warm = first_step_seconds("off"), first_step_seconds(cache), first_step_seconds(cache)
    print(f"time to first step (CraftaxEnv): cache off {off:.1f} s, cold {cold:.1f} s, warm {warm:.1f} s")


if __name__ == "__main__":
    main(tyro.cli(Args))
