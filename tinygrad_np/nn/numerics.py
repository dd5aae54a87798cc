"""The numerically stable building blocks, re-exported for the layers and losses.

They live in ``tinygrad_np/numerics.py``, outside ``nn``, so that the graph's ops can use them without
importing the ``nn`` package (which itself imports the graph's Tensor).
"""

from ..numerics import log_softmax, softmax, softplus_neg_abs, stable_sigmoid

__all__ = ["log_softmax", "softmax", "softplus_neg_abs", "stable_sigmoid"]
