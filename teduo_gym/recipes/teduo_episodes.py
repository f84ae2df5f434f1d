"""The stages of :func:`teduo_gym.recipes.teduo.run` on environments played as text episodes (knowledge with
:meth:`~teduo_gym.envs.EnvKnowledge.text_episodes`, e.g. WebShop): TEDUO's WebShop variant (Pouplin et al., ICML
2025) on any such environment.

1. ``goals-*.json`` -- the training goals (index -> instruction) and the held-out test goals evaluated.
2. ``data-*/episodes.jsonl`` -- episodes on training goals: LLM-written open-action texts (``queries.json``), then
   random choices, or the environment's scripted player on each reading mixed with them (``policy``
   "random", "mixture", "bot"; :func:`~teduo_gym.collection.text_episodes.collect_text_episodes`).
3. ``labels-*/labels.jsonl`` -- the reward of every outcome for its goal and hindsight goals: the LLM judge's
   (``label_mode="judge"``, answers cached under ``cache/``) or compiled (the schema's reward under the reading;
   :func:`~teduo_gym.labeling.outcomes.label_outcomes`), and ``accuracy.json``: agreement with the environment's
   true reward. With ``label_mode="compiled"`` or a scripted ``policy``, each instruction is read once, on first
   use, into the environment's :class:`~teduo_gym.envs.OutcomeSchema` (``readings-*.json``,
   :class:`~teduo_gym.labeling.outcomes.InstructionReadings`); the results give the readings' accuracy per slot.
4. ``examples-*.jsonl`` -- filtered behaviour cloning (:func:`~teduo_gym.offline.episode_bc.episode_bc_examples`),
   statistics in ``examples-*.stats.json``.
5. ``agent-*`` -- the model fine-tuned on free-text actions (:func:`~teduo_gym.recipes.teduo.finetune_config`).
6. ``evaluation-*/<agent>/<goals>.jsonl``, ``results-*.json`` / ``.md`` -- the fine-tuned agent, the prompted
   baselines (one per ``baselines`` LLM) and the random agent on held-out goals and on training goals: the score
   and success rate (:func:`~teduo_gym.evaluation.text_episodes.score_summary`).

The environment is entered once for the run (:class:`~teduo_gym.envs.TextEpisodes`; WebShop serves its catalog on a
loopback port unless ``env_options`` names a ``base_url``).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from teduo_gym.core.io import write_json, write_text
from teduo_gym.core.stage import Stage
from teduo_gym.envs.knowledge import TextEpisodes
from teduo_gym.llm.config import shared_backend
from teduo_gym.recipes.teduo import RunConfig, StagePaths, act_template, finetune_config

if TYPE_CHECKING:
    from teduo_gym.labeling.outcomes import InstructionReadings

__all__ = ["episode_results", "episode_stages"]


def episode_stages(config: RunConfig, episodes: TextEpisodes, progress: bool = True) -> list[Stage]:
    """The stages of ``config`` on ``episodes`` (entered), in order."""
    from teduo_gym.collection.text_episodes import SCRIPTED_EPSILON, collect_text_episodes
    from teduo_gym.datasets.text_episodes import TextEpisodeFile
    from teduo_gym.finetune import finetune

    paths = StagePaths.of(config)
    assert paths.goals is not None and paths.readings is not None
    if _reads(config) and episodes.outcome_schema is None:
        raise ValueError(
            f"{config.env} has no outcome schema to read instructions into, which label_mode {config.label_mode!r} "
            f"and policy {config.policy!r} need: set label_mode to 'judge' and policy to 'random'"
        )
    return [
        Stage("goals", paths.goals, lambda: _split_goals(config, episodes)),
        Stage(
            "collect",
            paths.data,
            lambda: collect_text_episodes(
                episodes,
                _goals(config)[0],
                config.episodes,
                config.max_steps,
                paths.data / "episodes.jsonl",
                llm=shared_backend(config.llm),
                readings=None if config.policy == "random" else _readings(config, episodes),
                epsilon=SCRIPTED_EPSILON if config.policy == "mixture" else 0.0,
                seed=config.seed,
                progress=progress,
            ),
            done=lambda: len(TextEpisodeFile(paths.data / "episodes.jsonl").keys()) >= config.episodes,
            resumes=True,  # collect_text_episodes resumes an interrupted collection itself
        ),
        Stage("label", paths.labels.parent, lambda: _label(config, episodes, progress), done=paths.labels),
        Stage("examples", paths.examples, lambda: _filtered_bc(config)),
        Stage(
            "finetune",
            paths.agent,
            lambda: finetune(finetune_config(config, progress)),
            done=paths.agent / "teduo_agent.json",
        ),
        Stage("evaluate", paths.results, lambda: _evaluate(config, episodes, progress)),
    ]


def _split_goals(config: RunConfig, episodes: TextEpisodes) -> None:
    """The training goals (index -> instruction) and the first ``eval_episodes`` held-out test goals."""
    train, test = episodes.goal_split()
    goals = {"train": episodes.instructions(train), "test": episodes.instructions(test[: config.eval_episodes])}
    paths = StagePaths.of(config)
    assert paths.goals is not None
    write_json(paths.goals, goals, indent=None)


def _reads(config: RunConfig) -> bool:
    """Whether ``config`` reads the training instructions into the outcome schema (compiled labels, or a scripted
    behaviour policy)."""
    return config.label_mode == "compiled" or config.policy != "random"


def _readings(config: RunConfig, episodes: TextEpisodes) -> InstructionReadings:
    """The instructions' readings into the environment's outcome schema, each read on first use by the config's LLM
    (kept in ``readings-*.json``)."""
    from teduo_gym.labeling.outcomes import InstructionReadings

    paths = StagePaths.of(config)
    assert paths.readings is not None and episodes.outcome_schema is not None
    return InstructionReadings(shared_backend(config.llm), episodes.outcome_schema.slots, paths.readings)


def _reading_accuracy(config: RunConfig, episodes: TextEpisodes) -> dict[str, Any] | None:
    """The accuracy per slot (and of whole readings, ``"all"``) of the training instructions read, against the
    schema's oracle; None when the run read nothing or the environment knows no answers."""
    from teduo_gym.labeling.reading import choice_accuracy

    paths = StagePaths.of(config)
    schema = episodes.outcome_schema
    if schema is None or paths.readings is None or not paths.readings.is_file():
        return None
    read = json.loads(paths.readings.read_text())
    pairs = [(read[g], schema.oracle_choice(i)) for i, g in _goals(config)[0].items() if g in read]
    known = [(c, o) for c, o in pairs if o is not None]
    if not known:
        return None
    accuracy = choice_accuracy([c for c, _ in known], [o for _, o in known])
    return {"instructions": len(known), **{slot: round(a, 3) for slot, a in accuracy.items()}}


