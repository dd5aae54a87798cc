"""The computational graph: Tensor, Function, the backward engine, no_grad, draw_graph.

``Tensor`` records each operation as a node (a ``Function``: forward and backward on ndarrays, see
ops.py); ``Tensor.backward()`` runs ``engine.backward``. Layers and losses become nodes too
(``tinygrad_np.nn``): a layer called on a Tensor records one node whose backward is the layer's own.
"""

from .function import Function
from .grad_mode import is_grad_enabled, no_grad
from .graphviz import draw_graph
from .tensor import Tensor

__all__ = ["Function", "Tensor", "draw_graph", "is_grad_enabled", "no_grad"]
