"""TEDUO on WebShop end to end, each stage cached on disk: ``teduo webshop run --config CONFIG.json``.

Stages, each writing plain files under ``WebShopRunConfig.out`` in a folder named by a hash of the settings it
depends on (:func:`teduo_gym.core.stage.stage_key`, as :mod:`teduo_gym.recipes.teduo` names its own) and run by
the same :class:`~teduo_gym.core.stage.StageRunner`, so a rerun skips finished stages and resumes an interrupted
one:

1. ``data-*/episodes.jsonl`` -- episodes on training goals: LLM-written queries, then random clicks
   (:func:`~teduo_gym.recipes.webshop.collect.collect_episodes`); ``queries.json`` holds the queries.
2. ``labels-*/labels.jsonl`` -- the LLM judge's reward of every purchase for its goal and hindsight goals
   (:func:`~teduo_gym.recipes.webshop.label.label_episodes`, answers cached under ``cache/``), and ``accuracy.json``:
   agreement with WebShop's true reward.
3. ``examples-*.jsonl`` -- filtered behaviour cloning (:func:`~teduo_gym.recipes.webshop.bc.bc_examples`), statistics in
   ``examples-*.stats.json``.
4. ``agent-*`` -- the embedded model fine-tuned with LoRA on them (:func:`teduo_gym.finetune.finetune`, resumable).
5. ``evaluation-*/<agent>/<goals>.jsonl`` and ``results-*.json`` / ``.md`` -- the fine-tuned agent, the prompted
   ReAct-style baselines (one per ``baselines`` LLM: the embedded model, or any OpenAI-compatible server) and random
   clicks on held-out goals (the test split) and on training goals: WebShop's score and success rate.

With ``base_url`` None the run serves the shipped demo catalog on a loopback port for its duration; everything
goes through WebShop's environment over HTTP (its knowledge's ``server`` and ``shop_env``,
:mod:`teduo_gym.recipes.webshop.shop`).

Example:
    >>> config = WebShopRunConfig(out=Path("runs/webshop-quick"), episodes=4)
    >>> config.episodes, config.llm.backend
    (4, 'transformers')
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from teduo_gym.core.config import read_config
from teduo_gym.core.io import write_json, write_text
from teduo_gym.core.records import write_record
from teduo_gym.core.stage import Stage, StageRunner, stage_key
from teduo_gym.llm.config import LLMConfig, shared_backend
from teduo_gym.recipes.webshop.agents import ACT_TEMPLATE, REACT_TEMPLATE, RandomClickAgent, WebShopLLMAgent
from teduo_gym.recipes.webshop.shop import webshop

if TYPE_CHECKING:
    from teduo_gym.finetune import FinetuneConfig

__all__ = ["WebShopRunCommand", "WebShopRunConfig", "run_command", "run_webshop"]


@dataclass(frozen=True)
class WebShopRunConfig:
    """TEDUO on WebShop (``teduo webshop run --config CONFIG.json``; any field may be left out)."""

    #: where every stage writes.
    out: Path = Path("runs/webshop-quick")
    #: a WebShop server's root (AgentGym's schema, e.g. "http://127.0.0.1:3000"); None serves the shipped demo
    #: catalog on loopback for the run.
    base_url: str | None = None
    #: episodes collected on training goals.
    episodes: int = 200
    #: step cap of a collected episode.
    max_steps: int = 15
    #: characters of a page an agent reads (state_text's max_chars).
    page_chars: int = 600
    #: characters of each text of a page (state_text's max_item_chars).
    item_chars: int = 40
    #: goals a purchase is judged against besides its own (hindsight relabelling).
    hindsight_goals: int = 3
    #: the label a trajectory needs to be cloned (the paper: 0.6).
    threshold: float = 0.6
    #: fine-tuning steps.
    finetune_steps: int = 30
    #: fine-tuning batch size.
    batch_size: int = 8
    #: fine-tuning learning rate.
    learning_rate: float = 5e-4
    #: longest fine-tuning example, in tokens.
    max_length: int = 320
    #: evaluation goals per goal set (held-out test-split goals; training goals).
    eval_goals: int = 10
    #: step cap of an evaluation episode.
    eval_steps: int = 15
    #: tokens of the baselines' thought before each click (ReAct); 0 acts without thoughts.
    think_tokens: int = 0
    #: seconds a request to the WebShop server may take.
    timeout_s: float = 30.0
    #: seeds the goal order, the clicks of collection and of the random agent, and fine-tuning.
    seed: int = 0
    #: the LLM that writes queries and labels, and whose weights are fine-tuned (a local model).
    llm: LLMConfig = field(default_factory=LLMConfig)
    #: prompted ReAct-style baselines: the embedded model, or e.g. {"backend": "openai", "base_url": ...}.
    baselines: tuple[LLMConfig, ...] = (LLMConfig(),)

    def __post_init__(self) -> None:
        if self.llm.backend != "transformers":
            raise ValueError(
                f"llm.backend={self.llm.backend!r}: the labelling LLM is also fine-tuned, so it must be a local model "
                "('transformers'); put API models in baselines"
            )
        for name in ("episodes", "max_steps", "finetune_steps", "batch_size", "eval_goals", "eval_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0 < self.threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")

    @classmethod
    def from_file(cls, path: str | Path) -> WebShopRunConfig:
        """Read a JSON config; unknown keys are an error naming the known ones.

        Example:
            >>> import tempfile
            >>> p = Path(tempfile.mkdtemp()) / "c.json"
            >>> _ = p.write_text('{"episodes": 3, "baselines": [{"backend": "openai", "base_url": "http://x/v1"}]}')
            >>> WebShopRunConfig.from_file(p).baselines[0].backend
            'openai'
        """
        llm = lambda v: LLMConfig(**v)  # noqa: E731
        return read_config(cls, path, {"llm": llm, "baselines": lambda v: tuple(map(llm, v)), "out": Path})


@dataclass(frozen=True)
class WebShopRunCommand:
    """Run TEDUO on WebShop: collect, label, filtered BC, fine-tune, evaluate (each stage cached and resumable)."""

    #: the JSON config (fields of WebShopRunConfig; see examples/webshop-quick.json).
    config: Path
    #: show progress bars.
    progress: bool = True


def run_command(command: WebShopRunCommand) -> dict[str, Any]:
    """Run :class:`WebShopRunCommand` (what ``teduo webshop run`` calls)."""
    return run_webshop(WebShopRunConfig.from_file(command.config), progress=command.progress)


_DATA = ("base_url", "episodes", "max_steps", "page_chars", "item_chars", "seed", "llm")
_LABELS = (*_DATA, "hindsight_goals")
_EXAMPLES = (*_LABELS, "threshold")
_AGENT = (*_EXAMPLES, "finetune_steps", "batch_size", "learning_rate", "max_length")
_RESULTS = (*_AGENT, "eval_goals", "eval_steps", "think_tokens", "baselines")


@dataclass(frozen=True)
class _Paths:
    """Where each stage of a config writes (under ``out``, named by the hash of what it depends on)."""

    goals: Path
    episodes: Path
    labels: Path
    examples: Path
    agent: Path
    evaluation: Path
    results: Path

    @classmethod
    def of(cls, config: WebShopRunConfig) -> _Paths:
        """The stage paths of ``config``."""
        out = Path(config.out)
        return cls(
            goals=out / f"goals-{stage_key(config, 'base_url', 'seed')}.json",
            episodes=out / f"data-{stage_key(config, *_DATA)}" / "episodes.jsonl",
            labels=out / f"labels-{stage_key(config, *_LABELS)}" / "labels.jsonl",
            examples=out / f"examples-{stage_key(config, *_EXAMPLES)}.jsonl",
            agent=out / f"agent-{stage_key(config, *_AGENT)}",
            evaluation=out / f"evaluation-{stage_key(config, *_RESULTS)}",
            results=out / f"results-{stage_key(config, *_RESULTS)}.json",
        )


def run_webshop(config: WebShopRunConfig, progress: bool = True) -> dict[str, Any]:
    """Run (or resume) every stage; print the results table and return the results (also in ``results-*.json``).

    Returns:
        ``{"evaluation": {agent: {"test": summary, "train": summary}}, "labelling": accuracy, "bc": statistics,
        "stages": {stage: {"folder", "seconds", "cached"}}, "table": markdown}``.

    Raises:
        WebShopConnectionError: the WebShop server cannot be reached.
        ValueError: no training goal was reached by a labelled purchase (collect more episodes).
    """
    from teduo_gym.finetune import finetune, read_examples
    from teduo_gym.recipes.webshop.collect import collect_episodes
    from teduo_gym.recipes.webshop.episodes import EpisodeFile
    from teduo_gym.recipes.webshop.evaluate import results_table

    paths = _Paths.of(config)
    if paths.results.exists():  # finished earlier
        results = json.loads(paths.results.read_text())["results"]
        print(results["table"])
        return results

    runner = StageRunner(config.out)
    shop = webshop()
    with shop.server(config.base_url, seed=config.seed) as (url, truth):
        env = shop.shop_env(url, timeout_s=config.timeout_s)
        try:
            train_goals, test_goals = _split_goals(config, env, url, paths.goals)
            llm = shared_backend(config.llm)
            ran = runner.run(
                [
                    Stage(
                        "collect",
                        paths.episodes.parent,
                        lambda: collect_episodes(
                            env,
                            train_goals,
                            config.episodes,
                            config.max_steps,
                            paths.episodes,
                            llm=llm,
                            seed=config.seed,
                            max_chars=config.page_chars,
                            max_item_chars=config.item_chars,
                            progress=progress,
                        ),
                        done=lambda: len(EpisodeFile(paths.episodes).keys()) >= config.episodes,
                        resumes=True,  # collect_episodes resumes an interrupted collection itself
                    ),
                    Stage(
                        "label",
                        paths.labels.parent,
                        lambda: _label(config, paths, train_goals, llm, truth, progress),
                        done=paths.labels,
                    ),
                    Stage("examples", paths.examples, lambda: _filtered_bc(config, paths, train_goals)),
                    Stage(
                        "finetune",
                        paths.agent,
                        lambda: finetune(_finetune_config(config, paths, progress)),
                        done=paths.agent / "teduo_agent.json",
                    ),
                    Stage(
                        "evaluate",
                        paths.evaluation,
                        lambda: _evaluate(config, paths, env, train_goals, test_goals, progress),
                        done=paths.results,
                    ),
                ]
            )
        finally:
            env.close()

    episodes = list(EpisodeFile(paths.episodes).read())
    labels = _read_labels(paths.labels)
    stats = json.loads(paths.examples.with_suffix(".stats.json").read_text())
    evaluation = ran["evaluate"]
    table = results_table(evaluation)
    results = {
        "evaluation": evaluation,
        "labelling": json.loads((paths.labels.parent / "accuracy.json").read_text()),
        "bc": {**stats, "examples": len(read_examples(paths.examples))},
        "data": {
            "episodes": len(episodes),
            "purchases": sum(e.purchase is not None for e in episodes),
            "mean_true_reward": sum(e.reward for e in episodes) / len(episodes),
            "labels": len(labels),
        },
        "goals": {"test": test_goals, "train": _train_eval_goals(config, stats, train_goals)},
        "seeds": {"goal_order_and_clicks": config.seed, "finetune": config.seed, "random_agent": config.seed},
        "stages": runner.report(),
        "table": table,
    }
    write_record(paths.results, config, results)
    write_text(paths.results.with_suffix(".md"), _markdown(config, results))
    print(table)
    return results


def _split_goals(config: WebShopRunConfig, env: Any, url: str, path: Path) -> tuple[dict[int, str], list[int]]:
    """The training goals (index -> instruction) and the held-out test goals' indices, kept in ``path``."""
    from teduo_gym.recipes.webshop.collect import goal_instructions

    if not path.exists():
        train, test = env.unwrapped.goal_range("train"), env.unwrapped.goal_range("test")
        if not train or not test:
            raise ValueError(f"the WebShop server at {url} has no train or no test goals: {train}, {test}")
        goals = {"train": goal_instructions(env, train), "test": goal_instructions(env, test[: config.eval_goals])}
        write_json(path, goals, indent=None)
    split_goals = json.loads(path.read_text())
    train_goals = {int(k): v for k, v in split_goals["train"].items()}
    return train_goals, [int(k) for k in split_goals["test"]][: config.eval_goals]


