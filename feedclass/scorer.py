"""Reading a topic-model file, and scoring headlines with it without scikit-learn.

:class:`~feedclass.model.TopicModel` is a scikit-learn estimator, and importing scikit-learn
(which pulls SciPy and pandas) is about half the start-up of a short ``feedclass classify``.
Scoring needs only the file's arrays and the n-gram kernel (:mod:`feedclass.ngrams`), so
:func:`load_scorer` reads the same file with the same checks (:func:`read_topic_file`, which
``TopicModel.load`` uses too) and :class:`TopicScorer` computes the same probabilities as
``TopicModel.predict_proba``, bit for bit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from feedclass.calibration import calibrated_proba
from feedclass.errors import ModelFileError
from feedclass.inputs import check_texts
from feedclass.language import russian_mask
from feedclass.modelfile import read_model_file, shipped_file
from feedclass.modelheader import check_model_header
from feedclass.ngrams import n_threads, pack_rows, run_batch
from feedclass.validation import LABEL_DTYPES

__all__ = [
    "DEFAULT_MODEL_NAME",
    "MAX_TEXT_CHARS",
    "MODEL_PARAMS",
    "TopicFile",
    "TopicScorer",
    "default_model_path",
    "load_scorer",
    "model_file",
    "read_topic_file",
    "russian_weights",
    "topic_texts",
]

DEFAULT_MODEL_NAME = "feedclass-default.fcm"
#: Only this many characters of a text are featurised: a headline, even with its summary, is
#: far shorter, and the cap keeps memory linear in the batch whatever one line holds.
MAX_TEXT_CHARS = 4096
#: The parameters of ``TopicModel`` (its ``get_params()``), which a model header may carry.
MODEL_PARAMS = (
    "C",
    "balance_topics",
    "calibrate",
    "calibration_method",
    "calibration_whole_groups",
    "calibration_folds",
    "calibration_holdout",
    "char_ngram_range",
    "class_weight",
    "max_iter",
    "n_features",
    "n_jobs",
    "random_state",
    "tol",
    "vector_scope",
    "vector_weight",
    "word_ngram_range",
    "word_vectors",
)
# How TopicModel weighs its n-grams (HashingFeatures' defaults, which it keeps): sublinear tf,
# char and word blocks of equal norm.
_WEIGHTING = (True, 1.0, 1.0)


def topic_texts(X: Any, name: str = "X") -> list[str]:
    """The texts a topic model reads: :func:`feedclass.inputs.check_texts`, each cut to its first
    :data:`MAX_TEXT_CHARS` characters (the rest never counts for a topic).

    >>> topic_texts(["a" * 5000])[0] == "a" * MAX_TEXT_CHARS
    True
    """
    return [t if len(t) <= MAX_TEXT_CHARS else t[:MAX_TEXT_CHARS] for t in check_texts(X, name)]


def ngram_pair(value: Any) -> tuple[int, int] | None:
    """An n-gram range as a tuple (a model file stores it as a JSON list).

    >>> ngram_pair([2, 5]), ngram_pair(None)
    ((2, 5), None)
    """
    return None if value is None else (int(value[0]), int(value[1]))


@dataclass
class TopicFile:
    """What a topic-model file holds, checked: the header and the dense arrays it stands for."""

    path: Path
    header: dict[str, Any]
    #: The estimator's parameters, n-gram ranges as tuples.
    params: dict[str, Any]
    classes: np.ndarray
    #: ``(n_features,)`` float32, zero for buckets the model never saw.
    idf: np.ndarray
    #: ``(n_features, n_classes)`` float32.
    weights: np.ndarray
    intercept: np.ndarray
    #: ``(n_features,)`` float32 when the file has it (what ``explain`` weighs), else None.
    importance: np.ndarray | None = None
    #: The buckets whose weights Russian headlines see changed by the word vectors (int64),
    #: and the change there ``(len(ru_used), n_classes)`` float32; None without vectors.
    ru_used: np.ndarray | None = None
    ru_delta: np.ndarray | None = None

    @property
    def temperature(self) -> float:
        return float(self.header.get("temperature", 1.0))

    @property
    def smoothing(self) -> float:
        """Share of the uniform distribution in the probabilities (0 in older files)."""
        return float(self.header.get("smoothing", 0.0))


def read_topic_file(path: str | Path, known_params: Any = MODEL_PARAMS) -> TopicFile:
    """Read and check a topic-model file written by ``TopicModel.save``; never unpickles.

    Raises :class:`~feedclass.errors.ModelFileError` (naming the file) if it is missing,
    truncated, not a feedclass model, a pickle, of a newer format version, or inconsistent.
    """

    def check(header: dict[str, Any]) -> dict[str, tuple[str, tuple[int | None, ...]]]:
        try:
            return check_model_header(header, known_params)
        except ModelFileError as exc:
            raise ModelFileError(f"{path}: {exc}") from None

    header, arrays = read_model_file(path, check)
    n_features = int(header["n_features"])
    labels = header["labels"]
    used = arrays["used"].astype(np.int64)
    if not (len(used) == len(arrays["idf"]) == arrays["coef"].shape[1]):
        raise ModelFileError(f"{path}: arrays used, idf and coef disagree in length")
    if used.size and (used.min() < 0 or used.max() >= n_features):
        raise ModelFileError(f"{path}: array used names buckets beyond n_features")
    params = dict(header["params"])
    try:
        for key in ("char_ngram_range", "word_ngram_range"):
            params[key] = ngram_pair(params.get(key))
        kind = header.get("label_type", "str")
        classes = np.asarray(
            labels if kind == "str" else [json.loads(v.lower()) for v in labels],
            dtype=LABEL_DTYPES[kind],
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
    importance = None
    if "importance" in arrays:
        importance = np.zeros(n_features, dtype=np.float32)
        importance[used] = arrays["importance"]
    ru_used = ru_delta = None
    if "ru_used" in arrays:
        ru_used = arrays["ru_used"].astype(np.int64)
        ru_delta = np.ascontiguousarray(arrays["ru_delta"].T, dtype=np.float32)
        if ru_delta.shape != (ru_used.size, len(labels)):
            raise ModelFileError(f"{path}: arrays ru_used and ru_delta disagree in length")
        if ru_used.size and (ru_used.min() < 0 or ru_used.max() >= n_features):
            raise ModelFileError(f"{path}: array ru_used names buckets beyond n_features")
    return TopicFile(
        Path(path), header, params, classes, idf, w, intercept, importance, ru_used, ru_delta
    )


def russian_weights(
    idf: np.ndarray, weights: np.ndarray, ru_used: np.ndarray, ru_delta: np.ndarray, n_docs: int
) -> tuple[np.ndarray, np.ndarray]:
    """The IDF and weights ``(n_features, n_classes)`` a Russian headline is scored with.

    The word vectors (:mod:`feedclass.vectors`) change the weights of the word columns they
    know, for Russian headlines only (:mod:`feedclass.language`); ``ru_delta`` is that change
    on the buckets ``ru_used``. Such a bucket unseen in training gets the IDF of a term in no
    document (``log(1 + n_docs) + 1``, scikit-learn's smoothed value), so a new Russian word
    reaches the weight its vector gives it; every other headline keeps ``idf`` and
    ``weights`` as they are.

    >>> idf, w = russian_weights(np.array([2.0, 0.0], np.float32), np.zeros((2, 1), np.float32),
    ...                          np.array([1]), np.array([[0.5]], np.float32), n_docs=9)
    >>> [round(float(v), 3) for v in idf], w[:, 0].tolist()
    ([2.0, 3.303], [0.0, 0.5])
    """
    idf_ru = np.array(idf, dtype=np.float32)
    unseen = ru_used[idf_ru[ru_used] == 0]
    idf_ru[unseen] = np.float32(np.log(1.0 + max(int(n_docs), 0)) + 1.0)
    w_ru = np.array(weights, dtype=np.float32)
    w_ru[ru_used] += ru_delta
    return idf_ru, w_ru


class TopicScorer:
    """A topic model's probabilities from its file, without scikit-learn.

    What ``feedclass classify`` runs: the same numbers as ``TopicModel.predict_proba`` (the
    same arrays through the same kernel), at a fraction of the start-up. For fitting,
    explaining or updating, load a :class:`~feedclass.model.TopicModel` instead.

    Parameters
    ----------
    file : TopicFile
        A model file read by :func:`read_topic_file`.
    n_jobs : int or None
        Threads for large batches (None: every core; same results either way).

    Examples
    --------
    >>> s = load_scorer()
    >>> s.predict_proba(["Сборная Казахстана выиграла матч"]).shape == (1, len(s.classes_))
    True
    """

    def __init__(self, file: TopicFile, n_jobs: int | None = None) -> None:
        params = file.params
        self.n_jobs = n_jobs
        self.classes_ = file.classes
        self.intercept_ = file.intercept
        self.temperature_ = file.temperature
        self.smoothing_ = file.smoothing
        self.metadata_ = file.header
        self.source_path_ = file.path
        cmin, cmax = params.get("char_ngram_range") or (0, 0)
        wmin, wmax = params.get("word_ngram_range") or (0, 0)
        n_features = int(file.header["n_features"])
        self._ranges = (int(cmin), int(cmax), int(wmin), int(wmax), n_features)
        self._idf = file.idf
        self._packed = pack_rows(file.idf, file.weights.T)
        self._coef_t = None if self._packed is not None else file.weights
        self._no_coef = np.zeros((0, len(self.classes_)), np.float32)
        self._file = file
        # Built at the first Russian headline: a model without word vectors never needs it.
        self._russian: tuple[np.ndarray, np.ndarray | None, np.ndarray | None] | None = None

    def _russian_tables(self) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """``(idf, coef_t, packed)`` for Russian headlines (see :func:`russian_weights`)."""
        if self._russian is None:
            f = self._file
            assert f.ru_used is not None and f.ru_delta is not None
            idf, w = russian_weights(
                f.idf, f.weights, f.ru_used, f.ru_delta, int(f.header.get("n_docs", 0))
            )
            packed = pack_rows(idf, w.T)
            self._russian = (idf, None if packed is not None else w, packed)
        return self._russian

    def _batch_scores(
        self,
        texts: list[str],
        idf: np.ndarray,
        coef_t: np.ndarray | None,
        packed: np.ndarray | None,
    ) -> np.ndarray:
        coef = self._no_coef if packed is not None else coef_t
        parts = run_batch(
            texts, self._ranges, idf, _WEIGHTING, n_threads(self.n_jobs), coef, packed
        )
        return parts[0][3] if len(parts) == 1 else np.concatenate([p[3] for p in parts])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probability of each topic for each text (rows sum to 1).

        Columns follow ``classes_``; a missing or empty text gets the intercepts' prior-like
        probabilities, as from ``TopicModel.predict_proba``.
        """
        texts = topic_texts(X)
        n_cls = len(self.classes_)
        if not texts:
            return np.zeros((0, n_cls), dtype=np.float64)
        if self._file.ru_used is None:
            scores = self._batch_scores(texts, self._idf, self._coef_t, self._packed)
        else:
            # Word vectors are on: Russian headlines are scored with their own weights.
            ru = russian_mask(texts)
            scores = np.zeros((len(texts), n_cls), dtype=np.float32)
            for rows, tables in (
                (np.flatnonzero(~ru), (self._idf, self._coef_t, self._packed)),
                (np.flatnonzero(ru), None),
            ):
                if rows.size:
                    tables = tables or self._russian_tables()
                    scores[rows] = self._batch_scores([texts[i] for i in rows], *tables)
        scores = scores + self.intercept_
        return calibrated_proba(scores, self.temperature_, self.smoothing_)


def default_model_path() -> Path:
    """Where the shipped model lives, in a checkout or an installed wheel."""
    return shipped_file(DEFAULT_MODEL_NAME)


def model_file(path: str | Path | None = None) -> str | Path:
    """``path``, or the shipped default model's when it is None (checked to be installed).

    Raises
    ------
    ModelFileError
        When ``path`` is None and no default model is installed.

    Examples
    --------
    >>> model_file("my.fcm")
    'my.fcm'
    >>> model_file().name
    'feedclass-default.fcm'
    """
    if path is not None:
        return path
    default = default_model_path()
    if not default.exists():
        raise ModelFileError(
            "the default model is not installed; pass --model (or a path) to a model "
            "trained with `feedclass train`"
        )
    return default


def load_scorer(path: str | Path | None = None, *, n_jobs: int | None = None) -> TopicScorer:
    """A :class:`TopicScorer` of a model file (the shipped default model when ``path`` is None).

    Raises :class:`~feedclass.errors.ModelFileError` as ``load_model`` does.
    """
    return TopicScorer(read_topic_file(model_file(path)), n_jobs=n_jobs)
