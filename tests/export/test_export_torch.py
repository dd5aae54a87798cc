"""to_torch / from_torch: the same model in PyTorch with the same weights, buffers, dtype and mode,
and round trips that change nothing."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from export_cases import CASES, DTYPES, IDS, ExportCase, assert_same_outputs

import tinygrad_np as tnp
from tinygrad_np.export import UnsupportedLayerError, from_torch, to_torch

torch = pytest.importorskip("torch", reason="PyTorch missing: pip install torch")


def torch_out(module: object, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


def same_state(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(
        b
    )  # PyTorch lists buffers after each layer's parameters, tinygrad_np after all
    for k in a:
        assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), k


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_to_torch_gives_the_same_model(case: ExportCase, dtype: type) -> None:
    model = case.model(dtype).eval()
    twin = to_torch(model)
    same_state(model.state_dict(), {k: v.numpy() for k, v in twin.state_dict().items()})
    assert not twin.training
    for batch in (1, 64):
        x = case.inputs(batch, dtype)
        assert_same_outputs(torch_out(twin, x), model(x))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_round_trip_through_torch_changes_nothing(case: ExportCase, dtype: type) -> None:
    model = case.model(dtype).eval()
    back = from_torch(to_torch(model))
    assert type(back) is type(model) and repr(back) == repr(model)
    same_state(back.state_dict(), model.state_dict())
    x = case.inputs(64, dtype)
    np.testing.assert_array_equal(back(x), model(x))  # identical, not merely close


def test_nesting_is_kept_and_nothing_is_shared() -> None:
    case = next(c for c in CASES if c.name == "nested")
    model = case.model(np.float64)
    twin = to_torch(model)
    assert isinstance(twin[2], torch.nn.Sequential) and isinstance(twin[2][2], torch.nn.Sequential)
    model[0].weight.data[0, 0] += 1.0
    assert twin[0].weight[0, 0].item() != model[0].weight.data[0, 0]


def native_torch_model(dtype: torch.dtype) -> torch.nn.Sequential:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(9, 8),
        torch.nn.LeakyReLU(0.1),
        torch.nn.Dropout(0.3),
        torch.nn.Sequential(torch.nn.Linear(8, 6, bias=False), torch.nn.Tanh()),
        torch.nn.Linear(6, 1),
        torch.nn.Sigmoid(),
    ).to(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_from_torch_then_back(dtype: torch.dtype) -> None:
    module = native_torch_model(dtype).eval()
    model = from_torch(module)
    assert model.dtype == np.dtype(str(dtype).removeprefix("torch."))
    assert isinstance(model[3], tnp.Sequential) and model[3][0].bias is None
    assert model[1].negative_slope == 0.1 and model[2].p == 0.3 and not model.training
    x = np.random.default_rng(0).standard_normal((64, 9)).astype(model.dtype)
    assert_same_outputs(model(x), torch_out(module, x))
    again = to_torch(model)
    np.testing.assert_array_equal(torch_out(again, x), torch_out(module, x))
    same_state(
        {k: v.numpy() for k, v in again.state_dict().items()},
        {k: v.numpy() for k, v in module.state_dict().items()},
    )


def test_modes_follow() -> None:
    module = native_torch_model(torch.float64).train()
    assert all(layer.training for layer in from_torch(module).modules())
    model = tnp.Sequential(tnp.Linear(2, 2), tnp.Dropout(0.5, rng=0)).eval()
    assert not any(m.training for m in to_torch(model).modules())


class CubeFn(tnp.Function):
    @staticmethod
    def forward(ctx, a):
        return a**3


class Cube(tnp.Layer):
    _array_forward = True

    def forward(self, x):
        return self._call_function(CubeFn, x)


def test_unsupported_layers_are_named() -> None:
    with pytest.raises(
        UnsupportedLayerError,
        match=r"^from_torch: layer '1\.0' must be a layer with a converter \(.*Linear.*\), got a GELU",
    ):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sequential(torch.nn.GELU())))
    with pytest.raises(
        UnsupportedLayerError,
        match=r"^to_torch: layer '0' \(a Cube\) must compute Functions that have a torch converter \(.*\), got CubeFn",
    ):
        to_torch(tnp.Sequential(Cube()), input_shape=(3,))
    with pytest.raises(
        UnsupportedLayerError, match=r"^from_torch: the model must be a layer with .*, got a ModuleList"
    ):
        from_torch(torch.nn.ModuleList([torch.nn.ReLU()]))


def test_bad_inputs() -> None:
    with pytest.raises(
        TypeError, match=r"^from_torch: the module's parameters must share one dtype, float32 or float64"
    ):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2).half()))
    with pytest.raises(TypeError, match=r"^from_torch: module must be a torch.nn.Module"):
        from_torch(tnp.Linear(2, 2))
    with pytest.raises(TypeError, match=r"^to_torch: model must be a tinygrad_np Layer"):
        to_torch(torch.nn.Linear(2, 2))


def test_without_torch_the_error_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(
        ImportError,
        match=r"to_torch: the optional package 'torch' must be installed, got no module named 'torch'; pip install torch",
    ):
        to_torch(tnp.Sequential(tnp.Linear(3, 2)))


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (
            lambda: torch.nn.Conv2d(2, 3, 3, dilation=2),
            r"\(a Conv2d\) must have dilation=1 \(the only value tinygrad_np supports\), got dilation=\(2, 2\)",
        ),
        (lambda: torch.nn.Conv2d(2, 4, 3, groups=2), r"\(a Conv2d\) must have groups=1 .*, got groups=2"),
        (
            lambda: torch.nn.Conv2d(2, 4, 3, padding="same"),
            r"\(a Conv2d\) must have padding as a pair of ints, got padding='same'",
        ),
        (lambda: torch.nn.MaxPool2d(2, padding=1), r"\(a MaxPool2d\) must have padding=0 .*, got padding=1"),
        (
            lambda: torch.nn.AvgPool2d(2, ceil_mode=True),
            r"\(a AvgPool2d\) must have ceil_mode=False .*, got ceil_mode=True",
        ),
        (
            lambda: torch.nn.BatchNorm2d(3, affine=False),
            r"\(a BatchNorm2d\) must have affine=True .*, got affine=False",
        ),
        (
            lambda: torch.nn.Softmax(),
            r"\(a Softmax\) must have a dim, got dim=None; give the dimension explicitly",
        ),
    ],
)
def test_torch_settings_tinygrad_np_lacks_are_named(module, message: str) -> None:
    with pytest.raises(UnsupportedLayerError, match=rf"^from_torch: layer '1' {message}"):
        from_torch(torch.nn.Sequential(torch.nn.ReLU(), module()))


def test_a_native_torch_cnn_comes_over() -> None:
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(64, 10),
        torch.nn.LogSoftmax(dim=1),
    ).double()
    x = np.random.default_rng(0).standard_normal((16, 3, 8, 8))
    module.train()(torch.from_numpy(x))  # move the running statistics away from 0 and 1
    module.eval()
    model = from_torch(module)
    assert isinstance(model[1], tnp.BatchNorm2d) and int(model[1].num_batches_tracked) == 1
    assert_same_outputs(model(x), torch_out(module, x))
