"""The estimator :class:`TopicModel`: its parameters, the linear solver's wiring and ``fit``.

Its other parts are mixins beside it, one concept each: calibration
(:mod:`~feedclass.model.calibrate`), warm starts (:mod:`~feedclass.model.warm_start`),
prediction (:mod:`~feedclass.model.prediction`), files and pickling
(:mod:`~feedclass.model.persistence`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from feedclass.calibration import (
    CALIBRATION_METHODS,
)
from feedclass.crossfit import row_groups, row_mask
from feedclass.errors import DataError
from feedclass.estimator import ClassifierMixin, Estimator, TextInputMixin
from feedclass.features import HashingFeatures
from feedclass.language import russian_mask
from feedclass.linear import fit_one_vs_rest, loss_curvature, used_columns
from feedclass.model.calibrate import Calibration
from feedclass.model.persistence import Persistence
from feedclass.model.prediction import Prediction
from feedclass.model.warm_start import WarmStart
from feedclass.scorer import (
    ngram_pair,
    topic_texts,
)
from feedclass.validation import (
    check_labels,
    check_sample_weight,
)
from feedclass.vectors import augment, extend_idf, fold

#: Which headlines the word-vector block reaches (``vector_scope``): "russian" = the Russian ones
#: (:mod:`feedclass.language`; the vectors are Russian), "all" = every headline.
VECTOR_SCOPES = ("russian", "all")


class TopicModel(
    TextInputMixin, Prediction, Calibration, WarmStart, Persistence, ClassifierMixin, Estimator
):
    """Headline topic classifier with calibrated probabilities.

    Parameters
    ----------
    char_ngram_range : (int, int), default (2, 5)
        Sizes of character n-grams inside words, see :class:`feedclass.features.HashingFeatures`.
    word_ngram_range : (int, int), default (1, 2)
        Sizes of word n-grams.
    n_features : int, default 2**20
        Hash buckets of the features.
    C : float, default 1.5
        Inverse regularisation strength of the one-vs-rest linear SVMs (squared hinge loss).
    class_weight : None, "balanced" or dict, default "balanced"
        Weight of each topic's rows in the loss. A dict maps labels (as in ``y``) to weights;
        topics it does not name weigh 1. ``"balanced"`` weighs topics inversely to their
        frequency (helps rare topics at some cost in accuracy).
    calibrate : bool, default True
        Fit a softmax temperature on held-out scores of internal fits, so that probabilities
        mean what they say. If the data leave nothing to hold out (every topic has a single
        example), a :class:`~feedclass.errors.CalibrationWarning` says so; it never switches
        itself off silently.
    calibration_folds : int, default 1
        1: one internal fit on a stratified part of the data, scored on the held-out
        ``calibration_holdout`` share (one extra fit of 80% of the data). k >= 2: k internal
        fits, out-of-fold scores of every row (k extra fits; slower, a little steadier on small
        data). Topics with a single example are never held out.
    calibration_holdout : float, default 0.2
        Share of each topic held out when ``calibration_folds == 1``.
    balance_topics : bool, default False
        With ``calibrate``, also fit per-topic offsets of the margins on the same held-out
        scores to maximise macro-F1 plus accuracy. Off by default: it gave no gain in grouped
        CV on the Russian headlines.
    calibration_method : {"temperature", "vector", "smoothed"}, default "temperature"
        With ``calibrate``: one softmax temperature fitted by log loss on the held-out scores,
        or ("vector") a temperature and a bias per topic fitted together, which also moves the
        topic shares towards the held-out rows' (the biases are folded into ``intercept_``,
        so the model file and ``feedclass classify`` need nothing more), or ("smoothed") a
        temperature and a share of the uniform distribution mixed into the probabilities
        (``smoothing_``), which caps the confidence of the surest predictions.
    calibration_whole_groups : bool, default False
        With ``groups`` in ``fit``, hold a group out of the internal fits whole, every topic
        of it at once, instead of one (topic, group) pair at a time: with a Telegram channel
        as the group, the held-out scores are those of a channel the model never saw.
    max_iter : int, default 100
        Passes of the dual coordinate-descent solver over the data, at most, per topic.
    tol : float, default 0.1
        Stopping tolerance of the solver (the span of projected gradients over a pass,
        liblinear's ``eps``). Tighter values cost passes and changed no grouped-CV figure.
    vector_weight : float, default 0.0
        Weight of the word-vector block (:mod:`feedclass.vectors`): each headline's mean word
        vector beside its n-grams, folded into per-column weights after fitting. 0: off.
    word_vectors : feedclass.vectors.WordVectors or None, default None
        The vectors for ``vector_weight``; used by ``fit`` only and never stored (a saved
        model predicts without them).
    vector_scope : {"russian", "all"}, default "russian"
        Which headlines get the vector block, in fit and predict alike. "russian": only
        Russian ones (:func:`feedclass.language.russian_mask`); Kazakh and English headlines
        keep the plain n-gram model, and Russian ones are scored with their own weights
        (``ru_delta_``). "all": every headline, the vectors folded into ``coef_``.
    random_state : int, default 0
        Seed of the calibration split and of the solver's sample order.
    n_jobs : int or None, default None
        Threads for featurising and for solving topics in parallel (None: every core).
        Results are identical for any value; it is not stored in the model file.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The topics, sorted, with the type the labels had (str, int, ...).
    features_ : HashingFeatures
        The fitted feature extractor (its ``idf_`` says which buckets exist).
    coef_ : ndarray of shape (n_classes, n_features)
        Weights of each topic's SVM (rounded to float16 precision, as the model file stores
        them). For two topics the first row is zero and the second is the SVM.
    ru_used_, ru_delta_ : ndarray or None
        With word vectors on Russian headlines only: the buckets whose weights the vectors
        change, and the change ``(len(ru_used_), n_classes)`` a Russian headline sees there
        (:func:`feedclass.scorer.russian_weights`). None otherwise.
    intercept_ : ndarray of shape (n_classes,)
        Intercepts (plus per-topic offsets when ``balance_topics``).
    temperature_ : float
        Softmax temperature applied to the scores by ``predict_proba``.
    smoothing_ : float
        Share of the uniform distribution mixed into the probabilities (0 unless
        ``calibration_method="smoothed"``).
    calibrated_ : bool
        Whether ``temperature_`` was fitted (False with ``calibrate=False``).
    n_train_ : int
        Rows the model was trained on.
    metadata_ : dict
        The model file's header (only on a model loaded from a file).

    Examples
    --------
    >>> m = TopicModel(calibrate=False).fit(
    ...     ["Гол в ворота", "Матч закончился вничью", "Курс доллара вырос", "Цены на нефть упали"],
    ...     ["sport", "sport", "economy", "economy"])
    >>> m.predict(["Финал матча"]).tolist()
    ['sport']
    """

    # Set by ``load_model`` only (annotations, not defaults: a fitted attribute stays absent).
    metadata_: dict[str, Any]
    source_path_: Path

    def __init__(
        self,
        *,
        char_ngram_range: tuple[int, int] = (2, 5),
        word_ngram_range: tuple[int, int] = (1, 2),
        n_features: int = 2**20,
        C: float = 1.5,
        class_weight: str | dict | None = "balanced",
        calibrate: bool = True,
        calibration_folds: int = 1,
        calibration_holdout: float = 0.2,
        balance_topics: bool = False,
        calibration_method: str = "temperature",
        calibration_whole_groups: bool = False,
        max_iter: int = 100,
        tol: float = 0.1,
        vector_weight: float = 0.0,
        word_vectors: Any = None,
        vector_scope: str = "russian",
        random_state: int = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.char_ngram_range = char_ngram_range
        self.word_ngram_range = word_ngram_range
        self.n_features = n_features
        self.C = C
        self.class_weight = class_weight
        self.calibrate = calibrate
        self.calibration_folds = calibration_folds
        self.calibration_holdout = calibration_holdout
        self.balance_topics = balance_topics
        self.calibration_method = calibration_method
        self.calibration_whole_groups = calibration_whole_groups
        self.max_iter = max_iter
        self.tol = tol
        self.vector_weight = vector_weight
        self.word_vectors = word_vectors
        self.vector_scope = vector_scope
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- fitting -----------------------------------------------------------------------------
    def _new_features(self) -> HashingFeatures:
        return HashingFeatures(
            char_ngram_range=ngram_pair(self.char_ngram_range),
            word_ngram_range=ngram_pair(self.word_ngram_range),
            n_features=self.n_features,
            n_jobs=self.n_jobs,
        )

    def _n_threads(self) -> int:
        if self.n_jobs is None or self.n_jobs < 0:
            return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        return max(int(self.n_jobs), 1)

    def _fit_linear(
        self,
        M: sp.csr_matrix,
        y_idx: np.ndarray,
        n_classes: int,
        cost: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Weights ``(n_classes, n_features)`` and intercepts of the one-vs-rest SVMs, from
        zero; ``cost`` is each row's C (C times class and sample weight)."""
        used, w, b = self._solve(M, y_idx, n_classes, cost)
        coef = np.zeros((n_classes, M.shape[1]))
        coef[:, used] = w
        return coef, b

    def _solve(
        self,
        M: sp.csr_matrix,
        y_idx: np.ndarray,
        n_classes: int,
        cost: np.ndarray,
        start: tuple[np.ndarray, np.ndarray] | None = None,
        intercept_scaling: float = 1.0,
        stiffness: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The buckets that occur in ``M``, the weights ``(n_classes, len(used))`` there, and
        the intercepts.

        Every other bucket keeps its starting weight: no row moves it (w = w0 + sum a_i y_i
        x_i), and with 2**20 buckets most are empty, so only the used ones are solved for.
        ``start`` (weights ``(n_classes, n_features)`` and intercepts) is the prior the
        solution is pulled towards, and ``stiffness`` (one value >= 1 per bucket) how hard:
        the prior is ``1/2 sum_j stiffness_j (w_j - w0_j)^2``, solved as the plain one on
        features divided by ``sqrt(stiffness)``.
        """
        used, X = used_columns(M)
        root = np.ones(used.size) if stiffness is None else np.sqrt(stiffness[used])
        if stiffness is not None:
            X.data = X.data / root[X.indices].astype(X.data.dtype)
        if start is None:
            sub = np.zeros((n_classes, used.size + 1))
        else:
            sub = np.hstack(
                [
                    np.asarray(start[0][:, used], dtype=np.float64) * root,
                    np.asarray(start[1], dtype=np.float64)[:, None],
                ]
            )
        common: dict[str, Any] = {
            "max_epochs": self.max_iter,
            "tol": self.tol,
            "seed": self.random_state,
            "intercept_scaling": intercept_scaling,
        }
        if n_classes == 2:
            # One SVM, class 1 against class 0, stored as the rows [0, w]: softmax over
            # [0, s] is the same model, and the second SVM would only be its negation.
            w1, b1, _ = fit_one_vs_rest(
                X, (y_idx != 1).astype(np.int64), 1, cost, start=sub[1:] - sub[:1], **common
            )
            w = np.vstack([np.zeros_like(w1), w1])
            b = np.array([0.0, b1[0]])
        else:
            w, b, _ = fit_one_vs_rest(
                X, y_idx, n_classes, cost, start=sub, n_threads=self._n_threads(), **common
            )
        return used, w / root, b

    def _row_cost(self, y_idx: np.ndarray, classes: np.ndarray, sample_weight: Any) -> np.ndarray:
        """Each row's C: ``C`` times its class weight times its sample weight."""
        n_classes = len(classes)
        cw = self.class_weight
        if cw is None:
            per_class = np.ones(n_classes)
        elif isinstance(cw, str):
            if cw != "balanced":
                raise ValueError(f"class_weight must be None, 'balanced' or a dict; got {cw!r}")
            counts = np.bincount(y_idx, minlength=n_classes).astype(np.float64)
            per_class = len(y_idx) / (n_classes * np.maximum(counts, 1))
        elif isinstance(cw, dict):
            unknown = [k for k in cw if k not in set(classes.tolist())]
            if unknown:
                raise DataError(
                    f"class_weight names topics that are not in y: {unknown!r}; "
                    f"the topics are {classes.tolist()!r}"
                )
            per_class = np.array([float(cw.get(c, 1.0)) for c in classes.tolist()])
        else:
            raise ValueError(
                f"class_weight must be None, 'balanced' or a dict; got {type(cw).__name__}"
            )
        return float(self.C) * per_class[y_idx] * check_sample_weight(sample_weight, len(y_idx))

    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        groups: Any = None,
        calibration_rows: Any = None,
        calibration_links: Any = None,
    ) -> TopicModel:
        """Learn the features' IDF, the topic weights and (with ``calibrate``) the temperature.

        Parameters
        ----------
        X : sequence of str
            Headlines. Missing texts (None, NaN, ``pd.NA``, "") are featureless rows.
        y : sequence of labels
            One topic per headline: strings, integers, any hashable, sortable values that are
            not missing. ``classes_`` keeps their type.
        sample_weight : array-like of shape (n_samples,), optional
            Weight of each row in the loss (a row of weight 2 counts as two copies).
        groups : array-like of shape (n_samples,), optional
            Group of each row (e.g. the rewordings of one news story): the calibration split
            holds a group out whole. Without it a held-out row's rewording stays in training,
            its score is too sure, and the fitted temperature makes probabilities overconfident.
        calibration_rows : array-like of bool, shape (n_samples,), optional
            Rows that may be held out for calibration (default: all). Pass False for rows
            whose labels a model made (self-training): the temperature should match human
            labels, and self-labelled rows are the ones a model is already sure of.
        calibration_links : array-like of shape (n_samples,), optional
            A second grouping (e.g. the story a headline tells, where ``groups`` are outlets):
            when rows are held out for calibration, every other row that shares their group or
            their link leaves that internal fit too, so the held-out rows' stories are as
            unseen as their outlet. Default: only the held-out rows leave it.

        Returns
        -------
        TopicModel
            ``self``, fitted.

        Examples
        --------
        >>> texts = ["Гол в ворота", "Гол на последней минуте", "Матч вничью", "Матч отменён",
        ...          "Курс вырос", "Курс упал", "Нефть подешевела", "Нефть подорожала"]
        >>> labels = ["sport"] * 4 + ["economy"] * 4
        >>> m = TopicModel(n_features=2**16).fit(
        ...     texts, labels, groups=["g", "g", "m1", "m2", "k", "k", "n1", "n2"])
        >>> m.calibrated_
        True
        """
        texts = topic_texts(X)
        classes, y_idx = check_labels(y, len(texts))
        group_idx = row_groups(groups, len(texts))
        eligible = row_mask(calibration_rows, len(texts))
        link_idx = row_groups(calibration_links, len(texts))
        cost = self._row_cost(y_idx, classes, sample_weight)
        self.classes_ = classes
        if self.vector_scope not in VECTOR_SCOPES:
            raise ValueError(
                f"vector_scope must be one of {VECTOR_SCOPES}; got {self.vector_scope!r} instead"
            )
        if self.calibration_method not in CALIBRATION_METHODS:
            raise ValueError(
                f"calibration_method must be one of {CALIBRATION_METHODS}; "
                f"got {self.calibration_method!r} instead"
            )
        self.features_ = self._new_features().fit(texts)
        E = vec_rows = None
        if self.vector_weight and self.word_vectors is not None:
            E = self.word_vectors.bucket_matrix(self.features_)
            if self.vector_scope == "all":
                extend_idf(self.features_, E)
            else:
                vec_rows = russian_mask(texts)
        M = self.features_.transform(texts)
        if E is not None:
            M = augment(M, E, float(self.vector_weight), vec_rows)
        coef, intercept = self._fit_linear(M, y_idx, len(classes), cost)
        self.ru_used_ = self.ru_delta_ = None
        if E is not None:
            nf = self.features_.n_features
            folded = fold(coef[:, :nf], coef[:, nf:], E, float(self.vector_weight))
            if vec_rows is None:
                coef = folded
            else:
                # Russian headlines see the folded weights, every other one the n-gram part.
                coef = coef[:, :nf]
                used = np.flatnonzero(np.diff(E.indptr) > 0)
                delta = (folded[:, used] - coef[:, used]).T
                self.ru_used_ = used
                self.ru_delta_ = delta.astype(np.float16).astype(np.float32)
        self._set_weights(coef, intercept)
        # How much the training loss leans on each bucket (the diagonal of its curvature, up
        # to the share of rows at the margin): partial_fit keeps heavily used weights stiff.
        # (Of the hashed columns only: the word-vector block, if any, is folded away.)
        self.importance_ = loss_curvature(M, cost)[: self.features_.n_features]
        self.intercept_importance_ = float(cost.sum())
        self.temperature_ = 1.0
        self.smoothing_ = 0.0
        self.calibrated_ = False
        if self.calibrate:
            # with word vectors on, calibrated on the augmented features (the folded weights agree)
            self._calibrate(
                texts,
                M,
                y_idx,
                len(classes),
                cost,
                E,
                groups=group_idx,
                eligible=eligible,
                vector_rows=vec_rows,
                links=link_idx,
            )
        self.n_train_ = len(texts)
        return self

    def _set_weights(self, coef: np.ndarray, intercept: np.ndarray) -> None:
        # Rounded to what the model file stores, so a loaded model predicts exactly the same.
        # One (n_features, n_classes) array; coef_ is its transposed view, not a second copy.
        self._w = np.ascontiguousarray(coef.T.astype(np.float16).astype(np.float32))
        self.coef_ = self._w.T
        self.intercept_ = np.asarray(intercept, dtype=np.float32)
