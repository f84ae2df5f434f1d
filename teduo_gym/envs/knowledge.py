"""The environment-knowledge protocol: everything a stage of teduo-gym needs from one environment.

- :class:`EnvKnowledge` -- the protocol, as a small ABC: four members are required (``action_words``,
  :meth:`~EnvKnowledge.make_env`, :meth:`~EnvKnowledge.goals`, :meth:`~EnvKnowledge.symbolic_state`); the rest have
  generic defaults or raise :class:`MissingKnowledgeError` naming the member and the stage that needs it.
- :class:`Slot`, :class:`GoalSchema` -- the goal schema of compiled labelling: the constrained questions an LLM
  answers once per goal, and the code that applies the answers to stored states (abstraction, text, predicate).
- :class:`GoalSplit`, :class:`LayoutSplit` -- train / test goals (test goals reworded) and layouts (reset seeds).
- :class:`StateTracker` -- the symbolic state kept up to date step by step during collection.
- :class:`Benchmark` -- a published benchmark on the environment, in its own terms (BabyAI's: BALROG's five tasks).
- :class:`TextEpisodes`, :class:`ActionChoices` -- an environment played as text episodes (pages as states, text
  actions) by environments without symbolic states (WebShop): what ``teduo run``'s episode path needs.
- :class:`MissingKnowledgeError`, :class:`KnowledgeError` -- knowledge that cannot serve a stage.

A new environment is one subclass of :class:`EnvKnowledge`, written in the user's own code and registered with
:func:`teduo_gym.envs.register_knowledge` (or named on the command line as ``--env module:attr``).
"""

from __future__ import annotations

import difflib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import gymnasium as gym
import numpy as np

__all__ = [
    "ActionChoices",
    "Benchmark",
    "EnvKnowledge",
    "GoalSchema",
    "GoalSplit",
    "KnowledgeError",
    "LayoutSplit",
    "MissingKnowledgeError",
    "OPTIONAL",
    "OutcomeSchema",
    "Slot",
    "StateTracker",
    "TextEpisodes",
    "UnknownEnvironmentError",
]


class KnowledgeError(ValueError):
    """Knowledge of an environment that cannot serve what was asked of it."""


class UnknownEnvironmentError(KnowledgeError):
    """An environment id that no registered knowledge covers (the message lists what is registered)."""


class MissingKnowledgeError(KnowledgeError, NotImplementedError):
    """An optional member of :class:`EnvKnowledge` that a stage needs and the knowledge does not provide."""

    def __init__(self, knowledge: Any, member: str, stage: str):
        name = getattr(knowledge, "env_id", type(knowledge).__name__)
        super().__init__(
            f"the knowledge of {name!r} ({type(knowledge).__name__}) has no {member!r}, which {stage} needs: "
            f"implement EnvKnowledge.{member} in it, or choose a setting that does not need it"
        )
        self.member, self.stage = member, stage


