"""Where teduo-gym keeps what it caches across runs (converted models, compiled code, search indexes).

- :func:`cache_root` -- ``$TEDUO_CACHE``, else ``$XDG_CACHE_HOME/teduo-gym``, else ``~/.cache/teduo-gym``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_root"]


def cache_root() -> Path:
    """The directory teduo-gym caches into.

    ``$TEDUO_CACHE`` if set, else ``$XDG_CACHE_HOME/teduo-gym``, else ``~/.cache/teduo-gym``.

    Example:
        >>> (cache_root() / "models").name
        'models'
    """
    if os.environ.get("TEDUO_CACHE"):
        return Path(os.environ["TEDUO_CACHE"]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "teduo-gym"
    return Path.home() / ".cache" / "teduo-gym"
