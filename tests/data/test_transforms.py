"""Batch transforms: shapes, dtypes, exact results against per-sample reference loops drawing the same
numbers, padding values, uniform crop positions, determinism under a seed, and the error form."""

import numpy as np
import pytest

from tinygrad_np.data.transforms import (
    Compose,
    Lambda,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    ToFloat,
)


def _images(n=6, c=2, h=5, w=7, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).normal(size=(n, c, h, w)).astype(dtype)


def _crop_reference(x, size, padding, fill, rng):
    """One sample at a time: pad, draw (top, left) as RandomCrop documents, slice."""
    h, w = size
    p = padding
    n, c, hh, ww = x.shape
    rows, cols = hh + 2 * p - h + 1, ww + 2 * p - w + 1
    offsets = rng.integers(0, [rows, cols], size=(n, 2))
    out = np.empty((n, c, h, w), dtype=x.dtype)
    for i in range(n):
        padded = np.full((c, hh + 2 * p, ww + 2 * p), fill, dtype=x.dtype)
        padded[:, p : p + hh, p : p + ww] = x[i]
        top, left = offsets[i]
        out[i] = padded[:, top : top + h, left : left + w]
    return out


def _flip_reference(x, p, rng):
    flips = rng.random(len(x)) < p
    out = x.copy()
    for i in range(len(x)):
        if flips[i]:
            out[i] = x[i][:, :, ::-1]
    return out


# -- ToFloat, Normalize --------------------------------------------------------------------------


def test_to_float_scales_pixels_into_the_asked_dtype():
    x = np.arange(256, dtype=np.uint8).reshape(4, 1, 8, 8)
    out = ToFloat()(x)
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_allclose(out, x / 255, rtol=1e-6)
    assert out.min() == 0 and out.max() == 1
    out64 = ToFloat(scale=2.0, dtype=np.float64)(x)
    assert out64.dtype == np.float64
    np.testing.assert_array_equal(out64, x * 2.0)
    f = x.astype(np.float32)
    assert not np.shares_memory(ToFloat(1.0)(f), f)  # a new array, even with the same dtype


def test_normalize_is_per_channel_and_keeps_the_dtype():
    x = _images(c=3)
    mean, std = [0.1, -0.2, 0.3], [0.5, 2.0, 1.5]
    out = Normalize(mean, std)(x)
    assert out.dtype == np.float32 and out.shape == x.shape
    expected = np.empty_like(x)
    for c in range(3):
        expected[:, c] = (x[:, c] - np.float32(mean[c])) / np.float32(std[c])
    np.testing.assert_array_equal(out, expected)
    x64 = x.astype(np.float64)
    assert Normalize([0.0] * 3, [1.0] * 3)(x64).dtype == np.float64


# -- RandomCrop ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "padding", "fill", "dtype"),
    [(4, 0, 0, np.float32), ((5, 7), 2, -1.5, np.float64), (3, 1, 255, np.uint8), ((2, 6), 3, 7, np.int64)],
)
def test_random_crop_matches_a_per_sample_loop_with_the_same_draws(size, padding, fill, dtype):
    x = (_images(n=9, h=5, w=7) * 50).astype(dtype)
    size2 = size if isinstance(size, tuple) else (size, size)
    out = RandomCrop(size, padding=padding, fill=fill)(x, np.random.default_rng(3))
    expected = _crop_reference(x, size2, padding, fill, np.random.default_rng(3))
    assert out.shape == (9, 2, *size2) and out.dtype == x.dtype
    np.testing.assert_array_equal(out, expected)


def test_random_crop_pads_with_the_fill_value():
    x = np.ones((50, 1, 3, 3), dtype=np.float32)
    out = RandomCrop(7, padding=2, fill=-4.0)(x, np.random.default_rng(0))  # the whole padded image
    assert out.shape == (50, 1, 7, 7)
    border = np.ones((7, 7), dtype=bool)
    border[2:5, 2:5] = False
    assert np.all(out[:, :, border] == -4.0) and np.all(out[:, :, ~border] == 1.0)
    # a smaller crop holds only fill values and image values, and some crops reach the padding
    crops = RandomCrop(3, padding=2, fill=-4.0)(x, np.random.default_rng(1))
    assert set(np.unique(crops)) == {-4.0, 1.0}
    assert np.any(crops == -4.0) and np.any(np.all(crops == 1.0, axis=(1, 2, 3)))


def test_random_crop_positions_are_uniform_over_every_window():
    h = w = 4
    p, size, n = 2, 4, 25_000
    grid = 1 + np.arange(h * w, dtype=np.int64).reshape(1, 1, h, w)  # every image pixel > 0, fill = 0
    crops = RandomCrop(size, padding=p, fill=0)(np.repeat(grid, n, axis=0), np.random.default_rng(11))
    # decode each crop's (top, left) from its first image pixel: value v sits at padded (i + p, j + p)
    flat = crops.reshape(n, -1)
    first = np.argmax(flat > 0, axis=1)
    v = flat[np.arange(n), first] - 1
    top = v // w + p - first // size
    left = v % w + p - first % size
    positions = h + 2 * p - size + 1  # 5 tops x 5 lefts
    counts = np.bincount(top * positions + left, minlength=positions**2)
    assert counts.size == positions**2 and top.min() == 0 and left.max() == positions - 1
    expected = n / positions**2  # 1000 each; the sd is about 31, the bound is about 6 sd
    assert np.all(np.abs(counts - expected) < 0.2 * expected), counts


