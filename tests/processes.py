"""Pressing Ctrl-C (a real SIGINT) at a chosen moment: in a command line run as a child process, or at a
training step in this process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def interrupt_at(module: str, args: list[str], line_prefix: str) -> tuple[int, str, str]:
    """Run ``python -u -m module *args`` from the repository root, send SIGINT as soon as it prints a
    line starting with ``line_prefix``; (exit code, the rest of stdout, stderr)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-u", "-m", module, *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(line_prefix):
            break
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    return proc.returncode, stdout, stderr


def ctrl_c_at(monkeypatch: Any, at: int) -> None:
    """In this process: press Ctrl-C (a real SIGINT, handled by fit()) at the end of the ``at``-th training
    step of the next command or fit() call."""
    from tinygrad_np.train.state import CallbackList

    call, steps = CallbackList.call, [0]

    def spy(self, hook, state, *args):  # type: ignore[no-untyped-def]
        call(self, hook, state, *args)
        if hook == "on_batch_end":
            steps[0] += 1
            if steps[0] == at:
                signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(CallbackList, "call", spy)
