"""WebShop's catalog and goals, loaded and checked from WebShop's own JSON files.

- :class:`Product`, :class:`Goal` -- one product as the shop shows it, one instruction to follow.
- :class:`Catalog` -- the products, their prices and the shuffled goals, with WebShop's split.
- :func:`load_catalog` -- read a directory of WebShop data files (the original data or the demo catalog).
- :class:`CatalogError` -- a file that is missing, not JSON, or a record without a field the shop needs.
- :data:`DEMO_DATA_DIR` -- the small catalog shipped with teduo-gym (regenerate it with ``demo.py``).

Files (names as in ``web_agent_site/utils.py`` of princeton-nlp/WebShop; a suffix such as ``_1000`` is allowed):

- ``items_shuffle*.json`` -- a list of products (``asin``, ``name``, ``query``, ``category``,
  ``product_category``, ``full_description``, ``small_description``, ``pricing``, ``customization_options``).
- ``items_ins_v2*.json`` -- ``{asin: {"attributes": [...], "instruction": ..., "instruction_attributes": [...]}}``;
  the synthetic goals come from ``instruction``.
- ``items_human_ins.json`` -- ``{asin: [{"instruction", "instruction_attributes", "instruction_options"}]}``,
  the human goals.
- ``reviews.json`` (optional) -- ``[{"asin", "reviews": [{"title", "score" | "stars", "body" | "review"}],
  "average_rating"}]``.
- ``split.json`` (optional, teduo-gym's) -- ``{"test": n, "eval": m}``; without it WebShop's split: the first
  500 shuffled goals are the test split, the next 1000 the eval split, the rest the train split.

Products and goals are built as ``load_products``, ``get_human_goals`` / ``get_synthetic_goals`` of
``web_agent_site/engine/engine.py`` and ``goal.py`` build them. One difference: WebShop draws prices of price
ranges and the goals' price bounds from Python's unseeded global generator; here they come from
``random.Random(seed)``, so a goal index means the same goal on every run.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, overload

from teduo_gym.core.digest import digest_iter

__all__ = [
    "DEMO_DATA_DIR",
    "SPLITS",
    "Catalog",
    "CatalogError",
    "Goal",
    "Product",
    "Review",
    "load_catalog",
]

#: The small catalog shipped with teduo-gym, in WebShop's formats.
DEMO_DATA_DIR = Path(__file__).parent / "data"
#: Split names, in the order their goals come in the shuffled goal list.
SPLITS = ("test", "eval", "train")
#: WebShop's split sizes: the first 500 shuffled goals are ``test``, the next 1000 ``eval``.
_WEBSHOP_SPLIT = {"test": 500, "eval": 1000}
#: WebShop shuffles its goals with this seed (``random.seed(233)`` in ``SimServer``).
_GOAL_SHUFFLE_SEED = 233
#: Price bounds a goal may ask for (``PRICE_RANGE`` in goal.py).
_PRICE_RANGE = [10.0 * i for i in range(1, 100)]
_NO_PRICE_LIMIT = 1_000_000.0
_REQUIRED_PRODUCT_FIELDS = ("asin", "name", "query", "category", "product_category")


class CatalogError(ValueError):
    """A catalog file that is missing or unreadable, or a record that lacks a field or has the wrong type."""


@dataclass(frozen=True)
class Review:
    """One review: its title, score (stars) and text."""

    title: str
    score: int | float | str
    body: str


@dataclass(frozen=True)
class Product:
    """A product as WebShop shows it (the keys ``load_products`` adds: ``Title``, ``Price``, ``options``...).

    Attributes:
        asin: the product's id (upper case).
        title: ``name`` in the data.
        query: the search query the product was scraped for, lower case.
        category: the coarse category (``beauty``, ``fashion``...).
        product_category: the breadcrumb, ``"A › B › C"``.
        description: ``full_description``.
        bullet_points: ``small_description`` (the Features page).
        pricing: one price, or the low and high ends of a range.
        price_tag: the price as the shop prints it (``"$12.99"``, ``"$10.0 to $20.0"``).
        options: option name -> its values, lower case, ``/`` replaced by ``" | "``.
        attributes: the product's attributes (``["DUMMY_ATTR"]`` when the attribute file has none).
        rating: the average rating, or ``"N.A."``.
        reviews: its reviews.
    """

    asin: str
    title: str
    query: str
    category: str
    product_category: str
    description: str
    bullet_points: tuple[str, ...]
    pricing: tuple[float, ...]
    price_tag: str
    options: Mapping[str, tuple[str, ...]]
    attributes: tuple[str, ...]
    rating: float | str = "N.A."
    reviews: tuple[Review, ...] = ()

    def index_text(self) -> str:
        """The text WebShop's search index holds for the product (``search_engine/convert_product_file_format.py``).

        Example:
            >>> Product("B0", "Red Mug", "mug", "home", "Home", "A mug.", ("Holds tea",), (5.0,), "$5.0",
            ...         {"color": ("red", "blue")}, ()).index_text()
            'red mug a mug. holds tea color: red, blue'
        """
        option_text = ", and ".join(f"{name}: {', '.join(values)}" for name, values in self.options.items())
        first_bullet = self.bullet_points[0] if self.bullet_points else ""
        return " ".join([self.title, self.description, first_bullet, option_text]).lower()


@dataclass(frozen=True)
class Goal:
    """One instruction: the product it was written for, and what the reward checks.

    Attributes:
        asin: the product the instruction was written for.
        instruction_text: what the agent reads, with the price bound appended.
        attributes: attributes the bought product should have.
        goal_options: option values the bought product should be bought with.
        price_upper: the price bound (1e6 when the goal has none).
        query, name, category, product_category: the target product's, for the type reward.
        weight: WebShop's sampling weight (1 for human goals).
    """

    asin: str
    instruction_text: str
    attributes: tuple[str, ...]
    goal_options: tuple[str, ...]
    price_upper: float
    query: str
    name: str
    category: str
    product_category: str
    weight: float = 1.0


@dataclass(frozen=True)
class Catalog:
    """Products, their prices and the shuffled goals of one WebShop data set.

    Attributes:
        products: in file order, duplicates and malformed asins dropped as WebShop drops them.
        prices: asin -> the price the reward compares with the goal's bound.
        goals: shuffled as WebShop shuffles them; a goal index is a position in this list.
        split_sizes: how many goals the ``test`` and ``eval`` splits take (the rest is ``train``).
        content_hash: a hash of what the search index holds, naming its cache file.
    """

    products: tuple[Product, ...]
    prices: Mapping[str, float]
    goals: tuple[Goal, ...]
    split_sizes: Mapping[str, int] = field(default_factory=lambda: dict(_WEBSHOP_SPLIT))
    content_hash: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_asin", {p.asin: p for p in self.products})
        if not self.content_hash:
            parts = (f"{p.asin}\t{p.index_text()}" for p in self.products)
            object.__setattr__(self, "content_hash", digest_iter(parts, size=8))

    def product(self, asin: str) -> Product:
        """The product with this asin (upper case)."""
        return self._by_asin[asin]  # type: ignore[attr-defined]

    def has_product(self, asin: str) -> bool:
        """Whether the catalog holds ``asin``."""
        return asin in self._by_asin  # type: ignore[attr-defined]

    def split_ranges(self) -> dict[str, tuple[int, int]]:
        """Split name -> ``(start, stop)`` goal indices: test first, then eval, then train.

        Example:
            >>> load_catalog(DEMO_DATA_DIR).split_ranges()["test"]
            (0, 50)
        """
        ranges, start, n = {}, 0, len(self.goals)
        for name in SPLITS:
            stop = n if name == "train" else min(n, start + self.split_sizes[name])
            ranges[name] = (start, stop)
            start = stop
        return ranges


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError as exc:
        raise CatalogError(f"catalog file {path} does not exist") from exc
    except (OSError, ValueError) as exc:
        raise CatalogError(f"cannot read catalog file {path}: {exc}") from exc


@overload
def _find(data_dir: Path, pattern: str, required: Literal[True] = True) -> Path: ...


@overload
def _find(data_dir: Path, pattern: str, required: bool) -> Path | None: ...


def _find(data_dir: Path, pattern: str, required: bool = True) -> Path | None:
    """``data_dir/pattern`` if it exists, else the one file matching ``pattern`` with a suffix before ``.json``."""
    exact = data_dir / pattern.replace("*", "")
    if exact.is_file():
        return exact
    matches = sorted(data_dir.glob(pattern))
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise CatalogError(f"several files in {data_dir} match {pattern}: {[m.name for m in matches]}; keep one")
    if required:
        raise CatalogError(f"no file matching {pattern} in {data_dir}: is this a WebShop data directory?")
    return None


class _Record:
    """Typed access to one JSON record, with errors that name the file, the record and the field."""

    def __init__(self, path: Path, where: str, record: Any) -> None:
        if not isinstance(record, dict):
            raise CatalogError(f"{path}: {where} is a JSON {type(record).__name__}, not an object")
        self.path, self.where, self.record = path, where, record

    def get(self, key: str, types: type | tuple[type, ...], default: Any = ..., allow_none: bool = False) -> Any:
        value = self.record.get(key, default)
        if value is ...:
            raise CatalogError(f"{self.path}: {self.where} lacks the required field '{key}'")
        if value is None and (allow_none or default is None):
            return None
        if not isinstance(value, types):
            names = types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
            raise CatalogError(
                f"{self.path}: {self.where} has field '{key}' of type {type(value).__name__}, expected {names}"
            )
        return value

    def strings(self, key: str, default: Any = ...) -> tuple[str, ...]:
        values = self.get(key, list, default)
        if values is None:
            return ()
        if not all(isinstance(v, str) for v in values):
            raise CatalogError(f"{self.path}: {self.where} has field '{key}' that is not a list of strings")
        return tuple(values)


def _parse_pricing(text: str | None, record: _Record) -> tuple[tuple[float, ...], str]:
    """``"$10.99 - $20.99"`` -> ``((10.99, 20.99), "$10.99 to $20.99")`` as ``load_products`` parses it."""
    if not text:
        return (100.0,), "$100.0"
    try:
        prices = [float(Decimal(re.sub(r"[^\d.]", "", part))) for part in text.split("$")[1:]]
    except InvalidOperation as exc:
        raise CatalogError(f"{record.path}: {record.where} has an unreadable 'pricing' {text!r}") from exc
    if not prices:
        raise CatalogError(f"{record.path}: {record.where} has 'pricing' {text!r} without a $ amount")
    if len(prices) == 1:
        return (prices[0],), f"${prices[0]}"
    return (prices[0], prices[1]), f"${prices[0]} to ${prices[1]}"


def _parse_options(record: _Record) -> dict[str, tuple[str, ...]]:
    raw = record.get("customization_options", dict, default=None)
    options: dict[str, tuple[str, ...]] = {}
    for name, contents in (raw or {}).items():
        if contents is None:
            continue
        if not isinstance(contents, list) or not all(isinstance(c, dict) and "value" in c for c in contents):
            raise CatalogError(
                f"{record.path}: {record.where} has customization option '{name}' that is not a list of "
                "objects with a 'value'"
            )
        options[name.lower()] = tuple(str(c["value"]).strip().replace("/", " | ").lower() for c in contents)
    return options


def _load_reviews(path: Path | None) -> dict[str, tuple[tuple[Review, ...], Any]]:
    if path is None:
        return {}
    data = _read_json(path)
    if not isinstance(data, list):
        raise CatalogError(f"{path}: expected a JSON list of review records, got {type(data).__name__}")
    reviews = {}
    for i, raw in enumerate(data):
        record = _Record(path, f"record {i}", raw)
        items = []
        for j, r in enumerate(record.get("reviews", list, default=[])):
            review = _Record(path, f"record {i} review {j}", r)
            score = review.get("score", (int, float, str), default=None)
            score = review.get("stars", (int, float, str)) if score is None else score
            body = review.get("body", str, default=None)
            body = review.get("review", str, default="") if body is None else body
            items.append(Review(review.get("title", str, default=""), score, body))
        reviews[record.get("asin", str)] = (tuple(items), record.get("average_rating", (int, float, str), "N.A."))
    return reviews


def _load_products(
    path: Path, attributes: Mapping[str, Any], reviews: Mapping[str, Any], num_products: int | None
) -> list[Product]:
    data = _read_json(path)
    if not isinstance(data, list):
        raise CatalogError(f"{path}: expected a JSON list of products, got {type(data).__name__}")
    products, seen = [], set()
    for i, raw in enumerate(data[:num_products]):
        where = f"record {i}" + (f" (asin {raw['asin']!r})" if isinstance(raw, dict) and "asin" in raw else "")
        record = _Record(path, where, raw)
        for key in _REQUIRED_PRODUCT_FIELDS:
            record.get(key, str)
        asin = record.get("asin", str)
        if asin == "nan" or len(asin) > 10 or asin in seen:  # as load_products skips them
            continue
        seen.add(asin)
        bullets = record.get("small_description", (list, str), default="")
        bullets = tuple(str(b) for b in bullets) if isinstance(bullets, list) else (bullets,)
        pricing, price_tag = _parse_pricing(record.get("pricing", str, default=None), record)
        attrs = attributes.get(asin)
        product_reviews, rating = reviews.get(asin, ((), "N.A."))
        products.append(
            Product(
                asin=asin.upper(),
                title=record.get("name", str),
                query=record.get("query", str).lower().strip(),
                category=record.get("category", str),
                product_category=record.get("product_category", str),
                description=record.get("full_description", str, default="") or "",
                bullet_points=bullets,
                pricing=pricing,
                price_tag=price_tag,
                options=_parse_options(record),
                attributes=tuple(attrs["attributes"]) if attrs and "attributes" in attrs else ("DUMMY_ATTR",),
                rating=rating,
                reviews=product_reviews,
            )
        )
    return products


def _price_bound(price: float, rng: random.Random) -> tuple[float, str]:
    """A price bound above ``price`` and its text, as ``get_human_goals`` draws them."""
    price_range = [p for p in _PRICE_RANGE if p > price][:4]
    if len(price_range) < 2:
        return _NO_PRICE_LIMIT, ""
    _, upper = sorted(rng.sample(price_range, 2))
    return upper, f", and price lower than {upper:.2f} dollars"


def _human_goals(
    path: Path, products: Sequence[Product], prices: Mapping[str, float], rng: random.Random
) -> list[Goal]:
    data = _read_json(path)
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: expected a JSON object asin -> instructions, got {type(data).__name__}")
    goals = []
    for product in products:
        for j, raw in enumerate(data.get(product.asin, [])):
            record = _Record(path, f"asin {product.asin} instruction {j}", raw)
            attributes = record.strings("instruction_attributes")
            if not attributes:
                continue
            upper, price_text = _price_bound(prices[product.asin], rng)
            goals.append(
                Goal(
                    asin=product.asin,
                    instruction_text=record.get("instruction", str).strip(".") + price_text,
                    attributes=attributes,
                    goal_options=record.strings("instruction_options"),
                    price_upper=upper,
                    query=product.query,
                    name=product.title,
                    category=product.category,
                    product_category=product.product_category,
                )
            )
    return goals


def _synthetic_goals(
    path: Path,
    attributes: Mapping[str, Any],
    products: Sequence[Product],
    prices: Mapping[str, float],
    rng: random.Random,
) -> list[Goal]:
    goals = []
    for product in products:
        raw = attributes.get(product.asin)
        if not raw or raw.get("instruction") is None:
            continue
        record = _Record(path, f"asin {product.asin}", raw)
        instruction = record.get("instruction", str)
        attrs = record.strings("instruction_attributes")
        if not attrs:
            raise CatalogError(f"{path}: asin {product.asin} has an instruction but no 'instruction_attributes'")
        upper, price_text = _price_bound(prices[product.asin], rng)
        names = sorted(product.options)
        for combination in itertools.product(*(product.options[n] for n in names)):
            option_text = ", and ".join(f"{n}: {v}" for n, v in zip(names, combination))
            option_text = f" with {option_text}" if option_text else ""
            goals.append(
                Goal(
                    asin=product.asin,
                    instruction_text=f"{instruction}{option_text}{price_text}",
                    attributes=attrs,
                    goal_options=tuple(combination),
                    price_upper=upper,
                    query=product.query,
                    name=product.title,
                    category=product.category,
                    product_category=product.product_category,
                )
            )
    counts: dict[str, int] = {}
    for goal in goals:
        for att in goal.attributes:
            counts[att] = counts.get(att, 0) + 1
    return [replace(g, weight=sum(1.0 / counts[a] for a in g.attributes) / len(g.attributes)) for g in goals]


def load_catalog(
    data_dir: str | Path = DEMO_DATA_DIR,
    *,
    human_goals: bool = True,
    num_products: int | None = None,
    seed: int = 0,
) -> Catalog:
    """Load a WebShop data directory: products, prices and the shuffled goals.

    Example:
        >>> catalog = load_catalog()  # the demo catalog
        >>> len(catalog.products), catalog.goals[0].instruction_text[:20]
        (300, 'i want a dry hair ha')

    Args:
        data_dir: a directory holding WebShop's files (see the module docstring).
        human_goals: goals from ``items_human_ins.json`` (WebShop's benchmark) or the synthetic ones from
            ``items_ins_v2*.json``.
        num_products: keep only the first products of the (already shuffled) product file.
        seed: seeds the prices of price ranges and the goals' price bounds.

    Raises:
        CatalogError: a file is missing or unreadable, or a record lacks a field; the message names both.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise CatalogError(f"WebShop data directory {data_dir} does not exist")
    attributes_path = _find(data_dir, "items_ins_v2*.json")
    attributes = _read_json(attributes_path)
    if not isinstance(attributes, dict):
        raise CatalogError(f"{attributes_path}: expected a JSON object asin -> attributes")
    reviews = _load_reviews(_find(data_dir, "reviews*.json", required=False))
    products = _load_products(_find(data_dir, "items_shuffle*.json"), attributes, reviews, num_products)
    rng = random.Random(seed)
    prices = {p.asin: p.pricing[0] if len(p.pricing) == 1 else rng.uniform(*p.pricing) for p in products}
    if human_goals:
        goals = _human_goals(_find(data_dir, "items_human_ins*.json"), products, prices, rng)
    else:
        goals = _synthetic_goals(attributes_path, attributes, products, prices, rng)
    random.Random(_GOAL_SHUFFLE_SEED).shuffle(goals)
    split_sizes = dict(_WEBSHOP_SPLIT)
    split_path = data_dir / "split.json"
    if split_path.is_file():
        record = _Record(split_path, "the split", _read_json(split_path))
        split_sizes = {name: record.get(name, int) for name in ("test", "eval")}
    return Catalog(tuple(products), prices, tuple(goals), split_sizes)
