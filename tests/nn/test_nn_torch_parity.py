"""The CNN layers and CrossEntropyLoss against PyTorch in float64 (to 1e-10): forward, input gradient,
parameter gradients, BatchNorm's running statistics after several steps, and a PyTorch CNN's state
dict loaded as is. Skipped when torch is not installed."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tnp

torch = pytest.importorskip("torch")
TOL = dict(rtol=1e-10, atol=1e-10)


def run_both(ours: tnp.Layer, theirs, x: np.ndarray, rng: np.random.Generator) -> None:
    """Forward and backward through both with the same input and output gradient; compare."""
    y = ours(x)
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    np.testing.assert_allclose(y, yt.detach().numpy(), **TOL)
    g = rng.standard_normal(y.shape)
    theirs.zero_grad()  # PyTorch accumulates gradients; ours are overwritten by every backward
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.backward(g), xt.grad.numpy(), **TOL)
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, named[name].grad.numpy(), **TOL, err_msg=name)


def copy_weights(ours: tnp.Layer, theirs) -> None:
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


CONV_ARGS = [
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(in_channels=2, out_channels=5, kernel_size=(3, 2), stride=(2, 1), padding=(1, 2)),
    dict(in_channels=1, out_channels=2, kernel_size=1, bias=False),
    dict(in_channels=4, out_channels=3, kernel_size=5, stride=3, padding=2),
    # stride 1 and out <= in channels: the input gradient as a convolution of g (ops/conv.py)
    dict(in_channels=4, out_channels=3, kernel_size=(3, 2), padding=(2, 0)),
    dict(in_channels=3, out_channels=3, kernel_size=3, padding=1, bias=False),
    dict(in_channels=3, out_channels=2, kernel_size=2, padding=(2, 1)),  # padding 2 >= kernel: col2im
]


@pytest.mark.parametrize("args", CONV_ARGS)
def test_conv2d_matches_torch(args) -> None:
    rng = np.random.default_rng(0)
    theirs = torch.nn.Conv2d(**args).double()
    ours = tnp.Conv2d(**args)
    copy_weights(ours, theirs)
    run_both(ours, theirs, rng.standard_normal((3, args["in_channels"], 9, 8)), rng)


@pytest.mark.parametrize("images_per_block", [1, 2])
@pytest.mark.parametrize("args", CONV_ARGS)
def test_conv2d_matches_torch_in_blocks_of_images(monkeypatch, args, images_per_block) -> None:
    """Conv2dFunction runs the batch in blocks of images: one image per block, and blocks of 2 for a
    batch of 5 (the last block shorter) give PyTorch's numbers too."""
    from tinygrad_np.ops import conv

    rng = np.random.default_rng(0)
    theirs = torch.nn.Conv2d(**args).double()
    ours = tnp.Conv2d(**args)
    copy_weights(ours, theirs)
    x = rng.standard_normal((5, args["in_channels"], 9, 8))
    _, _, oh, ow = ours.output_shape(x.shape)
    rows = ours.weight[0].size
    monkeypatch.setattr(conv, "BLOCK_BYTES", images_per_block * rows * oh * ow * x.itemsize)
    assert len(conv.blocks(len(x), rows, oh * ow, x.itemsize)) == -(-len(x) // images_per_block)
    run_both(ours, theirs, x, rng)


@pytest.mark.parametrize(
    "c, o, k, hw, p, n",
    [(1, 32, 3, 28, 1, 64), (64, 64, 3, 32, 1, 16), (3, 32, 5, 64, 2, 8), (32, 64, 3, 14, 1, 64)],
)
def test_conv2d_matches_torch_in_float32_at_the_benchmark_sizes(c, o, k, hw, p, n) -> None:
    """float32 stays float32 and agrees with PyTorch up to rounding (sums of c*k*k products) at the
    sizes of benchmarks/conv.py and the Fashion CNN (batches cut to keep the test short)."""
    rng = np.random.default_rng(0)
    theirs = torch.nn.Conv2d(c, o, k, padding=p)
    ours = tnp.Conv2d(c, o, k, padding=p, dtype=np.float32)
    copy_weights(ours, theirs)
    x = rng.standard_normal((n, c, hw, hw)).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    y, yt = ours(x), theirs(xt)
    g = rng.standard_normal(y.shape).astype(np.float32)
    yt.backward(torch.tensor(g))
    dx = ours.backward(g)
    pairs = [
        (y, yt),
        (dx, xt.grad),
        (ours.weight.grad, theirs.weight.grad),
        (ours.bias.grad, theirs.bias.grad),
    ]
    for a, b in pairs:
        b = b.detach().numpy()
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * np.abs(b).max())


