"""LLMAgent actions per second with the embedded SmolLM2, as ratios in one run.

    python benchmarks/bench_llm_agent.py --states 48

Rows, on the same real BabyAI states (random walks in the level, egocentric text), prompt cache off:
- scoring each action word as its own sequence (what a generic "score every candidate" loop does), 1 env;
- one forward pass per state, reading the next-token logits of the single-token action words, 1 env;
- the same, batched over 8 environments.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
import tyro

from teduo_gym.agents import LLMAgent
from teduo_gym.envs.babyai import make_babyai_env
from teduo_gym.envs.babyai.actions import ACTION_WORDS
from teduo_gym.llm import TransformersBackend


@dataclass(frozen=True)
class Args:
    #: a BabyAI level id.
    env: str = "BabyAI-GoToLocal-v0"
    #: states timed per row.
    states: int = 48
    #: seeds the random walk.
    seed: int = 0
    #: a tiny budget that checks the script runs (tests/benchmarks/test_smoke.py); no figure to read.
    smoke: bool = False


class PerCandidate:
    """The backend, but scoring every candidate as a separate sequence."""

    def __init__(self, backend: TransformersBackend):
        self.backend, self.name, self.chat = backend, backend.name, backend.chat

    def score(self, prompts, candidates):
        return self.backend.score_by_sequences(prompts, candidates)


def collect_states(env_id: str, n: int, seed: int) -> tuple[list[str], list[str]]:
    env = make_babyai_env(env_id)
    rng = np.random.default_rng(seed)
    goals, texts = [], []
    obs, info = env.reset(seed=seed)
    while len(texts) < n:
        goals.append(info["goal"])
        texts.append(obs["text"])
        obs, _, terminated, truncated, _ = env.step(int(rng.integers(env.action_space.n)))
        if terminated or truncated:
            obs, info = env.reset(seed=seed + len(texts))
    return goals, texts


def actions_per_second(agent: LLMAgent, goals: list[str], texts: list[str], batch: int) -> float:
    agent.act(goals[:batch], texts[:batch])  # warm-up
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        agent.act(goals[i : i + batch], texts[i : i + batch])
    return len(texts) / (time.perf_counter() - start)


def main(args: Args) -> None:
    if args.smoke:
        args = dataclasses.replace(args, states=8)
    goals, texts = collect_states(args.env, args.states, args.seed)
    backend = TransformersBackend()
    fast = LLMAgent(backend, ACTION_WORDS, cache_size=0)
    slow = LLMAgent(PerCandidate(backend), ACTION_WORDS, cache_size=0)
    tokens = np.mean([len(backend.tokenizer(fast.prompt(g, t)).input_ids) for g, t in zip(goals, texts)])
    print(f"{args.env}: {args.states} states, mean prompt {tokens:.0f} tokens, {len(ACTION_WORDS)} actions\n")
    rows = [
        ("each action scored as its own sequence, 1 env", slow, 1),
        ("one forward per state (single-token actions), 1 env", fast, 1),
        ("one forward per state, batched over 8 envs", fast, 8),
    ]
    print(f"| {'scoring':<54} | actions/s | ratio |\n|{'-' * 56}|-----------|-------|")
    base = None
    for name, agent, batch in rows:
        aps = actions_per_second(agent, goals, texts, batch)
        base = base or aps
        print(f"| {name:<54} | {aps:9.1f} | {aps / base:5.2f} |")


if __name__ == "__main__":
    main(tyro.cli(Args))
