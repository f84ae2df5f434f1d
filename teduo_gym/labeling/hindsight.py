"""Hindsight labelling: does transition ``t`` (its next state) achieve goal ``g``? Three modes, one interface.

- :class:`HindsightLabeler` -- labels a :class:`~teduo_gym.datasets.TransitionDataset` for a list of goals:

  - ``"judge"``: the LLM reads the goal-conditioned abstract state text (the dataset's stored text where the
    environment's knowledge has no goal schema) and answers yes / no
    (:class:`~teduo_gym.labeling.judge.LLMGoalJudge`), once per distinct text of a next state per goal, batched;
    answers are cached on disk by (goal, text hash) and saved every chunk, so reruns are free and interrupted
    runs resume; "yes" means ``p(yes)`` above a fixed threshold or, by default, above ``p(yes)`` for a
    content-free state (calibrated per goal);
  - ``"compiled"``: the LLM turns the goal text into a structured predicate by constrained choices (once per
    goal, cached); fixed vectorised code checks it on ``(state, action, next state)``;
  - ``"proxy"``: at most ``budget`` judge labels per goal (distinct texts sampled with a per-goal seed), a
    :class:`~teduo_gym.labeling.proxy.ProxyNet` trained on the abstract grids, thresholded for a target
    precision on held-out labels, then applied to every next state.

  ``"compiled"`` and ``"proxy"`` need the goal schema of the dataset's environment
  (``knowledge_for(data.env_id).goal_schema``); asking them of knowledge without one fails before any work.
  The output is a :class:`~teduo_gym.labeling.table.LabelTable` (format in ``table.py``).
- :class:`LabelConfig` / :func:`label` -- the ``teduo label`` command: load a dataset, pick goals, label with
  each mode (goals in shards on the configured executor: this process, local processes or Ray, each shard saved
  as it finishes so a rerun resumes), save the tables and (``report=True``) the accuracy report.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from teduo_gym.core.digest import digest
from teduo_gym.core.executor import ExecutorConfig, ShardFiles, run_shards
from teduo_gym.datasets.transitions import TransitionDataset
from teduo_gym.envs import GoalSchema, MissingKnowledgeError, Slot, knowledge_for
from teduo_gym.labeling.abstraction import choose, state_views
from teduo_gym.labeling.cache import ChoiceCache, JudgeCache
from teduo_gym.labeling.judge import JUDGE_TEMPLATE, LLMGoalJudge
from teduo_gym.labeling.proxy import ProxyConfig, train_proxy
from teduo_gym.labeling.reading import SIMILARITY_WEIGHT, Embedder
from teduo_gym.labeling.table import LabelTable
from teduo_gym.llm.base import LLMBackend
from teduo_gym.llm.config import LLMConfig, shared_backend
from teduo_gym.llm.embedding import EMBEDDING_MODEL_NAME, shared_embedder

__all__ = [
    "MODES",
    "READER",
    "NULL_STATE",
    "SCHEMA_MODES",
    "CallCounter",
    "GoalLabels",
    "HindsightLabeler",
    "LabelConfig",
    "label",
    "read_goals",
    "reading_calls",
    "sample_goals",
]

Mode = Literal["judge", "compiled", "proxy"]
#: The content-free state text of the calibrated judge threshold.
NULL_STATE = "N/A"
#: The labelling modes.
MODES: tuple[str, ...] = ("judge", "compiled", "proxy")
#: How goals are read into a goal schema's slots (part of the choice cache's key, so a changed reader rereads):
#: the LLM's scores of the options plus the MiniLM similarity prior (docs/results/goal-reading).
READER = f"llm+{EMBEDDING_MODEL_NAME}x{SIMILARITY_WEIGHT:g}"
#: The modes that need the environment's goal schema (judge reads the stored texts without one).
SCHEMA_MODES: tuple[str, ...] = ("compiled", "proxy")


class CallCounter:
    """Wraps a backend and counts the prompts it scores or completes (one prompt = one LLM call).

    Example:
        >>> class Fake:
        ...     name, chat = "fake", False
        ...     def score(self, prompts, candidates): return np.zeros((len(prompts), len(candidates)))
        >>> c = CallCounter(Fake()); _ = c.score(["a", "b"], [" yes"]); c.calls
        2
    """

    def __init__(self, backend: LLMBackend):
        self.backend, self.name, self.chat, self.calls = backend, backend.name, backend.chat, 0

    def score(self, prompts: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
        """``backend.score``, counted."""
        self.calls += len(prompts)
        return self.backend.score(prompts, candidates)

    def generate(self, prompts: Sequence[str], **kwargs: Any) -> list[str]:
        """``backend.generate``, counted."""
        self.calls += len(prompts)
        return self.backend.generate(prompts, **kwargs)


class HindsightLabeler:
    """Label which transitions achieve which goals, with an LLM judge, a compiled predicate or a proxy network.

    TEDUO's step 1 (Pouplin et al., ICML 2025): the LLM chooses the abstraction once per goal; labels come from
    the LLM's judgement of abstract states (``judge``), from that judgement on a budget of states generalised by a
    small network (``proxy``, the paper's way), or from a predicate compiled from the goal text (``compiled``).

    Example:
        >>> from teduo_gym.llm import TransformersBackend
        >>> labeler = HindsightLabeler(TransformersBackend(), "compiled", cache_dir="cache")  # doctest: +SKIP
        >>> table = labeler.label(dataset, ["go to the red ball", "grab the crimson orb"])  # doctest: +SKIP

    Args:
        backend: the LLM.
        mode: ``"judge"``, ``"compiled"`` or ``"proxy"``.
        cache_dir: where LLM answers are cached (per model and prompt).
        budget: ``proxy``: the most LLM labels per goal.
        precision: ``proxy``: the held-out precision the threshold must reach (else the best F1).
        threshold: ``judge`` / ``proxy``: ``p(yes)`` above which a state achieves the goal; ``None`` calibrates it
            per goal (contextual calibration, Zhao et al. 2021): ``p(yes)`` for the goal and a content-free state
            (:data:`NULL_STATE`), one more LLM call per goal. Small models rarely give ``p(yes) > 0.5`` (SmolLM2-135M:
            0.04-0.17 on BabyAI states), so a fixed 0.5 labels nothing.
        seed: ``proxy``: sampling and training seed (each goal gets its own, derived from it and the goal).
        chunk: judge prompts per cache save.
        proxy: training settings of the proxy networks.
        room_only: abstraction keeps only the agent's room.
        embedder: the similarity prior of goal reading (:func:`~teduo_gym.labeling.abstraction.choose`); None loads
            the shipped all-MiniLM-L6-v2 when a goal is first read.
    """

    def __init__(
        self,
        backend: LLMBackend,
        mode: Mode,
        *,
        cache_dir: str | Path,
        budget: int = 500,
        precision: float = 0.95,
        threshold: float | None = None,
        seed: int = 0,
        chunk: int = 256,
        proxy: ProxyConfig | None = None,
        room_only: bool = True,
        embedder: Embedder | None = None,
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if mode == "proxy" and budget < 1:
            raise ValueError(f"the proxy mode needs a budget of at least 1 LLM label per goal, got {budget}")
        self.llm = CallCounter(backend)
        self.mode, self.budget, self.threshold, self.seed, self.chunk = mode, budget, threshold, seed, chunk
        self.room_only, self._embedder = room_only, embedder
        self.proxy = ProxyConfig(precision=precision) if proxy is None else proxy
        self.judge = LLMGoalJudge(self.llm, lambda env, obs: "")
        self.cache_dir = Path(cache_dir)
        self._judge_cache = JudgeCache(self.cache_dir / "judge", f"{backend.name}|{backend.chat}|{JUDGE_TEMPLATE}")
        #: per goal, the distinct texts judged for it (asked now or read from the cache): its labels' LLM calls.
        self._judged: dict[str, set[str]] = {}

    # ---- per goal ---------------------------------------------------------------------------------------

    def choices(self, abstraction: GoalSchema | None, goals: Sequence[str]) -> list[dict[str, str]]:
        """The LLM's choice for each goal (cached on disk: one batch of constrained questions for new goals); an
        empty choice for each without a goal schema."""
        if abstraction is None:
            return [{} for _ in goals]
        reader = f"{READER}|{self.llm.name}|{self.llm.chat}|{abstraction.slots!r}"
        cache = ChoiceCache(self.cache_dir / "choices", reader)
        missing = [g for g in dict.fromkeys(goals) if cache.get(g) is None]
        if missing:
            embedder = self._embedder if self._embedder is not None else shared_embedder()
            for goal, choice in zip(missing, choose(self.llm, missing, abstraction.slots, embedder=embedder)):
                cache.put(goal, choice)
        # the cache's file sorts a choice's keys: answers keep the slots' order, so a resume keys its shards the same
        order = [s["name"] if isinstance(s, Mapping) else s.name for s in abstraction.slots]
        return [{**{k: c[k] for k in order if k in c}, **c} for c in (cache.get(g) or {} for g in goals)]

    def judge_texts(self, goal: str, texts: Sequence[str]) -> np.ndarray:
        """``p(yes)`` for each text (distinct ones asked once, cached on disk and saved every ``chunk``)."""
        known = self._judge_cache.get(goal, texts)
        todo = list(dict.fromkeys(t for t, p in zip(texts, known) if p is None))
        for start in range(0, len(todo), self.chunk):
            part = todo[start : start + self.chunk]
            self._judge_cache.put(goal, part, self.judge.judge([goal] * len(part), part))
            self._judge_cache.save(goal)
        self._judged.setdefault(goal, set()).update(texts)
        return np.array(self._judge_cache.get(goal, texts), dtype=np.float64)

    def judgements(self, goal: str) -> int:
        """The distinct texts judged for ``goal`` (calibration included) since the last call, whether asked now or
        read from the cache where an earlier run asked them: the LLM calls those judgements took; then forgets them.
        """
        return len(self._judged.pop(goal, ()))

    def goal_threshold(self, goal: str) -> float:
        """The ``p(yes)`` threshold of a goal: the fixed one, or the calibrated one (cached like any judgement)."""
        if self.threshold is not None:
            return self.threshold
        return float(self.judge_texts(goal, [NULL_STATE])[0])

    def _label_goal(
        self, abstraction: GoalSchema | None, data: TransitionDataset, goal: str, choice: Mapping[str, str]
    ) -> tuple[np.ndarray, np.ndarray | None, dict[str, Any]]:
        if self.mode == "compiled":
            schema = self._schema(abstraction, data)
            return schema.achieved(choice, data.states, data.actions, data.src, data.dst), None, {}
        next_ids, inverse = np.unique(data.dst, return_inverse=True)
        views = state_views(abstraction, data, next_ids, choice)
        per_transition = views.ids[inverse.reshape(-1)]  # distinct abstract next state of each transition
        info: dict[str, Any] = {
            "raw_states": views.n_raw,
            "abstract_states": len(views.vectors),
            "texts": len(set(views.texts)),
        }
        threshold = self.goal_threshold(goal)
        info["threshold"] = threshold
        if self.mode == "judge":
            p = self.judge_texts(goal, views.texts)
            return p[per_transition] > threshold, p[per_transition], info
        texts = np.array(views.texts, dtype=object)
        distinct, text_of = np.unique(texts, return_inverse=True)
        rng = np.random.default_rng([self.seed, int(digest(goal, size=8), 16)])
        asked = rng.choice(len(distinct), size=min(self.budget, len(distinct)), replace=False)
        p_text = np.full(len(distinct), np.nan)
        p_text[asked] = self.judge_texts(goal, distinct[asked].tolist())
        labelled = np.flatnonzero(~np.isnan(p_text[text_of]))
        grid, extra = self._schema(abstraction, data).features(views.vectors)
        seed = int(rng.integers(2**31))
        model = train_proxy(grid[labelled], extra[labelled], p_text[text_of[labelled]] > threshold, self.proxy, seed)
        scores = model.score(grid, extra)
        info |= {
            "proxy_threshold": model.threshold,
            "llm_labels": int(asked.size),
            "llm_positives": int((p_text[asked] > threshold).sum()),
        }
        return scores[per_transition] >= model.threshold, scores[per_transition], info

    def _schema(self, abstraction: GoalSchema | None, data: TransitionDataset) -> GoalSchema:
        if abstraction is None:
            raise MissingKnowledgeError(knowledge_for(data.env_id), "goal_schema", f"labelling mode {self.mode!r}")
        return abstraction

    # ---- all goals --------------------------------------------------------------------------------------

    def label_goals(
        self,
        data: TransitionDataset,
        goals: Sequence[str],
        choices: Sequence[Mapping[str, str]],
        abstraction: GoalSchema | None,
    ) -> list[GoalLabels]:
        """Label every transition for each goal, given the goals' abstraction choices (see :meth:`choices`); a
        goal's labels depend on that goal only, so goals can be labelled in shards anywhere.

        A goal's ``calls`` are the judgements its labels took, one per distinct text, whether asked now or read
        from the cache where an earlier run (a killed one, say) asked them: the same for a rerun or a resume."""
        if self.mode in SCHEMA_MODES:
            self._schema(abstraction, data)  # none: the error before any LLM call
        results = []
        for goal, choice in zip(goals, choices):
            self.judgements(goal)
            start = time.perf_counter()
            hit, score, info = self._label_goal(abstraction, data, goal, choice)
            calls = self.judgements(goal)
            results.append(GoalLabels(np.flatnonzero(hit), score, calls, time.perf_counter() - start, info))
        return results

    def label(
        self,
        data: TransitionDataset,
        goals: Sequence[str],
        canonical: Sequence[str] | None = None,
        abstraction: GoalSchema | None = None,
    ) -> LabelTable:
        """Label every transition of ``data`` for every goal.

        Args:
            data: the transitions.
            goals: goal texts (paraphrases allowed: only the LLM reads them).
            canonical: the canonical goal of each text, for reports (default: the texts, which must then parse).
            abstraction: the goal schema (default: ``knowledge_for(data.env_id).goal_schema(data.state_layout)``,
                none for the judge where the knowledge has none).

        Raises:
            UnknownGoalError: a canonical goal is outside the environment's grammar (names the nearest goals).
            MissingKnowledgeError: the mode needs a goal schema and the environment's knowledge has none.
        """
        abstraction = abstraction or goal_schema_for(data, (self.mode,), self.room_only)
        parse = knowledge_for(data.env_id).parse_goal
        canonical = [parse(g) for g in (canonical or goals)]
        if len(canonical) != len(goals):
            raise ValueError(f"{len(canonical)} canonical goals for {len(goals)} goals")
        choices, choice_cost = self.timed_choices(abstraction, goals)
        return self.table(
            data, goals, canonical, choices, self.label_goals(data, goals, choices, abstraction), choice_cost
        )

    def timed_choices(
        self, abstraction: GoalSchema | None, goals: Sequence[str]
    ) -> tuple[list[dict[str, str]], tuple[list[int], float]]:
        """:meth:`choices`, with the LLM calls of each goal's reading (the prompts that read it, whether asked now or
        read from the cache where an earlier run asked them: :func:`reading_calls`) and this call's seconds."""
        start = time.perf_counter()
        choices = self.choices(abstraction, goals)
        slots = abstraction.slots if abstraction else ()
        return choices, ([reading_calls(slots, choice) for choice in choices], time.perf_counter() - start)

    def table(
        self,
        data: TransitionDataset,
        goals: Sequence[str],
        canonical: Sequence[str],
        choices: Sequence[dict[str, str]],
        results: Sequence[GoalLabels],
        choice_cost: tuple[Sequence[int], float] = ((), 0.0),
    ) -> LabelTable:
        """The :class:`LabelTable` of per-goal results; ``choice_cost`` (from :meth:`timed_choices`) adds each goal's
        reading calls to its own, and the choices' seconds shared equally among the goals."""
        reading = list(choice_cost[0]) or [0] * len(results)
        share = choice_cost[1] / max(len(goals), 1)
        indptr = np.cumsum([0] + [len(r.rows) for r in results])
        indices = np.concatenate([r.rows for r in results]) if results else np.zeros(0, np.int64)
        labels = sp.csr_matrix((np.ones(len(indices), bool), indices, indptr), shape=(len(goals), len(data)))
        return LabelTable(
            goals=list(goals),
            labels=labels,
            fingerprint=data.fingerprint(),
            mode=self.mode,
            llm=self.llm.name,
            llm_calls=np.array([r.calls + calls for r, calls in zip(results, reading)], np.int64),
            seconds=np.array([r.seconds + share for r in results]),
            scores=None
            if self.mode == "compiled"
            else np.stack([np.asarray(r.scores) for r in results]).astype(np.float16),
            canonical=list(canonical),
            choices=list(choices),
            settings={
                "budget": self.budget,
                "precision": self.proxy.precision,
                "threshold": self.threshold,
                "seed": self.seed,
                "room_only": self.room_only,
                "per_goal": [r.info for r in results],
            },
        )


