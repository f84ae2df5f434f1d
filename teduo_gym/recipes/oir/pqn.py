"""Parallelised Q-learning (PQN, Gallici et al. 2024): Q(lambda) targets over a rollout, minibatch SGD, no replay.

- :class:`Rollout` -- ``T`` steps of ``B`` columns (worlds, or relabelled trajectories) with a loss mask.
- :func:`lambda_returns` -- the Q(lambda) targets, computed backwards over the rollout.
- :class:`PQNLearner` -- the network, the optimiser and one jitted update ``(params, opt_state, rollout, key)``.

The targets: with ``d_t`` the end of the instruction's episode at step ``t`` (success, death or the time limit),

``G_t = r_t + gamma (1 - d_t) [lambda G_{t+1} + (1 - lambda) max_a Q(s_{t+1}, a)]``, ``G_T`` bootstrapped by
``max_a Q(s_T, a)``; the loss is ``sum_t,b m_tb (Q(s_t, a_t) - G_t)^2 / sum m`` with the targets held fixed.
"""

from __future__ import annotations

from typing import Any, NamedTuple, cast

import jax
import jax.numpy as jnp
import numpy as np
import optax

from teduo_gym.recipes.oir.policy import InstructionQNetwork

__all__ = ["PQNLearner", "Rollout", "lambda_returns"]

#: An array of a rollout: numpy on the host (as the trainer fills it), or JAX.
Batch = np.ndarray | jax.Array


class Rollout(NamedTuple):
    """``T`` steps of ``B`` columns (arrays with leading axes ``(T, B)``; ``observation`` has ``T + 1`` rows)."""

    observation: Batch  #: float32 (T + 1, B, 1345), the last row is the state after the rollout
    instruction: Batch  #: float32 (T + 1, B, 384), the instruction embedding each state was acted on with
    action: Batch  #: int32 (T, B)
    reward: Batch  #: float32 (T, B)
    done: Batch  #: float32 (T, B), 1 where the instruction's episode ended
    mask: Batch  #: float32 (T, B), 1 where the step is trained on


def lambda_returns(reward: jax.Array, done: jax.Array, next_max_q: jax.Array, gamma: float, lam: float) -> jax.Array:
    """Q(lambda) targets ``(T, B)`` from rewards, ends and ``max_a Q(s_{t+1}, a)``.

    Example:
        >>> r, d, q = jnp.array([[0.0], [1.0]]), jnp.array([[0.0], [1.0]]), jnp.array([[5.0], [9.0]])
        >>> lambda_returns(r, d, q, gamma=0.5, lam=1.0).ravel().tolist()
        [0.5, 1.0]
    """

    def back(carry: jax.Array, step: tuple) -> tuple[jax.Array, jax.Array]:
        r, d, q = step
        g = r + gamma * (1.0 - d) * (lam * carry + (1.0 - lam) * q)
        return g, g

    _, returns = jax.lax.scan(back, next_max_q[-1], (reward, done, next_max_q), reverse=True)
    return returns


class PQNLearner:
    """The Q-network and its optimiser; :meth:`update` trains on one :class:`Rollout`.

    Args:
        num_actions, width, layers: the :class:`~teduo_gym.recipes.oir.policy.InstructionQNetwork`.
        lr, max_grad_norm: Adam with gradient clipping.
        decay_steps: when set, the learning rate decays linearly from ``lr`` to 0 over this many gradient steps
            (``updates x epochs x minibatches``; PQN's ``LR_LINEAR_DECAY``), then stays at 0.
        gamma, td_lambda: the Q(lambda) targets.
        epochs, minibatches: passes over a rollout, and minibatches (of whole steps x columns) per pass.

    Example:
        >>> learner = PQNLearner(num_actions=3, width=8, epochs=1, minibatches=1)
        >>> params = learner.init(jax.random.PRNGKey(0), obs_size=4, emb_size=2)
        >>> opt_state = learner.optimizer.init(params)
        >>> T, B = 3, 2
        >>> rollout = Rollout(jnp.zeros((T + 1, B, 4)), jnp.zeros((T + 1, B, 2)), jnp.zeros((T, B), jnp.int32),
        ...                   jnp.ones((T, B)), jnp.zeros((T, B)), jnp.ones((T, B)))
        >>> params, opt_state, loss = learner.update(params, opt_state, rollout, jax.random.PRNGKey(1))
        >>> bool(loss > 0)
        True
    """

    def __init__(
        self,
        num_actions: int,
        *,
        width: int = 256,
        layers: int = 2,
        lr: float = 3e-4,
        max_grad_norm: float = 10.0,
        decay_steps: int | None = None,
        gamma: float = 0.99,
        td_lambda: float = 0.65,
        epochs: int = 2,
        minibatches: int = 2,
    ):
        self.network = InstructionQNetwork(num_actions, width, layers)
        schedule = lr if decay_steps is None else optax.linear_schedule(lr, 0.0, decay_steps)
        self.optimizer = optax.chain(optax.clip_by_global_norm(max_grad_norm), optax.adam(schedule))
        self.gamma = gamma
        self.td_lambda = td_lambda
        self.epochs = epochs
        self.minibatches = minibatches
        self.q_values = jax.jit(self.network.apply)
        self.update = jax.jit(self._update)

    def init(self, key: jax.Array, obs_size: int, emb_size: int) -> Any:
        """Fresh network parameters."""
        return self.network.init(key, jnp.zeros((1, obs_size)), jnp.zeros((1, emb_size)))

    def _update(self, params: Any, opt_state: Any, rollout: Rollout, key: jax.Array) -> tuple[Any, Any, jax.Array]:
        q_next = cast(jax.Array, self.network.apply(params, rollout.observation[1:], rollout.instruction[1:])).max(-1)
        reward, done = jnp.asarray(rollout.reward), jnp.asarray(rollout.done)
        targets = lambda_returns(reward, done, q_next, self.gamma, self.td_lambda)
        n = rollout.action.size
        flat = (
            rollout.observation[:-1].reshape(n, -1),
            rollout.instruction[:-1].reshape(n, -1),
            rollout.action.reshape(n),
            jax.lax.stop_gradient(targets).reshape(n),
            rollout.mask.reshape(n),
        )

        def loss_fn(p: Any, batch: tuple) -> jax.Array:
            obs, emb, action, target, mask = batch
            q = jnp.take_along_axis(cast(jax.Array, self.network.apply(p, obs, emb)), action[:, None], axis=-1)[:, 0]
            return jnp.sum(mask * (q - target) ** 2) / jnp.maximum(mask.sum(), 1.0)

        def step(carry: tuple, batch: tuple) -> tuple[tuple, jax.Array]:
            p, s = carry
            loss, grads = jax.value_and_grad(loss_fn)(p, batch)
            updates, s = self.optimizer.update(grads, s, p)
            return (optax.apply_updates(p, updates), s), loss

        def epoch(carry: tuple, epoch_key: jax.Array) -> tuple[tuple, jax.Array]:
            order = jax.random.permutation(epoch_key, n)
            batches = jax.tree.map(lambda x: x[order].reshape(self.minibatches, -1, *x.shape[1:]), flat)
            return jax.lax.scan(step, carry, batches)

        (params, opt_state), losses = jax.lax.scan(epoch, (params, opt_state), jax.random.split(key, self.epochs))
        return params, opt_state, losses.mean()
