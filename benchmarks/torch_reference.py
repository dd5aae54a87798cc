"""The same MLP in PyTorch (CPU): nn.Sequential + BCELoss + torch.optim.SGD, a benchmark reference.

Imported only when torch is installed (``benchmarks.run`` checks first). Data are shared with NumPy
through ``torch.from_numpy`` (no copy); torch uses as many threads as NumPy's BLAS, so neither side
gets more cores than the other.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn


def set_threads(n: int) -> None:
    """Use ``n`` intra-op threads (the number NumPy's BLAS uses)."""
    torch.set_num_threads(max(1, int(n)))


def build(weights: Sequence[tuple[np.ndarray, np.ndarray]]) -> nn.Sequential:
    """Linear/ReLU/.../Linear/Sigmoid with the given ``[(W, b), ...]`` (W shaped (out, in), as torch)."""
    layers: list[nn.Module] = []
    for i, (w, b) in enumerate(weights):
        lin = nn.Linear(w.shape[1], w.shape[0], dtype=torch.from_numpy(w).dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
            lin.bias.copy_(torch.from_numpy(np.ascontiguousarray(b).reshape(-1)))
        layers += [lin, nn.ReLU() if i < len(weights) - 1 else nn.Sigmoid()]
    return nn.Sequential(*layers)


class TorchModel:
    """``step(x, y)``: zero_grad, forward, BCELoss, backward, SGD step; returns the loss (``.item()``).

    ``x`` is (batch, features) and ``y`` is (batch, 1), both torch tensors (see ``tensor``).
    """

    def __init__(self, weights: Sequence[tuple[np.ndarray, np.ndarray]], learning_rate: float) -> None:
        self.model = build(weights)
        self.loss_fn = nn.BCELoss()
        self.opt = torch.optim.SGD(self.model.parameters(), lr=learning_rate)

    @staticmethod
    def tensor(a: np.ndarray) -> torch.Tensor:
        """A torch view of a NumPy array (no copy when it is contiguous)."""
        return torch.from_numpy(np.ascontiguousarray(a))

    def step(self, x: torch.Tensor, y: torch.Tensor) -> float:
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        self.opt.step()
        return loss.item()
