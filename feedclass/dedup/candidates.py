"""Candidate pairs: MinHash banding over each headline's stem set, capped per item.

Only candidate pairs are scored exactly, so the work grows with the number of headlines, not
its square, even in huge buckets of look-alike headlines.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from feedclass.dedup.featurize import Features
from feedclass.hashing import mix64
from feedclass.jit import jit

__all__ = [
    "BANDS",
    "ROWS",
    "SEED",
    "TOP_K",
    "band_keys",
    "candidate_keys",
    "candidate_pairs",
    "sort_in_place",
]


@jit(parallel=True)
def _band_keys(s_ptr, s_idx, fallback, band, rows, seed):  # pragma: no cover - numba
    """Key of one MinHash band per headline: ``rows`` min-hashes of its stem set, combined.

    Computed band by band, so the full signature matrix (n x bands x rows) never exists.
    Empty stem sets use their exact-text hash, so only identical such headlines collide.
    """
    n = s_ptr.shape[0] - 1
    out = np.empty(n, dtype=np.uint64)
    for d in numba.prange(n):
        a = s_ptr[d]
        e = s_ptr[d + 1]
        h = np.uint64(band + 1)
        for r in range(rows):
            k = band * rows + r
            salt = mix64(np.uint64(seed) + np.uint64(k) * np.uint64(0x9E3779B97F4A7C15))
            if a == e:
                m = mix64(fallback[d] ^ salt)
            else:
                m = np.uint64(0xFFFFFFFFFFFFFFFF)
                for q in range(a, e):
                    v = mix64(s_idx[q] ^ salt)
                    if v < m:
                        m = v
            h = mix64(h ^ m)
        out[d] = h
    return out


@jit
def _bucket_pairs(packed, idx_bits, key_shift, window, n, out, pos):  # pragma: no cover - numba
    """Pair codes ``i * n + j`` (i < j) of items sharing a band key, ``window`` neighbours each,
    written as ``code * 64 + 1`` (one band's vote, the form ``_merge_sorted_counted`` adds up).

    ``packed`` is sorted and holds, from the high bits down: the band key (the bits above
    ``key_shift``), a secondary key that orders a big bucket so near duplicates are neighbours,
    and the item index (the low ``idx_bits``). The work stays linear however large a bucket is.
    """
    m = packed.shape[0]
    imask = (np.uint64(1) << np.uint64(idx_bits)) - np.uint64(1)
    sh = np.uint64(key_shift)
    for a in range(m):
        ka = packed[a] >> sh
        i = np.int64(packed[a] & imask)
        lim = min(m, a + 1 + window)
        for b in range(a + 1, lim):
            if (packed[b] >> sh) != ka:
                break
            j = np.int64(packed[b] & imask)
            if i < j:
                out[pos] = (i * n + j) * 64 + 1
            else:
                out[pos] = (j * n + i) * 64 + 1
            pos += 1
    return pos


@jit(inline="always")
def _split_code(code, n, inv_n):  # pragma: no cover - numba
    """``(code // n, code % n)`` through a float reciprocal, corrected to the exact quotient
    (an integer division costs ~10x more)."""
    i = np.int64(code * inv_n)
    while i * n > code:
        i -= 1
    while (i + 1) * n <= code:
        i += 1
    return i, code - i * n


@jit
def _top_k(packed, n, k):  # pragma: no cover - numba
    """Keep a pair when it is among the ``k`` best (most bands shared) of either of its items.

    ``packed`` holds ``code * 64 + count``, sorted by code. Pairs are visited best first: most
    bands, then lowest code (a stable counting sort on the count for the pairs seen by two or
    more bands; the bulk seen by one band comes last, read in place). The cap bounds the exact
    scoring work per item even inside huge buckets of look-alike headlines, while every item
    keeps its closest candidates. Returns the kept pairs ``(i, j)`` in code order.
    """
    m = packed.shape[0]
    hist = np.zeros(65, dtype=np.int64)
    for p in range(m):
        hist[packed[p] & 63] += 1
    start = np.zeros(65, dtype=np.int64)
    for c in range(62, 1, -1):
        start[c] = start[c + 1] + hist[c + 1]
    order = np.empty(start[2] + hist[2], dtype=np.int64)
    for p in range(m):
        c = packed[p] & 63
        if c >= 2:
            order[start[c]] = p
            start[c] += 1
    deg = np.zeros(n, dtype=np.int32)
    keep = np.zeros(m, dtype=np.bool_)
    n_keep = 0
    inv_n = 1.0 / n
    for q in range(order.shape[0] + m):
        if q < order.shape[0]:
            p = order[q]
        else:
            p = q - order.shape[0]
            if (packed[p] & 63) != 1:
                continue
        i, j = _split_code(packed[p] >> 6, n, inv_n)
        if deg[i] < k or deg[j] < k:
            keep[p] = True
            n_keep += 1
            deg[i] += 1
            deg[j] += 1
    pi = np.empty(n_keep, dtype=np.int64)
    pj = np.empty(n_keep, dtype=np.int64)
    w = 0
    for p in range(m):
        if keep[p]:
            pi[w], pj[w] = _split_code(packed[p] >> 6, n, inv_n)
            w += 1
    return pi, pj


@jit
def _merge_sorted_counted(packed):  # pragma: no cover - numba
    """In place: merge runs of equal codes in sorted ``code * 64 + count``; returns the length."""
    m = packed.shape[0]
    w = -1
    for r in range(m):
        code = packed[r] >> 6
        if w >= 0 and (packed[w] >> 6) == code:
            c = (packed[w] & 63) + (packed[r] & 63)
            packed[w] = code * 64 + (c if c < 63 else 63)
        else:
            w += 1
            packed[w] = packed[r]
    return w + 1


@jit
def _partition_below(a, pivot):  # pragma: no cover - numba
    """Reorder ``a`` in place so the values below ``pivot`` come first; return how many."""
    i = 0
    j = a.size - 1
    while True:
        while i <= j and a[i] < pivot:
            i += 1
        while i <= j and a[j] >= pivot:
            j -= 1
        if i >= j:
            return i
        a[i], a[j] = a[j], a[i]
        i += 1
        j -= 1


_PARALLEL_SORT_MIN = 1 << 22  # below this one thread sorts as fast as splitting pays


def sort_in_place(a: np.ndarray) -> None:
    """``a.sort()`` on every core: numpy's sort runs on one, and on a large feed sorting the
    candidate codes was a large share of the run (``benchmarks/bench_dedup.py``). Split around
    sampled medians into one range per core (no copy), and each range is sorted in its own
    thread (numpy releases the GIL while it sorts). The result is the same sorted array."""
    parts = [a]
    cores = os.cpu_count() or 1
    while len(parts) < cores and a.size >= _PARALLEL_SORT_MIN:
        big = max(range(len(parts)), key=lambda k: parts[k].size)
        p = parts[big]
        if p.size < _PARALLEL_SORT_MIN // 2:
            break
        sample = np.sort(p[np.random.default_rng(p.size).integers(0, p.size, 65536)])
        k = int(_partition_below(p, sample[sample.size // 2]))
        if k == 0 or k == p.size:  # one value fills the middle: sort what is left as it is
            break
        parts[big : big + 1] = [p[:k], p[k:]]
    if len(parts) == 1:
        a.sort()
        return
    with ThreadPoolExecutor(len(parts)) as pool:
        list(pool.map(np.ndarray.sort, parts))


#: MinHash bands, and min-hashes per band: two headlines become candidates when they share a
#: band key (a band of 2 rows is shared with probability about the stem Jaccard squared).
BANDS = 48
ROWS = 2
_WINDOW = 3  # neighbours per item in a sorted bucket: keeps huge buckets linear
#: Candidates kept per item: the pairs supported by the most bands.
TOP_K = 12
SEED = 20240501


def candidate_keys(f: Features, bands: int = BANDS, rows: int = ROWS) -> np.ndarray:
    """The MinHash band keys of every headline of a featurised batch, shape ``(n, bands)``.

    Two headlines whose keys agree in some column are candidates. A key depends on the
    headline's stems only (and for a headline without stems, on its folded text), not on the
    rest of the batch, so keys of items featurised in different batches can be compared.

    Examples
    --------
    >>> from feedclass.dedup.featurize import featurize
    >>> f, _ = featurize(["Пожар на складе в Алматы", "Срочно: пожар на складе в Алматы",
    ...                   "Курс доллара на 5 мая"])
    >>> k = candidate_keys(f)
    >>> k.shape, bool((k[0] == k[1]).all()), bool((k[0] == k[2]).any())
    ((3, 48), True, False)
    """
    return band_keys(*f.stems, f.clean_hash, bands, rows)


def band_keys(
    s_ptr: np.ndarray,
    s_idx: np.ndarray,
    clean_hash: np.ndarray,
    bands: int = BANDS,
    rows: int = ROWS,
) -> np.ndarray:
    """:func:`candidate_keys` from the pieces it reads: each headline's distinct stem hashes
    (CSR rows ``s_ptr``/``s_idx``) and the hash of its folded text (for one without stems).

    Examples
    --------
    >>> k = band_keys(np.array([0, 2, 2]), np.array([5, 9], dtype=np.uint64),
    ...               np.array([1, 2], dtype=np.uint64))
    >>> k.shape
    (2, 48)
    """
    n = s_ptr.shape[0] - 1
    out = np.empty((n, bands), dtype=np.uint64)
    for b in range(bands):
        out[:, b] = _band_keys(s_ptr, s_idx, clean_hash, b, rows, SEED)
    return out


def candidate_pairs(
    f: Features, bands: int = BANDS, rows: int = ROWS, top_k: int = TOP_K
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (i < j), unique, from MinHash banding over the stem sets.

    Every band proposes its bucket neighbours; a pair proposed by more bands is more likely a
    near duplicate (the count estimates the stem Jaccard), so each item keeps its ``top_k``
    best-supported pairs. Sorting plain integers (numpy's SIMD sort) does all the grouping.
    Returns the pairs ``(i, j)`` sorted by ``i``, then ``j``.

    Examples
    --------
    >>> from feedclass.dedup.featurize import featurize
    >>> f, _ = featurize(["Пожар на складе в Алматы", "Курс доллара на 5 мая",
    ...                   "Срочно: пожар на складе в Алматы"])
    >>> [p.tolist() for p in candidate_pairs(f)]
    [[0], [2]]
    """
    n = f.n
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    s_ptr, s_idx = f.stems
    idx_bits = max(1, int(n - 1).bit_length())
    # Sort key per band, from the high bits down: this band's key, the previous band's key,
    # the item index. Inside a big bucket, items that also share the previous band are
    # neighbours, so the window pairs near duplicates rather than arbitrary bucket-mates.
    key_bits = (64 - idx_bits) * 11 // 20
    key_shift = 64 - key_bits
    sec_bits = key_shift - idx_bits
    # Items are numbered by content (cleaned-text hash, then position) for the tie-breaks of
    # bucketing and top-k, so that which pairs become candidates does not depend on the order
    # of the feed; the pairs are mapped back to feed positions at the end.
    perm = np.argsort(f.clean_hash, kind="stable")
    idx = np.empty(n, dtype=np.uint64)
    idx[perm] = np.arange(n, dtype=np.uint64)
    # All bands' pair codes go to one buffer (pages are touched only as it fills), sorted once
    # at the end: one SIMD sort instead of re-sorting a growing accumulator every few bands.
    acc = np.empty(bands * n * _WINDOW, dtype=np.int64)
    pos = 0
    prev = _band_keys(s_ptr, s_idx, f.clean_hash, bands - 1, rows, SEED)
    for b in range(bands):
        keys = _band_keys(s_ptr, s_idx, f.clean_hash, b, rows, SEED)
        packed = ((keys >> np.uint64(key_shift)) << np.uint64(key_shift)) | idx
        if sec_bits > 0:
            packed |= (prev >> np.uint64(64 - sec_bits)) << np.uint64(idx_bits)
        prev = keys
        packed.sort()
        pos = _bucket_pairs(packed, idx_bits, key_shift, _WINDOW, n, acc, pos)
        del packed
    if pos == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    acc = acc[:pos]
    sort_in_place(acc)
    acc = acc[: _merge_sorted_counted(acc)]
    ci, cj = _top_k(acc, n, top_k)
    a = perm[ci]
    b = perm[cj]
    code = np.minimum(a, b) * n + np.maximum(a, b)
    sort_in_place(code)  # pairs by first item: pair scoring then reads that item's rows in order
    return code // n, code % n
