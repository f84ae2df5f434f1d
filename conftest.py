"""Root pytest configuration, for the tests and the doctests alike.

- The doctests of optional parts run only where their extra is installed.
- Temporary files land in a folder of the test's own, removed after it, and pytest removes each passed test's
  ``tmp_path`` (``tmp_path_retention_policy = "failed"``): a run leaves nothing behind in the system's temporary
  folder but what failed tests wrote to ``tmp_path``.
"""

import importlib.util
import shutil
import tempfile
from collections.abc import Iterator

import pytest

_CRAFTAX = ["teduo_gym/envs/craftax/*.py", "teduo_gym/oir/*.py"]  # JAX: the craftax extra
collect_ignore_glob = [] if importlib.util.find_spec("craftax") else _CRAFTAX


@pytest.fixture(autouse=True)
def _temporary_files_removed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point ``tempfile`` (this process) and ``TMPDIR`` (its subprocesses) at a folder of the test's own, removed
    after it.

    Doctests write with ``tempfile.mkdtemp()``, and a fine-tuning doctest saves a whole model: without this, every
    run of the suite left gigabytes in /tmp until the disk filled. The folder is a short one beside the system's
    (not under ``tmp_path``): a local Ray puts Unix sockets under it, whose paths may not exceed 107 bytes.
    """
    folder = tempfile.mkdtemp(prefix="teduo-test-")
    monkeypatch.setattr(tempfile, "tempdir", folder)
    monkeypatch.setenv("TMPDIR", folder)
    yield
    shutil.rmtree(folder, ignore_errors=True)
