"""The PyTorch-style Tensor API: the same code runs on tinygrad_np and on torch and gives the same
values and gradients (float64); NumPy's spellings (axis, keepdims) are aliases; each misuse is a clear
error. The forward/backward formulas are also in the op table (graph_strategies.OPS)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_np as tnp
from tinygrad_np import Parameter, Tensor

torch = pytest.importorskip("torch")

# name -> (code for either library: m is the module, tnp or torch, then the tensors; input shapes)
SAME_CODE: dict[str, tuple[Callable[..., Any], list[tuple[int, ...]]]] = {
    "sum dim keepdim": (lambda m, x: x.sum(dim=1, keepdim=True), [(2, 3, 4)]),
    "sum dim tuple": (lambda m, x: x.sum((0, 2)), [(2, 3, 4)]),
    "sum positional": (lambda m, x: x.sum(-1, True), [(2, 3)]),
    "mean dim -1": (lambda m, x: x.mean(-1), [(2, 3, 4)]),
    "mean dim tuple keepdim": (lambda m, x: x.mean(dim=(-1, 0), keepdim=True), [(2, 3, 4)]),
    "max": (lambda m, x: x.max(), [(3, 4)]),
    "max dim values": (lambda m, x: x.max(dim=1).values, [(2, 3, 4)]),
    "max dim [0] keepdim": (lambda m, x: x.max(0, keepdim=True)[0], [(3, 4)]),
    "min": (lambda m, x: x.min(), [(3, 4)]),
    "min dim values": (lambda m, x: x.min(dim=-1).values, [(2, 3, 4)]),
    "amax dim tuple": (lambda m, x: x.amax(dim=(0, 2)), [(2, 3, 4)]),
    "amin keepdim": (lambda m, x: x.amin(1, keepdim=True), [(2, 3, 4)]),
    "transpose 2-d": (lambda m, x: x.transpose(0, 1), [(2, 3)]),
    "transpose 0 2": (lambda m, x: x.transpose(0, 2), [(2, 3, 4)]),
    "transpose negative": (lambda m, x: x.transpose(-1, 0), [(2, 3, 4)]),
    "permute": (lambda m, x: x.permute(2, 0, 1), [(2, 3, 4)]),
    "permute tuple": (lambda m, x: x.permute((1, 2, 0)), [(2, 3, 4)]),
    "T": (lambda m, x: x.T, [(2, 3)]),
    "mT": (lambda m, x: x.mT, [(2, 3, 4)]),
    "view": (lambda m, x: x.view(4, -1), [(2, 3, 4)]),
    "view tuple": (lambda m, x: x.view((6, 4)), [(2, 3, 4)]),
    "reshape": (lambda m, x: x.reshape(3, 8), [(2, 3, 4)]),
    "unsqueeze": (lambda m, x: x.unsqueeze(1), [(2, 3)]),
    "unsqueeze -1": (lambda m, x: x.unsqueeze(-1), [(2, 3)]),
    "squeeze all": (lambda m, x: x.squeeze(), [(2, 1, 3, 1)]),
    "squeeze dim": (lambda m, x: x.squeeze(1), [(2, 1, 3, 1)]),
    "squeeze non-1 dim stays": (lambda m, x: x.squeeze(0), [(2, 1, 3)]),
    "flatten": (lambda m, x: x.flatten(), [(2, 3, 4)]),
    "flatten 1": (lambda m, x: x.flatten(1), [(2, 3, 4)]),
    "flatten 0 1": (lambda m, x: x.flatten(0, 1), [(2, 3, 4)]),
    "expand": (lambda m, x: x.expand(4, -1, 3), [(2, 1)]),
    "cat dim 1": (lambda m, x, y: m.cat([x, y], dim=1), [(2, 3), (2, 4)]),
    "cat default dim 0": (lambda m, x, y: m.cat((x, y)), [(2, 3), (1, 3)]),
    "stack dim -1": (lambda m, x, y: m.stack([x, y], dim=-1), [(2, 3), (2, 3)]),
    "stack 3": (lambda m, x, y, z: m.stack([x, y, z]), [(2,), (2,), (2,)]),
    "where": (lambda m, x, y: m.where(x > 0, x, y), [(2, 3), (2, 3)]),
    "where broadcast": (lambda m, x, y: m.where(y < 0, x, y * 2), [(3,), (2, 3)]),
    "masked_fill": (lambda m, x: x.masked_fill(x > 0, 0.5), [(3, 4)]),
    "masked_fill broadcast mask": (lambda m, x: x.masked_fill(x[0] > 0, -1.0), [(3, 4)]),
    "tril": (lambda m, x: m.tril(x), [(3, 4)]),
    "triu diagonal": (lambda m, x: m.triu(x, diagonal=-1), [(2, 3, 3)]),
    "float": (lambda m, x: (x.float() * 3).double(), [(2, 3)]),
    "double": (lambda m, x: x.double() ** 2, [(2, 3)]),
    "to float32": (lambda m, x: x.to(m.float32).sum(0), [(2, 3)]),
}


@pytest.mark.parametrize("name", sorted(SAME_CODE))
def test_the_same_code_gives_torchs_values_and_gradients(name: str) -> None:
    code, shapes = SAME_CODE[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = code(tnp, *ours), code(torch, *theirs)
    assert out.shape == tuple(tout.shape) and out.dtype == str(tout.dtype).removeprefix("torch.")
    tol = 1e-6 if "float" in name else 1e-12  # through float32 and back
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=tol, atol=tol)
    r = rng.standard_normal(out.shape)
    (out * r.astype(out.dtype)).sum().backward()
    (tout * torch.tensor(r).to(tout.dtype)).sum().backward()
    for a, t in zip(ours, theirs, strict=True):
        assert a.grad is not None and a.grad.dtype == np.float64
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "code",
    [
        lambda x: x.max(dim=1).indices,
        lambda x: x.min(0, keepdim=True).indices,
        lambda x: x.argmax(),
        lambda x: x.argmin(),
        lambda x: x.argmax(dim=-1),
        lambda x: x.argmax(1, keepdim=True),
        lambda x: x.argmin(dim=0, keepdim=True),
    ],
)
def test_indices_are_torchs_int64_without_grad(code: Callable[[Any], Any]) -> None:
    a = np.random.default_rng(0).standard_normal((3, 4, 5))
    ours, theirs = code(Tensor(a, requires_grad=True)), code(torch.tensor(a, requires_grad=True))
    assert isinstance(ours, Tensor) and ours.dtype == np.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_max_with_dim_is_a_named_tuple_and_with_numpys_axis_the_values() -> None:
    x = Tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]), requires_grad=True)
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(values.data, [5.0, 7.0])
    np.testing.assert_array_equal(indices.data, [1, 0])
    assert x.max(1).values is not None and x.min(dim=0).indices.shape == (3,)
    np.testing.assert_array_equal(x.max(axis=1).data, [5.0, 7.0])  # a Tensor, as np.max
    np.testing.assert_array_equal(x.min(axis=0, keepdims=True).data, [[1.0, 0.0, 2.0]])
    assert isinstance(x.max(), Tensor) and x.max().item() == 7.0
    kept = x.max(dim=1, keepdims=True)  # keepdims (NumPy's name) applies to both
    assert kept.values.shape == kept.indices.shape == (2, 1)


def test_comparisons_give_boolean_tensors_without_grad_as_torch() -> None:
    a, b = np.array([[1.0, -2.0], [3.0, 0.5]]), np.array([1.0, 0.0])
    x, y = Tensor(a, requires_grad=True), Tensor(b)
    tx, ty = torch.tensor(a), torch.tensor(b)
    for op in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
        out = getattr(x, op)(y)
        assert out.dtype == bool and not out.requires_grad
        np.testing.assert_array_equal(out.data, getattr(tx, op)(ty).numpy())
        np.testing.assert_array_equal(getattr(x, op)(b).data, getattr(tx, op)(ty).numpy())  # an ndarray
    np.testing.assert_array_equal((0.9 < x).data, a > 0.9)  # a number on the left
    np.testing.assert_array_equal((b <= x).data, b <= a)  # an ndarray on the left
    np.testing.assert_array_equal((x == 1.0).data, a == 1.0)
    mask = (x > 0) & ~(x == 3.0) | (x < -1)
    np.testing.assert_array_equal(mask.data, ((a > 0) & (a != 3.0)) | (a < -1))
    assert (x == None) is False and (x != None) is True  # noqa: E711  (as torch: not element-wise)


def test_a_tensor_is_true_or_false_only_with_one_element() -> None:
    assert bool(Tensor(np.array([2.0])) > 1) and not Tensor(0.0)
    with pytest.raises(
        ValueError, match=r"Tensor: a tensor used as True or False must have one element, got shape \(2,\)"
    ):
        bool(Tensor(np.array([1.0, 2.0])) > 0)


def test_tensors_hash_by_identity_so_equal_parameters_keep_their_own_optimizer_state() -> None:
    p, q = Parameter(np.ones(3)), Parameter(np.ones(3))  # equal values: == is element-wise True
    assert hash(p) != hash(q) and len({p, q}) == 2 and {p: 1, q: 2}[q] == 2
    assert p in {p} and q not in {p} and p in [p]  # a list finds p itself (identity first)
    with pytest.raises(ValueError, match="one element"):
        _ = q in [p]  # a list compares element-wise (as torch): look Tensors up in a dict or set
    opt = tnp.optim.Adam([p, q], lr=0.1)
    p.grad, q.grad = np.ones(3), -np.ones(3)
    opt.step()
    np.testing.assert_allclose(p.data, 0.9)
    np.testing.assert_allclose(q.data, 1.1)
    assert len(opt.state) == 2


def test_numel_size_and_dim_as_torch_with_numpys_size_kept() -> None:
    x, t = Tensor(np.zeros((2, 3, 4))), torch.zeros(2, 3, 4)
    assert x.numel() == t.numel() == 24 and x.dim() == t.dim() == 3
    assert x.size() == tuple(t.size()) and x.size(1) == t.size(1) == 3 and x.size(-1) == t.size(-1) == 4
    assert x.size == 24 and isinstance(x.size, int) and x.size + 1 == 25  # NumPy's ndarray.size
    assert Tensor(5.0).size() == () and Tensor(5.0).size == 1
    with pytest.raises(ValueError, match=r"Tensor.size: dim must lie in \[-3, 2\] for a 3-d tensor, got 3"):
        x.size(3)


def test_requires_grad_can_be_set_on_float_leaves_only() -> None:
    x = Tensor(np.ones(2))
    assert x.requires_grad_() is x and x.requires_grad
    assert not x.requires_grad_(False).requires_grad
    x.requires_grad = True
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    ints = Tensor(np.arange(3))
    for set_it in (lambda: ints.requires_grad_(), lambda: setattr(ints, "requires_grad", True)):
        with pytest.raises(
            TypeError, match="Tensor: data with requires_grad=True must be floating-point, got dtype int64"
        ):
            set_it()
    assert not ints.requires_grad
    ints.requires_grad = False  # allowed: nothing changes
    y = x * 2
    y.requires_grad = True  # already true for a computed tensor
    with pytest.raises(
        RuntimeError,
        match="Tensor.requires_grad: the tensor must be a leaf to turn requires_grad off, got one computed by Mul; use t.detach()",
    ):
        y.requires_grad_(False)


def test_casts_keep_the_gradient_in_the_leafs_dtype() -> None:
    x = Tensor(np.array([0.1, 0.2]), requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32 and y.requires_grad and x.to(np.float32).dtype == np.float32
    assert x.to("float32").dtype == np.float32 and x.to(float).dtype == np.float64
    (y * y).sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, 2 * np.float32([0.1, 0.2]), rtol=1e-7)
    n = x.to(np.int64)
    assert n.dtype == np.int64 and not n.requires_grad
    with pytest.raises(
        TypeError, match="Tensor.to: dtype must be a NumPy dtype, e.g. np.float32, got 'cuda'"
    ):
        x.to("cuda")


def test_np_asarray_gives_the_data_array() -> None:
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    a = np.asarray(x)
    assert a.dtype == np.float64 and a.shape == (2, 3) and np.shares_memory(a, x.data)
    assert np.asarray(x, dtype=np.float32).dtype == np.float32
    assert not np.shares_memory(np.array(x), x.data)  # np.array copies, as for an ndarray
    np.testing.assert_array_equal(np.asarray([Tensor(1.0), Tensor(2.0)]), [1.0, 2.0])


def test_tensor_zeros_ones_randn() -> None:
    src = np.array([1.0, 2.0])
    t = tnp.tensor(src, requires_grad=True)
    src[0] = 9.0
    assert t.data[0] == 1.0 and t.requires_grad  # a copy
    assert tnp.tensor([1, 2]).dtype == np.int64 and tnp.tensor([1.5]).dtype == np.float64
    assert tnp.tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert tnp.zeros(2, 3).shape == (2, 3) and tnp.ones((4,), dtype=np.float32).dtype == np.float32
    assert tnp.zeros(2, requires_grad=True).requires_grad and float(tnp.ones(3).sum()) == 3.0
    tnp.manual_seed(3)
    a = tnp.randn(2, 3)
    tnp.manual_seed(3)
    np.testing.assert_array_equal(a.data, tnp.randn((2, 3)).data)
    assert tnp.randn(5, dtype=np.float32).dtype == np.float32


def test_manual_seed_makes_layers_built_without_rng_reproducible() -> None:
    def build() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        tnp.manual_seed(0)
        linear, dropout = tnp.Linear(3, 2), tnp.Dropout(0.2)
        return linear.weight.data.copy(), dropout(np.ones((50, 4))), dropout(np.ones((50, 4)))

    w1, mask1, mask1b = build()
    w2, mask2, mask2b = build()
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(mask1, mask2)
    np.testing.assert_array_equal(mask1b, mask2b)
    assert not np.array_equal(mask1, mask1b)  # the stream moves on between calls
    assert tnp.random.manual_seed is tnp.manual_seed
    tnp.manual_seed(1)
    assert not np.array_equal(tnp.Linear(3, 2).weight.data, w1)
    # an explicit rng wins over the seeded default
    tnp.manual_seed(0)
    a = tnp.Linear(3, 2, rng=np.random.default_rng(5)).weight.data
    tnp.manual_seed(1)
    b = tnp.Linear(3, 2, rng=np.random.default_rng(5)).weight.data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, w1)
    tnp.manual_seed(0)
    d1 = tnp.Dropout(0.5, rng=7)(np.ones((20, 5)))
    tnp.manual_seed(1)
    np.testing.assert_array_equal(d1, tnp.Dropout(0.5, rng=7)(np.ones((20, 5))))


# -- NumPy's spellings are aliases; giving both spellings, or a wrong dim, is a clear error --------
REDUCTIONS = ["sum", "mean", "max", "min", "argmax", "argmin"]


@pytest.mark.parametrize("name", REDUCTIONS)
def test_axis_and_keepdims_are_aliases_of_dim_and_keepdim(name: str) -> None:
    a = np.random.default_rng(1).standard_normal((2, 3, 4))
    x = Tensor(a)
    numpy_way = getattr(x, name)(axis=1, keepdims=True)
    torch_way = getattr(x, name)(dim=1, keepdim=True)
    torch_way = torch_way.values if name in ("max", "min") else torch_way
    np.testing.assert_array_equal(numpy_way.data, torch_way.data)
    np.testing.assert_array_equal(numpy_way.data, getattr(np, name)(a, axis=1, keepdims=True))
    mixed = getattr(x, name)(1, keepdims=True)  # dim given (by position): (values, indices) from max/min
    np.testing.assert_array_equal(mixed[0].data if name in ("max", "min") else mixed.data, numpy_way.data)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_a_name_and_its_alias_together_are_an_error(name: str) -> None:
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(
        TypeError,
        match=rf"Tensor.{name}: dim must be given once \(axis is NumPy's name for dim\), got dim=0 and axis=0; pass dim only",
    ):
        getattr(x, name)(0, axis=0)
    with pytest.raises(
        TypeError, match=rf"Tensor.{name}: keepdim must be given once .*got keepdim=False and keepdims=True"
    ):
        getattr(x, name)(0, keepdim=False, keepdims=True)


@pytest.mark.parametrize("fn", [tnp.cat, tnp.stack])
def test_cat_and_stack_take_axis_as_an_alias(fn: Callable[..., Tensor]) -> None:
    a, b = np.ones((2, 3)), np.zeros((2, 3))
    np.testing.assert_array_equal(fn([a, b], axis=1).data, fn([a, b], dim=1).data)
    with pytest.raises(TypeError, match=f"{fn.__name__}: dim must be given once"):
        fn([a, b], dim=1, axis=1)


def test_reductions_take_tuples_of_dims_and_check_them() -> None:
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(x.sum(dim=[0, 2]).data, x.data.sum(axis=(0, 2)))
    with pytest.raises(ValueError, match=r"Tensor.sum: dim must lie in \[-3, 2\] for a 3-d tensor, got 3"):
        x.sum(3)
    with pytest.raises(ValueError, match=r"Tensor.mean: dim must name each dim once, got \(0, -3\)"):
        x.mean((0, -3))
    with pytest.raises(
        TypeError,
        match=r"Tensor.sum: dim must be an int, a non-empty tuple of ints or None \(every dim\), got \(\)",
    ):
        x.sum(())
    with pytest.raises(
        TypeError,
        match=r"Tensor.sum: dim must be an int, a non-empty tuple of ints or None \(every dim\), got 1.0",
    ):
        x.sum(1.0)
    with pytest.raises(
        TypeError,
        match=r"Tensor.max: dim must be one int or None, got \(0, 1\); amax/amin reduce over several dims",
    ):
        x.max(dim=(0, 1))
    with pytest.raises(TypeError, match=r"Tensor.argmin: dim must be one int or None, got \(0, 1\)"):
        x.argmin(axis=(0, 1))


@pytest.mark.parametrize(
    ("code", "error", "message"),
    [
        (
            lambda x: x.transpose(),
            TypeError,
            r"Tensor.transpose: the dims must be two dims to swap, got \(\); permute\(\*dims\) takes any order, and .T reverses the dims",
        ),
        (
            lambda x: x.transpose(2, 0, 1),
            TypeError,
            r"Tensor.transpose: the dims must be two dims to swap, got \(2, 0, 1\)",
        ),
        (
            lambda x: x.transpose(0, 3),
            ValueError,
            r"Tensor.transpose: dim1 must lie in \[-3, 2\] for a 3-d tensor, got 3",
        ),
        (
            lambda x: x.permute(0, 1),
            ValueError,
            r"Tensor.permute: dims must be a permutation of the 3 dims, each once, got \(0, 1\)",
        ),
        (lambda x: x.permute(0, 1, 1), ValueError, r"Tensor.permute: dims must be a permutation"),
        (
            lambda x: x[0, 0].mT,
            ValueError,
            r"Tensor.mT: the tensor must have at least 2 dims, got shape \(4,\)",
        ),
        (
            lambda x: x.view(5, -1),
            ValueError,
            r"Tensor.reshape: the new shape must hold 24 elements, got \(5, -1\)",
        ),
        (
            lambda x: x.unsqueeze(4),
            ValueError,
            r"Tensor.unsqueeze: dim must lie in \[-4, 3\] for a 4-d tensor, got 4",
        ),
        (lambda x: x.squeeze(5), ValueError, r"Tensor.squeeze: dim must lie in \[-3, 2\]"),
        (
            lambda x: x.flatten(2, 1),
            ValueError,
            r"Tensor.flatten: start_dim must not come after end_dim \(1\), got 2",
        ),
        (
            lambda x: x.expand(2, 5, 4),
            ValueError,
            r"Tensor.expand: sizes must keep each dim of \(2, 3, 4\) or grow a size-1 one \(-1 keeps a dim\), got \(2, 5, 4\)",
        ),
        (lambda x: x.expand(3, 4), ValueError, r"Tensor.expand: sizes must keep each dim"),
        (lambda x: x.expand(-1, 2, 3, 4), ValueError, r"with a size >= 0 for each new leading dim"),
        (
            lambda x: x.to("cpu"),
            TypeError,
            r"Tensor.to: dtype must be a NumPy dtype, e.g. np.float32, got 'cpu'; tinygrad_np runs on NumPy",
        ),
        (
            lambda x: x.masked_fill(x.data, 0.0),
            TypeError,
            r"Tensor.masked_fill: mask must be boolean, got dtype float64; e.g. t > 0 gives a boolean Tensor",
        ),
        (lambda x: tnp.where(x, x, 0.0), TypeError, r"where: condition must be boolean, got dtype float64"),
        (
            lambda x: tnp.where(np.ones((2, 2), bool), x, 0.0),
            ValueError,
            r"Where: the operands' shapes must broadcast together, got \(2, 2\) and \(2, 3, 4\)",
        ),
        (
            lambda x: tnp.cat(x),
            TypeError,
            r"cat: tensors must be a non-empty list or tuple of Tensors, got Tensor",
        ),
        (
            lambda x: tnp.cat([]),
            TypeError,
            r"cat: tensors must be a non-empty list or tuple of Tensors, got \[\]",
        ),
        (
            lambda x: tnp.cat([x, x[0]]),
            ValueError,
            r"Cat: the operands' shapes must agree in every dim but the one joined, got \(2, 3, 4\) and \(3, 4\)",
        ),
        (
            lambda x: tnp.cat([x, x], dim=3),
            ValueError,
            r"cat: dim must lie in \[-3, 2\] for a 3-d tensor, got 3",
        ),
        (
            lambda x: tnp.stack([x, x[:1]]),
            ValueError,
            r"Stack: the operands' shapes must all be the same, got \(2, 3, 4\) and \(1, 3, 4\)",
        ),
        (lambda x: tnp.tril(x[0, 0]), ValueError, r"tril: input must have at least 2 dims, got shape \(4,\)"),
        (lambda x: tnp.triu(x, 0.5), TypeError, r"triu: diagonal must be an integer, got 0.5"),
    ],
)
def test_misuse_is_a_clear_error(code: Callable[[Tensor], Any], error: type, message: str) -> None:
    x = Tensor(np.zeros((2, 3, 4)), requires_grad=True)
    with pytest.raises(error, match=message):
        code(x)


def test_transpose_of_a_matrix_is_no_longer_the_matrix() -> None:
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(Tensor(a).transpose(0, 1).data, a.T)
    np.testing.assert_array_equal(Tensor(a).transpose(1, 0).data, a.T)
    np.testing.assert_array_equal(Tensor(a).transpose(0, 0).data, a)


def test_tril_and_triu_make_masks_from_arrays_without_grad() -> None:
    causal = tnp.tril(np.ones((3, 3), dtype=bool))
    assert causal.dtype == bool and not causal.requires_grad
    np.testing.assert_array_equal(causal.data, np.tril(np.ones((3, 3), bool)))
    scores = Tensor(np.zeros((3, 3)), requires_grad=True)
    masked = scores.masked_fill(~causal, -np.inf)
    np.testing.assert_array_equal(masked.data, np.where(np.tril(np.ones((3, 3))) > 0, 0.0, -np.inf))
    masked.exp().sum().backward()
    np.testing.assert_array_equal(scores.grad, np.tril(np.ones((3, 3))))
    np.testing.assert_array_equal(
        tnp.triu(np.arange(9).reshape(3, 3), 1).data, np.triu(np.arange(9).reshape(3, 3), 1)
    )


def test_expand_is_a_read_only_view_whose_gradient_sums_the_copies() -> None:
    x = Tensor(np.array([[1.0], [2.0]]), requires_grad=True)
    y = x.expand(3, 2, 4)
    assert y.shape == (3, 2, 4) and np.shares_memory(y.data, x.data)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[12.0], [12.0]])
