"""Learning from corrections: `update_model`, `TopicModel.partial_fit` and `feedclass update`."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from feedclass import DataError, TopicModel, load_model
from feedclass.update import update_model
from tests.conftest import ROOT, example_training
from tests.test_cli import run

TECH = ROOT / "tests" / "data" / "new_topic_tech.csv"


def _tech() -> tuple[list[str], list[str]]:
    with TECH.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["title"] for r in rows], [r["label"] for r in rows]


@pytest.fixture(scope="module")
def base() -> TopicModel:
    texts, labels = example_training()
    return TopicModel(n_features=2**16).fit(texts * 2, labels * 2)


def test_corrections_are_learned_and_the_parent_is_untouched(base: TopicModel) -> None:
    texts, _ = example_training()
    before = base.predict_proba(texts)
    # Editors file these their own way: sport items about money go to economy.
    fixes = ["Футбольный клуб продал стадион банку", "Хоккейный клуб получил кредит"]
    assert base.predict(fixes).tolist() != ["economy", "economy"]
    r = update_model(base, fixes, ["economy", "economy"])
    assert r.learned >= 0.95 and r.new_topics == []
    assert r.model.predict(fixes).tolist() == ["economy", "economy"]
    np.testing.assert_array_equal(base.predict_proba(texts), before)
    # The rest of what the model knew stays.
    assert (r.model.predict(texts) == base.predict(texts)).mean() >= 0.95


def test_a_new_topic_is_learned_from_thirty_examples(base: TopicModel) -> None:
    texts, labels = _tech()
    r = update_model(base, texts[:30], labels[:30])
    assert r.new_topics == ["tech"] and "tech" in r.model.classes_.tolist()
    held = r.model.predict(texts[30:])
    assert (held == "tech").mean() >= 0.7  # headlines it never saw
    old_texts, _ = example_training()
    assert (r.model.predict(old_texts) == base.predict(old_texts)).mean() >= 0.95
    p = r.model.predict_proba(old_texts)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)


def test_partial_fit_keeps_the_label_type(base: TopicModel) -> None:
    with pytest.raises(DataError, match="int labels but the model's topics are str"):
        base.partial_fit(["Гол в ворота"], [3])
    ints = TopicModel(calibrate=False, n_features=2**16).fit(
        ["Гол в ворота", "Матч вничью", "Курс доллара вырос", "Нефть подешевела"], [1, 1, 2, 2]
    )
    ints.partial_fit(["Инфляция замедлилась"], [2])
    assert ints.classes_.tolist() == [1, 2]


def test_update_needs_corrections(base: TopicModel) -> None:
    with pytest.raises(DataError, match="corrections are empty"):
        update_model(base, [], [])
    with pytest.raises(DataError, match="missing labels"):
        update_model(base, ["Гол"], [None])


def test_cli_update_writes_a_model_with_its_lineage(
    tiny_model_path: Path, tmp_path: Path, capsys
) -> None:
    fixes = tmp_path / "fixes.csv"
    texts, labels = _tech()
    with fixes.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "headline", "topic"])
        for i, (t, lab) in enumerate(zip(texts[:30], labels[:30])):
            w.writerow([i, t, lab])
        w.writerow([99, "", "tech"])
    out = tmp_path / "new.fcm"
    code, stdout, err = run(
        [
            "update",
            str(tiny_model_path),
            "--corrections",
            str(fixes),
            "-o",
            str(out),
            "--text-column",
            "headline",
            "--label-column",
            "topic",
        ],
        capsys,
    )
    assert code == 0, err
    assert "learned 30 corrections (1 skipped" in stdout and "new topics: tech" in stdout
    header = load_model(out).metadata_
    assert header["corrections_count"] == 30 and len(header["corrections_sha256"]) == 64
    assert header["parent_model"]["path"] == str(tiny_model_path)
    assert len(header["parent_model"]["sha256"]) == 64
    code, stdout, _ = run(["info", str(out)], capsys)
    assert "updated:" in stdout and "30 corrections" in stdout


def test_cli_update_bad_corrections_is_one_line(
    tiny_model_path: Path, tmp_path: Path, capsys
) -> None:
    fixes = tmp_path / "fixes.csv"
    fixes.write_text("title,topic\nГол в ворота,sport\n", encoding="utf-8")
    out = tmp_path / "new.fcm"
    code, _, err = run(["update", str(tiny_model_path), "-c", str(fixes), "-o", str(out)], capsys)
    assert code == 2 and "no label column 'label'" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
