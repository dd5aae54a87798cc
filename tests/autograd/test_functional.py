"""F.* (tinygrad_np.functional) against torch.nn.functional in float64 (values and gradients to 1e-10),
its target checks (the Loss classes' own), stability at ±1000, F.dropout's generator, and graph mode
against the Layer protocol of Softmax, LogSoftmax and CrossEntropyLoss (bit for bit)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import tinygrad_np as tnp
import tinygrad_np.functional as F
from tinygrad_np import Tensor
from tinygrad_np.random import manual_seed

torch = pytest.importorskip("torch")
TF = torch.nn.functional
TOL = dict(rtol=1e-10, atol=1e-12)


def compare(ours: Callable, theirs: Callable, *arrays: np.ndarray, seed: int = 0) -> None:
    """Run both on the same float64 inputs (all requiring grad), weight the output by a random g,
    backpropagate, and compare the outputs and every input's gradient."""
    mine = [Tensor(a, requires_grad=True) for a in arrays]
    ref = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, yt = ours(*mine), theirs(*ref)
    assert y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), **TOL)
    g = np.random.default_rng(seed).standard_normal(y.shape)
    (y * g).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    for a, b in zip(mine, ref, strict=True):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), **TOL)


RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5)) * 3

ELEMENTWISE = {
    "relu": (F.relu, TF.relu),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda x: TF.leaky_relu(x, 0.1)),
    "sigmoid": (F.sigmoid, torch.sigmoid),
    "tanh": (F.tanh, torch.tanh),
    "softplus": (F.softplus, TF.softplus),
    "dropout eval": (lambda x: F.dropout(x, 0.3, training=False), lambda x: TF.dropout(x, 0.3, False)),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_match_torch(name: str) -> None:
    compare(*ELEMENTWISE[name], X)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
@pytest.mark.parametrize("scale", [1.0, 300.0])
def test_softmax_and_log_softmax_match_torch_along_each_dim(dim: int, scale: float) -> None:
    x = scale * X
    compare(lambda a: F.softmax(a, dim), lambda a: TF.softmax(a, dim), x)
    compare(lambda a: F.log_softmax(a, dim=dim), lambda a: TF.log_softmax(a, dim=dim), x)
    compare(lambda a: F.softmax(a, axis=dim), lambda a: TF.softmax(a, dim), x)  # axis: an alias


def test_softmax_default_is_the_last_dim_and_dim_is_checked() -> None:
    np.testing.assert_array_equal(F.softmax(X).data, F.softmax(X, -1).data)
    np.testing.assert_array_equal(F.log_softmax(X).data, F.log_softmax(X, dim=2).data)
    with pytest.raises(
        ValueError, match=r"dim must be in \[-3, 2\] for an input of shape \(3, 4, 5\), got 3"
    ):
        F.softmax(X, 3)
    with pytest.raises(TypeError, match="dim must be an integer"):
        F.log_softmax(X, 1.0)
    with pytest.raises(TypeError, match="given once"):
        F.softmax(X, dim=0, axis=1)
    assert F.softmax(np.zeros((2, 0)), dim=1).shape == (2, 0)  # an empty dimension, as torch
    assert F.log_softmax(np.zeros((2, 0)), dim=1).shape == (2, 0)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(bias: bool) -> None:
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5)
    if bias:
        compare(F.linear, TF.linear, x, w, b)
    else:
        compare(F.linear, TF.linear, x, w)
    y = F.linear(Tensor(x, requires_grad=True), w)  # an ndarray weight is a constant
    np.testing.assert_allclose(y.data, x @ w.T, **TOL)
    with pytest.raises(ValueError, match=r"linear: input must have shape \(\*, 4\)"):
        F.linear(np.zeros((2, 3)), w)
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(5,\)"):
        F.linear(x, w, np.zeros(4))
    with pytest.raises(ValueError, match="linear: weight must have shape"):
        F.linear(x, np.zeros(4))


