"""The whole run on the real server and the real embedded LLM; its config and its errors."""

import json
from pathlib import Path

import pytest

from teduo_gym.envs.webshop import WebShopConnectionError, WebShopServer
from teduo_gym.recipes.webshop import WebShopRunCommand, WebShopRunConfig, run_command, run_webshop

EXAMPLES = Path(__file__).parents[3] / "examples"


def test_example_config_loads() -> None:
    config = WebShopRunConfig.from_file(EXAMPLES / "webshop-quick.json")
    assert config.base_url is None and config.llm.backend == "transformers"


def test_unknown_settings_are_named(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"episodes": 2, "epsiodes": 3}))
    with pytest.raises(ValueError, match=r"unknown settings \['epsiodes'\]; known: .*'episodes'"):
        WebShopRunConfig.from_file(path)
    path.write_text(json.dumps({"baselines": [{"backend": "openai", "url": "http://x"}]}))
    with pytest.raises(ValueError, match=r"c\.json: .*unexpected keyword argument 'url'"):
        WebShopRunConfig.from_file(path)
    path.write_text(json.dumps({"llm": {"backend": "openai", "base_url": "http://x/v1"}}))
    with pytest.raises(ValueError, match="must be a local model"):
        WebShopRunConfig.from_file(path)


def test_a_server_that_is_down_is_a_clear_error(tmp_path: Path, engine) -> None:
    with WebShopServer(engine) as server:
        url = server.url  # a port that was free a moment ago and is closed now
    config = WebShopRunConfig(out=tmp_path, base_url=url, timeout_s=2)
    with pytest.raises(WebShopConnectionError, match=f"cannot reach the WebShop server at {url}"):
        run_webshop(config, progress=False)


@pytest.mark.slow  # about 2 minutes on 2 free cores
def test_tiny_run_end_to_end_and_resumed(tmp_path: Path) -> None:
    config = {
        "out": str(tmp_path / "run"),
        "episodes": 6,
        "max_steps": 6,
        "hindsight_goals": 1,
        "threshold": 0.3,
        "finetune_steps": 1,
        "batch_size": 2,
        "max_length": 160,
        "eval_goals": 2,
        "eval_steps": 3,
        "page_chars": 200,
        "item_chars": 24,
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    results = run_command(WebShopRunCommand(path, progress=False))
    agents = results["evaluation"]
    assert list(agents) == ["teduo (fine-tuned)", "react prompt (SmolLM2-135M-Instruct)", "random clicks"]
    for summaries in agents.values():
        assert {s: summaries[s]["episodes"] for s in summaries} == {"test": 2, "train": 2}
        assert all(0 <= summaries[s]["score"] <= 100 for s in summaries)
    assert results["labelling"]["all"]["pairs"] == results["data"]["labels"] > 0
    assert results["bc"]["examples"] > 0
    record = json.loads(next((tmp_path / "run").glob("results-*.json")).read_text())
    assert record["config"]["episodes"] == 6 and "torch" in record["versions"]
    assert "| teduo (fine-tuned) |" in next((tmp_path / "run").glob("results-*.md")).read_text()
    # a rerun finds every stage on disk
    assert run_webshop(WebShopRunConfig.from_file(path), progress=False)["evaluation"] == agents
