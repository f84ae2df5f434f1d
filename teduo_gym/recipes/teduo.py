"""TEDUO end to end, each stage cached on disk: ``teduo run --config CONFIG.json``.

Stages (:class:`~teduo_gym.core.stage.Stage`, run by a :class:`~teduo_gym.core.stage.StageRunner`), each writing
plain files under ``RunConfig.out`` in a folder named by a hash of the settings it depends on, so a rerun skips
finished stages and a changed setting reruns only what depends on it:

1. ``data-*`` -- unlabelled transitions (:func:`teduo_gym.collection.collect`, itself resumable);
2. ``labels-*`` -- hindsight labels of the training goals (:func:`teduo_gym.labeling.label`);
3. ``examples-*.jsonl`` -- (goal, state text, action) examples, one per step, with whole action sequences in
   ``examples-*.sequences.jsonl`` and per-goal statistics in ``examples-*.stats.json``: Q-iteration per goal and
   greedy rollouts through the data's dynamics (:func:`teduo_gym.offline.action_examples`), or filtered
   behaviour cloning of the data's trajectories (:func:`teduo_gym.offline.filtered_bc_examples`);
4. ``agent-*`` -- the fine-tuned LLM agent (:func:`teduo_gym.finetune.finetune`, resumable);
5. ``evaluation-*/`` and ``results-*.json`` -- fine-tuned vs untuned LLM vs step 2's Q-tables alone (training goals
   only) vs random vs bot on the TEDUO protocol (:class:`~teduo_gym.evaluation.protocol.Protocol`: train / test
   layouts x train / test goals, test goals held out and reworded) through
   :func:`~teduo_gym.recipes.teduo_evaluation.evaluate_run` (one record per episode, resumable; ``teduo evaluate``
   can add agents to the same folder), and the results with the wall time of every stage (also kept in
   ``stage_times.json``).

The text the LLM agents read is the goal-conditioned abstract state of step 1 (``text="abstract"``) or the
egocentric view (``text="egocentric"``, the ablation).

Environments played as text episodes (knowledge with :meth:`~teduo_gym.envs.EnvKnowledge.text_episodes`, e.g.
WebShop: web pages as states, text actions, no symbolic state vector) take the episode path of the same stages
(:mod:`teduo_gym.recipes.teduo_episodes`): text episodes, judge labels of their outcomes with hindsight goals,
filtered BC over episodes (``label_mode="judge"``, ``examples="filtered_bc"``), free-text fine-tuning, and text
agents scored on held-out and training goals. Its own settings are the fields after ``executor``; the
environment's options (WebShop's ``base_url``, ``timeout_s``, ``page_chars``, ``item_chars``) go in
``env_options``.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np

from teduo_gym.agents.llm_agent import COMPACT_TEMPLATE
from teduo_gym.core.executor import ExecutorConfig
from teduo_gym.core.stage import Stage, StageRunner, stage_key
from teduo_gym.labeling.hindsight import Mode
from teduo_gym.llm.config import LLMConfig

if TYPE_CHECKING:
    from teduo_gym.envs import TextEpisodes
    from teduo_gym.finetune import FinetuneConfig

#: The stages of :func:`run`, in order (``teduo run --until STAGE`` stops after one).
StageName = Literal["collect", "label", "examples", "finetune", "evaluate"]

__all__ = [
    "RunConfig",
    "StageName",
    "StagePaths",
    "act_template",
    "finetune_config",
    "plays_text_episodes",
    "q_table_policies",
    "run",
]


@dataclass(frozen=True)
class RunConfig:
    """TEDUO end to end on any environment with knowledge (``teduo run CONFIG.json``; any field may be left out)."""

    #: where every stage writes.
    out: Path = Path("runs/babyai-quick")
    #: an environment id with knowledge (teduo_gym.envs.knowledge_for): registered (e.g. a BabyAI level), or the
    #: "module:attr" of knowledge in your own file.
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
    #: draw the train and test goals round robin over goal kinds (EnvKnowledge.goal_split's ``balanced``), so a
    #: small split of a grammar with many more goals of one kind (BabyAI's "put next to") is not mostly that kind.
    balance_kinds: bool = False
    #: labelling mode ("compiled", "judge" or "proxy").
    label_mode: Mode = "compiled"
    #: longest greedy rollout through the data when making examples.
    rollout_steps: int = 32
    #: how the fine-tuning examples are made: "rollouts" (greedy rollouts of the per-goal Q-tables through the
    #: data's dynamics, TEDUO step 3) or "filtered_bc" (the data's own trajectories that reach each goal, loops
    #: removed: filtered behaviour cloning).
    examples: Literal["rollouts", "filtered_bc"] = "rollouts"
    #: filtered_bc keeps this many best trajectories per goal (shortest first); None keeps all.
    bc_keep: int | None = None
    #: what the fine-tuned agent reads: "abstract" (the goal-conditioned abstract state of step 1, from the full
    #: state) or "egocentric" (BALROG-style lines of the 7x7 view; needs examples "filtered_bc").
    text: Literal["abstract", "egocentric"] = "abstract"
    #: the fine-tuned agent's prompt template.
    template: str = COMPACT_TEMPLATE
    #: "lora" or "full" fine-tuning.
    method: Literal["lora", "full"] = "lora"
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
    #: where the shards of collect, label, offline RL and evaluate run: "local" (default) or "ray" (results do
    #: not depend on it).
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    # The episode path (environments played as text episodes, e.g. WebShop); an error elsewhere unless left as is.
    #: options of the environment's text episodes (EnvKnowledge.text_episodes), e.g. WebShop's base_url (None:
    #: serve the catalog on loopback), timeout_s, page_chars and item_chars (what an agent reads of a page).
    env_options: dict[str, Any] = field(default_factory=dict)
    #: episodes collected on training goals.
    episodes: int = 200
    #: goals an outcome is judged against besides its own (hindsight relabelling).
    hindsight_goals: int = 3
    #: the label a trajectory needs to be cloned (the paper: 0.6).
    threshold: float = 0.6
    #: fine-tuning learning rate.
    learning_rate: float = 5e-4
    #: longest fine-tuning example, in tokens.
    max_length: int = 320
    #: step cap of an evaluation episode (None: max_steps).
    eval_steps: int | None = None
    #: tokens of the prompted baselines' thought before each choice (ReAct); 0 acts without thoughts.
    think_tokens: int = 0
    #: prompted baselines: the embedded model, or e.g. {"backend": "openai", "base_url": ...}.
    baselines: tuple[LLMConfig, ...] = (LLMConfig(),)

    def __post_init__(self) -> None:
        for name, allowed in (("examples", ("rollouts", "filtered_bc")), ("text", ("abstract", "egocentric"))):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}={getattr(self, name)!r}: expected one of {allowed}")
        if self.text != "abstract" and self.examples == "rollouts":
            raise ValueError(
                f"text={self.text!r} needs examples made from the data's own states: set examples to 'filtered_bc' "
                "(rollouts pass through abstract states only)"
            )
        for name, allowed in (("method", ("lora", "full")), ("label_mode", get_args(Mode))):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}={getattr(self, name)!r}: expected one of {allowed}")
        if self.eval_episodes < 1:
            raise ValueError(f"eval_episodes={self.eval_episodes} evaluates nothing: give at least 1")
        if self.episodes < 1 or not 0 < self.threshold <= 1:
            raise ValueError(f"episodes must be >= 1 and threshold in (0, 1], got {self.episodes}, {self.threshold}")

    @classmethod
    def from_file(cls, path: str | Path) -> RunConfig:
        """Read a JSON config; unknown keys are an error naming the known ones, and a config of the former
        ``teduo webshop run`` an error naming the migration.

        Example:
            >>> import tempfile
            >>> p = Path(tempfile.mkdtemp()) / "c.json"
            >>> _ = p.write_text('{"env": "teduo/WebShop-v0", "baselines": [{"backend": "openai", "base_url": "x"}]}')
            >>> RunConfig.from_file(p).baselines[0].backend
            'openai'
        """
        from teduo_gym.core.config import read_config

        _refuse_webshop_run_config(Path(path))
        llm = lambda v: LLMConfig(**v)  # noqa: E731
        convert = {"llm": llm, "executor": lambda v: ExecutorConfig(**v), "out": Path, "goal_kinds": tuple}
        return read_config(cls, path, {**convert, "baselines": lambda v: tuple(map(llm, v))})


#: Settings of the former ``teduo webshop run`` (WebShopRunConfig) that a RunConfig does not have.
_WEBSHOP_RUN_KEYS = ("base_url", "page_chars", "item_chars", "timeout_s", "eval_goals")


def _refuse_webshop_run_config(path: Path) -> None:
    """Raise a one-line ``ValueError`` naming the migration when ``path`` holds a ``teduo webshop run`` config."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        return  # read_config names the problem
    old = sorted(set(raw) & set(_WEBSHOP_RUN_KEYS)) if isinstance(raw, dict) else []
    if old and "env" not in raw:
        raise ValueError(
            f"{path} is a config of the former `teduo webshop run` (WebShopRunConfig; settings {old}): `teduo run` "
            'runs WebShop now; add "env": "teduo/WebShop-v0", "label_mode": "judge", "examples": "filtered_bc", '
            '"bc_keep": 1, move base_url, page_chars, item_chars and timeout_s into "env_options" and rename '
            "eval_goals to eval_episodes (see examples/webshop-quick.json)"
        )


