"""`feedclass audit`: mislabelled rows come first, every row keeps its fields."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from feedclass.audit import audit_labels, audit_scores
from tests.conftest import ROOT, example_training
from tests.test_cli import read_csv, run

SMALL = {"n_features": 2**16}


def _flipped(
    path: Path | None = None, share: float = 0.05
) -> tuple[list[str], list[str], set[int]]:
    """A labelled set of ours with ``share`` of its labels moved to another topic at random."""
    if path is None:
        texts, labels = example_training()
    else:
        with path.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        texts, labels = [r["text"] for r in rows], [r["label"] for r in rows]
    topics = sorted(set(labels))
    rng = np.random.default_rng(0)
    flipped = set(rng.choice(len(texts), max(3, int(share * len(texts))), replace=False).tolist())
    noisy = [
        topics[(topics.index(y) + 1 + int(rng.integers(len(topics) - 1))) % len(topics)]
        if i in flipped
        else y
        for i, y in enumerate(labels)
    ]
    return texts, noisy, flipped


def test_flipped_labels_rank_first() -> None:
    from feedclass import TopicModel

    # the English headlines we wrote, 5% of their labels flipped
    texts, noisy, flipped = _flipped(ROOT / "training" / "authored" / "en_headlines.csv")
    items = audit_labels(texts, noisy, model=TopicModel(n_features=2**18), folds=5)
    assert sorted(it.index for it in items) == list(range(len(texts)))
    top = [it for it in items[: len(texts) // 10]]
    found = [it for it in top if it.index in flipped]
    # Random order would find about 10% of them in its top 10%.
    assert len(found) >= 0.35 * len(flipped)
    assert all(it.suggested != it.label for it in items)


def test_scores_rank_unlikely_labels_first() -> None:
    p = np.array([[0.95, 0.05], [0.9, 0.1], [0.45, 0.55], [0.5, 0.5], [0.9, 0.1]])
    y = np.array([0, 0, 1, 1, 1])
    s, best = audit_scores(p, y)
    assert int(np.argmax(s)) == 4 and int(best[4]) == 0
    np.testing.assert_allclose(s, [0.05, 0.1, 0.45, 0.5, 0.9])


def test_cli_audit_keeps_ids_and_lists_unjudged_rows_last(tmp_path: Path, capsys) -> None:
    texts, noisy, _ = _flipped()
    src = tmp_path / "labelled.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "title", "label"])
        for i, (t, y) in enumerate(zip(texts, noisy)):
            w.writerow([f"n{i:03d}", t, y])
        w.writerow(["blank", "Заголовок без метки", ""])
    code, out, err = run(["audit", str(src), "--folds", "4"], capsys)
    assert code == 0, err
    rows = read_csv(out)
    assert len(rows) == len(texts) + 1  # no row dropped
    assert rows[-1]["id"] == "blank" and rows[-1]["suggested_label"] == ""
    assert rows[0]["audit_rank"] == "1"
    by_id = {r["id"]: r for r in rows}
    assert all(by_id[f"n{i:03d}"]["title"] == texts[i] for i in range(len(texts)))
    assert rows[0]["suggested_label"] != rows[0]["label"]
    assert "1 without text or label" in err
