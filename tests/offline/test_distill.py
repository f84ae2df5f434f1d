import numpy as np

from teduo_gym.offline import GoalMDP, TabularQ
from teduo_gym.offline.distill import EmpiricalModel, greedy_rollouts


def corridor(n=6, noise=0):
    """States 0..n-1; action 1 moves right, 0 left, 2 stays; the goal fires on entering n-1."""
    rng = np.random.default_rng(0)
    src = np.repeat(np.arange(n - 1), 6)
    actions = np.tile([0, 1, 2], 2 * (n - 1))
    dst = np.clip(src + (actions == 1) - (actions == 0), 0, n - 1)
    if noise:  # rare slips of "right" that stay in place
        extra = rng.integers(n - 1, size=noise)
        src, actions, dst = np.r_[src, extra], np.r_[actions, np.ones(noise, int)], np.r_[dst, extra]
    return GoalMDP(src, actions, dst, dst == n - 1, n)


def test_empirical_model_keeps_the_most_frequent_successor():
    mdp = GoalMDP(np.array([0, 0, 0]), np.array([1, 1, 1]), np.array([2, 1, 2]), np.array([0, 0, 1], bool), 3)
    model = EmpiricalModel.fit(mdp, n_actions=2)
    nxt, reward = model.step(np.array([0, 0]), np.array([1, 0]))
    assert nxt.tolist() == [2, -1]
    np.testing.assert_allclose(reward, [1 / 3, 0])


def test_rollouts_reach_the_goal_from_every_start():
    mdp = corridor(noise=1)
    table = TabularQ(n_actions=3).fit([mdp])[0]
    rollouts = greedy_rollouts(table, EmpiricalModel.fit(mdp, 3), np.arange(5))
    assert all(r.success for r in rollouts)
    assert [len(r.actions) for r in rollouts] == [5, 4, 3, 2, 1]
    assert all(set(r.actions) == {1} for r in rollouts)
    assert rollouts[2].states == [2, 3, 4]


def test_rollouts_stop_on_loops_and_unknown_states():
    # from 0 only "stay" was ever tried: the greedy policy loops, the rollout fails
    mdp = GoalMDP(np.array([0, 1]), np.array([2, 1]), np.array([0, 2]), np.array([0, 1], bool), 3)
    table = TabularQ(n_actions=3).fit([mdp])[0]
    looped, unknown = greedy_rollouts(table, EmpiricalModel.fit(mdp, 3), np.array([0, 2]))
    assert not looped.success and looped.actions == [2]
    assert not unknown.success and unknown.actions == []
