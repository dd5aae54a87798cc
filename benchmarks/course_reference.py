"""The course's L-layer model, written the course's way: a reference for the benchmarks.

Samples are in columns (X is (n_features, m)), parameters live in a dict ``W1, b1, W2, ...``, every
gradient is computed (``dA_prev`` of every layer, the first one included), the cost is computed on
every iteration, and ``update_parameters`` builds new arrays. This is what tinygrad_np is compared
with, so it is deliberately *not* optimised. The only departures from the course's notebook:
initial weights are passed in (so every implementation starts from the same ones), and the
functions do not print.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Params = dict[str, np.ndarray]
Cache = tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def initialize_parameters_deep(layer_dims: Sequence[int], seed: int = 1) -> Params:
    """The course's init: ``np.random.seed(1)``, ``W = randn(n_l, n_{l-1}) / sqrt(n_{l-1})``, b = 0."""
    np.random.seed(seed)
    parameters: Params = {}
    for l in range(1, len(layer_dims)):  # noqa: E741 - the course's name
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) / np.sqrt(
            layer_dims[l - 1]
        )
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def parameters_from_weights(weights: Sequence[tuple[np.ndarray, np.ndarray]]) -> Params:
    """``[(W1, b1), (W2, b2), ...]`` (W shaped (out, in), b shaped (out,)) as the course's dict (copies)."""
    parameters: Params = {}
    for l, (w, b) in enumerate(weights, start=1):  # noqa: E741
        parameters["W" + str(l)] = np.array(w, copy=True)
        parameters["b" + str(l)] = np.array(b, copy=True).reshape(-1, 1)
    return parameters


def sigmoid(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    A = 1 / (1 + np.exp(-Z))
    return A, Z


def relu(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    A = np.maximum(0, Z)
    return A, Z


def relu_backward(dA: np.ndarray, cache: np.ndarray) -> np.ndarray:
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward(dA: np.ndarray, cache: np.ndarray) -> np.ndarray:
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    dZ = dA * s * (1 - s)
    return dZ


def linear_forward(
    A: np.ndarray, W: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    Z = W.dot(A) + b
    cache = (A, W, b)
    return Z, cache


def linear_activation_forward(
    A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, activation: str
) -> tuple[np.ndarray, Cache]:
    Z, linear_cache = linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    else:
        A, activation_cache = relu(Z)
    return A, (linear_cache, activation_cache)


def L_model_forward(X: np.ndarray, parameters: Params) -> tuple[np.ndarray, list[Cache]]:
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):  # noqa: E741
        A_prev = A
        A, cache = linear_activation_forward(
            A_prev, parameters["W" + str(l)], parameters["b" + str(l)], activation="relu"
        )
        caches.append(cache)
    AL, cache = linear_activation_forward(
        A, parameters["W" + str(L)], parameters["b" + str(L)], activation="sigmoid"
    )
    caches.append(cache)
    return AL, caches


def compute_cost(AL: np.ndarray, Y: np.ndarray) -> float:
    m = Y.shape[1]
    cost = (1.0 / m) * (-np.dot(Y, np.log(AL).T) - np.dot(1 - Y, np.log(1 - AL).T))
    return float(np.squeeze(cost))


def linear_backward(
    dZ: np.ndarray, cache: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    A_prev, W, _b = cache
    m = A_prev.shape[1]
    dW = 1.0 / m * np.dot(dZ, A_prev.T)
    db = 1.0 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def linear_activation_backward(
    dA: np.ndarray, cache: Cache, activation: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    else:
        dZ = sigmoid_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)


def L_model_backward(AL: np.ndarray, Y: np.ndarray, caches: list[Cache]) -> dict[str, np.ndarray]:
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    current_cache = caches[L - 1]
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(
        dAL, current_cache, activation="sigmoid"
    )
    for l in reversed(range(L - 1)):  # noqa: E741
        current_cache = caches[l]
        dA_prev_temp, dW_temp, db_temp = linear_activation_backward(
            grads["dA" + str(l + 1)], current_cache, activation="relu"
        )
        grads["dA" + str(l)] = dA_prev_temp
        grads["dW" + str(l + 1)] = dW_temp
        grads["db" + str(l + 1)] = db_temp
    return grads


def update_parameters(parameters: Params, grads: dict[str, np.ndarray], learning_rate: float) -> Params:
    L = len(parameters) // 2
    for l in range(L):  # noqa: E741
        parameters["W" + str(l + 1)] = parameters["W" + str(l + 1)] - learning_rate * grads["dW" + str(l + 1)]
        parameters["b" + str(l + 1)] = parameters["b" + str(l + 1)] - learning_rate * grads["db" + str(l + 1)]
    return parameters


class CourseModel:
    """One gradient-descent iteration of the course's ``L_layer_model`` per ``step(X, Y)``.

    ``X`` is (n_features, m) (samples in columns), ``Y`` is (1, m); ``step`` returns the cost.
    """

    def __init__(self, weights: Sequence[tuple[np.ndarray, np.ndarray]], learning_rate: float) -> None:
        self.parameters = parameters_from_weights(weights)
        self.learning_rate = learning_rate

    def step(self, X: np.ndarray, Y: np.ndarray) -> float:
        AL, caches = L_model_forward(X, self.parameters)
        cost = compute_cost(AL, Y)
        grads = L_model_backward(AL, Y, caches)
        self.parameters = update_parameters(self.parameters, grads, self.learning_rate)
        return cost
