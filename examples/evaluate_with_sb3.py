"""Evaluate the embedded LLM agent with Stable-Baselines3's own `evaluate_policy`, beside a random agent.

    python examples/evaluate_with_sb3.py --episodes 8

The environment is numeric (SB3's vectorised environments cannot hold text); `LLMAgent.for_env` takes the
goal vocabulary and the describer from it and turns each numeric observation into text itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import tyro
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy

from teduo_gym.agents import LLMAgent, RandomAgent
from teduo_gym.envs.babyai import make_babyai_env


@dataclass(frozen=True)
class Args:
    #: a BabyAI level id.
    env: str = "BabyAI-GoToLocal-v0"
    #: episodes per agent.
    episodes: int = 8
    #: environments side by side (the LLM scores them in one batch).
    n_envs: int = 4
    #: step limit of an episode.
    max_steps: int = 64
    #: seeds the environments.
    seed: int = 0


def main(args: Args) -> None:
    for name in ("llm", "random"):
        vec_env = make_vec_env(
            lambda: make_babyai_env(args.env, text=False, max_steps=args.max_steps),
            n_envs=args.n_envs,
            seed=args.seed,
        )
        agent = LLMAgent.for_env(vec_env) if name == "llm" else RandomAgent(vec_env.action_space, seed=args.seed)
        rewards, lengths = evaluate_policy(agent, vec_env, n_eval_episodes=args.episodes, return_episode_rewards=True)
        success = sum(r > 0 for r in rewards) / len(rewards)
        print(f"{name:>6}: success {success:.0%}, mean length {sum(lengths) / len(lengths):.1f}")


if __name__ == "__main__":
    main(tyro.cli(Args))
