"""Any Module exports: a Module subclass with a skip connection and a shared layer (and one inside a
Sequential) is traced to ONNX (checker + onnxruntime) and to PyTorch (same outputs, state-dict keys and
gradients), and comes back with ``from_torch(..., into=)``. Every formula of ``ops`` has a converter in
both tables, each exercised here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest
from export_cases import DTYPES, assert_same_outputs

import tinygrad_np as tnp
import tinygrad_np.ops
from tinygrad_np.export import (
    ONNX_CONVERTERS,
    TORCH_CONVERTERS,
    UnsupportedLayerError,
    build_onnx,
    from_torch,
    to_onnx,
    to_torch,
)
from tinygrad_np.ops import activations as act
from tinygrad_np.ops import elementwise as ew

onnx = pytest.importorskip("onnx", reason="onnx missing: pip install -e '.[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime missing: pip install -e '.[onnx]'")
torch = pytest.importorskip("torch", reason="PyTorch missing: pip install torch")


class Block(tnp.Module):
    """h + fc(act(fc(h))): a skip connection around one Linear used twice."""

    def __init__(self, n: int, dtype: object, rng: np.random.Generator) -> None:
        super().__init__()
        self.fc = tnp.Linear(n, n, rng=rng, dtype=dtype)
        self.act = tnp.LeakyReLU(0.1)

    def forward(self, h: tnp.Tensor) -> tnp.Tensor:
        return h + self.fc(self.act(self.fc(h)))


class Net(tnp.Module):
    def __init__(self, dtype: object = np.float64, seed: int = 0) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.inp = tnp.Linear(5, 8, rng=rng, dtype=dtype)
        self.block = Block(8, dtype, rng)
        self.drop = tnp.Dropout(0.5, rng=0)
        self.out = tnp.Linear(8, 3, rng=rng, dtype=dtype)
        for p in self.parameters():  # biases start at zero: make every number count
            p.data = (p.data + rng.normal(0, 0.5, p.data.shape)).astype(dtype)

    def forward(self, x: tnp.Tensor) -> tnp.Tensor:
        h = self.inp(x).tanh()
        return self.out(self.drop(self.block(h)))


class Zoo(tnp.Module):
    """Every formula of ops that a forward can use, besides the layers' (one converter each)."""

    def __init__(self, dtype: object = np.float64) -> None:
        super().__init__()
        rng = np.random.default_rng(0)
        self.fc = tnp.Linear(6, 6, rng=rng, dtype=dtype)
        self.w = tnp.Parameter(rng.standard_normal((6, 3)).astype(dtype))

    def forward(self, x: tnp.Tensor) -> tnp.Tensor:
        h = self.fc(x)
        a = (h * 0.5 - 1.0).exp() / (2.0 + h.abs())
        b = ew.Clip.apply(h, lo=-1.0, hi=2.0) ** 2 + (h * h + 1.0).sqrt().log()
        c = -act.Softplus.apply(h) + tnp.functional.leaky_relu(h, 0.1) + h.sigmoid() + h.tanh() + h.relu()
        d = (a + b + c) @ self.w  # (N, 3)
        e = d.reshape(-1, 3, 1).permute(0, 2, 1)[:, 0, 1:]  # (N, 2)
        f = e.sum(axis=1, keepdims=True) + e.mean(axis=-1, keepdims=True) + e.amax(1, keepdim=True)
        g = tnp.functional.softmax(e, dim=1) + tnp.functional.log_softmax(e, dim=-1) - e.amin(-1, True)
        k = tnp.where(np.array([True, False]), tnp.cat([e, d], dim=1)[:, 1:3], e.transpose(0, 1).T)
        m = tnp.stack([e, g], dim=-1).sum(dim=2) + self.w[0, :2].expand(1, 2) + e[:, :1].expand(-1, 2)
        return e * f / 10.0 + d[..., :2] + d.amax() + d.mean() + g + k + m.to(e.dtype)


