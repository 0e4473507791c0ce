"""Shared fixtures: a tiny model trained on headlines we wrote ourselves."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED_DATA = ROOT.parent / "shared" / "data"


def example_training() -> tuple[list[str], list[str]]:
    import csv

    with (EXAMPLES / "train.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["title"] for r in rows], [r["label"] for r in rows]


@pytest.fixture(scope="session")
def tiny_model():
    from feedclass import TopicModel

    texts, labels = example_training()
    return TopicModel(calibrate=False, n_features=2**16).fit(texts, labels)


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory, tiny_model) -> Path:
    path = tmp_path_factory.mktemp("model") / "tiny.fcm"
    tiny_model.save(path)
    return path


def needs_shared(sub: str) -> Path:
    path = SHARED_DATA / sub
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path
