"""F.conv2d, F.max_pool2d, F.avg_pool2d, F.batch_norm on Tensors: the layers' formulas called directly,
checked by central differences and (with PyTorch installed) against torch.nn.functional to 1e-10 in
float64; no random generator touched; clear argument errors."""

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


def _generator_states():
    """NumPy's global (legacy) generator and the tnp default generator (``tnp.manual_seed``'s)."""
    legacy = np.random.get_state()[1].copy()  # noqa: NPY002  (the global state is what must not move)
    return legacy, repr(tnp.random.default_generator().bit_generator.state)


def test_functions_touch_no_random_generator(monkeypatch):
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    mean, var = np.zeros(3), np.ones(3)

    def no_new_generator(*args):
        raise AssertionError("a function drew a new random generator")

    monkeypatch.setattr(np.random, "default_rng", no_new_generator)
    before = _generator_states()
    tx = Tensor(x, requires_grad=True)
    out = F.conv2d(tx, Tensor(w, requires_grad=True), b, 2, 1).sum()
    out = out + F.max_pool2d(tx, 2).sum() + F.avg_pool2d(tx, 3, 1).sum()
    out = out + F.batch_norm(tx, mean, var, training=True).sum() + F.batch_norm(x, mean, var).sum()
    out.backward()
    after = _generator_states()
    np.testing.assert_array_equal(after[0], before[0])
    assert after[1] == before[1]


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (3, 3, 4, 5)])
def test_batch_norm_agrees_with_torch(affine, shape):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(4)
    x, w, b = 2 * rng.normal(size=shape) + 1, rng.uniform(0.5, 2, 3), rng.normal(size=3)
    mean, var = rng.normal(size=3), rng.uniform(0.5, 2, 3)
    tmean, tvar = torch.tensor(mean), torch.tensor(var)
    for training, momentum in ((True, 0.1), (True, 0.7), (False, 0.1), (True, 1.0)):
        tx, tw, tb = (Tensor(a, requires_grad=True) for a in (x, w, b))
        px, pw, pb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        args = (tw, tb) if affine else (None, None)
        ours = F.batch_norm(tx, mean, var, *args, training=training, momentum=momentum, eps=1e-3)
        ref = tf.batch_norm(
            px, tmean, tvar, *((pw, pb) if affine else (None, None)), training, momentum, 1e-3
        )
        g = rng.normal(size=shape)
        ours.backward(g)
        ref.backward(torch.tensor(g))
        np.testing.assert_allclose(ours.data, ref.detach().numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(mean, tmean.numpy(), rtol=1e-10, atol=1e-12)  # updated in place, as torch
        np.testing.assert_allclose(var, tvar.numpy(), rtol=1e-10, atol=1e-12)
        for t, p in ((tx, px), *(((tw, pw), (tb, pb)) if affine else ())):
            np.testing.assert_allclose(t.grad, p.grad.numpy(), rtol=1e-10, atol=1e-10)
    ours = F.batch_norm(x, None, None, training=True)  # no running statistics: batch statistics only
    np.testing.assert_allclose(
        ours.data, tf.batch_norm(torch.tensor(x), None, None, training=True).numpy(), rtol=1e-10, atol=1e-10
    )


def test_constant_weights_get_no_gradient_and_match_the_tensor_case():
    rng = np.random.default_rng(5)
    x, w = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(3, 2, 2, 2))
    tx = Tensor(x, requires_grad=True)
    F.conv2d(tx, w).sum().backward()  # an ndarray weight is a constant
    tw = Tensor(w, requires_grad=True)
    tx2 = Tensor(x, requires_grad=True)
    F.conv2d(tx2, tw).sum().backward()
    np.testing.assert_array_equal(tx.grad, tx2.grad)
    assert tw.grad is not None and F.conv2d(x, w).requires_grad is False


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda x: F.conv2d(x, np.zeros((2, 3, 3))),
            ValueError,
            r"conv2d: weight must have shape \(out_channels",
        ),
        (lambda x: F.conv2d(x, np.zeros((2, 3, 3, 3))), ValueError, "conv2d: input must have 3 channels"),
        (lambda x: F.conv2d(x, np.zeros((2, 2, 7, 3))), ValueError, "at least as large as the kernel"),
        (
            lambda x: F.conv2d(x, np.zeros((2, 2, 3, 3), np.float32)),
            TypeError,
            "weight must have the input's dtype",
        ),
        (
            lambda x: F.conv2d(x, np.zeros((2, 2, 3, 3)), np.zeros(3)),
            ValueError,
            r"bias must have shape \(2,\)",
        ),
        (lambda x: F.conv2d(x, np.zeros((2, 2, 3, 3)), stride=0), ValueError, "conv2d: stride"),
        (lambda x: F.conv2d(x, np.zeros((2, 2, 3, 3)), padding=(1, 2, 3)), TypeError, "conv2d: padding"),
        (lambda x: F.conv2d(x.astype(np.int64), np.zeros((2, 2, 3, 3))), TypeError, "floating-point"),
        (lambda x: F.max_pool2d(x[0], 2), ValueError, r"max_pool2d: input must have shape \(batch, channels"),
        (lambda x: F.avg_pool2d(x, 2, stride=(1, 0)), ValueError, "avg_pool2d: stride"),
        (lambda x: F.max_pool2d(x, 6), ValueError, "max_pool2d: input must be at least as large"),
        (
            lambda x: F.batch_norm(x, np.zeros(3), np.ones(2)),
            ValueError,
            r"running_mean must have shape \(2,\)",
        ),
        (lambda x: F.batch_norm(x, None, None), ValueError, "must be given in evaluation mode"),
        (lambda x: F.batch_norm(x, np.zeros(2), None, training=True), ValueError, "both be given"),
        (lambda x: F.batch_norm(x, [0.0, 0.0], [1.0, 1.0]), TypeError, "ndarray or a Tensor"),
        (
            lambda x: F.batch_norm(x[:1, :, :1, :1], None, None, training=True),
            ValueError,
            "more than 1 value",
        ),
        (lambda x: F.batch_norm(x, np.zeros(2), np.ones(2), momentum=1.5), ValueError, "momentum"),
        (lambda x: F.batch_norm(x, np.zeros(2), np.ones(2), np.ones(2, np.float32)), TypeError, "weight"),
    ],
)
def test_argument_errors_are_clear(call, error, match):
    with pytest.raises(error, match=match):
        call(np.zeros((2, 2, 5, 5)))