PROBS = RNG.uniform(0.02, 0.98, (6, 1))
LABELS = RNG.integers(0, 2, (6, 1)).astype(float)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_binary_losses_and_mse_match_torch(reduction: str) -> None:
    y = torch.tensor(LABELS)
    compare(lambda p: F.binary_cross_entropy(p, LABELS, reduction), lambda p: TF.binary_cross_entropy(p, y, reduction=reduction), PROBS)  # fmt: skip
    z = 4 * RNG.standard_normal((6, 1))
    compare(lambda a: F.binary_cross_entropy_with_logits(a, LABELS.ravel(), reduction),  # (N,) for (N, 1): as the Loss
            lambda a: TF.binary_cross_entropy_with_logits(a, y, reduction=reduction), z)  # fmt: skip
    target = RNG.standard_normal((6, 3))
    compare(lambda p: F.mse_loss(p, target, reduction), lambda p: TF.mse_loss(p, torch.tensor(target), reduction=reduction), z * target)  # fmt: skip
    # on F.sigmoid's output the fused formula is recorded: the same value and logit gradient as torch's chain
    compare(lambda a: F.binary_cross_entropy(F.sigmoid(a), LABELS, reduction),
            lambda a: TF.binary_cross_entropy(torch.sigmoid(a), y, reduction=reduction), z)  # fmt: skip


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("ignore", [None, -100, 2])
@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_cross_entropy_matches_torch(
    reduction: str, smoothing: float, ignore: int | None, scale: float
) -> None:
    rng = np.random.default_rng(2)
    z = scale * rng.standard_normal((7, 4))
    t = rng.integers(0, 4, 7)
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    if ignore is not None:
        t[[1, 4]] = ignore
        kw["ignore_index"] = ignore
    tt = torch.tensor(t)
    compare(lambda a: F.cross_entropy(a, t, **kw), lambda a: TF.cross_entropy(a, tt, **kw), z)
    if reduction == "none" and ignore is not None:
        assert np.all(F.cross_entropy(z, t, **kw).data[[1, 4]] == 0)  # ignored rows: 0


def test_cross_entropy_when_no_row_counts_is_nan_with_zero_gradient() -> None:
    for smoothing in (0.0, 0.1):
        z = Tensor(np.zeros((2, 3)), requires_grad=True)
        loss = F.cross_entropy(z, np.array([-100, -100]), label_smoothing=smoothing)
        assert np.isnan(float(loss))
        loss.backward()
        np.testing.assert_array_equal(z.grad, 0)
        np.testing.assert_array_equal(F.cross_entropy(z, np.array([-100, -100]), "none").data, [0, 0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype) -> None:
    z = Tensor(X[0].astype(dtype), requires_grad=True)
    for reduction in ("mean", "sum", "none"):
        loss = F.cross_entropy(z, np.array([0, 1, 2, 3]), reduction, label_smoothing=0.1)
        loss.sum().backward()
        assert loss.dtype == dtype and z.grad.dtype == dtype
    for f in (F.softmax, F.log_softmax, F.relu, F.sigmoid, lambda a: F.dropout(a, rng=0)):
        y = f(z)
        y.sum().backward()
        assert y.dtype == dtype and z.grad.dtype == dtype


def test_stable_at_1000_without_a_floating_point_warning() -> None:
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, -1000.0]])
    # every floating-point error raises, except underflow: exp(-2000) rounding to 0 is the right answer
    # (the project's rule, as tests/nn/test_layers.py's FLOAT_ERRORS)
    with np.errstate(all="raise", under="ignore"):
        for f in (F.softmax, F.log_softmax, F.sigmoid, F.softplus, F.tanh,
                  lambda a: F.binary_cross_entropy_with_logits(a, np.ones_like(z)),
                  lambda a: F.binary_cross_entropy(F.sigmoid(a), np.zeros_like(z)),
                  *(lambda a, r=r: F.cross_entropy(a, np.array([1, 0, 2]), r, label_smoothing=0.1)
                    for r in ("mean", "sum", "none"))):  # fmt: skip
            zt = Tensor(z, requires_grad=True)
            y = f(zt)
            y.sum().backward()
            assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(zt.grad))
        np.testing.assert_array_equal(F.softmax(z, 1).data[0], [1, 0, 0])
        loss = F.cross_entropy(z, np.array([1, 0, 2]))
    assert float(loss) == pytest.approx((2000 + np.log(3) + 2000 + np.log(2)) / 3)


