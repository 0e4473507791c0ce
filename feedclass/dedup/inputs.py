"""Checks of what callers pass to the dedup: headlines, their times and their sources."""

from __future__ import annotations

import datetime as _dt
import math
import time as _time
from typing import Any, Union

import numpy as np

from feedclass.errors import DataError
from feedclass.inputs import check_texts

__all__ = [
    "ItemId",
    "as_sources",
    "as_time",
    "as_times",
    "check_headline",
    "check_headlines",
    "check_item_id",
]

ItemId = Union[str, int]  # noqa: UP007 - a runtime alias


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


def as_time(value: Any, name: str = "time") -> float:
    """One item's time as Unix seconds: a number, a datetime (naive means UTC) or None (now).

    Examples
    --------
    >>> import datetime
    >>> as_time(datetime.datetime(2024, 5, 5))
    1714867200.0
    >>> as_time("yesterday")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    feedclass.errors.DataError: time must be Unix seconds (a number) or a datetime; got str...
    """
    if value is None:
        return _time.time()
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.timestamp()
    if isinstance(value, np.datetime64):
        return float(value.astype("datetime64[ns]").astype(np.int64)) / 1e9
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise DataError(
            f"{name} must be Unix seconds (a number) or a datetime; got {type(value).__name__} "
            "instead"
        )
    t = float(value)
    if not math.isfinite(t):
        raise DataError(f"{name} must be a finite number of Unix seconds; got {value!r} instead")
    return t


def check_item_id(item_id: Any) -> ItemId:
    """An item id: a non-empty str or an int (numpy ints become ints).

    Examples
    --------
    >>> check_item_id(np.int64(7))
    7
    >>> check_item_id("")
    Traceback (most recent call last):
    ...
    feedclass.errors.DataError: item_id must not be empty
    """
    if isinstance(item_id, bool) or not isinstance(item_id, (str, int, np.integer)):
        raise DataError(f"item_id must be a str or an int; got {type(item_id).__name__} instead")
    if isinstance(item_id, np.integer):
        return int(item_id)
    if isinstance(item_id, str) and not item_id:
        raise DataError("item_id must not be empty")
    return item_id


def check_headline(text: Any) -> str:
    """One headline, on one line (line breaks become spaces); an empty one is refused.

    Examples
    --------
    >>> check_headline("Пожар\\nв Алматы")
    'Пожар в Алматы'
    """
    if not isinstance(text, str):
        raise DataError(
            f"text must be one headline (str); got {type(text).__name__} instead. "
            "Use add_many for a list of headlines"
        )
    if not text.strip():
        raise DataError("text must be a headline; got an empty one (skip empty rows first)")
    return text.replace("\n", " ").replace("\r", " ")
