"""Goal reading: slot accuracy of compiled labelling's choice per slot and goal kind, before and after.

    python benchmarks/bench_reading.py --goals 40 --out docs/results/goal-reading/results.md

Goal sets (``--goals`` per goal kind, or all of a kind that has fewer):

- ``babyai/train``: BabyAI-Synth's canonical goals, balanced over the four kinds;
- ``babyai/reworded``: held-out rewordings (``knowledge.paraphrase``: TEDUO's verbs and synonyms), each judged
  against the oracle of its canonical goal;
- ``babyai/unfamiliar``: rewordings with words that no slot description lists (:data:`UNFAMILIAR`), to see how far
  the reading carries beyond the environment's own vocabulary;
- ``example/train``, ``example/reworded``: the same for the example environment (``examples/teduo_your_env.py``).

Readers (all with the embedded SmolLM2-135M-Instruct and the shipped all-MiniLM-L6-v2):

- ``before``: the slots and the LLM-only choice as they were (:data:`BEFORE_SLOTS` for BabyAI; the example's slots
  without spans and descriptions);
- ``llm``: today's slots (role spans, options described in words), LLM alone;
- ``words`` / ``minilm``: the similarity prior alone (exact word matches / MiniLM cosine), no LLM;
- ``llm+words``: what compiled labelling runs by default (no embedder is passed to it);
- ``llm+minilm``: the LLM plus the MiniLM similarity prior.

The LLM's scores are memoised per prompt, so readers that share prompts pay once.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tyro

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `examples` imports from the repository root

from teduo_gym.core.io import write_text  # noqa: E402
from teduo_gym.envs import EnvKnowledge, Slot, knowledge_for  # noqa: E402
from teduo_gym.labeling import choose  # noqa: E402
from teduo_gym.labeling.reading import ReadingAccuracy, slot_accuracy  # noqa: E402
from teduo_gym.llm import shared_embedder  # noqa: E402
from teduo_gym.llm.config import LLMConfig, shared_backend  # noqa: E402

BABYAI = "BabyAI-Synth-v0"
EXAMPLE = "examples.teduo_your_env:YourEnvKnowledge"
SETS = ("babyai/train", "babyai/reworded", "babyai/unfamiliar", "example/train", "example/reworded")
READERS = ("before", "llm", "words", "minilm", "llm+words", "llm+minilm")

#: BabyAI's slots before goal reading was measured (commit 0f7cfeb): one question per role over the whole goal.
_OBJ = (
    ("go to the red ball", "ball", "red"),
    ("pick up a key", "key", "any"),
    ("open the yellow door", "door", "yellow"),
    ("put the green box next to a door", "box", "green"),
    ("go to a purple key", "key", "purple"),
)
_TGT = (
    ("put the green box next to a door", "door", "any"),
    ("put a key next to the blue ball", "ball", "blue"),
    ("put the red ball next to the grey box", "box", "grey"),
    ("put the yellow key next to a ball", "ball", "any"),
)
_COLORS = ("blue", "green", "grey", "purple", "red", "yellow", "any")
_TYPES = ("ball", "box", "key", "door", "any")
BEFORE_SLOTS = (
    Slot("kind", "What must the agent do? go (go to), pick (pick up), open, or put (put next to).",
         ("go", "pick", "open", "put"), (("go to the red ball", "go"), ("pick up a key", "pick"),
         ("open the yellow door", "open"), ("put the green box next to a door", "put"), ("go to a grey door", "go"))),
    Slot("object_type", "Which type of object must the agent act on first?", _TYPES, tuple((g, t) for g, t, _ in _OBJ)),
    Slot("object_color", "Which colour is that object? any if no colour is named.", _COLORS,
         tuple((g, c) for g, _, c in _OBJ)),
    Slot("target_type", "Next to which type of object must it be put?", _TYPES, tuple((g, t) for g, t, _ in _TGT),
         ("kind", ("put",))),
    Slot("target_color", "Which colour is the object it must be put next to? any if no colour is named.", _COLORS,
         tuple((g, c) for g, _, c in _TGT), ("kind", ("put",))),
)  # fmt: skip

#: Words for BabyAI goals that no slot description lists: verbs per kind ("{o}", "{t}": object and target), then
#: synonyms per type and colour.
UNFAMILIAR: dict[str, tuple[str, ...]] = {
    "go to": ("walk to", "approach", "head to", "get to"),
    "pick up": ("take", "fetch", "lift", "get"),
    "open": ("unlatch", "pull open", "unlock"),
    "put next to": ("set {o} near {t}", "move {o} close to {t}", "drop {o} by {t}", "bring {o} next to {t}"),
    "ball": ("marble", "bouncy ball", "balls"),
    "box": ("carton", "case", "bin"),
    "key": ("keycard", "latchkey"),
    "door": ("doorway", "entrance", "gateway"),
    "red": ("cherry", "maroon", "rose"),
    "green": ("olive", "mint", "grass green"),
    "blue": ("sapphire", "sky blue", "indigo"),
    "purple": ("plum", "lilac", "magenta"),
    "yellow": ("lemon", "gold", "mustard"),
    "grey": ("gray", "slate", "steel"),
}


@dataclass(frozen=True)
class Args:
    #: goals per goal kind in each set.
    goals: int = 40
    #: seeds the goal samples and rewordings.
    seed: int = 0
    #: readers to measure (of: before, llm, words, minilm, llm+words, llm+minilm).
    readers: tuple[str, ...] = READERS
    #: goal sets to measure.
    sets: tuple[str, ...] = SETS
    #: also write the tables as markdown here (empty: print only).
    out: str = ""
    #: the LLM.
    llm: LLMConfig = field(default_factory=LLMConfig)
    #: a tiny budget that checks the script runs (tests/benchmarks/test_smoke.py); no figure to read.
    smoke: bool = False


class MemoBackend:
    """A backend whose ``score`` remembers each (prompt, candidates) row."""

    def __init__(self, backend: Any):
        self.backend, self.name, self.chat = backend, backend.name, backend.chat
        self.rows: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}

    def score(self, prompts: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
        key = tuple(candidates)
        todo = list(dict.fromkeys(p for p in prompts if (p, key) not in self.rows))
        for p, row in zip(todo, np.asarray(self.backend.score(todo, candidates)) if todo else []):
            self.rows[p, key] = row
        return np.stack([self.rows[p, key] for p in prompts]) if prompts else np.zeros((0, len(candidates)))

    def generate(self, prompts: Sequence[str], **kwargs: Any) -> list[str]:
        return self.backend.generate(prompts, **kwargs)


def balanced(knowledge: EnvKnowledge, n: int, rng: np.random.Generator) -> list[str]:
    """Up to ``n`` canonical goals of each kind, drawn without replacement."""
    goals = []
    for kind in knowledge.goal_kinds:
        pool = knowledge.goals([kind])
        goals += [pool[i] for i in sorted(rng.choice(len(pool), size=min(n, len(pool)), replace=False))]
    return goals


def reworded(
    knowledge: EnvKnowledge, n: int, rng: np.random.Generator, reword: Callable[[str], str]
) -> tuple[list[str], list[str]]:
    """``n`` distinct rewordings of each kind (fewer where the kind has fewer), and the canonical goal of each."""
    texts: dict[str, str] = {}
    for kind in knowledge.goal_kinds:
        pool, found = knowledge.goals([kind]), 0
        for _ in range(50 * n):
            if found == n:
                break
            goal = pool[int(rng.integers(len(pool)))]
            text = reword(goal)
            if text not in texts:
                texts[text], found = goal, found + 1
    return list(texts), list(texts.values())


def unfamiliar(goal: str, rng: np.random.Generator) -> str:
    """A BabyAI goal reworded with :data:`UNFAMILIAR` words."""
    from teduo_gym.envs.babyai.goals import parse_goal  # the benchmark's own rewording needs the grammar

    def pick(key: str) -> str:
        return UNFAMILIAR[key][int(rng.integers(len(UNFAMILIAR[key])))]

    def ref(r: Any) -> str:
        noun = pick(r.type)
        return f"the {pick(r.color)} {noun}" if r.color else f"a {noun}"

    parsed = parse_goal(goal)
    verb = pick(parsed.kind)
    if parsed.target is not None:
        return verb.format(o=ref(parsed.object), t=ref(parsed.target))
    return f"{verb} {ref(parsed.object)}"


def goal_sets(names: Sequence[str], n: int, seed: int) -> dict[str, tuple[EnvKnowledge, list[str], list[str]]]:
    """Each set's knowledge, goal texts and canonical goals."""
    out = {}
    for name in names:
        env, part = name.split("/")
        knowledge = knowledge_for(BABYAI if env == "babyai" else EXAMPLE)
        rng = np.random.default_rng(seed)
        if part == "train":
            goals = balanced(knowledge, n, rng)
            out[name] = (knowledge, goals, goals)
            continue
        reword = functools.partial(knowledge.paraphrase if part == "reworded" else unfamiliar, rng=rng)
        out[name] = (knowledge, *reworded(knowledge, n, rng, reword))
    return out


