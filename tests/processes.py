"""Running a command line in a child process and pressing Ctrl-C (a real SIGINT) at a chosen moment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

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
