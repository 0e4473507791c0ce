"""Loading a model file by path (or the shipped default): :func:`load_model`, :func:`model_info`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from feedclass.model.topic_model import TopicModel
from feedclass.scorer import model_file


def load_model(path: str | Path | None = None, *, n_jobs: int | None = None) -> TopicModel:
    """Load a model file (the shipped default model when ``path`` is None). Never unpickles.

    ``n_jobs`` threads featurise large batches (None: every core; same results either way).
    """
    model = TopicModel.load(model_file(path))
    model.n_jobs = n_jobs
    model.features_.n_jobs = n_jobs
    return model


def model_info(path: str | Path | None = None) -> dict[str, Any]:
    """The header of a model file: labels, training data, metrics, versions."""
    from feedclass.scorer import load_scorer

    return dict(load_scorer(path).metadata_)
