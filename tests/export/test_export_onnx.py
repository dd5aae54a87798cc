"""to_onnx: every supported layer's export passes onnx.checker and runs in onnxruntime with the
model's outputs, for batch sizes 1 and 64, in float32 and float64."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from export_cases import CASES, DTYPES, IDS, ExportCase, assert_same_outputs

import tinygrad_np as tnp
from tinygrad_np.export import UnsupportedLayerError, build_onnx, to_onnx

onnx = pytest.importorskip("onnx", reason="onnx missing: pip install -e '.[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime missing: pip install -e '.[onnx]'")


class CubeFn(tnp.Function):
    """A formula the exporter has never heard of."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a**3

    @staticmethod
    def backward(ctx, g):
        return (3 * g * ctx.saved_tensors[0] ** 2,)


class Cube(tnp.Layer):
    _array_forward = True

    def forward(self, x):
        return self._call_function(CubeFn, x)


def run_onnx(path: object, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def run_reference(path: object, x: np.ndarray) -> np.ndarray:
    from onnx.reference import ReferenceEvaluator

    return ReferenceEvaluator(str(path)).run(None, {"input": x})[0]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_onnxruntime_gives_the_models_outputs(case: ExportCase, dtype: type, tmp_path) -> None:
    model = case.model(dtype)
    path = tmp_path / "model.onnx"
    to_onnx(model, path, case.example_shape)
    onnx.checker.check_model(str(path), full_check=True)
    model.eval()
    run = run_onnx if dtype == np.float32 or case.ort_float64 else run_reference
    for batch in (1, 64):  # one file, any batch size
        x = case.inputs(batch, dtype)
        assert_same_outputs(run(path, x), model(x))


@pytest.mark.parametrize("case", [c for c in CASES if not c.ort_float64], ids=lambda c: c.name)
def test_onnxruntime_has_no_float64_conv_or_avgpool(case: ExportCase, tmp_path) -> None:
    # Documented limitation (docs/export.md); if this starts failing, onnxruntime gained the kernels:
    # drop ort_float64=False from the cases and this test.
    to_onnx(case.model(np.float64), tmp_path / "m.onnx", case.example_shape)
    with pytest.raises(Exception, match="NOT_IMPLEMENTED"):
        run_onnx(tmp_path / "m.onnx", case.inputs(2, np.float64))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_parameters_are_initializers_named_as_in_the_state_dict(
    case: ExportCase, dtype: type, tmp_path
) -> None:
    model = case.model(dtype)
    proto = to_onnx(model, tmp_path / "m.onnx", case.example_shape)
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    for key, value in model.state_dict().items():
        if key.endswith("num_batches_tracked"):
            continue  # not used at inference
        if key.endswith("running_var") and key not in inits:  # float64 eps that float32 would round
            key, value = key + "_plus_eps", value + 1e-5
        assert key in inits, f"{key} missing from {sorted(inits)}"
        assert inits[key].dtype == value.dtype and np.array_equal(inits[key], value), key
    (inp,), (out,) = proto.graph.input, proto.graph.output
    assert [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim] == [
        "batch",
        *case.example_shape,
    ]
    # the output's dims: fixed sizes, "batch" where the size is the batch's, unknown where it follows
    # the batch otherwise (flatten-all: batch * 8)
    model.eval()
    at2, at3 = (model(case.inputs(b, dtype)).shape for b in (2, 3))
    want = [a if a == b else "batch" if (a, b) == (2, 3) else None for a, b in zip(at2, at3, strict=True)]
    assert [_dim(d) for d in out.type.tensor_type.shape.dim] == want
    if case.name != "flatten-all":
        assert out.type.tensor_type.shape.dim[0].dim_param == "batch"
    elem = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    assert inp.type.tensor_type.elem_type == out.type.tensor_type.elem_type == elem


def _dim(d: object) -> object:
    return d.dim_param if d.HasField("dim_param") else d.dim_value if d.HasField("dim_value") else None


def test_exports_in_eval_mode_and_leaves_the_mode_alone(tmp_path) -> None:
    case = next(c for c in CASES if c.name == "cat-like-mlp")
    model = case.model(np.float64).train()
    to_onnx(model, tmp_path / "m.onnx", case.example_shape)
    assert all(layer.training for layer in model.modules())
    x = case.inputs(64, np.float64)
    assert_same_outputs(run_onnx(tmp_path / "m.onnx", x), model.eval()(x))


@pytest.mark.parametrize("opset", [13, 17, 18])
def test_opsets(opset: int, tmp_path) -> None:
    case = next(c for c in CASES if c.name == "nested")
    model = case.model(np.float64).eval()
    proto = to_onnx(model, tmp_path / "m.onnx", case.example_shape, opset=opset)
    assert [o.version for o in proto.opset_import] == [opset]
    onnx.checker.check_model(str(tmp_path / "m.onnx"), full_check=True)
    x = case.inputs(5, np.float64)
    assert_same_outputs(run_onnx(tmp_path / "m.onnx", x), model(x))


def test_a_layer_without_counterpart_is_a_clear_error_and_writes_nothing(tmp_path) -> None:
    model = tnp.Sequential(tnp.Linear(3, 2), tnp.Sequential(tnp.ReLU(), Cube()))
    path = tmp_path / "m.onnx"
    path.write_bytes(b"previous")
    with pytest.raises(
        UnsupportedLayerError,
        match=r"to_onnx: layer '1\.1' \(a Cube\) must compute Functions that have an ONNX converter \(.*Linear.*\), got CubeFn; register one with onnx_converter",
    ):
        to_onnx(model, path, (3,))
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]  # no temporary file left behind


