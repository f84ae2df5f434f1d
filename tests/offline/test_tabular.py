import numpy as np
import pytest

from teduo_gym.offline import GoalMDP, TabularQ, TabularQConfig


def random_mdp(rng, n_states=12, n_trans=200, n_actions=4):
    src = rng.integers(n_states, size=n_trans)
    actions = rng.integers(n_actions, size=n_trans)
    dst = rng.integers(n_states, size=n_trans)
    return GoalMDP(src, actions, dst, rng.random(n_trans) < 0.1, n_states)


def naive_q(mdp, n_actions, alpha, gamma, sweeps):
    """The same expected update written as plain loops over (s, a) pairs."""
    q = np.zeros((mdp.n_states, n_actions))
    seen = np.zeros_like(q, dtype=bool)
    seen[mdp.src, mdp.actions] = True
    for _ in range(sweeps):
        v = np.array([q[s][seen[s]].max() if seen[s].any() else 0.0 for s in range(mdp.n_states)])
        new = q.copy()
        for s, a in zip(*np.nonzero(seen)):
            mask = (mdp.src == s) & (mdp.actions == a)
            targets = mdp.rewards[mask] + gamma * (1 - mdp.rewards[mask]) * v[mdp.dst[mask]]
            new[s, a] = q[s, a] + alpha * (targets.mean() - q[s, a])
        q = new
    return q


@pytest.mark.parametrize("alpha", [0.5, 1.0])  # the damped update (float64) and value iteration (float32)
@pytest.mark.parametrize("graded", [False, True])  # labels as booleans, or as scores in [0, 1]
def test_matches_the_naive_update_for_several_goals_at_once(alpha, graded):
    rng = np.random.default_rng(0)
    mdps = [random_mdp(rng) for _ in range(3)]
    if graded:
        mdps = [GoalMDP(m.src, m.actions, m.dst, m.rewards * rng.random(len(m.src)), m.n_states) for m in mdps]
    config = TabularQConfig(alpha=alpha, gamma=0.7, tol=0.0, max_iterations=30)
    tables = TabularQ(config, n_actions=4).fit(mdps)
    for mdp, table in zip(mdps, tables):
        np.testing.assert_allclose(table.q, naive_q(mdp, 4, alpha, 0.7, 30), atol=1e-5)


def test_value_iteration_lands_within_tol_of_the_fixed_point_of_teduos_update():
    rng = np.random.default_rng(2)
    mdps = [random_mdp(rng, n_states=40, n_trans=400, n_actions=5) for _ in range(4)]
    exact = TabularQ(TabularQConfig(alpha=0.5, tol=1e-13), n_actions=5).fit(mdps)  # float64, far past TEDUO's stop
    teduo = TabularQ(TabularQConfig(alpha=0.1), n_actions=5).fit(mdps)
    fitter = TabularQ(n_actions=5)
    tables = fitter.fit(mdps)
    assert fitter.config.alpha == 1.0 and fitter.iterations < 60
    for table, reference, damped in zip(tables, exact, teduo):
        assert np.abs(table.q - reference.q).max() < 1e-6
        assert np.abs(table.q - damped.q).max() < 1e-4  # TEDUO's alpha 0.1 stops further from its fixed point
        assert (table.seen == reference.seen).all()
        states = np.flatnonzero(reference.seen.any(axis=1))
        q = np.sort(np.where(reference.seen[states], reference.q[states], -np.inf), axis=1)
        clear = q[:, -1] - q[:, -2] > 1e-5  # where the best action is not tied
        assert (table.greedy(states)[clear] == damped.greedy(states)[clear]).all()


def test_converges_to_the_discounted_distance_and_acts_greedily():
    # a corridor 0-1-2-3: action 1 moves right, action 0 left; reaching 3 is the goal
    src = np.array([0, 1, 2, 1, 2, 3])
    actions = np.array([1, 1, 1, 0, 0, 0])
    dst = np.array([1, 2, 3, 0, 1, 2])
    mdp = GoalMDP(src, actions, dst, dst == 3, n_states=4)
    model = TabularQ()
    table = model.fit([mdp])[0]
    np.testing.assert_allclose(table.q[[0, 1, 2], 1], [0.49, 0.7, 1.0], atol=1e-4)
    assert table.greedy(np.array([0, 1, 2])).tolist() == [1, 1, 1]
    assert table.greedy(np.array([3])).tolist() == [0]  # the only action seen there
    assert 1 < model.iterations < TabularQConfig().max_iterations


def test_unseen_actions_are_never_chosen_and_unseen_states_say_so():
    mdp = GoalMDP(np.array([0]), np.array([2]), np.array([1]), np.array([False]), n_states=2)
    table = TabularQ(n_actions=3).fit([mdp])[0]
    assert table.greedy(np.array([0, 1])).tolist() == [2, -1]


@pytest.mark.parametrize("alpha", [0.1, 1.0])
def test_batching_goals_changes_no_table(alpha):
    rng = np.random.default_rng(1)
    mdps = [random_mdp(rng, n_trans=int(n)) for n in rng.integers(50, 300, size=7)]
    together = TabularQ(TabularQConfig(alpha=alpha, tol=0.0, max_iterations=200), n_actions=4).fit(mdps)
    config = TabularQConfig(alpha=alpha, tol=0.0, max_iterations=200, batch_transitions=400)
    fitter = TabularQ(config, n_actions=4)
    batched = fitter.fit(mdps)
    assert len(batched) == len(mdps) and fitter.iterations == 200
    for a, b in zip(together, batched):
        np.testing.assert_allclose(a.q, b.q, atol=1e-6)
        assert (a.seen == b.seen).all()


def test_each_goal_stops_on_its_own_so_batches_and_threads_change_no_bit():
    rng = np.random.default_rng(3)
    mdps = [random_mdp(rng, n_states=int(n), n_trans=int(4 * n)) for n in rng.integers(5, 80, size=9)]
    mdps.insert(4, GoalMDP(np.zeros(0, int), np.zeros(0, int), np.zeros(0, int), np.zeros(0, bool), n_states=3))
    alone = [TabularQ(n_actions=4, threads=1).fit([mdp])[0] for mdp in mdps]
    batched = TabularQ(TabularQConfig(batch_transitions=300), n_actions=4, threads=2).fit(mdps)
    together = TabularQ(n_actions=4, threads=1).fit(mdps)
    for a, b, c in zip(alone, batched, together):
        assert np.array_equal(a.q, b.q) and np.array_equal(a.q, c.q)
        assert (a.seen == b.seen).all()
