from __future__ import annotations

from pathlib import Path

from teduo_gym.envs.webshop import Product, SearchIndex


def _product(asin: str, title: str) -> Product:
    return Product(asin, title, "q", "c", "A › B", "", (), (1.0,), "$1.0", {}, ())


PRODUCTS = [
    _product("A1", "ceramic coffee mug"),
    _product("A2", "steel travel mug"),
    _product("A3", "glass mug"),
    _product("A4", "plastic mug"),
    _product("A5", "zebra print blanket"),
    _product("A6", "ceramic plant pot"),
    _product("A7", "running shoes for running on trails while running"),
]


def test_bm25_ranks_more_matching_terms_and_rarer_terms_first(tmp_path: Path) -> None:
    index = SearchIndex(PRODUCTS, "toy", tmp_path)
    assert index.search("ceramic mug")[0] == "A1"  # both terms
    assert index.search("mug zebra")[0] == "A5"  # the rare term outweighs the common one
    assert set(index.search("mug")) == {"A1", "A2", "A3", "A4"}
    assert index.search("run")[0] == "A7"  # Porter stemming: run ~ running
    assert index.search("mug", k=2) == index.search("mug")[:2]


def test_queries_are_words_not_fts_syntax(tmp_path: Path) -> None:
    index = SearchIndex(PRODUCTS, "toy", tmp_path)
    assert index.search("") == [] and index.search("!!! ???") == []
    assert index.search('ceramic" OR mug* NEAR(') == index.search("ceramic mug near")


def test_the_index_is_built_once_and_cached_by_content_hash(tmp_path: Path) -> None:
    first = SearchIndex(PRODUCTS, "toy", tmp_path)
    again = SearchIndex(PRODUCTS, "toy", tmp_path)
    other = SearchIndex(PRODUCTS[:2], "toy2", tmp_path)
    assert first.built and not again.built and again.path == first.path
    assert other.built and other.path != first.path
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.path.name, other.path.name])  # no temp files


def test_the_demo_catalogs_goal_products_are_found_by_their_title(catalog, engine) -> None:
    for goal in catalog.goals[:50]:
        assert goal.asin in engine.index.search(catalog.product(goal.asin).title)[:10]
