"""Prediction with :class:`~feedclass.model.TopicModel`: scores, calibrated probabilities,
topics, top-k lists and the n-grams behind a topic.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from feedclass import errors
from feedclass.calibration import (
    calibrated_proba,
)
from feedclass.errors import DataError
from feedclass.features import HashingFeatures
from feedclass.language import is_russian, russian_mask
from feedclass.model.state import ModelState
from feedclass.scorer import (
    MAX_TEXT_CHARS,
    russian_weights,
    topic_texts,
)
from feedclass.validation import (
    plain_value,
)


class Prediction(ModelState):
    """Mixin of :class:`~feedclass.model.TopicModel`: what a fitted model answers."""

    # -- prediction --------------------------------------------------------------------------
    def _smoothing(self) -> float:
        # A model fitted or pickled before "smoothed" calibration existed has no smoothing_.
        return float(getattr(self, "smoothing_", 0.0))

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            # errors.NotFittedError subclasses scikit-learn's: made (and imported) only here.
            raise errors.NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit(texts, labels) or load "
                "a model file with feedclass.load_model(path) first"
            )

    def _scores(self, texts: list[str]) -> np.ndarray:
        """Raw ``(n, n_classes)`` scores: one column per topic, even for two topics."""
        self._check_fitted()
        if not texts:
            return np.zeros((0, len(self.classes_)), dtype=np.float32)
        # n_jobs may have been set after fit or load: it reaches the features here.
        self.features_.n_jobs = self.n_jobs
        if getattr(self, "ru_used_", None) is None:
            # The fused kernel scores without building the sparse matrix (2-3x faster).
            return self.features_.decision_scores(texts, self._w.T, self.intercept_)
        # Word vectors on Russian headlines only: those are scored with their own weights.
        ru = russian_mask(texts)
        scores = np.zeros((len(texts), len(self.classes_)), dtype=np.float32)
        for rows, (feats, w) in (
            (np.flatnonzero(~ru), (self.features_, self._w)),
            (np.flatnonzero(ru), (None, None)),
        ):
            if rows.size:
                if feats is None or w is None:
                    feats, w = self._russian_model()
                scores[rows] = feats.decision_scores([texts[i] for i in rows], w.T, self.intercept_)
        return scores

    def _russian_model(self) -> tuple[HashingFeatures, np.ndarray]:
        """The features and weights ``(n_features, n_classes)`` of Russian headlines.

        Built from ``features_``, ``_w`` and the vectors' change at the first Russian
        headline, and again after ``partial_fit`` replaced either.
        """
        key = (self.features_, self._w, self.ru_delta_)
        cached = self.__dict__.get("_ru_cache")
        if cached is None or any(a is not b for a, b in zip(cached[0], key)):
            assert self.ru_used_ is not None and self.ru_delta_ is not None  # a vectors model
            idf, w = russian_weights(
                self.features_.idf_,
                self._w,
                self.ru_used_,
                self.ru_delta_,
                int(getattr(self.features_, "n_docs_", 0)),
            )
            feats = copy.copy(self.features_)
            feats.__dict__.pop("_pack_cache", None)
            feats.idf_ = idf
            cached = (key, feats, w)
            self._ru_cache = cached
        cached[1].n_jobs = self.n_jobs
        return cached[1], cached[2]

    def decision_function(self, X: Any) -> np.ndarray:
        """Each text's score for each topic (the SVMs' margins, before the temperature).

        Parameters
        ----------
        X : sequence of str
            Headlines.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), or (n_samples,) for two topics
            For two topics, as in scikit-learn, one score per text: positive means
            ``classes_[1]``.
        """
        scores = self._scores(topic_texts(X))
        if len(self.classes_) == 2:
            return scores[:, 1] - scores[:, 0]
        return scores

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probability of each topic for each text.

        Parameters
        ----------
        X : sequence of str
            Headlines. A missing or empty text has no features, so it gets the prior-like
            probabilities of the intercepts; :meth:`predict` with ``min_confidence`` or
            ``k`` gives None / ``[]`` for it instead, as the CLI leaves its cells empty.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows sum to 1; columns follow ``classes_``.
        """
        scores = self._scores(topic_texts(X))
        return calibrated_proba(scores, self.temperature_, self._smoothing())

    def predict(self, X: Any, *, k: int | None = None, min_confidence: float | None = None) -> Any:
        """The topic of each text; with ``k`` or ``min_confidence``, what the CLI prints.

        Parameters
        ----------
        X : sequence of str
            Headlines.
        k : int, optional
            Return the ``k`` most likely topics of each text, best first, as lists of
            ``(topic, probability)`` (the CLI's ``--top-k``).
        min_confidence : float in [0, 1], optional
            Leave out topics less likely than this (the CLI's ``--min-confidence``): without
            ``k`` an unsure text's topic is None, with ``k`` its list keeps only the topics at
            or above it. With either option a missing or empty text gets None / ``[]``.

        Returns
        -------
        ndarray of shape (n_samples,), or list of lists with ``k``
            Topics of the type of ``classes_``.

        Examples
        --------
        >>> from feedclass.model import TopicModel
        >>> m = TopicModel(calibrate=False, n_features=2**16).fit(
        ...     ["Гол в ворота", "Матч вничью", "Курс доллара вырос", "Нефть подешевела"],
        ...     ["sport", "sport", "economy", "economy"])
        >>> m.predict(["Гол в финале матча"]).tolist()
        ['sport']
        >>> m.predict(["Гол в финале матча", ""], min_confidence=0.5).tolist()
        ['sport', None]
        >>> [[t for t, _ in row] for row in m.predict(["Гол в финале матча"], k=2)]
        [['sport', 'economy']]
        """
        texts = topic_texts(X)
        if k is None and min_confidence is None:
            scores = self._scores(texts)
            return self.classes_[np.argmax(scores, axis=1)]
        if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer))):
            raise DataError(f"k must be an int >= 1; got {k!r} instead")
        if k is not None and k < 1:
            raise DataError(f"k must be at least 1; got {k} instead")
        floor = 0.0 if min_confidence is None else float(min_confidence)
        if not 0.0 <= floor <= 1.0:
            raise DataError(f"min_confidence must be between 0 and 1; got {min_confidence}")
        proba = calibrated_proba(self._scores(texts), self.temperature_, self._smoothing())
        empty = np.array([not t.strip() for t in texts], dtype=bool)
        if k is None:
            best = np.argmax(proba, axis=1) if len(texts) else np.zeros(0, dtype=np.int64)
            sure = (proba[np.arange(len(texts)), best] >= floor) & ~empty
            out = np.empty(len(texts), dtype=object)
            out[:] = [self.classes_[b] if s else None for b, s in zip(best.tolist(), sure)]
            return out
        order = np.argsort(-proba, axis=1, kind="stable")[:, : min(k, proba.shape[1])]
        return [
            []
            if e
            else [(plain_value(self.classes_[j]), float(p[j])) for j in row if p[j] >= floor]
            for row, p, e in zip(order, proba, empty)
        ]

    def top_k(self, X: Any, k: int = 3) -> list[list[tuple[Any, float]]]:
        """The ``k`` most likely topics of each text, best first, with probabilities.

        The same as ``predict(X, k=k)``, except that an empty text gets the prior's topics.
        """
        if k < 1:
            raise DataError(f"k must be at least 1; got {k} instead")
        proba = self.predict_proba(X)
        k = min(k, proba.shape[1])
        order = np.argsort(-proba, axis=1, kind="stable")[:, :k]
        return [
            [(plain_value(self.classes_[j]), float(p[j])) for j in row]
            for row, p in zip(order, proba)
        ]

    def explain(self, text: str, n: int = 5) -> list[tuple[str, float]]:
        """The n-grams of ``text`` that weigh most for its predicted topic, with their weights."""
        self._check_fitted()
        if not isinstance(text, str):
            raise DataError(f"text must be a str; got {type(text).__name__} instead")
        text = text[:MAX_TEXT_CHARS]
        feats, weights = self.features_, self._w
        if getattr(self, "ru_used_", None) is not None and is_russian(text):
            feats, weights = self._russian_model()
        row = feats.transform([text])
        c = int(np.argmax(np.asarray(row @ weights)[0] + self.intercept_))
        value = dict(zip(row.indices.tolist(), row.data.tolist()))
        weight: dict[str, float] = {}
        seen: set[int] = set()
        for gram, idx in self.features_.ngrams_with_index(text):
            if idx in value and idx not in seen:
                seen.add(idx)
                # " на" and "на " read the same to a person: show them as one n-gram.
                shown = gram.strip()
                weight[shown] = weight.get(shown, 0.0) + value[idx] * float(weights[idx, c])
        best = sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
        return [(g, round(w, 4)) for g, w in best if w > 0]
