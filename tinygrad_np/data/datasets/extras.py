"""The ``cat`` extra's optional packages (h5py, Pillow, matplotlib, pooch, ...): a clear hint when one
is missing, instead of a bare ModuleNotFoundError."""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRA_HINT = 'pip install -e ".[cat]"'


def missing_hint(package: str) -> str:
    """The message for a missing optional package."""
    return (
        f"{package} is not installed; the cat datasets need the 'cat' extra: {EXTRA_HINT} "
        f"(or pip install {package})"
    )


def require(module: str, package: str | None = None) -> ModuleType:
    """Import ``module``; if it is missing, ModuleNotFoundError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module.split(".")[0]:
            raise
        raise ModuleNotFoundError(missing_hint(package or module), name=exc.name) from None