#: Labelling modes of the episode path: the LLM judge, or compiled (the environment's OutcomeSchema).
EPISODE_LABEL_MODES = ("judge", "compiled")
#: Behaviour policies of the episode path.
EPISODE_POLICIES = ("random", "mixture", "bot")

_DATA = ("env", "policy", "layouts", "test_layouts", "episodes_per_layout", "max_steps", "seed")
_GOALS = ("goal_kinds", "train_goals", "test_goals", "balance_kinds")
#: Settings added after runs were published: they count in a stage's key only when set (so older keys stay).
_ADDED = ("balance_kinds",)
_LABELS = (*_DATA, *_GOALS, "label_mode", "llm")
_EXAMPLES = (*_LABELS, "rollout_steps", "examples", "bc_keep", "text")
_AGENT = (*_EXAMPLES, "template", "method", "finetune_steps", "batch_size")
_RESULTS = (*_AGENT, "eval_episodes")
# The episode path's stages (text episodes; see teduo_episodes.py).
_EPISODE_DATA = ("env", "env_options", "policy", "episodes", "max_steps", "seed", "llm")
_EPISODE_GOALS = ("env", "env_options", "seed", "eval_episodes")
_EPISODE_READINGS = (*_EPISODE_GOALS, "llm")
_EPISODE_LABELS = (*_EPISODE_DATA, "label_mode", "hindsight_goals")
_EPISODE_EXAMPLES = (*_EPISODE_LABELS, "examples", "threshold", "bc_keep")
_EPISODE_AGENT = (
    *_EPISODE_EXAMPLES,
    "template",
    "method",
    "finetune_steps",
    "batch_size",
    "learning_rate",
    "max_length",
)
_EPISODE_RESULTS = (*_EPISODE_AGENT, "eval_episodes", "eval_steps", "think_tokens", "baselines")
#: The settings only the episode path reads.
_EPISODE_ONLY = (
    "env_options",
    "episodes",
    "hindsight_goals",
    "threshold",
    "learning_rate",
    "max_length",
    "eval_steps",
    "think_tokens",
    "baselines",
)
_DEFAULT = {f.name: f.default for f in fields(RunConfig) if f.name in _ADDED}


