"""The workloads of ``benchmarks.conv``: single Conv2d layers (with their GEMM floor) and the Fashion-MNIST
CNN's training step, each as step factories for ``harness.alternate`` (tinygrad_np, PyTorch, floor).

Every step also records its CPU time (``time.process_time``) into ``CPU[name]``, so one run reports
both the wall clock (the harness) and the CPU time of each trainer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .implementations import torch_available

Step = Callable[[int], float]
Factory = Callable[[], Step]
CPU: dict[str, list[float]] = {}  # name -> CPU seconds of each step of the last workload


@dataclass(frozen=True)
class ConvCase:
    """Conv2d(c, o, k, padding=p, bias) on a (n, c, hw, hw) float32 batch; forward + backward."""

    title: str
    n: int
    c: int
    o: int
    k: int
    hw: int
    p: int
    bias: bool
    input_grad: bool  # False for a first layer: training never needs dL/dx there

    @property
    def out_hw(self) -> int:
        return self.hw + 2 * self.p - self.k + 1

    @property
    def flops(self) -> float:
        """2 multiply-adds per weight per output pixel, per product: forward, dW, and dx if asked."""
        products = 3 if self.input_grad else 2
        return 2.0 * products * self.o * self.c * self.k * self.k * self.n * self.out_hw**2


CASES = {
    "fashion1": ConvCase("Fashion CNN layer 1: Conv2d(1, 32, 3, p=1, no bias), (64, 1, 28, 28), no dx",
                         64, 1, 32, 3, 28, 1, False, False),
    "64x64": ConvCase("Conv2d(64, 64, 3, p=1), (64, 64, 32, 32), with dx", 64, 64, 64, 3, 32, 1, True, True),
    "rgb5x5": ConvCase("Conv2d(3, 32, 5, p=2), (32, 3, 64, 64), no dx", 32, 3, 32, 5, 64, 2, True, False),
}  # fmt: skip


def cpu_timed(name: str, factory: Factory) -> Factory:
    """``factory`` whose steps also append their CPU time to CPU[name]."""

    def make() -> Step:
        step, log = factory(), CPU.setdefault(name, [])

        def timed(i: int) -> float:
            t0 = time.process_time()
            out = step(i)
            log.append(time.process_time() - t0)
            return out

        return timed

    return make


def conv_factories(case: ConvCase) -> dict[str, Factory]:
    """tinygrad_np's Conv2d, PyTorch's (same weights) and the floor: the products alone."""
    import tinygrad_np as tnp
    from tinygrad_np.ops import conv as ops_conv

    rng = np.random.default_rng(0)
    x = rng.standard_normal((case.n, case.c, case.hw, case.hw)).astype(np.float32)
    g = rng.standard_normal((case.n, case.o, case.out_hw, case.out_hw)).astype(np.float32)

    def make_layer() -> Any:
        return tnp.Conv2d(case.c, case.o, case.k, padding=case.p, bias=case.bias, rng=0, dtype=np.float32)

    def ours() -> Step:
        layer = make_layer()

        def step(i: int) -> float:
            layer(x)
            dx = layer.backward(g, input_grad=case.input_grad)
            return float(layer.weight.grad[0, 0, 0, 0] if dx is None else dx[0, 0, 0, 0])

        return step

    def floor() -> Step:
        """The products Conv2dFunction runs, on one block's matrices (in cache), once per block."""
        rows, pixels = case.c * case.k * case.k, case.out_hw**2
        nblocks = len(ops_conv.blocks(case.n, rows, pixels, 4))
        cols_pixels = pixels * -(-case.n // nblocks)
        cols = rng.standard_normal((rows, cols_pixels)).astype(np.float32)
        w2 = rng.standard_normal((case.o, rows)).astype(np.float32)
        gb = rng.standard_normal((case.o, cols_pixels)).astype(np.float32)
        y, dw, dcols = np.empty_like(gb), np.empty((rows, case.o), np.float32), np.empty_like(cols)

        def step(i: int) -> float:
            for _ in range(nblocks):
                np.matmul(w2, cols, out=y)
                np.matmul(cols, gb.T, out=dw)
                if case.input_grad:
                    np.matmul(w2.T, gb, out=dcols)
            return float(y[0, 0])

        return step

    factories = {"tinygrad_np": ours}
    if torch_available():
        import torch

        def theirs() -> Step:
            layer = torch.nn.Conv2d(case.c, case.o, case.k, padding=case.p, bias=case.bias)
            layer.load_state_dict({k: torch.from_numpy(v) for k, v in make_layer().state_dict().items()})
            xt, gt = torch.from_numpy(x).requires_grad_(case.input_grad), torch.from_numpy(g)

            def step(i: int) -> float:
                xt.grad = None
                layer.zero_grad()
                layer(xt).backward(gt)
                return float(layer.weight.grad[0, 0, 0, 0] if xt.grad is None else xt.grad[0, 0, 0, 0])

            return step

        factories["PyTorch"] = theirs
    factories["floor (GEMMs)"] = floor
    return {name: cpu_timed(name, f) for name, f in factories.items()}


def fashion_twin(state: dict[str, np.ndarray]) -> Any:
    """PyTorch's twin of models.fashion.model.cnn() (channels 32, 64, BatchNorm, each block's ReLU after
    its pool, as there), ``state`` loaded."""
    import torch
    from torch import nn

    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.MaxPool2d(2), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.MaxPool2d(2), nn.ReLU(),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 10),
    )  # fmt: skip
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    return model


def fashion_factories(batch: int, steps: int) -> dict[str, Factory]:
    """The Fashion CNN's training step (Adam, lr 2e-3, the trainer's defaults) on random 28 x 28 images,
    tinygrad_np and its PyTorch twin from the same weights; batches repeat after 8."""
    import tinygrad_np as tnp
    from models.fashion.model import cnn

    rng = np.random.default_rng(1)
    nb = min(steps, 8)
    x = rng.random((nb * batch, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, len(x))
    state = cnn(seed=0).state_dict()

    def ours() -> Step:
        model = cnn(seed=0)
        loss_fn, opt = tnp.CrossEntropyLoss(), tnp.Adam(model.parameters(), lr=2e-3)

        def step(i: int) -> float:
            k = i % nb
            loss = loss_fn(model(x[k * batch : (k + 1) * batch]), y[k * batch : (k + 1) * batch])
            model.backward(loss_fn.backward())
            opt.step()
            return float(loss)

        return step

    factories = {"tinygrad_np": ours}
    if torch_available():
        import torch

        def theirs() -> Step:
            model = fashion_twin(state)
            loss_fn, opt = torch.nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=2e-3)
            xt, yt = torch.from_numpy(x), torch.from_numpy(y)

            def step(i: int) -> float:
                k = i % nb
                opt.zero_grad()
                loss = loss_fn(model(xt[k * batch : (k + 1) * batch]), yt[k * batch : (k + 1) * batch])
                loss.backward()
                opt.step()
                return float(loss.item())

            return step

        factories["PyTorch"] = theirs
    return {name: cpu_timed(name, f) for name, f in factories.items()}
