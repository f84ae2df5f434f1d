"""Filtered behaviour cloning: toy walks checked by hand and against a plain loop-by-loop implementation, then
real minigrid data labelled by the compiled predicate and replayed in the real environment."""

import json

import numpy as np
import pytest
import scipy.sparse as sp

from teduo_gym.collection import CollectConfig, collect
from teduo_gym.datasets import TransitionDataset, load_dataset, load_ground_truth
from teduo_gym.envs import knowledge_for
from teduo_gym.envs.babyai import enumerate_goals, make_babyai_env
from teduo_gym.envs.babyai.actions import ACTION_WORDS
from teduo_gym.envs.babyai.state import symbolic_state
from teduo_gym.finetune import ActionSequence, read_examples
from teduo_gym.labeling import LabelTable
from teduo_gym.labeling.abstraction import AbstractStates, abstract, unique_rows
from teduo_gym.labeling.table import FingerprintMismatchError
from teduo_gym.offline.filtered_bc import (
    action_sequences,
    best_trajectories,
    filtered_bc_examples,
)


def walks(*episodes):
    """``src, dst, episode`` of episodes given as their state sequences."""
    src, dst, episode = [], [], []
    for e, states in enumerate(episodes):
        src += states[:-1]
        dst += states[1:]
        episode += [e] * (len(states) - 1)
    return np.array(src), np.array(dst), np.array(episode)


def naive(rewards, src, dst, episode, threshold, keep):
    """Per goal and episode: walk to the first reward, erasing each loop as it closes; sort; keep the first."""
    result = []
    for g, row in enumerate(np.atleast_2d(rewards)):
        candidates = []
        for e in sorted(set(episode.tolist())):
            steps = np.flatnonzero(episode == e)
            hits = [k for k, t in enumerate(steps) if row[t] >= threshold]
            if not hits:
                continue
            states, kept = [src[steps[0]]], []
            for t in steps[: hits[0]]:
                if dst[t] in states:
                    cut = states.index(dst[t])
                    states, kept = states[: cut + 1], kept[:cut]
                else:
                    states.append(dst[t])
                    kept.append(int(t))
            kept.append(int(steps[hits[0]]))
            candidates.append((-float(row[steps[hits[0]]]), len(kept), e, tuple(kept), hits[0] + 1))
        for c in sorted(candidates)[:keep]:
            result.append((g, c[2], c[3], -c[0], c[4]))
    return result


def as_tuples(trajectories):
    return [(t.goal, t.episode, t.transitions, t.reward, t.prefix_length) for t in trajectories]


# -- the core, on toy walks ---------------------------------------------------------------------------------------


def test_a_loop_is_cut_and_nested_loops_collapse():
    src, dst, episode = walks([0, 1, 2, 3, 2, 1, 4, 5])  # 1 -> 2 -> 3 -> 2 -> 1 holds two loops
    rewards = np.zeros(len(src))
    rewards[-1] = 1
    [best] = best_trajectories(rewards, src, dst, episode)
    assert best.transitions == (0, 5, 6)
    assert (best.prefix_length, best.loops_removed) == (7, 4)
    assert src[list(best.transitions)].tolist() == [0, 1, 4]


def test_a_walk_back_to_the_start_and_standing_still_are_loops():
    src, dst, episode = walks([0, 0, 1, 0, 2, 2, 3])
    [best] = best_trajectories(np.eye(len(src))[-1], src, dst, episode)
    assert src[list(best.transitions)].tolist() == [0, 2] and best.transitions == (3, 5)


def test_the_reaching_transition_is_kept_even_if_it_returns_to_a_visited_state():
    # the goal is rewarded on an action (a toggle, say) that lands in a state seen before
    src, dst, episode = walks([0, 1, 2, 1])
    [best] = best_trajectories(np.array([0, 0, 1]), src, dst, episode)
    assert best.transitions == (0, 1, 2)


def test_the_threshold_picks_the_first_transition_that_reaches_it():
    src, dst, episode = walks([0, 1, 2, 3, 4])
    rewards = np.array([0.0, 0.3, 0.0, 0.7])
    assert best_trajectories(rewards, src, dst, episode)[0].transitions == (0, 1, 2, 3)  # 0.6 by default
    low = best_trajectories(rewards, src, dst, episode, threshold=0.2)[0]
    assert (low.transitions, low.reward) == ((0, 1), 0.3)
    assert best_trajectories(rewards, src, dst, episode, threshold=0.8) == []
    with pytest.raises(ValueError, match="positive"):
        best_trajectories(rewards, src, dst, episode, threshold=0.0)