@dataclass(frozen=True)
class StagePaths:
    """Where each stage of a config writes (under ``RunConfig.out``, named by the hash of what it depends on);
    the episode path writes its goals too, its episodes in ``data/episodes.jsonl`` and its labels in
    ``labels.jsonl``."""

    data: Path
    labels: Path
    examples: Path
    agent: Path
    evaluation: Path
    results: Path
    goals: Path | None = None
    readings: Path | None = None

    @classmethod
    def of(cls, config: RunConfig) -> StagePaths:
        """The stage paths of ``config``.

        Example:
            >>> StagePaths.of(RunConfig(out=Path("runs/x"))).labels.parent.parent
            PosixPath('runs/x')
            >>> StagePaths.of(RunConfig(out=Path("runs/x"), env="teduo/WebShop-v0")).labels.name
            'labels.jsonl'
        """
        out = Path(config.out)
        if plays_text_episodes(config):
            return cls(
                data=out / f"data-{stage_key(config, *_EPISODE_DATA)}",
                labels=out / f"labels-{stage_key(config, *_EPISODE_LABELS)}" / "labels.jsonl",
                examples=out / f"examples-{stage_key(config, *_EPISODE_EXAMPLES)}.jsonl",
                agent=out / f"agent-{stage_key(config, *_EPISODE_AGENT)}",
                evaluation=out / f"evaluation-{stage_key(config, *_EPISODE_RESULTS)}",
                results=out / f"results-{stage_key(config, *_EPISODE_RESULTS)}.json",
                goals=out / f"goals-{stage_key(config, *_EPISODE_GOALS)}.json",
                readings=out / f"readings-{stage_key(config, *_EPISODE_READINGS)}.json",
            )

        def key(*fields: str) -> str:
            return stage_key(config, *(f for f in fields if f not in _ADDED or getattr(config, f) != _DEFAULT[f]))

        return cls(
            data=out / f"data-{key(*_DATA)}",
            labels=out / f"labels-{key(*_LABELS)}" / f"labels_{config.label_mode}.npz",
            examples=out / f"examples-{key(*_EXAMPLES)}.jsonl",
            agent=out / f"agent-{key(*_AGENT)}",
            evaluation=out / f"evaluation-{key(*_RESULTS)}",
            results=out / f"results-{key(*_RESULTS)}.json",
        )


