"""Hypothesis strategies and the ONE table of Tensor ops, shared by the autograd tests."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_np as tnp
import tinygrad_np.functional as F
from tinygrad_np import GradcheckReport, Tensor


@dataclass(frozen=True)
class OpCase:
    """One op: the Tensor code, the same in plain NumPy, the operand count and the inputs it accepts."""

    name: str
    op: Callable[..., Tensor]  # Tensors in -> Tensor out
    reference: Callable[..., np.ndarray]  # ndarrays in -> ndarray out
    arity: int = 1
    domain: tuple[float, float] = (-3.0, 3.0)  # inputs drawn from here
    kinks: tuple[float, ...] = ()  # inputs where the derivative jumps: keep 1e-3 away
    signature: str | None = None  # a gufunc signature for the shapes (matmul), else broadcasting
    min_dims: int = 0  # 1 for ops taking an axis
    same_shape: bool = False  # all operands of one shape (cat, stack) instead of broadcastable ones


_erf = np.vectorize(math.erf, otypes=[np.float64])  # Python's erf, one number at a time


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


OPS: list[OpCase] = [
    OpCase("add", lambda a, b: a + b, np.add, 2),
    OpCase("sub", lambda a, b: a - b, np.subtract, 2),
    OpCase("mul", lambda a, b: a * b, np.multiply, 2),
    OpCase("div", lambda a, b: a / b, np.divide, 2, domain=(0.5, 3.0)),
    OpCase("radd number", lambda a: 2.5 + a, lambda a: 2.5 + a),
    OpCase("rsub number", lambda a: 1.0 - a, lambda a: 1.0 - a),
    OpCase("rdiv number", lambda a: 2.0 / a, lambda a: 2.0 / a, domain=(0.5, 3.0)),
    OpCase("matmul", lambda a, b: a @ b, np.matmul, 2, signature="(m?,n),(n,p?)->(m?,p?)"),
    OpCase("neg", lambda a: -a, np.negative),
    OpCase("pow 3", lambda a: a**3, lambda a: a**3),
    OpCase("pow -1.5", lambda a: a**-1.5, lambda a: a**-1.5, domain=(0.5, 3.0)),
    OpCase("sum", lambda a: a.sum(), np.sum),
    OpCase("sum axis 0", lambda a: a.sum(axis=0), lambda a: a.sum(axis=0), min_dims=1),
    OpCase("mean -1 keepdims", lambda a: a.mean(axis=-1, keepdims=True), lambda a: a.mean(-1, keepdims=True), min_dims=1),
    OpCase("max", lambda a: a.max(), np.max),
    OpCase("max axis -1", lambda a: a.max(axis=-1), lambda a: a.max(axis=-1), min_dims=1),
    OpCase("exp", lambda a: a.exp(), np.exp),
    OpCase("log", lambda a: a.log(), np.log, domain=(0.2, 3.0)),
    OpCase("sqrt", lambda a: a.sqrt(), np.sqrt, domain=(0.2, 3.0)),
    OpCase("abs", lambda a: a.abs(), np.abs, kinks=(0.0,)),
    OpCase("clip", lambda a: a.clip(-1.0, 0.5), lambda a: np.clip(a, -1.0, 0.5), kinks=(-1.0, 0.5)),
    OpCase("relu", lambda a: a.relu(), lambda a: np.maximum(a, 0), kinks=(0.0,)),
    OpCase("leaky_relu", lambda a: F.leaky_relu(a, 0.1), lambda a: np.where(a > 0, a, 0.1 * a), kinks=(0.0,)),
    OpCase("sigmoid", lambda a: a.sigmoid(), lambda a: 1 / (1 + np.exp(-a))),
    OpCase("softplus", lambda a: a.softplus(), lambda a: np.log1p(np.exp(a))),
    OpCase("tanh", lambda a: a.tanh(), np.tanh),
    OpCase("reshape", lambda a: a.reshape(-1), lambda a: a.reshape(-1)),
    OpCase("transpose", lambda a: a.T, lambda a: a.T),
    OpCase("getitem ::-1", lambda a: a[::-1], lambda a: a[::-1], min_dims=1),
    OpCase("getitem mask", lambda a: a[a.data > 0], lambda a: a[a > 0], kinks=(0.0,)),  # 0: the shape jumps
    # the PyTorch-style Tensor API (dims, views, cat/stack/where, cast): see also test_tensor_api.py
    OpCase("sum dim tuple keepdim", lambda a: a.sum(dim=(0, -1), keepdim=True), lambda a: a.sum((0, -1), keepdims=True), min_dims=2),
    OpCase("mean dim 0", lambda a: a.mean(0), lambda a: a.mean(0), min_dims=1),
    OpCase("max dim values", lambda a: a.max(dim=-1).values, lambda a: a.max(-1), min_dims=1),
    OpCase("min", lambda a: a.min(), np.min),
    OpCase("min dim keepdim", lambda a: a.min(0, keepdim=True).values, lambda a: a.min(0, keepdims=True), min_dims=1),
    OpCase("amin dim tuple", lambda a: a.amin(dim=(0, -1)), lambda a: a.min(axis=(0, -1)), min_dims=2),
    OpCase("transpose 0 -1", lambda a: a.transpose(0, -1), lambda a: np.swapaxes(a, 0, -1), min_dims=1),
    OpCase("permute reversed", lambda a: a.permute(*range(a.ndim - 1, -1, -1)), lambda a: a.T),
    OpCase("mT", lambda a: a.mT, lambda a: np.swapaxes(a, -1, -2), min_dims=2),
    OpCase("view -1", lambda a: a.view(-1), lambda a: a.reshape(-1)),
    OpCase("unsqueeze 1 squeeze", lambda a: a.unsqueeze(1).squeeze(1), lambda a: a, min_dims=1),
    OpCase("unsqueeze -1", lambda a: a.unsqueeze(-1), lambda a: a[..., None]),
    OpCase("squeeze", lambda a: a.squeeze(), np.squeeze),
    OpCase("flatten 1", lambda a: a.flatten(1), lambda a: a.reshape(a.shape[0], -1), min_dims=2),
    OpCase("expand", lambda a: a.expand(2, *a.shape), lambda a: np.broadcast_to(a, (2, *a.shape))),
    OpCase("cat dim -1", lambda a, b: tnp.cat([a, b], dim=-1), lambda a, b: np.concatenate([a, b], -1), 2, min_dims=1, same_shape=True),
    OpCase("stack dim 1", lambda a, b: tnp.stack([a, b], 1), lambda a, b: np.stack([a, b], 1), 2, min_dims=1, same_shape=True),
    OpCase("where", lambda a, b: tnp.where(a.data > 0, a, b), lambda a, b: np.where(a > 0, a, b), 2, kinks=(0.0,)),
    OpCase("masked_fill", lambda a: a.masked_fill(a.data > 0.5, -1.0), lambda a: np.where(a > 0.5, -1.0, a), kinks=(0.5,)),
    OpCase("tril", lambda a: tnp.tril(a), np.tril, min_dims=2),
    OpCase("triu 1", lambda a: tnp.triu(a, 1), lambda a: np.triu(a, 1), min_dims=2),
    OpCase("to longdouble", lambda a: a.to(np.longdouble), lambda a: a.astype(np.longdouble)),
    OpCase("softmax", lambda a: F.softmax(a), _softmax, min_dims=1),
    OpCase("log_softmax", lambda a: F.log_softmax(a), lambda a: np.log(_softmax(a)), min_dims=1),
    OpCase("softmax method dim 0", lambda a: a.softmax(0), lambda a: np.moveaxis(_softmax(np.moveaxis(a, 0, -1)), -1, 0), min_dims=1),
    OpCase("gelu", lambda a: F.gelu(a), lambda a: a * 0.5 * (1 + _erf(a / math.sqrt(2)))),
    OpCase("gelu tanh", lambda a: F.gelu(a, "tanh"), lambda a: 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a**3)))),
]


def values(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Floats in [lo, hi] on a 1e-3 grid (no tiny magnitudes that central differences cannot resolve)."""
    return st.integers(round(lo * 1000), round(hi * 1000)).map(lambda v: v / 1000)


