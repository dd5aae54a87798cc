"""Issue 18, second round, the autograd part: an in-place update between forward and backward (the
version counter), the stale layer cache, the functional losses' targets, the Tensor API's errors, and
state dicts checked on load (BatchNorm's buffers, a state that is not a mapping).

Each case failed (silently or with an unclear error) on main at 3b8539c, or already worked there and
is kept here so that it stays working (said in its docstring).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from builders import tiny_data, tiny_model

import tinygrad_np as tnp
import tinygrad_np.functional as F
from tinygrad_np import Tensor
from tinygrad_np.nn.builders import initialize
from tinygrad_np.nn.parameter import Parameter

MODIFIED = r"modified in place after {op} used it \(version {v}, expected {e}\)"


def modified(op: str, v: int = 1, e: int = 0) -> str:
    return MODIFIED.format(op=op, v=v, e=e)


# -- §4 an in-place update between forward and backward: the version counter ---------------------------


def test_optimizer_step_between_forward_and_backward_is_an_error() -> None:
    p = Parameter(np.array([1.0, 2.0, 3.0]))
    opt = tnp.SGD([p], lr=0.1)
    p.grad = np.ones(3)  # the step below changes p
    loss = (p * p).sum()
    opt.step()
    with pytest.raises(RuntimeError, match=modified("Mul")) as e:
        loss.backward()
    assert "shape (3,)" in str(e.value) and "float64" in str(e.value) and "Parameter" in str(e.value)


@pytest.mark.parametrize("make", [tnp.SGD, tnp.Adam, tnp.AdamW])
def test_every_optimizer_counts_its_update(make) -> None:
    p = Parameter(np.array([1.0, 2.0]))
    p.grad = np.ones(2)
    opt = make([p], lr=0.1)
    loss = (p * 3.0).sum()
    opt.step()
    assert p._version == 1
    with pytest.raises(RuntimeError, match=modified("Mul")):
        loss.backward()


def test_a_parameter_without_gradient_is_not_changed_by_step_and_keeps_its_version() -> None:
    """A frozen parameter (grad None) is not updated, so a graph that used it stays valid."""
    frozen, trained = Parameter(np.array([2.0])), Parameter(np.array([1.0]))
    trained.grad = np.ones(1)
    loss = (frozen * frozen).sum()
    tnp.SGD([frozen, trained], lr=0.1).step()
    assert frozen._version == 0 and trained._version == 1
    loss.backward()
    np.testing.assert_allclose(frozen.grad, [4.0])


def test_an_op_that_does_not_save_its_input_still_differentiates_after_a_step() -> None:
    """As PyTorch: only the inputs a Function saved for backward are checked (d(p + 1)/dp = 1 whatever p)."""
    p = Parameter(np.array([1.0, 2.0]))
    p.grad = np.ones(2)
    loss = (p + 1.0).sum()
    tnp.SGD([p], lr=0.1).step()
    loss.backward()
    np.testing.assert_array_equal(p.grad, [1.0, 1.0])


def test_a_layer_in_graph_mode_names_the_op_and_the_parameter_shape() -> None:
    model = tnp.Linear(3, 2, rng=0)
    x = Tensor(np.ones((4, 3)))
    loss = model(x).sum()
    loss.backward()
    tnp.SGD(model.parameters(), lr=0.1).step()
    with pytest.raises(RuntimeError, match=modified("Linear")) as e:
        loss.backward()
    assert "shape (2, 3)" in str(e.value)


def test_load_state_dict_between_forward_and_backward_is_an_error() -> None:
    model = tnp.Linear(3, 2, rng=0)
    state = tnp.Linear(3, 2, rng=1).state_dict()
    loss = model(Tensor(np.ones((4, 3)))).sum()
    model.load_state_dict(state)
    with pytest.raises(RuntimeError, match=modified("Linear")):
        loss.backward()


def test_initialize_between_forward_and_backward_is_an_error() -> None:
    model = tnp.Sequential(tnp.Linear(3, 2, rng=0))
    loss = model(Tensor(np.ones((4, 3)))).sum()
    initialize(model, "he", np.random.default_rng(0))
    with pytest.raises(RuntimeError, match=modified("Linear")):
        loss.backward()


def test_to_between_forward_and_backward_is_an_error() -> None:
    model = tnp.Linear(3, 2, rng=0)
    loss = model(Tensor(np.ones((4, 3)))).sum()
    model.to(np.float32)
    with pytest.raises(RuntimeError, match=modified("Linear")):
        loss.backward()


def test_writes_into_data_are_the_documented_escape_hatch() -> None:
    """As PyTorch's ``.data``: not counted, not checked (the gradient uses the new values)."""
    w = Parameter(np.array([1.0, 2.0]))
    loss = (w * w).sum()
    w.data[...] = 0
    loss.backward()
    assert w._version == 0
    np.testing.assert_array_equal(w.grad, [0.0, 0.0])
    assert ".data" in (Tensor.__doc__ or "") and "version" in (Tensor.__doc__ or "")


