"""The demo catalog: a small shop in WebShop's file formats, generated deterministically.

- :func:`generate_demo_catalog` -- write the demo's files into a directory; byte-identical on every run, so the
  copy shipped in ``teduo_gym/envs/webshop/data`` can be checked against it.

300 products in four categories (beauty, fashion, grocery, electronics), each with attributes, options
(colour, size, flavour...) and a price or a price range; human-style instructions for most products
(several hundred goals) and synthetic ones for some; a few reviews. ``split.json`` sets a split scaled down from
WebShop's (50 test goals, 100 eval goals, the rest train).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

__all__ = ["DEMO_FILES", "generate_demo_catalog"]

#: The files :func:`generate_demo_catalog` writes.
DEMO_FILES = ("items_shuffle.json", "items_ins_v2.json", "items_human_ins.json", "reviews.json", "split.json")

# category -> (breadcrumb root, [(product type, breadcrumb tail)], attributes, {option name: values})
_CATEGORIES: dict[str, tuple[str, list[tuple[str, str]], list[str], dict[str, list[str]]]] = {
    "beauty": (
        "Beauty & Personal Care",
        [
            ("shampoo", "Hair Care › Shampoo & Conditioner › Shampoos"),
            ("face cream", "Skin Care › Face › Creams & Moisturizers"),
            ("lip balm", "Skin Care › Lip Care › Balms & Moisturizers"),
            ("hair dryer", "Hair Care › Styling Tools & Appliances › Hair Dryers"),
        ],
        ["sulfate free", "cruelty free", "long lasting", "travel size", "paraben free", "sensitive skin", "dry hair"],
        {"scent": ["lavender", "coconut", "unscented", "citrus"], "size": ["2 fl oz", "8 fl oz", "16 fl oz"]},
    ),
    "fashion": (
        "Clothing, Shoes & Jewelry",
        [
            ("t-shirt", "Men › Clothing › Shirts › T-Shirts"),
            ("hoodie", "Women › Clothing › Fashion Hoodies & Sweatshirts"),
            ("running shoes", "Women › Shoes › Athletic › Running"),
            ("rain jacket", "Men › Clothing › Jackets & Coats › Rain Jackets"),
        ],
        ["machine wash", "quick drying", "slim fit", "long sleeve", "relaxed fit", "water resistant", "non slip"],
        {
            "color": ["black", "navy blue", "heather grey", "red", "white"],
            "size": ["small", "medium", "large", "x-large"],
        },
    ),
    "grocery": (
        "Grocery & Gourmet Food",
        [
            ("green tea", "Beverages › Tea › Green"),
            ("dark chocolate", "Snacks & Sweets › Chocolate › Dark Chocolate"),
            ("trail mix", "Snack Foods › Trail Mix"),
            ("coffee beans", "Beverages › Coffee › Whole Coffee Beans"),
        ],
        ["gluten free", "low sugar", "non gmo", "usda organic", "keto friendly", "plant based", "caffeine free"],
        {"flavor name": ["original", "vanilla", "sea salt", "honey"], "size": ["pack of 1", "pack of 6", "pack of 12"]},
    ),
    "electronics": (
        "Electronics",
        [
            ("wireless earbuds", "Headphones › Earbud Headphones"),
            ("phone charger", "Cell Phones & Accessories › Chargers & Power Adapters"),
            ("bluetooth speaker", "Portable Audio & Video › Portable Speakers"),
            ("usb cable", "Computers & Accessories › Cables › USB Cables"),
        ],
        ["fast charging", "noise cancelling", "long battery life", "easy install", "high speed", "water resistant"],
        {"color": ["black", "white", "blue", "rose gold"], "style": ["standard", "pro", "mini"]},
    ),
}
_BRANDS = ["Acme", "Lumen", "Northwind", "Brightleaf", "Kestrel", "Orchid", "Vela", "Tundra", "Solace", "Harbor"]
_ASIN_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
_REVIEW_TEXTS = [
    ("Works great", 5, "Exactly as described, would buy again."),
    ("Decent", 4, "Good value for the price."),
    ("Not for me", 2, "Did not meet my expectations."),
]


def _product(rng: random.Random, asin: str) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """One product record, its attribute record and its human instructions."""
    category = rng.choice(sorted(_CATEGORIES))
    root, types, attribute_pool, option_pool = _CATEGORIES[category]
    kind, breadcrumb = rng.choice(types)
    attributes = rng.sample(attribute_pool, rng.randint(2, 4))
    brand = rng.choice(_BRANDS)
    title = f"{brand} {attributes[0].title()} {kind.title()}, {attributes[1].title()}"
    options = {name: sorted(rng.sample(values, rng.randint(2, len(values)))) for name, values in option_pool.items()}
    low = rng.randint(3, 80) + 0.99
    pricing = f"${low:.2f}" if rng.random() < 0.7 else f"${low:.2f} - ${low + rng.randint(2, 15):.2f}"
    product = {
        "asin": asin,
        "name": title,
        "query": kind,
        "category": category,
        "product_category": f"{root} › {breadcrumb}",
        "full_description": f"The {brand} {kind} is {', '.join(attributes)}. Made for everyday use.",
        "small_description": [f"{a.capitalize()} design" for a in attributes] + [f"Sold by {brand}"],
        "pricing": pricing,
        "customization_options": {n: [{"value": v, "image": None} for v in vs] for n, vs in options.items()},
        "images": [],
    }
    attribute_record: dict[str, Any] = {"attributes": attributes}
    if rng.random() < 0.5:
        asked = attributes[:2]
        attribute_record["instruction"] = f"Find me {', '.join(asked)} {kind}"
        attribute_record["instruction_attributes"] = asked
    instructions = []
    for _ in range(rng.choice([0, 1, 1, 2])):
        asked = rng.sample(attributes, 2)
        chosen = [rng.choice(vs) for vs in options.values()]
        option_text = " and ".join(f"{name} {value}" for name, value in zip(options, chosen))
        instructions.append(
            {
                "asin": asin,
                "instruction": f"i want a {asked[0]} {kind} that is {asked[1]}, with {option_text}.",
                "instruction_attributes": asked,
                "instruction_options": chosen,
            }
        )
    return product, attribute_record, instructions


def generate_demo_catalog(out_dir: str | Path, seed: int = 0, n_products: int = 300) -> Path:
    """Write the demo catalog's files (:data:`DEMO_FILES`) into ``out_dir``; the same bytes for the same arguments.

    Example:
        >>> import tempfile
        >>> from teduo_gym.envs.webshop.catalog import DEMO_DATA_DIR
        >>> out = generate_demo_catalog(tempfile.mkdtemp())
        >>> (out / "items_shuffle.json").read_bytes() == (DEMO_DATA_DIR / "items_shuffle.json").read_bytes()
        True
    """
    rng = random.Random(seed)
    asins: list[str] = []
    while len(asins) < n_products:
        asin = "B0" + "".join(rng.choice(_ASIN_CHARS) for _ in range(8))
        if asin not in asins:
            asins.append(asin)
    products, attributes, human, reviews = [], {}, {}, []
    for asin in asins:
        product, attribute_record, instructions = _product(rng, asin)
        products.append(product)
        attributes[asin] = attribute_record
        if instructions:
            human[asin] = instructions
        if rng.random() < 0.3:
            picked = rng.sample(_REVIEW_TEXTS, rng.randint(1, 2))
            scores = [score for _, score, _ in picked]
            reviews.append(
                {
                    "asin": asin,
                    "reviews": [{"title": t, "score": s, "body": b} for t, s, b in picked],
                    "average_rating": round(sum(scores) / len(scores), 1),
                }
            )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    contents = [products, attributes, human, reviews, {"test": 50, "eval": 100}]
    for name, data in zip(DEMO_FILES, contents):
        (out / name).write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return out
