"""BatchNorm1d and BatchNorm2d: normalise each channel, then scale and shift, as PyTorch.

Training mode: per channel c, over the batch (and length / height, width),
    mean = mean(x),  var = mean((x - mean)**2)  (biased),  xhat = (x - mean) / sqrt(var + eps),
    y = weight * xhat + bias,
and the running statistics move towards the batch's (momentum m, default 0.1):
    running_mean = (1 - m) running_mean + m mean,
    running_var  = (1 - m) running_var  + m var * n / (n - 1)   (the unbiased variance).
Evaluation mode uses running_mean and running_var instead of the batch's statistics. The formula
(forward and backward) is ``ops.norm.BatchNorm``; the running update is ``ops.norm.running_update``,
from the statistics the formula computed (kept on its ctx).

``running_mean``, ``running_var`` and ``num_batches_tracked`` are buffers: saved and loaded with the
state dict under PyTorch's names ("1.running_mean", ...), cast by ``to()``, never trained. Loading
checks them: finite, running_var >= 0, num_batches_tracked a whole number >= 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..ops import norm as fn
from ..validation import check_finite_float, check_int, fail
from .module import Module
from .parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Module):
    _array_forward = True
    _buffers = ("running_mean", "running_var", "num_batches_tracked")
    _nonnegative_buffers = ("running_var", "num_batches_tracked")  # checked by load_state_dict
    _ndims: tuple[int, ...] = ()  # accepted input ranks
    _shape_text = ""

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, *, dtype: Any = np.float64
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = check_int(name, "num_features", num_features)
        self.eps = check_finite_float(name, "eps", eps, minimum=0.0)
        # None: a cumulative average of all batches seen (PyTorch's momentum=None)
        self.momentum = (
            None
            if momentum is None
            else check_finite_float(name, "momentum", momentum, minimum=0.0, maximum=1.0)
        )
        dtype = np.dtype(dtype)
        self.weight = Parameter(np.ones(self.num_features, dtype=dtype))
        self.bias = Parameter(np.zeros(self.num_features, dtype=dtype))
        self.running_mean = np.zeros(self.num_features, dtype=dtype)
        self.running_var = np.ones(self.num_features, dtype=dtype)
        self.num_batches_tracked = np.array(0, dtype=np.int64)

    def _check(self, x: Any) -> np.ndarray:
        x = self._check_input(x)
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            c = self.num_features
            raise fail(repr(self), "input", f"have shape {self._shape_text.format(c=c)}", f"shape {x.shape}")
        self._check_dtype(x, self.weight)
        return x

    def forward(self, x: Any) -> Any:
        """x: ndarray or Tensor -> the same shape, normalised per channel (training mode: by the batch's
        statistics, which also move the running ones; evaluation: by the running ones)."""
        a = self._check(x)
        w, b = self.weight, self.bias
        if not self.training:
            return self._call_function(
                fn.BatchNorm, x, w, b, self.running_mean, self.running_var, eps=self.eps
            )
        n = a.size // self.num_features  # values per channel
        if n <= 1:
            raise fail(
                repr(self),
                "input",
                "hold more than 1 value per channel in training mode",
                f"shape {a.shape}",
                "use a batch of 2 or more, or model.eval()",
            )
        y = self._call_function(fn.BatchNorm, x, w, b, None, None, eps=self.eps)
        ctx = y._ctx if isinstance(y, Tensor) else self._cache  # this call's, when it kept one
        self._update_running(*fn.used_statistics(ctx, a), n)
        return y

    def _update_running(self, mean: np.ndarray, var: np.ndarray, n: int) -> None:
        self.num_batches_tracked = np.array(self.num_batches_tracked + 1, dtype=np.int64)
        m = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        self.running_mean, self.running_var = fn.running_update(
            self.running_mean, self.running_var, mean, var, n, m
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine=True, "
            "track_running_stats=True"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs over N (and L), per channel C = num_features.
    ``weight`` (C,) starts at 1, ``bias`` (C,) at 0; running_mean 0, running_var 1."""

    _ndims = (2, 3)
    _shape_text = "(batch, {c}) or (batch, {c}, length)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs over N, H and W, per channel C = num_features.
    ``weight`` (C,) starts at 1, ``bias`` (C,) at 0; running_mean 0, running_var 1."""

    _ndims = (4,)
    _shape_text = "(batch, {c}, height, width)"
