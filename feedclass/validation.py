"""Checking what users pass in: labels, sample weights, parameter values (texts: ``inputs``).

One place for the rules every estimator and command shares: a bare string is not a list of
texts, a DataFrame is read by rows, missing texts become empty, labels keep their type and
are never missing or of mixed types.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from feedclass.errors import DataError

__all__ = [
    "LABEL_DTYPES",
    "check_labels",
    "check_sample_weight",
    "is_missing",
    "label_kind",
    "plain_value",
]


def is_missing(value: Any) -> bool:
    """Whether a value is missing: None, NaN (float or numpy), pandas' NA or NaT.

    Checked by type name, so pandas need not be installed.
    """
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(value != value)
    return type(value).__name__ in ("NAType", "NaTType")


def check_labels(y: Any, n: int, min_classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
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
        if is_missing(v):
            raise DataError(f"y must not hold missing labels; got {v!r} at position {i}")
    items = [v.item() if isinstance(v, np.generic) else v for v in values]
    kinds = {label_kind(v) for v in items}
    if len(kinds) > 1:
        raise DataError(
            "y mixes label types (" + ", ".join(sorted(kinds)) + "), e.g. 1 and '1' would be "
            "two topics that print alike; convert them to one type"
        )
    kind = kinds.pop() if kinds else "str"
    arr = np.asarray(items, dtype=LABEL_DTYPES[kind]) if kind != "str" else values
    classes, y_idx = np.unique(arr, return_inverse=True)
    if len(classes) < min_classes:
        raise DataError(
            f"training needs at least 2 topics; got {len(classes)} "
            f"({', '.join(map(str, classes)) or 'none'})"
        )
    if kind == "str":
        classes = np.asarray(classes, dtype=object)
    return classes, y_idx.ravel().astype(np.int64)


def check_sample_weight(sample_weight: Any, n: int) -> np.ndarray:
    """Weights of ``n`` rows as floats > 0 (ones when None)."""
    if sample_weight is None:
        return np.ones(n)
    sw = np.asarray(sample_weight, dtype=np.float64).ravel()
    if sw.shape != (n,):
        raise DataError(f"sample_weight must have one weight per text; got {sw.size} for {n} texts")
    if not np.all(np.isfinite(sw)) or np.any(sw < 0):
        raise DataError("sample_weight must hold finite numbers >= 0")
    # A row of weight 0 takes no part; the solver needs C > 0, so give it a negligible one.
    return np.maximum(sw, 1e-12)


#: numpy dtype of each kind of label a model file can record.
LABEL_DTYPES: dict[str, Any] = {"str": object, "int": np.int64, "float": np.float64, "bool": bool}


def label_kind(value: Any) -> str:
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


def plain_value(value: Any) -> Any:
    """A parameter value as plain JSON data (numpy scalars from ``np.arange`` grids included)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    return value
