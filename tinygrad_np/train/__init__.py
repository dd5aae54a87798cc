"""Training: fit() and what it is built from (state, epoch loop, callbacks, checkpoints, progress).

Imports run one way: fit -> loop -> state -> history; callbacks -> resume -> checkpoint, and resume ->
state (state.py holds TrainState with the Callback interface it is handed to, so nothing below imports
callbacks); fit -> fastpath (its only importer; the loop runs the fast path's stand-ins unaware); nothing
here imports fit.
"""

from .callbacks import EarlyStopping, ModelCheckpoint
from .checkpoint import CheckpointError, load_checkpoint, load_weights
from .fit import fit
from .history import History, TrainingDivergedError
from .state import Callback, CallbackList, TrainState

__all__ = [
    "Callback",
    "CallbackList",
    "CheckpointError",
    "EarlyStopping",
    "History",
    "ModelCheckpoint",
    "TrainState",
    "TrainingDivergedError",
    "fit",
    "load_checkpoint",
    "load_weights",
]
