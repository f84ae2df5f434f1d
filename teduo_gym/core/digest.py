"""Content digests: the one hashing scheme of teduo-gym (blake2b).

- :func:`digest` -- of strings or bytes, each length-prefixed, so ``("ab", "c") != ("a", "bc")``.
- :func:`digest_iter` -- the same of an iterable, read one part at a time (a large catalog is never held whole).
- :func:`json_digest` -- of a JSON-able value (keys sorted): the key of settings, stages and caches.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

__all__ = ["digest", "digest_iter", "json_digest"]


def digest(*parts: str | bytes, size: int = 16) -> str:
    """A hex blake2b digest of the parts (each length-prefixed).

    Example:
        >>> digest("ab", "c") != digest("a", "bc"), len(digest("x")), digest(b"x") == digest("x")
        (True, 32, True)
    """
    return digest_iter(parts, size)


def digest_iter(parts: Iterable[str | bytes], size: int = 16) -> str:
    """:func:`digest` of the parts an iterable yields, read one at a time.

    Example:
        >>> digest_iter(str(i) for i in range(3)) == digest("0", "1", "2")
        True
    """
    h = hashlib.blake2b(digest_size=size)
    for part in parts:
        data = part.encode() if isinstance(part, str) else bytes(part)
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def json_digest(value: Any, size: int = 16) -> str:
    """A hex blake2b digest of ``value`` as sorted-key JSON (values JSON cannot hold are written with ``str``).

    Example:
        >>> json_digest({"b": 1, "a": 2}) == json_digest({"a": 2, "b": 1}), len(json_digest([], size=4))
        (True, 8)
    """
    blob = json.dumps(value, sort_keys=True, default=str).encode()
    return hashlib.blake2b(blob, digest_size=size).hexdigest()
