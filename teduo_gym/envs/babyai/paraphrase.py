"""Reworded goals and train/test goal splits, as in TEDUO's evaluation (held-out objects, new words).

- :data:`VERB_REWORDINGS`, :data:`SYNONYMS` -- the rewording and synonym tables.
- :func:`paraphrase` -- one rewording of a goal, every reworded word replaced.
- :func:`make_goal_split` -- canonical training goals and reworded test goals over disjoint
  (colour, type) combinations, with each test text's canonical goal.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from teduo_gym.envs.babyai.goals import BabyAIGoal, ObjectRef, parse_goal
from teduo_gym.envs.knowledge import GoalSplit

__all__ = ["SYNONYMS", "VERB_REWORDINGS", "GoalSplit", "make_goal_split", "paraphrase"]

#: Rewordings of each goal kind; "put X next to Y" becomes "place X beside Y".
VERB_REWORDINGS: dict[str, tuple[str, ...]] = {
    "go to": ("move to", "reach", "navigate to"),
    "pick up": ("grab", "acquire", "collect"),
    "open": ("push open", "swing open"),
    "put next to": ("place {object} beside {target}",),
}

#: Synonyms of object types and colours (disjoint, so a reworded goal still has one meaning).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "box": ("container", "crate", "chest"),
    "ball": ("sphere", "globe", "orb"),
    "key": ("unlocker",),
    "door": ("portal", "gate", "hatch"),
    "red": ("scarlet", "crimson", "ruby"),
    "blue": ("azure", "cobalt", "navy"),
    "green": ("emerald", "jade", "lime"),
    "yellow": ("golden", "amber"),
    "purple": ("violet", "lavender", "mauve"),
    "grey": ("ash", "charcoal", "silver"),
}


def _pick(options: Sequence[str], rng: np.random.Generator) -> str:
    return options[int(rng.integers(len(options)))]


def _reword_ref(ref: ObjectRef, rng: np.random.Generator) -> str:
    noun = _pick(SYNONYMS[ref.type], rng)
    if ref.color is None:
        return f"a {noun}"
    return f"the {_pick(SYNONYMS[ref.color], rng)} {noun}"


def paraphrase(goal_text: str, rng: np.random.Generator) -> str:
    """Reword a goal: a new verb and a synonym for every colour and type.

    Example:
        >>> paraphrase("pick up the red ball", np.random.default_rng(0))
        'collect the crimson globe'

    Raises:
        UnknownGoalError: the text is outside the BabyAI goal grammar.
    """
    goal = parse_goal(goal_text)
    verb = _pick(VERB_REWORDINGS[goal.kind], rng)
    if goal.target is not None:
        obj = _reword_ref(goal.object, rng)
        return verb.format(object=obj, target=_reword_ref(goal.target, rng))
    return f"{verb} {_reword_ref(goal.object, rng)}"


def _draw(pool: Sequence[int], kinds: Sequence[str], n: int, rng: np.random.Generator, balanced: bool) -> list[int]:
    """``n`` of ``pool`` without replacement: uniformly, or round robin over the goal kinds (each kind's goals in
    a random order; a kind that runs out leaves its turns to the others)."""
    if not balanced:
        return sorted(rng.choice(pool, size=n, replace=False).tolist())
    queues = [list(rng.permutation([i for i in pool if kinds[i] == k])) for k in sorted({kinds[i] for i in pool})]
    order: list[int] = []
    while len(order) < n:
        order += [int(q.pop()) for q in queues if q][: n - len(order)]
    return sorted(order)


def make_goal_split(
    goals: Sequence[str], n_train: int, n_test: int, seed: int = 0, balanced: bool = False
) -> GoalSplit:
    """Split goals so that test goals name held-out (colour, type) combinations and use reworded words.

    Whole (colour, type) combinations (e.g. "red ball", "door" without colour) are held out, in a random
    order, until enough goals name one of them; test goals are drawn from those and reworded with
    :func:`paraphrase`, training goals from the goals naming none of them, kept canonical. With ``balanced``,
    combinations are held out until every goal kind has its share of test candidates (where the grammar allows),
    and both sets are drawn round robin over the goal kinds: the grammar has far more "put next to" goals than
    any other kind, so a small uniform draw is mostly those. The same seed gives the same split.

    Example:
        >>> from teduo_gym.envs.babyai.goals import enumerate_goals
        >>> split = make_goal_split(enumerate_goals(("go to", "pick up", "open")), 20, 5, seed=0)
        >>> len(split.train), len(split.test), set(split.train) & set(split.test)
        (20, 5, set())
        >>> every = enumerate_goals(("go to", "pick up", "open", "put next to"))
        >>> sorted(parse_goal(g).kind for g in make_goal_split(every, 8, 4, balanced=True).train)
        ['go to', 'go to', 'open', 'open', 'pick up', 'pick up', 'put next to', 'put next to']

    Raises:
        ValueError: there are not enough goals for ``n_train`` and ``n_test``.
    """
    if n_train < 0 or n_test < 0:
        raise ValueError("n_train and n_test must be >= 0")
    rng = np.random.default_rng(seed)
    parsed: list[BabyAIGoal] = [parse_goal(g) for g in goals]
    combos = sorted({r for g in parsed for r in g.refs}, key=lambda r: (r.type, r.color or ""))
    kinds = [g.kind for g in parsed]
    share = -(-n_test // len(set(kinds))) if balanced and kinds else 0  # test candidates each kind should have

    def enough(held: set[ObjectRef]) -> bool:
        named = [any(r in held for r in g.refs) for g in parsed]
        short = [k for k in set(kinds) if sum(n and kind == k for n, kind in zip(named, kinds)) < share]
        return sum(named) >= n_test and not short

    held: set[ObjectRef] = set()
    for k in rng.permutation(len(combos)):
        if enough(held):
            break
        held.add(combos[int(k)])
    test_pool = [i for i, g in enumerate(parsed) if any(r in held for r in g.refs)]
    train_pool = [i for i, g in enumerate(parsed) if not any(r in held for r in g.refs)]
    if len(test_pool) < n_test or len(train_pool) < n_train:
        raise ValueError(
            f"cannot split {len(parsed)} goals into {n_train} train and {n_test} test goals over disjoint "
            f"(colour, type) combinations: {len(train_pool)} train and {len(test_pool)} test candidates"
        )
    train_ids = _draw(train_pool, kinds, n_train, rng, balanced)
    test_ids = _draw(test_pool, kinds, n_test, rng, balanced)
    train = [parsed[i].text for i in train_ids]
    canonical: dict[str, str] = {}
    for i in test_ids:
        text = paraphrase(parsed[i].text, rng)
        canonical[text] = parsed[i].text  # synonyms are disjoint: distinct goals never collide
    return GoalSplit(train=train, test=list(canonical), canonical=canonical)
