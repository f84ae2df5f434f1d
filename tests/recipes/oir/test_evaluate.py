"""Evaluation of instruction-following on real Craftax worlds with the real MiniLM embedder, in small batches."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

pytest.importorskip("craftax")

from teduo_gym.llm import shared_embedder  # noqa: E402
from teduo_gym.recipes.oir.evaluate import (  # noqa: E402
    ACHIEVEMENTS,
    CRAFTAX,
    EVALUATION_SETS,
    NUM_ACTIONS,
    EvaluationConfig,
    InstructionResult,
    coverage,
    evaluate_instructions,
    evaluate_sets,
    results_from_json,
    results_to_json,
    summarize,
)

SMALL = EvaluationConfig(episodes=4, max_steps=40, num_envs=8, epsilon=0.0)
# Things a random agent does within 40 steps now and then (DO on a tree or on grass).
EASY = {"collect wood": ("collect_wood",), "collect a sapling": ("collect_sapling",)}


def noop(obs: np.ndarray, emb: np.ndarray) -> np.ndarray:
    """Always NOOP (action 0)."""
    return np.eye(NUM_ACTIONS, dtype=np.float32)[np.zeros(len(obs), int)]


def projection(obs: np.ndarray, emb: np.ndarray) -> np.ndarray:
    """A fixed random linear Q-function of the observation and the instruction (deterministic, not constant)."""
    w = np.random.default_rng(0).normal(size=(obs.shape[1] + emb.shape[1], NUM_ACTIONS)).astype(np.float32)
    return np.concatenate([obs, emb], axis=1) @ w


def total(results: dict[str, InstructionResult]) -> int:
    return sum(r.successes for r in results.values())


def test_sets_name_real_achievements():
    assert set(EVALUATION_SETS) == {"achievements", "paraphrased", "compositional"}
    for name in ("achievements", "paraphrased"):
        assert sorted(a for (a,) in EVALUATION_SETS[name].values()) == sorted(ACHIEVEMENTS)
    assert not set(EVALUATION_SETS["paraphrased"]) & set(EVALUATION_SETS["achievements"])
    assert all(len(a) == 2 and set(a) <= set(ACHIEVEMENTS) for a in EVALUATION_SETS["compositional"].values())


def test_same_config_same_results():
    config = EvaluationConfig(episodes=3, max_steps=30, num_envs=8, epsilon=0.3)
    first = evaluate_instructions(projection, shared_embedder(), EASY, config)
    assert evaluate_instructions(projection, shared_embedder(), EASY, config) == first
    assert all(r.episodes == 3 for r in first.values())
    assert evaluate_instructions(None, shared_embedder(), EASY, config) == evaluate_instructions(
        None, shared_embedder(), EASY, config
    )


def test_noop_agent_achieves_nothing_but_a_random_agent_does():
    standing = evaluate_instructions(noop, shared_embedder(), EASY, SMALL)
    moving = evaluate_instructions(None, shared_embedder(), EASY, SMALL)
    assert total(standing) == 0 and all(math.isnan(r.mean_steps) for r in standing.values())
    assert total(moving) > 0
    assert all(1 <= r.mean_steps <= SMALL.max_steps for r in moving.values() if r.successes)


class RecordingEnv:
    """Craftax's batched worlds that keep every step's cumulative achievements and episode ends, to recount
    successes independently; their time limit is a quarter of the evaluation's, so worlds restart while the
    evaluation could still step them."""

    batches: list[dict[str, list[np.ndarray]]] = []

    def __init__(self, num_envs: int, max_episode_steps: int):
        # the knowledge's own method: the test replaces CRAFTAX.vector_env by this class
        self.envs = type(CRAFTAX).vector_env(CRAFTAX, num_envs, max_episode_steps=max_episode_steps // 4)

    def reset(self, **kwargs):
        RecordingEnv.batches.append({"achievements": [], "done": []})
        return self.envs.reset(**kwargs)

    def step(self, actions):
        obs, reward, terminated, truncated, info = self.envs.step(actions)
        RecordingEnv.batches[-1]["achievements"].append(info["achievements"].copy())
        RecordingEnv.batches[-1]["done"].append(terminated | truncated)
        return obs, reward, terminated, truncated, info


def test_successes_are_recounted_from_the_worlds(monkeypatch):
    monkeypatch.setattr(CRAFTAX, "vector_env", RecordingEnv)
    monkeypatch.setattr(RecordingEnv, "batches", [])
    # Five instructions x 4 episodes: three batches of 8, the last one padded with four worlds.
    instructions = {**EASY, "collect wood and a sapling": ("collect_wood", "collect_sapling")}
    instructions |= {"eat a cow": ("eat_cow",), "drink water": ("collect_drink",)}
    config = EvaluationConfig(episodes=4, max_steps=40, num_envs=8, epsilon=0.0)
    rng, seen = np.random.default_rng(0), []

    def busy(obs: np.ndarray, emb: np.ndarray) -> np.ndarray:  # random, DO about half the time: more successes
        seen.append(emb)
        return rng.random((len(obs), NUM_ACTIONS)) + 0.5 * (np.arange(NUM_ACTIONS) == 5)

    results = evaluate_instructions(busy, shared_embedder(), instructions, config)

    assert len(RecordingEnv.batches) == 3
    assert all(np.array(b["done"]).any(0).all() for b in RecordingEnv.batches)  # every world ended once
    pairs = [text for text in instructions for _ in range(config.episodes)]
    np.testing.assert_allclose(seen[0], shared_embedder().embed(pairs[:8]), atol=1e-6)
    expected = {text: [] for text in instructions}
    for b, batch in enumerate(RecordingEnv.batches):
        achievements, done = np.array(batch["achievements"]), np.array(batch["done"])
        for world, text in enumerate(pairs[b * config.num_envs : (b + 1) * config.num_envs]):
            columns = [ACHIEVEMENTS.index(a) for a in instructions[text]]
            for t in range(len(achievements)):
                if achievements[t, world, columns].all():
                    expected[text].append(t + 1)
                    break
                if done[t, world]:
                    break
    assert sum(map(len, expected.values())) >= 3
    for text, steps in expected.items():
        r = results[text]
        assert (r.episodes, r.successes) == (4, len(steps))
        assert r.mean_steps == pytest.approx(np.mean(steps)) if steps else math.isnan(r.mean_steps)


def test_bad_instructions():
    with pytest.raises(ValueError, match=r"'fly away'.*\['fly'\]; known: \['collect_wood'"):
        evaluate_instructions(None, shared_embedder(), {"fly away": ("fly",)}, SMALL)
    with pytest.raises(ValueError, match="no instructions"):
        evaluate_instructions(None, shared_embedder(), {}, SMALL)
    with pytest.raises(ValueError, match="no achievement"):
        evaluate_instructions(None, shared_embedder(), {"dance": ()}, SMALL)
    with pytest.raises(ValueError, match=r"'collect wood' requires \['collect_wood'\] .* \['eat_cow'\]"):
        evaluate_sets(None, shared_embedder(), SMALL, extra={"collect wood": ("eat_cow",)})
    with pytest.raises(ValueError, match="num_envs must be >= 1"):
        EvaluationConfig(num_envs=0)


def test_all_sets_in_one_pass_and_json_round_trip(tmp_path):
    config = EvaluationConfig(episodes=1, max_steps=5, num_envs=8)
    extra = {"chop some wood": ("collect_wood",), "collect wood": ("collect_wood",)}
    results = evaluate_sets(None, shared_embedder(), config, extra=extra)
    assert list(results) == ["achievements", "paraphrased", "compositional", "relabelled"]
    assert {name: list(r) for name, r in results.items() if name != "relabelled"} == {
        name: list(s) for name, s in EVALUATION_SETS.items()
    }
    assert results["relabelled"]["collect wood"] is results["achievements"]["collect wood"]
    assert list(evaluate_sets(None, shared_embedder(), config, extra={})) == list(EVALUATION_SETS)

    path = tmp_path / "evaluation.json"
    path.write_text(json.dumps(results_to_json(results, config), allow_nan=False))
    data = json.loads(path.read_text())
    assert EvaluationConfig(**data["config"]) == config
    assert data["summary"]["instructions"] == 22 + 22 + 8 + 1
    back = results_from_json(data)
    assert list(back) == list(results)
    for name in results:  # nan != nan, so compare the JSON forms
        assert [r.to_json() for r in back[name].values()] == [r.to_json() for r in results[name].values()]
    with pytest.raises(ValueError, match="not an OIR evaluation"):
        results_from_json({"sets": {}})


def test_coverage_and_summary():
    def result(text: str, successes: int) -> InstructionResult:
        return InstructionResult(text, ("collect_wood",), 4, successes, 5.0 if successes else math.nan)

    a, b, c = result("a", 1), result("b", 0), result("c", 4)
    assert [coverage({"a": a, "b": b, "c": c}, t) for t in (0.0, 0.25, 0.5, 1.0)] == [3, 2, 1, 1]
    summary = summarize({"one": {"a": a, "b": b}, "two": {"a": a, "c": c}}, threshold=0.5)
    assert summary["sets"]["one"] == {"instructions": 2, "mean_success": 0.125, "coverage": 0}
    assert summary["sets"]["two"] == {"instructions": 2, "mean_success": 0.625, "coverage": 1}
    assert (summary["instructions"], summary["coverage"]) == (3, 1)
    json.dumps(summary, allow_nan=False)


def test_the_matcher_reads_every_evaluation_instruction_as_its_checker_does():
    from teduo_gym.relabel import AchievementMatcher

    matcher = AchievementMatcher(ACHIEVEMENTS, shared_embedder(), **CRAFTAX.achievement_words)
    wrong = {
        text: matcher.match(text)
        for instructions in EVALUATION_SETS.values()
        for text, truth in instructions.items()
        if matcher.match(text) != truth
    }
    assert wrong == {}