def reading_calls(slots: Sequence[Slot | Mapping[str, Any]], choice: Mapping[str, str]) -> int:
    """The prompts that read a goal into ``choice``: one per slot :func:`~teduo_gym.labeling.abstraction.choose`
    asks (a slot whose ``ask_if`` the earlier answers do not meet takes its default unasked).

    Example:
        >>> kind = Slot("kind", "Which?", ("go", "put"))
        >>> target = Slot("target", "Next to?", ("ball", "box"), ask_if=("kind", ("put",)))
        >>> [reading_calls([kind, target], choice) for choice in ({"kind": "go", "target": "none"}, {"kind": "put"})]
        [1, 2]
    """
    answers: dict[str, str | None] = {}
    calls = 0
    for slot in (s if isinstance(s, Slot) else Slot(**s) for s in slots):
        calls += slot.asked(answers)
        answers[slot.name] = choice.get(slot.name)
    return calls


def goal_schema_for(data: TransitionDataset, modes: Sequence[str], room_only: bool = True) -> GoalSchema | None:
    """The goal schema of ``data``'s environment for labelling in ``modes``; ``None`` where its knowledge has none
    and only the judge runs (on the stored texts).

    Example:
        >>> from teduo_gym.datasets import TransitionDataset
        >>> d = TransitionDataset("BabyAI-GoToLocal-v0", {"kind": "babyai-symbolic/1", "width": 8, "height": 8,
        ...                       "size": 198}, np.zeros((1, 198), np.uint8), [""], *[np.zeros(0, int)] * 4,
        ...                       np.zeros(0, int))
        >>> type(goal_schema_for(d, ["compiled"])).__name__
        'BabyAIAbstraction'

    Raises:
        MissingKnowledgeError: a mode of :data:`SCHEMA_MODES` and knowledge without ``goal_schema``, before any work.
    """
    knowledge = knowledge_for(data.env_id)
    for mode in modes:
        if mode in SCHEMA_MODES:
            knowledge.check("goal_schema", stage=f"labelling mode {mode!r}")
    if not knowledge.provides("goal_schema"):
        return None
    return knowledge.goal_schema(data.state_layout, room_only=room_only)