@st.composite
def op_inputs(draw: st.DrawFn, case: OpCase) -> list[np.ndarray]:
    """float64 operands for ``case``: mutually broadcastable shapes (0-d included), or the signature's."""
    if case.signature is not None:
        shapes = draw(hnp.mutually_broadcastable_shapes(signature=case.signature, max_dims=3, max_side=3))
    elif case.same_shape:
        shape = draw(hnp.array_shapes(min_dims=case.min_dims, max_dims=3, min_side=0, max_side=3))
        return [draw(hnp.arrays(np.float64, shape, elements=values(*case.domain))) for _ in range(case.arity)]
    else:
        shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=case.arity, min_dims=case.min_dims, max_dims=3, max_side=3))
    elements = values(*case.domain)
    return [draw(hnp.arrays(np.float64, s, elements=elements)) for s in shapes.input_shapes]


def grads_agree(report: GradcheckReport) -> bool:
    """Every input checked (no None, NaN, shape or dtype problem) and, per input, relative error < 1e-6,
    or, where the gradient is ~0 and a relative error means nothing (central differences leave ~1e-10
    of truncation and rounding noise), absolute error < 1e-8."""
    return not report.problems and all(
        report.errors[k] < 1e-6 or report.abs_errors[k] < 1e-8 for k in report.errors
    )


def tensors(arrays: list[np.ndarray]) -> list[Tensor]:
    return [Tensor(a, requires_grad=True) for a in arrays]


