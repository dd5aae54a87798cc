"""F.conv2d, F.max_pool2d, F.avg_pool2d on Tensors: the layers' math, checked by central differences
and (with PyTorch installed) against torch.nn.functional to 1e-10 in float64."""

import numpy as np
import pytest

import tinygrad_np.functional as F
from tinygrad_np import Tensor


def _numeric(f, a, eps=1e-6):
    g = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        old = a[i]
        a[i] = old + eps
        hi = f()
        a[i] = old - eps
        lo = f()
        a[i] = old
        g[i] = (hi - lo) / (2 * eps)
    return g


@pytest.mark.parametrize(("stride", "padding", "bias"), [(1, 0, True), (2, 1, True), (1, (1, 0), False)])
def test_conv2d_gradients_match_central_differences(stride, padding, bias):
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    r = rng.normal(size=F.conv2d(Tensor(x), Tensor(w), Tensor(b) if bias else None, stride, padding).shape)

    def f():
        return float((F.conv2d(Tensor(x), Tensor(w), Tensor(b) if bias else None, stride, padding).data * r).sum())

    tx, tw, tb = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)
    (F.conv2d(tx, tw, tb if bias else None, stride, padding) * r).sum().backward()
    for t, a in ((tx, x), (tw, w), *(((tb, b),) if bias else ())):
        num = _numeric(f, a)
        assert np.linalg.norm(t.grad - num) / (np.linalg.norm(t.grad) + np.linalg.norm(num)) < 1e-7


@pytest.mark.parametrize("op", [F.max_pool2d, F.avg_pool2d])
def test_pooling_gradients_match_central_differences(op):
    rng = np.random.default_rng(1)
    x = rng.permutation(2 * 2 * 4 * 4).reshape(2, 2, 4, 4) / 7.0  # distinct values: no max ties
    r = rng.normal(size=(2, 2, 2, 2))
    tx = Tensor(x, requires_grad=True)
    (op(tx, 2) * r).sum().backward()
    num = _numeric(lambda: float((op(Tensor(x), 2).data * r).sum()), x)
    np.testing.assert_allclose(tx.grad, num, atol=1e-8)


def test_agree_with_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    tx, tw, tb = (Tensor(a, requires_grad=True) for a in (x, w, b))
    ours = F.max_pool2d(F.conv2d(tx, tw, tb, 1, 1).relu(), 2) + F.avg_pool2d(F.conv2d(tx, tw, None, 1, 1), 2)
    ours.sum().backward()
    px, pw, pb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ref = tf.max_pool2d(tf.conv2d(px, pw, pb, 1, 1).relu(), 2) + tf.avg_pool2d(tf.conv2d(px, pw, None, 1, 1), 2)
    ref.sum().backward()
    np.testing.assert_allclose(ours.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    for t, p in ((tx, px), (tw, pw), (tb, pb)):
        np.testing.assert_allclose(t.grad, p.grad.numpy(), rtol=1e-10, atol=1e-12)