@dataclass(frozen=True)
class GoalLabels:
    """One goal's labels: the transitions that achieve it, their scores (``None`` in ``compiled`` mode), the LLM
    calls and seconds it took, and mode-specific information."""

    rows: np.ndarray
    scores: np.ndarray | None
    calls: int
    seconds: float
    info: dict[str, Any]


def read_goals(path: str | Path) -> tuple[list[str], list[str]]:
    """Goal texts from a file: one per line (``#`` comments), or lines ``text<TAB>canonical goal``, or a JSON
    object ``{text: canonical goal}``. Returns the texts and their canonical goals (a text without one is its own).

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "goals.txt"
        >>> _ = p.write_text("go to a key\\ngrab the crimson orb\\tpick up the red ball\\n")
        >>> read_goals(p)
        (['go to a key', 'grab the crimson orb'], ['go to a key', 'pick up the red ball'])
    """
    text = Path(path).read_text()
    if text.lstrip().startswith("{"):
        mapping = json.loads(text)
        return list(mapping), list(mapping.values())
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    pairs = [line.split("\t", 1) if "\t" in line else [line, line] for line in lines if line]
    return [p[0].strip() for p in pairs], [p[1].strip() for p in pairs]


def sample_goals(vocabulary: Sequence[str], n: int, seed: int, kind_of: Any) -> list[str]:
    """``n`` goals drawn without replacement, balanced over kinds (round robin over shuffled kinds), in a fixed
    order for a seed; a kind with fewer goals leaves its share to the others.

    Example:
        >>> sample_goals(["go to a", "go to b", "open c", "open d"], 2, 0, lambda g: g.split()[0])
        ['go to a', 'open c']
    """
    rng = np.random.default_rng(seed)
    groups: dict[str, list[str]] = {}
    for goal in vocabulary:
        groups.setdefault(kind_of(goal), []).append(goal)
    pools = [[group[i] for i in rng.permutation(len(group))] for group in groups.values()]
    picked: list[str] = []
    while len(picked) < min(n, len(vocabulary)):
        for pool in pools:
            if pool and len(picked) < n:
                picked.append(pool.pop(0))
    return picked


