"""Compiled purchase labels and the LLM judge against WebShop's own reward (issue 17, item 2).

Every goal of the catalog gets three purchases: its own product bought with the goal's options, another product of
the same type with random options, and a random product with random options. Each (purchase, goal) pair is labelled
by compiled mode (the instruction read once into the purchase schema, the purchase scored by code) under several
readers, and the first ``--judge-pairs`` pairs by the LLM judge; all are compared with WebShop's reward. Writes
``results.json`` and prints the tables.

    .venv/bin/python docs/results/webshop-labels/agreement.py --out docs/results/webshop-labels
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from teduo_gym.envs import knowledge_for
from teduo_gym.envs.webshop.purchase import PurchaseSchema
from teduo_gym.labeling import CriteriaJudge, OutcomeLabel, choose, label_accuracy
from teduo_gym.labeling.reading import choice_accuracy
from teduo_gym.llm.config import LLMConfig, shared_backend
from teduo_gym.llm.embedding import shared_embedder


class Memo:
    """The LLM with its scores kept, so readers that share the LLM's questions ask them once."""

    def __init__(self, llm: Any) -> None:
        self.llm, self.name, self.chat, self._kept = llm, llm.name, llm.chat, {}

    def score(self, prompts: list[str], candidates: list[str]) -> np.ndarray:
        key = (tuple(prompts), tuple(candidates))
        if key not in self._kept:
            self._kept[key] = self.llm.score(prompts, candidates)
        return self._kept[key]


def purchases(catalog: Any, seed: int) -> list[tuple[int, dict[str, Any]]]:
    """``(goal index, outcome)`` pairs: per goal its own product with its options, a same-type product and a random
    product with random options."""
    rng = np.random.default_rng(seed)
    by_type: dict[str, list[Any]] = {}
    for product in catalog.products:
        by_type.setdefault(product.query, []).append(product)

    def outcome(product: Any, wanted: tuple[str, ...] | None) -> dict[str, Any]:
        options = []
        for values in product.options.values():
            hits = [v for v in values if wanted is not None and v in wanted]
            options.append(hits[0] if hits else values[int(rng.integers(len(values)))])
        return {"asin": product.asin.lower(), "title": product.title, "price": product.price_tag, "options": options}

    pairs = []
    for index, goal in enumerate(catalog.goals):
        own = catalog.product(goal.asin)
        same = [p for p in by_type[own.query] if p.asin != own.asin] or [own]
        pairs.append((index, outcome(own, goal.goal_options)))
        pairs.append((index, outcome(same[int(rng.integers(len(same)))], None)))
        pairs.append((index, outcome(catalog.products[int(rng.integers(len(catalog.products)))], None)))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/results/webshop-labels"))
    parser.add_argument("--judge-pairs", type=int, default=300)
    parser.add_argument("--goals", type=int, default=100, help="goals read (3 purchases each)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    llm = shared_backend(LLMConfig())
    reader_llm = Memo(llm)
    with knowledge_for("teduo/WebShop-v0").text_episodes(seed=args.seed) as shop:
        assert shop.truth is not None and shop.outcome_schema is not None
        catalog = shop.outcome_schema.catalog  # type: ignore[attr-defined]
        pairs = [(g, o) for g, o in purchases(catalog, args.seed) if g < args.goals]
        truth = [shop.truth(o, g) for g, o in pairs]
        instructions = [g.instruction_text for g in catalog.goals[: args.goals]]
        oracles = [PurchaseSchema(catalog).oracle_choice(i) for i in range(len(instructions))]
        readers = {
            "LLM + exact-word prior (default)": (PurchaseSchema(catalog), reader_llm, None, 10.0),
            "LLM alone (type), exact words (sets, price)": (PurchaseSchema(catalog), reader_llm, None, 0.0),
            "exact words alone": (PurchaseSchema(catalog), None, None, 10.0),
            "LLM + MiniLM prior, sets at cosine >= 0.9": (
                PurchaseSchema(catalog, 0.9, 0.9),
                reader_llm,
                "minilm",
                10.0,
            ),
        }
        results: dict[str, Any] = {"pairs": len(pairs), "goals": len(instructions), "readers": {}}
        compiled_labels: list[OutcomeLabel] = []
        for name, (schema, backend, embedder, weight) in readers.items():
            start = time.perf_counter()
            choices = choose(
                backend,
                instructions,
                schema.slots,
                embedder=shared_embedder() if embedder else None,
                similarity_weight=weight,
            )
            seconds = time.perf_counter() - start
            labels = [
                OutcomeLabel(str(k), g, schema.reward(choices[g], o)["total"], {}, t)
                for k, ((g, o), t) in enumerate(zip(pairs, truth))
            ]
            if backend is reader_llm and weight and embedder is None:
                compiled_labels = labels  # the default reader's, compared with the judge on the same pairs
            results["readers"][name] = {
                "fields": choice_accuracy(choices, oracles),
                "at_0.6": label_accuracy(labels, 0.6),
                "at_1.0": label_accuracy(labels, 1.0, 1.0),
                "read_seconds": round(seconds, 1),
            }
        judged = pairs[: args.judge_pairs]
        judge = CriteriaJudge(llm, args.out / "judge-cache", shop.judge_template, shop.criteria)
        start = time.perf_counter()
        labels = []
        for k, ((g, o), t) in enumerate(zip(judged, truth)):
            parts = judge.parts(instructions[g], shop.outcome_text(o))
            labels.append(OutcomeLabel(str(k), g, shop.combine(parts), parts, t))
        results["judge"] = {
            "pairs": len(judged),
            "at_0.45": label_accuracy(labels, 0.45),
            "at_0.6": label_accuracy(labels, 0.6),
            "at_1.0": label_accuracy(labels, 1.0, 1.0),
            "seconds": round(time.perf_counter() - start, 1),
        }
        default = [lb for lb in compiled_labels if int(lb.episode) < len(judged)]
        results["compiled_on_judged_pairs"] = {"at_0.6": label_accuracy(default, 0.6)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
