"""The computational graph: Tensor, Function, the backward engine, no_grad, draw_graph, and the
Tensor API's free functions (cat, stack, where, tril, triu, tensor, zeros, ones, randn).

``Tensor`` records each operation as a node (a ``Function``: forward and backward on ndarrays, see
ops.py); ``Tensor.backward()`` runs ``engine.backward``. Layers and losses become nodes too
(``tinygrad_np.nn``): a layer called on a Tensor records one node whose backward is the layer's own.
"""

from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .graphviz import draw_graph
from .tensor import Tensor
from .tensor_functions import cat, ones, randn, stack, tensor, tril, triu, where, zeros

__all__ = [
    "Function",
    "Tensor",
    "cat",
    "draw_graph",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "ones",
    "randn",
    "stack",
    "tensor",
    "tril",
    "triu",
    "where",
    "zeros",
]