@pytest.mark.parametrize("kind", ["MaxPool2d", "AvgPool2d"])
@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 2), ((2, 3), (1, 2)), (3, 1)])
def test_pooling_matches_torch(kind, kernel, stride) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 9, 7))
    x[0, 0, :3, :3] = 0.5  # ties: both send the gradient to the first maximum
    run_both(getattr(tnp, kind)(kernel, stride), getattr(torch.nn, kind)(kernel, stride), x, rng)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 4, 2)])
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batchnorm_matches_torch_in_training_and_eval(shape, momentum) -> None:
    rng = np.random.default_rng(2)
    cls = "BatchNorm2d" if len(shape) == 4 else "BatchNorm1d"
    theirs = getattr(torch.nn, cls)(3, momentum=momentum).double()
    ours = getattr(tnp, cls)(3, momentum=momentum)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(rng.uniform(0.5, 2, 3)))
        theirs.bias.copy_(torch.tensor(rng.standard_normal(3)))
    copy_weights(ours, theirs)
    for _ in range(4):  # training mode: batch statistics, and the running ones updated every step
        run_both(ours, theirs, 2 * rng.standard_normal(shape) + 1, rng)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), **TOL, err_msg=name)
    assert ours.num_batches_tracked.dtype == np.int64 and ours.num_batches_tracked == 4
    ours.eval()
    theirs.eval()
    run_both(ours, theirs, rng.standard_normal(shape), rng)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_cross_entropy_matches_torch(smoothing, reduction, scale) -> None:
    rng = np.random.default_rng(3)
    z = scale * rng.standard_normal((7, 5))
    t = rng.integers(0, 5, 7)
    t[2] = -100  # ignored
    ours = tnp.CrossEntropyLoss(reduction, label_smoothing=smoothing)
    theirs = torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing)
    zt = torch.tensor(z, requires_grad=True)
    lt = theirs(zt, torch.tensor(t))
    lt.backward()
    assert ours(z, t) == pytest.approx(lt.item(), rel=1e-10, abs=1e-10)
    np.testing.assert_allclose(ours.backward(), zt.grad.numpy(), **TOL)


def test_softmax_and_logsoftmax_match_torch() -> None:
    rng = np.random.default_rng(4)
    x = 300 * rng.standard_normal((3, 4, 5))
    for dim in (0, 1, -1):
        run_both(tnp.Softmax(dim), torch.nn.Softmax(dim), x, rng)
        run_both(tnp.LogSoftmax(dim), torch.nn.LogSoftmax(dim), x, rng)


def _torch_cnn():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(6 * 2 * 2, 5),
    ).double()  # fmt: skip


def _tnp_cnn():
    return tnp.Sequential(
        tnp.Conv2d(1, 4, 3, padding=1), tnp.BatchNorm2d(4), tnp.ReLU(), tnp.MaxPool2d(2),
        tnp.Conv2d(4, 6, 3), tnp.BatchNorm2d(6), tnp.ReLU(), tnp.MaxPool2d(2),
        tnp.Flatten(), tnp.Linear(6 * 2 * 2, 5),
    )  # fmt: skip


def test_a_torch_cnn_state_dict_loads_as_is_and_gives_the_same_outputs() -> None:
    rng = np.random.default_rng(5)
    theirs = _torch_cnn()
    opt = torch.optim.SGD(theirs.parameters(), lr=0.1)
    for _ in range(3):  # some training, so that the running statistics are not their initial values
        opt.zero_grad()
        out = theirs(torch.tensor(rng.standard_normal((8, 1, 12, 12))))
        torch.nn.functional.cross_entropy(out, torch.tensor(rng.integers(0, 5, 8))).backward()
        opt.step()
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert "1.running_mean" in state and "5.num_batches_tracked" in state
    ours = _tnp_cnn().load_state_dict(state)
    assert sorted(ours.state_dict()) == sorted(state)  # (the Layer tree lists parameters before buffers)
    x = rng.standard_normal((4, 1, 12, 12))
    theirs.eval()
    ours.eval()
    np.testing.assert_allclose(ours(x), theirs(torch.tensor(x)).detach().numpy(), **TOL)
    theirs.train()
    ours.train()
    t = rng.integers(0, 5, 4)
    theirs.zero_grad()
    out = theirs(torch.tensor(x))
    torch.nn.functional.cross_entropy(out, torch.tensor(t)).backward()
    loss_fn = tnp.CrossEntropyLoss()
    assert loss_fn(ours(x), t) == pytest.approx(
        torch.nn.functional.cross_entropy(out, torch.tensor(t)).item(), rel=1e-10
    )
    ours.backward(loss_fn.backward())
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, named[name].grad.numpy(), **TOL, err_msg=name)
    for name, value in theirs.state_dict().items():  # running statistics after the same train step
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), **TOL, err_msg=name)
