"""The collection tests share the dataset fixtures of tests/datasets."""

from tests.datasets.conftest import *  # noqa: F403
