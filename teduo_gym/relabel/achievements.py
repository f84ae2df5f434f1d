"""Which achievements an instruction is about: a keyword matcher with an embedding fallback.

- :data:`CRAFTAX_CLASSIC_ACHIEVEMENTS` -- the 22 achievements of Craftax-Classic, in the environment's order (kept
  here so that this package does not import the environment; the default achievement vocabulary).
- :data:`VERB_SYNONYMS` -- the English verbs every matcher knows; an environment's own words come from its knowledge
  (Craftax's: :data:`teduo_gym.envs.craftax.ACHIEVEMENT_SYNONYMS` and ``ACHIEVEMENT_FORMS``).
- :class:`AchievementMatcher` -- ``match("collect wood, then place a table") -> ("collect_wood", "place_table")``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from teduo_gym.llm.embedding import TextEmbedder
from teduo_gym.relabel.trajectory import achievement_phrase

__all__ = ["CRAFTAX_CLASSIC_ACHIEVEMENTS", "VERB_SYNONYMS", "AchievementMatcher", "content_words", "normalize"]

#: Craftax-Classic's achievements in column order of ``state.achievements``.
CRAFTAX_CLASSIC_ACHIEVEMENTS: tuple[str, ...] = (
    "collect_wood",
    "place_table",
    "eat_cow",
    "collect_sapling",
    "collect_drink",
    "make_wood_pickaxe",
    "make_wood_sword",
    "place_plant",
    "defeat_zombie",
    "collect_stone",
    "place_stone",
    "eat_plant",
    "defeat_skeleton",
    "make_stone_pickaxe",
    "make_stone_sword",
    "wake_up",
    "place_furnace",
    "collect_coal",
    "collect_iron",
    "collect_diamond",
    "make_iron_pickaxe",
    "make_iron_sword",
)

#: English verbs that may stand for the verb of an achievement's name (``collect_wood``: "gather", "chop"). An
#: environment adds its own words (nouns above all: "tree" for wood) with ``AchievementMatcher(synonyms=...)``.
VERB_SYNONYMS: dict[str, tuple[str, ...]] = {
    k: tuple(v.split())
    for k, v in {
        "collect": "gather get obtain chop harvest mine dig pick acquire grab",
        "place": "put build set plant",
        "make": "craft build create forge",
        "eat": "consume",
        "defeat": "kill slay beat fight",
    }.items()
}
_CLAUSES = re.compile(r"\s*(?:,|;|\band\b|\bthen\b|\bafter\b|\bbefore\b)\s*")
_WORDS = re.compile(r"[a-z]+")
_ARTICLES = frozenset("a an the some".split())
_PRONOUNS = frozenset("it them".split())
# Words that name nothing: what an instruction and a state text may share without being about the same thing.
_FUNCTION_WORDS = _ARTICLES | frozenset("to at on in into onto of off with next near by from for up down".split())


def normalize(text: str) -> str:
    """Lower-case words without articles or punctuation: what two duplicates have in common.

    Example:
        >>> normalize("  Collect the Wood! ")
        'collect wood'
    """
    return " ".join(w for w in _WORDS.findall(text.lower()) if w not in _ARTICLES)


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def content_words(text: str) -> frozenset[str]:
    """The words of a text that name something: lower-case, plurals stemmed, no articles, prepositions or numbers.

    Example:
        >>> sorted(content_words("Walk to the trees near 2 cows"))
        ['cow', 'tree', 'walk']
    """
    return frozenset(_stem(w) for w in _WORDS.findall(text.lower()) if w not in _FUNCTION_WORDS)


def _fills(slots: Sequence[frozenset[str]], words: set[str]) -> bool:
    """Whether distinct words of ``words`` fill every slot (each slot: the words that may fill it).

    Example:
        >>> _fills([frozenset({"place", "plant"}), frozenset({"plant", "sapling"})], {"walk", "plant"})
        False
    """
    if not slots:
        return True
    return any(_fills(slots[1:], words - {word}) for word in slots[0] & words)


class AchievementMatcher:
    """Map an instruction to the achievements it asks for, clause by clause.

    A clause matches an achievement when distinct words of it stand for every word of the achievement's name (the
    word itself or a synonym: with ``synonyms={"wood": ["tree"]}``, "chop a tree" is collect wood), or it says one
    of the achievement's other ``forms`` (all of a form's words: ``forms={"wake_up": [["sleep"]]}``); the longest
    name wins, so "make a stone pickaxe" is not also "collect stone". A clause word fills one name word only, so
    "walk to the plant" is not "place plant". A clause with no keyword match is compared with the names by
    embedding similarity when an embedder is given. Compositional instructions ("collect wood and place a table")
    give several; "it"/"them" stand for what the previous clause acted on.

    Args:
        names: the achievement names (``"collect_wood"``).
        embedder: for the fallback (None: keywords only).
        threshold: the cosine similarity above which the fallback matches.
        synonyms: a name word -> other words that may stand for it, added to :data:`VERB_SYNONYMS` (the
            environment's vocabulary, from its knowledge).
        forms: an achievement -> other ways of saying it, each a sequence of words that must all appear.

    Example:
        >>> names = ("collect_wood", "place_table", "place_plant", "eat_plant", "collect_stone", "place_stone",
        ...          "make_stone_sword", "collect_drink")
        >>> matcher = AchievementMatcher(names, synonyms={"wood": ["tree"], "plant": ["sapling"]},
        ...                              forms={"collect_drink": [["drink"]]})
        >>> matcher.match("Chop a tree, then craft a stone sword")
        ('collect_wood', 'make_stone_sword')
        >>> matcher.match("place a table next to water"), matcher.match("collect stone and place it")
        (('place_table',), ('collect_stone', 'place_stone'))
        >>> matcher.match("eat a plant"), matcher.match("plant a sapling")
        (('eat_plant',), ('place_plant',))
        >>> matcher.match("walk around the lake"), matcher.match("walk to the plant"), matcher.match("drink wood")
        ((), (), ('collect_drink',))
    """

    def __init__(
        self,
        names: Sequence[str],
        embedder: TextEmbedder | None = None,
        threshold: float = 0.75,
        *,
        synonyms: Mapping[str, Iterable[str]] | None = None,
        forms: Mapping[str, Iterable[Iterable[str]]] | None = None,
    ):
        self.names = tuple(names)
        self.embedder = embedder
        self.threshold = threshold
        words: dict[str, set[str]] = {}
        for table in (VERB_SYNONYMS, synonyms or {}):
            for word, others in table.items():
                words.setdefault(word, {word}).update(others)
        unknown = set(forms or {}) - set(self.names)
        if unknown:
            raise ValueError(f"forms name achievements that are not among the names: {sorted(unknown)}")
        self._exact = [name.split("_") for name in self.names]
        # Each name's forms: a list of word slots, each the set of words that may fill it.
        self._forms = [
            [[frozenset(words.get(w, {w})) for w in exact]]
            + [[frozenset({w}) for w in form] for form in (forms or {}).get(name, ())]
            for name, exact in zip(self.names, self._exact)
        ]
        self._name_embeddings: np.ndarray | None = None

    def match(self, instruction: str) -> tuple[str, ...]:
        """The achievements the instruction asks for, in the order of its clauses (no repeats)."""
        found: dict[str, None] = {}
        thing: list[str] = []  # what the last matched clause acted on: what "it" stands for in the next
        for clause in _CLAUSES.split(instruction.lower()):
            words = {_stem(w) for w in _WORDS.findall(clause)} | set(_WORDS.findall(clause))
            words |= {"wood"} if "wooden" in words else set()
            words |= set(thing) if words & _PRONOUNS else set()
            hits = [k for k, forms in enumerate(self._forms) if any(_fills(slots, words) for slots in forms)]
            if hits:
                # The longest name, then the one with most words said literally ("eat a plant" is not place_plant).
                best = max(hits, key=lambda k: (len(self._exact[k]), len(words.intersection(self._exact[k]))))
                found[self.names[best]] = None
                thing = self._exact[best][1:]
            elif self.embedder is not None and normalize(clause):
                name = self._closest(clause)
                if name is not None:
                    found[name] = None
        return tuple(found)

    def _closest(self, clause: str) -> str | None:
        assert self.embedder is not None
        if self._name_embeddings is None:
            self._name_embeddings = self.embedder.embed([achievement_phrase(n) for n in self.names])
        similarity = self._name_embeddings @ self.embedder.embed([clause])[0]
        best = int(np.argmax(similarity))
        return self.names[best] if similarity[best] >= self.threshold else None