# -- targets are checked by the Loss classes' code: the same errors ----------------------------------
def _error(f: Callable[[], object]) -> tuple[type, str]:
    with pytest.raises((ValueError, TypeError)) as info:
        f()
    return info.type, str(info.value)


BAD_TARGETS = [  # (predictions, targets, part of the message, does MSELoss check it?)
    ([0.9, 0.5], [2.0, 0.0], "targets must lie in [0, 1], got 2.0", False),
    ([0.9, 0.5], [np.nan, 0.0], "targets must lie in [0, 1], got nan", False),
    ([[0.9, 0.5, 0.1], [0.2, 0.3, 0.4]], np.zeros((3, 2)), "targets must have shape (2, 3) to match", True),
    ([0.9, 0.5], ["a", "b"], "targets must hold real numbers", True),
    ([1, 0], [1.0, 0.0], "predictions must be a floating-point array", True),
]
LOSSES = [
    (F.binary_cross_entropy, tnp.BCELoss, True),
    (F.binary_cross_entropy_with_logits, tnp.BCEWithLogitsLoss, True),
    (F.mse_loss, tnp.MSELoss, False),
]


@pytest.mark.parametrize("pred, target, message, for_mse", BAD_TARGETS)
@pytest.mark.parametrize("functional, loss, binary", LOSSES)
def test_functional_losses_reject_targets_as_the_loss_classes(
    functional, loss, binary, pred, target, message, for_mse
) -> None:
    if not (binary or for_mse):  # MSE takes any real target
        functional(Tensor(pred), target)
        return
    theirs = _error(lambda: loss()(np.asarray(pred), np.asarray(target)))
    assert theirs[1].startswith(f"{loss.__name__}: ") and message in theirs[1]
    assert _error(lambda: functional(Tensor(pred), target)) == theirs  # same type, same message
    if np.asarray(target).dtype.kind not in "biuf":  # no Tensor holds strings: Tensor(target) says so
        kind, msg = _error(lambda: Tensor(target))
        assert kind is TypeError and msg.startswith("Tensor: data must hold numbers")
        return
    assert _error(lambda: functional(np.asarray(pred), Tensor(target))) == theirs


def test_bce_rejects_probabilities_outside_0_1_and_a_bad_reduction() -> None:
    with pytest.raises(
        ValueError, match=r"BCELoss: predictions \(probabilities\) must lie in \[0, 1\], got 1.5"
    ):
        F.binary_cross_entropy(Tensor([1.5, 0.5]), [1.0, 0.0])
    with pytest.raises(ValueError, match="MSELoss: reduction must be 'mean' or 'sum', got none"):
        F.mse_loss(Tensor([1.5, 0.5]), [1.0, 0.0], reduction="none")
    with pytest.raises(ValueError, match="cross_entropy: reduction must be 'mean', 'sum' or 'none', got avg"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), [0, 1], reduction="avg")
    with pytest.raises(
        ValueError, match=r"reduction must be 'mean' or 'sum', got none; for per-sample.*F\.cross"
    ):
        tnp.CrossEntropyLoss(reduction="none")


@pytest.mark.parametrize(
    "z, t, kw",
    [
        (np.zeros((2, 3)), np.array([0, 3]), {}),
        (np.zeros((2, 3)), np.array([0, -1]), {}),
        (np.zeros((2, 3)), np.array([0, 7]), {"ignore_index": 7, "label_smoothing": 2.0}),
        (np.zeros((2, 3)), np.array([0, 1]), {"ignore_index": 1.0}),
        (np.zeros((2, 3)), np.array([0.0, 1.0]), {}),
        (np.zeros((2, 3)), np.array([[0], [1]]), {}),
        (np.zeros((2, 3)), np.array([0, 1, 2]), {}),
        (np.zeros(3), np.array([0]), {}),
        (np.zeros((2, 3), np.int64), np.array([0, 1]), {}),
    ],
)
def test_cross_entropy_rejects_targets_as_the_loss_class(z, t, kw) -> None:
    theirs = _error(lambda: tnp.CrossEntropyLoss(**kw)(z, t))
    assert _error(lambda: F.cross_entropy(Tensor(z), t, **kw)) == theirs
    assert _error(lambda: F.cross_entropy(z, Tensor(t), "none", **kw)) == theirs
    assert theirs[1].startswith("CrossEntropyLoss: ")


