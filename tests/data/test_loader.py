"""Datasets and the DataLoader: every sample once per epoch in a seeded order, drop_last, one-shot
gathering for arrays and a per-sample fallback, transforms on the inputs only, resume mid-epoch with the
same batches and augmentations, fit() over a loader, and the error form."""

import signal

import numpy as np
import pytest
from builders import small_binary_data, small_mlp
from datafiles import needs_fashion_data

import tinygrad_np as tnp
from tinygrad_np.data import (
    BatchIterator,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    dataset_labels,
    random_split,
)
from tinygrad_np.data.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip, ToFloat
from tinygrad_np.serialization import load, save
from tinygrad_np.train import Callback, fit
from tinygrad_np.train.checkpoint import load_checkpoint


def _arrays(m=23, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((m, 1, 4, 4)).astype(np.float32), np.arange(m)


class _OneByOne(Dataset):
    """A generic map-style dataset: samples made one at a time."""

    def __init__(self, x, y):
        self.x, self.y, self.calls = x, y, 0

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        self.calls += 1
        return self.x[i], self.y[i]


class _NoPerSample(TensorDataset):
    def __getitem__(self, i):
        raise AssertionError("an array-backed dataset must be gathered in one step, not per sample")


def _epoch(loader):
    return [tuple(np.copy(a) for a in batch) for batch in loader]


# -- datasets -------------------------------------------------------------------------------------


def test_tensor_dataset_samples_and_batches():
    x, y = _arrays()
    ds = TensorDataset(x, y)
    assert len(ds) == 23 and ds.tensors == (x, y)
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi, x[4]) and yi == 4
    xb, yb = ds.gather(np.array([5, 0, 5]))
    np.testing.assert_array_equal(yb, [5, 0, 5])
    np.testing.assert_array_equal(xb, x[[5, 0, 5]])
    assert "TensorDataset(float32[23, 1, 4, 4], int64[23])" == repr(ds)


def test_subset_random_split_and_labels():
    x, y = _arrays(10)
    ds = _NoPerSample(x, y)
    a, b = random_split(ds, [7, 3], np.random.default_rng(0))
    assert len(a) == 7 and len(b) == 3
    assert sorted(np.concatenate([a.indices, b.indices]).tolist()) == list(range(10))
    np.testing.assert_array_equal(a.gather(slice(0, 3))[1], a.indices[:3])  # composed, still one step
    np.testing.assert_array_equal(dataset_labels(b), b.indices)
    generic = _OneByOne(x, y * 2)
    np.testing.assert_array_equal(dataset_labels(generic), y * 2)
    np.testing.assert_array_equal(dataset_labels(Subset(generic, [3, 1])), [6, 2])


# -- the loader: coverage, order, drop_last, gathering --------------------------------------------


