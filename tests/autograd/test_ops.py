"""The op table (graph_strategies.OPS) drives forward-vs-NumPy and backward-vs-central-differences tests."""

from __future__ import annotations

import numpy as np
import pytest
from graph_strategies import OPS, OpCase, grads_agree, op_inputs, tensors
from hypothesis import assume, given
from hypothesis import strategies as st

from tinygrad_np import Tensor, gradcheck


@pytest.mark.parametrize("case", OPS, ids=lambda c: c.name)
@given(data=st.data())
def test_forward_matches_numpy(case: OpCase, data: st.DataObject) -> None:
    arrays = data.draw(op_inputs(case))
    out = case.op(*tensors(arrays))
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, case.reference(*arrays), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", OPS, ids=lambda c: c.name)
@given(data=st.data())
def test_backward_matches_central_differences(case: OpCase, data: st.DataObject) -> None:
    arrays = data.draw(op_inputs(case))
    for a in arrays:  # keep away from kinks and ties, where the derivative is not defined
        for k in case.kinks:
            assume(np.all(np.abs(a - k) > 1e-3))
    if case.name.startswith(("max", "min", "amin")):  # ties share the gradient: not differentiable there
        assume(len(np.unique(arrays[0])) == arrays[0].size)
    assume(np.size(case.reference(*arrays)) > 0)
    report = gradcheck(case.op, *arrays)  # objective sum(out * R) for a fixed random R (0-d: out)
    assert len(report.errors) == len(arrays) and grads_agree(report), f"{case.name}:\n{report}"


def test_float32_stays_float32() -> None:
    a = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    out = ((a * 2.0 + 1).tanh() @ np.ones((3, 1), np.float32)).sum() / 3
    assert out.dtype == np.float32
    out.backward()
    assert a.grad is not None and a.grad.dtype == np.float32


def test_getitem_integer_arrays_add_repeated_indices() -> None:
    a = Tensor(np.arange(4.0), requires_grad=True)
    a[np.array([0, 0, 3])].sum().backward()
    np.testing.assert_array_equal(a.grad, [2.0, 0.0, 0.0, 1.0])


def test_max_splits_the_gradient_between_ties() -> None:
    a = Tensor(np.array([1.0, 3.0, 3.0]), requires_grad=True)
    a.max().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 0.5, 0.5])
