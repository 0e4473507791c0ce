"""The training recipe: our label files, the join with ../shared/data, reproducibility."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from feedclass import TopicModel
from tests.conftest import ROOT, example_training, needs_shared
from training.sources import LABELS

TAXONOMY = set(LABELS)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "training" / "labels").glob("*.csv")), ids=lambda p: p.name
)
def test_label_files_hold_ids_and_known_labels_only(path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        assert next(reader) == ["id", "label"]  # never third-party text
        rows = list(reader)
    assert all(len(r) == 2 for r in rows)
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids))
    assert {r[1] for r in rows} <= TAXONOMY


def test_corpus_joins_every_label_and_covers_every_topic() -> None:
    data = needs_shared("topics")
    from training.build import load_corpus

    corpus = load_corpus(data.parent)
    counts = Counter(r["label"] for r in corpus)
    assert set(counts) == TAXONOMY
    assert min(counts.values()) >= 300, counts
    assert {r["lang"] for r in corpus} >= {"ru", "kk", "en"}


def test_same_data_same_model_file(tmp_path: Path) -> None:
    texts, labels = example_training()
    meta = {"created": "2026-01-01T00:00:00+00:00"}
    TopicModel(n_features=2**16).fit(texts, labels).save(tmp_path / "a.fcm", meta)
    TopicModel(n_features=2**16).fit(texts, labels).save(tmp_path / "b.fcm", meta)
    assert (tmp_path / "a.fcm").read_bytes() == (tmp_path / "b.fcm").read_bytes()
