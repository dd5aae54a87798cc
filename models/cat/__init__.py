"""The course's cat / non-cat classifier: model definitions (``model``), training (``train``), the
score table (``report``), pictures (``plots``) and the command line (``cli``: the parser and ``main``;
``commands``: train / evaluate / predict; ``runs``: what train checks before it trains), run as
``python -m models.cat``."""

from .model import (
    DEEP_DIMS,
    INITS,
    MODELS,
    TWO_LAYER_DIMS,
    course_init,
    deep_model,
    layer_sizes,
    load_model,
    mlp,
    model_from_state,
    predict_proba,
    two_layer_model,
    without_dropout,
)

__all__ = [
    "DEEP_DIMS",
    "INITS",
    "MODELS",
    "TWO_LAYER_DIMS",
    "course_init",
    "deep_model",
    "layer_sizes",
    "load_model",
    "mlp",
    "model_from_state",
    "predict_proba",
    "two_layer_model",
    "without_dropout",
]