def test_empty_and_parameterless_models(tmp_path) -> None:
    for model in (tnp.Sequential(), tnp.Sequential(tnp.Dropout(0.3, rng=0)), tnp.Tanh()):
        to_onnx(model, tmp_path / "m.onnx", (4,), dtype=np.float32)
        x = np.linspace(-3, 3, 8, dtype=np.float32).reshape(2, 4)
        assert_same_outputs(run_onnx(tmp_path / "m.onnx", x), model.eval()(x))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"input_shape": (5,)},
            ValueError,
            r"input_shape must fit the model, got \(5,\): layer 0: Linear\(in_features=3.*must have shape \(batch, 3\)",
        ),
        ({"input_shape": (0,)}, TypeError, r"input_shape must be the shape of one example"),
        ({"input_shape": "3"}, TypeError, r"input_shape must be the shape of one example"),
        ({"input_shape": (3,), "opset": 9}, ValueError, r"opset must be an int from 13 to"),
    ],
)
def test_bad_arguments(kwargs: dict, error: type, message: str, tmp_path) -> None:
    model = tnp.Sequential(tnp.Linear(3, 2))
    with pytest.raises(error, match=f"^to_onnx: {message}"):
        to_onnx(model, tmp_path / "m.onnx", **kwargs)


def test_input_shape_may_name_the_batch_axis() -> None:
    model = tnp.Sequential(tnp.Linear(3, 2))
    a, b = build_onnx(model, (3,)), build_onnx(model, (None, 3))
    assert a.SerializeToString() == b.SerializeToString()


def test_mixed_dtypes_and_non_models_are_rejected(tmp_path) -> None:
    model = tnp.Sequential(tnp.Linear(3, 2, dtype=np.float32), tnp.Linear(2, 1))
    with pytest.raises(ValueError, match="parameters must share one dtype"):
        to_onnx(model, tmp_path / "m.onnx", (3,))
    with pytest.raises(TypeError, match="model must be a tinygrad_np Layer"):
        to_onnx(lambda x: x, tmp_path / "m.onnx", (3,))


def test_without_onnx_the_error_says_what_to_install(monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(
        ImportError,
        match=r"to_onnx: the optional package 'onnx' must be installed, got no module named 'onnx'; pip install -e '\.\[onnx\]'",
    ):
        to_onnx(tnp.Sequential(tnp.Linear(3, 2)), tmp_path / "m.onnx", (3,))


def test_importing_the_library_imports_no_optional_package() -> None:
    code = (
        "import sys, tinygrad_np, tinygrad_np.export; "
        "print(sorted(m for m in ('onnx', 'onnxruntime', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
