"""The formulas: every differentiable operation of the library, each written once as a ``Function``
(static ``forward(ctx, ...)`` and ``backward(ctx, grad)`` on ndarrays), grouped by family:

- ``elementwise``: + - * / and the unary maths;  ``activations``: ReLU, LeakyReLU, Sigmoid, Softplus, Tanh;
- ``reduce``: sum, mean, max;  ``shape``: reshape, transpose, indexing;
- ``linear``: matmul and the Linear layer's x @ W.T + b;  ``conv``: Conv2d (im2col);
- ``pool``: MaxPool2d, AvgPool2d;  ``norm``: BatchNorm (and its running-statistics rule);
- ``losses``: binary cross-entropy (probabilities, logits, fused after a sigmoid), mean squared error;
- ``softmax``: Softmax, LogSoftmax and cross-entropy on logits;  ``dropout``: y = x · mask.

Tensors run them through ``Function.apply`` (graph mode); layers through ``Function.run`` (the Layer
protocol, the ctx kept as the layer's cache).
"""
