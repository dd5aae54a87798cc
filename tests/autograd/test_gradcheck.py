"""tnp.gradcheck of a function of Tensors (PyTorch's form): call forms, what is checked, failures it must
catch (a wrong backward, a None gradient), fixed random draws, and that the caller's state is untouched.
The Layer / Module / Loss forms are tested in tests/nn/test_gradients.py and tests/adversarial."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tnp
from tinygrad_np import Function, Tensor, gradcheck
from tinygrad_np.random import default_generator, manual_seed

RNG = np.random.default_rng(0)
A, B = RNG.standard_normal((3, 4)), RNG.standard_normal(4)


class WrongSquare(Function):
    """y = x**2 with a deliberately wrong derivative 3x (instead of 2x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (3 * x * g,)


class ForgetsB(Function):
    """y = a * b whose backward returns no gradient for b although b needs one."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        _, b = ctx.saved_tensors
        return g * b, None


class RightSquare(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (2 * x * g,)


def test_the_three_call_forms_give_the_same_report() -> None:
    def fn(a, b):
        return (a * b).tanh()

    reports = [gradcheck(fn, A, B), gradcheck(fn, (A, B)), gradcheck(fn, inputs=(A, B))]
    for r in reports:
        assert r and r.ok(1e-8), str(r)
        assert set(r.errors) == {"input0", "input1"}
    assert reports[0].errors == reports[1].errors == reports[2].errors
    assert set(gradcheck(lambda a: a.exp().sum(), A).errors) == {"input"}  # one input: "input"
    assert gradcheck(lambda a: a.exp().sum(), inputs=A)  # a single input without a tuple, as in PyTorch


def test_objective_is_a_scalar_output_itself_and_sum_out_r_otherwise() -> None:
    assert gradcheck(lambda a: (a * a).sum(), A).value == pytest.approx(np.sum(A * A), rel=1e-14)
    r = np.random.default_rng(5).standard_normal((3, 4))
    assert gradcheck(lambda a: a * a, A, seed=5).value == pytest.approx(np.sum(A * A * r), rel=1e-14)


def test_a_tuple_of_outputs_is_checked_through_every_output() -> None:
    report = gradcheck(lambda a, b: (a @ b, (a * a).sum()), A, B)
    assert report.ok(1e-8), str(report)
    # b reaches only the first output, a both: a wrong derivative in the second one is caught
    assert not gradcheck(lambda a, b: (a @ b, WrongSquare.apply(a).sum()), A, B)


def test_a_wrong_backward_is_caught() -> None:
    assert gradcheck(lambda x: RightSquare.apply(x), A).ok(1e-8)
    report = gradcheck(lambda x: WrongSquare.apply(x), A)
    assert not report and not report.ok()
    assert report.errors["input"] == pytest.approx(0.2, rel=1e-6)  # |3x - 2x| / (|3x| + |2x|) = 1/5
    assert not report.problems  # a wrong value, not a missing one


def test_a_none_gradient_is_a_failure_with_its_reason() -> None:
    report = gradcheck(lambda a, b: ForgetsB.apply(a, b), A, A + 1)
    assert not report
    assert report.errors["input0"] < 1e-8 and report.errors["input1"] == float("inf")
    assert "None" in report.problems["input1"] and "input0" not in report.problems
    assert "input1: FAILED" in str(report)


def test_an_input_the_output_does_not_depend_on_has_no_gradient_and_fails() -> None:
    report = gradcheck(lambda a, b: a.sum(), A, B)
    assert not report and "None" in report.problems["input1"]


def test_constants_pass_through_unchecked_and_unchanged() -> None:
    idx = np.array([2, 0])
    fixed = Tensor(B)  # requires_grad=False: a constant, as in PyTorch
    seen = []

    def fn(a, i, t, scale):
        seen.append((type(i), type(t), scale))
        return (a[i] * t * scale).sum()

    report = gradcheck(fn, A, idx, fixed, 2.5)
    assert report and set(report.errors) == {"input"}
    assert seen[0] == (np.ndarray, Tensor, 2.5)
    assert gradcheck(lambda a, b: (a * b).sum(), A, Tensor(B, requires_grad=True)).errors.keys() == {
        "input0",
        "input1",
    }


def test_inputs_are_float64_copies_and_the_callers_arrays_are_not_touched() -> None:
    a32 = A.astype(np.float32)
    before = a32.copy()
    dtypes = []

    def fn(a):
        dtypes.append(a.dtype)
        return (a * a).sum()

    assert gradcheck(fn, a32)
    assert set(dtypes) == {np.dtype(np.float64)}
    np.testing.assert_array_equal(a32, before)
    t = Tensor(A.copy(), requires_grad=True)
    gradcheck(lambda a: (a * a).sum(), t)
    assert t.grad is None  # the check ran on a copy


def test_parameters_the_function_closes_over_keep_their_grad() -> None:
    lin = tnp.Linear(4, 2, rng=np.random.default_rng(1))
    lin.weight.grad = np.full((2, 4), 7.0)
    assert gradcheck(lambda x: lin(x).tanh(), A)
    np.testing.assert_array_equal(lin.weight.grad, np.full((2, 4), 7.0))
    assert lin.bias.grad is None


def _default_state():
    return default_generator().bit_generator.state


def test_dropout_from_the_shared_generator_has_a_fixed_mask_in_a_function() -> None:
    manual_seed(0)
    drop = tnp.Dropout(0.5)  # no rng: tnp.manual_seed's shared generator
    before = _default_state()
    report = gradcheck(lambda x: drop(x.tanh()) * 3.0, A)
    assert report.ok(1e-8), str(report)
    assert _default_state() == before  # the caller's stream is left where it was


def test_dropout_layers_built_without_rng_have_a_fixed_mask_in_a_model() -> None:
    manual_seed(1)
    model = tnp.Sequential(tnp.Linear(4, 6), tnp.Tanh(), tnp.Dropout(0.5), tnp.Linear(6, 2), tnp.Dropout(0.3))
    model.train()
    before = _default_state()
    report = gradcheck(model, A)
    assert report.ok(1e-8), str(report)
    assert _default_state() == before


class DropoutNet(tnp.Module):
    """A graph Module (forward written with Tensors) with a Dropout drawing from the shared generator."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = tnp.Linear(4, 3)
        self.drop = tnp.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.fc(x).tanh()) + x.sum()