def _goals(config: RunConfig) -> tuple[dict[int, str], list[int]]:
    """The training goals (index -> instruction) and the test goals' indices of ``config``."""
    paths = StagePaths.of(config)
    assert paths.goals is not None
    split = json.loads(paths.goals.read_text())
    return {int(k): v for k, v in split["train"].items()}, [int(k) for k in split["test"]][: config.eval_episodes]


def _read_labels(path: Path) -> list[Any]:
    """The labels of a label stage's ``labels.jsonl``."""
    from teduo_gym.labeling.outcomes import OutcomeLabel

    return [OutcomeLabel(**json.loads(line)) for line in path.read_text().splitlines()]


def _label(config: RunConfig, episodes: TextEpisodes, progress: bool) -> None:
    """The label of every outcome for its goal and hindsight goals (the judge's, or compiled: the outcome schema's
    reward under each instruction's reading), and their accuracy."""
    from teduo_gym.datasets.text_episodes import TextEpisodeFile
    from teduo_gym.labeling.outcomes import (
        THRESHOLD,
        CriteriaJudge,
        compiled_rater,
        judge_rater,
        label_accuracy,
        label_outcomes,
    )

    paths = StagePaths.of(config)
    played = list(TextEpisodeFile(paths.data / "episodes.jsonl").read())
    if config.label_mode == "compiled":
        assert episodes.outcome_schema is not None
        rate = compiled_rater(episodes.outcome_schema, _readings(config, episodes))
    else:
        backend = shared_backend(config.llm)
        judge = CriteriaJudge(backend, Path(config.out) / "cache", episodes.judge_template, episodes.criteria)
        rate = judge_rater(judge, episodes.combine, episodes.outcome_text)
    labels = label_outcomes(
        played,
        _goals(config)[0],
        rate,
        outcome_words=episodes.outcome_words,
        hindsight=config.hindsight_goals,
        truth=episodes.truth,
        progress=progress,
    )
    own = {e.key: e.goal_index for e in played}
    # compiled labels are on the true reward's scale: checked at their own threshold; the judge's at the paper's 0.6
    bar = config.threshold if config.label_mode == "compiled" else THRESHOLD
    accuracy = {
        "all": label_accuracy(labels, config.threshold, bar),
        "own_goal": label_accuracy(
            [lb for lb in labels if own.get(lb.episode) == lb.goal_index], config.threshold, bar
        ),
    }
    write_json(paths.labels.parent / "accuracy.json", accuracy, indent=1)
    write_text(paths.labels, "".join(json.dumps(dataclasses.asdict(lb)) + "\n" for lb in labels))