class ConvNet(tnp.Module):
    """A residual CNN: conv -> BatchNorm -> relu, plus a second conv around a skip, pools, flatten."""

    def __init__(self, dtype: object = np.float64) -> None:
        super().__init__()
        rng = np.random.default_rng(0)
        self.conv = tnp.Conv2d(2, 4, 3, padding=1, rng=rng, dtype=dtype)
        self.bn = tnp.BatchNorm2d(4, dtype=dtype)
        self.conv2 = tnp.Conv2d(4, 4, (3, 1), stride=1, padding=(1, 0), rng=rng, dtype=dtype)
        self.pool, self.avg = tnp.MaxPool2d(2), tnp.AvgPool2d((2, 1), (1, 1))
        self.flat = tnp.Flatten()
        self.fc = tnp.Linear(4 * 3 * 4, 3, rng=rng, dtype=dtype)
        self.bn.running_mean = rng.normal(0, 1, 4).astype(dtype)
        self.bn.running_var = rng.uniform(0.5, 2, 4).astype(dtype)
        for p in self.parameters():
            p.data = (p.data + rng.normal(0, 0.5, p.data.shape)).astype(dtype)

    def forward(self, x: tnp.Tensor) -> tnp.Tensor:
        h = self.bn(self.conv(x)).relu()
        h = h + self.conv2(h)  # (N, 4, 8, 8)
        return tnp.functional.log_softmax(self.fc(self.flat(self.avg(self.pool(h)))), dim=1)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_residual_cnn_exports(dtype: type, tmp_path) -> None:
    pytest.importorskip(
        "tinygrad_np.ops.conv", reason="Conv2d, the pools and BatchNorm are not Functions yet"
    )
    from onnx.reference import ReferenceEvaluator

    model = ConvNet(dtype).eval()
    x = np.random.default_rng(1).standard_normal((5, 2, 8, 8)).astype(dtype)
    proto = to_onnx(model, tmp_path / "m.onnx", (2, 8, 8))
    got = run_onnx(proto, x) if dtype == np.float32 else ReferenceEvaluator(proto).run(None, {"input": x})[0]
    assert_same_outputs(got, model(x))  # (onnxruntime has no float64 Conv: the reference evaluator)
    assert {"bn.running_mean", "conv2.weight"} <= {t.name for t in proto.graph.initializer}
    twin = to_torch(model, (2, 8, 8))
    assert sorted(twin.state_dict()) == sorted(model.state_dict()) and not twin.training
    assert_same_outputs(torch_out(twin, x), model(x))
    xt, xs = tnp.Tensor(x, requires_grad=True), torch.from_numpy(x.copy()).requires_grad_()
    model(xt).sum().backward()
    twin(xs).sum().backward()
    torch_params = dict(twin.named_parameters())
    for key, p in model.named_parameters():
        assert_same_outputs(torch_params[key].grad.numpy(), p.grad)
    assert_same_outputs(xs.grad.numpy(), xt.grad)


