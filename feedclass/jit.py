"""The one way feedclass compiles numba kernels: cached on disk where it can be, lazily if asked.

numba keeps compiled kernels in ``__pycache__`` beside the source, so a later run loads them
instead of compiling (seconds). An installation in a read-only place has no writable cache
directory, and ``cache=True`` then fails; the kernels are compiled in memory instead. A kernel
that only a rarely used path needs (the fast CSV scanner, the fast writer) is ``lazy``: numba is
imported and the kernel compiled or loaded on its first call, so a plain read never pays for it.

numba checks a cached kernel against its own source file only, yet a kernel inlines the kernels
it calls from other modules: after an edit (or a ``git checkout``) of a callee, the caller's
stale machine code would still load. So each kernel's cache key also carries a stamp of every
source file of its top-level package.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["jit"]


def _compile(func: Callable[..., Any], options: dict[str, Any]) -> Any:
    import numba

    try:
        kernel = numba.njit(cache=True, **options)(func)
    except RuntimeError:  # numba found no writable cache locator (read-only install)
        return numba.njit(**options)(func)
    _key_cache_on_package(kernel, func)
    return kernel


@functools.cache
def _package_stamp(top: str) -> str:
    """Sizes and modification times of every ``.py`` file of the top-level package ``top``."""
    module = sys.modules.get(top)
    where = getattr(module, "__file__", None)
    if where is None:
        return ""
    path = Path(where)
    files = sorted(path.parent.rglob("*.py")) if path.name == "__init__.py" else [path]
    digest = hashlib.sha256()
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        digest.update(f"{f}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _key_cache_on_package(kernel: Any, func: Callable[..., Any]) -> None:
    try:
        from numba.core.caching import FunctionCache
    except ImportError:  # another numba layout: keep numba's own key
        return
    if type(getattr(kernel, "_cache", None)) is not FunctionCache:
        return
    stamp = _package_stamp(func.__module__.partition(".")[0])

    class PackageKeyedCache(FunctionCache):  # type: ignore[misc]
        def _index_key(self, sig: Any, codegen: Any) -> Any:
            return (*super()._index_key(sig, codegen), stamp)

    kernel._cache = PackageKeyedCache(func)


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
