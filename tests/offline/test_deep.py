"""The d3rlpy back end of TEDUO step 2 on real minigrid data (compiled labels, oracle choices, no LLM), and the agent
that acts with per-goal policies in the live environment."""

import os

import numpy as np
import pytest
import scipy.sparse as sp

from teduo_gym.agents import RandomAgent
from teduo_gym.agents.offline_policy import OfflinePolicyAgent
from teduo_gym.collection import CollectConfig, collect
from teduo_gym.datasets import load_dataset
from teduo_gym.envs import knowledge_for
from teduo_gym.envs.babyai import make_babyai_env
from teduo_gym.evaluation import run_episodes
from teduo_gym.labeling import LabelTable
from teduo_gym.labeling.abstraction import AbstractTextDescriber
from teduo_gym.offline import TabularQ, goal_mdps
from teduo_gym.offline.deep import (
    ALGOS,
    D3RLPYConfig,
    FlatFeatures,
    episode_rows,
    fit_goal_conditioned,
    fit_per_goal,
)
from teduo_gym.offline.tabular import TabularPolicy

ENV = "BabyAI-GoToRedBallNoDists-v0"  # one red ball in a room: each goal is reached often by the bot
GOALS = ["go to the red ball", "pick up the red ball"]
MAX_STEPS = 32
TINY = {"steps": 30, "batch_size": 16, "hidden_units": (32,)}


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    out = tmp_path_factory.mktemp("data") / "d"
    config = CollectConfig(
        env=ENV, policy="mixture", layouts=4, episodes_per_layout=15, max_steps=MAX_STEPS, test_layouts=0, out=out
    )
    data = load_dataset(collect(config, False))
    abstraction = knowledge_for(data.env_id).goal_schema(data.state_layout)
    choices = [abstraction.oracle_choice(g) for g in GOALS]
    labels = np.stack([abstraction.achieved(c, data.states, data.actions, data.src, data.dst) for c in choices])
    table = LabelTable(GOALS, sp.csr_matrix(labels), data.fingerprint(), "compiled", choices=choices)
    goals = goal_mdps(data, table, abstraction)
    assert all(g.mdp.rewards.sum() >= 10 for g in goals)
    return data, table, abstraction, goals


def evaluate(agent, data, envs, repeats=3):
    seeds = [int(s) for s in np.unique(data.layout_seeds)] * repeats
    results = run_episodes(agent, envs, seeds, reset_options={"goal": GOALS[0]}, progress=False)
    return float(np.mean([r.success for r in results]))


def make_envs(n=4):
    return [
        make_babyai_env(ENV, goals=GOALS, goal_sampler="uniform", text=False, max_steps=MAX_STEPS) for _ in range(n)
    ]


def view_of(table, abstraction):
    return AbstractTextDescriber(abstraction, knowledge_for(ENV).symbolic_state, dict(zip(table.goals, table.choices)))


def test_the_d3rlpy_dataset_holds_each_transition_once(labelled):
    import d3rlpy

    *_, goals = labelled
    mdp = goals[0].mdp
    rows = episode_rows(mdp)
    ids = rows.states.astype(np.float32)[:, None]
    dataset = d3rlpy.dataset.MDPDataset(ids, rows.actions, rows.rewards, rows.terminals, rows.timeouts)
    picker = d3rlpy.dataset.BasicTransitionPicker()
    seen = []
    for episode in dataset.episodes:
        for i in range(episode.transition_count):
            t = picker(episode, i)
            nxt = -1 if t.terminal else int(t.next_observation[0])
            seen.append((int(t.observation[0]), int(t.action[0]), float(t.reward[0]), nxt))
    expected = [(s, a, float(r), -1 if r else d) for s, a, r, d in zip(mdp.src, mdp.actions, mdp.rewards, mdp.dst)]
    assert sorted(seen) == sorted(expected)


