"""Sequential: container behaviour, backward's input-gradient rule, state_dict, save/load."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_np as tnp


def deep_model(seed: int = 0, dtype=np.float64) -> tnp.Sequential:
    rng = np.random.default_rng(seed)
    return tnp.Sequential(
        tnp.Linear(12288, 20, rng=rng, dtype=dtype), tnp.ReLU(),
        tnp.Linear(20, 7, rng=rng, dtype=dtype), tnp.ReLU(),
        tnp.Linear(7, 5, rng=rng, dtype=dtype), tnp.ReLU(),
        tnp.Linear(5, 1, rng=rng, dtype=dtype), tnp.Sigmoid(),
    )  # fmt: skip


def small_model(seed: int = 0) -> tnp.Sequential:
    rng = np.random.default_rng(seed)
    return tnp.Sequential(tnp.Linear(4, 3, rng=rng), tnp.Tanh(), tnp.Linear(3, 1, rng=rng), tnp.Sigmoid())


def test_the_readme_example_trains() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((16, 12288))
    y = (x[:, :1] > 0.5).astype(np.float64)
    model = deep_model()
    loss_fn = tnp.BCELoss()
    opt = tnp.SGD(model.parameters(), lr=0.0075)
    losses = []
    for _ in range(30):
        losses.append(loss_fn(model(x), y))
        assert model.backward(loss_fn.backward()) is None
        opt.step()
    assert losses[-1] < losses[0]
    assert all(p.grad is not None for p in model.parameters())


def test_parameters_in_layer_order_and_pytorch_names() -> None:
    model = deep_model()
    names = [n for n, _ in model.named_parameters()]
    assert names == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
        "4.weight",
        "4.bias",
        "6.weight",
        "6.bias",
    ]
    assert [p.shape for p in model.parameters()] == [
        (20, 12288),
        (20,),
        (7, 20),
        (7,),
        (5, 7),
        (5,),
        (1, 5),
        (1,),
    ]
    assert model.parameters()[0] is model[0].weight


def test_container_protocol_and_repr() -> None:
    model = small_model()
    assert len(model) == 4
    assert isinstance(model[1], tnp.Tanh)
    assert [type(la).__name__ for la in model] == ["Linear", "Tanh", "Linear", "Sigmoid"]
    head = model[:2]
    assert isinstance(head, tnp.Sequential) and head[0] is model[0]
    assert repr(model).splitlines() == [
        "Sequential(",
        "  (0): Linear(in_features=4, out_features=3, bias=True)",
        "  (1): Tanh()",
        "  (2): Linear(in_features=3, out_features=1, bias=True)",
        "  (3): Sigmoid()",
        ")",
    ]
    with pytest.raises(TypeError, match="item 1 must be a Module, got a int"):
        tnp.Sequential(tnp.ReLU(), 3)


def test_summary_table() -> None:
    text = deep_model().summary()
    assert "(batch, 20)" in text and "(batch, 1)" in text
    assert "245,780" in text
    assert "Total params: 245,973" in text
    small = small_model().summary().splitlines()
    assert small[2].split() == ["input", "(batch,", "4)", "0"]
    assert "(batch, 9)" in small_model().summary(input_shape=(9,))


class Widen(tnp.Module):
    """A Module whose output is wider than its input (its own output_shape is the base's identity)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = tnp.Linear(4, 6, rng=0)

    def forward(self, x: tnp.Tensor) -> tnp.Tensor:
        return self.fc(x).relu() + 1.0


def _row(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if line.split() and line.split()[0] == name)


def test_summary_shapes_of_a_module_inside_a_sequential() -> None:
    model = tnp.Sequential(tnp.Linear(3, 4, rng=0), tnp.Sequential(Widen()), tnp.Linear(6, 2, rng=0))
    text = model.summary()
    assert "(batch, 6)" in _row(text, "1") and "(batch, 6)" in _row(text, "1.0")  # was (batch, 4)
    assert "Widen" in _row(text, "1.0") and "(batch, 6)" in _row(text, "1.0.fc")
    assert "(batch, 2)" in _row(text, "2")
    alone = Widen().summary().splitlines()  # a Module at the top: its own row, then its children
    assert alone[3].split() == ["Widen", "(batch,", "6)", "30"] and alone[4].split()[0] == "fc"
    flat = tnp.Sequential(tnp.Linear(4, 2, rng=0), tnp.Flatten(0)).summary((3, 4))
    assert "(batch*6)" in _row(flat, "1")  # a size that follows the batch without being it


def test_summary_changes_no_state() -> None:
    model = tnp.Sequential(
        tnp.Linear(4, 5, rng=0),
        tnp.BatchNorm1d(5),
        tnp.Sequential(tnp.Linear(5, 4, rng=1), Widen()),
        tnp.Dropout(0.5, rng=0),
    )
    x = np.random.default_rng(0).normal(size=(8, 4))
    model(x)  # training mode: caches filled, BatchNorm's running statistics moved
    stats = {k: v.copy() for k, v in model.state_dict().items()}
    caches = [m._cache for m in model.modules()]
    rng_state = model[3].rng.bit_generator.state
    g = np.ones((8, 6))
    model.backward(g)
    grads = [p.grad.copy() for p in model.parameters()]
    text = model.summary()
    assert "(batch, 6)" in _row(text, "2")
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, stats[k], err_msg=k)
    assert [m._cache for m in model.modules()] == caches
    assert all(m.training for m in model.modules())
    assert model[3].rng.bit_generator.state == rng_state
    assert all("forward" not in vars(m) for m in model.modules())
    model.backward(g)  # the caches still hold the last forward
    for p, before in zip(model.parameters(), grads, strict=True):
        np.testing.assert_array_equal(p.grad, before)


