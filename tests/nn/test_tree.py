"""The Layer tree: any layer or nested model can be saved, loaded, re-initialised, summarised and cast."""

import numpy as np
import pytest

import tinygrad_np as tnp
from models.cat import course_init


def nested(seed: int = 0) -> tnp.Sequential:
    rng = np.random.default_rng(seed)
    inner = tnp.Sequential(tnp.Linear(3, 4, rng=rng), tnp.Tanh(), tnp.Linear(4, 2, rng=rng))
    return tnp.Sequential(tnp.Linear(5, 3, rng=rng), tnp.ReLU(), inner, tnp.Sigmoid())


def test_nested_names_follow_pytorch() -> None:
    model = nested()
    assert [n for n, _ in model.named_parameters()] == [
        "0.weight", "0.bias", "2.0.weight", "2.0.bias", "2.2.weight", "2.2.bias",
    ]  # fmt: skip
    assert [n for n, _ in model.named_modules()] == ["", "0", "1", "2", "2.0", "2.1", "2.2", "3"]
    assert [n for n, _ in model.named_children()] == ["0", "1", "2", "3"]


def test_a_single_linear_saves_and_loads(tmp_path) -> None:
    a, b = tnp.Linear(3, 2, rng=np.random.default_rng(0)), tnp.Linear(3, 2, rng=np.random.default_rng(1))
    a.save(tmp_path / "lin.npz")
    b.load(tmp_path / "lin.npz")
    assert set(b.state_dict()) == {"weight", "bias"}
    np.testing.assert_array_equal(a.weight.data, b.weight.data)


def test_nested_state_roundtrip_and_strictness(tmp_path) -> None:
    a, b = nested(0), nested(1)
    a.save(tmp_path / "m.npz")
    b.load(tmp_path / "m.npz")
    x = np.random.default_rng(2).normal(size=(4, 5))
    np.testing.assert_array_equal(a(x), b(x))
    state = a.state_dict()
    state.pop("2.2.bias")
    with pytest.raises(KeyError, match=r"missing keys \['2.2.bias'\]"):
        b.load_state_dict(state)


def test_init_and_course_init_reach_nested_linears() -> None:
    model = nested()
    before = model[2][0].weight.data.copy()
    tnp.nn.initialize(model, "xavier", np.random.default_rng(5))
    assert not np.array_equal(before, model[2][0].weight.data)
    course_init(model, seed=1)
    rs = np.random.RandomState(1)
    expected = [rs.randn(3, 5) / np.sqrt(5), rs.randn(4, 3) / np.sqrt(3), rs.randn(2, 4) / np.sqrt(4)]
    got = [model[0].weight.data, model[2][0].weight.data, model[2][2].weight.data]
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(e, g)


def test_to_train_eval_and_dtype_reach_every_layer() -> None:
    model = nested().to(np.float32)
    assert model.dtype == np.float32
    assert all(p.dtype == np.float32 for p in model.parameters())
    model.eval()
    assert not any(layer.training for layer in model.modules())
    model.train()
    assert all(layer.training for layer in model.modules())
    assert model(np.ones((2, 5), dtype=np.float32)).dtype == np.float32


def test_summary_shows_nested_models_on_their_own_rows() -> None:
    text = nested().summary()
    lines = text.splitlines()
    assert any(line.startswith("2 ") and "Sequential" in line for line in lines)
    row = next(line for line in lines if line.startswith("2.2"))
    assert "Linear(in_features=4, out_features=2" in row and "(batch, 2)" in row
    assert "Total params: 44 (float64" in text  # 18 + 16 + 10


def test_sequential_backward_takes_the_layer_parameter_names() -> None:
    model = nested()
    y = model(np.ones((2, 5)))
    g = np.ones_like(y)
    dx = model.backward(grad_out=g, input_grad=True)
    assert dx.shape == (2, 5)
    layer_dx = tnp.Layer.backward  # the same names on the base class
    assert layer_dx.__code__.co_varnames[:3] == model.backward.__code__.co_varnames[:3]


def test_buffers_are_saved_cast_and_loaded() -> None:
    class Scale(tnp.Layer):
        _buffers = ("factor", "count")

        def __init__(self) -> None:
            super().__init__()
            self.factor = np.array([2.0, 3.0])
            self.count = np.array(0, dtype=np.int64)

        def forward(self, x: np.ndarray) -> np.ndarray:
            return x * self.factor

    model = tnp.Sequential(tnp.Linear(2, 2), Scale())
    state = model.state_dict()
    assert set(state) == {"0.weight", "0.bias", "1.factor", "1.count"}
    model.to(np.float32)
    assert model[1].factor.dtype == np.float32 and model[1].count.dtype == np.int64
    state["1.factor"] = np.array([5.0, 7.0])
    model.load_state_dict(state)
    np.testing.assert_array_equal(model[1].factor, [5.0, 7.0])
    assert model[1].factor.dtype == np.float32
    assert all(p is not model[1].factor for p in model.parameters())  # buffers are never trained


def test_save_into_a_new_folder_creates_it(tmp_path) -> None:
    model = nested()
    model.save(tmp_path / "new" / "sub" / "w.npz")
    nested(1).load(tmp_path / "new" / "sub" / "w.npz")
    assert [p.name for p in (tmp_path / "new" / "sub").iterdir()] == ["w.npz"]


def test_gradcheck_on_a_transposed_input() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 4)).T  # (4, 5) as a non-contiguous view: 4 samples of 5 features
    report = tnp.gradcheck(nested(), x, np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0]]), tnp.BCELoss())
    assert report and report.errors["input"] < 1e-6
