"""The ``cat`` extra's optional packages (h5py, Pillow, matplotlib, pooch, ...): a clear hint when one
is missing, instead of a bare ModuleNotFoundError."""

from __future__ import annotations

import importlib
from types import ModuleType

from ...validation import fail

EXTRA_HINT = 'pip install -e ".[cat]"'
# The package to install for a module whose import name differs.
PACKAGES = {"PIL": "Pillow"}


def missing_module(module: str, package: str | None = None) -> ModuleNotFoundError:
    """The error for a missing optional module: names its package (default: from ``PACKAGES``, else
    the module's name) and the extra that installs it."""
    package = package or PACKAGES.get(module, module)
    error = fail(
        "tinygrad_np.datasets",
        f"the optional package {package}",
        "be installed",
        f"no module named {module!r}",
        f"install the 'cat' extra: {EXTRA_HINT} (or pip install {package})",
        ModuleNotFoundError,
    )
    assert isinstance(error, ModuleNotFoundError)
    error.name = module
    return error


def missing_hint(package: str) -> str:
    """The message for a missing optional package (or module)."""
    return str(missing_module(package))


def require(module: str, package: str | None = None) -> ModuleType:
    """Import ``module``; if it is missing, ModuleNotFoundError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module.split(".")[0]:
            raise
        raise missing_module(exc.name, package) from None
