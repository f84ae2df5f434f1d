"""What two differences from the original WebShop server do on the demo catalog (issue 17, item 4).

1. The type reward: WebShop compares the spaCy nouns of the bought product's name and the goal's product name;
   here all words but stop words and numbers count. Counted: purchases of a product of another type (its search
   type differs from the goal's) that the word rule still gives a type reward of at least 0.5 -- where nouns alone
   may not.
2. Search: SQLite FTS5's bm25() (k1 = 1.2, b = 0.75, fixed) instead of pyserini's Lucene BM25 (k1 = 0.9, b = 0.4).
   Counted: how often a goal's own product is on the first results page (10) and among the 50 returned, for the
   query of the type and attributes (what the scripted shopper searches) and for the whole instruction.

    .venv/bin/python docs/results/webshop-labels/differences.py
"""

from __future__ import annotations

import dataclasses
import json

from teduo_gym.envs.webshop import load_catalog
from teduo_gym.envs.webshop.reward import webshop_reward
from teduo_gym.envs.webshop.server import WebShopServeConfig


def main() -> None:
    catalog = load_catalog()
    engine = WebShopServeConfig().build_engine(catalog)
    other_type = loose = 0
    for goal in catalog.goals:
        kind_only = dataclasses.replace(goal, attributes=(), goal_options=())  # the type reward alone, quickly
        for product in catalog.products:
            if product.query != goal.query:
                other_type += 1
                loose += webshop_reward(product, kind_only, catalog.prices[product.asin], {}).r_type >= 0.5
    found = {"type + attributes": [0, 0], "instruction": [0, 0]}
    for goal in catalog.goals:
        queries = {"type + attributes": " ".join([goal.query, *goal.attributes]), "instruction": goal.instruction_text}
        for name, query in queries.items():
            results = engine.index.search(query)
            found[name][0] += goal.asin in results[:10]
            found[name][1] += goal.asin in results
    n = len(catalog.goals)
    print(
        json.dumps(
            {
                "type_reward": {
                    "pairs_of_another_type": other_type,
                    "given_r_type_at_least_0.5": loose,
                    "share": round(loose / other_type, 4),
                },
                "search": {k: {"top_10": round(a / n, 3), "top_50": round(b / n, 3)} for k, (a, b) in found.items()},
                "goals": n,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
