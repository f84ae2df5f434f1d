"""Root pytest configuration: the doctests of optional parts run only where their extra is installed."""

import importlib.util

collect_ignore_glob = [] if importlib.util.find_spec("craftax") else ["teduo_gym/envs/craftax/*.py"]
