import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_np.metrics import accuracy, confusion_matrix, f1_score, precision, recall

# 10 samples worked out by hand: TP=3, FP=1, FN=2, TN=4
Y_TRUE = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
Y_PRED = np.array([1, 1, 1, 0, 0, 1, 0, 0, 0, 0])


def test_hand_computed_values():
    np.testing.assert_array_equal(confusion_matrix(Y_TRUE, Y_PRED), [[4, 1], [2, 3]])
    assert accuracy(Y_TRUE, Y_PRED) == pytest.approx(7 / 10)
    assert precision(Y_TRUE, Y_PRED) == pytest.approx(3 / 4)
    assert recall(Y_TRUE, Y_PRED) == pytest.approx(3 / 5)
    p, r = 3 / 4, 3 / 5
    assert f1_score(Y_TRUE, Y_PRED) == pytest.approx(2 * p * r / (p + r))


def test_probabilities_column_vectors_and_threshold():
    prob = np.array([0.9, 0.6, 0.51, 0.5, 0.2, 0.7, 0.1, 0.0, 0.3, 0.49]).reshape(-1, 1)
    # prob > 0.5 reproduces Y_PRED (0.5 itself is predicted negative, as in the course)
    assert accuracy(Y_TRUE.reshape(-1, 1), prob) == pytest.approx(0.7)
    np.testing.assert_array_equal(confusion_matrix(Y_TRUE, prob), [[4, 1], [2, 3]])
    # a higher threshold keeps only 0.9 and 0.6 positive, drops the false positive 0.7
    np.testing.assert_array_equal(confusion_matrix(Y_TRUE, prob, threshold=0.8), [[5, 0], [4, 1]])


def test_zero_division_gives_zero():
    y = np.array([0, 0, 1])
    none = np.zeros(3)
    assert precision(y, none) == 0.0
    assert f1_score(y, none) == 0.0
    assert recall(np.zeros(3), np.ones(3)) == 0.0


@pytest.mark.parametrize(
    "y_true, y_pred, match",
    [
        (
            np.array([0, 1]),
            np.array([0, 1, 1]),
            r"^metrics: y_true and y_pred_or_prob must have the same number of samples, got 2 and 3$",
        ),
        (
            np.array([0, 2, 3, 2]),
            np.array([0, 1, 1, 1]),
            r"^metrics: y_true must hold only 0/1 labels, got also \[2, 3\]$",
        ),
        (
            np.zeros((2, 2)),
            np.zeros(4),
            r"^metrics: y_true must have shape \(m,\) or \(m, 1\), got \(2, 2\)$",
        ),
        (
            np.array([0, 1]),
            np.array([np.nan, 1.0]),
            r"^metrics: y_pred_or_prob must hold no NaN, got 1 NaN of 2 values$",
        ),
        (np.zeros(0), np.zeros(0), r"^metrics: y_true must hold at least one sample, got 0$"),
    ],
)
def test_bad_inputs_raise(y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        accuracy(y_true, y_pred)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.floats(0, 1)), min_size=1, max_size=40))
def test_matches_a_plain_loop(pairs):
    t = np.array([a for a, _ in pairs])
    prob = np.array([b for _, b in pairs])
    tp = sum(1 for a, b in pairs if a == 1 and b > 0.5)
    fp = sum(1 for a, b in pairs if a == 0 and b > 0.5)
    fn = sum(1 for a, b in pairs if a == 1 and b <= 0.5)
    tn = len(pairs) - tp - fp - fn
    cm = confusion_matrix(t, prob)
    assert cm.sum() == len(pairs)
    np.testing.assert_array_equal(cm, [[tn, fp], [fn, tp]])
    assert accuracy(t, prob) == pytest.approx((tp + tn) / len(pairs))
    if tp + fp:
        assert precision(t, prob) == pytest.approx(tp / (tp + fp))
    if tp + fn:
        assert recall(t, prob) == pytest.approx(tp / (tp + fn))