def test_keep_one_takes_the_shortest_and_none_keeps_every_episode_best_first():
    src, dst, episode = walks([0, 1, 2, 1, 3], [5, 3], [0, 7, 8, 9, 3], [0, 1])
    rewards = (dst == 3).astype(float)
    [best] = best_trajectories(rewards, src, dst, episode)
    assert (best.episode, len(best.transitions)) == (1, 1)
    every = best_trajectories(rewards, src, dst, episode, keep=None)
    assert [(t.episode, len(t.transitions)) for t in every] == [(1, 1), (0, 2), (2, 4)]  # episode 3 never reaches
    assert [t.episode for t in best_trajectories(rewards, src, dst, episode, keep=2)] == [1, 0]
    with pytest.raises(ValueError, match="keep"):
        best_trajectories(rewards, src, dst, episode, keep=0)


def test_ties_go_to_the_lower_episode_and_reward_comes_before_length():
    src, dst, episode = walks([0, 1, 9], [0, 2, 9], [0, 3, 4, 9])
    rewards = np.zeros(len(src))
    rewards[[1, 3, 6]] = [0.7, 0.7, 0.9]
    assert [t.episode for t in best_trajectories(rewards, src, dst, episode, keep=None)] == [2, 0, 1]
    flat = (rewards > 0).astype(float)
    assert [t.episode for t in best_trajectories(flat, src, dst, episode, keep=None)] == [0, 1, 2]
    # the order of the episodes in the arrays does not decide ties: only their ids do
    order = np.r_[2:4, 0:2, 4:7]
    assert [t.episode for t in best_trajectories(flat[order], src[order], dst[order], episode[order], keep=None)] == [
        0,
        1,
        2,
    ]


def test_trajectories_never_span_two_episodes():
    # episode 1 starts where episode 0 ended; its reward must not pull in episode 0's steps, and state 1, seen in
    # episode 0, is no loop in episode 1
    src, dst, episode = walks([0, 1, 2, 3], [3, 1, 4])
    rewards = (dst == 4).astype(float)
    [best] = best_trajectories(rewards, src, dst, episode)
    assert (best.episode, best.transitions, best.prefix_length) == (1, (3, 4), 2)
    # interleaved episodes are taken apart by their ids
    order = np.array([3, 0, 4, 1, 2])
    [mixed] = best_trajectories(rewards[order], src[order], dst[order], episode[order])
    assert order[list(mixed.transitions)].tolist() == [3, 4]


def test_several_goals_at_once_dense_or_sparse_and_a_goal_never_reached():
    src, dst, episode = walks([0, 1, 2, 1, 3], [0, 4, 3])
    rewards = np.array([dst == 3, dst == 2, dst == 7], dtype=bool)
    dense = as_tuples(best_trajectories(rewards, src, dst, episode, keep=None))
    assert dense == as_tuples(best_trajectories(sp.csr_matrix(rewards), src, dst, episode, keep=None))
    assert [(g, e) for g, e, *_ in dense] == [(0, 0), (0, 1), (1, 0)]


def test_episodes_that_do_not_chain_are_refused():
    with pytest.raises(ValueError, match="does not chain"):
        best_trajectories(np.ones(2), np.array([0, 5]), np.array([1, 2]), np.array([0, 0]))
    with pytest.raises(ValueError, match="one entry per transition"):
        best_trajectories(np.ones(2), np.array([0, 1]), np.array([1]), np.array([0, 0]))
    with pytest.raises(ValueError, match="transitions"):
        best_trajectories(np.ones(3), np.array([0, 1]), np.array([1, 2]), np.array([0, 0]))


@pytest.mark.parametrize("seed", range(20))
def test_matches_loop_by_loop_erasure_on_random_walks(seed):
    rng = np.random.default_rng(seed)
    episodes = [list(rng.integers(6, size=rng.integers(2, 30))) for _ in range(rng.integers(1, 8))]
    src, dst, episode = walks(*episodes)
    rewards = rng.choice([0.0, 0.0, 0.0, 0.5, 0.8, 1.0], size=(3, len(src)))
    # episodes interleaved at random, each in time order
    queues = [list(np.flatnonzero(episode == e)) for e in range(len(episodes))]
    order = []
    while any(queues):
        order.append(queues[rng.choice([e for e, q in enumerate(queues) if q])].pop(0))
    order = np.array(order)
    keep = [1, 2, None][seed % 3]
    got = best_trajectories(rewards[:, order], src[order], dst[order], episode[order], threshold=0.6, keep=keep)
    expected = naive(rewards, src, dst, episode, 0.6, keep)
    assert [(g, e, tuple(order[list(t)].tolist()), r, n) for g, e, t, r, n in as_tuples(got)] == expected


