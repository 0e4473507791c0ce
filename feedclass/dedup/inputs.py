"""Checks of what callers pass to the dedup: headlines, their times and their sources."""

from __future__ import annotations

from typing import Any

import numpy as np

from feedclass.errors import DataError
from feedclass.inputs import check_texts

__all__ = ["as_sources", "as_times", "check_headlines"]


def check_headlines(texts: Any, name: str = "texts") -> list[str]:
    """``texts`` as a list of str (:func:`feedclass.inputs.check_texts`); a missing one is refused.

    The dedup needs every headline: an empty one would join every other empty one.

    Examples
    --------
    >>> check_headlines(("a", "b"))
    ['a', 'b']
    >>> check_headlines("a headline")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    feedclass.errors.DataError: texts must be a list of headlines, not a single string...
    """
    return check_texts(texts, name, what="headlines", missing="error")


def as_times(times: Any, n: int) -> np.ndarray | None:
    """One float time per headline (numbers as given, datetime64 as nanoseconds), or None.

    Examples
    --------
    >>> as_times([3, 1.5], 2).tolist()
    [3.0, 1.5]
    """
    if times is None:
        return None
    if isinstance(times, (str, bytes)):
        raise DataError("times must be a sequence with one time per headline; got a single str")
    arr = np.asarray(times)
    if arr.shape != (n,):
        raise DataError(f"times must have one value per headline ({n}); got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.datetime64):
        return arr.astype("datetime64[ns]").astype(np.int64).astype(np.float64)
    try:
        out = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError(
            "times must be numbers (e.g. Unix seconds) or numpy datetime64; "
            f"got {arr.dtype} instead"
        ) from None
    if np.isnan(out).any():
        raise DataError("times contains missing values; fill them or pass times=None")
    return out


def as_sources(sources: Any, n: int) -> np.ndarray:
    """One int code per headline's source (in order of first appearance), -1 where unknown.

    Examples
    --------
    >>> as_sources(["tass", None, "ria", "tass", ""], 5).tolist()
    [0, -1, 1, 0, -1]
    """
    if sources is None:
        return np.full(n, -1, dtype=np.int64)
    if isinstance(sources, (str, bytes)):
        raise DataError("sources must be a sequence with one source per headline; got a single str")
    src = list(sources)
    if len(src) != n:
        raise DataError(f"sources must have one value per headline ({n}); got {len(src)}")
    codes: dict[Any, int] = {}
    out = np.empty(n, dtype=np.int64)
    for k, s in enumerate(src):
        # None / "" mean "unknown source": such items may merge with anything
        out[k] = -1 if s is None or s == "" else codes.setdefault(s, len(codes))
    return out
