import pytest

from teduo_gym.envs import knowledge_for
from teduo_gym.labeling import HindsightLabeler, accuracy_report
from teduo_gym.labeling.sampled import sampled_judge_report


def test_a_sample_of_everything_equals_the_full_judge_report(tiny_data, embedded_backend, tmp_path):
    data, truth = tiny_data
    goals = ["pick up a key"]
    knowledge = knowledge_for(data.env_id)
    abstraction = knowledge.goal_schema(data.state_layout)
    labeler = HindsightLabeler(embedded_backend, "judge", cache_dir=tmp_path)
    full = accuracy_report([labeler.label(data, goals)], truth, knowledge.goal_kind)["overall"][0]
    sampled = sampled_judge_report(labeler, data, truth, goals, abstraction, per_class=len(data))["overall"][0]
    for key in ("precision", "recall", "f1"):
        assert sampled[key] == pytest.approx(full[key]), key
    # label tables store scores as float16, which turns near-equal scores into ties
    assert sampled["roc_auc"] == pytest.approx(full["roc_auc"], abs=0.02)
    assert sampled["positives"] == full["positives"]
    # every answer came from the cache, yet counts what it took to ask (the dst texts: the full labels judge more)
    again = sampled_judge_report(labeler, data, truth, goals, abstraction, per_class=len(data))["overall"][0]
    assert 0 < sampled["llm_calls"] == again["llm_calls"] <= full["llm_calls"]


def test_a_small_sample_is_weighted_back_to_the_class_sizes(tiny_data, embedded_backend, tmp_path):
    data, truth = tiny_data
    goals = ["pick up a key"]
    labeler = HindsightLabeler(embedded_backend, "judge", cache_dir=tmp_path)
    report = sampled_judge_report(
        labeler, data, truth, goals, knowledge_for(data.env_id).goal_schema(data.state_layout), per_class=3
    )
    row = report["overall"][0]
    assert row["sampled"] <= 6 and row["positives"] == pytest.approx(truth.column(goals[0]).sum())
    assert 0 < row["llm_calls"] <= 3 + 1 + 6


def test_teduo_label_reports_a_judge_sample(embedded_backend, tmp_path):
    from teduo_gym.collection.collect import CollectConfig, collect
    from teduo_gym.labeling import LabelConfig, label

    data = collect(
        CollectConfig(env="BabyAI-GoToLocal-v0", layouts=2, episodes_per_layout=3, out=tmp_path / "d"), False
    )
    config = LabelConfig(
        dataset=str(data),
        n_goals=2,
        modes=("compiled", "judge"),
        judge_sample=3,
        report=True,
        cache_dir=str(tmp_path / "cache"),
        out_dir=str(tmp_path / "out"),
    )
    result = label(config)
    assert set(result["tables"]) == {"compiled"}
    assert [r["mode"] for r in result["report"]["overall"]] == ["compiled", "judge (sampled)"]
    assert "judge (sampled)" in (tmp_path / "out" / "report.md").read_text()
    with pytest.raises(ValueError, match="add --report"):
        label(LabelConfig(dataset=str(data), judge_sample=3))
