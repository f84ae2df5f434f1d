"""The instruction-conditioned Q-network: Craftax's symbolic observation joined to an instruction embedding.

- :class:`InstructionQNetwork` -- ``Q(s, e(instruction))``: the 1345 observation floats concatenated with the
  384-float sentence embedding, then ``layers`` x (Dense, LayerNorm, ReLU) and one Q-value per action; LayerNorm
  as in PQN (Gallici et al. 2024), which lets Q-learning go without a target network or replay buffer.
- :func:`epsilon_greedy` -- jitted actions for a batch.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

__all__ = ["InstructionQNetwork", "epsilon_greedy"]


class InstructionQNetwork(nn.Module):
    """Q-values of every action for a batch of (observation, instruction embedding) pairs.

    Example:
        >>> net = InstructionQNetwork(num_actions=17, width=32)
        >>> obs, emb = jnp.zeros((2, 1345)), jnp.zeros((2, 384))
        >>> params = net.init(jax.random.PRNGKey(0), obs, emb)
        >>> net.apply(params, obs, emb).shape
        (2, 17)
    """

    #: actions (Q-values) per state.
    num_actions: int
    #: hidden units per layer.
    width: int = 256
    #: hidden layers.
    layers: int = 2

    @nn.compact
    def __call__(self, observation: jax.Array, instruction: jax.Array) -> jax.Array:
        x = jnp.concatenate([observation, instruction], axis=-1)
        for _ in range(self.layers):
            x = nn.relu(nn.LayerNorm()(nn.Dense(self.width)(x)))
        return nn.Dense(self.num_actions)(x)


@jax.jit
def epsilon_greedy(key: jax.Array, q_values: jax.Array, epsilon: jax.Array) -> jax.Array:
    """The greedy action of each row, replaced by a uniform one with probability ``epsilon``.

    Example:
        >>> epsilon_greedy(jax.random.PRNGKey(0), jnp.array([[0.0, 1.0], [2.0, 0.0]]), 0.0).tolist()
        [1, 0]
    """
    explore_key, action_key = jax.random.split(key)
    greedy = jnp.argmax(q_values, axis=-1)
    random = jax.random.randint(action_key, greedy.shape, 0, q_values.shape[-1])
    return jnp.where(jax.random.uniform(explore_key, greedy.shape) < epsilon, random, greedy)
