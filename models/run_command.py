"""What the examples' command lines share: run one subcommand and turn every expected failure into
one ``error:`` line and an exit code (2), Ctrl-C outside training into 130."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import tinygrad_np as tnp

# ImportError: an optional package a command needs is missing (onnx for export); its message says what
# to install
EXPECTED = (OSError, ValueError, TypeError, KeyError, MemoryError, ImportError, tnp.TrainingDivergedError)


def run_command(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """``command(args)``'s exit code, or 2 after one ``error:`` line on stderr, or 130 on Ctrl-C."""
    try:
        return command(args)
    except KeyboardInterrupt:
        print("\ninterrupted (Ctrl-C)", file=sys.stderr)
        return 130
    except EXPECTED as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2


def one_line(exc: BaseException) -> str:
    """One line: KeyError's quotes dropped, a MemoryError and a bare OSError made readable."""
    if isinstance(exc, KeyError) and len(exc.args) == 1:
        text = str(exc.args[0])
    elif isinstance(exc, MemoryError):
        text = f"out of memory ({exc or 'an array too large to allocate'})"
    elif isinstance(exc, OSError) and exc.filename and str(exc.filename) not in str(exc):
        text = f"{exc.filename}: {exc.strerror or exc}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split("\n"))