def plays_text_episodes(config: RunConfig) -> bool:
    """Whether ``config``'s environment takes the episode path (its knowledge provides ``text_episodes``).

    Example:
        >>> plays_text_episodes(RunConfig(env="teduo/WebShop-v0")), plays_text_episodes(RunConfig())
        (True, False)
    """
    from teduo_gym.envs import knowledge_for

    return knowledge_for(config.env).provides("text_episodes")


def run(config: RunConfig, progress: bool = True, until: StageName | None = None) -> dict[str, Any]:
    """Run (or resume) every stage, or those up to ``until``; print the results tables and return ``{"evaluation":
    {setting: {agent: summary}}, "stages": {stage: {"folder", "seconds", "cached"}}}`` (only ``"stages"`` when
    stopped early, e.g. at ``"examples"`` to fine-tune on GPUs with ``teduo finetune``).

    On the episode path (:mod:`teduo_gym.recipes.teduo_episodes`) the evaluation is ``{agent: {"test": summary,
    "train": summary}}``, beside the labels' accuracy (``"labelling"``), filtered BC's statistics (``"bc"``), the
    data, goals and seeds, and the results ``"table"``.

    Raises:
        ValueError: a setting the environment's path does not take (e.g. ``episodes`` for a symbolic environment,
            ``label_mode`` "proxy" for text episodes), a setting a later stage refuses (fine-tuning's, or
            goals feasible in none of an evaluation setting's layouts: checked before any stage runs), or no training
            goal reached.
    """
    from teduo_gym.core.records import write_record

    paths = StagePaths.of(config)
    if until is None and paths.results.exists():  # finished earlier: its record holds the stage times of that run
        results = json.loads(paths.results.read_text())["results"]
        _print(results)
        return results
    episodes = plays_text_episodes(config)
    _check(config, episodes)
    runner = StageRunner(config.out)
    if episodes:
        from teduo_gym.recipes.teduo_episodes import episode_results, episode_stages

        session = _text_episodes(config)
        with session:
            ran = runner.run(episode_stages(config, session, progress), until=until)
    else:
        ran = runner.run(_state_stages(config, progress), until=until)
    if runner.stopped:
        return {"stages": runner.report()}
    if "evaluate" in ran:
        results = {"evaluation": ran["evaluate"], "stages": runner.report()}
        if episodes:
            results = episode_results(config, session, ran["evaluate"], runner.report())
        write_record(paths.results, config, results)
    else:  # finished earlier: its record holds the stage times of that run
        results = json.loads(paths.results.read_text())["results"]
    _print(results)
    return results


