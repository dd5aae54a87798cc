"""Fixtures of the training tests."""

from __future__ import annotations

import pytest

from tinygrad_np.train import fastpath


@pytest.fixture
def count_fast(monkeypatch):
    """How many steps the fast path takes (a spy on FirstLayerInSampleSpace.step)."""
    calls = {"n": 0}
    step = fastpath.FirstLayerInSampleSpace.step

    def spy(self):
        calls["n"] += 1
        step(self)

    monkeypatch.setattr(fastpath.FirstLayerInSampleSpace, "step", spy)
    return calls
