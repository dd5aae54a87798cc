"""Functions on Tensors, as ``torch.nn.functional`` (``import tinygrad_np.functional as F``).

Each calls its formula, a ``Function`` of ``tinygrad_np.ops`` (the one the layer of the same name runs),
so its gradient is that formula's backward: activations and softmax (``activations.py``), the losses
(``losses.py``, with the Loss classes' target checks), ``linear``, ``dropout``, the spatial ops, and
the transformer's (``transformer.py``: embedding, layer_norm, scaled_dot_product_attention; ``gelu``
is with the activations).
An ndarray argument is wrapped in a Tensor without grad. Stable at logits of ±1000.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..ops.dropout import DropoutFunction, dropout_mask
from ..ops.linear import LinearFunction
from ..random import Seed, generator
from ..validation import check_float_array, check_probability, fail
from .activations import as_tensor as _t
from .activations import gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus, tanh
from .losses import binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, mse_loss
from .spatial import avg_pool2d, batch_norm, conv2d, max_pool2d
from .transformer import embedding, layer_norm, scaled_dot_product_attention

__all__ = [
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv2d",
    "cross_entropy",
    "dropout",
    "embedding",
    "gelu",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "relu",
    "scaled_dot_product_attention",
    "sigmoid",
    "softmax",
    "softplus",
    "tanh",
]


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """x @ weight.T + bias: x (*, in), weight (out, in) as in PyTorch, bias (out,) or None -> (*, out)."""
    x = _t(x)
    w, b = _operand(weight), None if bias is None else _operand(bias)
    if w.ndim != 2:
        raise fail("linear", "weight", "have shape (out_features, in_features)", f"shape {w.shape}")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise fail(
            "linear", "input", f"have shape (*, {w.shape[1]}) for weight {w.shape}", f"shape {x.shape}"
        )
    if b is not None and b.shape != (w.shape[0],):
        raise fail("linear", "bias", f"have shape ({w.shape[0]},) for weight {w.shape}", f"shape {b.shape}")
    return LinearFunction.apply(x, w, b)


def dropout(x: Any, p: float = 0.5, training: bool = True, rng: Seed = None) -> Tensor:
    """Inverted dropout: each element kept with probability 1 - p and scaled by 1 / (1 - p); the identity
    when ``training`` is False. The mask comes from ``rng`` (a Generator, a RandomState, an int seed, or
    None for ``tnp.manual_seed``'s generator)."""
    p = check_probability("dropout", "p", p)
    x = _t(x)
    check_float_array("dropout", "input", x.data)
    mask = dropout_mask(x.shape, p, generator("dropout", rng), x.dtype, training)
    return DropoutFunction.apply(x, mask)


def _operand(a: Any) -> Any:
    """A Tensor as it is (its gradient is wanted), anything else as a constant ndarray."""
    return a if isinstance(a, Tensor) else np.asarray(a)
