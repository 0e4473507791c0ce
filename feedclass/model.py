"""The topic model: hashed char/word n-gram TF-IDF and a linear SVM with calibrated softmax.

Why hashing: the model file then holds only numbers (no vocabulary of a million n-grams), loads
fast, and featurisation runs in one compiled pass over a batch. Why a linear SVM: on
18k headlines it fits in well under a second (our dual coordinate-descent solver,
:mod:`feedclass.linear`) where lbfgs logistic regression needs 90 s, with the same accuracy
(see the model card). Why temperature scaling: the SVM's margins are not probabilities; one fitted
scalar makes ``confidence`` mean what it says, so ``--min-confidence 0.8`` keeps items that are
right about 80% of the time.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin

from feedclass import __version__
from feedclass.errors import CalibrationWarning, DataError, ModelFileError, NotFittedError
from feedclass.features import HashingFeatures
from feedclass.linear import fit_one_vs_rest
from feedclass.modelfile import read_model_file, shipped_file, write_model_file
from feedclass.vectors import augment, extend_idf, fold

DEFAULT_MODEL_NAME = "feedclass-default.fcm"


def check_texts(X: Any, name: str = "X") -> list[str]:
    """The texts of ``X`` as a list of str; missing texts (None, NaN, ``pd.NA``) become "".

    Refuses a bare string (the "classified one headline letter by letter" bug) and a table of
    several columns (iterating a DataFrame gives its column names, not its rows).

    Examples
    --------
    >>> check_texts(["Курс вырос", None, float("nan")])
    ['Курс вырос', '', '']
    """
    if isinstance(X, (str, bytes)):
        raise DataError(f"{name} must be a list of texts, not a single string; wrap it: [{name}]")
    columns = getattr(X, "columns", None)
    if columns is not None:
        if len(columns) != 1:
            raise DataError(
                f"{name} is a table with columns {list(columns)!r}; pass the text column, "
                f"e.g. {name}[{str(columns[0])!r}]"
                if len(columns)
                else f"{name} has no columns"
            )
        X = X.iloc[:, 0] if hasattr(X, "iloc") else X[columns[0]]
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    if isinstance(X, np.ndarray) and X.ndim != 1:
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        else:
            raise DataError(f"{name} must be one-dimensional; got shape {X.shape} instead")
    try:
        items = list(X)
    except TypeError:
        raise DataError(f"{name} must be a list of texts; got {type(X).__name__} instead") from None
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif _is_missing(item):
            out.append("")
        else:
            raise DataError(
                f"{name} must hold strings; got {type(item).__name__} at position {len(out)}"
            )
    return out


def _is_missing(value: Any) -> bool:
    """None, NaN (float or numpy) and pandas' NA/NaT, without importing pandas."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(value != value)
    return type(value).__name__ in ("NAType", "NaTType")


