"""Multi-class metrics: hand-computed values, scores (argmax) vs class indices, against a plain loop,
errors; the binary functions keep their behaviour (tests/test_metrics.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_np as tnp
from tinygrad_np import metrics

Y_TRUE = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2, 0])
Y_PRED = np.array([0, 1, 1, 1, 0, 2, 2, 1, 2, 0])


def test_hand_computed_confusion_matrix_and_per_class_scores() -> None:
    cm = metrics.confusion_matrix(Y_TRUE, Y_PRED, num_classes=3)
    np.testing.assert_array_equal(cm, [[2, 1, 0], [1, 2, 0], [0, 1, 3]])
    assert metrics.accuracy(Y_TRUE, Y_PRED, num_classes=3) == pytest.approx(0.7)
    np.testing.assert_allclose(metrics.precision(Y_TRUE, Y_PRED, num_classes=3), [2 / 3, 2 / 4, 3 / 3])
    np.testing.assert_allclose(metrics.recall(Y_TRUE, Y_PRED, num_classes=3), [2 / 3, 2 / 3, 3 / 4])
    f1 = metrics.f1_score(Y_TRUE, Y_PRED, num_classes=3)
    np.testing.assert_allclose(f1, [2 / 3, 4 / 7, 6 / 7])
    assert metrics.f1_score(Y_TRUE, Y_PRED, num_classes=3, average="macro") == pytest.approx(np.mean(f1))
    weighted = metrics.recall(Y_TRUE, Y_PRED, num_classes=3, average="weighted")
    assert weighted == pytest.approx(0.7)  # support-weighted recall is the accuracy


def test_scores_are_argmaxed_and_report_gathers_everything() -> None:
    logits = np.eye(3)[Y_PRED] * 5 - 1  # argmax = Y_PRED
    np.testing.assert_array_equal(metrics.confusion_matrix(Y_TRUE, logits), metrics.confusion_matrix(
        Y_TRUE, Y_PRED, num_classes=3))  # fmt: skip
    assert tnp.metrics.accuracy(Y_TRUE, logits) == pytest.approx(0.7)
    report = metrics.classification_report(Y_TRUE, Y_PRED)
    np.testing.assert_array_equal(report["support"], [3, 3, 4])
    assert report["accuracy"] == pytest.approx(0.7)
    np.testing.assert_allclose(report["f1"], metrics.f1_score(Y_TRUE, logits))
    assert report["macro_f1"] == pytest.approx(np.mean(report["f1"]))


def test_classes_never_predicted_give_zero_not_nan() -> None:
    p = metrics.precision(np.array([0, 1, 3]), np.array([0, 0, 0]), num_classes=4)
    np.testing.assert_array_equal(p, [1 / 3, 0, 0, 0])


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: metrics.accuracy([0, 1], [0, 5], num_classes=3), ValueError, r"\[0, 2\].*got 5"),
        (lambda: metrics.accuracy([0, -1], np.zeros((2, 3))), ValueError, "got -1"),
        (lambda: metrics.accuracy([0, 1], np.zeros((3, 3))), ValueError, "same number"),
        (lambda: metrics.accuracy([0.5, 1], [0, 1], num_classes=2), TypeError, "integer"),
        (lambda: metrics.accuracy([0, 1], np.zeros((2, 3)), num_classes=4), ValueError, "score columns"),
        (lambda: metrics.precision([0, 1], [0, 1], average="macro"), ValueError, "num_classes=2"),
        (lambda: metrics.precision([0, 1], [0, 1], num_classes=2, average="micro"), ValueError, "average"),
    ],
)
def test_errors(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=40))
def test_matches_a_plain_loop(pairs) -> None:
    t = np.array([a for a, _ in pairs])
    p = np.array([b for _, b in pairs])
    cm = metrics.confusion_matrix(t, p, num_classes=5)
    for i in range(5):
        for j in range(5):
            assert cm[i, j] == sum(1 for a, b in pairs if a == i and b == j)
    rec = metrics.recall(t, p, num_classes=5)
    for c in range(5):
        n = sum(1 for a, _ in pairs if a == c)
        assert rec[c] == pytest.approx(sum(1 for a, b in pairs if a == b == c) / n if n else 0.0)
