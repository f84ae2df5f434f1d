"""`evaluate_agents` on real minigrid and on an environment that is not built in: per-episode records, resume,
parallel processes, bad folders and agents."""

import json

import pytest

from teduo_gym.core.executor import ExecutorConfig
from teduo_gym.envs import MissingKnowledgeError
from teduo_gym.evaluation.agents import AgentFactory
from teduo_gym.evaluation.episodes import EpisodeLog
from teduo_gym.evaluation.evaluate import evaluate_agents
from teduo_gym.evaluation.protocol import EpisodeSpec, Protocol
from teduo_gym.evaluation.rollout import EpisodeResult
from teduo_gym.recipes.teduo import RunConfig

from .lake import LAKE

AGENTS = {"random": "random", "bot": "bot"}


def tiny(**changes) -> AgentFactory:
    settings = dict(layouts=3, test_layouts=2, train_goals=10, test_goals=6, eval_episodes=4, max_steps=20)
    return AgentFactory(Protocol.from_run_config(RunConfig(**{**settings, **changes})))


def read_log(folder, agent):
    return (folder / "episodes" / f"{agent}.jsonl").read_text().splitlines()


def test_records_every_episode_and_summarizes_by_setting_and_kind(tmp_path):
    factory, out = tiny(), tmp_path / "eval"
    evaluation = evaluate_agents(factory, AGENTS, out, progress=False, record={"note": "mine"})
    specs = factory.protocol.episode_specs()
    for agent in AGENTS:
        records = [json.loads(line) for line in read_log(out, agent)]
        assert sorted(r["index"] for r in records) == [e.index for e in specs]
    assert set(evaluation) == {e.setting for e in specs}
    for agents in evaluation.values():
        assert agents["bot"]["success_rate"] == 1.0  # the bot solves every feasible goal: the episodes are sound
        assert agents["random"]["episodes"] == 4
        assert sum(s["episodes"] for s in agents["random"]["by_kind"].values()) == 4
    summary = json.loads((out / "summary.json").read_text())
    assert summary["results"]["evaluation"] == evaluation
    assert summary["results"]["fingerprint"] == factory.protocol.fingerprint()
    assert summary["results"]["goal_kinds"] == ["go to", "pick up", "open", "put next to"]
    assert summary["results"]["text"] == "egocentric" and summary["results"]["actions"] == "greedy"
    assert summary["config"]["note"] == "mine" and summary["versions"]["minigrid"] != "missing"


