"""A plain NumPy transcription of the course's training loop, the reference the cat command's default
runs are checked against (tests/cat/test_cat_workflows.py, tests/cat/test_cat_fast.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tinygrad_np.data.datasets import load_image


def course_style(root: Path, layers_dims, lr: float, iterations: int, seed: int, scale: float | None = 0.01):
    """The notebook's code, written as the course writes it: (features, m) matrices, np.random.seed,
    randn * scale (None: randn / sqrt(fan in), the deep model's init), sigmoid/relu caches,
    dAL = -(Y/AL - (1-Y)/(1-AL)). Files in sorted order, PNG = cat. Returns (costs, [train accuracy,
    test accuracy], params)."""

    def load(split):
        files = sorted((root / split).iterdir())
        x = np.stack([load_image(f) for f in files]).reshape(len(files), -1).T / 255.0
        y = np.array([[1.0 if f.suffix == ".png" else 0.0 for f in files]])
        return x, y

    (X, Y), (Xt, Yt) = load("train"), load("test")
    np.random.seed(seed)  # noqa: NPY002 (the course's legacy draws)
    params = {}
    for k in range(1, len(layers_dims)):
        w = np.random.randn(layers_dims[k], layers_dims[k - 1])  # noqa: NPY002
        params["W" + str(k)] = w * scale if scale is not None else w / np.sqrt(layers_dims[k - 1])
        params["b" + str(k)] = np.zeros((layers_dims[k], 1))
    L = len(layers_dims) - 1

    def forward(A):
        caches = []
        for k in range(1, L + 1):
            Z = np.dot(params["W" + str(k)], A) + params["b" + str(k)]
            caches.append((A, Z))
            A = 1 / (1 + np.exp(-Z)) if k == L else np.maximum(0, Z)
        return A, caches

    costs = []
    for _ in range(iterations):
        AL, caches = forward(X)
        m = Y.shape[1]
        costs.append(float(np.squeeze(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m)))
        dA = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
        for k in range(L, 0, -1):
            A_prev, Z = caches[k - 1]
            if k == L:
                s = 1 / (1 + np.exp(-Z))
                dZ = dA * s * (1 - s)
            else:
                dZ = np.array(dA, copy=True)
                dZ[Z <= 0] = 0
            dW = np.dot(dZ, A_prev.T) / m
            db = np.sum(dZ, axis=1, keepdims=True) / m
            dA = np.dot(params["W" + str(k)].T, dZ)
            params["W" + str(k)] -= lr * dW
            params["b" + str(k)] -= lr * db
    acc = [float(np.mean((forward(x)[0] > 0.5) == y)) for x, y in ((X, Y), (Xt, Yt))]
    return costs, acc, params
