"""TEDUO end to end, each stage cached on disk: ``teduo run CONFIG.json``.

Stages, each writing plain files under ``RunConfig.out`` in a folder named by a hash of the settings it depends
on, so a rerun skips finished stages and a changed setting reruns only what depends on it:

1. ``data-*`` -- unlabelled transitions (:func:`teduo_gym.datasets.collect`, itself resumable);
2. ``labels-*`` -- hindsight labels of the training goals (:func:`teduo_gym.labeling.label`);
3. ``examples-*.jsonl`` -- Q-iteration per goal and greedy rollouts (:func:`teduo_gym.offline.action_examples`);
4. ``agent-*`` -- the fine-tuned LLM agent (:func:`teduo_gym.finetune.finetune`, resumable);
5. ``results-*.json`` -- fine-tuned vs untuned LLM vs random vs bot, on train / test layouts x train / test goals
   (test goals are held-out reworded goals), every agent acting on the abstract state text.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from teduo_gym.llm.config import LLMConfig

__all__ = ["RunConfig", "run", "stage_key"]


@dataclass(frozen=True)
class RunConfig:
    """TEDUO end to end on a BabyAI level (``teduo run CONFIG.json``; any field may be left out)."""

    #: where every stage writes.
    out: Path = Path("runs/babyai-quick")
    #: a BabyAI level id.
    env: str = "BabyAI-GoToLocal-v0"
    #: behaviour policy of the data ("random", "bot", "mixture" or an SB3 .zip).
    policy: str = "mixture"
    #: training layouts (data and train-layout evaluation).
    layouts: int = 20
    #: held-out layouts (test-layout evaluation only).
    test_layouts: int = 10
    #: episodes collected per training layout.
    episodes_per_layout: int = 10
    #: step cap of collected and evaluated episodes.
    max_steps: int = 64
    #: goal kinds of the train / test goals.
    goal_kinds: tuple[str, ...] = ("go to", "pick up", "open")
    #: training goals (canonical).
    train_goals: int = 20
    #: held-out test goals (reworded, naming held-out colour / type combinations).
    test_goals: int = 10
    #: labelling mode ("compiled", "judge" or "proxy").
    label_mode: str = "compiled"
    #: longest greedy rollout through the data when making examples.
    rollout_steps: int = 32
    #: "lora" or "full" fine-tuning.
    method: str = "lora"
    #: fine-tuning steps.
    finetune_steps: int = 100
    #: fine-tuning batch size.
    batch_size: int = 16
    #: evaluation episodes per setting and agent.
    eval_episodes: int = 40
    #: seeds everything.
    seed: int = 0
    #: the LLM that labels, and whose weights are fine-tuned (a local model for fine-tuning).
    llm: LLMConfig = field(default_factory=LLMConfig)

    @classmethod
    def from_file(cls, path: str | Path) -> RunConfig:
        """Read a JSON config; unknown keys are an error naming the known ones."""
        raw = json.loads(Path(path).read_text())
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"{path}: unknown settings {unknown}; known: {sorted(known)}")
        if "llm" in raw:
            raw["llm"] = LLMConfig(**raw["llm"])
        if "out" in raw:
            raw["out"] = Path(raw["out"])
        if "goal_kinds" in raw:
            raw["goal_kinds"] = tuple(raw["goal_kinds"])
        return cls(**raw)


def stage_key(config: RunConfig, *fields: str) -> str:
    """An 8-character hash of the named settings: the folder suffix of a stage that depends on them.

    Example:
        >>> stage_key(RunConfig(), "env", "seed") == stage_key(RunConfig(finetune_steps=1), "env", "seed")
        True
    """
    values = {f: dataclasses.asdict(config)[f] if f != "out" else None for f in fields}
    return hashlib.blake2b(json.dumps(values, sort_keys=True, default=str).encode(), digest_size=4).hexdigest()


_DATA = ("env", "policy", "layouts", "test_layouts", "episodes_per_layout", "max_steps", "seed")
_GOALS = ("goal_kinds", "train_goals", "test_goals")
_LABELS = (*_DATA, *_GOALS, "label_mode", "llm")
_EXAMPLES = (*_LABELS, "rollout_steps")
_AGENT = (*_EXAMPLES, "method", "finetune_steps", "batch_size")
_RESULTS = (*_AGENT, "eval_episodes")


def _goal_split(config: RunConfig) -> Any:
    from teduo_gym.envs.babyai import enumerate_goals, make_goal_split

    return make_goal_split(enumerate_goals(config.goal_kinds), config.train_goals, config.test_goals, config.seed)


def run(config: RunConfig, progress: bool = True) -> dict[str, Any]:
    """Run (or resume) every stage; print the results table and return the results."""
    from teduo_gym.datasets import CollectConfig, collect, load_dataset
    from teduo_gym.envs.babyai.actions import ACTION_WORDS
    from teduo_gym.finetune import FinetuneConfig, finetune, write_examples
    from teduo_gym.labeling import LabelConfig, LabelTable, abstraction_for, label
    from teduo_gym.offline import action_examples, goal_mdps
    from teduo_gym.records import write_record

    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    split = _goal_split(config)

    data_dir = out / f"data-{stage_key(config, *_DATA)}"
    collect(
        CollectConfig(
            env=config.env,
            policy=config.policy,
            layouts=config.layouts,
            test_layouts=config.test_layouts,
            episodes_per_layout=config.episodes_per_layout,
            max_steps=config.max_steps,
            seed=config.seed,
            out=data_dir,
        ),
        progress=progress,
    )
    data = load_dataset(data_dir)

    labels_dir = out / f"labels-{stage_key(config, *_LABELS)}"
    table_path = labels_dir / f"labels_{config.label_mode}.npz"
    if not table_path.exists():
        goals_file = out / "train_goals.txt"
        goals_file.write_text("\n".join(split.train) + "\n")
        label(
            LabelConfig(
                dataset=str(data_dir),
                goals_file=str(goals_file),
                modes=(config.label_mode,),
                out_dir=str(labels_dir),
                cache_dir=str(out / "cache"),
                seed=config.seed,
                llm=config.llm,
            )
        )
    table = LabelTable.load(table_path, data)
    abstraction = abstraction_for(data.state_layout)

    examples_path = out / f"examples-{stage_key(config, *_EXAMPLES)}.jsonl"
    if not examples_path.exists():
        examples, stats = action_examples(
            goal_mdps(data, table, abstraction), ACTION_WORDS, max_steps=config.rollout_steps, seed=config.seed
        )
        if not examples:
            raise ValueError(f"no training goal was reached in {data_dir}: collect more data or other goals")
        examples_path.with_suffix(".stats.json").write_text(json.dumps(stats, indent=1))
        write_examples(examples_path, examples)

    agent_dir = out / f"agent-{stage_key(config, *_AGENT)}"
    if not (agent_dir / "teduo_agent.json").exists():
        finetune(
            FinetuneConfig(
                data=examples_path,
                out=agent_dir,
                env=config.env,
                model=config.llm.model,
                method=config.method,
                max_steps=config.finetune_steps,
                batch_size=config.batch_size,
                seed=config.seed,
                progress=progress,
                save_steps=max(1, config.finetune_steps // 4),
            )
        )

    results_path = out / f"results-{stage_key(config, *_RESULTS)}.json"
    if results_path.exists():
        results = json.loads(results_path.read_text())["results"]
    else:
        results = _evaluate(config, data, table, abstraction, split, agent_dir, progress)
        write_record(results_path, config, results)
    _print(results)
    return results


def _evaluate(
    config: RunConfig, data: Any, table: Any, abstraction: Any, split: Any, agent_dir: Path, progress: bool
) -> dict[str, Any]:
    """Every agent on train / test layouts x train / test goals, on feasible (layout, goal) pairs."""
    from teduo_gym.agents import BabyAIBotAgent, LLMAgent, RandomAgent
    from teduo_gym.envs import knowledge_for
    from teduo_gym.envs.babyai import feasible_goals, make_babyai_env
    from teduo_gym.envs.babyai.actions import ACTION_WORDS, state_key
    from teduo_gym.evaluation import run_episodes, summarize
    from teduo_gym.labeling import AbstractTextDescriber, HindsightLabeler
    from teduo_gym.llm import TransformersBackend
    from teduo_gym.wrappers import TextObservationWrapper

    backend = config.llm.create()
    labeler = HindsightLabeler(backend, "compiled", cache_dir=Path(config.out) / "cache")
    choices = dict(zip(table.goals, table.choices))
    choices.update(zip(split.test, labeler.choices(abstraction, split.test)))  # one LLM choice per new goal
    vocabulary = list(split.train) + list(split.test)
    describer = AbstractTextDescriber(abstraction, knowledge_for(config.env).symbolic_state, choices)

    def make_env() -> Any:
        env = make_babyai_env(
            config.env,
            goals=vocabulary,
            text=False,
            aliases=split.canonical,
            goal_sampler="uniform",
            max_steps=config.max_steps,
        )
        return TextObservationWrapper(env, describer)

    layouts = data.metadata["layouts"]  # {"train": seeds, "test": seeds}, disjoint
    goal_sets = {"train": list(split.train), "test": list(split.test)}
    probe = make_env()
    rng = np.random.default_rng(config.seed)
    tuned = LLMAgent.from_pretrained(agent_dir, goals=vocabulary, seed=config.seed)
    # the untuned agent is the local model that was fine-tuned: the labelling backend when it is that model
    local = backend if isinstance(backend, TransformersBackend) else TransformersBackend(config.llm.model)
    untuned = LLMAgent(local, ACTION_WORDS, goals=vocabulary, seed=config.seed)
    results: dict[str, Any] = {}
    for layout_set, seeds in layouts.items():
        for goal_set, goals in goal_sets.items():
            canonical = [split.canonical.get(g, g) for g in goals]
            pairs = []  # every episode names its goal; the sampler only serves this probe
            for seed in seeds:
                probe.reset(seed=int(seed))
                pairs += [(int(seed), goals[i]) for i in feasible_goals(probe.unwrapped, canonical)]
            if not pairs:
                continue
            picked = [pairs[i] for i in rng.choice(len(pairs), size=config.eval_episodes, replace=True)]
            options = [{"goal": g} for _, g in picked]
            setting = f"{layout_set} layouts / {goal_set} goals"
            results[setting] = {}
            envs = [make_env() for _ in range(min(8, len(picked)))]
            agents = {
                "fine-tuned": tuned,
                "untuned": untuned,
                "random": RandomAgent(envs[0].action_space, config.seed),
                "bot": BabyAIBotAgent(envs),
            }
            for name, agent in agents.items():
                episodes = run_episodes(
                    agent,
                    envs,
                    [s for s, _ in picked],
                    state_key=state_key,
                    reset_options=options,
                    progress=f"{setting}: {name}" if progress else False,
                )
                results[setting][name] = summarize(episodes)
    return results


def _print(results: dict[str, Any]) -> None:
    from teduo_gym.evaluation.report import markdown_table

    for setting, summaries in results.items():
        print(f"\n### {setting}\n{markdown_table(summaries)}")
