"""Root pytest configuration, for the tests and the doctests alike.

- The doctests of optional parts run only where their extra is installed.
- Temporary files land in the test's own ``tmp_path``, which pytest removes once the test passes
  (``tmp_path_retention_policy = "failed"``), so a run leaves nothing behind in the system's temporary folder.
"""

import importlib.util
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_CRAFTAX = ["teduo_gym/envs/craftax/*.py", "teduo_gym/oir/*.py"]  # JAX: the craftax extra
collect_ignore_glob = [] if importlib.util.find_spec("craftax") else _CRAFTAX


@pytest.fixture(autouse=True)
def _temporary_files_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point ``tempfile`` (this process) and ``TMPDIR`` (its subprocesses) at the test's ``tmp_path``.

    Doctests write with ``tempfile.mkdtemp()``, and a fine-tuning doctest saves a whole model: without this, every
    run of the suite left gigabytes in /tmp until the disk filled.
    """
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    yield