# -- dropout -----------------------------------------------------------------------------------------
def test_dropout_is_the_layers_mask_and_reproducible() -> None:
    x = np.ones((50, 40))
    a = F.dropout(x, 0.3, rng=np.random.default_rng(4)).data
    layer = tnp.Dropout(0.3, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(a, layer(x))  # one mask formula, one generator rule
    np.testing.assert_array_equal(F.dropout(x, 0.3, rng=4).data, F.dropout(x, 0.3, rng=4).data)
    assert set(np.unique(a)) == {0.0, 1 / 0.7} and 0.6 < np.mean(a > 0) < 0.8
    manual_seed(11)
    b = F.dropout(x, 0.3).data
    manual_seed(11)
    np.testing.assert_array_equal(b, F.dropout(x, 0.3).data)
    assert not np.array_equal(F.dropout(x, 0.3).data, b)  # the stream moves on
    xt = Tensor(x, requires_grad=True)
    y = F.dropout(xt, 0.5, rng=1)
    (3 * y).sum().backward()
    np.testing.assert_array_equal(xt.grad, 3 * y.data)  # g * mask, and x = 1


def test_dropout_without_training_or_with_p_0_is_the_identity_and_p_1_zeros() -> None:
    xt = Tensor(X, requires_grad=True)
    for y in (F.dropout(xt, 0.9, training=False), F.dropout(xt, 0.0)):
        np.testing.assert_array_equal(y.data, X)
        y.sum().backward()
        np.testing.assert_array_equal(xt.grad, np.ones_like(X))
    np.testing.assert_array_equal(F.dropout(X, 1.0).data, 0)
    with pytest.raises(ValueError, match="dropout: p must be"):
        F.dropout(X, 1.5)
    with pytest.raises(TypeError, match="dropout: input must be a floating-point array"):
        F.dropout(np.arange(3), 0.5)


# -- graph mode and the Layer protocol run the same formula: the same bits --------------------------
@pytest.mark.parametrize("layer", [tnp.Softmax(1), tnp.LogSoftmax(0), tnp.LogSoftmax(-1)])
def test_softmax_layers_agree_in_both_modes_bit_for_bit(layer) -> None:
    x = 200 * X
    g = np.random.default_rng(5).standard_normal(x.shape)
    y = layer(x)
    dx = layer.backward(g)
    xt = Tensor(x, requires_grad=True)
    yt = layer(xt)
    yt.backward(g)
    np.testing.assert_array_equal(yt.data, y)
    np.testing.assert_array_equal(xt.grad, dx)
    f = F.softmax if isinstance(layer, tnp.Softmax) else F.log_softmax
    np.testing.assert_array_equal(f(x, layer.dim).data, y)


@pytest.mark.parametrize("kw", [{}, {"reduction": "sum", "label_smoothing": 0.3}, {"ignore_index": 1}])
def test_cross_entropy_loss_agrees_in_both_modes_and_with_F_bit_for_bit(kw) -> None:
    rng = np.random.default_rng(6)
    z, t = 50 * rng.standard_normal((9, 4)), rng.integers(0, 4, 9)
    loss = tnp.CrossEntropyLoss(**kw)
    value, grad = loss(z, t), loss.backward()
    for make in (lambda a: loss(a, t), lambda a: F.cross_entropy(a, t, **kw)):
        zt = Tensor(z, requires_grad=True)
        out = make(zt)
        out.backward()
        assert out.shape == () and float(out) == value
        np.testing.assert_array_equal(zt.grad, grad)
    assert isinstance(value, float)