def _read_labels(path: Path) -> list[Any]:
    """The labels of a label stage's ``labels.jsonl``."""
    from teduo_gym.recipes.webshop.label import Label

    return [Label(**json.loads(line)) for line in path.read_text().splitlines()]


def _label(
    config: WebShopRunConfig, paths: _Paths, train_goals: dict[int, str], llm: Any, truth: Any, progress: bool
) -> None:
    """The judge's label of every collected purchase for its goal and hindsight goals, and their accuracy."""
    from teduo_gym.recipes.webshop.episodes import EpisodeFile
    from teduo_gym.recipes.webshop.label import PurchaseJudge, label_accuracy, label_episodes

    episodes = list(EpisodeFile(paths.episodes).read())
    judge = PurchaseJudge(llm, Path(config.out) / "cache")
    labels = label_episodes(
        episodes, train_goals, judge, hindsight=config.hindsight_goals, truth=truth, progress=progress
    )
    accuracy = {
        "all": label_accuracy(labels, config.threshold),
        "own_goal": label_accuracy([lb for lb, e in _own(labels, episodes) if e], config.threshold),
    }
    write_json(paths.labels.parent / "accuracy.json", accuracy, indent=1)
    write_text(paths.labels, "".join(json.dumps(dataclasses.asdict(lb)) + "\n" for lb in labels))