@dataclass(frozen=True)
class Slot:
    """One constrained question about a goal, answered by choosing one of ``options`` (scored, never generated).

    Attributes:
        name: the key of the answer in a choice.
        question: the instruction line of the prompt.
        options: the possible answers (single words score best: no length bias).
        examples: few-shot ``(goal, answer)`` pairs shown before the goal.
        ask_if: ``(slot name, answers)``: ask only when an earlier slot got one of these answers, else ``default``.
        default: the answer when the slot is not asked.
        span: a regular expression whose first group is the part of the goal this slot reads (e.g. the words
            before "next to" for the object moved); the whole goal where it does not match.
        descriptions: option -> the words and phrases that name it, comma-separated (shown in the prompt and
            matched against the goal's words); ``""`` marks the answer when the goal names no other option (e.g.
            "any" colour). An option without a description is named by its own word.
        llm: whether the LLM's scores count; False reads the slot by the similarity prior alone (for numbers, and
            for vocabularies too large to score per goal).
        many: a set, not one answer: every option whose similarity to the goal reaches ``bar`` (an option named
            inside another chosen one, "blue" in "navy blue", is dropped), joined by ``"|"``; ``""`` for none. Sets
            are read by the similarity prior alone (a small model's scores over options pick one, not several).
        bar: the similarity from which a set takes an option.
    """

    name: str
    question: str
    options: tuple[str, ...]
    examples: tuple[tuple[str, str], ...] = ()
    ask_if: tuple[str, tuple[str, ...]] | None = None
    default: str = "none"
    span: str = ""
    descriptions: Mapping[str, str] = field(default_factory=dict, hash=False)
    llm: bool = True
    many: bool = False
    bar: float = 1.0

    def asked(self, answers: Mapping[str, str | None]) -> bool:
        """Whether the slot is asked, given the earlier slots' ``answers`` (:attr:`ask_if`); else it takes ``default``.

        Example:
            >>> target = Slot("target", "Next to?", ("ball", "box"), ask_if=("kind", ("put",)))
            >>> target.asked({"kind": "put"}), target.asked({"kind": "go"})
            (True, False)
        """
        return self.ask_if is None or answers.get(self.ask_if[0]) in self.ask_if[1]

    def read(self, goal: str) -> str:
        """The part of ``goal`` this slot reads (:attr:`span`).

        Example:
            >>> Slot("target", "Which?", ("ball", "box"), span=r"next to (.+)$").read("put a box next to a ball")
            'a ball'
        """
        found = re.search(self.span, goal, flags=re.IGNORECASE) if self.span else None
        return found.group(1).strip() if found else goal

    def prompt(self, goal: str) -> str:
        """The few-shot prompt for ``goal``; an answer continues it after ``"Answer:"``. Goals (examples included)
        are cut to the slot's :attr:`span`; options with :attr:`descriptions` are listed one per line.

        Example:
            >>> print(Slot("colour", "Which colour?", ("red", "blue"), (("go to the red ball", "red"),)).prompt("x"))
            Which colour? Answer with one of: red, blue.
            Goal: go to the red ball
            Answer: red
            Goal: x
            Answer:
        """
        shots = "".join(f"Goal: {self.read(g)}\nAnswer: {a}\n" for g, a in self.examples)
        if self.descriptions:
            lines = "".join(f"\n- {o}: {self.descriptions.get(o, o) or 'none of the others'}" for o in self.options)
            head = f"{self.question} Answer with one of these words:{lines}"
        else:
            head = f"{self.question} Answer with one of: {', '.join(self.options)}."
        return f"{head}\n{shots}Goal: {self.read(goal)}\nAnswer:"


