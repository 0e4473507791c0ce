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

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from feedclass import errors
from feedclass.errors import DataError
from feedclass.estimator import Estimator, TextInputMixin, TransformerMixin
from feedclass.hashing import FNV_OFFSET, FNV_PRIME
from feedclass.inputs import check_texts
from feedclass.ngrams import WORD_SEED_INT, n_threads, pack_rows, run_batch
from feedclass.normalize import normalize_many

__all__ = ["HashingFeatures"]

_MASK64 = (1 << 64) - 1
# FNV-1a over whole code points, then an xorshift-multiply finaliser; the bucket comes from
# the product's high 32 bits (Lemire's multiply-shift range reduction, no division).
_FNV_PRIME_INT = int(FNV_PRIME)
# Different seeds put char and word n-grams in different hash spaces.
_CHAR_SEED_INT = int(FNV_OFFSET)
_WORD_SEED_INT = WORD_SEED_INT

_WORD_TOKEN = re.compile(r"(?u)\b\w\w+\b")


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


class HashingFeatures(TextInputMixin, TransformerMixin, Estimator):
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
        ranges = self._params()
        weighting = (bool(self.sublinear_tf), float(self.char_weight), float(self.word_weight))
        parts = run_batch(X, ranges, idf, weighting, self.n_threads(), coef_t, packed)
        n = sum(p[0].size - 1 for p in parts)
        nf = ranges[4]
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
        return n_threads(self.n_jobs)

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

    def _check_fitted(self) -> None:
        if not hasattr(self, "idf_"):
            # errors.NotFittedError subclasses scikit-learn's: made (and imported) only here.
            raise errors.NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )

    def transform(self, X: Sequence[str]) -> sp.csr_matrix:
        """Return float32 CSR rows of unit L2 norm (all-zero rows for texts with no n-gram)."""
        self._check_fitted()
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
        self._check_fitted()
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
        """:func:`feedclass.ngrams.pack_rows` of ``idf_`` and ``coef``, built once and cached.

        The key holds the arrays themselves, so a new model's arrays never reuse it. Changing
        a coefficient array in place between calls is not supported.
        """
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
            packed: np.ndarray | None = cached[3]
            return packed
        packed = pack_rows(self.idf_, coef)
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
