"""WebShop's reward for buying a product: type, attribute, option and price matching.

- :func:`webshop_reward` -- the reward of buying a product with some options for a goal, and its parts.
- :class:`RewardParts` -- the parts: ``r_type``, ``r_att``, ``r_option``, ``r_price`` and the total.
- :func:`token_set_ratio` -- thefuzz's ``fuzz.token_set_ratio`` (0-100), which the attribute and option checks use.
- :func:`normalize_color` -- WebShop's colour normalisation (``web_agent_site/engine/normalize.py``).

Follows ``get_reward`` and its helpers in ``web_agent_site/engine/goal.py`` of princeton-nlp/WebShop::

    total = r_type * (n_attributes_matched + n_options_matched + [price <= price_upper])
                   / (n_goal_attributes + n_goal_options + 1)

One difference: WebShop's type reward compares the nouns of the two product names as tagged by spaCy's
``en_core_web_lg``; here they are the names' words without stop words and numbers (no 800 MB model to install),
so ``title_score`` can differ where a name holds adjectives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from teduo_gym.envs.webshop.catalog import Goal, Product

__all__ = ["COLOR_SET", "RewardParts", "normalize_color", "token_set_ratio", "webshop_reward"]

#: Colours WebShop normalises option values to (the first one contained in the value wins).
COLOR_SET = (
    "alabaster apricot aqua ash asphalt azure banana beige black blue blush bordeaux bronze brown burgundy camel camo "
    "caramel champagne charcoal cheetah chestnut chocolate christmas coffee cognac copper coral cranberry cream "
    "crystal dark denim eggplant elephant espresso fuchsia gold granite grape graphite grass gray green grey heather "
    "indigo ivory ivy khaki lavender lemon leopard light lilac lime magenta maroon mauve merlot midnight mint mocha "
    "multicolor mushroom mustard natural navy nude olive orange peach pewter pink plum purple rainbow red rose royal "
    "rust sand sapphire seashell silver skull slate steel stone stonewash sunflower tan taupe teal tiger turquoise "
    "violet walnut wheat white wine yellow"
).split()
#: Option names matched exactly rather than fuzzily.
_EXACT_MATCH_OPTS = ("size",)
_FUZZY_THRESHOLD = 85
_STOP_WORDS = frozenset("a an and as at by for from in into of on or the to with without s".split())


@dataclass(frozen=True)
class RewardParts:
    """The reward of one purchase and its parts (``get_reward(..., verbose=True)``).

    Attributes:
        total: the reward, in [0, 1].
        r_type: 1, 0.5, 0.1 or 0 -- whether the bought product is of the goal's type.
        r_att: the fraction of goal attributes matched (1 when the goal has none).
        r_option: the fraction of goal options matched (None when the goal has none).
        r_price: whether the price is within the goal's bound.
        query_match, category_match, title_score: what ``r_type`` was decided on.
    """

    total: float
    r_type: float
    r_att: float
    r_option: float | None
    r_price: bool
    query_match: bool
    category_match: bool
    title_score: float


def normalize_color(value: str) -> str:
    """The first colour of :data:`COLOR_SET` contained in ``value``, else ``value``.

    Example:
        >>> normalize_color("black forest"), normalize_color("123alabaster"), normalize_color("webshop")
        ('black', 'alabaster', 'webshop')
    """
    return next((color for color in COLOR_SET if color in value), value)


def _full_process(text: str) -> str:
    """thefuzz's default processing: ASCII only, non-alphanumerics to spaces, lower case, stripped."""
    text = text.encode("ascii", "ignore").decode()
    return re.sub(r"(?ui)\W", " ", text).lower().strip()


def _ratio(a: str, b: str) -> int:
    """thefuzz's ``ratio``: 100 * 2 * LCS / (len(a) + len(b)) (Levenshtein's indel ratio), rounded."""
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for ca in a:
        current = [0]
        for j, cb in enumerate(b):
            current.append(previous[j] + 1 if ca == cb else max(previous[j + 1], current[j]))
        previous = current
    return round(100 * 2 * previous[-1] / (len(a) + len(b)))