def _check(config: RunConfig, episodes: bool) -> None:
    """The checks of later stages that cost little (under a second on examples/babyai-quick.json), run before any
    work is spent: the fine-tuning settings, and on the symbolic path the evaluation's goals, each setting's feasible
    in some of its layouts (:meth:`~teduo_gym.evaluation.protocol.Protocol.episode_specs`)."""
    from teduo_gym.evaluation.protocol import Protocol

    finetune_config(config, progress=False)
    if not episodes:
        Protocol.from_run_config(config).episode_specs()


def _text_episodes(config: RunConfig) -> TextEpisodes:
    """The environment's text episodes for ``config`` (not entered yet), after checking the episode path's
    settings."""
    from teduo_gym.envs import knowledge_for

    for name, allowed in (("label_mode", EPISODE_LABEL_MODES), ("examples", ("filtered_bc",))):
        if getattr(config, name) not in allowed:
            raise ValueError(
                f"{config.env} is played as text episodes, labelled by the judge or compiled and cloned by filtered "
                f"BC: set {name} to one of {allowed}"
            )
    if config.policy not in EPISODE_POLICIES:
        raise ValueError(
            f"policy={config.policy!r}: text episodes are collected by one of {EPISODE_POLICIES} (random: LLM-written "
            "search texts and random clicks; mixture: the environment's scripted player, 30% random; bot: the script)"
        )
    return knowledge_for(config.env).text_episodes(seed=config.seed, **config.env_options)


def act_template(config: RunConfig) -> str:
    """The fine-tuned agent's prompt of ``config``: its ``template``, or, left at the default on the episode path,
    the environment's own (:attr:`~teduo_gym.envs.TextEpisodes.act_template`).

    Example:
        >>> act_template(RunConfig(env="teduo/WebShop-v0"))
        'Instruction: {goal}\\nPage: {state}\\nAction:'
    """
    from teduo_gym.envs import knowledge_for

    if config.template != COMPACT_TEMPLATE or not plays_text_episodes(config):
        return config.template
    return knowledge_for(config.env).text_episodes(**config.env_options).act_template


def _state_stages(config: RunConfig, progress: bool) -> list[Stage]:
    """The stages of ``config`` on an environment with symbolic states."""
    from teduo_gym.collection import CollectConfig, collect
    from teduo_gym.collection.collect import MANIFEST
    from teduo_gym.envs import knowledge_for
    from teduo_gym.finetune import finetune
    from teduo_gym.labeling import SCHEMA_MODES
    from teduo_gym.recipes.teduo_evaluation import evaluate_run, pipeline_agents

    changed = [f for f in _EPISODE_ONLY if getattr(config, f) != getattr(RunConfig(), f)]
    if changed:
        raise ValueError(
            f"{changed} are settings of environments played as text episodes, which {config.env} is not: leave them out"
        )
    knowledge = knowledge_for(config.env)
    needs_schema = config.label_mode in SCHEMA_MODES or config.examples == "rollouts" or config.text == "abstract"
    knowledge.check(
        *(["goal_schema"] if needs_schema else []),
        *(["describe_states"] if config.text != "abstract" else []),
        stage=f"teduo run (label_mode {config.label_mode!r}, examples {config.examples!r}, text {config.text!r})",
    )
    paths = StagePaths.of(config)
    collect_config = CollectConfig(
        env=config.env,
        policy=config.policy,
        layouts=config.layouts,
        test_layouts=config.test_layouts,
        episodes_per_layout=config.episodes_per_layout,
        max_steps=config.max_steps,
        seed=config.seed,
        out=paths.data,
        executor=config.executor,
    )
    return [
        Stage(
            "collect",
            paths.data,
            lambda: collect(collect_config, progress=progress),
            done=paths.data / MANIFEST,
            resumes=True,  # collect resumes an interrupted collection itself
        ),
        Stage("label", paths.labels.parent, lambda: _label(config, progress), done=lambda: _readable(paths.labels)),
        Stage("examples", paths.examples, lambda: _write_examples(config, progress)),
        Stage(
            "finetune",
            paths.agent,
            lambda: finetune(finetune_config(config, progress)),
            done=paths.agent / "teduo_agent.json",
        ),
        Stage(
            "evaluate",
            paths.results,
            lambda: evaluate_run(config, pipeline_agents(config.env), out=paths.evaluation, progress=progress),
        ),
    ]


def _readable(table: Path) -> bool:
    """The label stage's done-check: ``table`` is there and loads; a truncated or corrupt one is named on stderr and
    labelled again (label writes the whole table anew)."""
    from teduo_gym.labeling import LabelTable

    if not table.exists():
        return False
    try:
        LabelTable.load(table)
    except (OSError, ValueError) as err:
        print(
            f"warning: the label table {table} is truncated or corrupt ({type(err).__name__}): labelling again",
            file=sys.stderr,
        )
        return False
    return True


def _label(config: RunConfig, progress: bool = True) -> None:
    """Label the data of ``config`` for its training goals (written to ``OUT/train_goals.txt``)."""
    from teduo_gym.evaluation.protocol import Protocol
    from teduo_gym.labeling import LabelConfig, label

    out, paths = Path(config.out), StagePaths.of(config)
    goals_file = out / "train_goals.txt"
    goals_file.write_text("\n".join(Protocol.from_run_config(config).train_goals) + "\n")
    label(
        LabelConfig(
            dataset=str(paths.data),
            goals_file=str(goals_file),
            modes=(config.label_mode,),
            out_dir=str(paths.labels.parent),
            cache_dir=str(out / "cache"),
            seed=config.seed,
            llm=config.llm,
            executor=config.executor,
            progress=progress,
        )
    )


