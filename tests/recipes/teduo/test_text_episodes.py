"""`teduo run` on WebShop (an environment played as text episodes) end to end: the real loopback server and the real
embedded LLM; its config, the former `teduo webshop run` config, and its errors."""

import json
from pathlib import Path

import pytest

from teduo_gym.cli import main
from teduo_gym.envs.webshop import WebShopConnectionError, WebShopEngine, WebShopServeConfig, WebShopServer
from teduo_gym.recipes.teduo import RunConfig, StagePaths, run

EXAMPLES = Path(__file__).parents[3] / "examples"
WEBSHOP = {"env": "teduo/WebShop-v0", "label_mode": "compiled", "examples": "filtered_bc", "bc_keep": 1}


def test_example_config_loads() -> None:
    config = RunConfig.from_file(EXAMPLES / "webshop-quick.json")
    assert config.env == "teduo/WebShop-v0" and config.env_options == {"page_chars": 400, "item_chars": 32}
    assert StagePaths.of(config).labels.name == "labels.jsonl" and StagePaths.of(config).goals is not None
    assert (config.label_mode, config.policy) == ("judge", "random")
    compiled = RunConfig.from_file(EXAMPLES / "webshop-compiled.json")
    assert (compiled.label_mode, compiled.policy, compiled.eval_episodes) == ("compiled", "mixture", 50)


def test_a_former_webshop_run_config_names_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"episodes": 100, "page_chars": 400, "eval_goals": 8}))
    with pytest.raises(ValueError, match=r"former `teduo webshop run`.*\"env\": \"teduo/WebShop-v0\"") as err:
        RunConfig.from_file(path)
    assert "\n" not in str(err.value)


def test_the_cli_names_the_migration_and_keeps_webshop_serve(tmp_path: Path, capsys) -> None:
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"episodes": 3, "page_chars": 400}))
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--config", str(path)])
    assert exit_info.value.code == 2 and "former `teduo webshop run`" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["webshop", "serve", "--help"])
    assert exit_info.value.code == 0 and "--port" in capsys.readouterr().out


def test_settings_of_the_other_path_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\['episodes'\] are settings of environments played as text episodes"):
        run(RunConfig(out=tmp_path, episodes=3), progress=False)
    with pytest.raises(ValueError, match=r"set label_mode to one of \('judge', 'compiled'\)"):
        run(RunConfig(out=tmp_path, **{**WEBSHOP, "label_mode": "proxy"}), progress=False)
    with pytest.raises(ValueError, match="policy='expert.zip': text episodes are collected by one of"):
        run(RunConfig(out=tmp_path, **{**WEBSHOP, "policy": "expert.zip"}), progress=False)
    assert not list(tmp_path.iterdir())  # refused before any work


def test_judge_labels_random_episodes(tmp_path: Path) -> None:
    """The judge labels the outcomes of the random behaviour policy (no reading of instructions)."""
    config = RunConfig(out=tmp_path, **{**WEBSHOP, "label_mode": "judge", "policy": "random"}, episodes=4,
                       max_steps=6, hindsight_goals=1)  # fmt: skip
    stages = run(config, progress=False, until="label")["stages"]
    assert list(stages) == ["goals", "collect", "label"]
    labels = [json.loads(line) for line in next(tmp_path.glob("labels-*/labels.jsonl")).read_text().splitlines()]
    assert all(set(lb["parts"]) == {"category", "attributes", "options", "price"} for lb in labels)
    assert not list(tmp_path.glob("readings-*.json"))


def test_a_server_that_is_down_is_a_clear_error(tmp_path: Path) -> None:
    engine: WebShopEngine = WebShopServeConfig(cache_dir=tmp_path / "index", log_level="warning").build_engine()
    with WebShopServer(engine) as server:
        url = server.url  # a port that was free a moment ago and is closed now
    config = RunConfig(out=tmp_path, **WEBSHOP, env_options={"base_url": url, "timeout_s": 2})
    with pytest.raises(WebShopConnectionError, match=f"cannot reach the WebShop server at {url}"):
        run(config, progress=False)


def test_tiny_run_end_to_end_and_resumed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every stage on WebShop through `teduo run` (about a minute on 2 free cores: no prompted baseline)."""
    config = {
        **WEBSHOP,
        "out": str(tmp_path / "run"),
        "env_options": {"page_chars": 200, "item_chars": 24},
        "episodes": 6,
        "max_steps": 6,
        "hindsight_goals": 1,
        "threshold": 0.3,
        "finetune_steps": 1,
        "batch_size": 2,
        "max_length": 160,
        "eval_episodes": 1,
        "eval_steps": 2,
        "baselines": [],
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    main(["run", "--config", str(path)])
    assert "| fine-tuned |" in capsys.readouterr().out
    out = tmp_path / "run"
    record = json.loads(next(out.glob("results-*.json")).read_text())
    results = record["results"]
    agents = results["evaluation"]
    assert list(agents) == ["fine-tuned", "random"]
    for summaries in agents.values():
        assert {s: summaries[s]["episodes"] for s in summaries} == {"test": 1, "train": 1}
        assert all(0 <= summaries[s]["score"] <= 100 for s in summaries)
    assert results["labelling"]["all"]["pairs"] == results["data"]["labels"] > 0
    assert results["bc"]["examples"] > 0 and results["data"]["episodes"] == 6
    assert list(results["stages"]) == ["goals", "collect", "label", "examples", "finetune", "evaluate"]
    reading = results["reading"]  # instructions read on first use: the episodes' goals and their hindsight goals
    assert set(reading) == {"instructions", "type", "attributes", "options", "price", "all"}
    assert 1 <= reading["instructions"] <= 12 and reading["all"] >= 0.8
    assert results["labelling"]["all"]["accuracy"] >= 0.8  # compiled labels agree with WebShop's reward
    assert record["config"]["episodes"] == 6 and "torch" in record["versions"]
    assert "| fine-tuned |" in next(out.glob("results-*.md")).read_text()
    pages = [json.loads(line)["states"] for line in next(out.glob("data-*/episodes.jsonl")).read_text().splitlines()]
    assert all(len(page.split("\nchosen: ")[0]) <= 200 for states in pages for page in states)  # env_options apply
    # a rerun finds every stage on disk
    assert run(RunConfig.from_file(path), progress=False)["evaluation"] == agents
