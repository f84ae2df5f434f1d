"""The fine-tuning dataset: one (goal, state text, action) example per line of a JSONL file.

Each line is a JSON object ``{"goal": str, "state": str, "action": str}``: in the state described by ``state``,
the policy for ``goal`` takes the action named ``action`` (one of the environment's action words). Other keys
(e.g. ``"actions"`` for a whole optimal sequence, ``"episode"``) are kept but not used for training.

- :class:`ActionExample` -- one example; :class:`ActionSequence` -- a whole action sequence to a goal (its
  first step is an example).
- :func:`read_examples` / :func:`write_examples` -- the JSONL file, with errors that name the bad line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from teduo_gym.core.io import atomic_write

__all__ = ["ActionExample", "ActionSequence", "read_examples", "write_examples"]


@dataclass(frozen=True)
class ActionExample:
    """In the state ``state``, the policy for ``goal`` takes ``action``."""

    goal: str
    state: str
    action: str


@dataclass(frozen=True)
class ActionSequence(ActionExample):
    """A whole action sequence to a goal: its first step is an :class:`ActionExample`, the rest rides along.

    Written with :func:`~teduo_gym.finetune.write_examples` it is one JSONL line that
    :func:`~teduo_gym.finetune.read_examples` reads as the first step's example.

    Attributes:
        actions: every action word, ``actions[0] == action``.
        states: the text of the state each action is taken in, ``states[0] == state``.
        episode: the data episode it was cut from (None for a rollout through the data's dynamics).
        reward: the reward of its last transition.
    """

    actions: tuple[str, ...]
    states: tuple[str, ...]
    episode: int | None = None
    reward: float = 1.0

    def steps(self) -> list[ActionExample]:
        """One example per step."""
        return [ActionExample(self.goal, s, a) for s, a in zip(self.states, self.actions)]


def write_examples(path: str | Path, examples: Iterable[ActionExample]) -> Path:
    """Write examples as JSONL (atomically).

    Example:
        >>> import tempfile
        >>> p = write_examples(Path(tempfile.mkdtemp()) / "d.jsonl", [ActionExample("go to the red ball", "x", "left")])
        >>> read_examples(p)[0].action
        'left'
    """

    def write(tmp: Path) -> None:
        with tmp.open("w") as f:
            for example in examples:
                f.write(json.dumps(asdict(example)) + "\n")

    return atomic_write(path, write)


def read_examples(path: str | Path, action_words: Iterable[str] | None = None) -> list[ActionExample]:
    """Read a JSONL file of examples; with ``action_words``, every action must be one of them.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a line that is not a JSON object with string ``goal``, ``state`` and ``action`` (its line
            number is named), an unknown action, or an empty file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no fine-tuning data at {path}: write it with write_examples or `teduo run`")
    allowed = set(action_words) if action_words is not None else None
    examples = []
    with path.open() as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                example = ActionExample(record["goal"], record["state"], record["action"])
                if not all(isinstance(v, str) for v in asdict(example).values()):
                    raise TypeError("goal, state and action must be strings")
            except (ValueError, KeyError, TypeError) as err:
                raise ValueError(f"{path}:{number}: not a fine-tuning example ({err!r}); see {__name__}") from err
            if allowed is not None and example.action not in allowed:
                raise ValueError(f"{path}:{number}: action {example.action!r} is not one of {sorted(allowed)}")
            examples.append(example)
    if not examples:
        raise ValueError(f"{path} holds no examples")
    return examples
