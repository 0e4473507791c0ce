"""Word vectors that let the topic model share weight between words it saw and words it did not.

Why: the training headlines are mostly from 2013-2015; a feed of this year is full of words the
model never saw in a labelled headline. Word vectors learned from a billion words of news know
that an unseen word is used like words the model did see. Placed on the model's hashed word
columns (a sparse matrix ``E``, one row per word column), they add a dense block ``M @ E`` to
the features: the average vector of a headline's words, weighted by their TF-IDF values. A
linear model over ``[M, w * M @ E]`` scores ``M @ (coef + w * E @ coef_v)``, so after fitting the
dense block folds back into ordinary per-column weights (:func:`fold`): the shipped model stays
one linear model over hashed n-grams, with the same file format and the same prediction speed,
and every word the vectors know gets a weight, seen in training or not.

Examples
--------
>>> import numpy as np
>>> from feedclass.features import HashingFeatures
>>> hf = HashingFeatures(n_features=2**12).fit(["матч завершился", "курс вырос"])
>>> wv = WordVectors(["футбол", "матч"], np.array([[1.0, 0.0], [0.9, 0.1]]))
>>> E = wv.bucket_matrix(hf)
>>> E.shape, E.nnz
((4096, 2), 4)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from feedclass.errors import DataError
from feedclass.features import HashingFeatures

__all__ = ["WordVectors", "augment", "extend_idf", "fold"]


class WordVectors:
    """Words and their vectors, centred and scaled to unit length.

    Parameters
    ----------
    words : the words (any case; normalised like headlines when placed on columns).
    vectors : array of shape (len(words), dim).

    Examples
    --------
    >>> wv = WordVectors(["a1", "b2"], np.array([[3.0, 0.0], [0.0, 1.0]]))
    >>> wv.vectors.shape, [round(float(np.linalg.norm(v)), 3) for v in wv.vectors]
    ((2, 2), [1.0, 1.0])
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float64)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise DataError(
                f"vectors must have shape (len(words), dim) = ({len(words)}, dim); "
                f"got {vectors.shape} instead"
            )
        self.words = list(words)
        # Centred, so the common direction of all news words does not vote for any topic.
        vectors = vectors - vectors.mean(axis=0)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.vectors = (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    def __deepcopy__(self, memo: dict) -> WordVectors:
        # Read-only data: a clone of the model (cross-validation) shares it instead of copying.
        return self

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def bucket_matrix(self, features: HashingFeatures) -> sp.csr_matrix:
        """``E``: one row per column of ``features``; a word column holds its word's vector.

        Words that share a column (hash collisions, case variants) share the mean vector.
        """
        buckets = features.word_buckets(self.words)
        ok = buckets >= 0
        rows, vec = buckets[ok], self.vectors[ok]
        n = int(features.n_features)
        counts = np.bincount(rows, minlength=n).astype(np.float32)
        summed = sp.coo_matrix(
            (vec.ravel(), (np.repeat(rows, self.dim), np.tile(np.arange(self.dim), rows.size))),
            shape=(n, self.dim),
        ).tocsr()
        summed.sum_duplicates()
        scale = sp.diags(1.0 / np.maximum(counts, 1.0))
        return sp.csr_matrix(scale @ summed, dtype=np.float32)


def augment(
    M: sp.csr_matrix, E: sp.csr_matrix, weight: float, rows: np.ndarray | None = None
) -> sp.csr_matrix:
    """``[M, weight * M @ E]``: the features with each headline's weighted mean word vector.

    ``rows`` (one bool per row of ``M``): only these rows get the vector block, the others a
    block of zeros (the topic model passes its Russian headlines, :mod:`feedclass.language`).
    """
    dense = np.asarray((M @ E).todense(), dtype=np.float64) * weight
    if rows is not None:
        dense[~np.asarray(rows, dtype=bool)] = 0.0
    return sp.hstack([M, sp.csr_matrix(dense)], format="csr")


def fold(coef: np.ndarray, coef_v: np.ndarray, E: sp.csr_matrix, weight: float) -> np.ndarray:
    """Per-column weights equal to a model over :func:`augment`'s output.

    ``coef`` is (n_classes, n_columns), ``coef_v`` (n_classes, dim).
    """
    return coef + weight * np.asarray((E @ coef_v.T).T)


def extend_idf(features: HashingFeatures, E: sp.csr_matrix) -> None:
    """Give the word columns of ``E`` unseen in fit the IDF of a term in no document.

    Why: a column with IDF 0 is dropped when a headline is featurised, so a new word would
    never reach its folded weight. scikit-learn's smoothed IDF of a term in no document is the
    value used here.
    """
    idf = features.idf_.copy()
    has_vec = np.diff(E.indptr) > 0
    unseen = has_vec & (idf == 0)
    idf[unseen] = np.float32(np.log(1.0 + features.n_docs_) + 1.0)
    features.idf_ = idf