def inputs(batch: int, n: int, dtype: object, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((batch, n)).astype(dtype)


def run_onnx(proto: object, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def torch_out(module: object, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


MODELS = {
    "skip-and-shared": (lambda dt: Net(dt), 5),
    "module-in-sequential": (
        lambda dt: tnp.Sequential(
            tnp.Linear(4, 8, rng=0, dtype=dt), Block(8, dt, np.random.default_rng(1)), tnp.Sigmoid()
        ),
        4,
    ),
    "every-formula": (lambda dt: Zoo(dt), 6),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", MODELS)
def test_onnx_checker_and_onnxruntime_agree(name: str, dtype: type, tmp_path) -> None:
    build, n = MODELS[name]
    model = build(dtype)
    proto = to_onnx(model, tmp_path / "m.onnx", (n,))
    onnx.checker.check_model(str(tmp_path / "m.onnx"), full_check=True)
    for batch in (1, 64):  # one file, any batch size
        x = inputs(batch, n, dtype)
        assert_same_outputs(run_onnx(proto, x), model.eval()(x))
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    for key, p in model.named_parameters():  # under their dotted names, a shared layer's once
        assert np.array_equal(inits[key], p.data) and inits[key].dtype == p.dtype, key


def test_a_shared_layer_is_one_set_of_initializers_used_twice() -> None:
    proto = build_onnx(Net(np.float32), (5,))
    names = [t.name for t in proto.graph.initializer]
    assert sorted(names) == sorted(k for k, _ in Net().named_parameters())  # nothing else in float32
    gemms = [node for node in proto.graph.node if node.op_type == "Gemm" and "block.fc.weight" in node.input]
    assert [g.name for g in gemms] == ["/block/fc/Gemm", "/block/fc/Gemm_1"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", MODELS)
def test_to_torch_outputs_state_and_gradients_match(name: str, dtype: type) -> None:
    build, n = MODELS[name]
    model = build(dtype).eval()
    twin = to_torch(model, input_shape=(n,))
    assert isinstance(twin, torch.nn.Module) and not isinstance(twin, torch.nn.Sequential)
    state = {k: v.numpy() for k, v in twin.state_dict().items()}
    assert sorted(state) == sorted(model.state_dict())
    for k, v in model.state_dict().items():
        assert state[k].dtype == v.dtype and np.array_equal(state[k], v), k
    x = inputs(16, n, dtype)
    assert_same_outputs(torch_out(twin, x), model(x))
    # the same loss, backpropagated by each engine
    w = np.random.default_rng(2).standard_normal(model(x).shape).astype(dtype)
    xt = tnp.Tensor(x, requires_grad=True)
    (model(xt) * w).sum().backward()
    xs = torch.from_numpy(x.copy()).requires_grad_()
    (twin(xs) * torch.from_numpy(w)).sum().backward()
    torch_params = dict(twin.named_parameters())
    for key, p in model.named_parameters():
        assert_same_outputs(torch_params[key].grad.numpy(), p.grad)
    assert_same_outputs(xs.grad.numpy(), xt.grad)


def test_from_torch_into_brings_the_weights_back() -> None:
    model = Net()
    twin = to_torch(model)  # input_shape: (in_features,) of the first Linear
    x = inputs(8, 5, np.float64)
    np.testing.assert_array_equal(from_torch(twin, into=Net(seed=1)).eval()(x), model.eval()(x))
    opt = torch.optim.SGD(twin.parameters(), lr=0.1)  # train a step in PyTorch ...
    twin(torch.from_numpy(x)).sum().backward()
    opt.step()
    back = from_torch(twin, into=Net(seed=1))  # ... and come back
    assert back.training  # its mode is left alone
    assert_same_outputs(back.eval()(x), torch_out(twin, x))
    assert not np.array_equal(back(x), model(x))


def test_from_torch_into_is_all_or_nothing() -> None:
    model = Net()
    before = model.state_dict()
    twin = to_torch(Net(seed=1))
    del twin.block.fc.bias
    with pytest.raises(
        KeyError, match=r"^from_torch: Net.load_state_dict: .*missing keys \['block.fc.bias'\]"
    ):
        from_torch(twin, into=model)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    with pytest.raises(TypeError, match=r"^from_torch: into must be a tinygrad_np Module, got dict"):
        from_torch(twin, into={})
    with pytest.raises(
        UnsupportedLayerError, match=r"got a TracedModule; load its .*: from_torch\(module, into=model\)$"
    ):
        from_torch(twin)  # a traced module has no tinygrad_np twin to build


def test_the_traced_module_is_eval_only_with_dropout() -> None:
    twin = to_torch(Net().train())
    assert not twin.training
    twin.train()
    with pytest.raises(
        RuntimeError,
        match=r"^to_torch: this traced Net must run in eval mode \(it holds Dropout.*\), got a forward in training mode; call \.eval\(\)",
    ):
        twin(torch.zeros(2, 5, dtype=torch.float64))
    assert to_torch(Zoo().train()).training  # no Dropout or BatchNorm: the model's mode is kept


def test_export_leaves_the_model_as_it_was(tmp_path) -> None:
    model = tnp.Sequential(tnp.Linear(5, 5, rng=0), Block(5, np.float64, np.random.default_rng(0)))
    x = inputs(4, 5, np.float64)
    model(x)  # caches: the last forward's graph
    cache = model._cache
    with tnp.no_grad():  # the trace records its graph all the same ...
        to_onnx(model, tmp_path / "m.onnx", (5,))
        assert not tnp.Tensor(np.ones(2), requires_grad=True).sum().requires_grad  # ... and leaves no_grad on
    to_torch(model)
    assert model._cache is cache and all(m.training for m in model.modules())
    assert all(p.grad is None for p in model.parameters())
    assert "forward" not in vars(model[1])  # the call watcher is gone


def every_function() -> list[type]:
    """Every Function class in tinygrad_np.ops, but the losses (not part of a model's forward)."""
    found = set()
    for info in pkgutil.iter_modules(tinygrad_np.ops.__path__):
        module = importlib.import_module(f"tinygrad_np.ops.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, tnp.Function)
                and cls is not tnp.Function
                and cls.__module__ == module.__name__
            ):
                found.add(cls)
    return sorted(
        (f for f in found if f.__module__ != "tinygrad_np.ops.losses" and f.__name__ != "CrossEntropy"),
        key=lambda f: f"{f.__module__}.{f.__name__}",
    )


@pytest.mark.parametrize("fn", every_function(), ids=lambda f: f.__name__)
def test_every_formula_has_an_onnx_and_a_torch_converter(fn: type) -> None:
    assert fn in ONNX_CONVERTERS and fn in TORCH_CONVERTERS


class CubeFn(tnp.Function):
    @staticmethod
    def forward(ctx, a):
        return a**3


class HandWritten(tnp.Layer):
    def forward(self, x):
        return x

    def backward(self, grad_out, input_grad=True):
        return grad_out


class Gather(tnp.Module):
    def forward(self, x):
        return x[:, [0, 0, 1]]


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            lambda: tnp.Sequential(tnp.Linear(3, 3), HandWritten()),
            r"layer '1' must be traceable, got a HandWritten with a hand-written backward; write its formula as a tnp.Function",
        ),
        (
            lambda: tnp.Sequential(tnp.Linear(3, 3), Gather()),
            r"the index in layer '1' \(a Gather\) must be ints and slices .*, got \(slice\(None, None, None\), \[0, 0, 1\]\)",
        ),
    ],
)
def test_what_cannot_be_traced_is_named(model, message, tmp_path) -> None:
    for export in (lambda m: to_onnx(m, tmp_path / "m.onnx", (3,)), lambda m: to_torch(m, (3,))):
        with pytest.raises(UnsupportedLayerError, match=message):
            export(model())


def test_a_function_without_converter_names_the_module_path() -> None:
    class Cube(tnp.Module):
        def forward(self, x):
            return CubeFn.apply(x)

    model = tnp.Sequential(tnp.Linear(3, 3), tnp.Sequential(Cube()))
    for export in (lambda: build_onnx(model, (3,)), lambda: to_torch(model, (3,))):
        with pytest.raises(
            UnsupportedLayerError,
            match=r"layer '1\.0' \(a Cube\) must compute Functions that have an? (ONNX|torch) converter \(.*Linear.*\), got CubeFn",
        ):
            export()


def test_to_torch_needs_an_input_shape_it_cannot_guess() -> None:
    class Double(tnp.Module):
        def forward(self, x):
            return x * 2.0

    with pytest.raises(TypeError, match=r"^to_torch: input_shape must be given to trace this model"):
        to_torch(Double())
    assert_same_outputs(torch_out(to_torch(Double(), (3,)), np.ones((2, 3))), np.full((2, 3), 2.0))


def test_a_forward_that_does_not_return_a_tensor_is_named(tmp_path) -> None:
    class Pair(tnp.Module):
        def forward(self, x):
            return x, x

    with pytest.raises(TypeError, match=r"^to_onnx: the model's forward must return a Tensor, got tuple"):
        to_onnx(Pair(), tmp_path / "m.onnx", (3,))


class Frozen(tnp.Module):
    """Computes with things no graph node records, which an export would freeze at the traced values."""

    def __init__(self, how: str) -> None:
        super().__init__()
        self.fc, self.how = tnp.Linear(3, 3, rng=0), how

    def forward(self, x):
        h = self.fc(x)
        if self.how == "mask":
            return h.masked_fill(h > 0, 0.0)  # the comparison is a constant boolean array
        if self.how == "shape":
            return h / x.shape[0]  # a batch-sized number
        if self.how == "expand":
            return self.fc.bias.expand(x.shape[0], 3) + h
        return h.float()  # another dtype inside a float64 model


@pytest.mark.parametrize(
    ("how", "error", "message"),
    [
        (
            "mask",
            UnsupportedLayerError,
            r"the constant inputs of Where in the model \(a Frozen\) must be the same for every input, got one that changes with it",
        ),
        (
            "shape",
            UnsupportedLayerError,
            r"the constant inputs of Div in the model \(a Frozen\) must be the same for every input",
        ),
        (
            "expand",
            UnsupportedLayerError,
            r"the expand in the model \(a Frozen\) must keep the batch where the input has it, got \(2, 3\) at batch 2 and \(3, 3\) at batch 3",
        ),
        ("cast", ValueError, r"the output of Cast in the model \(a Frozen\) must be float64, got float32"),
    ],
)
def test_what_a_trace_would_freeze_is_named(how: str, error: type, message: str) -> None:
    for export in (lambda: build_onnx(Frozen(how), (3,)), lambda: to_torch(Frozen(how), (3,))):
        with pytest.raises(error, match=message):
            export()