def token_set_ratio(a: str, b: str) -> int:
    """How similar two strings are as sets of words, 0-100 (thefuzz's ``fuzz.token_set_ratio``).

    Example:
        >>> token_set_ratio("fuzzy was a bear", "fuzzy fuzzy was a bear")
        100
        >>> token_set_ratio("navy blue", "blue")
        100
        >>> token_set_ratio("pack of 6", "pack of 12")
        88
    """
    a, b = _full_process(a), _full_process(b)
    if not a or not b:
        return 0
    tokens_a, tokens_b = set(a.split()), set(b.split())
    sect = " ".join(sorted(tokens_a & tokens_b))
    combined_ab = f"{sect} {' '.join(sorted(tokens_a - tokens_b))}".strip()
    combined_ba = f"{sect} {' '.join(sorted(tokens_b - tokens_a))}".strip()
    return max(_ratio(sect, combined_ab), _ratio(sect, combined_ba), _ratio(combined_ab, combined_ba))


def _type_words(name: str) -> list[str]:
    """The words of a product name that stand in for spaCy's nouns."""
    return [w for w in re.findall(r"[a-z]+", name.lower()) if w not in _STOP_WORDS]


def _type_reward(product: Product, goal: Goal) -> tuple[float, bool, bool, float]:
    """``get_type_reward``: ``(r_type, query_match, category_match, title_score)``."""
    query_match = product.query == goal.query
    bought = {x.strip() for x in product.product_category.split("›")}
    wanted = {x.strip() for x in goal.product_category.split("›")}
    category_match = len(bought & wanted) >= 2
    desired = _type_words(goal.name)
    title_score = len(set(_type_words(product.title)) & set(desired)) / len(desired) if desired else 0.2
    r_type = 1.0 if query_match or category_match or title_score > 0.2 else 0.5
    if title_score < 0.1:
        r_type = 0.1
    if title_score == 0.0:
        r_type = 0.0
    return r_type, query_match, category_match, title_score


def _in_text(value: str, product: Product) -> bool:
    """Whether ``value`` occurs in the product's title, features or description (lower case)."""
    return (
        value in product.title.lower()
        or value in " ".join(product.bullet_points).lower()
        or value in product.description.lower()
    )


def _attribute_matches(product: Product, goal: Goal) -> int:
    """``get_attribute_reward``: goal attributes fuzzily among the product's, or found in its text."""
    return sum(
        any(token_set_ratio(p_attr, g_attr) > _FUZZY_THRESHOLD for p_attr in product.attributes)
        or _in_text(g_attr, product)
        for g_attr in goal.attributes
    )


def _option_matches(product: Product, goal_options: Iterable[str], bought_options: Mapping[str, str]) -> int:
    """``get_option_reward``: bought options among the goal's (exactly for sizes), or found in the product's text."""
    wanted = [normalize_color(o) for o in goal_options]
    matches = 0
    for name, value in bought_options.items():
        value = normalize_color(value)
        if name.lower() in _EXACT_MATCH_OPTS:
            matched = value in wanted
        else:
            matched = any(token_set_ratio(g, value) > _FUZZY_THRESHOLD for g in wanted)
        matches += matched or _in_text(value, product)
    return matches


def webshop_reward(product: Product, goal: Goal, price: float, options: Mapping[str, str]) -> RewardParts:
    """The reward of buying ``product`` at ``price`` with ``options`` (name -> value) for ``goal``.

    Example:
        >>> from teduo_gym.envs.webshop.catalog import load_catalog
        >>> catalog = load_catalog()
        >>> goal = catalog.goals[0]
        >>> product = catalog.product(goal.asin)
        >>> chosen = {name: value for name, values in product.options.items()
        ...           for value in values if value in goal.goal_options}
        >>> webshop_reward(product, goal, catalog.prices[goal.asin], chosen).total
        1.0
    """
    r_type, query_match, category_match, title_score = _type_reward(product, goal)
    r_price = price <= goal.price_upper
    n_att = _attribute_matches(product, goal)
    n_opt = _option_matches(product, goal.goal_options, options)
    denominator = len(goal.attributes) + len(goal.goal_options) + 1
    return RewardParts(
        total=(n_att + n_opt + r_price) / denominator * r_type,
        r_type=r_type,
        r_att=n_att / len(goal.attributes) if goal.attributes else 1.0,
        r_option=n_opt / len(goal.goal_options) if goal.goal_options else None,
        r_price=r_price,
        query_match=query_match,
        category_match=category_match,
        title_score=title_score,
    )
