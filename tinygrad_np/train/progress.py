"""fit()'s progress report (a tqdm bar on a terminal, plain lines otherwise) and Ctrl-C handling."""

from __future__ import annotations

import signal
import sys
import threading
import time
from typing import Any

from ..validation import fail

__all__ = ["Progress", "SigintFlag"]


class SigintFlag:
    """While active (main thread only), the first Ctrl-C sets ``requested`` instead of raising, so
    fit() stops after the step under way; a second Ctrl-C raises KeyboardInterrupt at once."""

    def __init__(self) -> None:
        self.requested = False
        self._old: Any = None
        self._installed = False

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> SigintFlag:
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handler)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._old)


class Progress:
    """A tqdm bar over epochs with the running loss when stderr is a terminal (and tqdm is
    installed); otherwise plain lines on stdout every ``log_every`` epochs. ``unit`` names an epoch
    on the bar (the cat example's full-batch epochs are "iteration")."""

    def __init__(
        self, mode: str, epochs: int, start: int, log_every: int | None, unit: str = "epoch"
    ) -> None:
        if mode not in ("auto", "bar", "lines", "none"):
            raise fail("fit", "progress", "be 'auto', 'bar', 'lines' or 'none'", mode)
        self.epochs = epochs
        self.log_every = max(1, epochs // 10) if log_every is None else int(log_every)
        self.bar: Any = None
        if mode in ("auto", "bar") and (mode == "bar" or sys.stderr.isatty()):
            try:
                from tqdm.auto import tqdm  # optional: the core needs only numpy
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=epochs, initial=start, unit=unit, dynamic_ncols=True)
        self.lines = self.bar is None and mode != "none"
        self._last_refresh = 0.0

    def batch(self, running_loss: float) -> None:
        now = time.perf_counter()
        if self.bar is not None and now - self._last_refresh > 0.2:
            self.bar.set_postfix(loss=f"{running_loss:.4f}")  # redraws the bar
            self._last_refresh = now

    def epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if self.bar is not None:
            self.bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if k != "seconds"}, refresh=False)
            self.bar.update(1)
        elif self.lines and (epoch % self.log_every == 0 or epoch == self.epochs or epoch == 1):
            print(format_logs(epoch, self.epochs, logs), flush=True)

    def message(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=sys.stderr)
        elif self.lines:
            print(text, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def format_logs(epoch: int, epochs: int, logs: dict[str, float]) -> str:
    width = len(str(epochs))
    parts = [f"epoch {epoch:>{width}}/{epochs}"]
    for k, v in logs.items():
        if k == "lr":
            parts.append(f"lr {v:.2e}")
        elif k == "seconds":
            parts.append(f"{v:.2f}s")
        else:
            parts.append(f"{k} {v:.4f}")
    return "  ".join(parts)
