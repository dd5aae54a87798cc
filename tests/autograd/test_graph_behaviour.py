"""The engine's contract: idempotent backward, no_grad, deep chains, freed graphs, clear errors."""

from __future__ import annotations

import gc
import shutil
import weakref

import numpy as np
import pytest

import tinygrad_np as tnp
from tinygrad_np import Tensor


def test_backward_overwrites_grad_so_it_is_idempotent() -> None:
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    out = (a * a + a).sum()  # a used three times: summed
    out.backward()
    np.testing.assert_array_equal(a.grad, 2 * a.data + 1)
    out.backward()
    np.testing.assert_array_equal(a.grad, 2 * a.data + 1)


def test_intermediates_keep_no_grad_unless_retained() -> None:
    a = Tensor(np.ones(3), requires_grad=True)
    h, k = a * 2, (a * 3).retain_grad()
    (h * k).sum().backward()
    assert h.grad is None
    np.testing.assert_array_equal(k.grad, h.data)


def test_grads_of_two_leaves_are_distinct_writable_arrays() -> None:
    a, b = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad and a.grad.flags.writeable and b.grad.flags.writeable


def test_no_grad_records_nothing_and_works_as_a_decorator() -> None:
    lin = tnp.Linear(2, 2, rng=np.random.default_rng(0))
    a = Tensor(np.ones((1, 2)), requires_grad=True)
    with tnp.no_grad():
        out = (lin(a) * a).sum()
    assert not out.requires_grad and out._ctx is None and lin._cache is None

    @tnp.no_grad()
    def f(t: Tensor) -> Tensor:
        return t * 2

    assert f(a)._ctx is None and (a * 2)._ctx is not None


def test_a_chain_of_100000_ops_backpropagates_without_recursion() -> None:
    a = Tensor(np.array(1.0), requires_grad=True)
    h = a
    for _ in range(100_000):
        h = h * 1.0
    h.backward()
    assert a.grad == 1.0
    del h  # freeing the chain must not recurse either
    gc.collect()


def test_the_graph_is_freed_when_the_output_is_dropped() -> None:
    lin = tnp.Linear(3, 3, rng=np.random.default_rng(0))
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    out = lin((a * 2).tanh()).sum()
    nodes = [weakref.ref(out._ctx), weakref.ref(out._ctx.inputs[0]._ctx)]
    out.backward()
    del out
    assert all(r() is None for r in nodes)  # freed by reference counting alone, no cycles


def test_errors_are_clear() -> None:
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad must be given for a tensor of shape \(2, 3\)"):
        (a * 2).backward()
    with pytest.raises(TypeError, match="Tensor: data with requires_grad=True must be floating-point"):
        Tensor(np.arange(3), requires_grad=True)
    assert Tensor([1, 2], requires_grad=True).dtype == np.float64  # Python ints are converted
    assert Tensor([1, 2]).dtype.kind == "i"
    with pytest.raises(ValueError, match=r"Add: the operands' shapes must broadcast together, got \(2, 3\) and \(4,\)"):
        a + np.ones(4)
    with pytest.raises(ValueError, match=r"MatMul: the operands' shapes must agree .*\(2, 3\) and \(2, 3\)"):
        a @ a
    with pytest.raises(RuntimeError, match="must require grad"):
        Tensor(np.ones(1)).backward()
    with pytest.raises(ValueError, match="Linear.*input must have shape"):
        tnp.Linear(4, 2)(a)


def test_ndarray_and_numbers_on_either_side() -> None:
    v = np.array([0.5, 2.0])
    m = np.arange(6.0).reshape(3, 2)
    cases = [  # (expression of a, its value at v, d(sum of it)/da at v)
        (lambda a: np.ones(2) + a, 1 + v, np.ones(2)),
        (lambda a: 2 - a, 2 - v, -np.ones(2)),
        (lambda a: np.full(2, 3.0) * a, 3 * v, np.full(2, 3.0)),
        (lambda a: 1 / (a + 1), 1 / (v + 1), -1 / (v + 1) ** 2),
        (lambda a: m @ a, m @ v, m.sum(axis=0)),
        (lambda a: sum([a, a]), 2 * v, np.full(2, 2.0)),
    ]
    for f, value, grad in cases:
        a = Tensor(v.copy(), requires_grad=True)
        out = f(a)
        assert isinstance(out, Tensor) and out.requires_grad
        np.testing.assert_allclose(out.data, value, rtol=1e-15)
        out.sum().backward()
        np.testing.assert_allclose(a.grad, grad, rtol=1e-15)


def test_draw_graph_gives_dot_text_and_renders_or_says_how_to_install(tmp_path) -> None:
    rng = np.random.default_rng(0)
    model = tnp.Sequential(tnp.Linear(3, 2, rng=rng), tnp.ReLU(), tnp.Linear(2, 1, rng=rng))
    dot = tnp.draw_graph(model(Tensor(np.ones((4, 3)))).sum(), model=model)
    assert dot.startswith("digraph") and '"0.weight\\n2×3"' in dot and '"Linear\\n4×1"' in dot
    assert '"input\\n4×3"' in dot and dot.count("->") == 8
    if shutil.which("dot"):
        tnp.draw_graph(model(Tensor(np.ones((4, 3)))), tmp_path / "g.svg")
        assert (tmp_path / "g.svg").read_text().lstrip().startswith("<?xml")
    else:
        with pytest.raises(RuntimeError, match="apt-get install graphviz"):
            tnp.draw_graph(model(Tensor(np.ones((4, 3)))), tmp_path / "g.svg")