def read(reader: str, llm: MemoBackend, schema: Any, goals: list[str], babyai: bool) -> list[dict[str, str]]:
    """One reader's choices for ``goals``."""
    slots = [s if isinstance(s, Slot) else Slot(**s) for s in schema.slots]
    if reader == "before":
        slots = list(BEFORE_SLOTS) if babyai else [dataclasses.replace(s, span="", descriptions={}) for s in slots]
        return choose(llm, goals, slots, similarity_weight=0)
    backend = llm if reader.startswith("llm") else None
    embedder = shared_embedder() if reader.endswith("minilm") else None
    return choose(backend, goals, slots, embedder=embedder, similarity_weight=0 if reader == "llm" else 10.0)


def side_by_side(name: str, before: ReadingAccuracy, after: ReadingAccuracy, label: str) -> str:
    """A markdown table: rows kinds, columns slots, cells ``before -> after``."""
    old, new = before.table(), after.table()
    columns = [*after.slots, "all"]
    lines = [
        f"**{name}** ({sum(after.counts.values())} goals; `before` -> `{label}`)\n",
        "| kind (goals) | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for kind, row in new.items():
        n = sum(after.counts.values()) if kind == "all" else after.counts[kind]
        cells = [f"{old[kind][c]:.2f} -> **{row[c]:.2f}**" for c in columns]
        lines.append(f"| {kind} ({n}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(args: Args) -> None:
    if args.smoke:
        args = dataclasses.replace(args, goals=1, readers=("before", "llm+words"), sets=("example/train",), out="")
    unknown = sorted(set(args.readers) - set(READERS)) + sorted(set(args.sets) - set(SETS))
    if unknown or "before" not in args.readers:
        raise SystemExit(f"unknown readers or sets {unknown}: readers are {READERS} (before included), sets {SETS}")
    llm = MemoBackend(shared_backend(args.llm))
    results: dict[str, dict[str, ReadingAccuracy]] = {r: {} for r in args.readers}
    seconds: dict[str, float] = dict.fromkeys(args.readers, 0.0)
    for name, (knowledge, goals, canonical) in goal_sets(args.sets, args.goals, args.seed).items():
        schema = knowledge.goal_schema({"width": 22, "height": 22} if name.startswith("babyai") else {"width": 5})
        for reader in args.readers:
            start = time.perf_counter()
            results[reader][name] = slot_accuracy(
                schema, goals, read(reader, llm, schema, goals, name.startswith("babyai")), canonical
            )
            seconds[reader] += time.perf_counter() - start
            acc = results[reader][name]
            print(f"{name:18s} {reader:11s} worst slot {acc.worst:.2f}, all slots right {acc.accuracy():.2f}")
    summary = [
        "| reader | " + " | ".join(args.sets) + " | seconds |",
        "|---|" + "---|" * (len(args.sets) + 1),
    ]
    for reader in args.readers:
        cells = [f"{results[reader][s].worst:.2f} / {results[reader][s].accuracy():.2f}" for s in args.sets]
        summary.append(f"| {reader} | " + " | ".join(cells) + f" | {seconds[reader]:.0f} |")
    best = "llm+minilm" if "llm+minilm" in args.readers else args.readers[-1]
    tables = [side_by_side(s, results["before"][s], results[best][s], best) for s in args.sets]
    command = " ".join(["python benchmarks/bench_reading.py", *sys.argv[1:]])
    text = (
        f"# Goal reading: slot accuracy before and after\n\nMade by `{command}` with {llm.name} and "
        f"all-MiniLM-L6-v2 on CPU ({sum(seconds.values()):.0f} s of reading; readers and goal sets are described in "
        "the benchmark's docstring).\n\n"
        "Worst slot accuracy over every (slot, kind) / share of goals with every slot right (seconds: reading time; "
        "the LLM's scores are memoised, so a reader pays only for prompts no earlier reader scored):\n\n"
        + "\n".join(summary)
        + "\n\n"
        + "\n\n".join(tables)
        + "\n"
    )
    errors = [f"{s}: {e}" for s in args.sets for e in results[best][s].errors[:10]]
    print("\n" + text + "\nSlots still read wrong by " + best + " (goal, slot, read, expected):\n" + "\n".join(errors))
    if args.out:
        write_text(Path(args.out), text)


if __name__ == "__main__":
    main(tyro.cli(Args))