# -- the dataset convenience ----------------------------------------------------------------------------------------


@pytest.fixture
def toy():
    """One episode a -> b -> a -> c (state vectors 0, 1, 0, 2) and a second c -> d, with a table of three goals."""
    states = np.array([[0], [1], [0], [2], [2], [3]], np.uint8)
    data = TransitionDataset(
        "Toy-v0",
        {"kind": "toy"},
        states,
        list("abacCd"),
        np.array([1, 0, 1, 1]),
        np.array([0, 1, 2, 4]),
        np.array([1, 2, 3, 5]),
        np.array([0, 0, 0, 1]),
        np.array([3, 4]),
    )
    labels = sp.csr_matrix(np.array([[0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]], bool))
    scores = np.array([[0, 0.1, 0.9, 0], [0, 0, 0.2, 0.7], [0.1] * 4], np.float16)
    table = LabelTable(["reach c", "reach d", "fly"], labels, data.fingerprint(), "proxy", scores=scores)
    return data, table


def test_examples_sequences_and_stats_of_a_toy_dataset(toy, tmp_path):
    data, table = toy
    path = tmp_path / "sequences.jsonl"
    examples, stats = filtered_bc_examples(data, table, ["left", "right"], sequences_path=path)
    assert [(e.goal, e.state, e.action) for e in examples] == [("reach c", "a", "right"), ("reach d", "C", "right")]
    assert stats["fly"] == {"reached": False}
    assert stats["reach c"] == {
        "reached": True,
        "episodes": 1,
        "kept": 1,
        "mean_length": 1.0,
        "loops_removed": 2,
        "best_reward": 1.0,
    }
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0] == {
        "goal": "reach c",
        "state": "a",
        "action": "right",
        "actions": ["right"],
        "states": ["a"],
        "episode": 0,
        "reward": 1.0,
    }
    assert [e.action for e in read_examples(path, ["left", "right"])] == ["right", "right"]


def test_abstract_views_and_scores(toy):
    data, table = toy
    # a view that tells every state apart: no loop left to cut
    view = AbstractStates(np.zeros((6, 1)), np.arange(6), list("ABCDEF"), 6)
    sequences, _ = action_sequences(data, table, ["left", "right"], views=lambda g: view)
    assert sequences[0] == ActionSequence("reach c", "A", "right", ("right", "left", "right"), ("A", "B", "C"), 0, 1.0)
    # by scores, "reach c" is reached at 0.9 (the labels agree); "reach d" at 0.7, not at 0.2
    sequences, stats = action_sequences(data, table, ["left", "right"], scores=True)
    assert [(s.goal, s.reward) for s in sequences] == [
        ("reach c", pytest.approx(0.9, abs=1e-3)),
        ("reach d", pytest.approx(0.7, abs=1e-3)),
    ]
    assert not stats["fly"]["reached"]
    with pytest.raises(ValueError, match="state ids"):
        action_sequences(
            data, table, ["left", "right"], views=[AbstractStates(np.zeros((1, 1)), np.zeros(2), [""], 2)] * 3
        )
    with pytest.raises(ValueError, match="1 views for the 3 goals"):
        action_sequences(data, table, ["left", "right"], views=[view])


def test_a_table_of_other_data_and_a_table_without_scores_are_refused(toy):
    data, table = toy
    other = LabelTable(table.goals, table.labels, "not-this-data", "compiled")
    with pytest.raises(FingerprintMismatchError, match="other data"):
        filtered_bc_examples(data, other, ["left", "right"])
    plain = LabelTable(table.goals, table.labels, data.fingerprint(), "compiled")
    with pytest.raises(ValueError, match="no scores"):
        filtered_bc_examples(data, plain, ["left", "right"], scores=True)
    with pytest.raises(ValueError, match="no word"):
        filtered_bc_examples(data, table, ["left"])