def test_a_graph_module_with_dropout_has_a_fixed_mask() -> None:
    manual_seed(2)
    report = gradcheck(DropoutNet().train(), A)
    assert report.ok(1e-8), str(report)


def test_a_module_used_inside_a_function_checks_only_the_inputs() -> None:
    net = DropoutNet().eval()
    report = gradcheck(lambda x: net(x), A)
    assert set(report.errors) == {"input"} and report.ok(1e-8)


def test_the_old_module_forms_by_keyword() -> None:
    model = tnp.Sequential(tnp.Linear(4, 1, rng=np.random.default_rng(3)), tnp.Sigmoid())
    y = np.array([0.0, 1.0, 1.0])
    assert gradcheck(model, A, target=y, loss_fn=tnp.BCELoss()).ok(1e-8)
    assert (
        gradcheck(model, A, y, tnp.BCELoss()).errors == gradcheck(model, A, y, loss_fn=tnp.BCELoss()).errors
    )
    assert gradcheck(tnp.BCELoss(), np.array([0.2, 0.7, 0.9]), target=y)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: gradcheck(lambda a: a.data, A), TypeError, "fn must return a Tensor or a tuple of Tensors"),
        (lambda: gradcheck(lambda a: a, np.arange(3)), ValueError, "inputs must include a floating-point"),
        (lambda: gradcheck(lambda a: a, Tensor(A)), ValueError, "inputs must include a floating-point"),
        (
            lambda: gradcheck(lambda a: a[a.data > 0], np.array([0.0, 1.0, 2.0])),
            ValueError,
            r"fn's output must keep its shape \(2,\)",
        ),
        (lambda: gradcheck(lambda a: a, A, inputs=(A,)), TypeError, "inputs must be given once"),
        (lambda: gradcheck(lambda a: a, A, target=B), TypeError, "target and loss_fn must be used only"),
        (lambda: gradcheck(tnp.Tanh(), inputs=(A,)), TypeError, "inputs= must be used only with a function"),
        (lambda: gradcheck(tnp.Tanh(), A, B), ValueError, "target and loss_fn must be given together"),
        (lambda: gradcheck(tnp.Tanh(), A, B, "mse"), TypeError, "loss_fn must be a Loss"),
        (lambda: gradcheck(tnp.Tanh(), A, B, target=B), TypeError, "target must be given once"),
        (
            lambda: gradcheck(tnp.Tanh(), A, B, tnp.MSELoss(), 1),
            TypeError,
            "the arguments after a module must be x, target, loss_fn",
        ),
        (lambda: gradcheck(tnp.MSELoss(), A), ValueError, "target must be given to check a loss"),
        (lambda: gradcheck(3, A), TypeError, "fn must be a function of Tensors, a Module"),
    ],
)
def test_misuse_reads_as_one_error_line(call, error, match) -> None:
    with pytest.raises(error, match=f"^gradcheck: {match}"):
        call()
