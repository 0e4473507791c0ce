"""Warm starts of :class:`~feedclass.model.TopicModel`: ``partial_fit`` from the current weights.

A correction or a new topic is learnt from the new rows alone, the current weights acting as a
prior that is stiff where the training data leaned on them.
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp

from feedclass.errors import DataError
from feedclass.features import HashingFeatures
from feedclass.linear import loss_curvature
from feedclass.model.state import ModelState
from feedclass.scorer import (
    topic_texts,
)
from feedclass.validation import (
    check_labels,
    check_sample_weight,
    label_kind,
    plain_value,
)

#: N-grams (the heaviest positive weights) in each topic's typical row for partial_fit.
PROTOTYPE_NGRAMS = 2000


def _prototypes(coef: np.ndarray, k: int) -> sp.csr_matrix:
    """One unit-norm row per topic: its ``k`` heaviest positive weights, as a typical text."""
    rows, cols, vals = [], [], []
    for c in range(coef.shape[0]):
        w = np.asarray(coef[c], dtype=np.float64)
        top = np.argpartition(-w, min(k, w.size - 1))[:k]
        top = top[w[top] > 0]
        v = w[top] / max(float(np.linalg.norm(w[top])), 1e-12)
        rows.append(np.full(top.size, c))
        cols.append(top)
        vals.append(v)
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=coef.shape,
        dtype=np.float32,
    )


def _binary_as_pair(weights: np.ndarray) -> np.ndarray:
    """Binary weights ``[0, s]`` per bucket as the one-vs-rest pair ``[-s/2, s/2]``."""
    half = (weights[:, 1] / 2).astype(np.float16).astype(np.float32)
    return np.stack([-half, half], axis=1)


def _grown_columns(weights: np.ndarray, pos: np.ndarray, n_classes: int) -> np.ndarray:
    """``weights`` with a zero column for each new topic (old topics at ``pos``)."""
    grown = np.zeros((weights.shape[0], n_classes), dtype=np.float32)
    grown[:, pos] = weights
    return grown


_Model = TypeVar("_Model", bound="WarmStart")


class WarmStart(ModelState):
    """Mixin of :class:`~feedclass.model.TopicModel`: ``partial_fit``."""

    def partial_fit(
        self: _Model,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        classes: Any = None,
        *,
        prior_strength: float = 1.0,
    ) -> _Model:
        """Learn more labelled texts starting from the current weights (a warm start).

        Solves ``min_w 1/2 ||w - w_now||^2 + sum_i C * sample_weight_i * loss_i`` over the new
        rows only: the current weights are a prior, so what the model knew stays unless the
        new rows contradict it. Topics of ``y`` the model does not have yet are added (their
        weights start at zero, their intercept at the lowest existing one, so a new topic
        wins only where its own n-grams speak). Buckets the features never saw get an IDF as
        if seen in the new rows. The temperature is kept. On an unfitted model this is
        :meth:`fit`.

        Parameters
        ----------
        X : sequence of str
            Headlines.
        y : sequence of labels
            Their topics (may be a single topic, and topics new to the model).
        sample_weight : array-like of shape (n_samples,), optional
            Weight of each row; larger weights pull harder against the prior.
        classes : ignored
            Accepted for scikit-learn's ``partial_fit`` signature; topics come from ``y``.
        prior_strength : float
            How much the training set's record of each weight's use (``importance_``)
            stiffens the prior; 0 gives the plain L2 pull towards the current weights.

        Returns
        -------
        TopicModel
            ``self``, updated.

        Examples
        --------
        >>> from feedclass.model import TopicModel
        >>> m = TopicModel(calibrate=False, n_features=2**16).fit(
        ...     ["Гол в ворота", "Матч вничью", "Курс доллара вырос", "Нефть подешевела"],
        ...     ["sport", "sport", "economy", "economy"])
        >>> m = m.partial_fit(["Новый смартфон представлен", "Вышел новый смартфон"],
        ...                   ["tech", "tech"], sample_weight=[5.0, 5.0])
        >>> m.classes_.tolist(), m.predict(["Смартфон представлен"]).tolist()
        (['economy', 'sport', 'tech'], ['tech'])
        """
        del classes
        if not hasattr(self, "coef_"):
            return self.fit(X, y, sample_weight)
        texts = topic_texts(X)
        got, got_idx = check_labels(y, len(texts), min_classes=1)
        old = self.classes_
        kind, old_kind = label_kind(plain_value(got[0])), label_kind(plain_value(old[0]))
        if kind != old_kind:
            raise DataError(
                f"y holds {kind} labels but the model's topics are {old_kind} labels "
                f"({', '.join(map(str, old.tolist()[:3]))}, ...); convert them to one type"
            )
        merged = np.unique(np.concatenate([old, got]))
        y_idx = np.searchsorted(merged, got)[got_idx]
        weights = self._w  # (n_features, n_classes), the file's float16 values as float32
        intercept = np.asarray(self.intercept_, dtype=np.float64)
        ru_delta = getattr(self, "ru_delta_", None)
        if len(merged) > len(old):
            if len(old) == 2:
                # A binary model keeps one SVM as rows [0, s]; as one-vs-rest rows [-s/2, s/2]
                # give the same probabilities.
                weights = _binary_as_pair(weights)
                intercept = np.array([-intercept[1] / 2, intercept[1] / 2])
                ru_delta = None if ru_delta is None else _binary_as_pair(ru_delta)
            pos = np.searchsorted(merged, old)
            weights = _grown_columns(weights, pos, len(merged))
            if ru_delta is not None:
                ru_delta = _grown_columns(ru_delta, pos, len(merged))
            b = np.full(len(merged), float(intercept.min()))
            b[pos] = intercept
            intercept = b
        self.features_ = self._grown_features(texts)
        M = self.features_.transform(texts)
        # No class weights here: which topics the new rows hold is the editors' choice.
        cost = float(self.C) * check_sample_weight(sample_weight, len(texts))
        # The training rows are gone, so each known topic speaks through one typical row
        # built from its own weights; without them a topic seen only in the new rows (a new
        # topic, or a batch of corrections all to one topic) raises its intercept and takes
        # texts it has never seen.
        protos = _prototypes(self.coef_, PROTOTYPE_NGRAMS)
        M = sp.vstack([M, protos]).tocsr()
        y_idx = np.concatenate([y_idx, np.searchsorted(merged, old)])
        cost = np.concatenate([cost, np.full(len(old), float(np.mean(cost)))])
        # The prior is stiff where the training data leaned (elastic weight consolidation
        # with the diagonal of the training loss's curvature): a weight that thousands of
        # rows set moves little, one only the new rows use moves freely. A model file without
        # that record gets the plain prior.
        importance = getattr(self, "importance_", None)
        stiffness = None if importance is None else 1.0 + prior_strength * importance
        bias_stiff = 1.0 + prior_strength * float(getattr(self, "intercept_importance_", 0.0))
        used, w, b = self._solve(
            M,
            y_idx,
            len(merged),
            cost,
            start=(weights.T, intercept),
            intercept_scaling=1.0 / np.sqrt(bias_stiff),
            stiffness=None if stiffness is None else np.asarray(stiffness, dtype=np.float64),
        )
        # Only the buckets the new rows use changed: copy the rest, round these as the file
        # stores them (so a saved and reloaded model predicts the same).
        new_w = np.array(weights, dtype=np.float32, order="C")
        new_w[used] = w.T.astype(np.float16).astype(np.float32)
        self.classes_ = merged
        self.ru_delta_ = ru_delta
        self._w = new_w
        self.coef_ = new_w.T
        self.intercept_ = b.astype(np.float32)
        if importance is not None:
            # What these rows taught is now part of what later updates should keep.
            n_new = len(texts)
            added = loss_curvature(M[:n_new], cost[:n_new])
            self.importance_ = np.minimum(importance + added, 6e4).astype(np.float16)
            self.importance_ = self.importance_.astype(np.float32)
            self.intercept_importance_ += float(cost[:n_new].sum())
        return self

    def _grown_features(self, texts: list[str]) -> HashingFeatures:
        """A copy of the features whose unseen buckets that ``texts`` use get an IDF.

        Why: an n-gram the training set never had has IDF 0, so a correction could not teach
        it, and a new topic's own words would weigh nothing. Buckets already known keep their
        IDF, so the old weights keep their meaning.
        """
        counter = self._new_features()
        counter.use_idf = False
        df = np.bincount(counter.fit_transform(texts).indices, minlength=self.features_.n_features)
        idf = self.features_.idf_
        new = (df > 0) & (idf == 0)
        feats = copy.copy(self.features_)
        feats.__dict__.pop("_pack_cache", None)
        if new.any():
            n = max(int(getattr(self.features_, "n_docs_", 0)), 0) + len(texts)
            grown = idf.copy()
            grown[new] = np.log((1.0 + n) / (1.0 + df[new])) + 1.0
            feats.idf_ = grown.astype(np.float32)
        return feats
