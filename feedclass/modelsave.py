"""What a fitted :class:`~feedclass.model.TopicModel` writes into its model file: the header
entries and the arrays (:func:`model_file_parts`).

The file format (zip, JSON header, bounded reads) is :mod:`~feedclass.modelfile`'s, the header's
schema :mod:`~feedclass.modelheader`'s, reading it back :func:`~feedclass.scorer.read_topic_file`.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np

from feedclass import __version__
from feedclass.errors import DataError
from feedclass.modelfile import SMOOTHING_VERSION
from feedclass.validation import label_kind, plain_value

__all__ = ["RESERVED_KEYS", "model_file_parts"]

#: Header keys the model file format itself writes; ``save(metadata=...)`` may not set them.
RESERVED_KEYS = frozenset(
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
        "smoothing",
        "calibrated",
        "intercept_importance",
    }
)


def model_file_parts(
    model: Any, metadata: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and arrays of a fitted ``TopicModel``'s file, with ``metadata`` merged in.

    Buckets never seen in training (IDF 0, weight 0) are left out; weights are stored as
    float16. ``metadata`` may not set :data:`RESERVED_KEYS` (``DataError``).

    Examples
    --------
    >>> from feedclass.model import TopicModel
    >>> m = TopicModel(n_features=2**10, calibrate=False).fit(
    ...     ["Матч выиграли", "Гол в матче", "Курс рубля", "Рубль упал"], ["s", "s", "e", "e"])
    >>> header, arrays = model_file_parts(m, {"notes": "demo"})
    >>> header["labels"], header["notes"], arrays["coef"].dtype
    (['e', 's'], 'demo', dtype('float16'))
    """
    import sklearn

    idf = model.features_.idf_
    # Buckets never seen in training have idf 0 and weight 0: store only the others.
    used = np.flatnonzero(idf).astype(np.int32)
    meta = dict(metadata or {})
    clash = sorted(set(meta) & RESERVED_KEYS)
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
        "labels": [str(c) for c in model.classes_],
        "label_type": label_kind(plain_value(model.classes_[0])),
        "params": {
            k: plain_value(v)
            for k, v in model.get_params().items()
            # n_jobs is a property of the machine; the word vectors are folded into the weights.
            if k not in ("n_jobs", "word_vectors")
        },
        "calibrated": bool(getattr(model, "calibrated_", False)),
        "intercept_importance": float(getattr(model, "intercept_importance_", 0.0)),
        "n_features": int(model.features_.n_features),
        "n_train": int(getattr(model, "n_train_", 0)),
        "n_docs": int(getattr(model.features_, "n_docs_", 0)),
        "temperature": float(model.temperature_),
        # Written only when used, so a file without it is what older feedclass reads alike; a
        # file with it is of a format version that a reader unable to apply it refuses.
        **(
            {"smoothing": float(model.smoothing_), "format_version": SMOOTHING_VERSION}
            if getattr(model, "smoothing_", 0.0)
            else {}
        ),
        **meta,
    }
    arrays = {
        "used": used,
        "idf": idf[used].astype(np.float32),
        "coef": model.coef_[:, used].astype(np.float16),
        **(
            {"importance": model.importance_[used].astype(np.float16)}
            if getattr(model, "importance_", None) is not None
            else {}
        ),
        "intercept": model.intercept_.astype(np.float32),
    }
    if getattr(model, "ru_used_", None) is not None:
        # Word vectors on Russian headlines only: their change to the weights, where it is.
        arrays["ru_used"] = np.asarray(model.ru_used_, dtype=np.int32)
        arrays["ru_delta"] = np.asarray(model.ru_delta_, dtype=np.float32).T.astype(np.float16)
    return header, arrays