def test_summary_py_imports_no_module_or_container() -> None:
    # Module.summary imports summary.py: an import back, even inside a function, would be a cycle
    import ast

    source = Path(tnp.nn.summary.__file__).read_text()
    imported = [
        node.module or "" for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)
    ] + [a.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import) for a in node.names]
    assert not [m for m in imported if m.endswith(("module", "container")) or m in ("", ".")]


class SpyLinear(tnp.Linear):
    def backward(self, grad_out, input_grad=True):
        self.asked = input_grad
        return super().backward(grad_out, input_grad)


def test_backward_skips_the_first_input_gradient_unless_asked() -> None:
    rng = np.random.default_rng(0)
    model = tnp.Sequential(SpyLinear(5, 4, rng=rng), tnp.ReLU(), SpyLinear(4, 1, rng=rng))
    x = rng.normal(size=(3, 5))
    model(x)
    assert model.backward(np.ones((3, 1))) is None
    assert model[0].asked is False and model[2].asked is True
    dx = model.backward(np.ones((3, 1)), input_grad=True)
    assert model[0].asked is True and dx.shape == x.shape


def test_backward_stops_at_the_first_layer_with_parameters() -> None:
    rng = np.random.default_rng(0)
    spy = tnp.ReLU()
    model = tnp.Sequential(spy, SpyLinear(5, 1, rng=rng))
    model(rng.normal(size=(3, 5)))
    spy._cache = None  # would raise if backward reached it
    assert model.backward(np.ones((3, 1))) is None


def test_train_eval_recursive_and_return_self() -> None:
    model = small_model()
    assert model.eval() is model and not model.training and not any(la.training for la in model)
    assert model.train() is model and model.training and all(la.training for la in model)


def test_state_dict_round_trip_and_copies() -> None:
    a, b = small_model(0), small_model(1)
    state = a.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    state["0.weight"] += 1.0  # a copy: the model is untouched
    assert not np.array_equal(state["0.weight"], a[0].weight.data)
    b.load_state_dict(a.state_dict())
    x = np.random.default_rng(5).normal(size=(2, 4))
    np.testing.assert_array_equal(a(x), b(x))


def test_load_state_dict_casts_to_the_model_dtype() -> None:
    model = small_model()
    state32 = {k: v.astype(np.float32) for k, v in small_model(1).state_dict().items()}
    model.load_state_dict(state32)
    assert model.dtype == np.float64
    loaded = model.state_dict()
    for key, value in state32.items():  # the values were assigned, cast to the model's float64
        assert loaded[key].dtype == np.float64
        np.testing.assert_array_equal(loaded[key], value.astype(np.float64))


