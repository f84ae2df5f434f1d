"""An LLM as a policy, with Stable-Baselines3's ``predict`` protocol.

- :class:`LLMAgent` -- builds a prompt from the goal and the state's text and picks among the environment's
  action words by their likelihood under the LLM, so it never emits an unusable action.
- :class:`AgentConfig` -- what it needs besides its model (saved as :data:`AGENT_CONFIG_FILE`), and
  :func:`save_agent`, which writes a model, its tokenizer and that file.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from teduo_gym.core.io import write_json
from teduo_gym.core.observation import batch_size, find_key, unbatch
from teduo_gym.envs import EnvKnowledge, UnknownEnvironmentError, knowledge_for
from teduo_gym.llm.base import LLMBackend
from teduo_gym.wrappers.text_observation import Describer

__all__ = ["AgentConfig", "LLMAgent", "AGENT_CONFIG_FILE", "COMPACT_TEMPLATE", "DEFAULT_TEMPLATE", "save_agent"]

#: The file that :meth:`LLMAgent.save_pretrained` writes beside the model.
AGENT_CONFIG_FILE = "teduo_agent.json"

#: The prompt; ``{actions}``, ``{goal}`` and ``{state}`` are filled in. It ends where the action word follows.
DEFAULT_TEMPLATE = "Possible actions: {actions}.\nGoal: {goal}\nObservation:\n{state}\nAction:"
#: A shorter prompt for fine-tuned agents, which learn the action words (about 30% fewer tokens than the default).
COMPACT_TEMPLATE = "Goal: {goal}\n{state}\nAction:"


@dataclass(frozen=True)
class AgentConfig:
    """What an :class:`LLMAgent` needs besides its model; saved as ``teduo_agent.json``.

    Example:
        >>> AgentConfig(("left", "right")).prompt("go to the red ball", "a red ball 1 step left").splitlines()[0]
        'Possible actions: left, right.'
    """

    #: the environment's actions as words; action ``i`` is ``action_words[i]`` (empty for a model fine-tuned on
    #: free-text actions, such as WebShop's ``click[...]``, which is no :class:`LLMAgent`).
    action_words: tuple[str, ...]
    #: the prompt template (see :data:`DEFAULT_TEMPLATE`).
    template: str = DEFAULT_TEMPLATE
    #: whether the model's chat template wraps the prompt.
    chat: bool = False

    def prompt(self, goal: str, state: str) -> str:
        """The prompt for one (goal, state text) pair."""
        return self.template.format(actions=", ".join(self.action_words), goal=goal, state=state)


def save_agent(path: str | Path, model: Any, tokenizer: Any, config: AgentConfig) -> Path:
    """Save a model (or adapter), its tokenizer and ``config`` (as :data:`AGENT_CONFIG_FILE`) to ``path``: what
    :meth:`LLMAgent.from_pretrained` loads.

    Example:
        >>> out = save_agent(tmp, model, tokenizer, AgentConfig(("left", "right")))  # doctest: +SKIP
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    write_json(path / AGENT_CONFIG_FILE, asdict(config), indent=2)
    return path


