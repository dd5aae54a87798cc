"""The trainers compared by the benchmarks, each behind the same interface.

A factory takes the initial weights ``[(W, b), ...]`` (W shaped (out, in), as in tinygrad_np and
PyTorch), the learning rate and the batches ``[(x, y), ...]`` (x (batch, features), y (batch,), NumPy
arrays of the benchmark's dtype) and returns ``step(i) -> loss``, one full training iteration on batch
``i % len(batches)``: forward, loss, backward, SGD update. Batches are converted to each trainer's own
layout once, before timing (the course's samples-in-columns views, torch tensors sharing memory).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Weights = Sequence[tuple[np.ndarray, np.ndarray]]
Batches = Sequence[tuple[np.ndarray, np.ndarray]]
Step = Callable[[int], float]


def initial_weights(
    dims: Sequence[int], dtype: Any = np.float64, seed: int = 1
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The course's deep-model init, ``randn(out, in) / sqrt(in)`` from ``RandomState(seed)``, b = 0."""
    rng = np.random.RandomState(seed)
    return [
        (
            (rng.standard_normal((dims[i + 1], dims[i])) / np.sqrt(dims[i])).astype(dtype),
            np.zeros(dims[i + 1], dtype=dtype),
        )
        for i in range(len(dims) - 1)
    ]


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def blas_threads() -> int:
    """How many threads NumPy's BLAS uses (threadpoolctl if installed, else OpenBLAS's default rule)."""
    try:
        from threadpoolctl import threadpool_info

        counts = [d["num_threads"] for d in threadpool_info() if d.get("user_api") == "blas"]
        if counts:
            return int(max(counts))
    except ImportError:
        pass
    import os

    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# -- tinygrad_np -----------------------------------------------------------------------------------------
def build_tinygrad_np(weights: Weights) -> Any:
    """Linear/ReLU/.../Linear/Sigmoid holding copies of ``weights`` (loaded with load_state_dict)."""
    import tinygrad_np as tnp

    sizes = [weights[0][0].shape[1]] + [w.shape[0] for w, _ in weights]
    model = tnp.nn.mlp(sizes, rng=np.random.default_rng(0), dtype=weights[0][0].dtype)
    state = {}
    for i, (w, b) in enumerate(weights):
        state[f"{2 * i}.weight"], state[f"{2 * i}.bias"] = w, b
    return model.load_state_dict(state)


def tinygrad_np_trainer(weights: Weights, lr: float, batches: Batches) -> Step:
    """fit()'s training step: loss = loss_fn(model(x), y); model.backward_from(loss_fn); opt.step()."""
    import tinygrad_np as tnp

    model = build_tinygrad_np(weights)
    loss_fn = tnp.BCELoss()
    opt = tnp.SGD(model.parameters(), lr=lr)
    n = len(batches)

    def step(i: int) -> float:
        x, y = batches[i % n]
        loss = loss_fn(model(x), y)
        model.backward_from(loss_fn)  # what fit() does: backward with the Sigmoid + BCELoss shortcut
        opt.step()
        return loss

    return step


def tinygrad_np_graph_trainer(weights: Weights, lr: float, batches: Batches) -> Step:
    """The same model in graph mode: loss = loss_fn(model(Tensor(x)), y); loss.backward(); opt.step()."""
    import tinygrad_np as tnp

    model = build_tinygrad_np(weights)
    loss_fn = tnp.BCELoss()
    opt = tnp.SGD(model.parameters(), lr=lr)
    tensors = [(tnp.Tensor(x), y) for x, y in batches]
    n = len(tensors)

    def step(i: int) -> float:
        x, y = tensors[i % n]
        loss = loss_fn(model(x), y)  # a 0-d Tensor; Sigmoid + BCELoss fused in the graph
        loss.backward()
        opt.step()
        return float(loss)

    return step


