"""Random programs over 2-4 leaves (fan-out, diamonds, reuse): gradients match central differences."""

from __future__ import annotations

import numpy as np
from graph_strategies import grads_agree, values
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_np import gradcheck

# Smooth ops only (no kinks), safe on any value the program can produce.
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1.5 + (b * b)),  # denominator >= 1.5
}
UNARY = {
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "square": lambda a: a**2,
    "exp_tanh": lambda a: a.tanh().exp(),
    "softplus": lambda a: a.softplus(),
    "scale": lambda a: 0.5 * a - 0.25,
}


@st.composite
def programs(draw: st.DrawFn) -> tuple[list[np.ndarray], list[tuple[str, int, int]]]:
    """Leaves with broadcastable shapes and a list of steps; each step reads any earlier value, so
    values are reused (fan-out), and paths split and meet again (diamonds)."""
    n = draw(st.integers(2, 4))
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=0, max_dims=2, max_side=3))
    leaves = [draw(hnp.arrays(np.float64, s, elements=values(-2, 2))) for s in shapes.input_shapes]
    steps = []
    for k in range(draw(st.integers(1, 8))):
        avail = n + k
        op = draw(st.sampled_from(sorted(BINARY) + sorted(UNARY)))
        steps.append((op, draw(st.integers(0, avail - 1)), draw(st.integers(0, avail - 1))))
    return leaves, steps


def run(leaves: list, steps: list[tuple[str, int, int]]):
    vals = list(leaves)
    for op, i, j in steps:
        vals.append(BINARY[op](vals[i], vals[j]) if op in BINARY else UNARY[op](vals[i]))
    total = vals[-1] * 1.0
    for v in vals[:-1]:  # every value reaches the output, so every leaf gets a gradient
        total = total + v * 0.1
    return total.sum()


@given(programs())
def test_random_programs_match_central_differences(program) -> None:
    arrays, steps = program
    report = gradcheck(lambda *leaves: run(list(leaves), steps), *arrays)
    assert len(report.errors) == len(arrays) and grads_agree(report), str(report)
