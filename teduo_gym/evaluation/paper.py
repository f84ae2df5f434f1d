"""Published numbers that teduo-gym's measurements are read against, as data (never measured here).

Sources:

- **TEDUO**: T. Pouplin, K. Kobalczyk, H. Sun, M. van der Schaar, "The Synergy of LLMs & RL Unlocks Offline Learning
  of Generalizable Language-Conditioned Policies with Low-fidelity Data", ICML 2025 (PMLR 267; arXiv:2412.06877).
  BabyAI Synth (22x22, 3x3 rooms), 400 episodes per setting, 500-step cap, Llama-3-8B fine-tuned on 4x A100.
- **BALROG**: D. Paglieri et al., "BALROG: Benchmarking Agentic LLM and VLM Reasoning On Games", 2024
  (arXiv:2411.13543); BabyAI leaderboard of prompted models, its own protocol (5 tasks, text observations).

Public names:

- :class:`PublishedResult` -- one published number (success %, and mean length and invalid % where published).
- :data:`TEDUO_SOURCE`, :data:`BALROG_SOURCE` -- how each source is labelled in reports.
- :data:`PAPER_SETTINGS` -- the paper's setting names -> ours (:data:`~teduo_gym.evaluation.protocol.SETTINGS`).
- :data:`PAPER_PROTOCOL` -- the paper's BabyAI protocol, to tell whether a measurement is like-for-like.
- :data:`TEDUO_RESULTS`, :data:`BALROG_RESULTS` -- the numbers.
- :func:`published` -- the published results matching a source, setting and goal kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "BALROG_RESULTS",
    "BALROG_SOURCE",
    "PAPER_PROTOCOL",
    "PAPER_SETTINGS",
    "TEDUO_RESULTS",
    "TEDUO_SOURCE",
    "PublishedResult",
    "published",
]

#: Label of the TEDUO paper's numbers in reports.
TEDUO_SOURCE = "published (TEDUO, Pouplin et al. 2025)"
#: Label of the BALROG leaderboard's numbers in reports.
BALROG_SOURCE = "published (BALROG, Paglieri et al. 2024)"

#: The TEDUO paper's setting names -> ours.
PAPER_SETTINGS: dict[str, str] = {
    "train env, train goals": "train layouts / train goals",
    "train env, test goals": "train layouts / test goals",
    "test env, train goals": "test layouts / train goals",
    "test env, test goals": "test layouts / test goals",
}

#: The TEDUO paper's BabyAI evaluation protocol (Pouplin et al. 2025), in the terms of our protocol records (layout
#: and goal counts rather than lists). BabyAI Synth, 22x22 in 3x3 rooms, is minigrid's ``BabyAI-Synth-v0``.
PAPER_PROTOCOL: dict[str, Any] = {
    "env": "BabyAI-Synth-v0",
    "train_layouts": 40,
    "test_layouts": 2,
    "train_goals": 500,
    "test_goals": 100,
    "episodes": 400,
    "max_steps": 500,
}


@dataclass(frozen=True)
class PublishedResult:
    """One published result; percentages as published, ``None`` where the source gives no number.

    Example:
        >>> r = PublishedResult(TEDUO_SOURCE, "TEDUO, Llama-3-8B + LoRA", "test layouts / test goals", 45, 286, 31)
        >>> r.success, r.kind is None
        (45, True)
    """

    #: who published it (:data:`TEDUO_SOURCE` or :data:`BALROG_SOURCE`).
    source: str
    #: the method or model, as the source names it.
    method: str
    #: our name of the setting (see :data:`PAPER_SETTINGS`); ``None`` where the source states none.
    setting: str | None
    #: success rate in percent.
    success: float | None
    #: mean episode length in steps.
    mean_length: float | None = None
    #: invalid actions in percent of steps.
    invalid: float | None = None
    #: the goal kind ("go to", "pick up", "open", "put next to") of a per-kind number; ``None``: all goals.
    kind: str | None = None
    #: what the number was measured on, where it is not one of our settings.
    note: str = ""


def _both(method: str, success: float, length: float, invalid: float) -> tuple[PublishedResult, ...]:
    """A row the paper reports with the same numbers in its two main settings."""
    return tuple(
        PublishedResult(TEDUO_SOURCE, method, PAPER_SETTINGS[s], success, length, invalid)
        for s in ("train env, train goals", "test env, test goals")
    )


_TEDUO = "TEDUO, Llama-3-8B + LoRA"
_TRAIN, _TEST = PAPER_SETTINGS["train env, train goals"], PAPER_SETTINGS["test env, test goals"]

#: The TEDUO paper's BabyAI results (Pouplin et al., ICML 2025). Its per-goal-kind numbers are given as
#: "train -> test"; we read them as "train env, train goals" -> "test env, test goals".
TEDUO_RESULTS: tuple[PublishedResult, ...] = (
    *_both("Llama-3-8B, prompted", 17, 444, 42),
    *_both("Llama-3-70B, in-context + chain of thought", 21, 432, 47),
    PublishedResult(TEDUO_SOURCE, "BabyAI imitation-learning agent on TEDUO data", _TRAIN, 69, 248, 17),
    PublishedResult(TEDUO_SOURCE, "BabyAI imitation-learning agent on TEDUO data", _TEST, 16, 447, 36),
    PublishedResult(TEDUO_SOURCE, _TEDUO, _TRAIN, 65, 203, 21),
    PublishedResult(TEDUO_SOURCE, _TEDUO, _TEST, 45, 286, 31),
    PublishedResult(TEDUO_SOURCE, _TEDUO, PAPER_SETTINGS["test env, train goals"], 53),
    PublishedResult(TEDUO_SOURCE, _TEDUO, PAPER_SETTINGS["train env, test goals"], 55),
    *(
        PublishedResult(TEDUO_SOURCE, _TEDUO, setting, success, kind=kind)
        for kind, pair in {"go to": (85, 70), "open": (100, 61), "pick up": (46, 26), "put next to": (0, 0)}.items()
        for setting, success in zip((_TRAIN, _TEST), pair)
    ),
    PublishedResult(
        TEDUO_SOURCE, "TEDUO step-2 Q policies alone", None, 16, note="TEDUO's BabyAI protocol, setting not stated"
    ),
)

#: BALROG's BabyAI leaderboard, prompted models (Paglieri et al. 2024); its own protocol, no setting of ours.
BALROG_RESULTS: tuple[PublishedResult, ...] = tuple(
    PublishedResult(BALROG_SOURCE, model, None, success, note="BALROG's BabyAI: 5 tasks as text, prompted models")
    for model, success in {"GPT-4o": 77.6, "Llama-3.1-70B": 73.2, "Llama-3.1-8B": 36, "Llama-3.2-1B": 8}.items()
)


def published(source: str | None = None, setting: str | None = None, kind: str | None = None) -> list[PublishedResult]:
    """The published results of ``source`` (default: all) in ``setting`` (default: any) for goal ``kind`` (default:
    all goals together).

    Example:
        >>> [(r.method, r.success) for r in published(TEDUO_SOURCE, "test layouts / train goals")]
        [('TEDUO, Llama-3-8B + LoRA', 53)]
        >>> [r.success for r in published(setting="test layouts / test goals", kind="open")]
        [61]
    """
    return [
        r
        for r in (*TEDUO_RESULTS, *BALROG_RESULTS)
        if (source is None or r.source == source) and (setting is None or r.setting == setting) and r.kind == kind
    ]