def test_forward_again_after_the_step_is_fine() -> None:
    p = Parameter(np.array([1.0, 2.0]))
    opt = tnp.SGD([p], lr=0.5)
    for _ in range(3):
        loss = (p * p).sum()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(p.data, [0.0, 0.0])


def test_versions_start_at_zero_on_every_tensor() -> None:
    t = Tensor([1.0, 2.0], requires_grad=True)
    assert t._version == 0 and (t * 2)._version == 0 and Parameter(np.zeros(2))._version == 0


# -- §4 the stale layer cache ---------------------------------------------------------------------------


def test_layer_backward_after_a_step_on_the_old_cache_is_an_error() -> None:
    model = tnp.Linear(3, 2, rng=0)
    opt = tnp.SGD(model.parameters(), lr=0.1)
    x, g = np.ones((4, 3)), np.ones((4, 2))
    model(x)
    model.backward(g)
    opt.step()
    with pytest.raises(RuntimeError, match=modified("Linear")) as e:
        model.backward(g, input_grad=True)
    assert "'weight'" in str(e.value) and "shape (2, 3)" in str(e.value)


def test_sequential_backward_after_a_step_on_the_old_cache_is_an_error() -> None:
    model = tiny_model()
    x, y = tiny_data()
    loss = tnp.BCELoss()
    opt = tnp.SGD(model.parameters(), lr=0.1)
    loss(model(x), y)
    model.backward_from(loss)
    opt.step()
    with pytest.raises(RuntimeError, match=modified("Linear")):
        model.backward_from(loss, input_grad=True)


def test_a_module_written_with_tensors_after_a_step_on_the_old_cache_is_an_error() -> None:
    class Twice(tnp.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = Parameter(np.array([1.0, 2.0]))

        def forward(self, x):
            return x * self.w * self.w

    m = Twice()
    opt = tnp.SGD(m.parameters(), lr=0.1)
    m(np.ones((3, 2)))
    m.backward(np.ones((3, 2)))
    opt.step()
    with pytest.raises(RuntimeError, match=modified("Mul")):
        m.backward(np.ones((3, 2)))


def test_the_layer_protocol_still_trains_step_after_step() -> None:
    """fit's order (forward, backward, step) never trips the check."""
    model = tiny_model()
    x, y = tiny_data()
    tnp.fit(model, tnp.BCELoss(), tnp.SGD(model.parameters(), lr=0.5), x, y, epochs=5, batch_size=4,
            rng=np.random.default_rng(0), progress="none")  # fmt: skip
    assert model[0].weight._version == 5 * 3  # one per step: 3 batches of 4 in each of 5 epochs


def test_the_fast_path_counts_its_write_of_the_first_layer() -> None:
    model = tiny_model(n_in=64)
    x, y = tiny_data(n_in=64)
    w = model[0].weight
    tnp.fit(model, tnp.BCELoss(), tnp.SGD(model.parameters(), lr=0.5), x, y, epochs=2, progress="none",
            fast_path=True)  # fmt: skip
    assert w._version >= 1


# -- §4 requires_grad on an integer tensor (already an error on main: kept) -------------------------------


def test_requires_grad_set_on_an_integer_tensor_fails_as_the_constructor() -> None:
    t = Tensor(np.arange(3))
    with pytest.raises(TypeError, match="Tensor: data with requires_grad=True must be floating-point"):
        t.requires_grad = True
    with pytest.raises(TypeError, match="must be floating-point"):
        t.requires_grad_()
    assert not t.requires_grad


# -- §4 functional losses check targets as the Loss layers do (already on main: kept) ---------------------


def test_functional_bce_rejects_targets_outside_0_1() -> None:
    with pytest.raises(ValueError, match=r"BCELoss: targets must lie in \[0, 1\], got 2.0"):
        F.binary_cross_entropy(Tensor([0.9, 0.5]), [2.0, 0])


@pytest.mark.parametrize("loss", [F.mse_loss, F.binary_cross_entropy_with_logits])
def test_functional_losses_reject_a_transposed_target(loss) -> None:
    with pytest.raises(ValueError, match=r"targets must have shape \(2, 3\).*got shape \(3, 2\)"):
        loss(Tensor(np.full((2, 3), 0.5)), np.ones((3, 2)))


@pytest.mark.parametrize("loss", [F.mse_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
@pytest.mark.parametrize("target", [["a", "b"], np.array(["1", "0"]), np.array(["1", None], dtype=object)])
def test_string_targets_are_a_clear_error(loss, target) -> None:
    with pytest.raises(TypeError, match=r"targets must hold real numbers, got dtype"):
        loss(Tensor([0.25, 0.5]), target)


def test_string_targets_to_cross_entropy_are_a_clear_error() -> None:
    with pytest.raises(TypeError, match=r"CrossEntropyLoss: targets must be integer class indices"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), ["a", "b"])


# -- §6 the Tensor API's errors ----------------------------------------------------------------------------


def test_a_tensor_of_python_objects_is_rejected_when_built() -> None:
    with pytest.raises(TypeError, match=r"Tensor: data must hold numbers .*, got ndarray of dtype object"):
        Tensor(np.array([1, None], dtype=object)) * 2


@pytest.mark.parametrize("other", ["x", ["a", "b"], None, {"a": 1}])
@pytest.mark.parametrize("op", ["add", "radd", "sub", "mul", "truediv", "rtruediv", "matmul"])
def test_a_non_numeric_operand_is_a_clear_error(op, other) -> None:
    t = Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"Tensor .*: the other operand must be a number, an array of "
                       r"numbers or a Tensor, got"):  # fmt: skip
        getattr(t, f"__{op}__")(other)


def test_where_and_masked_fill_reject_a_string_value() -> None:
    """On main these silently gave Tensors of strings."""
    with pytest.raises(TypeError, match="must be a number"):
        tnp.where(np.array([True]), Tensor([1.0]), "1")
    with pytest.raises(TypeError, match="must be a number"):
        Tensor([1.0]).masked_fill(np.array([True]), "x")


@pytest.mark.parametrize("exponent", [-1, -2, np.int64(-3)])
def test_an_integer_tensor_to_a_negative_integer_power_says_so(exponent) -> None:
    with pytest.raises(ValueError, match=r"Tensor \*\*: the exponent of an integer tensor must be >= 0"):
        Tensor(np.array([2])) ** exponent


def test_an_integer_tensor_to_other_powers_still_works() -> None:
    np.testing.assert_array_equal((Tensor(np.array([2])) ** 2).data, [4])
    np.testing.assert_allclose((Tensor(np.array([2])) ** -1.0).data, [0.5])
    np.testing.assert_allclose((Tensor(np.array([2.0])) ** -1).data, [0.5])


def test_to_a_non_numeric_dtype_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"Tensor.to: dtype must be"):
        Tensor([1.0]).to(object)


