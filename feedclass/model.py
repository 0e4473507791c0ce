"""The topic model: hashed char/word n-gram TF-IDF and a linear SVM with calibrated softmax.

Why hashing: the model file then holds only numbers (no vocabulary of a million n-grams), loads
fast, and featurisation runs in one compiled pass over a batch. Why a linear SVM: on
18k headlines it fits in well under a second (our dual coordinate-descent solver,
:mod:`feedclass.linear`) where lbfgs logistic regression needs 90 s, with the same accuracy
(see the model card). Why temperature scaling: the SVM's margins are not probabilities; one fitted
scalar makes ``confidence`` mean what it says, so ``--min-confidence 0.8`` keeps items that are
right about 80% of the time.

Beside it: which rows the calibration holds out and their scores (:mod:`feedclass.crossfit`),
what the model file holds (:mod:`feedclass.modelsave`).
"""

from __future__ import annotations

import copy
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from feedclass import errors
from feedclass.calibration import (
    CALIBRATION_METHODS,
    calibrated_proba,
    fit_smoothed_temperature,
    fit_temperature,
    fit_topic_offsets,
    fit_vector_scaling,
)
from feedclass.crossfit import calibration_splits, held_out_scores, row_groups, row_mask
from feedclass.errors import CalibrationWarning, DataError, ModelFileError
from feedclass.estimator import ClassifierMixin, Estimator
from feedclass.features import HashingFeatures
from feedclass.inputs import check_texts as check_texts  # serve.desk imports it from here
from feedclass.language import is_russian, russian_mask
from feedclass.linear import fit_one_vs_rest, loss_curvature, used_columns
from feedclass.modelfile import write_model_file
from feedclass.modelsave import model_file_parts
from feedclass.scorer import DEFAULT_MODEL_NAME as DEFAULT_MODEL_NAME
from feedclass.scorer import MAX_TEXT_CHARS as MAX_TEXT_CHARS
from feedclass.scorer import default_model_path as default_model_path
from feedclass.scorer import ngram_pair, read_topic_file, russian_weights
from feedclass.scorer import topic_texts as topic_texts
from feedclass.validation import (
    check_labels,
    check_sample_weight,
    label_kind,
    plain_value,
)
from feedclass.vectors import augment, extend_idf, fold

#: Which headlines the word-vector block reaches (``vector_scope``): "russian" = the Russian ones
#: (:mod:`feedclass.language`; the vectors are Russian), "all" = every headline.
VECTOR_SCOPES = ("russian", "all")

#: Rows the internal calibration fit learns from at most (more only cost time).
CALIBRATION_MAX_ROWS = 25_000

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


#: Learned attributes; a pickle carries them as the model file's bytes.
_FITTED = frozenset(
    {
        "classes_",
        "features_",
        "_w",
        "coef_",
        "intercept_",
        "temperature_",
        "smoothing_",
        "calibrated_",
        "n_train_",
        "importance_",
        "intercept_importance_",
        "metadata_",
        "ru_used_",
        "ru_delta_",
    }
)


