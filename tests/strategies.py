"""Hypothesis strategies shared by the tests: shapes, well-conditioned float64 arrays, seeds."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

batches = st.integers(1, 8)
widths = st.integers(1, 10)
depths = st.integers(1, 4)
seeds = st.integers(0, 2**32 - 1)

# 0, or values on a 1e-3 grid with 0.1 <= |v| <= 3. Central differences lose precision on gradients
# far below the loss (inputs like 1e-300 or 0.002 make a weight's whole gradient that small), so
# inputs avoid tiny magnitudes; exact zeros stay, they are a real edge case.
nonzero_values = st.integers(100, 3000).map(lambda v: v / 1000) | st.integers(100, 3000).map(
    lambda v: -v / 1000
)
grid_values = st.just(0.0) | nonzero_values


def arrays(shape: tuple[int, ...], elements: st.SearchStrategy[float] = grid_values):
    """float64 arrays of ``shape`` with ``elements``."""
    return hnp.arrays(np.float64, shape, elements=elements)


# Strictly inside (0, 1), and not closer than 0.01 to either end: log p has a third derivative of 2/p**3,
# so central differences at p = 0.001 are off by ~3e-7 relative. The extremes have their own tests.
probabilities = st.integers(10, 990).map(lambda v: v / 1000)
soft_targets = st.integers(0, 1000).map(lambda v: v / 1000)  # [0, 1]
hard_targets = st.sampled_from([0.0, 1.0])


@st.composite
def batch_and_width(draw: st.DrawFn) -> tuple[int, int]:
    return draw(batches), draw(widths)