# -- §5 load_state_dict of something that is not a mapping -----------------------------------------------


@pytest.mark.parametrize("bad", [None, "list of pairs", 3])
def test_module_load_state_dict_of_a_non_mapping_is_a_type_error(bad) -> None:
    model = tiny_model()
    state = list(model.state_dict().items()) if bad == "list of pairs" else bad
    with pytest.raises(TypeError, match=r"Sequential.load_state_dict: state must be a mapping"):
        model.load_state_dict(state)


@pytest.mark.parametrize("bad", [None, "list of pairs", 3])
def test_optimizer_load_state_dict_of_a_non_mapping_is_a_type_error(bad) -> None:
    model = tiny_model()
    opt = tnp.SGD(model.parameters(), lr=0.1, momentum=0.9)
    state = list(opt.state_dict().items()) if bad == "list of pairs" else bad
    with pytest.raises(TypeError, match=r"SGD.load_state_dict: state must be a dict of arrays"):
        opt.load_state_dict(state)


# -- §5 BatchNorm's buffers checked on load, all-or-nothing ---------------------------------------------------


def _bn_state(**changes) -> tuple[tnp.Module, dict]:
    model = tnp.Sequential(tnp.Linear(2, 3, rng=0), tnp.BatchNorm1d(3))
    state = model.state_dict()
    state["0.weight"] = state["0.weight"] + 1  # a change that must not land when the dict is rejected
    state.update({f"1.{k}": v for k, v in changes.items()})
    return model, state


def _assert_unchanged(model: tnp.Module, before: dict) -> None:
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_negative_running_var_is_rejected() -> None:
    model, state = _bn_state(running_var=np.array([1.0, -0.5, 1.0]))
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"'1.running_var' must be >= 0, got -0.5"):
        model.load_state_dict(state)
    _assert_unchanged(model, before)


@pytest.mark.parametrize("bad", [math.nan, 1e30, 3.7, -1, -1.0, math.inf, 2**64 - 1])
def test_bad_num_batches_tracked_is_rejected(bad) -> None:
    value = np.array(bad, dtype=np.uint64) if bad == 2**64 - 1 else np.array(bad)
    model, state = _bn_state(num_batches_tracked=value)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"'1.num_batches_tracked' must (be >= 0|hold whole|lie in)"):
        model.load_state_dict(state)
    _assert_unchanged(model, before)


@pytest.mark.parametrize("good", [0, 7, 7.0, np.int32(5), np.uint8(3)])
def test_good_num_batches_tracked_loads(good) -> None:
    model, state = _bn_state(num_batches_tracked=np.array(good))
    model.load_state_dict(state)
    assert model[1].num_batches_tracked.dtype == np.int64 and int(model[1].num_batches_tracked) == int(good)


def test_a_checked_buffer_file_is_rejected_too(tmp_path) -> None:
    model, state = _bn_state(running_var=np.array([1.0, -0.5, 1.0]))
    path = tmp_path / "bad.npz"
    tnp.serialization.save(state, path)
    with pytest.raises(ValueError, match=r"bad.npz: Sequential.load_state_dict: '1.running_var' must be >= 0"):
        model.load(path)