def _filtered_bc(config: WebShopRunConfig, paths: _Paths, train_goals: dict[int, str]) -> None:
    """The fine-tuning examples of the purchases labelled at least ``threshold``, and their statistics."""
    from teduo_gym.finetune import write_examples
    from teduo_gym.recipes.webshop.bc import bc_examples
    from teduo_gym.recipes.webshop.episodes import EpisodeFile

    episodes = list(EpisodeFile(paths.episodes).read())
    instructions = {**train_goals, **{e.goal_index: e.instruction for e in episodes}}
    examples, stats = bc_examples(episodes, _read_labels(paths.labels), instructions, threshold=config.threshold)
    if not examples:
        raise ValueError(
            f"no training goal has a purchase labelled >= {config.threshold} in {config.out}: "
            "collect more episodes (episodes), judge more goals per purchase (hindsight_goals) or "
            "lower the threshold"
        )
    write_json(paths.examples.with_suffix(".stats.json"), stats, indent=1)
    write_examples(paths.examples, examples)


def _finetune_config(config: WebShopRunConfig, paths: _Paths, progress: bool) -> FinetuneConfig:
    """The fine-tuning of the embedded model on the examples (LoRA, free-text actions)."""
    from teduo_gym.finetune import FinetuneConfig

    return FinetuneConfig(
        data=paths.examples,
        out=paths.agent,
        free_text=True,
        model=config.llm.model,
        learning_rate=config.learning_rate,
        batch_size=config.batch_size,
        max_steps=config.finetune_steps,
        max_length=config.max_length,
        save_steps=max(1, config.finetune_steps // 3),
        seed=config.seed,
        template=ACT_TEMPLATE,
        progress=progress,
    )


def _train_eval_goals(config: WebShopRunConfig, stats: dict[str, Any], train_goals: dict[int, str]) -> list[int]:
    """The training goals evaluated: those filtered BC reached first, then the others."""
    reached = [g for g in stats["goal_indices"] if g in train_goals]
    return (reached + [g for g in sorted(train_goals) if g not in reached])[: config.eval_goals]


def _evaluate(
    config: WebShopRunConfig,
    paths: _Paths,
    env: Any,
    train_goals: dict[int, str],
    test_goals: list[int],
    progress: bool,
) -> dict[str, dict[str, Any]]:
    """The fine-tuned agent, each prompted baseline and random clicks on the test and training goals:
    ``{agent: {"test": summary, "train": summary}}`` (episodes in ``evaluation-*/<agent>/<goals>.jsonl``)."""
    from teduo_gym.llm import TransformersBackend
    from teduo_gym.recipes.webshop.evaluate import evaluate_agent, score_summary

    stats = json.loads(paths.examples.with_suffix(".stats.json").read_text())
    train_eval = _train_eval_goals(config, stats, train_goals)
    tuned = TransformersBackend(paths.agent, batch_size=config.llm.batch_size)
    shown = {"max_chars": config.page_chars, "max_item_chars": config.item_chars}
    agents: dict[str, Any] = {"teduo (fine-tuned)": WebShopLLMAgent(tuned, ACT_TEMPLATE, **shown).act}
    for baseline in config.baselines:
        backend = shared_backend(baseline)
        agent = WebShopLLMAgent(backend, REACT_TEMPLATE, think_tokens=config.think_tokens, **shown)
        agents[f"react prompt ({backend.name})"] = agent.act
    agents["random clicks"] = RandomClickAgent(seed=config.seed).act
    evaluation: dict[str, dict[str, Any]] = {}
    for name, act in agents.items():
        slug = "".join(c if c.isalnum() else "-" for c in name)
        evaluation[name] = {}
        for split, indices in (("test", test_goals), ("train", train_eval)):
            played = evaluate_agent(
                env,
                act,
                indices,
                config.eval_steps,
                paths.evaluation / slug / f"{split}.jsonl",
                desc=f"{name} / {split}",
                progress=progress,
            )
            evaluation[name][split] = score_summary(played)
    return evaluation


def _own(labels: list[Any], episodes: list[Any]) -> list[tuple[Any, bool]]:
    """Each label with whether it is for its episode's own goal."""
    own = {e.key: e.goal_index for e in episodes}
    return [(lb, own.get(lb.episode) == lb.goal_index) for lb in labels]


def _markdown(config: WebShopRunConfig, results: dict[str, Any]) -> str:
    """The results as a markdown report."""
    data, bc, stages = results["data"], results["bc"], results["stages"]
    lines = [
        f"# TEDUO on WebShop ({config.out})",
        "",
        f"WebShop score (mean reward x 100) and success rate (reward 1) with 95% intervals; held-out goals are the "
        f"first {len(results['goals']['test'])} of the test split, training goals those filtered BC reached first.",
        "",
        results["table"],
        "",
        f"Data: {data['episodes']} episodes, {data['purchases']} purchases (mean true reward of the behaviour policy "
        f"{100 * data['mean_true_reward']:.1f}); {data['labels']} (purchase, goal) labels.",
        "",
        f"Labelling vs WebShop's true reward (label >= {config.threshold} as a prediction of true reward >= 0.6):",
        "",
        "| pairs | accuracy | precision | recall | true pos. | labelled pos. | mean abs error | correlation |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, a in results["labelling"].items():
        if a.get("pairs"):
            corr = "-" if a["correlation"] is None else f"{a['correlation']:.2f}"
            lines.append(
                f"| {name}: {a['pairs']} | {a['accuracy']} | {a['precision']} | {a['recall']} | {a['true_positives']} "
                f"| {a['labelled_positives']} | {a['mean_abs_error']:.2f} | {corr} |"
            )
    lines += [
        "",
        f"Filtered BC: {bc['goals_reached']} of {bc['goals_labelled']} labelled goals reached, {bc['trajectories']} "
        f"trajectories, {bc['examples']} examples, {bc['loops_removed']} loop steps removed.",
        "",
        "Stage wall times: " + ", ".join(f"{n} {t['seconds'] or 0:.0f} s" for n, t in stages.items()),
        "",
    ]
    return "\n".join(lines)