class TopicModel(ClassifierMixin, Estimator):
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
        common = {
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
            )
        self.n_train_ = len(texts)
        return self

    def partial_fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        classes: Any = None,
        *,
        prior_strength: float = 1.0,
    ) -> TopicModel:
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

    def _set_weights(self, coef: np.ndarray, intercept: np.ndarray) -> None:
        # Rounded to what the model file stores, so a loaded model predicts exactly the same.
        # One (n_features, n_classes) array; coef_ is its transposed view, not a second copy.
        self._w = np.ascontiguousarray(coef.T.astype(np.float16).astype(np.float32))
        self.coef_ = self._w.T
        self.intercept_ = np.asarray(intercept, dtype=np.float32)

    def _calibration_splits(
        self,
        y_idx: np.ndarray,
        n_classes: int,
        groups: np.ndarray | None = None,
        eligible: np.ndarray | None = None,
    ) -> list[np.ndarray]:
        """Held-out row sets for calibration (:func:`~feedclass.crossfit.calibration_splits`
        with this model's ``calibration_folds``, ``calibration_holdout`` and seed)."""
        return calibration_splits(
            y_idx,
            n_classes,
            self.calibration_folds,
            self.calibration_holdout,
            self.random_state,
            groups,
            eligible,
            bool(self.calibration_whole_groups),
        )

    def _calibrate(
        self,
        texts: list[str],
        M: sp.csr_matrix,
        y_idx: np.ndarray,
        n_classes: int,
        cost: np.ndarray,
        E: Any = None,
        *,
        groups: np.ndarray | None = None,
        eligible: np.ndarray | None = None,
        vector_rows: np.ndarray | None = None,
    ) -> None:
        """Fit the temperature (and per-topic offsets) on held-out scores of internal fits.

        The internal fits reuse the training rows of ``M`` (featurising once saves a pass per
        fit). The held-out rows are featurised again without the buckets the internal fit
        never saw, as a new text would be: with them, their rows' norms would be spread over
        n-grams of weight 0, their scores too small, and the fitted temperature too low.
        """
        tests = self._calibration_splits(y_idx, n_classes, groups, eligible)
        tests = [t for t in tests if len(t)]
        held = np.concatenate(tests) if tests else np.zeros(0, dtype=np.int64)
        if len(held) < 2 or len(np.unique(y_idx[held])) < 2:
            warnings.warn(
                f"calibration skipped: {len(y_idx)} training rows leave no held-out rows of "
                "2 topics; probabilities use temperature 1.0 and will be too flat. Add "
                "examples (2 or more per topic) or pass calibrate=False to silence this",
                CalibrationWarning,
                stacklevel=3,
            )
            return
        scores = held_out_scores(
            tests,
            texts,
            M,
            y_idx,
            n_classes,
            cost,
            self._fit_linear,
            self.features_,
            E,
            self.vector_weight,
            self.random_state,
            CALIBRATION_MAX_ROWS,  # read here, so a test can lower it on this module
            vector_rows,
        )
        y_held = y_idx[held]
        bias = fit_topic_offsets(scores, y_held) if self.balance_topics else np.zeros(n_classes)
        if self.calibration_method == "vector":
            self.temperature_, topic_bias = fit_vector_scaling(scores + bias, y_held)
            bias = bias + self.temperature_ * topic_bias  # softmax((s + o)/t + b) as one intercept
        elif self.calibration_method == "smoothed":
            self.temperature_, self.smoothing_ = fit_smoothed_temperature(scores + bias, y_held)
        else:
            self.temperature_ = fit_temperature(scores + bias, y_held)
        self.intercept_ = (self.intercept_ + bias).astype(np.float32)
        self.calibrated_ = True

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
                if feats is None:
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

    def __sklearn_tags__(self) -> Any:
        """Declare string input, so scikit-learn's checks and tools don't feed it numbers."""
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags

    def _more_tags(self) -> dict[str, Any]:
        """The same declaration for scikit-learn < 1.6."""
        return {**super()._more_tags(), "X_types": ["string"]}

    # -- pickling (joblib, GridSearchCV(n_jobs=...), multiprocessing) ------------------------
    def __copy__(self) -> TopicModel:
        """A shallow copy: the same arrays, no trip through the model file (see below)."""
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def __getstate__(self) -> dict[str, Any]:
        """A fitted model pickles as its model file's bytes, so no larger than that file.

        Why: the in-memory weights are a dense ``(n_features, n_classes)`` array (40 MB for
        ten topics) plus caches; the model file keeps only the used buckets, compressed.
        """
        state = dict(super().__getstate__())
        if not hasattr(self, "coef_"):
            return state
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.fcm"
            created = getattr(self, "metadata_", {}).get("created", "")
            self.save(path, {"created": created})
            state = {
                k: v
                for k, v in state.items()
                if (k not in _FITTED or k == "metadata_") and k != "_ru_cache"
            }
            state["_model_file"] = path.read_bytes()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        blob = state.pop("_model_file", None)
        if blob is not None:
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "model.fcm"
                path.write_bytes(blob)
                loaded = type(self).load(path)
            fitted = {k: v for k, v in loaded.__dict__.items() if k in _FITTED and k != "metadata_"}
            state = {**fitted, **state}
        super().__setstate__(state)

    # -- persistence -------------------------------------------------------------------------
    def save(self, path: str | Path, metadata: dict[str, Any] | None = None) -> None:
        """Write the model as data (JSON header + arrays), atomically.

        Parameters
        ----------
        path : str or Path
            Where to write; the file is replaced only once the new one is complete.
        metadata : dict, optional
            Extra JSON-serialisable header entries (e.g. ``training_data``, ``metrics``,
            ``created``). Keys the format itself uses (``labels``, ``params``, ...) are refused.
        """
        self._check_fitted()
        write_model_file(path, *model_file_parts(self, metadata))

    @classmethod
    def load(cls, path: str | Path) -> TopicModel:
        """Read a model written by :meth:`save`; never unpickles.

        Parameters
        ----------
        path : str or Path
            A model file.

        Returns
        -------
        TopicModel
            Fitted, with the file's header as ``metadata_``.

        Raises
        ------
        ModelFileError
            The file is missing, truncated, not a feedclass model, a pickle, or of a newer
            format version.
        """
        f = read_topic_file(path, TopicModel().get_params())
        header = f.header
        try:
            model = cls(**f.params)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ModelFileError(f"{path}: corrupted model file ({exc})") from None
        feats = model._new_features()
        feats.idf_ = f.idf
        feats.n_docs_ = int(header.get("n_docs", 0))
        model.features_ = feats
        model.classes_ = f.classes
        model.intercept_ = f.intercept
        model._w = f.weights
        model.coef_ = f.weights.T
        model.temperature_ = f.temperature
        model.smoothing_ = f.smoothing
        model.calibrated_ = bool(header.get("calibrated", model.temperature_ != 1.0))
        model.n_train_ = int(header.get("n_train", 0))
        if f.importance is not None:
            model.importance_ = f.importance
            model.intercept_importance_ = float(header.get("intercept_importance", 0.0))
        model.ru_used_, model.ru_delta_ = f.ru_used, f.ru_delta
        model.metadata_ = header
        model.source_path_ = Path(path)  # so that no command writes over the model it uses
        return model


def load_model(path: str | Path | None = None, *, n_jobs: int | None = None) -> TopicModel:
    """Load a model file (the shipped default model when ``path`` is None). Never unpickles.

    ``n_jobs`` threads featurise large batches (None: every core; same results either way).
    """
    if path is None:
        path = default_model_path()
        if not path.exists():
            raise ModelFileError(
                "the default model is not installed; pass --model (or a path) to a model "
                "trained with `feedclass train`"
            )
    model = TopicModel.load(path)
    model.n_jobs = n_jobs
    model.features_.n_jobs = n_jobs
    return model


def model_info(path: str | Path | None = None) -> dict[str, Any]:
    """The header of a model file: labels, training data, metrics, versions."""
    from feedclass.scorer import load_scorer

    return dict(load_scorer(path).metadata_)
