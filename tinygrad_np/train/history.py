"""History (what fit() measured, per epoch) and TrainingDivergedError."""

from __future__ import annotations

import numpy as np

__all__ = ["History", "TrainingDivergedError"]


class History:
    """What fit() measured, one value per completed epoch.

    ``history["loss"]``, ``["accuracy"]`` (training, averaged over the epoch's batches),
    ``["val_loss"]``, ``["val_accuracy"]`` (with validation_data, in eval mode at the epoch's end),
    ``["lr"]`` (the learning rate used during the epoch), ``["seconds"]``. Accuracy is recorded when the
    loss classifies (``Loss.classify``: BCELoss, BCEWithLogitsLoss) and the labels are its classes.
    ``epochs`` holds the 1-based epoch numbers; ``stop_reason`` is "completed", "early_stopping" or
    "interrupted".
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self.stop_reason = "completed"

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        self.epochs.append(int(epoch))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: object) -> bool:
        return key in self.history

    def keys(self) -> list[str]:
        return list(self.history)

    def __len__(self) -> int:
        return len(self.epochs)

    @property
    def last(self) -> dict[str, float]:
        """The logs of the last completed epoch (empty before the first)."""
        return {k: v[-1] for k, v in self.history.items() if v}

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"epoch": np.array(self.epochs, dtype=np.int64)} | {
            k: np.array(v, dtype=np.float64) for k, v in self.history.items()
        }

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        epochs = np.asarray(state.get("epoch", np.zeros(0, np.int64)))
        columns = {k: np.asarray(v) for k, v in state.items() if k != "epoch"}
        if epochs.ndim != 1 or epochs.dtype.kind not in "iu":
            raise ValueError(
                f"History: 'epoch' must be a 1-d integer array, got {epochs.dtype} {epochs.shape}"
            )
        for k, v in columns.items():
            if v.shape != epochs.shape or v.dtype.kind != "f":
                raise ValueError(
                    f"History: {k!r} must hold one float per epoch ({len(epochs)}), got {v.dtype} {v.shape}"
                )
        self.epochs = [int(e) for e in epochs]
        self.history = {k: [float(x) for x in v] for k, v in columns.items()}

    def __repr__(self) -> str:
        return f"History({len(self)} epochs, keys={self.keys()}, stop_reason={self.stop_reason!r})"


class TrainingDivergedError(FloatingPointError):
    """The loss (or a weight) became NaN or infinite, or the loss exploded (see fit's
    ``divergence_factor``). ``epoch`` and ``step`` are 1-based; ``history`` holds the completed epochs."""

    def __init__(self, message: str, *, epoch: int, step: int | None, history: History) -> None:
        super().__init__(message)
        self.epoch, self.step, self.history = epoch, step, history
