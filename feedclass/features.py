"""Hashed TF-IDF features of headlines: char_wb n-grams plus word n-grams, one numba kernel.

Why not ``TfidfVectorizer``: its per-document Python loop and vocabulary dict cap a
classifier at a few thousand headlines a second and make the model file carry a vocabulary.
Here the whole batch is joined into one string, turned into an array of code points, and a
single ``numba`` kernel hashes every n-gram into ``n_features`` buckets, counts term
frequencies, applies IDF and L2-normalises each row. The n-grams are the ones scikit-learn
would produce for ``analyzer="char_wb"`` and for ``analyzer="word"`` with the default token
pattern ``(?u)\\b\\w\\w+\\b``; the two blocks are normalised separately (like a ``FeatureUnion``
of two vectorizers) before the whole row is normalised, so words are not drowned by the many
more character n-grams.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from feedclass.errors import DataError
from feedclass.hashing import FNV_OFFSET, FNV_PRIME
from feedclass.inputs import check_texts
from feedclass.jit import jit
from feedclass.normalize import fold_codepoints, normalize_many

__all__ = ["HashingFeatures"]

_MASK64 = (1 << 64) - 1
# FNV-1a over whole code points, then an xorshift-multiply finaliser; the bucket comes from
# the product's high 32 bits (Lemire's multiply-shift range reduction, no division).
_FNV_PRIME_INT = int(FNV_PRIME)
# Different seeds put char and word n-grams in different hash spaces.
_CHAR_SEED_INT = int(FNV_OFFSET)
_WORD_SEED_INT = 0x9E3779B97F4A7C15
_FNV_PRIME = FNV_PRIME
_CHAR_SEED = FNV_OFFSET
_WORD_SEED = np.uint64(_WORD_SEED_INT)
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
_PACK_CLASSES = _PACK_WIDTH - 1
_CACHE_LINE = 64

_WORD_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@jit(nogil=True)
def _hash_batch(
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
# Python side: input checks, encoding, the word-character table and a reference hash.

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


def _ref_bucket(seed: int, text: str, n_features: int) -> int:
    """Pure-Python twin of the kernel's hash; used by ``ngrams_with_index`` and tests."""
    h = seed
    for ch in text:
        h = ((h ^ ord(ch)) * _FNV_PRIME_INT) & _MASK64
    g = ((h ^ (h >> 29)) * 0xFF51AFD7ED558CCD) & _MASK64
    return ((g >> 32) * n_features) >> 32


def _char_wb_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """The n-grams of scikit-learn's ``_char_wb_ngrams`` (same order, duplicates kept)."""
    out: list[str] = []
    for w in text.split(" "):
        if not w:
            continue
        w = f" {w} "
        wlen = len(w)
        for n in range(lo, hi + 1):
            offset = 0
            out.append(w[offset : offset + n])
            while offset + n < wlen:
                offset += 1
                out.append(w[offset : offset + n])
            if offset == 0:
                break
    return out


def _word_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """Word n-grams of scikit-learn's default token pattern, joined by one space."""
    tokens = _WORD_TOKEN.findall(text)
    out: list[str] = []
    for t in range(len(tokens)):
        for n in range(lo, hi + 1):
            if t + n <= len(tokens):
                out.append(" ".join(tokens[t : t + n]))
    return out


def _check_range(name: str, value: Any) -> tuple[int, int]:
    """Validate an n-gram range; ``None`` means the block is off (returned as (0, 0))."""
    if value is None:
        return 0, 0
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(f"{name} must be a pair (min_n, max_n) or None; got {value!r}")
    try:
        lo, hi = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (min_n, max_n) or None; got {value!r}") from None
    if not 1 <= lo <= hi:
        raise ValueError(f"{name} must satisfy 1 <= min_n <= max_n; got {value!r}")
    return lo, hi


