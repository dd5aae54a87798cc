"""Argument types the command lines share: each error names the option (``--seed must be ...``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["non_negative_float", "non_negative_int", "number", "positive_float", "positive_int"]


def positive_int(text: str) -> int:
    """A whole number >= 1 (argparse names the option: "argument --epochs: must be at least 1, got 0")."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(flag: str) -> Callable[[str], int]:
    """A whole number >= 0 (for ``--seed``: up to 2**32 - 1, np.random.seed's range)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = -1
        top = 2**32 - 1 if flag == "--seed" else None  # np.random.seed's range
        if value < 0 or (top is not None and value > top):
            rule = "an integer from 0 to 2**32 - 1" if top else "a whole number >= 0"
            raise argparse.ArgumentTypeError(f"{flag} must be {rule}, got {text!r}")
        return value

    return parse


def number(flag: str, text: str) -> float:
    """A finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{flag} must be a number, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{flag} must be finite, got {text!r}")
    return value


def positive_float(flag: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = number(flag, text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{flag} must be positive, got {text!r}")
        return value

    return parse


def non_negative_float(flag: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = number(flag, text)
        if value < 0:
            raise argparse.ArgumentTypeError(f"{flag} must be at least 0, got {text!r}")
        return value

    return parse
