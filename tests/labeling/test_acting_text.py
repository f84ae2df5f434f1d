"""The text an agent acts on online equals the text of the same state in the fine-tuning data."""

import numpy as np
import pytest

from teduo_gym.collection import CollectConfig, collect
from teduo_gym.datasets import load_dataset, load_ground_truth
from teduo_gym.envs import knowledge_for
from teduo_gym.envs.babyai import enumerate_goals, make_babyai_env
from teduo_gym.labeling import LabelTable
from teduo_gym.labeling.abstraction import AbstractTextDescriber
from teduo_gym.offline import goal_mdps
from teduo_gym.wrappers import TextObservationWrapper

ENV = "BabyAI-GoToLocal-v0"


def test_online_text_equals_the_training_text_of_each_replayed_state(tmp_path):
    config = CollectConfig(env=ENV, policy="random", layouts=2, episodes_per_layout=1, max_steps=20, out=tmp_path / "d")
    data, truth = load_dataset(collect(config, False)), load_ground_truth(config.out)
    goal = "go to the purple box"  # not achieved in these episodes: the replay runs to the end
    assert not truth.column(goal).any()
    abstraction = knowledge_for(data.env_id).goal_schema(data.state_layout)
    table = LabelTable(
        [goal],
        truth.achieved[:, [truth.goals.index(goal)]].T.tocsr(),
        data.fingerprint(),
        "truth",
        choices=[abstraction.oracle_choice(goal)],
    )
    (goal_data,) = goal_mdps(data, table, abstraction)
    describer = AbstractTextDescriber(abstraction, knowledge_for(ENV).symbolic_state, {goal: table.choices[0]})
    env = TextObservationWrapper(
        make_babyai_env(ENV, goals=enumerate_goals(), text=False, max_steps=config.max_steps), describer
    )
    for episode, seed in enumerate(data.layout_seeds):
        steps = np.flatnonzero(data.episode == episode)
        obs, _ = env.reset(seed=int(seed), options={"goal": goal})
        for t in steps:
            assert obs["text"] == goal_data.texts[goal_data.mdp.src[t]]
            obs, *_ = env.step(int(data.actions[t]))


def test_a_goal_without_a_choice_is_named():
    env = make_babyai_env(ENV, text=False)
    env.reset(seed=0, options={"goal": "go to the red ball"})
    abstraction = knowledge_for(ENV).goal_schema({"kind": "babyai-symbolic/1", "width": 8, "height": 8, "size": 198})
    describer = AbstractTextDescriber(abstraction, knowledge_for(ENV).symbolic_state, {})
    with pytest.raises(KeyError, match="no abstraction choice for goal 'go to the red ball'"):
        describer(env, None)
