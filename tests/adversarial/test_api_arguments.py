"""Adversarial arguments to the library's API: every one is a clear error or correct behaviour.

One test per case of issue 12 (and per case that already worked, so it stays working).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from builders import tiny_data, tiny_model, with_changes

import tinygrad_np as tnp
from tinygrad_np.nn.module import Layer
from tinygrad_np.nn.parameter import Parameter

# -- layers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [2.5, True, "4", None, 4.0])
def test_linear_rejects_non_integer_sizes(bad) -> None:
    with pytest.raises(TypeError, match=r"Linear: in_features must be an integer"):
        tnp.Linear(bad, 5)


@pytest.mark.parametrize("bad", [0, -3])
def test_linear_rejects_sizes_below_one(bad) -> None:
    with pytest.raises(ValueError, match=r"Linear: out_features must be >= 1"):
        tnp.Linear(5, bad)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_leaky_relu_rejects_non_finite_slope(bad) -> None:
    with pytest.raises(ValueError, match="LeakyReLU: negative_slope must be a finite number"):
        tnp.LeakyReLU(bad)


@pytest.mark.parametrize("bad", [1.5, -0.1, math.nan])
def test_dropout_rejects_p_outside_0_1(bad) -> None:
    with pytest.raises(ValueError, match="Dropout: p must"):
        tnp.Dropout(bad, rng=0)


# -- load_state_dict ---------------------------------------------------------------------------------


def test_load_state_dict_rejects_complex_values_and_changes_nothing() -> None:
    model = tiny_model()
    before = model.state_dict()
    state = {k: v.astype(np.complex128) + 1j for k, v in before.items()}
    with pytest.raises(TypeError, match=r"'0.weight' must hold real numbers, got dtype complex128"):
        model.load_state_dict(state)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_load_state_dict_rejects_values_too_large_for_float32() -> None:
    model = tiny_model().to(np.float32)
    before = model.state_dict()
    state = {k: np.full(v.shape, 1e300) for k, v in before.items()}
    with pytest.raises(ValueError, match=r"must be finite in float32"):
        model.load_state_dict(state)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


# -- fit ---------------------------------------------------------------------------------------------


def test_fit_rejects_a_float_batch_size() -> None:
    model = tiny_model()
    x, y = tiny_data()
    with pytest.raises(TypeError, match="fit: batch_size must be an integer"):
        tnp.fit(model, tnp.BCELoss(), tnp.SGD(model.parameters(), lr=0.1), x, y, epochs=1, batch_size=2.7)


def test_fit_rejects_complex_labels() -> None:
    model = tiny_model()
    x, y = tiny_data()
    opt = tnp.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="fit: y must hold real numbers, got dtype complex128"):
        tnp.fit(model, tnp.BCELoss(), opt, x, y + 0j, epochs=1, progress="none")


@pytest.mark.parametrize("magnitude", [1e150, 1e200, 1e308, -1e150])
def test_fit_rejects_inputs_so_large_that_x_at_w_overflows(magnitude: float) -> None:
    model = tiny_model()
    before = model.state_dict()
    x, y = tiny_data()
    opt = tnp.SGD(model.parameters(), lr=0.1)
    big = np.sign(x) * magnitude
    shown = f"{abs(magnitude):.3g}".replace("+", r"\+")
    with pytest.raises(ValueError, match=rf"fit: inputs must have magnitudes <= .* got max \|x\| = {shown};"):
        tnp.fit(model, tnp.BCELoss(), opt, big, y, epochs=1, progress="none")
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_fit_checks_validation_inputs_too() -> None:
    model = tiny_model()
    x, y = tiny_data()
    opt = tnp.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="fit: validation_data: inputs must have magnitudes"):
        tnp.fit(model, tnp.BCELoss(), opt, x, y, epochs=1, validation_data=(x * 1e200, y), progress="none")


def test_fit_rejects_non_finite_inputs() -> None:
    model = tiny_model()
    x, y = tiny_data()
    x[0, 0] = np.nan
    with pytest.raises(ValueError, match="fit: inputs must be finite"):
        tnp.fit(model, tnp.BCELoss(), tnp.SGD(model.parameters(), lr=0.1), x, y, epochs=1)


# -- optimiser arguments -----------------------------------------------------------------------------


def params() -> list[Parameter]:
    return tiny_model().parameters()


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: tnp.SGD(params(), lr="0.1"), TypeError, "SGD: lr must be a real number, got 0.1"),
        (lambda: tnp.SGD(params(), lr=-1), ValueError, "SGD: lr must be a finite number in"),
        (lambda: tnp.SGD(params(), lr=math.nan), ValueError, "SGD: lr must be a finite number"),
        (lambda: tnp.SGD(params(), lr=0.1, momentum=math.nan), ValueError, "SGD: momentum must be a finite"),
        (lambda: tnp.SGD(params(), lr=0.1, weight_decay=math.nan), ValueError, "SGD: weight_decay must be"),
        (lambda: tnp.SGD(params(), lr=0.1, momentum="0.9"), TypeError, "SGD: momentum must be a real number"),
        (lambda: tnp.SGD(params(), lr=0.1, dampening=2.0), ValueError, "SGD: dampening must be"),
        (lambda: tnp.SGD(params(), lr=0.1, nesterov=True), ValueError, "SGD: nesterov must come with"),
        (lambda: tnp.Adam(params(), betas=(2, 3)), ValueError, r"Adam: betas\[0\] must be a finite number"),
        (lambda: tnp.Adam(params(), betas=0.9), TypeError, "Adam: betas must be a pair"),
        (lambda: tnp.Adam(params(), eps=math.nan), ValueError, "Adam: eps must be a finite number"),
        (lambda: tnp.AdamW(params(), weight_decay=-1), ValueError, "AdamW: weight_decay must be"),
        (lambda: tnp.SGD([], lr=0.1), ValueError, r"SGD: params must hold at least one Parameter, got an empty parameter list"),
        (lambda: tnp.SGD([np.zeros(3)], lr=0.1), TypeError, "not a Parameter"),
    ],
)
def test_optimizer_constructor_rejects(make, error, match) -> None:
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (math.nan, ValueError), ("0.1", TypeError)])
def test_setting_a_bad_lr_after_construction_raises_and_keeps_the_old_one(bad, error) -> None:
    opt = tnp.SGD(params(), lr=0.1)
    with pytest.raises(error, match="SGD: lr must"):
        opt.lr = bad
    assert opt.lr == 0.1


def test_a_negative_lr_can_never_reach_step() -> None:
    """The original symptom: opt.lr = -1 silently climbed the loss. Now it cannot be set at all."""
    p = Parameter(np.array([1.0]))
    opt = tnp.SGD([p], lr=0.5)
    with pytest.raises(ValueError):
        opt.lr = -1
    p.grad = np.array([1.0])
    opt.step()
    assert p.data[0] == 0.5  # a descent step


def test_schedule_sets_lr_through_the_check() -> None:
    opt = tnp.SGD(params(), lr=0.1)
    sched = tnp.optim.LambdaLR(opt, lambda epoch: 1.0 - epoch)  # negative from epoch 2
    sched.step()
    assert opt.lr == 0.0
    with pytest.raises(ValueError, match=r"LambdaLR: lr_lambda\(2\) must return a finite number in \[0, inf\], got -1"):
        sched.step()  # (issue 18: the schedule names itself; it used to fail as "SGD: lr must ...")
    assert opt.lr == 0.0 and sched.last_epoch == 1
    overflowing = tnp.optim.ExponentialLR(tnp.SGD(params(), lr=0.1), gamma=1e200)
    overflowing.step()
    with pytest.raises(ValueError, match=r"SGD: param_groups\[0\]\['lr'\] must be a finite number"):
        overflowing.step()  # 0.1 * 1e400: what a schedule sets still goes through the optimiser's check


# -- Optimizer.load_state_dict -----------------------------------------------------------------------


def trained_adam() -> tuple[tnp.Adam, dict[str, np.ndarray]]:
    p = Parameter(np.array([1.0, 2.0]))
    opt = tnp.Adam([p], lr=0.1)
    p.grad = np.array([0.5, -0.5])
    opt.step()
    return opt, opt.state_dict()


@pytest.mark.parametrize(
    "changes, error, match",
    [
        ({"hparams__lr": np.array(np.nan)}, ValueError, r"hparams/lr must be a finite number"),
        ({"hparams__lr": np.array(-5.0)}, ValueError, r"hparams/lr must be a finite number in \[0, inf\]"),
        ({"hparams__lr": np.array("0.1")}, TypeError, r"'hparams/lr' must be a real number"),
        ({"hparams__betas": np.array([2.0, 3.0])}, ValueError, r"hparams/betas\[0\] must be"),
        ({"hparams__betas": np.array(0.9)}, TypeError, r"'hparams/betas' must be 2 real numbers"),
        ({"hparams__eps": None}, KeyError, r"hyper-parameters"),
        ({"state__0__exp_avg": np.array("abc")}, TypeError, r"'state/0/exp_avg' must hold real numbers"),
        (
            {"state__0__exp_avg": np.array(1.0)},
            ValueError,
            r"'state/0/exp_avg' must have the parameter's shape",
        ),
        ({"state__0__exp_avg_sq": np.array([-1.0, 1.0])}, ValueError, r"'state/0/exp_avg_sq' must be >= 0"),
        ({"state__0__exp_avg": np.array([np.inf, 1.0])}, ValueError, r"'state/0/exp_avg' must be finite"),
        ({"state__0__step": np.array(-1)}, ValueError, r"'state/0/step' must be an integer >= 0"),
        ({"state__0__step": np.array([1, 2])}, ValueError, r"'state/0/step' must be an integer >= 0"),
        ({"state__0__step": None}, KeyError, r"state/0 must have all of"),
        ({"state__5__exp_avg": np.zeros(2)}, KeyError, r"got 'state/5/exp_avg'"),
        ({"state__x__exp_avg": np.zeros(2)}, KeyError, r"got 'state/x/exp_avg'"),
        ({"state__0__bogus": np.zeros(2)}, KeyError, r"got 'state/0/bogus'"),
        ({"state__0": np.zeros(2)}, KeyError, r"got 'state/0'"),
        ({"n_params": np.array("one")}, ValueError, r"'n_params' must be 1"),
        ({"type": np.array("SGD")}, ValueError, r"'type' must be 'Adam'"),
        ({"extra": np.zeros(1)}, KeyError, r"unexpected keys \['extra'\]"),
    ],
)
def test_optimizer_load_state_dict_checks_everything_first(changes, error, match) -> None:
    _opt, good = trained_adam()
    fresh_p = Parameter(np.array([1.0, 2.0]))
    fresh = tnp.Adam([fresh_p], lr=0.5)
    with pytest.raises(error, match=match):
        fresh.load_state_dict(with_changes(good, **changes))
    assert fresh.state == {} and fresh.lr == 0.5 and fresh.betas == (0.9, 0.999)


def test_optimizer_load_state_dict_round_trip_still_works() -> None:
    _opt, good = trained_adam()
    p = Parameter(np.array([1.0, 2.0]))
    other = tnp.Adam([p], lr=0.5)
    other.load_state_dict(good)
    assert other.lr == 0.1 and int(other.state[p]["step"]) == 1
    p.grad = np.array([0.5, -0.5])
    other.step()  # the loaded state is usable
    assert int(other.state[p]["step"]) == 2


def test_sgd_load_state_dict_rejects_nan_momentum() -> None:
    p = Parameter(np.array([1.0]))
    state = tnp.SGD([p], lr=0.1, momentum=0.9).state_dict()
    state["hparams/momentum"] = np.array(np.nan)
    fresh = tnp.SGD([Parameter(np.array([1.0]))], lr=0.2, momentum=0.5)
    with pytest.raises(ValueError, match="hparams/momentum must be a finite number"):
        fresh.load_state_dict(state)
    assert fresh.momentum == 0.5 and fresh.lr == 0.2


# -- gradcheck ---------------------------------------------------------------------------------------


class Broken(Layer):
    """y = x * w (elementwise), with a backward broken in the way ``mode`` says."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode
        self.weight = Parameter(np.array([1.5, -0.5, 2.0]))

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = x
        return x * self.weight.data

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        x = self._cached()
        dw = np.sum(grad_out * x, axis=0)
        dx = grad_out * self.weight.data
        if self.mode == "nan weight grad":
            dw[0] = np.nan
        elif self.mode == "nan input grad":
            dx[0, 0] = np.nan
        elif self.mode == "doubled":
            dw, dx = 2 * dw, 2 * dx
        elif self.mode == "wrong shape":
            dw = dw[:2]
        self.weight.grad = None if self.mode == "grad None" else dw
        return dx if input_grad else None