def _filtered_bc(config: RunConfig) -> None:
    """The fine-tuning examples of the outcomes labelled at least ``threshold``, and their statistics."""
    from teduo_gym.datasets.text_episodes import TextEpisodeFile
    from teduo_gym.finetune import write_examples
    from teduo_gym.offline.episode_bc import episode_bc_examples

    paths = StagePaths.of(config)
    played = list(TextEpisodeFile(paths.data / "episodes.jsonl").read())
    instructions = {**_goals(config)[0], **{e.goal_index: e.instruction for e in played}}
    examples, stats = episode_bc_examples(
        played, _read_labels(paths.labels), instructions, threshold=config.threshold, keep=config.bc_keep
    )
    if not examples:
        raise ValueError(
            f"no training goal has an outcome labelled >= {config.threshold} in {config.out}: collect more episodes "
            "(episodes), judge more goals per outcome (hindsight_goals) or lower the threshold"
        )
    write_json(paths.examples.with_suffix(".stats.json"), stats, indent=1)
    write_examples(paths.examples, examples)


def _train_eval_goals(config: RunConfig, stats: dict[str, Any], train_goals: dict[int, str]) -> list[int]:
    """The training goals evaluated: those filtered BC reached first, then the others."""
    reached = [g for g in stats["goal_indices"] if g in train_goals]
    return (reached + [g for g in sorted(train_goals) if g not in reached])[: config.eval_episodes]


def _evaluate(config: RunConfig, episodes: TextEpisodes, progress: bool) -> dict[str, dict[str, Any]]:
    """The fine-tuned agent, each prompted baseline and the random agent on the test and training goals:
    ``{agent: {"test": summary, "train": summary}}`` (episodes in ``evaluation-*/<agent>/<goals>.jsonl``)."""
    from teduo_gym.agents.text_agents import RandomTextAgent, TextLLMAgent
    from teduo_gym.evaluation.text_episodes import evaluate_text_agent, score_summary
    from teduo_gym.llm import TransformersBackend

    paths = StagePaths.of(config)
    train_goals, test_goals = _goals(config)
    stats = json.loads(paths.examples.with_suffix(".stats.json").read_text())
    train_eval = _train_eval_goals(config, stats, train_goals)
    tuned = TransformersBackend(paths.agent, batch_size=config.llm.batch_size)
    agents: dict[str, Any] = {"fine-tuned": TextLLMAgent(tuned, episodes, act_template(config)).act}
    for baseline in config.baselines:
        backend = shared_backend(baseline)
        agent = TextLLMAgent(backend, episodes, episodes.baseline_template, think_tokens=config.think_tokens)
        agents[f"prompted ({backend.name})"] = agent.act
    agents["random"] = RandomTextAgent(episodes, seed=config.seed).act
    steps = config.max_steps if config.eval_steps is None else config.eval_steps
    evaluation: dict[str, dict[str, Any]] = {}
    for name, act in agents.items():
        slug = "".join(c if c.isalnum() else "-" for c in name)
        evaluation[name] = {}
        for split, indices in (("test", test_goals), ("train", train_eval)):
            path = paths.evaluation / slug / f"{split}.jsonl"
            played = evaluate_text_agent(
                episodes, act, indices, steps, path, desc=f"{name} / {split}", progress=progress
            )
            evaluation[name][split] = score_summary(played)
    return evaluation


