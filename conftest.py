"""Root pytest configuration: the doctests of optional parts run only where their extra is installed."""

import importlib.util

_CRAFTAX = ["teduo_gym/envs/craftax/*.py", "teduo_gym/oir/*.py"]  # JAX: the craftax extra
collect_ignore_glob = [] if importlib.util.find_spec("craftax") else _CRAFTAX
