"""A small proxy reward network per goal, trained on a budget of LLM labels and thresholded for precision.

- :class:`ProxyNet` -- TEDUO's architecture: one convolution (32 channels) over the abstract state grid, then
  two linear layers (the carried object joins before the first).
- :class:`ProxyConfig` -- training settings.
- :func:`choose_threshold` -- the lowest threshold reaching a target precision, else the best F1.
- :func:`train_proxy` -- fit on labelled states, pick the threshold on held-out ones; returns a
  :class:`ProxyModel` that scores any abstract states.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

__all__ = ["ProxyConfig", "ProxyModel", "ProxyNet", "choose_threshold", "train_proxy"]


class ProxyNet(nn.Module):
    """``conv3x3(C -> 32) -> ReLU -> flatten ++ extra -> Linear(hidden) -> ReLU -> Linear(1)`` (a logit).

    Example:
        >>> net = ProxyNet(26, 8, 8, 19)
        >>> net(torch.zeros(2, 26, 8, 8), torch.zeros(2, 19)).shape
        torch.Size([2])
    """

    def __init__(self, channels: int, width: int, height: int, extra: int, hidden: int = 64, conv: int = 32):
        super().__init__()
        self.conv = nn.Conv2d(channels, conv, kernel_size=3, padding=1)
        self.hidden = nn.Linear(conv * width * height + extra, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, grid: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
        """Logits ``(n,)``."""
        x = torch.relu(self.conv(grid)).flatten(1)
        return self.out(torch.relu(self.hidden(torch.cat([x, extra], dim=1)))).squeeze(1)


@dataclass(frozen=True)
class ProxyConfig:
    """How a proxy network is trained and thresholded."""

    #: full-batch Adam steps.
    steps: int = 150
    #: Adam learning rate.
    lr: float = 3e-3
    #: width of the hidden linear layer.
    hidden: int = 64
    #: share of the labelled states held out to choose the threshold.
    holdout: float = 0.25
    #: the precision the threshold must reach on held-out states (else the best F1).
    precision: float = 0.95

    def __post_init__(self) -> None:
        if not 0 < self.precision <= 1:
            raise ValueError(f"proxy precision must be in (0, 1], got {self.precision} (e.g. --precision 0.95)")
        if not 0 < self.holdout < 1:
            raise ValueError(f"proxy holdout must be in (0, 1), got {self.holdout}")
        if self.steps < 1 or self.hidden < 1:
            raise ValueError(f"proxy steps and hidden must be at least 1, got {self.steps} and {self.hidden}")


def choose_threshold(scores: np.ndarray, labels: np.ndarray, precision: float) -> float:
    """The lowest score threshold (``score >= t``) whose precision reaches ``precision``; else the best-F1 one.

    Without any positive label there is nothing to find: ``inf`` (label nothing).

    Example:
        >>> choose_threshold(np.array([0.1, 0.4, 0.6, 0.9]), np.array([0, 1, 0, 1]), 0.95)
        0.9
        >>> choose_threshold(np.array([0.1, 0.4, 0.6, 0.9]), np.array([0, 1, 0, 1]), 1.01)  # best F1
        0.4
    """
    labels = np.asarray(labels, dtype=bool)
    if not labels.any():
        return float("inf")
    order = np.argsort(-scores, kind="stable")
    s, y = np.asarray(scores)[order], labels[order]
    tp, fp = np.cumsum(y), np.cumsum(~y)
    last = np.r_[s[1:] != s[:-1], True]  # one candidate per distinct score: everything >= it is positive
    tp, fp, t = tp[last], fp[last], s[last]
    prec, rec = tp / (tp + fp), tp / labels.sum()
    ok = np.flatnonzero(prec >= precision)
    if ok.size:
        return float(t[ok[-1]])
    f1 = np.where(tp > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-12), 0.0)
    return float(t[int(np.argmax(f1))])


@dataclass
class ProxyModel:
    """A trained proxy: ``score(grid, extra) >= threshold`` labels a state as achieving the goal."""

    net: ProxyNet | None
    threshold: float

    def score(self, grid: np.ndarray, extra: np.ndarray) -> np.ndarray:
        """Probabilities ``(n,)`` (zeros when no network could be trained)."""
        if self.net is None:
            return np.zeros(len(grid))
        with torch.inference_mode():
            return torch.sigmoid(self.net(torch.from_numpy(grid), torch.from_numpy(extra))).numpy().astype(np.float64)


def train_proxy(
    grid: np.ndarray, extra: np.ndarray, labels: np.ndarray, config: ProxyConfig, seed: int = 0
) -> ProxyModel:
    """Train a :class:`ProxyNet` on labelled states and choose its threshold on a held-out share of them.

    Without both classes among the labels there is nothing to learn: an all-negative (or all-positive) model.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> grid = rng.random((40, 2, 3, 3)).astype(np.float32); extra = np.zeros((40, 1), np.float32)
        >>> labels = grid[:, 0, 1, 1] > 0.5
        >>> model = train_proxy(grid, extra, labels, ProxyConfig(steps=200), seed=0)
        >>> float(((model.score(grid, extra) >= model.threshold) == labels).mean()) > 0.8
        True
    """
    labels = np.asarray(labels, dtype=bool)
    if labels.all() or not labels.any():
        return ProxyModel(None, float("-inf") if labels.all() and labels.size else float("inf"))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    n_hold = int(round(config.holdout * len(labels)))
    hold, train = order[:n_hold], order[n_hold:]
    torch.manual_seed(seed)
    net = ProxyNet(grid.shape[1], grid.shape[2], grid.shape[3], extra.shape[1], hidden=config.hidden)
    g, e = torch.from_numpy(grid[train]), torch.from_numpy(extra[train])
    y = torch.from_numpy(labels[train].astype(np.float32))
    pos = float(y.sum())
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(max(len(y) - pos, 1.0) / max(pos, 1.0)))
    optim = torch.optim.Adam(net.parameters(), lr=config.lr)
    net.train()
    for _ in range(config.steps):
        optim.zero_grad()
        loss_fn(net(g, e), y).backward()
        optim.step()
    net.eval()
    model = ProxyModel(net, 0.5)
    # choose on held-out states when they hold a positive; else (tiny budgets) on every labelled state
    pick = hold if labels[hold].any() else np.arange(len(labels))
    model.threshold = choose_threshold(model.score(grid[pick], extra[pick]), labels[pick], config.precision)
    return model