class LLMAgent:
    """A language-conditioned policy: ``argmax_a log p_LLM(action word a | goal, state text)``.

    Scoring the action words instead of parsing generated text follows GLAM (Carta et al., 2023, "Grounding
    Large Language Models in Interactive Environments with Online RL"); acting from a goal and an abstract
    state text is TEDUO's distilled policy (Pouplin et al., ICML 2025). When every action word is a single
    token, one forward pass per observation scores all actions. Scores are cached per prompt, so repeated
    states cost nothing.

    ``predict`` follows Stable-Baselines3's ``PolicyPredictor`` protocol and accepts one observation or a batch
    from a vectorised environment. The goal is read from ``desired_goal`` (decoded with ``goals``) or from a
    ``mission`` text; the state text from a ``text`` entry or, when there is none (numeric observations in SB3
    loops), from ``describer(None, observation)``.

    Example:
        >>> from teduo_gym.agents import LLMAgent
        >>> from teduo_gym.llm import TransformersBackend
        >>> agent = LLMAgent(TransformersBackend(), ["left", "right", "forward"])  # doctest: +SKIP
        >>> agent.predict({"mission": "go to the red ball", "text": "a red ball 1 step forward"})  # doctest: +SKIP
        (array(2), None)

    Args:
        backend: the LLM.
        action_words: the environment's actions as words; action ``i`` is ``action_words[i]``.
        goals: the goal vocabulary of a :class:`~teduo_gym.wrappers.LanguageGoalWrapper`, to decode
            ``desired_goal`` vectors.
        describer: turns a numeric observation into text when the observation carries none.
        template: the prompt template, with ``{actions}``, ``{goal}`` and ``{state}``.
        seed: seeds the sampling of actions when ``deterministic=False``.
        cache_size: how many prompts' scores to keep.
    """

    def __init__(
        self,
        backend: LLMBackend,
        action_words: Sequence[str],
        *,
        goals: Sequence[str] | None = None,
        describer: Describer | None = None,
        template: str = DEFAULT_TEMPLATE,
        seed: int | None = None,
        cache_size: int = 4096,
    ):
        if not action_words:
            raise ValueError("action_words is empty: give the environment's actions as words")
        for field in ("{goal}", "{state}"):
            if field not in template:
                raise ValueError(f"template must contain {field}: got {template!r}")
        self.backend = backend
        self.config = AgentConfig(tuple(action_words), template, bool(getattr(backend, "chat", False)))
        self.goals = tuple(goals) if goals is not None else None
        self.describer = describer
        self.seed(seed)
        # Continuations of a prompt that ends with "Action:"; a chat reply starts without a space.
        self.candidates = [w if self.config.chat else " " + w for w in self.config.action_words]
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    @classmethod
    def for_env(
        cls,
        env: Any,
        backend: LLMBackend | None = None,
        *,
        knowledge: EnvKnowledge | str | None = None,
        **kwargs: Any,
    ) -> LLMAgent:
        """An agent for ``env`` (a Gymnasium env or SB3 VecEnv): action words and describer from the environment's
        knowledge, goals from the environment.

        ``backend`` defaults to the embedded SmolLM2 (:class:`~teduo_gym.llm.TransformersBackend`). ``knowledge``
        (an :class:`~teduo_gym.envs.EnvKnowledge` or its id, ``"module:attr"`` included) defaults to the knowledge
        registered for the environment's gymnasium id.

        Example:
            >>> class Scores:  # stands for an LLM
            ...     def score(self, prompts, candidates):
            ...         return [[0.0] * len(candidates) for _ in prompts]
            >>> from teduo_gym.envs import knowledge_for
            >>> env = knowledge_for("BabyAI-GoToLocal-v0").make_env(["go to a ball"])
            >>> LLMAgent.for_env(env, Scores()).config.action_words[:2]
            ('left', 'right')

        Raises:
            UnknownEnvironmentError: no knowledge given and none registered for the environment's id.
            ValueError: no knowledge given and the environment has no gymnasium id.
        """
        if knowledge is None:
            env_id = _env_id(env)
            try:
                knowledge = knowledge_for(env_id)
            except UnknownEnvironmentError as err:
                raise UnknownEnvironmentError(f"{err}; or give LLMAgent.for_env(env, knowledge=...)") from err
        elif isinstance(knowledge, str):
            knowledge = knowledge_for(knowledge)
        if backend is None:
            from teduo_gym.llm import TransformersBackend  # torch and transformers, only when no backend is given

            backend = TransformersBackend()
        if "goals" not in kwargs:
            kwargs["goals"] = _env_attr(env, "goals")
        kwargs.setdefault("describer", knowledge.describers.get(knowledge.default_describer))
        return cls(backend, knowledge.action_words, **kwargs)

    def prompt(self, goal: str, state: str) -> str:
        """The prompt for one (goal, state text) pair."""
        return self.config.prompt(goal, state)

    def action_logprobs(self, goals: Sequence[str], states: Sequence[str]) -> np.ndarray:
        """Log-probabilities of each action word, normalised over the actions: shape ``(n, n_actions)``."""
        prompts = [self.prompt(g, s) for g, s in zip(goals, states)]
        rows = {p: self._cache[p] for p in prompts if p in self._cache}
        missing = [p for p in dict.fromkeys(prompts) if p not in rows]
        if missing:
            scores = np.asarray(self.backend.score(missing, self.candidates), dtype=np.float64)
            rows.update({p: row - np.logaddexp.reduce(row) for p, row in zip(missing, scores)})
        if self._cache_size:
            for p in dict.fromkeys(prompts):
                self._cache[p] = rows[p]
                self._cache.move_to_end(p)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return np.stack([rows[p] for p in prompts])

    def act(self, goals: Sequence[str], states: Sequence[str], deterministic: bool = True) -> np.ndarray:
        """Action indices for a batch of (goal, state text) pairs."""
        logp = self.action_logprobs(goals, states)
        if deterministic:
            return logp.argmax(axis=1)
        probs = np.exp(logp)
        return np.array([self.rng.choice(len(row), p=row / row.sum()) for row in probs])

    def seed(self, seed: int | None) -> None:
        """Restart the random stream at ``seed`` (evaluation reseeds every shard of episodes, so results do not depend
        on which worker plays which episodes)."""
        self.rng = np.random.default_rng(seed)

    def predict(
        self,
        observation: Any,
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
        """Stable-Baselines3's ``PolicyPredictor.predict``: actions for one observation or a batch."""
        n = batch_size(observation)
        singles = [observation] if n is None else unbatch(observation, n)
        goals = [self._goal(o) for o in singles]
        states = [self._state(o) for o in singles]
        actions = self.act(goals, states, deterministic)
        return (actions[0] if n is None else actions), state

    def _goal(self, observation: Any) -> str:
        desired = find_key(observation, "desired_goal")
        if desired is not None:
            if self.goals is None:
                raise ValueError(
                    "the observation has a desired_goal vector but the agent has no goal vocabulary: "
                    "pass goals=env.goals (or build the agent with LLMAgent.for_env(env))"
                )
            return self.goals[int(np.argmax(desired))]
        mission = find_key(observation, "mission")
        if mission is None:
            raise ValueError("the observation holds no goal: neither 'desired_goal' nor 'mission'")
        return str(mission)

    def _state(self, observation: Any) -> str:
        text = find_key(observation, "text")
        if text is not None:
            return str(text)
        if self.describer is None:
            raise ValueError(
                "the observation holds no 'text' and the agent has no describer: wrap the environment in "
                "TextObservationWrapper or pass describer=..."
            )
        return self.describer(None, observation)

    def save_pretrained(self, path: str | Path) -> Path:
        """Save the model (or adapter), its tokenizer and ``teduo_agent.json`` to ``path``."""
        model, tokenizer = getattr(self.backend, "model", None), getattr(self.backend, "tokenizer", None)
        if model is None or tokenizer is None:
            raise TypeError(f"{type(self.backend).__name__} holds no local model to save")
        return save_agent(path, model, tokenizer, self.config)

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        *,
        action_words: Sequence[str] | None = None,
        template: str | None = None,
        **kwargs: Any,
    ) -> LLMAgent:
        """Load an agent saved by :meth:`save_pretrained` or :func:`~teduo_gym.finetune.finetune` (a full model or a
        LoRA adapter directory).

        ``action_words`` must be the saved ones when the agent has them (action ``i`` is word ``i``); it is needed for
        a plain Hugging Face model directory without ``teduo_agent.json``, or a model fine-tuned on free-text
        actions. ``template`` replaces the saved prompt template. Other keyword arguments go to :class:`LLMAgent`.

        Example:
            >>> agent = LLMAgent.from_pretrained("runs/x/agent-1", goals=["go to a ball"])  # doctest: +SKIP

        Raises:
            FileNotFoundError: no ``teduo_agent.json`` and no ``action_words``.
            ValueError: ``action_words`` other than the saved ones, or none for a free-text model.
        """
        from teduo_gym.llm import TransformersBackend  # torch and transformers, only when loading a model

        path = Path(path)
        config_file = path / AGENT_CONFIG_FILE
        if config_file.exists():
            try:
                saved = json.loads(config_file.read_text())
                config = AgentConfig(
                    tuple(saved["action_words"]),
                    saved.get("template", DEFAULT_TEMPLATE),
                    saved.get("chat", False),
                )
            except (ValueError, KeyError, TypeError) as err:
                raise ValueError(f"{config_file} is not a valid agent config ({err}); re-save the agent") from err
        elif action_words is not None:
            config = AgentConfig(())
        else:
            raise FileNotFoundError(
                f"{path} holds no {AGENT_CONFIG_FILE}: it is not a saved LLMAgent. Pass action_words=... to "
                "load a plain Hugging Face model directory as an agent."
            )
        words = config.action_words
        if action_words is not None:
            if words and tuple(action_words) != words:
                raise ValueError(
                    f"action_words {list(action_words)} differ from the {list(words)} that {path} was saved with "
                    "(action i is word i): leave action_words out to use the saved ones"
                )
            words = tuple(action_words)
        if not words:
            raise ValueError(
                f"{path} was fine-tuned on free-text actions (it has no action words): give action_words=... (one "
                "per action, in the environment's order), or load its model with TransformersBackend"
            )
        backend = TransformersBackend(path, chat=config.chat)
        return cls(backend, words, template=template or config.template, **kwargs)


def _env_attr(env: Any, name: str) -> Any:
    if hasattr(env, "get_attr"):  # an SB3 VecEnv
        return env.get_attr(name, indices=[0])[0]
    return env.get_wrapper_attr(name)


def _env_id(env: Any) -> str:
    spec = _env_attr(env, "spec")
    if spec is None:
        raise ValueError(
            "the environment has no spec (was it made with gymnasium.make?): give LLMAgent.for_env(env, knowledge=...)"
        )
    return str(spec.id)
