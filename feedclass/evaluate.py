"""Metrics for topic models: accuracy, macro-F1, per-class scores, confusion, calibration.

Cross-validation is grouped when groups are given, so rewordings of one news item never sit on
both sides of a split and inflate the score.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from feedclass.errors import DataError


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10
) -> tuple[float, list[dict[str, float]]]:
    """ECE over equal-width confidence bins, and the reliability table behind it."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)
    table: list[dict[str, float]] = []
    ece = 0.0
    for b in range(n_bins):
        mask = bins == b
        n = int(mask.sum())
        if n == 0:
            continue
        conf, acc = float(confidence[mask].mean()), float(correct[mask].mean())
        ece += n / len(confidence) * abs(conf - acc)
        table.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "n": n,
                "confidence": round(conf, 4),
                "accuracy": round(acc, 4),
            }
        )
    return float(ece), table


def report(
    y_true: Sequence[str], y_pred: Sequence[str], proba: np.ndarray | None, labels: Sequence[str]
) -> dict[str, Any]:
    """Every figure `feedclass evaluate` and the model card print, as plain data."""
    labels = [str(x) for x in labels]
    y_true = [str(x) for x in y_true]
    y_pred = [str(x) for x in y_pred]
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    out: dict[str, Any] = {
        "n": len(y_true),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(
            float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)), 4
        ),
        "per_class": {
            lab: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "support": int(s[i]),
            }
            for i, lab in enumerate(labels)
        },
        "labels": labels,
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }
    if proba is not None and len(y_true):
        conf = np.asarray(proba).max(axis=1)
        correct = np.asarray(y_true, dtype=object) == np.asarray(y_pred, dtype=object)
        ece, table = expected_calibration_error(conf, correct)
        out["ece"] = round(ece, 4)
        out["reliability"] = table
    return out


def _fits_groups(estimator: Any) -> bool:
    """Whether ``estimator.fit`` takes a ``groups`` keyword."""
    try:
        return "groups" in inspect.signature(estimator.fit).parameters
    except (TypeError, ValueError):
        return False