class GoalSchema(Protocol):
    """The goal schema of compiled labelling, and the goal-conditioned abstraction built on it.

    An LLM fills the :attr:`slots` once per goal (a *choice*: slot name -> answer); fixed code then abstracts,
    describes and checks every stored state under that choice. States are flat uint8 vectors of the dataset's
    layout.
    """

    @property
    def slots(self) -> Sequence[Slot | Mapping[str, Any]]:
        """The questions of a choice, as :class:`Slot` or mappings of its fields (an attribute is fine)."""
        ...

    def canonical_goal(self, text: str) -> str:
        """The canonical text of a goal of the environment's grammar; raises ``UnknownGoalError`` otherwise."""
        ...

    def goal_kind(self, text: str) -> str:
        """The kind of a canonical goal, for per-kind reports."""
        ...

    def oracle_choice(self, text: str) -> dict[str, str]:
        """The exact choice for a canonical goal (what a perfect LLM answers)."""
        ...

    def abstract(self, states: np.ndarray, choice: Mapping[str, str]) -> np.ndarray:
        """``(n, D)`` raw states -> ``(n, D')`` uint8 abstract states."""
        ...

    def describe(self, vectors: np.ndarray, choice: Mapping[str, str]) -> list[str]:
        """One text per abstract state."""
        ...

    def achieved(
        self, choice: Mapping[str, str], states: np.ndarray, actions: np.ndarray, src: np.ndarray, dst: np.ndarray
    ) -> np.ndarray:
        """The compiled predicate: ``(T,)`` booleans, which transitions achieve the chosen goal. Transitions come
        in episode order, as :class:`~teduo_gym.datasets.TransitionDataset` stores them (a predicate may read the
        episode's history, as BabyAI's go-to does: minigrid's verifier keeps positions it recorded earlier)."""
        ...

    def features(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Network inputs of abstract states: a grid ``(n, C, W, H)`` and a vector ``(n, E)``, float32."""
        ...


@dataclass
class GoalSplit:
    """Training goals and held-out test goals.

    Attributes:
        train: canonical goal texts to train on.
        test: goal texts to test on (reworded where the environment can paraphrase); none appears in ``train``.
        canonical: each test text -> its canonical goal text (give it as ``aliases`` to the detector).
    """

    train: list[str]
    test: list[str]
    canonical: dict[str, str] = field(default_factory=dict)


@dataclass
class LayoutSplit:
    """Reset seeds of training and test layouts; no test layout equals a training layout."""

    train: list[int]
    test: list[int]


@dataclass(frozen=True)
class Benchmark:
    """A published benchmark on the environment, in the benchmark's own terms (BabyAI's: BALROG's five tasks as
    text): its tasks, each an environment whose ``obs["text"]`` is the benchmark's, and the action names and prompt
    its LLM agents use. :mod:`teduo_gym.evaluation.balrog` plays and scores agents on it.

    Example:
        >>> from teduo_gym.envs import knowledge_for
        >>> balrog = knowledge_for("BabyAI-GoToLocal-v0").benchmark("balrog")
        >>> list(balrog.tasks)[:2], balrog.action_words[:2]
        (['goto', 'pickup'], ('turn left', 'turn right'))
    """

    #: the benchmark's name.
    name: str
    #: task name -> a readable kind, in the benchmark's order.
    tasks: Mapping[str, str]
    #: ``make_env(task, max_steps=None)``: the task's environment (``max_steps`` None: the task's own time limit);
    #: an unknown task is a ``ValueError`` naming the tasks.
    make_env: Callable[..., gym.Env]
    #: the benchmark's action names, indexed by action.
    action_words: tuple[str, ...]
    #: the benchmark's prompt for LLM agents (``{actions}``, ``{goal}``, ``{state}``).
    template: str


@dataclass(frozen=True)
class ActionChoices:
    """The text actions an agent may take on one observation: one of ``candidates``, or, when there are none, an
    open action ``prefix + text + suffix`` whose text the agent writes (e.g. WebShop's ``search[`` query ``]``).

    Example:
        >>> ActionChoices(("click[b01]", "click[buy now]")).candidates[1], ActionChoices(prefix="search[").prefix
        ('click[buy now]', 'search[')
    """

    #: the complete actions to choose among.
    candidates: tuple[str, ...] = ()
    #: the start of the open action (used when ``candidates`` is empty).
    prefix: str = ""
    #: the end of the open action (where the agent's text stops).
    suffix: str = ""

    def open(self, text: str) -> str:
        """The open action with ``text``.

        Example:
            >>> ActionChoices(prefix="search[", suffix="]").open("red mug")
            'search[red mug]'
        """
        return f"{self.prefix}{text}{self.suffix}"


class OutcomeSchema(Protocol):
    """The goal schema of compiled outcome labels, for text episodes: an LLM reads each instruction once into the
    :attr:`slots` (a *choice*: slot name -> answer, read by :func:`teduo_gym.labeling.choose`); fixed code then
    rewards any outcome under that choice, as the environment's own reward checks it.
    """

    @property
    def slots(self) -> Sequence[Slot]:
        """The questions of a choice."""
        ...

    def reward(self, choice: Mapping[str, str], outcome: Mapping[str, Any]) -> dict[str, float]:
        """The reward of ``outcome`` under ``choice`` (``"total"``, in [0, 1]) and its parts."""
        ...

    def oracle_choice(self, goal_index: int) -> dict[str, str] | None:
        """The exact choice of a goal where the environment knows it (to measure readings), else None."""
        ...


class TextEpisodes(Protocol):
    """An environment played as text episodes, for environments whose knowledge has no symbolic state: each
    observation is read as a text (a web page), actions are texts (:class:`ActionChoices`), goals are instructions
    known by an index, and an episode ends with an *outcome* (a JSON object, e.g. what was bought) that an LLM
    judges against goals. :meth:`EnvKnowledge.text_episodes` gives it; ``teduo run`` enters it for the run's
    duration (a local server may start there) and plays every episode through it.
    """

    #: the fine-tuned agent's prompt: ``{goal}`` and ``{state}``, ending with "Action:".
    act_template: str
    #: the prompted baseline's prompt (same fields; may explain the actions and show a worked episode).
    baseline_template: str
    #: what the judge reads before each criterion's question: ``{goal}`` and ``{outcome}``.
    judge_template: str
    #: ``(outcome, goal index) -> the environment's true reward`` where the environment can tell (reports only,
    #: never learning), else None; set once entered.
    truth: Callable[[Mapping[str, Any], int], float] | None
    #: the goal schema of compiled outcome labels (``label_mode="compiled"``), or None; set once entered.
    outcome_schema: OutcomeSchema | None

    @property
    def criteria(self) -> Mapping[str, str]:
        """Criterion -> its yes/no question; the judge answers each for an outcome and a goal."""
        ...

    def __enter__(self) -> TextEpisodes: ...

    def __exit__(self, *exc: object) -> None: ...

    def goal_split(self) -> tuple[list[int], list[int]]:
        """The indices of the training goals and of the held-out test goals."""
        ...

    def instructions(self, indices: Sequence[int]) -> dict[int, str]:
        """Goal index -> its instruction."""
        ...

    def reset(self, goal_index: int) -> Any:
        """Start an episode on goal ``goal_index``: its first observation."""
        ...

    def step(self, action: str) -> tuple[Any, float, bool, Mapping[str, Any] | None]:
        """``(observation, reward, done, outcome)`` of one action; ``outcome`` is None until the episode ends with
        one; ``reward`` is the environment's (reports only)."""
        ...

    def instruction(self, observation: Any) -> str:
        """The instruction of the episode an observation belongs to."""
        ...

    def state_text(self, observation: Any) -> str:
        """What an agent reads of an observation (and what an episode records as its state)."""
        ...

    def choices(self, observation: Any) -> ActionChoices:
        """The actions allowed on an observation."""
        ...

    def outcome_text(self, outcome: Mapping[str, Any]) -> str:
        """What the judge reads of an outcome (``{outcome}`` of :attr:`judge_template`)."""
        ...

    def outcome_words(self, outcome: Mapping[str, Any]) -> str:
        """The words of an outcome that hindsight compares with other goals' instructions."""
        ...

    def combine(self, parts: Mapping[str, float]) -> float:
        """The reward of an outcome for a goal from the judge's ``p(yes)`` per criterion."""
        ...

    def behaviour_texts(self, llm: Any, instructions: Sequence[str]) -> list[str]:
        """The text of the behaviour policy's open actions for each instruction (e.g. a search query), written by
        ``llm`` (an LLM backend with ``generate``)."""
        ...

    def scripted_action(self, observation: Any, choice: Mapping[str, str]) -> str | None:
        """A scripted player's action that follows an instruction's reading (a choice of :attr:`outcome_schema`),
        for the behaviour policy's mixture; None where it has none for the page (the random choice is taken)."""
        ...


class StateTracker:
    """The symbolic state of a live environment, step by step (what collection stores).

    This default recomputes :meth:`EnvKnowledge.symbolic_state` after every step; knowledge whose states are large
    can return a faster tracker that updates only what an action changes.

    Example:
        >>> import gymnasium as gym
        >>> env = gym.make("FrozenLake-v1"); _ = env.reset(seed=0)
        >>> tracker = StateTracker(env, lambda e: np.array([e.unwrapped.s], np.uint8))
        >>> tracker.reset().tolist()
        [0]
    """

    def __init__(self, env: gym.Env, symbolic_state: Callable[[gym.Env], np.ndarray]):
        self.env, self.symbolic_state = env, symbolic_state

    def reset(self) -> np.ndarray:
        """The state right after ``env.reset``."""
        return np.asarray(self.symbolic_state(self.env), np.uint8).copy()

    def before_step(self) -> None:
        """Called just before ``env.step``."""

    def after_step(self) -> np.ndarray:
        """The state right after ``env.step``."""
        return self.reset()


class EnvKnowledge(ABC):
    """Everything the stages of teduo-gym need from one environment.

    Subclass it for a new environment: set :attr:`action_words` and implement :meth:`make_env`, :meth:`goals` and
    :meth:`symbolic_state`; override the other members where the generic default does not fit (goal kinds,
    reworded test goals, layouts, feasibility, the goal schema of compiled labelling, an expert behaviour policy).
    Then register it: ``teduo_gym.envs.register_knowledge("MyEnv-*", "my_package.knowledge:MyKnowledge")``.

    A knowledge object serves one environment id (:attr:`env_id`); a registered class or factory is called with
    the id it was matched for.

    Example:
        >>> from teduo_gym.envs import knowledge_for
        >>> k = knowledge_for("BabyAI-GoToLocal-v0")
        >>> k.action_words[:3], k.goal_kind(k.parse_goal("go to the red ball"))
        (('left', 'right', 'forward'), 'go to')
    """

    #: one word per discrete action, indexed by action (what an LLM agent scores).
    action_words: tuple[str, ...] = ()
    #: named describers ``(env, observation) -> str`` of the full state.
    describers: Mapping[str, Callable[[Any, Any], str]] = {}
    #: the key of :attr:`describers` used unless one is chosen.
    default_describer: str = ""
    #: the key of :attr:`describers` whose texts a collected dataset stores (empty: :attr:`default_describer`).
    dataset_describer: str = ""
    #: the kinds of goal, in report order (one kind, ``"goal"``, unless the environment has several).
    goal_kinds: tuple[str, ...] = ("goal",)
    #: the action words a goal of each kind cannot be reached without (e.g. BabyAI's "open" needs "toggle"): data
    #: that never shows one cannot teach that kind, and labelling refuses it before any LLM call.
    goal_actions: Mapping[str, tuple[str, ...]] = {}

    def __init__(self, env_id: str | None = None):
        self.env_id = env_id or type(self).__name__
        if not self.action_words:
            raise KnowledgeError(f"{type(self).__name__} sets no action_words: give one word per discrete action")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.env_id!r})"

    # -- the environment --------------------------------------------------------------------------------------

    @abstractmethod
    def make_env(
        self,
        goals: Sequence[str] | None = None,
        *,
        aliases: Mapping[str, str] | None = None,
        goal_sampler: Any = "uniform",
        max_steps: int | None = None,
    ) -> gym.Env:
        """The environment as a :class:`~teduo_gym.wrappers.LanguageGoalWrapper` over ``goals`` (default: every
        goal of :meth:`goals`): Dict observations with ``achieved_goal`` from a ground-truth detector (or an LLM
        judge where none exists), the goal of an episode given by ``reset(options={"goal": ...})`` or drawn by
        ``goal_sampler`` (``"uniform"`` or any ``GoalSampler``), reworded goals detected through ``aliases``."""

    # -- the goal space ---------------------------------------------------------------------------------------

    @abstractmethod
    def goals(self, kinds: Sequence[str] | None = None) -> list[str]:
        """Every canonical goal of the environment (of the given kinds), in a fixed order."""

    def parse_goal(self, text: str) -> str:
        """The canonical text of ``text``; an unknown goal is a :class:`KnowledgeError` naming the nearest ones.

        The default accepts exactly the texts of :meth:`goals` (case and spaces normalised).
        """
        normal = " ".join(text.lower().split())
        known = self.goals()
        if normal in known:
            return normal
        close = difflib.get_close_matches(normal, known, n=3, cutoff=0.5)
        raise KnowledgeError(f"{text!r} is not a goal of {self.env_id}" + (f"; did you mean {close}?" if close else ""))

    def goal_kind(self, goal: str) -> str:
        """The kind of a canonical goal (one of :attr:`goal_kinds`)."""
        return self.goal_kinds[0]

    def paraphrase(self, goal: str, rng: np.random.Generator) -> str:
        """A rewording of a canonical goal for held-out test goals (default: the goal itself)."""
        return goal

    def unseen_actions(self, goals: Sequence[str], actions: np.ndarray) -> dict[str, list[str]]:
        """The action words that canonical ``goals`` need (by kind, :attr:`goal_actions`) and ``actions`` (the
        data's action indices) never show, each with the goals that need it.

        Example:
            >>> from teduo_gym.envs import knowledge_for
            >>> knowledge_for("BabyAI-GoToLocal-v0").unseen_actions(["open the red door"], np.array([0, 2, 3]))
            {'toggle': ['open the red door']}
        """
        seen = {self.action_words[int(a)] for a in np.unique(actions)}
        unseen: dict[str, list[str]] = {}
        for goal in goals:
            for word in self.goal_actions.get(self.goal_kind(goal), ()):
                if word not in seen:
                    unseen.setdefault(word, []).append(goal)
        return unseen

    def goal_split(
        self, goals: Sequence[str], n_train: int, n_test: int, seed: int = 0, balanced: bool = True
    ) -> GoalSplit:
        """``n_train`` training goals and ``n_test`` held-out goals (reworded by :meth:`paraphrase`), disjoint,
        drawn from ``goals`` with ``numpy.random.default_rng(seed)``, balanced over goal kinds (round robin) unless
        ``balanced`` is False (an override may default to its own draw; ``RunConfig.balance_kinds`` asks for
        ``balanced=True``).

        Raises:
            KnowledgeError: fewer than ``n_train + n_test`` goals to draw from.
        """
        goals = list(dict.fromkeys(goals))
        if n_train + n_test > len(goals):
            raise KnowledgeError(
                f"{n_train} training + {n_test} test goals asked of {self.env_id}, which has {len(goals)}: ask fewer"
            )
        rng = np.random.default_rng(seed)
        by_kind: dict[str, list[str]] = {}
        for g in goals:
            by_kind.setdefault(self.goal_kind(g) if balanced else "", []).append(g)
        queues = [list(rng.permutation(v)) for _, v in sorted(by_kind.items())]
        order: list[str] = []
        while any(queues):  # round robin over kinds: a small split is not all of the commonest kind
            for q in queues:
                if q:
                    order.append(str(q.pop()))
        train, held = order[:n_train], order[n_train : n_train + n_test]
        test = [self.paraphrase(g, rng) for g in held]
        return GoalSplit(sorted(train), test, dict(zip(test, held)))

    # -- layouts ----------------------------------------------------------------------------------------------

    def layout_seeds(self, n_train: int, n_test: int, seed: int = 0) -> LayoutSplit:
        """Reset seeds of ``n_train`` training and ``n_test`` held-out layouts (default: distinct seeds drawn from
        ``numpy.random.default_rng(seed)``; override where two seeds can give the same layout)."""
        seeds = np.random.default_rng(seed).choice(2**31 - 1, size=n_train + n_test, replace=False)
        return LayoutSplit([int(s) for s in seeds[:n_train]], [int(s) for s in seeds[n_train:]])

    def feasible_goals(self, env: gym.Env, goals: Sequence[str]) -> np.ndarray:
        """Indices of the ``goals`` (canonical) that can be achieved in ``env``'s current layout (default: all)."""
        return np.arange(len(goals))

    def feasible_by_layout(
        self, layouts: Sequence[int], goals: Sequence[str], canonical: Sequence[str] | None = None
    ) -> dict[int, list[str]]:
        """Each layout (a reset seed) -> the ``goals`` feasible in it (:meth:`feasible_goals`), in their order.

        The default resets one :meth:`make_env` over the canonical goals to each layout; override it where a bare
        environment finds the layouts faster.

        Example:
            >>> from teduo_gym.envs import knowledge_for
            >>> knowledge = knowledge_for("BabyAI-GoToLocal-v0")
            >>> knowledge.feasible_by_layout([1, 2], ["go to a ball", "reach the purple key"],
            ...                              ["go to a ball", "go to the purple key"])
            {1: ['go to a ball'], 2: ['go to a ball', 'reach the purple key']}

        Args:
            layouts: the reset seeds.
            goals: the goal texts returned.
            canonical: the canonical text of each goal, when ``goals`` are reworded (default: ``goals``).
        """
        checked = list(goals if canonical is None else canonical)
        if not checked:
            return {int(layout): [] for layout in layouts}
        env = self.make_env(list(dict.fromkeys(checked)), goal_sampler="uniform")
        found: dict[int, list[str]] = {}
        try:
            for layout in layouts:
                env.reset(seed=int(layout), options={"goal": checked[0]})
                found[int(layout)] = [goals[i] for i in self.feasible_goals(env, checked)]
        finally:
            env.close()
        return found

    # -- states -----------------------------------------------------------------------------------------------

    @abstractmethod
    def symbolic_state(self, env: gym.Env) -> np.ndarray:
        """The full state of a live environment as the flat uint8 vector a dataset stores."""

    def state_layout(self, env: gym.Env) -> dict[str, Any]:
        """The JSON description of :meth:`symbolic_state`'s vectors, with a ``"kind"`` naming the format."""
        return {"kind": f"{self.env_id}/symbolic", "size": int(np.asarray(self.symbolic_state(env)).size)}

    def state_key(self, env: gym.Env) -> Hashable:
        """A fingerprint of what an action can change (equal before and after an invalid action)."""
        return np.asarray(self.symbolic_state(env)).tobytes()

    def state_tracker(self, env: gym.Env) -> StateTracker:
        """Keeps :meth:`symbolic_state` up to date during collection (override for a faster incremental one)."""
        return StateTracker(env, self.symbolic_state)

    def describe_states(self, states: np.ndarray, describer: str) -> list[str]:
        """The text of each stored state vector (``(n, D)`` uint8, as :meth:`symbolic_state` gives them) under the
        named describer (a key of :attr:`describers`): what an agent reading that describer saw in those states,
        for datasets whose stored texts came from another describer."""
        raise MissingKnowledgeError(self, "describe_states", "texts of stored states under another describer")

    # -- compiled labelling and abstraction -------------------------------------------------------------------

    def goal_schema(self, layout: Mapping[str, Any], **options: Any) -> GoalSchema:
        """The goal schema and abstraction for states of ``layout`` (compiled labelling, abstract text)."""
        raise MissingKnowledgeError(self, "goal_schema", "compiled labelling and abstract state text")

    # -- behaviour ---------------------------------------------------------------------------------------------

    def expert_policy(self, env: gym.Env | Sequence[gym.Env]) -> Any:
        """An expert behaviour policy acting in ``env`` (such as the BabyAI bot): an object with SB3's
        ``predict(observation, state, episode_start, deterministic)`` that pursues ``env``'s current goal. Given a
        sequence of environments, it acts on a batch: entry ``i`` in ``env[i]``.

        Collection mixes it with random actions (``policy="mixture"``); without one, only ``"random"`` (or a
        trained SB3 model) can collect.
        """
        raise MissingKnowledgeError(self, "expert_policy", "collection with policy 'expert' or 'mixture'")

    # -- text episodes ---------------------------------------------------------------------------------------

    def text_episodes(self, seed: int = 0, **options: Any) -> TextEpisodes:
        """The environment as :class:`TextEpisodes`, for environments without symbolic states: ``teduo run``
        takes its episode path (text episodes, judge labels of their outcomes with hindsight goals, filtered BC,
        free-text fine-tuning) where the knowledge provides it. ``seed`` seeds what the environment draws;
        ``options`` are the environment's own (``RunConfig.env_options``, e.g. how much of a page an agent reads)."""
        raise MissingKnowledgeError(self, "text_episodes", "the episode path of teduo run")

    # -- benchmarks --------------------------------------------------------------------------------------------

    def benchmark(self, name: str) -> Benchmark:
        """The published benchmark ``name`` on this environment (BabyAI's ``"balrog"``), in its own terms."""
        raise MissingKnowledgeError(self, "benchmark", f"the {name!r} benchmark")

    # -- checks ------------------------------------------------------------------------------------------------

    def provides(self, member: str) -> bool:
        """Whether this knowledge implements the optional ``member`` (one of :data:`OPTIONAL`).

        Example:
            >>> from teduo_gym.envs import knowledge_for
            >>> knowledge_for("BabyAI-GoToLocal-v0").provides("expert_policy")
            True
        """
        return getattr(type(self), member) is not getattr(EnvKnowledge, member)

    def check(self, *members: str, stage: str) -> None:
        """Raise :class:`MissingKnowledgeError` for the first optional member that ``stage`` needs and this
        knowledge does not implement, before the stage spends any work.

        Example:
            >>> from teduo_gym.envs import knowledge_for
            >>> knowledge_for("BabyAI-GoToLocal-v0").check("goal_schema", "expert_policy", stage="collect")
        """
        for member in members:
            if member in OPTIONAL and not self.provides(member):
                raise MissingKnowledgeError(self, member, stage)


#: The members of :class:`EnvKnowledge` without a generic default: a stage that needs one checks for it first.
OPTIONAL: tuple[str, ...] = ("goal_schema", "expert_policy", "describe_states", "benchmark", "text_episodes")
