"""``NearDuplicates``: the batch estimator that clusters headlines into stories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from feedclass.dedup.clusters import (
    DEFAULT_THRESHOLD,
    check_params,
    form_stories,
    representative_order,
    score_floor,
)
from feedclass.dedup.inputs import as_sources, as_times, check_headlines
from feedclass.dedup.pairs import pair_similarities, score_batch

__all__ = ["NearDuplicates"]

_PAIR_DTYPE = np.dtype([("i", np.int64), ("j", np.int64), ("score", np.float64)])


class NearDuplicates(ClusterMixin, BaseEstimator):
    """Cluster headlines that report the same news: a scikit-learn clusterer.

    ``__init__`` only stores the parameters (``get_params``, ``set_params`` and
    ``sklearn.base.clone`` work); ``fit`` checks them and the input, and sets the attributes.

    Parameters
    ----------
    threshold : float
        Pair similarity (0..1) that merges: a headline joins a cluster when it reaches it with
        every member (two clusters merge when each member reaches it on average over the
        other). ``DEFAULT_THRESHOLD`` puts precision first (``benchmarks/eval_dedup.py``
        prints what it gives); tune it on your own labelled pairs with :func:`tune_threshold`.
    keep : {"first", "last", "longest"}
        Which item of a cluster is its representative: the earliest (by ``times`` if given,
        else input order), the latest, or the longest headline.

    Attributes
    ----------
    labels_ : ndarray of int
        Cluster id per input row (0..n_clusters_-1, numbered in input order of
        representatives).
    n_clusters_ : int
        Number of clusters (stories).
    duplicate_of_ : ndarray of int
        Index of the row's representative, or -1 for a representative.
    representatives_ : ndarray of int
        Row indices of all representatives, ascending.
    pairs_ : structured ndarray with fields ``i``, ``j``, ``score``
        One row per merged item: ``i`` is in the cluster of representative ``j``; ``score`` is
        their similarity (it may be a little below the threshold when ``i`` joined through the
        cluster as a whole: average linkage).
    idf_ : Idf
        Document frequencies of the fitted batch (:meth:`similarity` weighs words by them).
    n_features_in_ : int
        Always 1: one headline per row.

    Examples
    --------
    >>> nd = NearDuplicates()
    >>> nd.fit_predict(["Срочно: Пожар на складе в Алматы", "Пожар на складе в Алматы - СМИ",
    ...                 "Курс доллара на 5 мая", "Курс доллара на 6 мая"]).tolist()
    [0, 0, 1, 2]
    >>> nd.n_clusters_, nd.duplicate_of_.tolist()
    (3, [-1, 0, -1, -1])
    >>> from sklearn.base import clone
    >>> clone(NearDuplicates(threshold=0.6, keep="last")).get_params()
    {'keep': 'last', 'threshold': 0.6}
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, keep: str = "first") -> None:
        self.threshold = threshold
        self.keep = keep

    def _check_params(self) -> None:
        check_params(self.threshold, self.keep)

    def fit(self, texts: Sequence[str], times: Any = None, sources: Any = None) -> NearDuplicates:
        """Cluster ``texts``; results are in the fitted attributes.

        Parameters
        ----------
        texts : sequence of str
            The headlines, one per row (a bare string is refused).
        times : sequence of numbers or datetime64, optional
            One time per headline: ``keep`` "first"/"last" go by it (else by input order).
        sources : sequence, optional
            One source per headline (``None`` or "" if unknown): two items of one known source
            are never put in one story.

        Returns
        -------
        NearDuplicates
            ``self``.
        """
        self._check_params()
        texts = check_headlines(texts)
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
        self.n_clusters_ = int(reps.size)
        members = np.flatnonzero(~is_rep)
        pairs = np.empty(members.size, dtype=_PAIR_DTYPE)
        pairs["i"] = members
        pairs["j"] = leader[members]
        pairs["score"] = lscore[members]
        self.pairs_ = pairs

    def fit_predict(
        self, texts: Sequence[str], times: Any = None, sources: Any = None
    ) -> np.ndarray:
        """Cluster ``texts`` and return one int cluster id per row (same id = same news).

        Parameters are those of :meth:`fit`; returns ``labels_``.
        """
        return self.fit(texts, times=times, sources=sources).labels_

    def similarity(self, a: str, b: str) -> float:
        """Similarity of two headlines in [0, 1], with the IDF of the fitted batch if fitted.

        Examples
        --------
        >>> NearDuplicates().similarity("Курс доллара на 5 мая", "Курс доллара на 6 мая")
        0.0
        """
        pair = check_headlines([a, b], "a and b")
        idf = getattr(self, "idf_", None)
        return float(pair_similarities([pair[0]], [pair[1]], idf=idf)[0])
