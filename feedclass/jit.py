"""The one way feedclass compiles numba kernels: cached on disk where it can be, lazily if asked.

numba keeps compiled kernels in ``__pycache__`` beside the source, so a later run loads them
instead of compiling (seconds). An installation in a read-only place has no writable cache
directory, and ``cache=True`` then fails; the kernels are compiled in memory instead. A kernel
that only a rarely used path needs (the fast CSV scanner, the fast writer) is ``lazy``: numba is
imported and the kernel compiled or loaded on its first call, so a plain read never pays for it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["jit"]


def _compile(func: Callable[..., Any], options: dict[str, Any]) -> Any:
    import numba

    try:
        return numba.njit(cache=True, **options)(func)
    except RuntimeError:  # numba found no writable cache locator (read-only install)
        return numba.njit(**options)(func)


class _LazyKernel:
    """A kernel compiled (or loaded from numba's cache) on its first call."""

    def __init__(self, func: Callable[..., Any], options: dict[str, Any]) -> None:
        functools.update_wrapper(self, func)
        self._func = func
        self._options = options
        self._compiled: Any = None

    def __call__(self, *args: Any) -> Any:
        if self._compiled is None:
            self._compiled = _compile(self._func, self._options)
        return self._compiled(*args)


def jit(func: Callable[..., Any] | None = None, *, lazy: bool = False, **options: Any) -> Any:
    """``numba.njit(cache=True, **options)``, or without the cache where none can be written.

    Use as ``@jit`` or ``@jit(parallel=True, inline="always")``. With ``lazy=True`` the result
    is a plain Python callable that imports numba and compiles on its first call; it cannot be
    called from another numba kernel (an eager ``jit`` kernel can).

    Examples
    --------
    >>> @jit
    ... def twice(x):
    ...     return 2 * x
    >>> @jit(lazy=True, nogil=True)
    ... def plus_one(x):
    ...     return twice(x) + 1
    >>> twice(21), plus_one(20)
    (42, 41)
    """

    def wrap(f: Callable[..., Any]) -> Any:
        return _LazyKernel(f, options) if lazy else _compile(f, options)

    return wrap if func is None else wrap(func)
