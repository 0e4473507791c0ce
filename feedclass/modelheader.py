"""The topic-model header's schema: the keys the loader uses, their types and sane limits.

Checked before any array is inflated, so a file that lies about its shapes or asks for
gigabytes is refused in bounded memory with one line naming the key.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from feedclass.errors import ModelFileError

__all__ = [
    "MAX_FEATURES",
    "MAX_LABELS",
    "MAX_NGRAM",
    "MAX_WEIGHT_BYTES",
    "check_model_header",
]

#: Limits a model header must keep so that loading stays in bounded memory (the dense weight
#: matrix is n_features x labels float32).
MAX_FEATURES = 1 << 24
MAX_LABELS = 10_000
MAX_WEIGHT_BYTES = 256 << 20
MAX_NGRAM = 16


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) and bool(
        np.isfinite(value)
    )


def check_model_header(
    header: dict[str, Any], known_params: Iterable[str]
) -> dict[str, tuple[str, tuple[int | None, ...]]]:
    """Validate a topic-model header; return the dtype kinds and shapes its arrays must have.

    The one schema of the keys :meth:`TopicModel.load` uses: each wrong type or value is a
    one-line :class:`~feedclass.errors.ModelFileError` naming the key. Keys it does not use
    (``metrics``, ``parent_model``, ...) are left alone, so newer writers can add their own.
    ``known_params`` are the parameter names the estimator takes (``get_params()``).

    >>> h = {"labels": ["a", "b"], "n_features": 16, "n_docs": 2, "n_train": 2,
    ...      "temperature": 1.0, "arrays": ["coef", "idf", "intercept", "used"],
    ...      "params": {"char_ngram_range": [2, 5], "word_ngram_range": [1, 2], "n_features": 16}}
    >>> check_model_header(h, ["char_ngram_range", "word_ngram_range", "n_features"])["coef"]
    ('f', (2, None))
    """

    def bad(key: str, expected: str, got: Any = None) -> ModelFileError:
        shown = repr(header.get(key, "nothing") if got is None else got)
        if len(shown) > 60:
            shown = shown[:60] + "..."
        return ModelFileError(f"header key {key!r} must be {expected}; got {shown} instead")

    labels = header.get("labels")
    if not (
        isinstance(labels, list)
        and 2 <= len(labels) <= MAX_LABELS
        and all(isinstance(x, str) and x for x in labels)
        and len(set(labels)) == len(labels)
    ):
        raise bad("labels", f"a list of 2 to {MAX_LABELS} distinct non-empty strings")
    n_features: Any = header.get("n_features")
    if not (_is_int(n_features) and 1 <= n_features <= MAX_FEATURES):
        raise bad("n_features", f"an int from 1 to {MAX_FEATURES}")
    if n_features * len(labels) * 4 > MAX_WEIGHT_BYTES:
        raise ModelFileError(
            f"n_features x labels = {n_features} x {len(labels)} weights would take more "
            f"than {MAX_WEIGHT_BYTES >> 20} MiB: refused"
        )
    for key in ("n_docs", "n_train"):
        if key in header and not (_is_int(header[key]) and header[key] >= 0):
            raise bad(key, "an int >= 0")
    temperature = header.get("temperature", 1.0)
    if not (_is_number(temperature) and 1e-6 <= temperature <= 1e6):
        raise bad("temperature", "a number from 1e-6 to 1e6")
    smoothing = header.get("smoothing", 0.0)
    if not (_is_number(smoothing) and 0.0 <= smoothing < 1.0):
        raise bad("smoothing", "a number from 0 to below 1")
    params = header.get("params")
    if not isinstance(params, dict):
        raise bad("params", "an object of TopicModel parameters")
    known = set(known_params)
    unknown = sorted(set(params) - known)
    if unknown:
        raise ModelFileError(
            f"header key 'params' holds {unknown[0]!r}, which is not a TopicModel parameter; "
            "the file was written by another program or a newer feedclass"
        )
    ranges: list[Any] = []
    for key in ("char_ngram_range", "word_ngram_range"):
        value = params.get(key)
        if value is None:
            ranges.append(value)
            continue
        if not (
            isinstance(value, list)
            and len(value) == 2
            and all(_is_int(v) for v in value)
            and 1 <= value[0] <= value[1] <= MAX_NGRAM
        ):
            raise bad(f"params.{key}", f"[low, high] with 1 <= low <= high <= {MAX_NGRAM}", value)
        ranges.append(value)
    if ranges == [None, None]:
        raise bad("params.char_ngram_range", "given when word_ngram_range is null", "null")
    value = params.get("n_features", n_features)
    if value != n_features:
        raise bad("params.n_features", f"the header's n_features ({n_features})", value)
    arrays = header.get("arrays") or []
    for name in ("coef", "idf", "intercept", "used"):
        if name not in arrays:
            raise bad("arrays", f"a list naming {name!r}")
    k = len(labels)
    specs: dict[str, tuple[str, tuple[int | None, ...]]] = {
        "used": ("iu", (None,)),
        "idf": ("f", (None,)),
        "coef": ("f", (k, None)),
        "intercept": ("f", (k,)),
    }
    if ("ru_used" in arrays) != ("ru_delta" in arrays):
        raise bad("arrays", "a list naming both 'ru_used' and 'ru_delta', or neither")
    if "ru_used" in arrays:
        specs["ru_used"] = ("iu", (None,))
        specs["ru_delta"] = ("f", (k, None))
    return specs
