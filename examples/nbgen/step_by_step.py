"""examples/step_by_step.ipynb: the course's nine steps, each done by the framework's objects."""

from . import REPOSITORY_CELL

CELLS = [
    (
        "md",
        """
# Building a deep network step by step, with tinygrad_np

The course's assignment builds an L-layer network in nine steps: **initialise, linear forward,
linear→activation forward, L-model forward, cost, linear backward, linear→activation backward, L-model
backward, update**. Here each step is done by the framework's objects — a `Linear` for the linear steps,
`ReLU` / `Sigmoid` for the activations, a `Sequential` for the whole model, `BCELoss` for the cost and `SGD`
for the update — on the course's own test inputs (drawn with `np.random.seed(...)` as its test cases do).

Two conventions differ from the course, and every cell converts explicitly:

- **samples are rows** (PyTorch's layout): the course's `A` of shape (features, m) is our `A.T`;
- **the 1/m lives in the loss**: `BCELoss.backward()` returns dL/dAL already divided by m, so a layer's
  `backward(g)` gives dW = gᵀ·A_prev with no further 1/m. To reproduce the course's `linear_backward(dZ)`,
  which divides by m itself, we pass `dZ / m`; its `dA_prev` (not divided by m) is then `m ×` ours.

Where the course prints a value, the notebook checks it (`published`, to the 8 digits it prints): steps 1,
2, 3, 4, 5, 7 and 9. For steps 6 and 8 it checks against the course's formulas written out in plain NumPy
below (the course's step-8 test case uses caches that no forward pass produces, so a real network cannot
reproduce its printout).
""",
    ),
    REPOSITORY_CELL,
    (
        "code",
        """
import matplotlib.pyplot as plt
import numpy as np

import tinygrad_np as tnp
from models.cat import course_init  # the course's draws (models/cat/model.py)


def check(name, ours, expected, atol=5e-9, against="the course's printed value"):
    \"\"\"Print ours and assert it equals expected (the course prints 8 digits: atol 5e-9).\"\"\"
    ours, expected = np.asarray(ours), np.asarray(expected)
    assert ours.shape == expected.shape, (name, ours.shape, expected.shape)
    assert np.allclose(ours, expected, rtol=0, atol=atol), (name, ours, expected)
    print(f"{name} = {np.array2string(ours, precision=8)}   ✓ {against}")


def ref(name, ours, expected):
    \"\"\"check() against the course's formula computed here in plain NumPy.\"\"\"
    check(name, ours, expected, atol=1e-12, against="NumPy reference")


def linear_with(W, b):
    \"\"\"A Linear holding the course's W (out, in) and b (out, 1).\"\"\"
    layer = tnp.Linear(W.shape[1], W.shape[0])
    layer.weight.data[...] = W
    layer.bias.data[...] = b.reshape(-1)
    return layer
""",
    ),
    ("md", "## 1. Initialise: `np.random.seed(3)`, then `randn(out, in) * 0.01` per layer, biases zero"),
    (
        "code",
        """
model = tnp.Sequential(tnp.Linear(5, 4), tnp.ReLU(), tnp.Linear(4, 3), tnp.Sigmoid())
course_init(model, seed=3, scale=0.01)           # the course's initialize_parameters_deep([5, 4, 3])
published_W1_row0 = [0.01788628, 0.0043651, 0.00096497, -0.01863493, -0.00277388]
check("W1[0]", model[0].weight.data[0], published_W1_row0)
check("b1", model[0].bias.data, np.zeros(4))
print("W2 shape", model[2].weight.data.shape, "b2 shape", model[2].bias.data.shape)
""",
    ),
    ("md", "## 2. Linear forward: Z = W·A + b (ours: `Linear(A.T)`, one row per sample)"),
    (
        "code",
        """
np.random.seed(1)
A, W, b = np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1)
Z = linear_with(W, b)(A.T).T
check("Z", Z, [[3.26295337, -1.23429987]])
""",
    ),
    ("md", "## 3. Linear → activation forward: `Linear` then `Sigmoid` or `ReLU`"),
    (
        "code",
        """
np.random.seed(2)
A_prev, W, b = np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1)
check("sigmoid A", tnp.Sequential(linear_with(W, b), tnp.Sigmoid())(A_prev.T).T, [[0.96890023, 0.11013289]])
check("relu A", tnp.Sequential(linear_with(W, b), tnp.ReLU())(A_prev.T).T, [[3.43896131, 0.0]])
""",
    ),
    ("md", "## 4. L-model forward: [LINEAR → RELU] × (L−1) → LINEAR → SIGMOID as one `Sequential`"),
    (
        "code",
        """
np.random.seed(6)
X = np.random.randn(5, 4)
W1, b1 = np.random.randn(4, 5), np.random.randn(4, 1)
W2, b2 = np.random.randn(3, 4), np.random.randn(3, 1)
W3, b3 = np.random.randn(1, 3), np.random.randn(1, 1)
net = tnp.Sequential(linear_with(W1, b1), tnp.ReLU(), linear_with(W2, b2), tnp.ReLU(),
                     linear_with(W3, b3), tnp.Sigmoid())
AL = net(X.T).T
check("AL", AL, [[0.03921668, 0.70498921, 0.19734387, 0.04728177]])
print("layers that keep a cache for backward:", len(net))
""",
    ),
    ("md", "## 5. Cost: −1/m · Σ [y·log(a) + (1−y)·log(1−a)] is `BCELoss`"),
    (
        "code",
        """
Y, AL_case = np.array([[1, 1, 0]]), np.array([[0.8, 0.9, 0.4]])
cost = tnp.BCELoss()(AL_case.T, Y.T.astype(float))
check("cost", cost, 0.2797765635793422, atol=1e-15)
""",
    ),
    ("md", "## 6. Linear backward: dW = dZ·A_prevᵀ / m, db = Σ dZ / m, dA_prev = Wᵀ·dZ"),
    (
        "code",
        """
np.random.seed(1)
dZ, A_prev, W, b = np.random.randn(3, 4), np.random.randn(5, 4), np.random.randn(3, 5), np.random.randn(3, 1)
m = A_prev.shape[1]
layer = linear_with(W, b)
layer(A_prev.T)                                   # forward keeps A_prev in the cache
dA_prev = layer.backward(dZ.T / m).T * m          # the 1/m convention, see the top
# the course's formulas in plain NumPy, as the reference
ref("dA_prev", dA_prev, W.T @ dZ)
ref("dW", layer.weight.grad, dZ @ A_prev.T / m)
ref("db", layer.bias.grad, dZ.sum(axis=1) / m)
""",
    ),
    (
        "md",
        "The layer's cache is the context of its formula, `tinygrad_np.ops.linear.LinearFunction`: forward and "
        "backward written once, side by side. The same class runs when the layer is called on a `Tensor` "
        "in a graph.",
    ),
    (
        "code",
        """
import inspect

from tinygrad_np.ops.linear import LinearFunction as LinearFormula

print(type(layer._cache).__name__, "- saved for backward:", [np.shape(a) for a in layer._cache.saved_tensors[:2]])
print(inspect.getsource(LinearFormula))
""",
    ),
    (
        "md",
        "## 7. Linear → activation backward: `Sigmoid.backward` / `ReLU.backward`, then `Linear.backward`",
    ),
    (
        "code",
        """
def linear_activation_backward(activation, dA, A_prev, W, b, Z):
    m = A_prev.shape[1]
    act = activation()
    act(Z.T)                                      # the course's activation cache is Z
    dZ = act.backward(dA.T)
    layer = linear_with(W, b)
    layer(A_prev.T)                               # its linear cache is (A_prev, W, b)
    dA_prev = layer.backward(dZ / m).T * m
    return dA_prev, layer.weight.grad, layer.bias.grad.reshape(-1, 1)


np.random.seed(2)
case = dict(dA=np.random.randn(1, 2), A_prev=np.random.randn(3, 2), W=np.random.randn(1, 3),
            b=np.random.randn(1, 1), Z=np.random.randn(1, 2))
dA_prev, dW, db = linear_activation_backward(tnp.Sigmoid, **case)
check("sigmoid dA_prev", dA_prev, [[0.11017994, 0.01105339], [0.09466817, 0.00949723], [-0.05743092, -0.00576154]])
check("sigmoid dW", dW, [[0.10266786, 0.09778551, -0.01968084]])
check("sigmoid db", db, [[-0.05729622]])
dA_prev, dW, db = linear_activation_backward(tnp.ReLU, **case)
check("relu dA_prev", dA_prev, [[0.44090989, 0.0], [0.37883606, 0.0], [-0.2298228, 0.0]])
check("relu dW", dW, [[0.44513824, 0.37371418, -0.10478989]])
check("relu db", db, [[-0.20837892]])
""",
    ),
    ("md", "## 8. L-model backward: `BCELoss.backward()` then `Sequential.backward`, checked against NumPy"),
    (
        "code",
        """
Y4 = np.array([[1.0, 0.0, 1.0, 0.0]])
loss_fn = tnp.BCELoss()
loss_fn(net(X.T), Y4.T)
net.backward(loss_fn.backward())                  # Sigmoid + BCELoss: dZ_L = (AL - Y) / m

# the course's L_model_backward in plain NumPy, from dAL = -(Y/AL - (1-Y)/(1-AL))
m = X.shape[1]
Z1 = W1 @ X + b1; A1 = np.maximum(0, Z1)
Z2 = W2 @ A1 + b2; A2 = np.maximum(0, Z2)
AL = 1 / (1 + np.exp(-(W3 @ A2 + b3)))
dAL = -(Y4 / AL - (1 - Y4) / (1 - AL))
dZ3 = dAL * AL * (1 - AL)
dZ2 = (W3.T @ dZ3) * (Z2 > 0)
dZ1 = (W2.T @ dZ2) * (Z1 > 0)
for layer, dZ, A_in in ((net[4], dZ3, A2), (net[2], dZ2, A1), (net[0], dZ1, X)):
    ref("dW", layer.weight.grad, dZ @ A_in.T / m)
    ref("db", layer.bias.grad, dZ.sum(axis=1) / m)
""",
    ),
    ("md", "## 9. Update: W ← W − α·dW is `SGD(lr=α).step()`"),
    (
        "code",
        """
np.random.seed(2)
W1, b1, W2, b2 = np.random.randn(3, 4), np.random.randn(3, 1), np.random.randn(1, 3), np.random.randn(1, 1)
np.random.seed(3)
dW1, db1, dW2, db2 = np.random.randn(3, 4), np.random.randn(3, 1), np.random.randn(1, 3), np.random.randn(1, 1)
two = tnp.Sequential(linear_with(W1, b1), tnp.ReLU(), linear_with(W2, b2), tnp.Sigmoid())
for p, g in zip(two.parameters(), (dW1, db1.reshape(-1), dW2, db2.reshape(-1))):
    p.grad = g.copy()
tnp.SGD(two.parameters(), lr=0.1).step()
check("W1", two[0].weight.data, [[-0.59562069, -0.09991781, -2.14584584, 1.82662008],
                                 [-1.76569676, -0.80627147, 0.51115557, -1.18258802],
                                 [-1.0535704, -0.86128581, 0.68284052, 2.20374577]])
check("b1", two[0].bias.data, [-0.04659241, -1.28888275, 0.53405496])
check("W2", two[2].weight.data, [[-0.55569196, 0.0354055, 1.32964895]])
check("b2", two[2].bias.data, [-0.84610769])
""",
    ),
    (
        "md",
        """
## A gradient check

Every backward above can be checked against central differences: `tnp.gradcheck` perturbs each weight
and input in float64 and compares.
""",
    ),
    (
        "code",
        """
x, y = X.T.copy(), Y4.T.copy()                    # samples as rows, in arrays of their own
report = tnp.gradcheck(net, x, y, tnp.BCELoss())
print(report)
assert report.ok()
""",
    ),
    (
        "md",
        """
## Putting the steps together: training, with plots

The nine steps in a loop are gradient descent. A small 2-D problem (points inside a circle are class 1)
shows the cost falling and the decision boundary the network learns.
""",
    ),
    (
        "code",
        """
rng = np.random.default_rng(0)
points = rng.uniform(-1, 1, (300, 2))
labels = (np.hypot(points[:, 0], points[:, 1]) < 0.6).astype(float).reshape(-1, 1)
clf = tnp.Sequential(tnp.Linear(2, 16, rng=rng), tnp.ReLU(), tnp.Linear(16, 8, rng=rng), tnp.ReLU(),
                     tnp.Linear(8, 1, rng=rng), tnp.Sigmoid())
loss_fn, opt = tnp.BCELoss(), tnp.SGD(clf.parameters(), lr=0.5)
costs = []
for _ in range(1500):
    costs.append(loss_fn(clf(points), labels))    # forward + cost
    clf.backward(loss_fn.backward())              # backward
    opt.step()                                    # update
print(f"cost {costs[0]:.3f} -> {costs[-1]:.3f}, accuracy {np.mean((clf(points) > 0.5) == labels):.2f}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
ax1.plot(costs); ax1.set_xlabel("iteration"); ax1.set_ylabel("cost"); ax1.set_title("cost")
grid = np.stack(np.meshgrid(np.linspace(-1, 1, 100), np.linspace(-1, 1, 100)), -1).reshape(-1, 2)
ax2.contourf(grid[:, 0].reshape(100, 100), grid[:, 1].reshape(100, 100),
             clf(grid).reshape(100, 100), levels=20, cmap="RdBu", alpha=0.6)
for k, colour, marker in ((0, "gold", "s"), (1, "limegreen", "o")):  # bright on the red and blue shading
    inside = labels[:, 0] == k
    ax2.scatter(points[inside, 0], points[inside, 1], c=colour, marker=marker, s=18, edgecolors="k",
                linewidths=0.4, label=f"class {k}")
ax2.legend(loc="upper right", framealpha=0.9)
ax2.set_title("P(class 1) (blue: high) and the data"); ax2.set_aspect("equal")
plt.show()
assert costs[-1] < 0.5 * costs[0]
""",
    ),
]
