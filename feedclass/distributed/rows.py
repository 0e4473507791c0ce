"""Some rows of a featurised batch, to score pairs across shards without moving a shard.

A pair whose items lie in two shards is scored where one shard's features are; the other
shard sends only the rows its pairs need (about a kilobyte each), cut from the features it
already holds, instead of the whole shard or its headlines to featurise again.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from feedclass.dedup import Features

__all__ = ["take_rows"]

# Flat arrays that hold one entry per entry of a CSR field's rows, by that field.
_ALIGNED = {
    "word_val": "stems",
    "stem_idf": "stems",
    "stem_vec": "stems",
    "stem_pole": "stems",
    "number_idf": "numbers",
    "number_amounts": "numbers",
}
_PER_ROW = {"length", "clean_hash"}
_SHARED = {"vectors", "log_n", "n"}


def _entries(ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The new row pointer and the old entry positions of ``rows`` of a CSR array."""
    start = ptr[rows].astype(np.int64)
    size = ptr[rows + 1].astype(np.int64) - start
    new_ptr = np.zeros(rows.size + 1, dtype=ptr.dtype)
    np.cumsum(size, out=new_ptr[1:])
    # position k of the output reads entry start[row of k] + (k - new_ptr[row of k])
    at = np.repeat(start - new_ptr[:-1].astype(np.int64), size) + np.arange(
        int(size.sum()), dtype=np.int64
    )
    return new_ptr, at


def take_rows(f: Features, rows: Any) -> Features:
    """The features of ``rows`` of ``f``, in that order (row ``k`` of the result is
    ``rows[k]`` of ``f``); pair scores on them equal those on ``f``.

    Examples
    --------
    >>> import numpy as np
    >>> from feedclass.dedup import featurize, pair_scores
    >>> f, _ = featurize(["Пожар на складе в Алматы", "Курс доллара на 5 мая",
    ...                   "Срочно: пожар на складе в Алматы"])
    >>> g = take_rows(f, np.array([2, 0]))
    >>> g.n, float(pair_scores(g, np.array([0]), np.array([1]))[0])
    (2, 1.0)
    """
    rows = np.asarray(rows, dtype=np.int64)
    out: dict[str, Any] = {}
    at_of: dict[str, np.ndarray] = {}
    for fld in dataclasses.fields(f):
        name = fld.name
        value = getattr(f, name)
        if name in _SHARED:
            out[name] = value
        elif name in _PER_ROW:
            out[name] = value[rows]
        elif isinstance(value, tuple):
            ptr, at = _entries(value[0], rows)
            at_of[name] = at
            out[name] = (ptr, *(v[at] for v in value[1:]))
        elif name not in _ALIGNED:
            # A new field of Features must be placed in one of the tables above.
            raise TypeError(f"take_rows does not know how to cut Features.{name}")
    for name, by in _ALIGNED.items():
        out[name] = getattr(f, name)[at_of[by]]
    out["n"] = int(rows.size)
    return Features(**out)