# -- real minigrid data -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """A bot with random actions on GoToLocal (~170 steps), labelled by each goal's compiled predicate (oracle
    choices)."""
    out = tmp_path_factory.mktemp("data") / "d"
    collect(
        CollectConfig(
            env="BabyAI-GoToLocal-v0", policy="mixture", epsilon=0.4, layouts=3, episodes_per_layout=4, out=out
        ),
        False,
    )
    data, truth = load_dataset(out), load_ground_truth(out)
    counts = np.asarray(truth.achieved.sum(axis=0)).ravel()
    by_count = [truth.goals[i] for i in np.argsort(-counts, kind="stable") if counts[i]]
    # the two "go to" goals reached most often, the most reached "pick up" and "put" goals (rewarded on an action, not
    # a place), and one never reached
    goals = [g for g in by_count if g.startswith("go to")][:2]
    goals += [next(g for g in by_count if g.startswith(kind)) for kind in ("pick up", "put")]
    goals += ["put the red ball next to the blue box"]
    abstraction = knowledge_for(data.env_id).goal_schema(data.state_layout)
    choices = [abstraction.oracle_choice(g) for g in goals]
    labels = np.array([abstraction.achieved(c, data.states, data.actions, data.src, data.dst) for c in choices])
    table = LabelTable(goals, sp.csr_matrix(labels), data.fingerprint(), "compiled", choices=choices)
    return data, truth, table, abstraction


def check_trajectory(data, table, ids, goal, transitions, episode):
    """The last step is labelled and is the episode's first labelled one; the path starts at the episode's start,
    stays in the episode, chains, and leaves from no state twice."""
    steps = np.flatnonzero(data.episode == episode)
    t = np.asarray(transitions)
    labels = table.labels[table.goals.index(goal)].toarray().ravel()
    assert labels[t[-1]] and not labels[steps[steps < t[-1]]].any()
    assert (data.episode[t] == episode).all() and (np.diff(t) > 0).all()
    assert ids[data.src[t[0]]] == ids[data.src[steps[0]]]
    assert (ids[data.dst[t[:-1]]] == ids[data.src[t[1:]]]).all()
    assert len(set(ids[data.src[t]].tolist())) == len(t)


def test_real_data_raw_states_replay_in_the_environment(real):
    data, truth, table, _ = real
    sequences, stats = action_sequences(data, table, ACTION_WORDS, keep=None)
    reached = [g for g in table.goals if stats[g]["reached"]]
    assert len(reached) == 4 and not stats["put the red ball next to the blue box"]["reached"]
    assert sum(stats[g]["loops_removed"] for g in reached) > 0  # the random actions made loops to cut
    assert all(stats[g]["kept"] == stats[g]["episodes"] for g in reached)
    ids = unique_rows(data.states)[1]
    trajectories = best_trajectories(table.labels, ids[data.src], ids[data.dst], data.episode, keep=None)
    assert len(trajectories) == len(sequences)
    env = make_babyai_env(data.env_id, goals=enumerate_goals(), text=False, goal_sampler="feasible", max_steps=1000)
    for t, sequence in zip(trajectories, sequences):
        goal = table.goals[t.goal]
        assert sequence.goal == goal and len(sequence.actions) == len(t.transitions)
        check_trajectory(data, table, ids, goal, t.transitions, t.episode)
        # replayed from its layout seed, the loop-free path goes through the same states and reaches the goal by
        # the environment's own checker
        env.reset(seed=int(data.layout_seeds[t.episode]))
        assert (symbolic_state(env) == data.states[data.src[t.transitions[0]]]).all()
        for step in t.transitions:
            obs, *_ = env.step(int(data.actions[step]))
            assert (symbolic_state(env) == data.states[data.dst[step]]).all()
        assert obs["achieved_goal"][truth.goals.index(goal)]
    env.close()


def test_real_data_with_abstract_states_gives_loop_free_paths_in_abstract_texts(real):
    data, truth, table, abstraction = real
    views = [abstract(abstraction, data.states, c) for c in table.choices]
    examples, stats = filtered_bc_examples(data, table, ACTION_WORDS, views=views)
    raw_sequences, _ = action_sequences(data, table, ACTION_WORDS)
    sequences, _ = action_sequences(data, table, ACTION_WORDS, views=views)
    assert [s.goal for s in sequences] == [s.goal for s in raw_sequences] == table.goals[:4]
    for s in sequences:
        g = table.goals.index(s.goal)
        assert set(s.states) <= set(views[g].texts)
        assert stats[s.goal]["mean_length"] == len(s.actions)
    for g, goal in enumerate(table.goals[:4]):
        [t] = best_trajectories(table.labels[g], views[g].ids[data.src], views[g].ids[data.dst], data.episode)
        check_trajectory(data, table, views[g].ids, goal, t.transitions, t.episode)
    assert {(e.goal, e.state, e.action) for e in examples} == {
        (s.goal, state, action) for s in sequences for state, action in zip(s.states, s.actions)
    }
