"""Training a model from a labelled file: checks, validation report, then the model file."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from feedclass.atomic import check_not_an_input
from feedclass.errors import CalibrationWarning, DataError
from feedclass.evaluate import cross_validate
from feedclass.model import TopicModel
from feedclass.modelfile import FORMAT_NAME, HEADER
from feedclass.readers import read_labelled

log = logging.getLogger(__name__)

#: Below this many examples a topic gets a warning: its scores will be noise.
RARE_CLASS = 10


@dataclass
class TrainResult:
    model: TopicModel
    class_counts: dict[str, int]
    skipped: int
    metrics: dict[str, Any] | None
    warnings: list[str] = field(default_factory=list)


def data_hash(texts: Sequence[str], labels: Sequence[str]) -> str:
    """A hash of the training pairs, independent of the file format they came in."""
    h = hashlib.sha256()
    for t, y in zip(texts, labels):
        h.update(t.encode("utf-8"))
        h.update(b"\t")
        h.update(y.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def train_texts(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    model: TopicModel | None = None,
    groups: Sequence[str] | None = None,
    folds: int = 5,
    skipped: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> TrainResult:
    """Validate, cross-validate and fit; the caller decides where to save."""
    if not texts:
        raise DataError("no usable rows: every row had an empty text or label")
    counts = Counter(labels)
    if len(counts) < 2:
        raise DataError(
            f"training needs at least 2 topics; got {len(counts)} ({', '.join(counts)})"
        )
    if len(counts) > len(texts) / 2:
        raise DataError(
            f"{len(counts)} topics for {len(texts)} rows: on average fewer than 2 examples per "
            "topic, so no topic can be learned (is --label-column an id or a text column?)"
        )
    warnings_list = [
        f"topic {lab!r} has only {n} example{'s' * (n != 1)}; its predictions will be unreliable"
        for lab, n in sorted(counts.items())
        if n < RARE_CLASS
    ]
    estimator = model if model is not None else TopicModel()
    metrics = None
    if folds >= 2 and min(counts.values()) >= 2:
        metrics = cross_validate(
            estimator, texts, labels, groups=groups, folds=folds, progress=progress
        )
    else:
        warnings_list.append("no cross-validation: some topic has a single example")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CalibrationWarning)
        fitted = estimator.fit(list(texts), list(labels))
    # Shown by the CLI with the other warnings, rather than as a Python warning line.
    warnings_list += [str(w.message) for w in caught if issubclass(w.category, CalibrationWarning)]
    return TrainResult(fitted, dict(sorted(counts.items())), skipped, metrics, warnings_list)


def is_model_file(path: str | Path) -> bool:
    """Whether ``path`` holds a feedclass model file (a zip whose header names our format).

    Only the header is read, so a large file costs no more than a small one.

    >>> is_model_file("no-such-file.fcm")
    False
    """
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo(HEADER)
            # A real header is a few kB; a huge one is no reason to inflate it here.
            if info.file_size > 1 << 20:
                return False
            header = json.loads(zf.read(info).decode("utf-8"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return False
    return isinstance(header, dict) and header.get("format") == FORMAT_NAME


def check_model_output(output: str | Path, *, force: bool = False) -> None:
    """Refuse to write a model over a file that is not a feedclass model.

    A model file may replace an older model (retraining into the same name is the usual
    workflow), a missing file, an empty file or a device such as ``/dev/null``; anything else
    (a CSV passed to ``-o`` by a slip of the keyboard) is kept unless ``force`` is true.

    Raises
    ------
    DataError
        ``output`` exists and is neither a model file nor empty, and ``force`` is false.

    Examples
    --------
    >>> check_model_output("new-model.fcm")
    """
    if force:
        return
    try:
        st = os.stat(output)
    except OSError:
        return
    if not stat.S_ISREG(st.st_mode) or st.st_size == 0 or is_model_file(output):
        return
    raise DataError(
        f"{output}: the file exists and is not a feedclass model; writing the model would "
        "destroy it: give another file name, or pass --force to replace it"
    )


def train_file(
    source: str | Path | IO[bytes],
    output: str | Path,
    *,
    text_column: str | None,
    label_column: str,
    fmt: str | None = None,
    model: TopicModel | None = None,
    folds: int = 5,
    progress: Callable[[int, int], None] | None = None,
    created: str | None = None,
    encoding: str | None = None,
    force: bool = False,
) -> TrainResult:
    """Train from a CSV/TSV/JSONL file (or stdin) and write the model file atomically.

    ``output`` may not be ``source`` itself: the model would replace the labelled data. An
    existing ``output`` that is not a model file is refused unless ``force`` is true (see
    :func:`check_model_output`); both checks run before any training.
    """
    check_not_an_input(output, [source], "the model file")
    check_model_output(output, force=force)
    texts, labels, skipped = read_labelled(source, text_column, label_column, fmt, encoding)
    result = train_texts(
        texts, labels, model=model, folds=folds, skipped=skipped, progress=progress
    )
    meta: dict[str, Any] = {
        "training_data": {
            "source": str(source) if isinstance(source, (str, Path)) else "<stream>",
            "rows": len(texts),
            "skipped_empty": skipped,
            "sha256": data_hash(texts, labels),
            "class_counts": result.class_counts,
        },
        "metrics": _summary(result.metrics),
    }
    if created is not None:
        meta["created"] = created
    result.model.save(output, meta)
    return result


def _summary(metrics: dict[str, Any] | None) -> dict[str, Any] | None:
    if metrics is None:
        return None
    keep = ("accuracy", "macro_f1", "ece", "folds", "grouped", "n")
    out = {k: metrics[k] for k in keep if k in metrics}
    out["per_class_f1"] = {k: v["f1"] for k, v in metrics["per_class"].items()}
    return out