def finetune_config(config: RunConfig, progress: bool = True, processes: int = 1) -> FinetuneConfig:
    """The fine-tuning stage of ``config`` (its examples in, its agent directory out; free-text actions on the
    episode path), split over ``processes`` data-parallel processes (``accelerate launch`` / ``torchrun``): each
    takes ``batch_size / processes`` examples a step, so every launch trains the same agent.

    Example:
        >>> finetune_config(RunConfig(out=Path("runs/x"), batch_size=16), processes=4).batch_size
        4

    Raises:
        ValueError: ``batch_size`` does not split evenly over ``processes``.
    """
    from teduo_gym.finetune import FinetuneConfig

    if config.batch_size % processes:
        raise ValueError(
            f"batch_size {config.batch_size} does not split over {processes} processes: launch a divisor of it"
        )
    paths = StagePaths.of(config)
    if plays_text_episodes(config):  # free-text actions (the episode path)
        return FinetuneConfig(
            data=paths.examples,
            out=paths.agent,
            free_text=True,
            model=config.llm.model,
            method=config.method,
            learning_rate=config.learning_rate,
            batch_size=config.batch_size // processes,
            max_steps=config.finetune_steps,
            max_length=config.max_length,
            save_steps=max(1, config.finetune_steps // 3),
            seed=config.seed,
            template=act_template(config),
            progress=progress,
        )
    return FinetuneConfig(
        data=paths.examples,
        out=paths.agent,
        env=config.env,
        model=config.llm.model,
        method=config.method,
        max_steps=config.finetune_steps,
        batch_size=config.batch_size // processes,
        seed=config.seed,
        template=config.template,
        progress=progress,
        save_steps=max(1, config.finetune_steps // 4),
    )


def _write_examples(config: RunConfig, progress: bool = True) -> None:
    """The fine-tuning examples (one per step) of ``config``'s data and labels, whole action sequences
    (``*.sequences.jsonl``) and per-goal statistics (``*.stats.json``); goals never reached in the data are reported
    there and skipped."""
    from teduo_gym.datasets import load_dataset
    from teduo_gym.envs import knowledge_for
    from teduo_gym.finetune import write_examples
    from teduo_gym.labeling import LabelTable
    from teduo_gym.labeling.abstraction import abstract
    from teduo_gym.offline import filtered_bc_examples, sharded_action_examples

    paths = StagePaths.of(config)
    path = paths.examples
    data = load_dataset(paths.data)
    table = LabelTable.load(paths.labels, data)
    knowledge = knowledge_for(config.env)
    action_words = knowledge.action_words
    sequences = path.with_suffix(".sequences.jsonl")
    if config.examples == "rollouts":
        examples, stats = sharded_action_examples(
            data,
            table,
            action_words,
            max_steps=config.rollout_steps,
            seed=config.seed,
            sequences_path=sequences,
            executor=config.executor,
            parts=path.with_suffix(".parts"),
            progress=progress,
        )
    else:
        if config.text == "abstract":
            abstraction = knowledge.goal_schema(data.state_layout)
            views: Any = lambda g: abstract(abstraction, data.states, table.choices[g])  # noqa: E731
        else:
            egocentric = egocentric_states(data)
            views = [egocentric] * len(table.goals)
        examples, stats = filtered_bc_examples(
            data, table, action_words, views=views, keep=config.bc_keep, sequences_path=sequences
        )
    if not examples:
        raise ValueError(f"no training goal was reached in {config.out}: collect more data or choose other goals")
    path.with_suffix(".stats.json").write_text(json.dumps(stats, indent=1))
    write_examples(path, examples)
    shutil.rmtree(path.with_suffix(".parts"), ignore_errors=True)  # the shards of an interrupted run, now merged


def egocentric_states(data: Any) -> Any:
    """The dataset's distinct states as :class:`~teduo_gym.labeling.abstraction.AbstractStates` whose texts are
    what the agent saw: the knowledge's default describer (BabyAI: the egocentric 7x7 view) of each stored state
    (:meth:`~teduo_gym.envs.EnvKnowledge.describe_states`), the egocentric arm of the acting-text ablation."""
    from teduo_gym.envs import knowledge_for
    from teduo_gym.labeling.abstraction import AbstractStates, unique_rows

    knowledge = knowledge_for(data.env_id)
    first, ids = unique_rows(data.states)
    texts = knowledge.describe_states(data.states[first], knowledge.default_describer)
    return AbstractStates(data.states[first], ids, texts, len(first))


def q_table_policies(config: RunConfig) -> dict[str, Any]:
    """Step 2's policies on their own (TEDUO's "Q policies alone"), from the data and labels of a finished run:
    each training goal's Q-table over the abstract states of the data; a goal never reached in the data gets an
    empty table, so it acts at random.

    Raises:
        FileNotFoundError: the run's data or labels are not there yet (run ``teduo run`` first).
    """
    from teduo_gym.datasets import load_dataset
    from teduo_gym.envs import knowledge_for
    from teduo_gym.labeling import LabelTable
    from teduo_gym.offline import QTable, TabularPolicy, TabularQ, goal_mdps

    paths = StagePaths.of(config)
    if not paths.labels.exists():
        raise FileNotFoundError(
            f"the Q-table agent needs the labels of a finished run at {paths.labels}: run `teduo run --config ...` "
            "with this config first"
        )
    data = load_dataset(paths.data)
    table = LabelTable.load(paths.labels, data)
    knowledge = knowledge_for(config.env)

    goals = goal_mdps(data, table, knowledge.goal_schema(data.state_layout))
    vectors = [g.vectors for g in goals if g.vectors is not None]
    if len(vectors) != len(goals) or not goals:
        raise ValueError(f"the Q-table agent needs abstract state vectors of every training goal of {paths.labels}")
    reached = [(g, v) for g, v in zip(goals, vectors) if g.mdp.rewards.any()]
    n = len(knowledge.action_words)
    fitted = TabularQ(n_actions=n).fit([g.mdp for g, _ in reached])
    policies = {g.goal: TabularPolicy(q, v) for (g, v), q in zip(reached, fitted)}
    width = vectors[0].shape[1]
    empty = TabularPolicy(QTable(np.zeros((0, n), np.float32), np.zeros((0, n), bool)), np.zeros((0, width), np.uint8))
    return {g.goal: policies.get(g.goal, empty) for g in goals}


def _print(results: dict[str, Any]) -> None:
    from teduo_gym.evaluation.report import markdown_table

    if "table" in results:  # the episode path's agents x goal sets
        print(results["table"])
        return
    for setting, summaries in results["evaluation"].items():
        print(f"\n### {setting}\n{markdown_table(summaries)}")
    times = " | ".join(f"{name} {t['seconds'] or 0:.0f} s" for name, t in results["stages"].items())
    print(f"\nstage times (when each ran): {times}")