X3 = np.random.default_rng(0).standard_normal((4, 3))


def test_gradcheck_passes_a_correct_backward_and_is_truthy() -> None:
    report = tnp.gradcheck(Broken("correct"), X3)
    assert report.ok() and bool(report)
    assert tnp.gradcheck(Broken("correct"), X3)


@pytest.mark.parametrize("mode", ["nan weight grad", "nan input grad", "grad None", "doubled", "wrong shape"])
def test_gradcheck_fails_a_broken_backward(mode: str) -> None:
    report = tnp.gradcheck(Broken(mode), X3)
    assert not report.ok()
    assert not report  # so `assert tnp.gradcheck(...)` fails
    assert report.max_error > 1e-2  # never the old silent 0


def test_gradcheck_names_why_a_tensor_could_not_be_checked() -> None:
    report = tnp.gradcheck(Broken("grad None"), X3)
    assert "None" in report.problems["weight"]
    assert "weight: FAILED" in str(report)


def test_gradcheck_of_a_training_mode_model_with_dropout_uses_a_fixed_mask() -> None:
    rng = np.random.default_rng(3)
    model = tnp.Sequential(
        tnp.Linear(5, 6, rng=rng), tnp.Tanh(), tnp.Dropout(0.5, rng=rng), tnp.Linear(6, 2, rng=rng)
    )
    model.train()
    x = rng.standard_normal((4, 5))
    report = tnp.gradcheck(model, x)
    assert report.ok() and report, str(report)
    assert model.training  # the caller's model is not changed


def test_gradcheck_still_catches_a_wrong_dropout_scale() -> None:
    class BadDropout(tnp.Dropout):
        def backward(self, grad_out, input_grad=True):
            g = super().backward(grad_out, input_grad)
            return None if g is None else g * 0.5

    rng = np.random.default_rng(3)
    model = tnp.Sequential(tnp.Linear(5, 6, rng=rng), BadDropout(0.5, rng=rng), tnp.Linear(6, 2, rng=rng))
    model.train()
    assert not tnp.gradcheck(model, rng.standard_normal((4, 5)))