# -- RandomHorizontalFlip ------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0])
def test_flip_matches_a_per_sample_loop_with_the_same_draws(p):
    x = _images(n=40)
    out = RandomHorizontalFlip(p)(x, np.random.default_rng(5))
    np.testing.assert_array_equal(out, _flip_reference(x, p, np.random.default_rng(5)))
    assert out.dtype == x.dtype and out.shape == x.shape
    flipped = np.all(out == x[..., ::-1], axis=(1, 2, 3))
    if p == 0.0:
        np.testing.assert_array_equal(out, x)
    if p == 1.0:
        assert flipped.all()


def test_flip_frequency_is_p():
    x = np.arange(8, dtype=np.float32).reshape(1, 1, 1, 8).repeat(20_000, axis=0)
    out = RandomHorizontalFlip(0.3)(x, np.random.default_rng(2))
    share = np.mean(out[:, 0, 0, 0] == 7)
    assert abs(share - 0.3) < 0.02  # sd 0.0032


# -- Compose, determinism, the input untouched ---------------------------------------------------


def test_compose_hands_one_stream_to_each_transform_in_order():
    x = (np.random.default_rng(0).random((16, 1, 6, 6)) * 255).astype(np.uint8)
    pipeline = Compose([ToFloat(), RandomCrop(6, padding=1), RandomHorizontalFlip(), Normalize(0.5, 0.25)])
    assert pipeline.random and not Compose([ToFloat(), Normalize(0.5, 0.25)]).random
    out = pipeline(x, np.random.default_rng(9))
    rng = np.random.default_rng(9)
    step = RandomCrop(6, padding=1)(ToFloat()(x), rng)
    step = RandomHorizontalFlip()(step, rng)
    np.testing.assert_array_equal(out, Normalize(0.5, 0.25)(step))
    assert out.dtype == np.float32 and out.shape == (16, 1, 6, 6)
    np.testing.assert_array_equal(out, pipeline(x, np.random.default_rng(9)))  # same seed, same batch
    assert not np.array_equal(out, pipeline(x, np.random.default_rng(10)))
    assert "RandomCrop" in repr(pipeline)


def test_no_transform_writes_into_its_input():
    x = _images()
    before = x.copy()
    rng = np.random.default_rng(0)
    for t in (ToFloat(1.0), Normalize([0.0, 1.0], [2.0, 3.0]), RandomCrop(3, 1), RandomHorizontalFlip(1.0),
              Lambda(lambda b: b * 2)):  # fmt: skip
        out = t(x, rng)
        assert not np.shares_memory(out, x)
    np.testing.assert_array_equal(x, before)


# -- errors --------------------------------------------------------------------------------------


def test_errors_have_the_one_form():
    x = _images()
    with pytest.raises(TypeError, match=r"^RandomCrop: rng must be an np.random.Generator .*got NoneType"):
        RandomCrop(3)(x)
    with pytest.raises(TypeError, match=r"^RandomHorizontalFlip: rng must be"):
        RandomHorizontalFlip()(x, 0)
    with pytest.raises(ValueError, match=r"^RandomCrop: size must fit in the padded image, got \(9, 9\)"):
        RandomCrop(9, padding=1)(x, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^RandomCrop: padding must be >= 0, got -1"):
        RandomCrop(3, padding=-1)
    with pytest.raises(TypeError, match=r"^RandomCrop: fill must be a number"):
        RandomCrop(3, fill="0")
    with pytest.raises(ValueError, match=r"^RandomHorizontalFlip: p must be a finite number in \[0, 1\]"):
        RandomHorizontalFlip(1.5)
    with pytest.raises(
        ValueError, match=r"^RandomCrop: the batch must be an array \(N, C, H, W\), got shape"
    ):
        RandomCrop(3)(x[0], np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^Normalize: mean and std must have one value per channel"):
        Normalize([0.0] * 3, [1.0] * 3)(x)
    with pytest.raises(ValueError, match=r"^Normalize: std must be > 0 in every channel"):
        Normalize([0.0], [0.0])
    with pytest.raises(TypeError, match=r"^Normalize: the batch must be floating-point.*ToFloat"):
        Normalize([0.0, 0.0], [1.0, 1.0])(x.astype(np.uint8))
    with pytest.raises(TypeError, match=r"^ToFloat: dtype must be a floating-point dtype, got int32"):
        ToFloat(dtype=np.int32)
    with pytest.raises(TypeError, match=r"^Compose: transforms\[1\] must be callable.*Lambda"):
        Compose([ToFloat(), 3])


def test_the_transforms_benchmark_runs_tiny(capsys):
    from benchmarks import transforms as bench

    bench.main(["--batch", "8", "--samples", "20", "--repeats", "1", "--no-step"])
    out = capsys.readouterr().out  # nothing about speed is asserted: only that every row is printed
    for row in (
        "ToFloat",
        "Normalize",
        "RandomCrop",
        "RandomHorizontalFlip",
        "the four composed",
        "DataLoader batch",
    ):
        assert f"| {row}" in out
