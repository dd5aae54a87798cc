"""F.conv2d, F.max_pool2d, F.avg_pool2d on Tensors: the layers' math, checked by central differences
and (with PyTorch installed) against torch.nn.functional to 1e-10 in float64."""

import numpy as np
import pytest

import tinygrad_np as tnp
import tinygrad_np.functional as F
from tinygrad_np import Tensor


@pytest.mark.parametrize(("stride", "padding", "bias"), [(1, 0, True), (2, 1, True), (1, (1, 0), False)])
def test_conv2d_gradients_match_central_differences(stride, padding, bias):
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    inputs = (x, w, b) if bias else (x, w)
    report = tnp.gradcheck(lambda x, w, b=None: F.conv2d(x, w, b, stride, padding), inputs=inputs)
    assert set(report.errors) == {"input0", "input1", *(("input2",) if bias else ())}, str(report)
    assert not report.problems and report.max_error < 1e-7, str(report)


@pytest.mark.parametrize("op", [F.max_pool2d, F.avg_pool2d])
def test_pooling_gradients_match_central_differences(op):
    rng = np.random.default_rng(1)
    x = rng.permutation(2 * 2 * 4 * 4).reshape(2, 2, 4, 4) / 7.0  # distinct values: no max ties
    report = tnp.gradcheck(lambda t: op(t, 2), x)
    assert not report.problems and report.abs_errors["input"] < 1e-8, str(report)  # atol 1e-8, as before


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
