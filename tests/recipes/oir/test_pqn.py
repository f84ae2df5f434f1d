"""PQN's learner: the learning rate's linear decay reaches 0 at the end of its schedule."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from teduo_gym.recipes.oir.pqn import PQNLearner, Rollout


def rollout(seed: int) -> Rollout:
    rng = np.random.default_rng(seed)
    t, b = 4, 3
    return Rollout(
        jnp.asarray(rng.normal(size=(t + 1, b, 5)), jnp.float32),
        jnp.asarray(rng.normal(size=(t + 1, b, 2)), jnp.float32),
        jnp.asarray(rng.integers(0, 3, (t, b)), jnp.int32),
        jnp.asarray(rng.integers(0, 2, (t, b)), jnp.float32),
        jnp.zeros((t, b)),
        jnp.ones((t, b)),
    )


def changed(decay_steps: int | None, updates: int) -> list[bool]:
    """Whether each of ``updates`` updates moved the parameters."""
    learner = PQNLearner(num_actions=3, width=8, epochs=1, minibatches=1, decay_steps=decay_steps)
    params = learner.init(jax.random.PRNGKey(0), obs_size=5, emb_size=2)
    opt_state = learner.optimizer.init(params)
    moved = []
    for i in range(updates):
        new, opt_state, _ = learner.update(params, opt_state, rollout(i), jax.random.PRNGKey(i))
        moved.append(not all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(new))))
        params = new
    return moved


def test_linear_decay_stops_learning_after_its_steps():
    assert changed(decay_steps=2, updates=4) == [True, True, False, False]
    assert changed(decay_steps=None, updates=4) == [True] * 4
