"""The one check of a list of texts passed to feedclass (classifier, features and dedup alike).

A bare string is refused (the classic "classified one headline letter by letter" bug), as is
anything that is not a sequence of strings; missing values become "" or are refused, as the
caller's ``missing`` policy says.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from feedclass.errors import DataError

__all__ = ["check_texts"]


def check_texts(
    X: Any, name: str = "X", *, what: str = "texts", missing: str = "empty"
) -> list[str]:
    """Return ``X`` as a list of str, or raise ``DataError`` saying what came instead.

    Parameters
    ----------
    X : sequence of str
        The texts (a list, tuple, 1-d array, any iterable of str).
    name : str
        How messages name the argument.
    what : str
        How messages name the items ("texts", "headlines").
    missing : {"empty", "error"}
        ``None`` and NaN become "" ("empty": a classifier gives an empty headline its prior), or
        are refused ("error": the dedup needs every headline; fill or drop them first).

    Examples
    --------
    >>> check_texts(("Пожар в Алматы", None))
    ['Пожар в Алматы', '']
    >>> check_texts("Пожар в Алматы")
    Traceback (most recent call last):
    ...
    feedclass.errors.DataError: X must be a list of texts, not a single string; wrap it: [X]
    >>> check_texts(["a", None], "texts", what="headlines", missing="error")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    feedclass.errors.DataError: texts[1] must be a str; got NoneType instead (fill missing ...
    """
    if missing not in ("empty", "error"):
        raise ValueError(f"missing must be 'empty' or 'error'; got {missing!r} instead")
    if isinstance(X, (str, bytes)):
        raise DataError(f"{name} must be a list of {what}, not a single string; wrap it: [{name}]")
    if isinstance(X, np.ndarray):
        if X.ndim != 1:
            raise DataError(
                f"{name} must be a 1-d sequence of {what}; got an array of shape {X.shape}"
            )
        X = X.tolist()
    elif not isinstance(X, Iterable):
        raise DataError(f"{name} must be a list of {what}; got {type(X).__name__} instead")
    texts = X if isinstance(X, list) else list(X)
    if all(type(t) is str for t in texts):
        return texts
    out: list[str] = []
    for i, t in enumerate(texts):
        if isinstance(t, str):
            out.append(t)
        elif missing == "empty" and (t is None or (isinstance(t, float) and math.isnan(t))):
            out.append("")
        else:
            hint = (
                " (or None)"
                if missing == "empty"
                else " (fill missing headlines or drop those rows first)"
            )
            raise DataError(f"{name}[{i}] must be a str; got {type(t).__name__} instead{hint}")
    return out
