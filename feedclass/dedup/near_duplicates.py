"""``NearDuplicates``: the batch estimator that clusters headlines into stories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from feedclass.dedup.clusters import (
    DEFAULT_THRESHOLD,
    check_params,
    form_stories,
    representative_order,
    score_floor,
)
from feedclass.dedup.inputs import as_sources, as_times, check_texts
from feedclass.dedup.pairs import pair_similarities, score_batch

__all__ = ["NearDuplicates"]

_PAIR_DTYPE = np.dtype([("i", np.int64), ("j", np.int64), ("score", np.float64)])


class NearDuplicates:
    """Cluster headlines that report the same news, scikit-learn style.

    Parameters
    ----------
    threshold : float
        Pair similarity (0..1) that merges: a headline joins a cluster when it reaches it with
        every member (two clusters merge when each member reaches it on average over the
        other). The default gives precision >= 0.90 on ParaPhraser pairs; tune it on your own
        labelled pairs with :func:`tune_threshold`.
    keep : {"first", "last", "longest"}
        Which item of a cluster is its representative: the earliest (by ``times`` if given,
        else input order), the latest, or the longest headline.

    Attributes
    ----------
    labels_ : ndarray of int
        Cluster id per input row (0..n_clusters-1, numbered in input order of representatives).
    duplicate_of_ : ndarray of int
        Index of the row's representative, or -1 for a representative.
    representatives_ : ndarray of int
        Row indices of all representatives, ascending.
    pairs_ : structured ndarray with fields ``i``, ``j``, ``score``
        One row per merged item: ``i`` is in the cluster of representative ``j``; ``score`` is
        their similarity (it may be a little below the threshold when ``i`` joined through the
        cluster as a whole: average linkage).

    Examples
    --------
    >>> nd = NearDuplicates()
    >>> nd.fit_predict(["Срочно: Пожар на складе в Алматы", "Пожар на складе в Алматы - СМИ",
    ...                 "Курс доллара на 5 мая", "Курс доллара на 6 мая"]).tolist()
    [0, 0, 1, 2]
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, keep: str = "first") -> None:
        self.threshold = threshold
        self.keep = keep

    def _check_params(self) -> None:
        check_params(self.threshold, self.keep)

    def fit(self, texts: Sequence[str], times: Any = None, sources: Any = None) -> NearDuplicates:
        """Cluster ``texts``; results are in the fitted attributes. Returns ``self``."""
        self._check_params()
        texts = check_texts(texts)
        n = len(texts)
        t = as_times(times, n)
        src = as_sources(sources, n)
        sc = score_batch(texts, min_score=score_floor(float(self.threshold)))
        order = representative_order(n, self.keep, t, sc.feats.length)
        leader, lscore = form_stories(
            n, sc.pi, sc.pj, sc.score, float(self.threshold), order, src, feats=sc.feats
        )
        self._set_result(leader, lscore)
        self.idf_ = sc.idf
        self.n_features_in_ = 1
        return self

    def _set_result(self, leader: np.ndarray, lscore: np.ndarray) -> None:
        n = leader.size
        is_rep = leader == np.arange(n)
        reps = np.flatnonzero(is_rep)
        cid = np.full(n, -1, dtype=np.int64)
        cid[reps] = np.arange(reps.size)
        self.labels_ = cid[leader]
        self.duplicate_of_ = np.where(is_rep, -1, leader)
        self.representatives_ = reps
        members = np.flatnonzero(~is_rep)
        pairs = np.empty(members.size, dtype=_PAIR_DTYPE)
        pairs["i"] = members
        pairs["j"] = leader[members]
        pairs["score"] = lscore[members]
        self.pairs_ = pairs

    def fit_predict(
        self, texts: Sequence[str], times: Any = None, sources: Any = None
    ) -> np.ndarray:
        """Cluster ``texts`` and return one int cluster id per row (same id = same news)."""
        return self.fit(texts, times=times, sources=sources).labels_

    def similarity(self, a: str, b: str) -> float:
        """Similarity of two headlines in [0, 1], with the IDF of the fitted batch if fitted."""
        pair = check_texts([a, b], "a and b")
        idf = getattr(self, "idf_", None)
        return float(pair_similarities([pair[0]], [pair[1]], idf=idf)[0])