@pytest.mark.parametrize(
    ("m", "batch_size", "drop_last"), [(23, 5, False), (23, 5, True), (20, 5, True), (3, 8, False)]
)
def test_every_sample_once_per_epoch_in_the_seeded_order(m, batch_size, drop_last):
    x, y = _arrays(m)
    loader = DataLoader(TensorDataset(x, y), batch_size, shuffle=True, drop_last=drop_last,
                        rng=np.random.default_rng(4))  # fmt: skip
    reference = np.random.default_rng(4)
    kept = m - m % batch_size if drop_last else m
    assert len(loader) == (m // batch_size if drop_last else -(-m // batch_size))
    epochs = []
    for _ in range(3):
        batches = _epoch(loader)
        assert len(batches) == len(loader)
        assert all(len(xb) == batch_size for xb, _ in batches[: kept // batch_size])
        order = np.concatenate([yb for _, yb in batches])
        np.testing.assert_array_equal(order, reference.permutation(m)[:kept])  # the seeded order
        if not drop_last:
            assert sorted(order.tolist()) == list(range(m))  # every sample exactly once
        for xb, yb in batches:
            np.testing.assert_array_equal(xb, x[yb])  # inputs stay with their labels
        epochs.append(order)
    assert not np.array_equal(epochs[0], epochs[1])  # a new order each epoch


def test_array_datasets_are_gathered_in_one_step_and_generic_ones_per_sample():
    x, y = _arrays()
    fast = _epoch(DataLoader(_NoPerSample(x, y), 4, shuffle=True, rng=np.random.default_rng(1)))
    generic = _OneByOne(x, y)
    slow = _epoch(DataLoader(generic, 4, shuffle=True, rng=np.random.default_rng(1)))
    assert generic.calls == 23
    plain = _epoch(
        DataLoader([(x[i], y[i]) for i in range(23)], 4, shuffle=True, rng=np.random.default_rng(1))
    )
    for a, b, c in zip(fast, slow, plain, strict=True):
        for u, v, w in zip(a, b, c, strict=True):
            np.testing.assert_array_equal(u, v)
            np.testing.assert_array_equal(u, w)
            assert u.dtype == v.dtype


def test_in_order_batches_are_views_and_single_arrays_work():
    x, y = _arrays()
    batches = list(DataLoader(TensorDataset(x, y), 10))
    assert [len(b[0]) for b in batches] == [10, 10, 3]
    assert all(np.shares_memory(xb, x) for xb, _ in batches)
    only_x = list(DataLoader(TensorDataset(x), 10, drop_last=True))
    assert len(only_x) == 2 and isinstance(only_x[0], tuple) and only_x[0][0].shape == (10, 1, 4, 4)
    stacked = list(DataLoader(list(x), 10))  # samples that are single arrays: batches are arrays
    np.testing.assert_array_equal(stacked[2], x[20:])


def test_the_transform_maps_the_inputs_only_from_the_loaders_stream():
    images = (np.random.default_rng(0).random((30, 1, 6, 6)) * 255).astype(np.uint8)
    labels = np.arange(30)
    tf = Compose([ToFloat(), RandomCrop(6, padding=1), RandomHorizontalFlip(), Normalize(0.5, 0.5)])

    def run(seed):
        return _epoch(DataLoader(TensorDataset(images, labels), 8, shuffle=True, transform=tf,
                                 rng=np.random.default_rng(seed)))  # fmt: skip

    a, b, c = run(1), run(1), run(2)
    rng = np.random.default_rng(1)  # the documented stream: the order, then each batch's draws
    order = rng.permutation(30)
    for (xb, yb), (xb2, yb2), start in zip(a, b, range(0, 30, 8), strict=True):
        idx = order[start : start + 8]
        np.testing.assert_array_equal(yb, idx)
        np.testing.assert_array_equal(xb, tf(images[idx], rng))
        assert xb.dtype == np.float32 and xb.shape == (len(idx), 1, 6, 6)
        np.testing.assert_array_equal(xb, xb2)
        np.testing.assert_array_equal(yb, yb2)
    assert not np.array_equal(a[0][0], c[0][0])


def test_batch_iterator_is_a_loader_over_arrays():
    x, y = _arrays()
    it = BatchIterator(x, y, 5, shuffle=True, rng=np.random.default_rng(0))
    assert isinstance(it, DataLoader) and len(it) == 5 and it.x is x
    order = np.concatenate([yb for _, yb in it])
    np.testing.assert_array_equal(order, np.random.default_rng(0).permutation(23))


# -- resume ---------------------------------------------------------------------------------------


def _augmenting_loader(seed):
    images = (np.random.default_rng(0).random((21, 1, 5, 5)) * 255).astype(np.uint8)
    tf = Compose([ToFloat(), RandomCrop(5, padding=2), RandomHorizontalFlip()])
    return DataLoader(TensorDataset(images, np.arange(21)), 4, shuffle=True, transform=tf,
                      rng=np.random.default_rng(seed))  # fmt: skip


@pytest.mark.parametrize("stop_at", [0, 1, 3, 6])  # 6: the epoch's last batch was handed out
def test_resume_mid_epoch_gives_the_same_batches_and_augmentations(tmp_path, stop_at):
    loader = _augmenting_loader(7)
    want = [batch for _ in range(3) for batch in _epoch(loader)]  # 3 epochs of 6 batches
    loader = _augmenting_loader(7)
    got = _epoch(loader)
    it = iter(loader)
    got += [tuple(np.copy(a) for a in next(it)) for _ in range(stop_at)]
    save(loader.state_dict(), tmp_path / "loader.npz")  # plain arrays, no pickle
    state = load(tmp_path / "loader.npz")
    assert (int(state["epoch"]), int(state["step"])) == ((2, 0) if stop_at == 6 else (1, stop_at))
    assert ("order" in state) == (0 < stop_at < 6)
    resumed = _augmenting_loader(12345)  # a fresh process, another seed: the state decides
    resumed.load_state_dict(state)
    while len(got) < len(want):
        got += _epoch(resumed)
    assert len(got) == len(want) == 18
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g[0], w[0])  # the same augmented images
        np.testing.assert_array_equal(g[1], w[1])  # of the same samples


def test_a_new_iteration_after_a_break_starts_a_new_epoch():
    loader = _augmenting_loader(0)
    next(iter(loader))  # a peek
    assert loader.step == 1 and loader.epoch == 0
    assert len(_epoch(loader)) == 6 and loader.epoch == 1 and loader.step == 0


# -- fit over a loader ----------------------------------------------------------------------------


def _fit(x_or_loader, y=None, val=None, seed=0, **kwargs):
    model = small_mlp(seed, dropout=True)
    opt = tnp.Adam(model.parameters(), lr=0.01)
    h = fit(
        model, tnp.BCELoss(), opt, x_or_loader, y, epochs=3, validation_data=val, progress="none", **kwargs
    )
    return model, h


def test_fit_with_loaders_equals_fit_with_arrays_bit_for_bit():
    x, y = small_binary_data(90)
    xv, yv = small_binary_data(30, seed=1)
    arrays_model, h_arrays = _fit(x, y, (xv, yv), batch_size=16, rng=np.random.default_rng(3))
    train = DataLoader(TensorDataset(x, y), 16, shuffle=True, rng=np.random.default_rng(3))
    loader_model, h_loader = _fit(train, val=DataLoader(TensorDataset(xv, yv), 16))
    for k, v in arrays_model.state_dict().items():
        np.testing.assert_array_equal(loader_model.state_dict()[k], v, err_msg=k)
    assert set(h_loader.history) == set(h_arrays.history) >= {"val_loss", "val_accuracy", "accuracy"}
    for k in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert h_loader[k] == h_arrays[k], k


def _image_fit(tmp_path, callbacks=(), resume=False, seed=5):
    rng = np.random.default_rng(0)
    images = (rng.random((40, 1, 6, 6)) * 255).astype(np.uint8)
    labels = (images[:, 0, :, :3].mean(axis=(1, 2)) > images[:, 0, :, 3:].mean(axis=(1, 2))).astype(
        np.float64
    )
    tf = Compose([ToFloat(dtype=np.float64), RandomCrop(6, padding=1), RandomHorizontalFlip()])
    loader = DataLoader(TensorDataset(images, labels), 8, shuffle=True, transform=tf,
                        rng=np.random.default_rng(seed))  # fmt: skip
    model = tnp.Sequential(tnp.Flatten(), tnp.Linear(36, 4, rng=np.random.default_rng(seed)), tnp.ReLU(),
                           tnp.Linear(4, 1, rng=np.random.default_rng(seed + 1)), tnp.Sigmoid())  # fmt: skip
    opt = tnp.SGD(model.parameters(), lr=0.1, momentum=0.9)
    h = fit(model, tnp.BCELoss(), opt, loader, epochs=4, checkpoint=tmp_path / "last.npz", callbacks=callbacks,
            resume_from=tmp_path / "last.npz" if resume else None, progress="none")  # fmt: skip
    return model, h


def test_fit_resumed_mid_epoch_draws_the_same_augmentations(tmp_path):
    full, h_full = _image_fit(tmp_path)

    class CtrlC(Callback):
        def on_batch_end(self, state, loss):
            if (state.epoch, state.step) == (1, 2):
                signal.raise_signal(signal.SIGINT)

    _, h_part = _image_fit(tmp_path, callbacks=[CtrlC()])
    assert h_part.stop_reason == "interrupted"
    ckpt = load_checkpoint(tmp_path / "last.npz")
    assert (int(ckpt["epoch"]), int(ckpt["step_in_epoch"])) == (1, 2) and "rng/fit" in ckpt
    resumed, h_res = _image_fit(tmp_path, resume=True, seed=5)  # same init: the weights come from the file
    for k, v in full.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[k], v, err_msg=k)
    assert h_res["loss"] == h_full["loss"]
    # and an other seed for the fresh loader changes nothing: its generator is restored
    _image_fit(tmp_path, callbacks=[CtrlC()])
    other, _ = _image_fit(tmp_path, resume=True, seed=99)
    np.testing.assert_array_equal(other.state_dict()["1.weight"], full.state_dict()["1.weight"])


def test_fit_rejects_loader_settings_given_twice_and_the_fast_path():
    x, y = small_binary_data(30)
    loader = DataLoader(TensorDataset(x, y), 8)
    model = small_mlp(0)
    opt = tnp.SGD(model.parameters(), lr=0.1)
    for kwargs, pattern in [
        ({"batch_size": 8}, r"^fit: batch_size must be left at None when x is a DataLoader.*got 8"),
        ({"rng": np.random.default_rng(0)}, r"^fit: rng must be left at None when x is a DataLoader"),
        ({"shuffle": False}, r"^fit: shuffle must be left at True when x is a DataLoader.*got False"),
        ({"drop_last": True}, r"^fit: drop_last must be left at False .*; set it on the DataLoader"),
        ({"fast_path": True}, r"^fit: fast_path must be False with a DataLoader"),
    ]:
        with pytest.raises(ValueError, match=pattern):
            fit(model, tnp.BCELoss(), opt, loader, epochs=1, progress="none", **kwargs)
    with pytest.raises(
        ValueError,
        match=r"^fit: y must be left at None when x is a DataLoader \(the loader has its own\), got ndarray",
    ):
        fit(model, tnp.BCELoss(), opt, loader, y, epochs=1)
    with pytest.raises(ValueError, match=r"^fit: y must be given with arrays x, got None"):
        fit(model, tnp.BCELoss(), opt, x, epochs=1)
    with pytest.raises(
        TypeError, match=r"^fit: validation_data must be a pair \(x_val, y_val\) or a DataLoader"
    ):
        fit(model, tnp.BCELoss(), opt, loader, epochs=1, validation_data=x)


# -- errors ---------------------------------------------------------------------------------------


def test_loader_errors_have_the_one_form():
    x, y = _arrays()
    ds = TensorDataset(x, y)
    with pytest.raises(
        ValueError, match=r"^DataLoader: rng must be an explicit np.random.Generator with shuffle=True"
    ):
        DataLoader(ds, 4, shuffle=True)
    with pytest.raises(ValueError, match=r"^DataLoader: rng must be .* with a random transform, got None"):
        DataLoader(ds, 4, transform=RandomHorizontalFlip())
    with pytest.raises(TypeError, match=r"^DataLoader: rng must be an np.random.Generator or None, got int"):
        DataLoader(ds, 4, rng=0)
    with pytest.raises(ValueError, match=r"^DataLoader: batch_size must be >= 1, got 0"):
        DataLoader(ds, 0)
    with pytest.raises(TypeError, match=r"^DataLoader: batch_size must be an integer >= 1, got 2.0"):
        DataLoader(ds, 2.0)
    with pytest.raises(TypeError, match=r"^DataLoader: shuffle must be True or False, got int"):
        DataLoader(ds, 2, shuffle=1)
    with pytest.raises(TypeError, match=r"^DataLoader: dataset must have __len__ and __getitem__"):
        DataLoader(3, 2)
    with pytest.raises(ValueError, match=r"^DataLoader: dataset must hold at least one sample"):
        DataLoader([], 2)
    with pytest.raises(TypeError, match=r"^DataLoader: transform must be callable"):
        DataLoader(ds, 2, transform="flip")
    with pytest.raises(ValueError, match=r"^TensorDataset: arrays must be batch-first with the same number"):
        TensorDataset(x, y[:-1])
    with pytest.raises(ValueError, match=r"^random_split: lengths must sum to the 23 samples"):
        random_split(ds, [20, 2], np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^Subset: indices must lie in \[0, 23\)"):
        Subset(ds, [0, 23])
    loader = DataLoader(ds, 4, shuffle=True, rng=np.random.default_rng(0))
    state = loader.state_dict()
    with pytest.raises(ValueError, match=r"^DataLoader.load_state_dict: step must be < 6"):
        loader.load_state_dict({**state, "step": np.array(6)})
    with pytest.raises(
        ValueError, match=r"^DataLoader.load_state_dict: a mid-epoch state of a shuffling loader"
    ):
        loader.load_state_dict({**state, "step": np.array(2)})
    with pytest.raises(KeyError, match=r"'epoch' must be in the state"):
        loader.load_state_dict({"step": np.array(0)})
    with pytest.raises(ValueError, match=r"^DataLoader.load_state_dict: rng: bit_generator must be one of"):
        loader.load_state_dict({**state, "rng": np.array('{"bit_generator": "os.system"}')})


# -- the examples' data as Datasets ---------------------------------------------------------------


@needs_fashion_data
def test_fashion_mnist_through_a_loader():
    data = tnp.datasets.load_fashion_mnist()
    loader = DataLoader(TensorDataset(data.x_test, data.y_test), 256, shuffle=True, rng=np.random.default_rng(0),
                        transform=Compose([RandomCrop(28, padding=2), RandomHorizontalFlip()]))  # fmt: skip
    assert len(loader) == 40
    xb, yb = next(iter(loader))
    assert xb.shape == (256, 1, 28, 28) and xb.dtype == np.float32 and yb.dtype == np.int64
    assert xb.min() >= 0 and xb.max() <= 1