@dataclass(frozen=True)
class LabelConfig:
    """Hindsight-label a collected dataset (``teduo label``)."""

    #: the dataset directory written by ``teduo collect``.
    dataset: str = "data/babyai"
    #: how many goals to sample (deterministically from seed, balanced over goal kinds) from the dataset's goal
    #: vocabulary.
    n_goals: int = 50
    #: a file of goal texts (see read_goals); overrides n_goals.
    goals_file: str | None = None
    #: the labelling modes to run, each written to its own table.
    modes: tuple[Mode, ...] = ("compiled", "judge", "proxy")
    #: proxy: the most LLM labels per goal.
    budget: int = 500
    #: proxy: the held-out precision the threshold must reach.
    precision: float = 0.95
    #: judge / proxy: p(yes) above which a state achieves a goal; None calibrates it per goal on a content-free state.
    threshold: float | None = None
    #: keep only the agent's room in abstract states.
    room_only: bool = True
    #: where LLM answers are cached (default: <teduo cache>/labels).
    cache_dir: str | None = None
    #: where label tables (labels_<mode>.npz + .json) and reports are written.
    out_dir: str = "labels"
    #: seeds goal sampling and the proxy mode.
    seed: int = 0
    #: also write the accuracy report against the dataset's ground truth (report.json, report.md).
    report: bool = False
    #: judge: with N > 0, do not label everything but estimate judge accuracy for the report from N achieving and N
    #: other transitions per goal (see teduo_gym.labeling.sampled); needs --report.
    judge_sample: int = 0
    #: the LLM (each worker builds its own: a model replica, or a client of the same server).
    llm: LLMConfig = field(default_factory=LLMConfig)
    #: goals per shard: the unit of parallel work and of resumption.
    goals_per_shard: int = 8
    #: where the shards run (the labels do not depend on it).
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    #: show a progress bar over the shards.
    progress: bool = True

    def labeler(self, mode: Mode) -> HindsightLabeler:
        """The labeller of ``mode`` with these settings, on this process's shared backend of :attr:`llm`."""
        from teduo_gym.core.paths import cache_root

        cache = Path(self.cache_dir) if self.cache_dir else cache_root() / "labels"
        return HindsightLabeler(
            shared_backend(self.llm),
            mode,
            cache_dir=cache,
            budget=self.budget,
            precision=self.precision,
            threshold=self.threshold,
            seed=self.seed,
            room_only=self.room_only,
        )


