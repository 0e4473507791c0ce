"""Ragged arrays (CSR rows: a row pointer plus flat values) and sorted lookup tables.

Every per-headline set the dedup keeps (stems, numbers, names, char n-grams) is one such array;
these helpers sort, count and look up their rows, in numba, on all cores.
"""

from __future__ import annotations

import numba
import numpy as np

from feedclass.hashing import mix64
from feedclass.jit import jit

__all__ = [
    "collapse",
    "count_rows",
    "find_sorted",
    "in_sorted",
    "lookup",
    "n_distinct",
    "ptr_from_docs",
    "sort_slice",
    "sorted_rows",
    "sorted_unique_rows",
]


@jit
def sort_slice(a, lo, hi):  # pragma: no cover - numba
    """Sort ``a[lo:hi]`` in place: insertion sort for short rows (no allocation), else np.sort."""
    if hi - lo > 48:
        a[lo:hi] = np.sort(a[lo:hi])
        return
    for k in range(lo + 1, hi):
        v = a[k]
        q = k - 1
        while q >= lo and a[q] > v:
            a[q + 1] = a[q]
            q -= 1
        a[q + 1] = v


@jit(inline="always")
def n_distinct(vals, a, e):  # pragma: no cover - numba
    """How many distinct values the sorted slice ``vals[a:e]`` holds."""
    c = 0
    for k in range(a, e):
        if k == a or vals[k] != vals[k - 1]:
            c += 1
    return c


@jit(inline="always")
def collapse(vals, a, e, out_idx, out_cnt, start):  # pragma: no cover - numba
    """Write the sorted slice ``vals[a:e]`` as (value, count) pairs from ``start`` on."""
    w = start - 1
    for k in range(a, e):
        if k == a or vals[k] != vals[k - 1]:
            w += 1
            out_idx[w] = vals[k]
            out_cnt[w] = 1.0
        else:
            out_cnt[w] += 1.0


@jit(parallel=True)
def count_rows(indptr, idx):  # pragma: no cover - numba
    """Collapse repeated ids in each sorted row into (id, count) pairs."""
    n = indptr.shape[0] - 1
    u = np.zeros(n + 1, dtype=np.int64)
    for d in numba.prange(n):
        u[d + 1] = n_distinct(idx, indptr[d], indptr[d + 1])
    out_ptr = np.cumsum(u)
    out_idx = np.empty(out_ptr[n], dtype=np.int64)
    out_cnt = np.empty(out_ptr[n], dtype=np.float64)
    for d in numba.prange(n):
        collapse(idx, indptr[d], indptr[d + 1], out_idx, out_cnt, out_ptr[d])
    return out_ptr, out_idx, out_cnt


@jit(parallel=True)
def sorted_unique_rows(indptr, vals):  # pragma: no cover - numba
    """Sort and de-duplicate each row of a ragged array (rows given by ``indptr``)."""
    n = indptr.shape[0] - 1
    tmp = np.empty_like(vals)
    u = np.zeros(n + 1, dtype=np.int64)
    for d in numba.prange(n):
        a = indptr[d]
        e = indptr[d + 1]
        tmp[a:e] = vals[a:e]
        sort_slice(tmp, a, e)
        c = 0
        for k in range(a, e):
            if k == a or tmp[k] != tmp[k - 1]:
                c += 1
        u[d + 1] = c
    out_ptr = np.cumsum(u)
    out = np.empty(out_ptr[n], dtype=vals.dtype)
    for d in numba.prange(n):
        pos = out_ptr[d]
        a = indptr[d]
        for k in range(a, indptr[d + 1]):
            if k == a or tmp[k] != tmp[k - 1]:
                out[pos] = tmp[k]
                pos += 1
    return out_ptr, out


@jit(parallel=True)
def find_sorted(table, q):  # pragma: no cover - numba
    """Index of each ``q`` in ``table`` (sorted, distinct) where present, else 0.

    Where ``q`` is present this is ``np.searchsorted(table, q)``; callers test
    ``table[pos] == q`` for presence. A hash index (open addressing) instead of a binary
    search: one or two probes per query, run in parallel.
    """
    m = table.shape[0]
    size = 2
    while size < 2 * m:
        size <<= 1
    mask = np.uint64(size - 1)
    skey = np.zeros(size, dtype=table.dtype)
    sidx = np.full(size, -1, dtype=np.int64)
    for k in range(m):
        h = mix64(np.uint64(table[k])) & mask
        while sidx[h] >= 0 and skey[h] != table[k]:
            h = (h + np.uint64(1)) & mask
        if sidx[h] < 0:
            skey[h] = table[k]
            sidx[h] = k
    out = np.zeros(q.shape[0], dtype=np.int64)
    for t in numba.prange(q.shape[0]):
        x = q[t]
        h = mix64(np.uint64(x)) & mask
        while sidx[h] >= 0:
            if skey[h] == x:
                out[t] = sidx[h]
                break
            h = (h + np.uint64(1)) & mask
    return out


def ptr_from_docs(doc: np.ndarray, n_docs: int) -> np.ndarray:
    """Row pointer of a ragged array whose entries are grouped by (non-decreasing) document."""
    ptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(doc, minlength=n_docs), out=ptr[1:])
    return ptr


def in_sorted(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Vectorised membership test of ``values`` in the sorted array ``table``."""
    if table.size == 0:
        return np.zeros(values.shape, dtype=bool)
    pos = find_sorted(table, values)
    pos[pos >= table.size] = 0
    return table[pos] == values


@jit(parallel=True)
def sorted_rows(indptr, vals):  # pragma: no cover - numba
    """Each row of a ragged array sorted (repeats kept); returns ``(indptr, sorted values)``."""
    out = vals.copy()
    for d in numba.prange(indptr.shape[0] - 1):
        sort_slice(out, indptr[d], indptr[d + 1])
    return indptr, out


def lookup(keys: np.ndarray, vals: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where ``q`` is in the sorted ``keys``: (hit mask, value for each hit)."""
    if keys.size == 0 or q.size == 0:
        return np.zeros(q.shape, dtype=bool), np.zeros(0, dtype=vals.dtype)
    pos = find_sorted(keys, q)
    pos[pos >= keys.size] = 0
    hit = keys[pos] == q
    return hit, vals[pos[hit]]