def cross_validate(
    estimator: Any,
    texts: Sequence[str],
    labels: Sequence[str],
    groups: Sequence[str] | None = None,
    folds: int = 5,
    random_state: int = 0,
    progress: Callable[[int, int], None] | None = None,
    keep_predictions: bool = False,
    sample_weight: Sequence[float] | None = None,
    variants: Sequence[str | None] | None = None,
) -> dict[str, Any]:
    """Out-of-fold predictions of a clone of ``estimator``, scored with :func:`report`.

    With ``keep_predictions`` the result also holds ``predictions`` and ``probabilities``, so
    a caller can score subsets (e.g. one language) of the same run. ``sample_weight`` (one
    per row) reaches each fold's ``fit``. ``variants`` (one per row, None for none): another
    spelling of a row, predicted by the fold model that did not see the row; the result then
    holds ``variant_predictions`` (None where a row has no variant).

    Examples
    --------
    >>> from feedclass import TopicModel
    >>> texts = ["Гол в ворота", "Матч вничью", "Финал кубка", "Курс вырос", "Нефть упала",
    ...          "Биржа закрылась"]
    >>> labels = ["sport"] * 3 + ["economy"] * 3
    >>> out = cross_validate(TopicModel(calibrate=False, n_features=2**12), texts, labels,
    ...                      folds=3, variants=[None] * 5 + ["Биржа  закрылась!"])
    >>> out["accuracy"] >= 0.5, out["variant_predictions"][0], len(out["variant_predictions"])
    (True, None, 6)
    """
    texts_arr = np.asarray(list(texts), dtype=object)
    y = np.asarray([str(v) for v in labels], dtype=object)
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if weights is not None and len(weights) != len(y):
        raise DataError(f"sample_weight has {len(weights)} entries for {len(y)} rows")
    if variants is not None and len(variants) != len(y):
        raise DataError(f"variants has {len(variants)} entries for {len(y)} rows")
    variant_pred: list[str | None] = [None] * len(y)
    classes, counts = np.unique(y, return_counts=True)
    folds = int(min(folds, counts.min()))
    if folds < 2:
        raise DataError(
            "cross-validation needs at least 2 examples of every topic; "
            f"{classes[np.argmin(counts)]!r} has {counts.min()}"
        )
    if groups is not None:
        splitter: Any = StratifiedGroupKFold(
            n_splits=folds, shuffle=True, random_state=random_state
        )
        group_arr = np.asarray([str(g) for g in groups], dtype=object)
        splits = splitter.split(texts_arr, y, group_arr)
    else:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
        splits = splitter.split(texts_arr, y)
    pred = np.empty(len(y), dtype=object)
    proba = np.zeros((len(y), len(classes)))
    for i, (train, test) in enumerate(splits):
        fit_kw: dict[str, Any] = {}
        if groups is not None and _fits_groups(estimator):
            # The groups that keep rewordings in one fold also keep the estimator's own
            # calibration split honest inside the fold.
            fit_kw["groups"] = group_arr[train].tolist()
        if weights is not None:
            fit_kw["sample_weight"] = weights[train]
        model = clone(estimator).fit(texts_arr[train].tolist(), y[train], **fit_kw)
        fold_classes = [str(c) for c in model.classes_]
        p = model.predict_proba(texts_arr[test].tolist())
        cols = np.searchsorted(classes, fold_classes)
        proba[np.ix_(test, cols)] = p
        pred[test] = np.asarray(fold_classes, dtype=object)[np.argmax(p, axis=1)]
        if variants is not None:
            rows = [int(i) for i in test if variants[i] is not None]
            if rows:
                got = model.predict([variants[i] for i in rows])
                for i, v in zip(rows, got):
                    variant_pred[i] = str(v)
        if progress is not None:
            progress(i + 1, folds)
    out = report(y.tolist(), pred.tolist(), proba, classes.tolist())
    out["folds"] = folds
    out["grouped"] = groups is not None
    if keep_predictions:
        out["predictions"] = pred.tolist()
        out["probabilities"] = proba
    if variants is not None:
        out["variant_predictions"] = variant_pred
    return out


def format_report(rep: dict[str, Any]) -> str:
    """A plain-text rendering of :func:`report` for terminals and model cards."""
    labels = rep["labels"]
    width = max(10, *(len(x) for x in labels))
    lines = [f"accuracy {rep['accuracy']:.4f}   macro-F1 {rep['macro_f1']:.4f}   n={rep['n']}"]
    if "ece" in rep:
        lines[0] += f"   ECE {rep['ece']:.4f}"
    lines.append("")
    lines.append(f"{'topic':<{width}} precision  recall      f1  support")
    for lab in labels:
        c = rep["per_class"][lab]
        lines.append(
            f"{lab:<{width}} {c['precision']:9.3f} {c['recall']:7.3f} {c['f1']:7.3f}"
            f" {c['support']:8d}"
        )
    lines.append("")
    lines.append("confusion matrix (rows: true, columns: predicted)")
    short = [lab[:6] for lab in labels]
    lines.append(" " * width + " " + " ".join(f"{s:>6}" for s in short))
    for lab, row in zip(labels, rep["confusion"]):
        lines.append(f"{lab:<{width}} " + " ".join(f"{v:6d}" for v in row))
    return "\n".join(lines)


def evaluate_file(
    source: Any,
    model: Any,
    *,
    text_column: str | None,
    label_column: str,
    fmt: str | None = None,
    encoding: str | None = None,
) -> dict[str, Any]:
    """Score ``model`` on a labelled file; topics unknown to the model count as errors."""
    from feedclass.readers import read_labelled

    texts, labels, skipped = read_labelled(source, text_column, label_column, fmt, encoding)
    if not texts:
        raise DataError("no usable rows: every row had an empty text or label")
    proba = model.predict_proba(texts)
    classes = [str(c) for c in model.classes_]
    pred = [classes[i] for i in np.argmax(proba, axis=1)]
    all_labels = classes + sorted(set(labels) - set(classes))
    rep = report(labels, pred, proba, all_labels)
    rep["skipped_empty"] = skipped
    return rep
