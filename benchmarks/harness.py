"""Timing: run several trainers in the same process, alternating in chunks, and summarise."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

Step = Callable[[int], float]
Factory = Callable[[], Step]


@dataclass
class Timing:
    """Per-iteration times (seconds) of one trainer, pooled over repeats, and what it reported."""

    name: str
    times: list[float] = field(default_factory=list)
    loop_times: list[float] = field(default_factory=list)  # one total per repeat
    repeat_medians: list[float] = field(default_factory=list)  # one median per repeat
    first_loss: float = float("nan")
    final_loss: float = float("nan")

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def loop_time(self) -> float:
        """Median over repeats of the summed iteration times of one full run."""
        return statistics.median(self.loop_times)


def alternate(
    factories: dict[str, Factory], iterations: int, chunk: int, repeats: int = 1, pause: float = 0.0
) -> dict[str, Timing]:
    """Time ``iterations`` steps of every trainer, ``chunk`` steps at a time, taking turns.

    Each round runs one chunk of each trainer; the order rotates from round to round so that no
    trainer always follows the same one. Each repeat builds every trainer afresh (same initial
    weights). Only the ``step`` calls are timed, each one separately.

    ``pause`` seconds of sleep (untimed) before each chunk let the previous trainer's worker threads
    go idle: OpenBLAS's and PyTorch's OpenMP threads spin for a while after their last call, and on
    a 2-core machine that spinning would otherwise slow down whichever trainer runs next.
    """
    names = list(factories)
    out = {name: Timing(name) for name in names}
    for _ in range(repeats):
        steps = {name: factories[name]() for name in names}
        totals = dict.fromkeys(names, 0.0)
        done, rnd = 0, 0
        while done < iterations:
            n = min(chunk, iterations - done)
            k = rnd % len(names)
            for name in names[k:] + names[:k]:
                if pause:
                    time.sleep(pause)
                step, timing = steps[name], out[name]
                for i in range(done, done + n):
                    t0 = time.perf_counter()
                    loss = step(i)
                    dt = time.perf_counter() - t0
                    timing.times.append(dt)
                    totals[name] += dt
                    if i == 0:
                        timing.first_loss = loss
                    timing.final_loss = loss
            done += n
            rnd += 1
        for name in names:
            timing = out[name]
            timing.loop_times.append(totals[name])
            timing.repeat_medians.append(statistics.median(timing.times[-iterations:]))
    return out


def fmt_time(seconds: float) -> str:
    """A duration with a sensible unit: '12.3 µs', '4.56 ms', '7.89 s'."""
    if seconds != seconds:  # NaN
        return "–"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.2f} s"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-markdown table, columns padded for reading in a terminal too."""
    cells = [list(header), *[list(r) for r in rows]]
    widths = [max(len(r[c]) for r in cells) for c in range(len(header))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells[1:]:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
    return "\n".join(lines)
