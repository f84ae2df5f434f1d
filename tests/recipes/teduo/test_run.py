"""`teduo run` end to end on a tiny config: real minigrid, the real embedded LLM, real fine-tuning."""

import json

import pytest

from teduo_gym.cli import main
from teduo_gym.recipes.teduo import RunConfig, run

TINY = {
    "env": "BabyAI-GoToLocal-v0",
    "policy": "bot",
    "layouts": 3,
    "test_layouts": 2,
    "episodes_per_layout": 4,
    "max_steps": 16,
    "goal_kinds": ["go to"],  # the bot never toggles on GoToLocal (no doors): "open" goals would be refused
    "train_goals": 4,
    "test_goals": 6,  # some of them feasible in the test layouts: a setting with none is refused
    "finetune_steps": 2,
    "batch_size": 4,
    "eval_episodes": 2,
}


def test_every_stage_runs_then_reruns_from_cache(tmp_path, capsys):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps({**TINY, "out": str(tmp_path / "run")}))
    main(["run", "--config", str(path)])
    printed = capsys.readouterr().out
    assert "### train layouts / train goals" in printed and "| fine-tuned |" in printed
    folders = sorted(p.name.split("-")[0] for p in (tmp_path / "run").iterdir())
    assert {"data", "labels", "examples", "agent", "results"} <= set(folders)
    agent = next((tmp_path / "run").glob("agent-*"))
    written = (agent / "teduo_agent.json").stat().st_mtime_ns
    # a rerun skips every finished stage; a new evaluation budget reruns the evaluation only
    results = run(RunConfig.from_file(path), progress=False)
    assert (agent / "teduo_agent.json").stat().st_mtime_ns == written
    run(RunConfig(**{**RunConfig.from_file(path).__dict__, "eval_episodes": 3}), progress=False)
    assert len(list((tmp_path / "run").glob("results-*.json"))) == 2
    assert len(list((tmp_path / "run").glob("agent-*"))) == 1
    assert all(s["episodes"] == 2 for setting in results["evaluation"].values() for s in setting.values())
    for setting, agents in results["evaluation"].items():  # step 2's tables exist for the training goals only
        assert ("Q-table" in agents) == setting.endswith("train goals")
    stages = results["stages"]
    assert list(stages) == ["collect", "label", "examples", "finetune", "evaluate"]
    assert all(t["seconds"] > 0 for t in stages.values())


def test_a_config_with_unknown_settings_is_named(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"layots": 3}))
    try:
        main(["run", "--config", str(path)])
    except SystemExit as exit_info:
        assert exit_info.code == 2
    assert "unknown settings ['layots']" in capsys.readouterr().err


def test_filtered_bc_on_egocentric_text_shares_data_and_labels(tmp_path):
    """The ablation's arm: the same data and labels, filtered-BC examples, the agent reading egocentric text."""
    base = RunConfig(**{**TINY, "out": tmp_path / "run"})
    base_results = run(base, progress=False)
    ablation = RunConfig(**{**base.__dict__, "examples": "filtered_bc", "text": "egocentric"})
    results = run(ablation, progress=False)
    stages = results["stages"]
    assert stages["collect"]["cached"] and stages["label"]["cached"] and not stages["examples"]["cached"]
    examples = [json.loads(line) for line in (tmp_path / "run" / stages["examples"]["folder"]).read_text().splitlines()]
    assert examples and all(e["state"].splitlines()[-1].startswith("You carry") for e in examples)
    sequences = (tmp_path / "run" / stages["examples"]["folder"]).with_suffix(".sequences.jsonl")
    assert sequences.read_text().count("\n") >= 1
    assert set(results["evaluation"]) == set(base_results["evaluation"])  # the same feasible (layout, goal) settings


def test_contradictory_or_unknown_settings_are_refused():
    with pytest.raises(ValueError, match="set examples to 'filtered_bc'"):
        RunConfig(text="egocentric")
    with pytest.raises(ValueError, match="expected one of"):
        RunConfig(examples="dagger")


def test_egocentric_texts_of_stored_states_are_what_the_agent_saw(tmp_path):
    from teduo_gym.collection import CollectConfig, collect
    from teduo_gym.datasets import load_dataset
    from teduo_gym.envs.babyai import describe_egocentric, make_babyai_env
    from teduo_gym.recipes.teduo import egocentric_states

    out = collect(
        CollectConfig(
            env="BabyAI-GoToLocal-v0",
            policy="random",
            layouts=2,
            episodes_per_layout=1,
            max_steps=12,
            out=tmp_path / "d",
        ),
        progress=False,
    )
    data = load_dataset(out)
    view = egocentric_states(data)
    env = make_babyai_env("BabyAI-GoToLocal-v0", text=False)
    first = data.episode == 0
    obs, _ = env.reset(seed=int(data.layout_seeds[0]))
    seen = [describe_egocentric(None, obs)]
    for action in data.actions[first]:
        obs, *_ = env.step(int(action))
        seen.append(describe_egocentric(None, obs))
    states = [*data.src[first], data.dst[first][-1]]
    assert [view.texts[view.ids[s]] for s in states] == seen


def test_balanced_goal_kinds_are_a_stated_setting_that_keeps_older_stage_keys():
    from collections import Counter

    from teduo_gym.envs import knowledge_for
    from teduo_gym.evaluation.protocol import Protocol
    from teduo_gym.recipes.teduo import StagePaths

    synth = RunConfig(
        env="BabyAI-Synth-v0", goal_kinds=("go to", "pick up", "open", "put next to"), train_goals=40, test_goals=12
    )
    balanced = RunConfig(**{**synth.__dict__, "balance_kinds": True})
    kind = knowledge_for("BabyAI-Synth-v0").goal_kind
    drawn = [Counter(kind(g) for g in Protocol.from_run_config(c).train_goals) for c in (synth, balanced)]
    assert drawn[0]["put next to"] > 30 and min(drawn[1].values()) >= 4  # 567 of the grammar's 623 goals are puts
    test = Protocol.from_run_config(balanced)
    assert Counter(kind(test.canonical(g)) for g in test.test_goals) == dict.fromkeys(drawn[1], 3)
    paths, moved = StagePaths.of(synth), StagePaths.of(balanced)
    assert paths.data == moved.data and paths.labels != moved.labels  # the data do not depend on the goals
    # a config that leaves it unset keeps the folder names of runs made before the setting existed
    from teduo_gym.core.stage import stage_key
    from teduo_gym.recipes.teduo import _AGENT

    before = [f for f in _AGENT if f != "balance_kinds"]
    assert paths.agent.name == f"agent-{stage_key(synth, *before)}" != moved.agent.name