@pytest.mark.parametrize("algo", sorted(ALGOS))
def test_every_algo_fits_and_the_same_seed_gives_the_same_policy(labelled, algo):
    *_, goals = labelled
    config = D3RLPYConfig(algo=algo, **TINY)
    (first,) = fit_per_goal(goals[:1], config=config, n_actions=7)
    (again,) = fit_per_goal(goals[:1], config=config, n_actions=7)
    actions = first.act(goals[0].vectors)
    assert actions.shape == (len(goals[0].vectors),) and set(actions.tolist()) <= set(range(7))
    assert (again.act(goals[0].vectors) == actions).all()


def test_cql_learns_a_goal_reached_often_and_beats_random_actions(labelled):
    data, table, abstraction, goals = labelled
    (policy,) = fit_per_goal(goals[:1], config=D3RLPYConfig(algo="cql", steps=1000), n_actions=7)
    tabular = TabularPolicy(TabularQ(n_actions=7).fit([goals[0].mdp])[0], goals[0].vectors)
    envs, view = make_envs(), view_of(table, abstraction)
    learned = evaluate(OfflinePolicyAgent(envs, {GOALS[0]: policy}, view, seed=0), data, envs)
    exact = evaluate(OfflinePolicyAgent(envs, {GOALS[0]: tabular}, view, seed=0), data, envs)
    floor = evaluate(RandomAgent(envs[0].action_space, seed=0), data, envs)
    assert exact == 1.0
    assert learned >= floor + 0.3, (learned, floor)


def test_goal_conditioned_shares_one_model_and_appends_the_goal(labelled):
    *_, abstraction, goals = labelled
    features = FlatFeatures(abstraction)
    policies = fit_goal_conditioned(goals, features, D3RLPYConfig(algo="dqn", **TINY), n_actions=7)
    assert len(policies) == 2 and policies[0].algo is policies[1].algo
    x = policies[1].observations(goals[1].vectors[:3])
    assert x.shape == (3, features(goals[1].vectors[:1]).shape[1] + 2)
    assert (x[:, -2:] == [0, 1]).all()
    assert policies[1].act(goals[1].vectors).shape == (len(goals[1].vectors),)


def test_nothing_lands_in_the_working_directory_and_logs_go_to_log_dir(labelled, tmp_path, monkeypatch):
    *_, goals = labelled
    monkeypatch.chdir(tmp_path)
    fit_per_goal(goals[:1], config=D3RLPYConfig(algo="dqn", **TINY), n_actions=7)
    assert os.listdir(tmp_path) == []
    fit_per_goal(goals[:1], config=D3RLPYConfig(algo="dqn", log_dir=tmp_path / "logs", **TINY), n_actions=7)
    assert os.listdir(tmp_path) == ["logs"]
    (run,) = os.listdir(tmp_path / "logs")
    assert run.startswith("dqn-goal0000") and "loss.csv" in os.listdir(tmp_path / "logs" / run)


def test_an_unknown_algo_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown algo 'sac': known ones are bc, bcq, cql, double_dqn, dqn"):
        D3RLPYConfig(algo="sac")


def test_the_agent_acts_at_random_in_unseen_states_and_names_a_goal_without_policy(labelled):
    data, table, abstraction, goals = labelled
    tabular = TabularPolicy(TabularQ(n_actions=7).fit([goals[0].mdp])[0], goals[0].vectors)
    envs, view = make_envs(1), view_of(table, abstraction)
    agent = OfflinePolicyAgent(envs, {GOALS[0]: tabular}, view, seed=0)
    unseen_layout = int(data.layout_seeds.max()) + 1000
    run_episodes(agent, envs, [unseen_layout], reset_options={"goal": GOALS[0]}, progress=False)
    assert agent.unknown_steps > 0
    with pytest.raises(KeyError, match="no offline policy for goal 'pick up the red ball'"):
        run_episodes(agent, envs, [unseen_layout], reset_options={"goal": GOALS[1]}, progress=False)
