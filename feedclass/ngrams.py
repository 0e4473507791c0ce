"""Hashed n-gram TF-IDF rows of a batch of headlines: the numba kernel and its batch runner.

The compiled half of :class:`feedclass.features.HashingFeatures`, apart so that a loaded model
can score headlines (``feedclass classify``, :class:`feedclass.scorer.TopicScorer`) without
importing scikit-learn or SciPy: those imports cost about half of a short run's start-up.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any

import llvmlite.ir as llvm_ir
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from feedclass.hashing import FNV_OFFSET, FNV_PRIME
from feedclass.inputs import check_texts
from feedclass.jit import jit
from feedclass.normalize import fold_codepoints, normalize_many

__all__ = ["PACK_CLASSES", "hash_batch", "n_threads", "pack_rows", "run_batch"]

# FNV-1a over whole code points, then an xorshift-multiply finaliser; the bucket comes from
# the product's high 32 bits (Lemire's multiply-shift range reduction, no division).
# Different seeds put char and word n-grams in different hash spaces.
WORD_SEED_INT = 0x9E3779B97F4A7C15
_FNV_PRIME = FNV_PRIME
_CHAR_SEED = FNV_OFFSET
_WORD_SEED = np.uint64(WORD_SEED_INT)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_S29 = np.uint64(29)
_S32 = np.uint64(32)
_SPACE = np.uint64(32)

# Below this many documents per thread, thread start-up costs more than it saves.
_MIN_DOCS_PER_THREAD = 2000

# Passed as coef_t when a CSR is wanted; one dtype and layout keep the kernel to one compile.
_NO_COEF = np.zeros((0, 1), np.float32)
_NO_PACK = np.zeros((0, 16), np.float32)
# A packed row is one 64-byte cache line: 16 float32, the idf and up to 15 classes' weights.
_PACK_WIDTH = 16
PACK_CLASSES = _PACK_WIDTH - 1
_CACHE_LINE = 64


def _prefetch_typer(typingctx: Any, rows: Any, row: Any) -> Any:
    """Start loading ``rows[row, 0]``'s cache line; nothing waits for it.

    Why: the kernel reads a packed row for each distinct n-gram of a text only after hashing
    them all; asking for each row as its n-gram is hashed overlaps the cache misses (most of
    the kernel's time on a large table) with the hashing of the next ones.
    """

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        zero = context.get_constant(types.intp, 0)
        ptr = cgutils.get_item_pointer(
            context, builder, aryty, ary, [args[1], zero], wraparound=False
        )
        i8p = llvm_ir.IntType(8).as_pointer()
        i32 = llvm_ir.IntType(32)
        fnty = llvm_ir.FunctionType(llvm_ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        # read (0), high locality (3), data cache (1)
        args = [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)]
        builder.call(fn, args)
        return context.get_dummy_value()

    return types.void(rows, row), codegen


_prefetch: Any = intrinsic(_prefetch_typer)


@jit(nogil=True)
def hash_batch(
    cps: np.ndarray,
    offsets: np.ndarray,
    isword: np.ndarray,
    cmin: int,
    cmax: int,
    wmin: int,
    wmax: int,
    n_features: int,
    idf: np.ndarray,
    sublinear: bool,
    char_weight: float,
    word_weight: float,
    coef_t: np.ndarray,
    packed: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hash, count, weight and normalise every document.

    Returns CSR ``(indptr, indices, data)`` (column indices unsorted within a row, no
    duplicates) or, when ``coef_t`` (n_features, n_classes) is non-empty, only the
    ``(n_docs, n_classes)`` dot products of each normalised row with it (and an empty CSR).
    ``cmax == 0`` or ``char_weight == 0`` skips the char block, likewise for words.
    Buckets whose ``idf`` is 0 (unseen in fit, or below ``min_df``) are dropped.
    When ``packed`` is non-empty (fused path only) it replaces ``idf`` and ``coef_t``: row b
    holds ``idf[b]`` in column 0 and ``coef_t[b]`` from column 1 on, so one cache line serves
    a bucket.
    One long function on purpose: every jitted function adds compile and cache-load time.
    """
    n_docs = offsets.size - 1
    nf = np.uint64(n_features)
    do_char = cmax > 0 and char_weight != 0.0
    do_word = wmax > 0 and word_weight != 0.0
    use_pk = packed.shape[0] > 0
    fused = coef_t.shape[0] > 0 or use_pk
    n_cls = coef_t.shape[1]
    maxlen = 0
    for d in range(n_docs):
        m = offsets[d + 1] - offsets[d]
        if m > maxlen:
            maxlen = m
    # A document of m code points has at most (m + 1) // 2 words, so at most 2m + 1 padded
    # characters, so at most that many char n-grams of each size; likewise for tokens.
    n_csizes = cmax - cmin + 1 if do_char else 0
    n_wsizes = wmax - wmin + 1 if do_word else 0
    c_cap = (2 * maxlen + 2) * max(n_csizes, 1)
    w_cap = (maxlen // 2 + 2) * max(n_wsizes, 1)
    pad = np.empty(maxlen + 2, np.uint64)
    tok_s = np.empty(maxlen // 2 + 2, np.int64)
    tok_e = np.empty(maxlen // 2 + 2, np.int64)
    w_raw = np.empty(w_cap, np.int64)
    row_idx = np.empty(c_cap + w_cap, np.int64)
    row_val = np.empty(c_cap + w_cap, np.float64)
    u_tf = np.empty(c_cap, np.int32)
    u_at = np.empty(c_cap, np.int64)
    # A small open-addressing table per row: tkey[i] = 1 + bucket, tpos[i] = 1 + its position
    # in the row. Counting through it instead of sorting makes the char block O(1) per n-gram;
    # sized for the row and cleared after it, it stays in L1 where an n_features-long array
    # would miss the cache on every n-gram.
    tcap = 64
    while tcap < 2 * c_cap:
        tcap *= 2
    tkey = np.zeros(tcap, np.int64)
    tpos = np.zeros(tcap, np.int32)

    cap = 0 if fused else max(1024, cps.size * 3)
    indices = np.empty(cap, np.int32)
    data = np.empty(cap, np.float32)
    indptr = np.zeros(n_docs + 1, np.int64)
    scores = np.zeros((n_docs if fused else 0, n_cls), np.float32)
    acc = np.zeros(n_cls, np.float64)
    nnz = 0

    for d in range(n_docs):
        start = offsets[d]
        end = offsets[d + 1]
        nu = 0
        m = end - start
        tmask = 63
        while tmask + 1 < 2 * (2 * m + 2) * max(n_csizes, 1):
            tmask = 2 * tmask + 1
        # ---- char_wb n-grams: each space-separated word padded with one space each side.
        if do_char:
            i = start
            while i < end:
                if cps[i] == 32:
                    i += 1
                    continue
                j = i
                while j < end and cps[j] != 32:
                    j += 1
                plen = j - i + 2
                pad[0] = _SPACE
                for k in range(i, j):
                    pad[k - i + 1] = np.uint64(cps[k])
                pad[plen - 1] = _SPACE
                # scikit-learn keeps a padded word shorter than min_n whole.
                lo = min(cmin, plen)
                for p in range(plen - lo + 1):
                    h = _CHAR_SEED
                    top = min(plen - p, cmax)
                    for n in range(top):
                        h = (h ^ pad[p + n]) * _FNV_PRIME
                        if n + 1 >= lo:
                            g = (h ^ (h >> _S29)) * _M1
                            b = np.int64(((g >> _S32) * nf) >> _S32)
                            t = b & tmask
                            while tkey[t] != 0 and tkey[t] != b + 1:
                                t = (t + 1) & tmask
                            if tkey[t] == 0:
                                tkey[t] = b + 1
                                row_idx[nu] = b
                                u_tf[nu] = 1
                                if use_pk:
                                    _prefetch(packed, b)
                                u_at[nu] = t
                                nu += 1
                                tpos[t] = nu
                            else:
                                u_tf[tpos[t] - 1] += 1
                i = j
            sq = 0.0
            for r in range(nu):
                tf = float(u_tf[r])
                if sublinear and tf > 1.0:
                    tf = 1.0 + math.log(tf)
                v = tf * (packed[row_idx[r], 0] if use_pk else idf[row_idx[r]])
                row_val[r] = v
                sq += v * v
            if sq > 0.0:
                scale = char_weight / math.sqrt(sq)
                for r in range(nu):
                    row_val[r] *= scale
        n_row = nu
        # ---- word n-grams: tokens are maximal runs of >= 2 word characters. Few per row,
        # so they are counted by sorting, then merged into the row through the slots.
        if do_word:
            nt = 0
            i = start
            while i < end:
                if isword[cps[i]] == 0:
                    i += 1
                    continue
                j = i
                while j < end and isword[cps[j]] != 0:
                    j += 1
                if j - i >= 2:
                    tok_s[nt] = i
                    tok_e[nt] = j
                    nt += 1
                i = j
            nw = 0
            for t in range(nt):
                h = _WORD_SEED
                top = min(nt - t, wmax)
                for n in range(1, top + 1):
                    if n > 1:
                        h = (h ^ _SPACE) * _FNV_PRIME  # n-gram text is tokens joined by " "
                    for k in range(tok_s[t + n - 1], tok_e[t + n - 1]):
                        h = (h ^ np.uint64(cps[k])) * _FNV_PRIME
                    if n >= wmin:
                        g = (h ^ (h >> _S29)) * _M1
                        w_raw[nw] = np.int64(((g >> _S32) * nf) >> _S32)
                        if use_pk:
                            _prefetch(packed, w_raw[nw])
                        nw += 1
            wb = w_raw[:nw]
            wb.sort()
            sq = 0.0
            first = n_row
            r = 0
            while r < nw:
                b = wb[r]
                s = r
                while r < nw and wb[r] == b:
                    r += 1
                tf = float(r - s)
                if sublinear and tf > 1.0:
                    tf = 1.0 + math.log(tf)
                v = tf * (packed[b, 0] if use_pk else idf[b])
                row_idx[n_row] = b
                row_val[n_row] = v
                n_row += 1
                sq += v * v
            if sq > 0.0:
                scale = word_weight / math.sqrt(sq)
                for r in range(first, n_row):
                    row_val[r] *= scale
            # Fold word entries whose bucket a char n-gram already holds into that entry.
            keep = first
            for r in range(first, n_row):
                b = row_idx[r]
                t = b & tmask
                while tkey[t] != 0 and tkey[t] != b + 1:
                    t = (t + 1) & tmask
                k = tpos[t] if tkey[t] != 0 else 0
                if k != 0:
                    row_val[k - 1] += row_val[r]
                else:
                    row_idx[keep] = row_idx[r]
                    row_val[keep] = row_val[r]
                    keep += 1
            n_row = keep
        for r in range(nu):
            tkey[u_at[r]] = 0
        # ---- whole-row L2 norm, then either the CSR row or the fused dot products.
        sq = 0.0
        for r in range(n_row):
            sq += row_val[r] * row_val[r]
        inv = 1.0 / math.sqrt(sq) if sq > 0.0 else 0.0
        if fused:
            # Accumulate in a private buffer: numba cannot prove scores and coef_t never
            # alias, so summing into scores[d] directly would store on every step.
            acc[:] = 0.0
            for r in range(n_row):
                v = row_val[r]
                if v != 0.0:
                    b = row_idx[r]
                    if use_pk:
                        for c in range(n_cls):
                            acc[c] += v * packed[b, 1 + c]
                    else:
                        for c in range(n_cls):
                            acc[c] += v * coef_t[b, c]
            for c in range(n_cls):
                scores[d, c] = acc[c] * inv
            continue
        if nnz + n_row > cap:
            cap = max(nnz + n_row, 2 * cap)
            new_indices = np.empty(cap, np.int32)
            new_data = np.empty(cap, np.float32)
            new_indices[:nnz] = indices[:nnz]
            new_data[:nnz] = data[:nnz]
            indices = new_indices
            data = new_data
        for r in range(n_row):
            v = row_val[r]
            if v != 0.0:
                indices[nnz] = row_idx[r]
                data[nnz] = v * inv
                nnz += 1
        indptr[d + 1] = nnz
    return indptr, indices[:nnz].copy(), data[:nnz].copy(), scores


# ---------------------------------------------------------------------------------------------
# Python side: the word-character table, encoding, and running the kernel over a batch.

_BMP_WORD_TABLE: np.ndarray | None = None


def _word_table(cps: np.ndarray) -> np.ndarray:
    """``table[cp] == 1`` iff ``chr(cp)`` matches ``\\w`` (what scikit-learn's tokens use)."""
    global _BMP_WORD_TABLE
    if _BMP_WORD_TABLE is None:
        # Built once per process; str.isalnum() is exactly re's \w minus "_".
        table = np.fromiter((chr(c).isalnum() for c in range(0x10000)), np.uint8, 0x10000)
        table[ord("_")] = 1
        _BMP_WORD_TABLE = table
    max_cp = int(cps.max()) if cps.size else 0
    if max_cp < 0x10000:
        return _BMP_WORD_TABLE
    # Astral code points (emoji, rare scripts): classify only the ones this batch has.
    ext = np.zeros(max_cp + 1, np.uint8)
    ext[:0x10000] = _BMP_WORD_TABLE
    for c in np.unique(cps[cps >= 0x10000]).tolist():
        ext[c] = chr(c).isalnum()
    return ext


def _encode(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return the code points of all texts joined and the document start offsets."""
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    offsets = np.zeros(len(texts) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    # UTF-32 has one 4-byte unit per code point, so str offsets are array offsets;
    # surrogatepass keeps lone surrogates instead of failing on them.
    raw = "".join(texts).encode("utf-32-le", "surrogatepass")
    return np.frombuffer(raw, dtype=np.uint32), offsets


def _fold(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Normalised code points of all texts, concatenated, and the document offsets."""
    if any("\x00" in t for t in texts):
        # fold_codepoints joins on NUL; normalize_many handles such texts one by one.
        cps, offsets = _encode(normalize_many(texts))
    else:
        cps, offsets = fold_codepoints(texts)
    # Read-only like np.frombuffer's result, so both paths share one compiled kernel.
    cps = np.ascontiguousarray(cps, dtype=np.uint32).view()
    cps.flags.writeable = False
    return cps, np.ascontiguousarray(offsets, dtype=np.int64)


def _aligned_rows(n: int, width: int) -> np.ndarray:
    """A zeroed ``(n, width)`` float32 array whose rows start on cache-line boundaries."""
    raw = np.zeros(n * width * 4 + _CACHE_LINE, np.uint8)
    skip = -raw.ctypes.data % _CACHE_LINE
    return raw[skip : skip + n * width * 4].view(np.float32).reshape(n, width)


def n_threads(n_jobs: int | None) -> int:
    """Threads for ``n_jobs``: every core this process may run on when None (or negative).

    >>> n_threads(2), n_threads(0)
    (2, 1)
    """
    if n_jobs is None or n_jobs < 0:
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            return os.cpu_count() or 1
    return max(int(n_jobs), 1)


def pack_rows(idf: np.ndarray, coef: np.ndarray) -> np.ndarray | None:
    """``idf`` and ``coef`` (n_classes, n_features) as one 64-byte row per bucket, or None.

    Why: the fused kernel reads ``idf[b]`` and ``coef[:, b]`` for every n-gram, at random
    buckets; from two arrays that is two cache misses, from one packed row aligned on a
    cache line, one. The weights stay float32, as the unpacked path reads them, so both
    give the same scores bit for bit (float16 rows, half the size, were slower: each weight
    then costs a table look-up to widen it). None for more than :data:`PACK_CLASSES` classes.

    >>> pack_rows(np.array([0.0, 2.0], np.float32), np.array([[0.0, 0.5]])).tolist()[1][:3]
    [2.0, 0.5, 0.0]
    """
    n_cls, nf = coef.shape
    if n_cls > PACK_CLASSES:
        return None
    packed = _aligned_rows(nf, _PACK_WIDTH)
    packed[:, 0] = idf
    # Only buckets with a non-zero idf are ever read (the others weigh 0).
    used = np.flatnonzero(idf)
    packed[used, 1 : 1 + n_cls] = coef.T[used]
    return packed


def run_batch(
    X: Any,
    ranges: tuple[int, int, int, int, int],
    idf: np.ndarray,
    weighting: tuple[bool, float, float],
    n_threads: int,
    coef_t: np.ndarray | None = None,
    packed: np.ndarray | None = None,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Normalise, encode and hash a batch; the kernel's ``(indptr, indices, data, scores)``.

    ``ranges`` is ``(cmin, cmax, wmin, wmax, n_features)``, ``weighting`` ``(sublinear,
    char_weight, word_weight)``; one result per contiguous slice of the batch when it is
    spread over ``n_threads`` threads (scores: concatenate them; CSR: shift and join them).

    >>> parts = run_batch(["Курс тенге"], (2, 3, 1, 1, 64), np.ones(64, np.float32),
    ...                   (True, 1.0, 1.0), 1)
    >>> len(parts), int(parts[0][0][-1]) > 0
    (1, True)
    """
    cmin, cmax, wmin, wmax, nf = ranges
    cps, offsets = _fold(check_texts(X))
    table = _word_table(cps)
    n = offsets.size - 1
    # One dtype/layout/writeability for every array argument, else numba compiles (and
    # caches) another specialisation: seconds, e.g. for an idf_ loaded read-only.
    idf = np.require(idf, np.float32, ["C", "A", "W"])
    if coef_t is not None:
        coef_t = np.require(coef_t, np.float32, ["C", "A", "W"])
    sublinear, char_weight, word_weight = weighting
    args = (
        cmin,
        cmax,
        wmin,
        wmax,
        nf,
        idf,
        bool(sublinear),
        float(char_weight),
        float(word_weight),
        _NO_COEF if coef_t is None else coef_t,
        _NO_PACK if packed is None else packed,
    )
    n_threads = min(n_threads, n // _MIN_DOCS_PER_THREAD)
    if n_threads <= 1:
        return [hash_batch(cps, offsets, table, *args)]
    # The kernel releases the GIL and rows are independent, so contiguous chunks on
    # threads give exactly the single-thread result.
    bounds = np.linspace(0, n, n_threads + 1).astype(np.int64)
    chunks = [
        (cps[offsets[lo] : offsets[hi]], offsets[lo : hi + 1] - offsets[lo])
        for lo, hi in pairwise(bounds.tolist())
    ]
    with ThreadPoolExecutor(n_threads) as pool:
        return list(pool.map(lambda c: hash_batch(c[0], c[1], table, *args), chunks))