def label(config: LabelConfig) -> dict[str, Any]:
    """Run ``teduo label``: returns ``{"tables": {mode: path}, "goals": [...], "report": {...} or None}``.

    Raises:
        DatasetError: the dataset directory is unusable.
        UnknownGoalError: a goal of ``goals_file`` is outside the grammar.
        UnknownEnvironmentError: no knowledge for the dataset's environment.
        MissingKnowledgeError: a mode needs the goal schema that the environment's knowledge lacks.
    """
    from teduo_gym.datasets.storage import load_dataset, load_ground_truth
    from teduo_gym.labeling.sampled import sampled_judge_report

    if config.judge_sample and not config.report:
        raise ValueError("judge_sample only estimates accuracy for the report: add --report")
    if "proxy" in config.modes:  # the proxy's settings fail here, before the model loads
        ProxyConfig(precision=config.precision)
        if config.budget < 1:
            raise ValueError(f"--budget {config.budget}: the proxy mode needs at least 1 LLM label per goal")
    if not config.goals_file and config.n_goals < 1:
        raise ValueError(f"--n-goals {config.n_goals} labels nothing: give at least 1 (or a --goals-file)")
    data = load_dataset(config.dataset)
    knowledge = knowledge_for(data.env_id)
    abstraction = goal_schema_for(data, config.modes, config.room_only)
    truth = None
    if config.goals_file:
        goals, canonical = read_goals(config.goals_file)
        if not goals:
            raise ValueError(f"{config.goals_file} lists no goals: write one goal text per line (# starts a comment)")
        repeated = sorted({g for g in goals if goals.count(g) > 1})
        if repeated:
            raise ValueError(f"{config.goals_file} lists {repeated} more than once: list each goal once")
    else:
        truth = load_ground_truth(config.dataset)
        goals = canonical = sample_goals(truth.goals, config.n_goals, config.seed, knowledge.goal_kind)
    canonical = [knowledge.parse_goal(g) for g in canonical]  # fail before any LLM call
    unseen = knowledge.unseen_actions(canonical, data.actions)
    if unseen:
        word, needing = next(iter(unseen.items()))
        raise ValueError(
            f"the data {config.dataset} never shows the action {word!r}, which {len(needing)} of the goals need "
            f"(e.g. {needing[0]!r}): collect with a behaviour policy that takes it (e.g. policy 'mixture'), or leave "
            "those goals out"
        )
    if config.goals_per_shard < 1:
        raise ValueError(f"goals_per_shard must be at least 1, got {config.goals_per_shard}")
    out = Path(config.out_dir)
    tables: dict[str, LabelTable] = {}
    paths: dict[str, str] = {}
    sampled: dict[str, list[dict[str, Any]]] = {"kinds": [], "overall": []}
    for mode in config.modes:
        labeler = config.labeler(mode)
        if mode == "judge" and config.judge_sample:
            truth = truth or load_ground_truth(config.dataset)
            sampled = sampled_judge_report(
                labeler, data, truth, canonical, abstraction, per_class=config.judge_sample, seed=config.seed
            )
            continue
        choices, choice_cost = labeler.timed_choices(abstraction, goals)
        n, size = len(goals), config.goals_per_shard
        shards = [range(i, min(i + size, n)) for i in range(0, n, size)]
        parts = out / f"labels_{mode}.parts"
        key = digest(mode, data.fingerprint(), json.dumps([list(goals), choices, _labelling(config)], default=str))
        per_shard = run_shards(
            _label_shard,
            (config, mode, data, list(goals), choices),
            shards,
            config.executor,
            store=ShardFiles(parts, key),
            desc=f"label ({mode})",
            progress=config.progress,
        )
        results = [goal for shard in per_shard for goal in shard]
        tables[mode] = labeler.table(data, goals, canonical, choices, results, choice_cost)
        paths[mode] = str(tables[mode].save(out / f"labels_{mode}.npz"))
        shutil.rmtree(parts, ignore_errors=True)  # merged into the table
    report = None
    if config.report:
        from teduo_gym.labeling.report import accuracy_report, schema_check, write_report

        truth = truth or load_ground_truth(config.dataset)
        report = accuracy_report(list(tables.values()), truth, knowledge.goal_kind)
        for key in ("kinds", "overall"):
            report[key] += sampled[key]
        if abstraction is not None:
            report["schema"] = schema_check(abstraction, data, truth, list(dict.fromkeys(canonical)))
            wrong = [r for r in report["schema"] if r["predicate_only"] or r["detector_only"]]
            if wrong:
                print(
                    f"warning: the goal schema of {data.env_id} disagrees with its ground-truth detector on "
                    f"{sum(r['predicate_only'] + r['detector_only'] for r in wrong)} transitions of {len(wrong)} goals "
                    f"(e.g. {wrong[0]['goal']!r}) under exact choices: fix its predicate or detector "
                    f"(per goal in {out / 'report.md'})",
                    file=sys.stderr,
                )
        write_report(report, out)
    (out / "label_config.json").write_text(json.dumps(asdict(config), indent=1, default=str))
    return {"tables": paths, "goals": list(goals), "report": report}


def _labelling(config: LabelConfig) -> dict[str, Any]:
    """What decides the labels: the settings and the model (not where they run, nor the shard size)."""
    decides = ("budget", "precision", "threshold", "seed", "room_only")
    return {"llm": asdict(config.llm), **{name: getattr(config, name) for name in decides}}


def _label_shard(
    shared: tuple[LabelConfig, Mode, TransitionDataset, list[str], list[dict[str, str]]], goals: Sequence[int]
) -> list[GoalLabels]:
    """One shard of goals on a worker: the labeller rebuilt from the config (the backend once per process)."""
    config, mode, data, texts, choices = shared
    abstraction = goal_schema_for(data, (mode,), config.room_only)
    labeler = config.labeler(mode)
    return labeler.label_goals(data, [texts[g] for g in goals], [choices[g] for g in goals], abstraction)