def tinygrad_np_fast_trainer(weights: Weights, lr: float, batches: Batches) -> Step:
    """``fit(..., fast_path=True)``'s step (tinygrad_np/train/fastpath.py): the loop runs the fast
    path's stand-ins for the model and optimiser, the first layer in sample space. Full batch only (one
    batch). Its set-up (K = x xᵀ, x W0ᵀ, on entering) runs inside the first step, so it is part of the
    loop time; writing W back at the end (one product, done once when fit() leaves it) is not timed."""
    import tinygrad_np as tnp
    from tinygrad_np.train.fastpath import FirstLayerInSampleSpace

    if len(batches) != 1:
        raise ValueError("the fast path is for full-batch training (one batch)")
    model = build_tinygrad_np(weights)
    loss_fn = tnp.BCELoss()
    opt = tnp.SGD(model.parameters(), lr=lr)
    x, y = batches[0]
    stand_ins: list[Any] = []

    def step(i: int) -> float:
        if not stand_ins:
            stand_ins.extend(
                FirstLayerInSampleSpace(model, opt, x, None, full_batch=True, callbacks=()).__enter__()
            )
        fast_model, fast_opt = stand_ins
        loss = loss_fn(fast_model(x), y)  # fit's loop, unchanged
        fast_model.backward_from(loss_fn)
        fast_opt.step()
        return loss

    return step


# -- the course's code -----------------------------------------------------------------------------------
def course_trainer(weights: Weights, lr: float, batches: Batches) -> Step:
    """The course's L-layer code (benchmarks/course_reference.py), samples in columns."""
    from .course_reference import CourseModel

    model = CourseModel(weights, lr)
    # The course's X is train_x_flatten.T: a transposed view, exactly like x.T here.
    cols = [(x.T, y.reshape(1, -1)) for x, y in batches]
    n = len(cols)

    def step(i: int) -> float:
        X, Y = cols[i % n]
        return model.step(X, Y)

    return step


# -- PyTorch ---------------------------------------------------------------------------------------------
def torch_trainer(weights: Weights, lr: float, batches: Batches) -> Step:
    """nn.Sequential + BCELoss + torch.optim.SGD (benchmarks/torch_reference.py)."""
    from .torch_reference import TorchModel, set_threads

    set_threads(blas_threads())
    model = TorchModel(weights, lr)
    tensors = [(model.tensor(x), model.tensor(y.reshape(-1, 1))) for x, y in batches]
    n = len(tensors)

    def step(i: int) -> float:
        x, y = tensors[i % n]
        return model.step(x, y)

    return step


# -- JAX --------------------------------------------------------------------------------------------------
JAX_COMPILE_SECONDS: list[float] = []  # one per JaxModel built, read (and cleared) by benchmarks.run


def jax_available() -> bool:
    return importlib.util.find_spec("jax") is not None


def jax_trainer(weights: Weights, lr: float, batches: Batches) -> Step:
    """The same model and SGD step in JAX, jitted (benchmarks/jax_reference.py); compiled before timing."""
    from .jax_reference import JaxModel

    model = JaxModel(weights, lr, batches[0][0])
    JAX_COMPILE_SECONDS.append(model.compile_seconds)
    arrays = [(model.array(x), model.array(y.reshape(-1, 1))) for x, y in batches]
    n = len(arrays)

    def step(i: int) -> float:
        x, y = arrays[i % n]
        return model.step(x, y)

    return step


# -- the floor -------------------------------------------------------------------------------------------
def floor_trainer(weights: Weights, lr: float, batches: Batches) -> Step:
    """Only the first layer's two big matrix products, z = x @ W.T and dW = g.T @ x, into preallocated
    outputs: what any trainer of this model must at least do on each iteration. Returns NaN."""
    w = np.array(weights[0][0], copy=True)
    out_features = w.shape[0]
    rng = np.random.default_rng(0)
    n = len(batches)
    bufs = []
    for x, _ in batches:
        g = rng.standard_normal((x.shape[0], out_features)).astype(w.dtype)
        bufs.append((x, g, np.empty((x.shape[0], out_features), w.dtype)))
    dw = np.empty_like(w)

    def step(i: int) -> float:
        x, g, z = bufs[i % n]
        np.matmul(x, w.T, out=z)
        np.matmul(g.T, x, out=dw)
        return float("nan")

    return step


TRAINERS: dict[str, Callable[[Weights, float, Batches], Step]] = {
    "tinygrad_np": tinygrad_np_trainer,
    "tinygrad_np (graph)": tinygrad_np_graph_trainer,
    "tinygrad_np fast path": tinygrad_np_fast_trainer,
    "JAX (jit)": jax_trainer,
    "course (NumPy)": course_trainer,
    "PyTorch": torch_trainer,
    "floor": floor_trainer,
}
