"""no_grad(): a context manager and decorator under which no graph is recorded.

The flag is per thread (as in PyTorch); ``Function.apply`` and the layers' array path read it. It is not a
training flag (train/eval modes are per module).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    enabled = True  # the class attribute is every thread's starting value


_state = _State()


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()`` in this thread."""
    return _state.enabled


class no_grad:
    """``with tnp.no_grad(): ...`` or ``@tnp.no_grad()``: results have ``requires_grad=False``, no graph
    is recorded and the built-in layers keep no cache (inference, evaluation, weight updates written as
    Tensor code). A hand-written layer's own forward decides what it caches."""

    def __enter__(self) -> None:
        self._prev = is_grad_enabled()
        _state.enabled = False

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._prev

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class enable_grad(no_grad):
    """``with tnp.enable_grad(): ...``: record the graph again inside ``no_grad()`` (as PyTorch's)."""

    def __enter__(self) -> None:
        self._prev = is_grad_enabled()
        _state.enabled = True
