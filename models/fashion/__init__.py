"""The Fashion-MNIST classifiers: model definitions (``model``), training (``train``), the score table
(``report``), pictures (``plots``) and the command line (``cli``, run as ``python -m models.fashion``)."""

from models.cat.model import without_dropout  # the same rule as the cat example

from .model import (
    CNN_CHANNELS,
    MLP_HIDDEN,
    MODELS,
    cnn,
    describe,
    load_model,
    mlp,
    model_from_state,
    predict_logits,
)

__all__ = [
    "CNN_CHANNELS",
    "MLP_HIDDEN",
    "MODELS",
    "cnn",
    "describe",
    "load_model",
    "mlp",
    "model_from_state",
    "predict_logits",
    "without_dropout",
]
