"""JAX's persistent compilation cache, on by default for the Craftax environments.

Compiling Craftax's step takes 10-25 s on a CPU; with the cache a new process loads the compiled programs in a
second or two.

- :data:`CACHE_ENV_VAR` -- ``TEDUO_JAX_CACHE``: ``0`` / ``off`` / ``false`` turns the cache off, a path moves it.
- :func:`compilation_cache_dir` -- where the cache lives (``cache_root() / "jax"`` by default).
- :func:`enable_compilation_cache` -- turn it on (what the environments call before compiling).
"""

from __future__ import annotations

import os
from pathlib import Path

import jax

from teduo_gym.core.paths import cache_root

__all__ = ["CACHE_ENV_VAR", "compilation_cache_dir", "enable_compilation_cache"]

#: Environment variable: ``0``, ``off``, ``false`` or ``no`` disables the cache; any other value is its directory.
CACHE_ENV_VAR = "TEDUO_JAX_CACHE"
_OFF = frozenset(("0", "off", "false", "no"))
# Craftax's own programs take seconds to compile; tiny helper programs are not worth a file each.
_MIN_COMPILE_SECONDS = 0.5


def compilation_cache_dir(enabled: bool | str | Path = True) -> Path | None:
    """The cache directory ``enabled`` asks for, or None when the cache is off.

    ``enabled`` is True (``$TEDUO_JAX_CACHE`` if set, else ``cache_root() / "jax"``), False, or a directory.

    Example:
        >>> compilation_cache_dir(False) is None, compilation_cache_dir("/tmp/jax-cache")
        (True, PosixPath('/tmp/jax-cache'))
    """
    if enabled is False:
        return None
    if enabled is not True:
        return Path(enabled).expanduser()
    value = os.environ.get(CACHE_ENV_VAR, "").strip()
    if value.lower() in _OFF:
        return None
    return Path(value).expanduser() if value else cache_root() / "jax"


def enable_compilation_cache(enabled: bool | str | Path = True) -> Path | None:
    """Point JAX's persistent compilation cache at :func:`compilation_cache_dir` and return the directory in use.

    A directory JAX already uses (set by the user or an earlier call) is kept: JAX reads the setting once, at its
    first compilation. Returns None when the cache is off.

    Example:
        >>> enable_compilation_cache(False) is None
        True
    """
    directory = compilation_cache_dir(enabled)
    if directory is None:
        return None
    current = jax.config.values.get("jax_compilation_cache_dir")
    if current:
        return Path(current)
    directory.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(directory))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", _MIN_COMPILE_SECONDS)
    return directory
