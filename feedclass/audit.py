"""Finding mislabelled rows in a labelled file: cross-validated predictions that disagree.

Each row is scored by a model that never saw it (k-fold) and ranked by how unlikely that
model finds the label it has (``1 - p(given label)``); the suggested label is the model's best
other topic. Dividing the probabilities by each topic's average confidence first (the
per-topic thresholds of confident learning) was tried and found fewer flipped labels on a
tuning sample (see ``benchmarks/bench_learning.py``), so it is not done.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from feedclass.errors import DataError
from feedclass.inputs import check_texts
from feedclass.model import TopicModel
from feedclass.tables import read_whole_table, write_ranked
from feedclass.validation import check_labels


@dataclass
class AuditItem:
    """One row's verdict: its position, the label it has, the one the model suggests."""

    index: int
    label: Any
    suggested: Any
    suspicion: float
    label_probability: float


def out_of_fold_proba(
    texts: list[str],
    y_idx: np.ndarray,
    n_classes: int,
    *,
    model: TopicModel | None = None,
    folds: int = 5,
    random_state: int = 0,
) -> np.ndarray:
    """``(n, n_classes)`` probabilities, each row from a model fitted without it."""
    est = model if model is not None else TopicModel()
    counts = np.bincount(y_idx, minlength=n_classes)
    k = int(max(2, min(folds, counts.max())))
    skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=random_state)
    arr = np.asarray(texts, dtype=object)
    proba = np.zeros((len(texts), n_classes))
    with warnings.catch_warnings():
        # A topic with fewer rows than folds is fine here: its rows are still scored.
        warnings.filterwarnings("ignore", message="The least populated class")
        splits = list(skf.split(arr, y_idx))
    for train, test in splits:
        present = np.unique(y_idx[train])
        if len(present) < 2:
            continue
        m = clone(est).fit(arr[train].tolist(), y_idx[train])
        cols = np.searchsorted(np.arange(n_classes), np.asarray(m.classes_, dtype=np.int64))
        proba[np.ix_(test, cols)] = m.predict_proba(arr[test].tolist())
    return proba


def audit_scores(proba: np.ndarray, y_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Suspicion of each row (``1 - p(given label)``) and the best other topic.

    Examples
    --------
    >>> p = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    >>> s, best = audit_scores(p, np.array([0, 0, 1, 1]))
    >>> int(np.argmax(s)), int(best[3])
    (3, 0)
    """
    rows = np.arange(len(y_idx))
    suspicion = 1.0 - proba[rows, y_idx]
    others = proba.copy()
    others[rows, y_idx] = -np.inf
    return suspicion, np.argmax(others, axis=1)


def audit_labels(
    texts: Any,
    labels: Any,
    *,
    model: TopicModel | None = None,
    folds: int = 5,
    random_state: int = 0,
) -> list[AuditItem]:
    """Every row ranked by how likely it is mislabelled, most suspicious first.

    Parameters
    ----------
    texts : sequence of str
        Headlines.
    labels : sequence
        Their labels as given.
    model : TopicModel, optional
        The estimator to cross-validate (a fresh ``TopicModel()`` by default).
    folds : int
        Cross-validation folds.
    random_state : int
        Seed of the folds.

    Returns
    -------
    list of AuditItem
        One per row, the most suspicious first; ``suggested`` is the best other topic.
    """
    texts = check_texts(texts, "texts")
    classes, y_idx = check_labels(labels, len(texts))
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise DataError(f"folds must be an int >= 2; got {folds!r} instead")
    proba = out_of_fold_proba(
        texts, y_idx, len(classes), model=model, folds=folds, random_state=random_state
    )
    suspicion, best = audit_scores(proba, y_idx)
    order = np.argsort(-suspicion, kind="stable")
    return [
        AuditItem(
            index=int(i),
            label=_py(classes[y_idx[i]]),
            suggested=_py(classes[best[i]]),
            suspicion=float(suspicion[i]),
            label_probability=float(proba[i, y_idx[i]]),
        )
        for i in order.tolist()
    ]


def _py(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def audit_file(
    source: str | Path | IO[bytes],
    dest: str | Path | None,
    *,
    text_column: str | None = None,
    label_column: str = "label",
    fmt: str | None = None,
    output_fmt: str | None = None,
    n: int = 0,
    folds: int = 5,
    model: TopicModel | None = None,
) -> tuple[list[AuditItem], int]:
    """Write the rows of a labelled file most suspicious first, each with its fields and
    ``audit_rank, suggested_label, suspicion, label_probability``.

    ``n`` > 0 keeps the first ``n``; 0 keeps every row. Rows without text or label cannot be
    judged: they come last with those columns empty (none is dropped). Returns the ranking and
    the count of rows not judged.
    """
    if n < 0:
        raise DataError(f"-n must be 0 (every row) or more; got {n} instead")
    table = read_whole_table(source, text_column=text_column, label_column=label_column, fmt=fmt)
    usable = [i for i, (t, y) in enumerate(zip(table.texts, table.labels)) if t.strip() and y]
    if len(usable) < 4:
        raise DataError(f"{table.name}: audit needs at least 4 labelled rows; got {len(usable)}")
    items = audit_labels(
        [table.texts[i] for i in usable],
        [table.labels[i] for i in usable],
        model=model,
        folds=folds,
    )
    order = [usable[it.index] for it in items]
    values: list[list[Any]] = [
        [k + 1, it.suggested, round(it.suspicion, 4), round(it.label_probability, 4)]
        for k, it in enumerate(items)
    ]
    unjudged = sorted(set(range(len(table.rows))) - set(usable))
    order += unjudged
    values += [["", "", "", ""] for _ in unjudged]
    if n:
        order, values = order[:n], values[:n]
    write_ranked(
        dest,
        table,
        order,
        ["audit_rank", "suggested_label", "suspicion", "label_probability"],
        values,
        output_fmt,
    )
    return items, len(unjudged)