class HashingFeatures(TransformerMixin, BaseEstimator):
    """TF-IDF of hashed char_wb and word n-grams, computed by one numba kernel per batch.

    Parameters
    ----------
    char_ngram_range : (int, int) or None
        Sizes of character n-grams inside space-padded words, like ``analyzer="char_wb"``.
    word_ngram_range : (int, int) or None
        Sizes of word n-grams over ``(?u)\\b\\w\\w+\\b`` tokens, like ``analyzer="word"``.
    n_features : int
        Number of hash buckets (columns). Chars and words share them but hash with
        different seeds.
    sublinear_tf : bool
        Use ``1 + log(tf)`` instead of ``tf``.
    use_idf : bool
        Weight by smooth IDF ``ln((1 + n) / (1 + df)) + 1`` learned in ``fit``.
    min_df : int
        Buckets seen in fewer training documents are dropped (weight 0). Buckets never seen
        in ``fit`` are always dropped, as a vocabulary-based vectorizer would.
    char_weight, word_weight : float
        L2 norm given to each block before the whole row is normalised.
    n_jobs : int or None
        Threads for large batches. ``None`` (unlike most of scikit-learn) means every
        available core: the result is identical for any value, only the speed changes.

    Examples
    --------
    >>> hf = HashingFeatures(n_features=2**10).fit(["Курс тенге вырос", "Новый закон"])
    >>> X = hf.transform(["Курс тенге упал"])
    >>> X.shape, round(float(X.multiply(X).sum()), 5)
    ((1, 1024), 1.0)
    """

    def __init__(
        self,
        char_ngram_range: tuple[int, int] | None = (2, 5),
        word_ngram_range: tuple[int, int] | None = (1, 2),
        n_features: int = 2**20,
        sublinear_tf: bool = True,
        use_idf: bool = True,
        min_df: int = 1,
        char_weight: float = 1.0,
        word_weight: float = 1.0,
        n_jobs: int | None = None,
    ) -> None:
        self.char_ngram_range = char_ngram_range
        self.word_ngram_range = word_ngram_range
        self.n_features = n_features
        self.sublinear_tf = sublinear_tf
        self.use_idf = use_idf
        self.min_df = min_df
        self.char_weight = char_weight
        self.word_weight = word_weight
        self.n_jobs = n_jobs

    # -- parameters ---------------------------------------------------------------------------
    def _params(self) -> tuple[int, int, int, int, int]:
        """Check the hyper-parameters eagerly and return them in kernel form."""
        cmin, cmax = _check_range("char_ngram_range", self.char_ngram_range)
        wmin, wmax = _check_range("word_ngram_range", self.word_ngram_range)
        nf = self.n_features
        if isinstance(nf, bool) or not isinstance(nf, (int, np.integer)) or not 1 <= nf < 2**31:
            raise ValueError(f"n_features must be an int in [1, 2**31); got {nf!r} instead")
        if cmax == 0 and wmax == 0:
            raise ValueError("char_ngram_range and word_ngram_range cannot both be None")
        for name in ("char_weight", "word_weight"):
            w = getattr(self, name)
            if not isinstance(w, (int, float, np.floating, np.integer)) or not w >= 0:
                raise ValueError(f"{name} must be a number >= 0; got {w!r} instead")
        md = self.min_df
        if isinstance(md, bool) or not isinstance(md, (int, np.integer)) or md < 1:
            raise ValueError(f"min_df must be an int >= 1; got {md!r} instead")
        return cmin, cmax, wmin, wmax, int(nf)

    def _run(
        self,
        X: Any,
        idf: np.ndarray,
        coef_t: np.ndarray | None = None,
        packed: np.ndarray | None = None,
    ) -> Any:
        """Normalise, encode and hash a batch; return CSR, or scores when coef_t is given."""
        cmin, cmax, wmin, wmax, nf = self._params()
        cps, offsets = _fold(check_texts(X))
        table = _word_table(cps)
        n = offsets.size - 1
        # One dtype/layout/writeability for every array argument, else numba compiles (and
        # caches) another specialisation: seconds, e.g. for an idf_ loaded read-only.
        idf = np.require(idf, np.float32, ["C", "A", "W"])
        if coef_t is not None:
            coef_t = np.require(coef_t, np.float32, ["C", "A", "W"])
        args = (
            cmin,
            cmax,
            wmin,
            wmax,
            nf,
            idf,
            bool(self.sublinear_tf),
            float(self.char_weight),
            float(self.word_weight),
            _NO_COEF if coef_t is None else coef_t,
            _NO_PACK if packed is None else packed,
        )
        n_threads = min(self.n_threads(), n // _MIN_DOCS_PER_THREAD)
        if n_threads <= 1:
            parts = [_hash_batch(cps, offsets, table, *args)]
        else:
            # The kernel releases the GIL and rows are independent, so contiguous chunks on
            # threads give exactly the single-thread result.
            bounds = np.linspace(0, n, n_threads + 1).astype(np.int64)
            chunks = [
                (cps[offsets[lo] : offsets[hi]], offsets[lo : hi + 1] - offsets[lo])
                for lo, hi in pairwise(bounds.tolist())
            ]
            with ThreadPoolExecutor(n_threads) as pool:
                parts = list(pool.map(lambda c: _hash_batch(c[0], c[1], table, *args), chunks))
        if coef_t is not None:
            return parts[0][3] if len(parts) == 1 else np.concatenate([p[3] for p in parts])
        if len(parts) == 1:
            indptr, indices, data, _ = parts[0]
        else:
            shifts = np.cumsum([0] + [p[1].size for p in parts[:-1]])
            indptr = np.concatenate(
                [parts[0][0]] + [p[0][1:] + s for p, s in zip(parts[1:], shifts[1:])]
            )
            indices = np.concatenate([p[1] for p in parts])
            data = np.concatenate([p[2] for p in parts])
        if indices.size < 2**31 - 1:
            indptr = indptr.astype(np.int32)
        return sp.csr_matrix((data, indices, indptr), shape=(n, nf))

    def n_threads(self) -> int:
        """Threads a transform uses: ``n_jobs``, or every core this process may run on when None.

        Examples
        --------
        >>> HashingFeatures(n_jobs=2).n_threads()
        2
        """
        if self.n_jobs is None or self.n_jobs < 0:
            try:
                return len(os.sched_getaffinity(0))
            except AttributeError:  # not on Linux
                return os.cpu_count() or 1
        return max(int(self.n_jobs), 1)

    # -- sklearn API --------------------------------------------------------------------------
    def fit(self, X: Sequence[str], y: Any = None) -> HashingFeatures:
        """Learn the document frequency of every bucket (and so which buckets exist)."""
        _, _, _, _, nf = self._params()
        counted = self._run(X, np.ones(nf, np.float32))
        n = counted.shape[0]
        if n == 0:
            raise DataError("X must contain at least one text; got an empty sequence")
        # Each row holds a bucket at most once, so a bincount of the columns is the df.
        df = np.bincount(counted.indices, minlength=nf)
        keep = df >= max(int(self.min_df), 1)
        if self.use_idf:
            idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        else:
            idf = np.ones(nf)
        self.idf_ = np.where(keep, idf, 0.0).astype(np.float32)
        self.n_docs_ = int(n)
        return self

    def transform(self, X: Sequence[str]) -> sp.csr_matrix:
        """Return float32 CSR rows of unit L2 norm (all-zero rows for texts with no n-gram)."""
        check_is_fitted(self, "idf_")
        if self.idf_.shape != (self.n_features,):
            raise ValueError(
                f"n_features is {self.n_features} but idf_ has {self.idf_.shape[0]} entries; "
                "refit after changing n_features"
            )
        return self._run(X, self.idf_)

    def fit_transform(self, X: Sequence[str], y: Any = None, **fit_params: Any) -> sp.csr_matrix:
        """Fit, then transform the same texts (normalised only once per call of each)."""
        texts = check_texts(X)
        return self.fit(texts).transform(texts)

    def decision_scores(
        self, X: Sequence[str], coef: np.ndarray, intercept: Any = 0.0
    ) -> np.ndarray:
        """``transform(X) @ coef.T + intercept`` without building the sparse matrix.

        Why: for a linear model that is all ``predict`` needs, and skipping the CSR saves its
        memory traffic. ``coef`` is ``(n_classes, n_features)`` as in scikit-learn; pass it
        Fortran-ordered (``np.asfortranarray(coef, dtype=np.float32)``) to avoid a copy per
        call. Returns float32 ``(n_texts, n_classes)``.
        """
        check_is_fitted(self, "idf_")
        coef = np.asarray(coef)
        if coef.ndim != 2 or coef.shape[1] != self.n_features:
            raise ValueError(
                f"coef must have shape (n_classes, {self.n_features}); got {coef.shape} instead"
            )
        packed = self._packed(coef)
        if packed is not None:
            empty = np.zeros((0, coef.shape[0]), np.float32)
            scores = self._run(X, self.idf_, empty, packed)
        else:
            scores = self._run(X, self.idf_, np.ascontiguousarray(coef.T, dtype=np.float32))
        return scores + np.asarray(intercept, dtype=np.float32)

    def _packed(self, coef: np.ndarray) -> np.ndarray | None:
        """``idf_`` and ``coef`` as one 64-byte row per bucket, or None if they do not fit.

        Why: the fused kernel reads ``idf_[b]`` and ``coef[:, b]`` for every n-gram, at random
        buckets; from two arrays that is two cache misses, from one packed row aligned on a
        cache line, one. The weights stay float32, as the unpacked path reads them, so both
        give the same scores bit for bit (float16 rows, half the size, were slower: each
        weight then costs a table look-up to widen it). Built once per (coef, idf_) pair and
        cached; the key holds the arrays themselves, so a new model's arrays never reuse it.
        Changing a coefficient array in place between calls is not supported.
        """
        n_cls = coef.shape[0]
        if n_cls > _PACK_CLASSES:
            return None
        base = coef
        while isinstance(base.base, np.ndarray):
            base = base.base
        key = (
            coef.__array_interface__["data"][0],
            coef.shape,
            coef.strides,
            coef.dtype.str,
            self.idf_.__array_interface__["data"][0],
        )
        cached = getattr(self, "_pack_cache", None)
        if cached is not None and cached[0] == key and cached[1] is base and cached[2] is self.idf_:
            packed: np.ndarray = cached[3]
            return packed
        packed = _aligned_rows(self.n_features, _PACK_WIDTH)
        packed[:, 0] = self.idf_
        # Only buckets with a non-zero idf are ever read (the others weigh 0).
        used = np.flatnonzero(self.idf_)
        packed[used, 1 : 1 + n_cls] = coef.T[used]
        self._pack_cache = (key, base, self.idf_, packed)
        return packed

    def word_buckets(self, words: Sequence[str]) -> np.ndarray:
        """The column of each word as a word unigram; -1 for one that is not a single token.

        Lets word-level data (vectors, lists) be placed on the hashed columns without a fit.

        >>> hf = HashingFeatures(n_features=2**10)
        >>> b = hf.word_buckets(["Тенге", "тенге", "a-b"])
        >>> bool(b[0] == b[1] >= 0), int(b[2])
        (True, -1)
        """
        _, _, wmin, wmax, nf = self._params()
        out = np.full(len(words), -1, dtype=np.int64)
        if not (wmin <= 1 <= wmax) or not self.word_weight:
            return out
        for i, norm in enumerate(normalize_many(check_texts(words))):
            tokens = _WORD_TOKEN.findall(norm)
            if len(tokens) == 1 and tokens[0] == norm:
                out[i] = _ref_bucket(_WORD_SEED_INT, norm, nf)
        return out

    def ngrams_with_index(self, text: str) -> list[tuple[str, int]]:
        """Every distinct (n-gram, column) the text produces, char n-grams first.

        Pure Python and slow; meant for explaining one prediction. Needs no fit: it lists
        n-grams even if their bucket was unseen in training (``idf_ == 0``).
        """
        if not isinstance(text, str):
            raise DataError(f"text must be a str; got {type(text).__name__} instead")
        cmin, cmax, wmin, wmax, nf = self._params()
        norm = normalize_many([text])[0]
        out: list[tuple[str, int]] = []
        seen: set[tuple[str, int]] = set()
        if cmax and self.char_weight:
            for g in _char_wb_ngrams(norm, cmin, cmax):
                item = (g, _ref_bucket(_CHAR_SEED_INT, g, nf))
                if item not in seen:
                    seen.add(item)
                    out.append(item)
        if wmax and self.word_weight:
            for g in _word_ngrams(norm, wmin, wmax):
                item = (g, _ref_bucket(_WORD_SEED_INT, g, nf))
                if item not in seen:
                    seen.add(item)
                    out.append(item)
        return out

    def __sklearn_tags__(self) -> Any:
        """Declare string input so sklearn's checks and tools don't feed it numbers."""
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags
