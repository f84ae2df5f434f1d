import numpy as np

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


def test_matches_the_naive_update_for_several_goals_at_once():
    rng = np.random.default_rng(0)
    mdps = [random_mdp(rng) for _ in range(3)]
    config = TabularQConfig(alpha=0.5, gamma=0.7, tol=0.0, max_iterations=30)
    tables = TabularQ(config, n_actions=4).fit(mdps)
    for mdp, table in zip(mdps, tables):
        np.testing.assert_allclose(table.q, naive_q(mdp, 4, 0.5, 0.7, 30), atol=1e-5)


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


def test_batching_goals_changes_no_table():
    rng = np.random.default_rng(1)
    mdps = [random_mdp(rng, n_trans=int(n)) for n in rng.integers(50, 300, size=7)]
    together = TabularQ(TabularQConfig(tol=0.0, max_iterations=200), n_actions=4).fit(mdps)
    fitter = TabularQ(TabularQConfig(tol=0.0, max_iterations=200, batch_transitions=400), n_actions=4)
    batched = fitter.fit(mdps)
    assert len(batched) == len(mdps) and fitter.iterations == 200
    for a, b in zip(together, batched):
        np.testing.assert_allclose(a.q, b.q, atol=1e-6)
        assert (a.seen == b.seen).all()