def check_labels(y: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The sorted classes of ``y`` (keeping their type) and each label's index among them.

    Integer labels stay integers (sorted as numbers), so ``score`` and scikit-learn's model
    selection compare like with like; missing labels and a mix of types are refused rather
    than turned into classes such as ``'nan'`` or merged (``1`` with ``"1"``).

    Examples
    --------
    >>> classes, idx = check_labels([2, 10, 3, 2], 4)
    >>> classes.tolist(), idx.tolist()
    ([2, 3, 10], [0, 2, 1, 0])
    """
    if isinstance(y, (str, bytes)):
        raise DataError("y must be a list of labels, not a single string")
    values = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else list(y), dtype=object)
    if values.ndim != 1:
        raise DataError(f"y must be one-dimensional; got shape {values.shape} instead")
    if len(values) != n:
        raise DataError(
            f"X and y must have the same length; got {n} texts and {len(values)} labels"
        )
    for i, v in enumerate(values):
        if _is_missing(v):
            raise DataError(f"y must not hold missing labels; got {v!r} at position {i}")
    items = [v.item() if isinstance(v, np.generic) else v for v in values]
    kinds = {_label_kind(v) for v in items}
    if len(kinds) > 1:
        raise DataError(
            "y mixes label types (" + ", ".join(sorted(kinds)) + "), e.g. 1 and '1' would be "
            "two topics that print alike; convert them to one type"
        )
    kind = kinds.pop() if kinds else "str"
    arr = np.asarray(items, dtype=_LABEL_DTYPES[kind]) if kind != "str" else values
    classes, y_idx = np.unique(arr, return_inverse=True)
    if len(classes) < 2:
        raise DataError(
            f"training needs at least 2 topics; got {len(classes)} "
            f"({', '.join(map(str, classes)) or 'none'})"
        )
    if kind == "str":
        classes = np.asarray(classes, dtype=object)
    return classes, y_idx.ravel().astype(np.int64)


#: Header keys the model file format itself writes; ``save(metadata=...)`` may not set them.
_RESERVED_KEYS = frozenset(
    {
        "format",
        "format_version",
        "arrays",
        "feedclass_version",
        "sklearn_version",
        "numpy_version",
        "labels",
        "label_type",
        "params",
        "n_features",
        "n_train",
        "n_docs",
        "temperature",
        "calibrated",
    }
)

#: Learned attributes; a pickle carries them as the model file's bytes.
_FITTED = frozenset(
    {
        "classes_",
        "features_",
        "_w",
        "coef_",
        "intercept_",
        "temperature_",
        "calibrated_",
        "n_train_",
        "metadata_",
    }
)

#: numpy dtype of each kind of label a model file can record.
_LABEL_DTYPES: dict[str, Any] = {"str": object, "int": np.int64, "float": np.float64, "bool": bool}


def _label_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    raise DataError(
        f"labels must be strings, integers, floats or booleans; got {type(value).__name__}"
    )


def _plain(value: Any) -> Any:
    """A parameter value as plain JSON data (numpy scalars from ``np.arange`` grids included)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _pair(value: Any) -> tuple[int, int] | None:
    """An n-gram range as a tuple (a model file stores it as a JSON list)."""
    return None if value is None else (int(value[0]), int(value[1]))


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


def _macro_f1(y_idx: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    tp = np.bincount(y_idx[pred == y_idx], minlength=n_classes)
    fp = np.bincount(pred, minlength=n_classes) - tp
    fn = np.bincount(y_idx, minlength=n_classes) - tp
    denom = np.maximum(2 * tp + fp + fn, 1)
    return float(np.mean(2 * tp / denom))


def _fit_bias(scores: np.ndarray, y_idx: np.ndarray, rounds: int = 3) -> np.ndarray:
    """Per-topic offsets to the SVM margins that maximise held-out macro-F1 plus accuracy.

    Why: one-vs-rest margins of rare or diffuse topics (ecology, society) are too low, so they
    lose recall to the big topics; class weights only partly fix that. Coordinate ascent over
    a small grid, on out-of-fold scores only, so the outer validation stays honest.
    """
    n_classes = scores.shape[1]
    bias = np.zeros(n_classes)
    grid = np.linspace(-0.3, 0.3, 25)

    def objective(b: np.ndarray) -> float:
        pred = np.argmax(scores + b, axis=1)
        return _macro_f1(y_idx, pred, n_classes) + float(np.mean(pred == y_idx))

    best = objective(bias)
    for _ in range(rounds):
        improved = False
        for c in range(n_classes):
            for delta in grid:
                trial = bias.copy()
                trial[c] = delta
                value = objective(trial)
                if value > best + 1e-9:
                    best, bias, improved = value, trial, True
        if not improved:
            break
    return bias


def _fit_temperature(scores: np.ndarray, y_idx: np.ndarray) -> float:
    """The temperature that minimises log loss of held-out scores (golden-section search)."""

    def nll(t: float) -> float:
        p = _softmax(scores / t)
        return float(-np.log(np.clip(p[np.arange(len(y_idx)), y_idx], 1e-12, None)).mean())

    lo, hi = np.log(0.005), np.log(20.0)
    g = (np.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = nll(np.exp(a)), nll(np.exp(b))
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = nll(np.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = nll(np.exp(b))
    return float(np.exp((lo + hi) / 2))


class TopicModel(ClassifierMixin, BaseEstimator):
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
    intercept_ : ndarray of shape (n_classes,)
        Intercepts (plus per-topic offsets when ``balance_topics``).
    temperature_ : float
        Softmax temperature applied to the scores by ``predict_proba``.
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
        max_iter: int = 100,
        tol: float = 0.1,
        vector_weight: float = 0.0,
        word_vectors: Any = None,
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
        self.max_iter = max_iter
        self.tol = tol
        self.vector_weight = vector_weight
        self.word_vectors = word_vectors
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- fitting -----------------------------------------------------------------------------
    def _new_features(self) -> HashingFeatures:
        return HashingFeatures(
            char_ngram_range=_pair(self.char_ngram_range),
            word_ngram_range=_pair(self.word_ngram_range),
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
        start: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Weights ``(n_classes, n_features)`` and intercepts of the one-vs-rest SVMs.

        ``cost`` is each row's C (C times class and sample weight); ``start`` (``(n_classes,
        n_features + 1)``, intercept last) is the prior the weights are pulled towards.
        """
        # Solve only over buckets that occur (or that the prior uses): with 2**20 hash
        # buckets most are empty, and every coefficient costs memory traffic.
        occurs = np.diff(M.tocsc().indptr) > 0
        if start is not None:
            occurs |= np.any(start[:, :-1] != 0, axis=0)
        used = np.flatnonzero(occurs)
        cols = np.append(used, M.shape[1])
        if n_classes == 2:
            # One SVM, class 1 against class 0, stored as the rows [0, w]: softmax over
            # [0, s] is the same model, and the second SVM would only be its negation.
            sub = None if start is None else (start[1] - start[0])[cols][None, :]
            w, b, _ = fit_one_vs_rest(
                M[:, used],
                (y_idx != 1).astype(np.int64),
                1,
                cost,
                start=sub,
                max_epochs=self.max_iter,
                tol=self.tol,
                seed=self.random_state,
            )
            w = np.vstack([np.zeros_like(w), w])
            b = np.array([0.0, b[0]])
        else:
            w, b, _ = fit_one_vs_rest(
                M[:, used],
                y_idx,
                n_classes,
                cost,
                start=None if start is None else start[:, cols],
                max_epochs=self.max_iter,
                tol=self.tol,
                seed=self.random_state,
                n_threads=self._n_threads(),
            )
        coef = np.zeros((n_classes, M.shape[1]))
        coef[:, used] = w
        return coef, b

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
        cost = float(self.C) * per_class[y_idx]
        if sample_weight is not None:
            sw = np.asarray(sample_weight, dtype=np.float64).ravel()
            if sw.shape != (len(y_idx),):
                raise DataError(
                    f"sample_weight must have one weight per text; got {sw.size} for "
                    f"{len(y_idx)} texts"
                )
            if not np.all(np.isfinite(sw)) or np.any(sw < 0):
                raise DataError("sample_weight must hold finite numbers >= 0")
            cost = cost * sw
        # A row of weight 0 takes no part; the solver needs C > 0, so give it a negligible one.
        return np.maximum(cost, 1e-12)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> TopicModel:
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

        Returns
        -------
        TopicModel
            ``self``, fitted.
        """
        texts = check_texts(X)
        classes, y_idx = check_labels(y, len(texts))
        cost = self._row_cost(y_idx, classes, sample_weight)
        self.classes_ = classes
        self.features_ = self._new_features().fit(texts)
        E = None
        if self.vector_weight and self.word_vectors is not None:
            E = self.word_vectors.bucket_matrix(self.features_)
            extend_idf(self.features_, E)
        M = self.features_.transform(texts)
        if E is not None:
            M = augment(M, E, float(self.vector_weight))
        coef, intercept = self._fit_linear(M, y_idx, len(classes), cost)
        if E is not None:
            nf = self.features_.n_features
            coef = fold(coef[:, :nf], coef[:, nf:], E, float(self.vector_weight))
        self._set_weights(coef, intercept)
        self.temperature_ = 1.0
        self.calibrated_ = False
        if self.calibrate:
            # On the augmented features: the same scores as the folded weights give.
            self._calibrate(M, y_idx, len(classes), cost)
        self.n_train_ = len(texts)
        return self

    def _set_weights(self, coef: np.ndarray, intercept: np.ndarray) -> None:
        # Rounded to what the model file stores, so a loaded model predicts exactly the same.
        # One (n_features, n_classes) array; coef_ is its transposed view (40 MB saved).
        self._w = np.ascontiguousarray(coef.T.astype(np.float16).astype(np.float32))
        self.coef_ = self._w.T
        self.intercept_ = np.asarray(intercept, dtype=np.float32)

    def _calibration_splits(self, y_idx: np.ndarray, n_classes: int) -> list[np.ndarray]:
        """Held-out row sets for calibration: one split, or ``calibration_folds`` folds.

        Stratified by hand so that any class counts work: a topic with a single example is
        never held out (it stays in every training part), every other topic is.
        """
        folds = self.calibration_folds
        if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 1:
            raise ValueError(f"calibration_folds must be an int >= 1; got {folds!r} instead")
        share = self.calibration_holdout
        if not isinstance(share, (float, int, np.number)) or not 0 < share < 1:
            raise ValueError(f"calibration_holdout must be in (0, 1); got {share!r} instead")
        rng = np.random.default_rng(self.random_state)
        fold_of = np.full(len(y_idx), -1)
        for c in range(n_classes):
            rows = rng.permutation(np.flatnonzero(y_idx == c))
            if len(rows) < 2:
                continue
            if folds == 1:
                # At least one row out, and at least one left to learn from.
                n_out = min(max(1, round(share * len(rows))), len(rows) - 1)
                fold_of[rows[:n_out]] = 0
            else:
                # A random start, so small topics are not always held out in the first folds.
                fold_of[rows] = (np.arange(len(rows)) + rng.integers(folds)) % folds
        return [np.flatnonzero(fold_of == f) for f in range(folds)]

    def _calibrate(
        self, M: sp.csr_matrix, y_idx: np.ndarray, n_classes: int, cost: np.ndarray
    ) -> None:
        """Fit the temperature (and per-topic offsets) on held-out scores of internal fits.

        The internal fits reuse the features of the whole training set: IDF sees the held-out
        rows' words but never their labels, and featurising once saves a pass per fit.
        """
        tests = [t for t in self._calibration_splits(y_idx, n_classes) if len(t)]
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
        scores = np.zeros((len(held), n_classes))
        pos = 0
        for test in tests:
            train = np.setdiff1d(np.arange(len(y_idx)), test, assume_unique=True)
            present = np.unique(y_idx[train])
            remap = np.searchsorted(present, y_idx[train])
            coef, intercept = self._fit_linear(M[train], remap, len(present), cost[train])
            s = np.full((len(test), n_classes), -1e9)
            s[:, present] = M[test] @ coef.T + intercept
            scores[pos : pos + len(test)] = s
            pos += len(test)
        y_held = y_idx[held]
        bias = _fit_bias(scores, y_held) if self.balance_topics else np.zeros(n_classes)
        self.temperature_ = _fit_temperature(scores + bias, y_held)
        self.intercept_ = (self.intercept_ + bias).astype(np.float32)
        self.calibrated_ = True

    # -- prediction --------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError(
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
        # The fused kernel scores without building the sparse matrix (2-3x faster).
        return self.features_.decision_scores(texts, self._w.T, self.intercept_)

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
        scores = self._scores(check_texts(X))
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
        scores = self._scores(check_texts(X))
        return _softmax(scores.astype(np.float64) / self.temperature_)

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
        texts = check_texts(X)
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
        proba = _softmax(self._scores(texts).astype(np.float64) / self.temperature_)
        empty = np.array([not t.strip() for t in texts], dtype=bool)
        if k is None:
            best = np.argmax(proba, axis=1) if len(texts) else np.zeros(0, dtype=np.int64)
            sure = (proba[np.arange(len(texts)), best] >= floor) & ~empty
            out = np.empty(len(texts), dtype=object)
            out[:] = [self.classes_[b] if s else None for b, s in zip(best.tolist(), sure)]
            return out
        order = np.argsort(-proba, axis=1, kind="stable")[:, : min(k, proba.shape[1])]
        return [
            [] if e else [(_plain(self.classes_[j]), float(p[j])) for j in row if p[j] >= floor]
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
            [(_plain(self.classes_[j]), float(p[j])) for j in row] for row, p in zip(order, proba)
        ]

    def explain(self, text: str, n: int = 5) -> list[tuple[str, float]]:
        """The n-grams of ``text`` that weigh most for its predicted topic, with their weights."""
        self._check_fitted()
        if not isinstance(text, str):
            raise DataError(f"text must be a str; got {type(text).__name__} instead")
        row = self.features_.transform([text])
        c = int(np.argmax(np.asarray(row @ self._w)[0] + self.intercept_))
        value = dict(zip(row.indices.tolist(), row.data.tolist()))
        weight: dict[str, float] = {}
        seen: set[int] = set()
        for gram, idx in self.features_.ngrams_with_index(text):
            if idx in value and idx not in seen:
                seen.add(idx)
                # " на" and "на " read the same to a person: show them as one n-gram.
                shown = gram.strip()
                weight[shown] = weight.get(shown, 0.0) + value[idx] * float(self._w[idx, c])
        best = sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
        return [(g, round(w, 4)) for g, w in best if w > 0]

    def __sklearn_tags__(self) -> Any:
        """Declare string input, so scikit-learn's checks and tools don't feed it numbers."""
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags

    # -- pickling (joblib, GridSearchCV(n_jobs=...), multiprocessing) ------------------------
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
            state = {k: v for k, v in state.items() if k not in _FITTED or k == "metadata_"}
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
        import sklearn

        idf = self.features_.idf_
        # Buckets never seen in training have idf 0 and weight 0: store only the others.
        used = np.flatnonzero(idf).astype(np.int32)
        meta = dict(metadata or {})
        clash = sorted(set(meta) & _RESERVED_KEYS)
        if clash:
            raise DataError(
                f"metadata must not set the model file's own header keys; got {clash!r}. "
                "Put your entries under other names (e.g. 'notes')"
            )
        meta.setdefault("created", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
        header = {
            "feedclass_version": __version__,
            "sklearn_version": sklearn.__version__,
            "numpy_version": np.__version__,
            "labels": [str(c) for c in self.classes_],
            "label_type": _label_kind(_plain(self.classes_[0])),
            "params": {
                k: _plain(v)
                for k, v in self.get_params().items()
                # n_jobs is a property of the machine; the word vectors are folded into coef.
                if k not in ("n_jobs", "word_vectors")
            },
            "calibrated": bool(getattr(self, "calibrated_", False)),
            "n_features": int(self.features_.n_features),
            "n_train": int(getattr(self, "n_train_", 0)),
            "n_docs": int(getattr(self.features_, "n_docs_", 0)),
            "temperature": float(self.temperature_),
            **meta,
        }
        arrays = {
            "used": used,
            "idf": idf[used].astype(np.float32),
            "coef": self.coef_[:, used].astype(np.float16),
            "intercept": self.intercept_.astype(np.float32),
        }
        write_model_file(path, header, arrays)

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
        header, arrays = read_model_file(path)
        try:
            params = dict(header["params"])
            for key in ("char_ngram_range", "word_ngram_range"):
                params[key] = _pair(params[key])
            model = cls(**params)
            n_features = int(header["n_features"])
            used = arrays["used"].astype(np.int64)
            labels = header["labels"]
            kind = header.get("label_type", "str")
            classes = np.asarray(
                labels if kind == "str" else [json.loads(v.lower()) for v in labels],
                dtype=_LABEL_DTYPES[kind],
            )
            w = np.zeros((n_features, len(labels)), dtype=np.float32)
            w[used] = arrays["coef"].T
            idf = np.zeros(n_features, dtype=np.float32)
            idf[used] = arrays["idf"]
            intercept = arrays["intercept"].astype(np.float32)
            if intercept.shape != (len(labels),):
                raise ValueError("array shapes do not match the labels")
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ModelFileError(f"{path}: corrupted model file ({exc})") from None
        feats = model._new_features()
        feats.idf_ = idf
        feats.n_docs_ = int(header.get("n_docs", 0))
        model.features_ = feats
        model.classes_ = classes
        model.intercept_ = intercept
        model._w = w
        model.coef_ = w.T
        model.temperature_ = float(header.get("temperature", 1.0))
        model.calibrated_ = bool(header.get("calibrated", model.temperature_ != 1.0))
        model.n_train_ = int(header.get("n_train", 0))
        model.metadata_ = header
        return model


def default_model_path() -> Path:
    """Where the shipped model lives, in a checkout or an installed wheel."""
    return shipped_file(DEFAULT_MODEL_NAME)


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
    return dict(load_model(path).metadata_)