def test_a_rerun_resumes_and_never_reruns_finished_episodes(tmp_path):
    factory, out = tiny(), tmp_path / "eval"
    first = evaluate_agents(factory, AGENTS, out, progress=False)
    full = read_log(out, "bot")
    evaluate_agents(factory, AGENTS, out, progress=False)
    assert read_log(out, "bot") == full  # nothing appended: every episode was done
    # an interruption: half the episodes saved, the last line cut short by the kill
    kept = full[: len(full) // 2]
    (out / "episodes" / "bot.jsonl").write_text("\n".join(kept) + "\n" + full[-1][:17])
    again = evaluate_agents(factory, AGENTS, out, progress=False)
    lines = read_log(out, "bot")
    assert lines[: len(kept)] == kept and len([line for line in lines if line.endswith("}")]) == len(full)
    assert again["train layouts / train goals"]["bot"] == first["train layouts / train goals"]["bot"]


def test_parallel_processes_give_the_same_records(tmp_path):
    # every shard reseeds its agent: even the random agent's episodes do not depend on who plays them
    factory = tiny()
    one = evaluate_agents(factory, AGENTS, tmp_path / "one", n_envs=2, progress=False)
    two = evaluate_agents(
        factory, AGENTS, tmp_path / "two", executor=ExecutorConfig(workers=2), n_envs=2, progress=False
    )
    assert one == two
    for agent in AGENTS:
        rows = {json.dumps(json.loads(line), sort_keys=True) for line in read_log(tmp_path / "two", agent)}
        assert rows == {json.dumps(json.loads(line), sort_keys=True) for line in read_log(tmp_path / "one", agent)}


def test_a_folder_of_another_protocol_is_refused_and_kept(tmp_path):
    out = tmp_path / "eval"
    evaluate_agents(tiny(), {"random": "random"}, out, progress=False)
    before = read_log(out, "random")
    with pytest.raises(ValueError, match="another protocol"):
        evaluate_agents(tiny(eval_episodes=5), {"random": "random"}, out, progress=False)
    with pytest.raises(ValueError, match="'actions': 'greedy'"):  # sampled actions go to another folder
        evaluate_agents(tiny(), {"random": "random"}, out, deterministic=False, progress=False)
    with pytest.raises(ValueError, match="other specs"):
        evaluate_agents(tiny(), {"random": "bot"}, out, progress=False)
    assert read_log(out, "random") == before


def test_corrupt_or_foreign_logs_are_named(tmp_path):
    spec = EpisodeSpec(0, "train layouts / train goals", 5, "go to a ball", "go to")
    log = EpisodeLog(tmp_path / "a.jsonl", "a")
    log.append(spec, EpisodeResult(5, "go to a ball", True, 3, 0, 1.0))
    log.path.write_text("not json\n" + log.path.read_text())
    with pytest.raises(ValueError, match=r"a.jsonl holds a line that is not a JSON record"):
        log.read([spec])
    other = EpisodeSpec(0, "train layouts / train goals", 6, "go to a ball", "go to")
    log.path.write_text("")
    log.append(spec, EpisodeResult(5, "go to a ball", True, 3, 0, 1.0))
    with pytest.raises(ValueError, match="another config"):
        log.read([other])


def test_agents_that_are_not_models_are_named(tmp_path):
    factory = tiny()
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(FileNotFoundError, match="not a saved LLMAgent"):
        evaluate_agents(factory, {"x": str(tmp_path / "empty")}, tmp_path / "e1", progress=False)
    with pytest.raises(ValueError, match="neither a directory saved by LLMAgent"):
        evaluate_agents(factory, {"x": str(tmp_path / "notes.txt")}, tmp_path / "e2", progress=False)
    with pytest.raises(FileNotFoundError, match="does not exist.*named agents: llm, random, bot"):
        evaluate_agents(factory, {"x": str(tmp_path / "missing")}, tmp_path / "e3", progress=False)


def test_an_environment_that_is_not_built_in_is_evaluated_the_same_way(tmp_path):
    run = RunConfig(env=LAKE, goal_kinds=("reach", "leave"), layouts=2, test_layouts=1, train_goals=6, test_goals=4,
                    eval_episodes=3, max_steps=12)  # fmt: skip
    factory = AgentFactory(Protocol.from_run_config(run))
    evaluation = evaluate_agents(factory, {"random": "random"}, tmp_path / "eval", n_envs=2, progress=False)
    assert len(evaluation) == 4 and all(rows["random"]["episodes"] == 3 for rows in evaluation.values())
    kinds = {k for rows in evaluation.values() for k in rows["random"]["by_kind"]}
    assert kinds <= {"reach", "leave"}
    summary = json.loads((tmp_path / "eval" / "summary.json").read_text())["results"]
    assert summary["goal_kinds"] == ["reach", "leave"] and summary["text"] == "cell"
    with pytest.raises(MissingKnowledgeError, match="'expert_policy', which the 'bot' agent needs"):
        evaluate_agents(factory, {"bot": "bot"}, tmp_path / "bot", progress=False)


def test_an_openai_compatible_server_is_an_agent_like_the_local_model(tmp_path, embedded_backend):
    """The `llm` agent through a real loopback server plays the same episodes as the same model in-process."""
    from teduo_gym.llm import LLMConfig, LLMServer

    local = tiny(eval_episodes=1, max_steps=5)
    evaluation = evaluate_agents(local, {"llm": "llm"}, tmp_path / "local", n_envs=2, progress=False)
    with LLMServer(embedded_backend) as server:
        served = LLMConfig(backend="openai", base_url=server.url, model=embedded_backend.name)
        remote = AgentFactory(local.protocol, served)
        remote_evaluation = evaluate_agents(remote, {"llm": "llm"}, tmp_path / "remote", n_envs=2, progress=False)
    strip = lambda rows: sorted((r["index"], r["success"], r["length"]) for r in map(json.loads, rows))  # noqa: E731
    assert strip(read_log(tmp_path / "remote", "llm")) == strip(read_log(tmp_path / "local", "llm"))
    assert evaluation == remote_evaluation