def episode_results(
    config: RunConfig, episodes: TextEpisodes, evaluation: dict[str, Any], stages: dict[str, Any]
) -> dict[str, Any]:
    """The results of a finished episode run: the evaluation, the labels' accuracy, filtered BC's statistics, the
    data, the goals, the seeds, the stage times and the results table; its markdown report is written beside
    ``results-*.json``."""
    from teduo_gym.datasets.text_episodes import TextEpisodeFile
    from teduo_gym.evaluation.text_episodes import score_table
    from teduo_gym.finetune import read_examples

    paths = StagePaths.of(config)
    played = list(TextEpisodeFile(paths.data / "episodes.jsonl").read())
    stats = json.loads(paths.examples.with_suffix(".stats.json").read_text())
    train_goals, test_goals = _goals(config)
    results = {
        "evaluation": evaluation,
        "labelling": json.loads((paths.labels.parent / "accuracy.json").read_text()),
        "reading": _reading_accuracy(config, episodes),
        "bc": {**stats, "examples": len(read_examples(paths.examples))},
        "data": {
            "episodes": len(played),
            "outcomes": sum(e.outcome is not None for e in played),
            "mean_true_reward": sum(e.reward for e in played) / len(played),
            "labels": len(_read_labels(paths.labels)),
        },
        "goals": {"test": test_goals, "train": _train_eval_goals(config, stats, train_goals)},
        "seeds": {"goal_order_and_choices": config.seed, "finetune": config.seed, "random_agent": config.seed},
        "stages": stages,
        "table": score_table(evaluation),
    }
    write_text(paths.results.with_suffix(".md"), _markdown(config, results))
    return results


def _markdown(config: RunConfig, results: dict[str, Any]) -> str:
    """The results as a markdown report."""
    from teduo_gym.labeling.outcomes import THRESHOLD

    data, bc, stages = results["data"], results["bc"], results["stages"]
    lines = [
        f"# TEDUO on {config.env} ({config.out})",
        "",
        "Score (mean reward x 100) and success rate (reward 1) with 95% intervals; held-out goals are the first "
        f"{len(results['goals']['test'])} of the test split, training goals those filtered BC reached first.",
        "",
        results["table"],
        "",
        f"Data: {data['episodes']} episodes, {data['outcomes']} with an outcome (mean true reward of the behaviour "
        f"policy {100 * data['mean_true_reward']:.1f}); {data['labels']} (outcome, goal) labels.",
        "",
        f"Labelling ({config.label_mode}) vs the true reward (label >= {config.threshold} as a prediction of true "
        f"reward >= {results['labelling']['all'].get('true_threshold', THRESHOLD)}):",
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
    if results["reading"] is not None:
        reading = ", ".join(f"{slot} {a}" for slot, a in results["reading"].items())
        lines += ["", f"Instructions read into the outcome schema, accuracy per slot: {reading}."]
    lines += [
        "",
        f"Filtered BC: {bc['goals_reached']} of {bc['goals_labelled']} labelled goals reached, {bc['trajectories']} "
        f"trajectories, {bc['examples']} examples, {bc['loops_removed']} loop steps removed.",
        "",
        "Stage wall times: " + ", ".join(f"{n} {t['seconds'] or 0:.0f} s" for n, t in stages.items()),
        "",
    ]
    return "\n".join(lines)
