"""WebShop's product search: a full-text index with BM25 ranking (SQLite FTS5), built once and cached on disk.

- :class:`SearchIndex` -- ``search(keywords)`` -> the asins of the best products, best first.
- :func:`default_cache_dir` -- where indices are cached unless told otherwise.

WebShop searches a Lucene index (pyserini) of each product's title, description, first bullet point and options
(``search_engine/convert_product_file_format.py``) and keeps the top 50 (``SEARCH_RETURN_N`` in
``web_agent_site/engine/engine.py``). This index holds the same text, stems it with Porter's stemmer and ranks by
SQLite's ``bm25()`` (k1 = 1.2, b = 0.75; Lucene's defaults in pyserini are 0.9 and 0.4), any keyword matching.
The index file is named by the catalog's content hash, so a changed catalog gets a new index and an unchanged one
is reused; it is built in a temporary file and renamed into place, so concurrent builders never see half of one.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from teduo_gym.core.io import atomic_write
from teduo_gym.core.paths import cache_root
from teduo_gym.envs.webshop.catalog import Product

__all__ = ["SEARCH_RETURN_N", "SearchIndex", "default_cache_dir"]

#: How many products a search returns (WebShop's ``SEARCH_RETURN_N``).
SEARCH_RETURN_N = 50
_SCHEMA_VERSION = 1


def default_cache_dir() -> Path:
    """``cache_root() / "webshop"``: ``$TEDUO_CACHE/webshop``, else under ``$XDG_CACHE_HOME`` or ``~/.cache``.

    Example:
        >>> default_cache_dir().name
        'webshop'
    """
    return cache_root() / "webshop"


class SearchIndex:
    """A BM25 full-text index of products, cached in ``cache_dir`` under the catalog's content hash.

    Thread-safe: each thread reads through its own read-only SQLite connection.

    Args:
        products: the products to index.
        content_hash: names the cache file (:attr:`Catalog.content_hash`).
        cache_dir: where the index file lives; :func:`default_cache_dir` if None.

    Example:
        >>> import tempfile
        >>> from teduo_gym.envs.webshop.catalog import load_catalog
        >>> catalog = load_catalog()
        >>> index = SearchIndex(catalog.products, catalog.content_hash, tempfile.mkdtemp())
        >>> catalog.product(index.search("noise cancelling wireless earbuds")[0]).query
        'wireless earbuds'
    """

    def __init__(self, products: Sequence[Product], content_hash: str, cache_dir: str | Path | None = None) -> None:
        cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.path = cache_dir / f"webshop-index-v{_SCHEMA_VERSION}-{content_hash}.sqlite"
        #: Whether this instance built the index (False when it was found in the cache).
        self.built = False
        if not self.path.is_file():
            self._build(products)
        self._local = threading.local()

    def _build(self, products: Sequence[Product]) -> None:
        def write(tmp: Path) -> None:
            with sqlite3.connect(tmp) as db:
                db.execute(
                    "CREATE VIRTUAL TABLE docs USING fts5(asin UNINDEXED, contents, tokenize='porter unicode61')"
                )
                db.executemany("INSERT INTO docs VALUES (?, ?)", ((p.asin, p.index_text()) for p in products))
                db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
            db.close()

        atomic_write(self.path, write)
        self.built = True

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        return db

    def search(self, keywords: str, k: int = SEARCH_RETURN_N) -> list[str]:
        """The asins of the ``k`` products ranking best for ``keywords`` by BM25 (ties by catalog order)."""
        words = re.findall(r"\w+", keywords.lower())
        if not words:
            return []
        query = " OR ".join(f'"{w}"' for w in dict.fromkeys(words))
        rows = self._db().execute(
            "SELECT asin FROM docs WHERE docs MATCH ? ORDER BY bm25(docs), rowid LIMIT ?", (query, k)
        )
        return [asin for (asin,) in rows]