@pytest.mark.parametrize(
    ("change", "error", "pattern"),
    [
        (lambda s: s.pop("2.bias"), KeyError, r"missing keys \['2.bias'\]"),
        (
            lambda s: s.update({"5.weight": np.zeros(1)}),
            KeyError,
            r"unexpected keys \['5.weight'\]",
        ),
        (
            lambda s: s.update({"2.weight": np.zeros((3, 1))}),
            ValueError,
            r"'2.weight' must have shape \(1, 3\), got \(3, 1\)",
        ),
        (lambda s: s.update({"2.bias": np.array(["a"])}), TypeError, r"'2.bias' must hold real numbers"),
    ],
)
def test_load_state_dict_is_strict_and_all_or_nothing(change, error, pattern) -> None:
    model = small_model(0)
    before = model.state_dict()
    state = small_model(1).state_dict()  # valid values for the keys that come first
    change(state)
    with pytest.raises(error, match=pattern):
        model.load_state_dict(state)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_save_load_round_trip_atomic(tmp_path) -> None:
    a, b = small_model(0), small_model(1)
    path = tmp_path / "weights.npz"
    a.save(path)
    assert sorted(os.listdir(tmp_path)) == ["weights.npz"]  # no temporary file left behind
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # the mode open() gives, not mkstemp's 0600
    assert b.load(path) is b
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[k], v)
    loaded = tnp.load(path)
    assert set(loaded) == set(a.state_dict())
    other = tmp_path / "no_suffix"
    tnp.save(a, other)  # written exactly where asked
    assert other.exists()


def test_a_failed_save_leaves_the_old_file_intact(tmp_path, monkeypatch) -> None:
    path = tmp_path / "w.npz"
    small_model(0).save(path)
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        small_model(1).save(path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["w.npz"]


def test_load_rejects_corrupt_mismatched_and_pickled_files(tmp_path) -> None:
    model = small_model(0)
    before = model.state_dict()
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"this is not a zip file")
    with pytest.raises(
        ValueError,
        match=r"corrupt\.npz: the file must be a tinygrad_np \.npz weights file \(a zip archive of \.npy arrays\), "
        r"got a file that is not a zip archive$",
    ):
        model.load(corrupt)
    truncated = tmp_path / "truncated.npz"
    small_model(1).save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:200])
    with pytest.raises(ValueError, match="truncated.npz"):
        model.load(truncated)
    other = tmp_path / "other.npz"
    deep_model().save(other)
    with pytest.raises(
        KeyError, match=r"other.npz.*unexpected keys \['4.weight', '4.bias', '6.weight', '6.bias'\]"
    ):
        model.load(other)
    mismatched = tmp_path / "mismatched.npz"
    tnp.Sequential(tnp.Linear(5, 3), tnp.Tanh(), tnp.Linear(3, 1), tnp.Sigmoid()).save(mismatched)
    with pytest.raises(
        ValueError,
        match=r"mismatched.npz.*'0.weight' must have shape \(3, 4\), got \(3, 5\)",
    ):
        model.load(mismatched)
    pickled = tmp_path / "pickled.npz"
    with zipfile.ZipFile(pickled, "w") as z, z.open("0.weight.npy", "w") as f:
        np.lib.format.write_array(f, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="pickled.npz"):
        model.load(pickled)
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        model.load(tmp_path / "missing.npz")
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_save_refuses_object_arrays(tmp_path) -> None:
    with pytest.raises(TypeError, match="pickle"):
        tnp.save({"a": np.array([{}], dtype=object)}, tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


def test_to_changes_dtype() -> None:
    model = small_model().to(np.float32)
    assert model.dtype == np.float32
    assert model(np.zeros((2, 4), dtype=np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match="floating-point"):
        model.to(np.int32)


def test_pytorch_state_dict_loads_as_is() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is optional; this checks key/shape compatibility")
    net = torch.nn.Sequential(
        torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1), torch.nn.Sigmoid()
    ).double()
    model = tnp.Sequential(tnp.Linear(4, 3), tnp.ReLU(), tnp.Linear(3, 1), tnp.Sigmoid())
    model.load_state_dict({k: v.numpy() for k, v in net.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(5, 4))
    np.testing.assert_allclose(model(x), net(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)
    assert list(model.state_dict()) == list(net.state_dict())
