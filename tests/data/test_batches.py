import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_np.data import BatchIterator, minibatches, num_batches


def _data(m, features=3, column=False):
    x = np.arange(m * features, dtype=np.float64).reshape(m, features)
    y = np.arange(m).reshape(-1, 1) if column else np.arange(m)
    return x, y


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 60), batch_size=st.integers(1, 70), seed=st.integers(0, 2**32 - 1))
def test_every_sample_exactly_once_per_epoch(m, batch_size, seed):
    x, y = _data(m)
    rng = np.random.default_rng(seed)
    for _epoch in range(2):
        seen = []
        batches = list(minibatches(x, y, batch_size, shuffle=True, rng=rng))
        assert len(batches) == num_batches(m, batch_size) == -(-m // batch_size)
        for xb, yb in batches:
            assert 1 <= len(xb) <= batch_size
            # rows stay paired with their labels
            np.testing.assert_array_equal(xb[:, 0], yb * 3)
            seen.extend(yb.tolist())
        assert sorted(seen) == list(range(m))
        # only the last batch may be partial
        assert all(len(xb) == batch_size for xb, _ in batches[:-1])


def test_drop_last_and_partial_batch():
    x, y = _data(10, column=True)
    kept = list(minibatches(x, y, 4))
    assert [len(b) for b, _ in kept] == [4, 4, 2]
    assert kept[0][1].shape == (4, 1)
    dropped = list(minibatches(x, y, 4, drop_last=True))
    assert [len(b) for b, _ in dropped] == [4, 4]
    assert num_batches(10, 4, drop_last=True) == 2


def test_no_shuffle_is_in_order_and_views():
    x, y = _data(7)
    batches = list(minibatches(x, y, 3))
    np.testing.assert_array_equal(np.concatenate([b for _, b in batches]), y)
    assert all(np.shares_memory(xb, x) for xb, _ in batches)  # slices, no copy


def test_seeded_shuffles_are_reproducible_and_differ_between_epochs():
    x, y = _data(50)

    def epochs(seed):
        it = BatchIterator(x, y, 8, shuffle=True, rng=np.random.default_rng(seed))
        return [np.concatenate([yb for _, yb in it]) for _ in range(3)]

    a, b, c = epochs(1), epochs(1), epochs(2)
    for ea, eb in zip(a, b, strict=True):
        np.testing.assert_array_equal(ea, eb)
    assert not np.array_equal(a[0], a[1])  # a new permutation each epoch
    assert not np.array_equal(a[0], c[0])
    assert len(BatchIterator(x, y, 8)) == 7


def test_errors():
    x, y = _data(5)
    with pytest.raises(ValueError, match="explicit np.random.Generator"):
        minibatches(x, y, 2, shuffle=True)  # raises at the call, not at the first next()
    with pytest.raises(ValueError, match=r"same number of samples.*got 5 and 4"):
        minibatches(x, y[:4], 2)
    with pytest.raises(ValueError, match="batch_size"):
        BatchIterator(x, y, 0)
    with pytest.raises(TypeError, match="batch_size"):
        minibatches(x, y, 2.0)
