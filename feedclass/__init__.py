"""feedclass: topic labels and near-duplicate groups for news headlines."""

from __future__ import annotations

__version__ = "0.1.0"

from feedclass.errors import (
    DataError,
    FeedclassError,
    InputFileError,
    ModelFileError,
    StateFileError,
)
from feedclass.normalize import normalize_text

__all__ = [
    "DataError",
    "DedupIndex",
    "FeedclassError",
    "HashingFeatures",
    "InputFileError",
    "Match",
    "ModelFileError",
    "NearDuplicates",
    "StateFileError",
    "TopicModel",
    "__version__",
    "load_model",
    "normalize_text",
]


def __getattr__(name: str) -> object:
    # Lazy, so `import feedclass` stays cheap and a half-built optional module never breaks it.
    if name in ("TopicModel", "load_model"):
        from feedclass import model

        return getattr(model, name)
    if name == "HashingFeatures":
        from feedclass.features import HashingFeatures

        return HashingFeatures
    if name == "NearDuplicates":
        from feedclass.dedup import NearDuplicates

        return NearDuplicates
    if name in ("DedupIndex", "Match"):
        from feedclass.dedup import index

        return getattr(index, name)
    raise AttributeError(f"module 'feedclass' has no attribute {name!r}")
