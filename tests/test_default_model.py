"""The shipped model: present, safe, fast to load, and right on headlines we wrote ourselves."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import feedclass
from feedclass.model import default_model_path
from tests.conftest import EXAMPLES, ROOT
from training.sources import LABELS

# Unambiguous headlines of our own, one per topic and language we promise.
RU = {
    "Сборная Казахстана по футболу обыграла Латвию со счётом 2:0": "sport",
    "Нацбанк повысил базовую ставку, курс тенге укрепился": "economy",
    "Мажилис принял закон о выборах в местные органы власти": "politics",
    "В Шымкенте полиция задержала двоих подозреваемых в грабеже": "incidents",
    "Синоптики обещают в Астане мороз до минус 25 и метель": "weather",
    "В Алматы открылся международный кинофестиваль": "culture",
    "Врачи предупредили о росте заболеваемости гриппом": "health",
    "Учёные обнаружили новую экзопланету с помощью телескопа": "science",
    "Экологи требуют остановить вырубку леса в национальном парке": "ecology",
}
KK = {
    "Қазақстан құрамасы футболдан Латвияны жеңді": "sport",
    "Ертең Астанада қатты аяз және боран болады": "weather",
}
EN = {
    "Kazakhstan beat Latvia 2-0 in a football qualifier": "sport",
    "Parliament passes a new election law": "politics",
}


@pytest.fixture(scope="module")
def model():
    if not default_model_path().exists():
        pytest.fail("the default model is missing from models/; run python -m training.build")
    return feedclass.load_model()


def test_loads_fast_and_is_small() -> None:
    path = default_model_path()
    assert path.stat().st_size <= 15 * 1024 * 1024
    start = time.perf_counter()
    feedclass.load_model()
    assert time.perf_counter() - start < 1.0


def test_info_names_labels_data_and_metrics(model) -> None:
    h = model.metadata_
    assert set(h["labels"]) == set(LABELS)
    assert h["training_data"]["rows"] > 10_000
    assert h["metrics"]["macro_f1"] > 0.5


@pytest.mark.parametrize("table", [RU, KK, EN], ids=["ru", "kk", "en"])
def test_obvious_headlines(model, table: dict[str, str]) -> None:
    assert dict(zip(table, model.predict(list(table)))) == table


def test_classify_example_feed_without_model_option(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "feedclass.cli",
            "classify",
            str(EXAMPLES / "feed.csv"),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 13 and lines[0].endswith("topic,confidence")


def test_installed_copy_finds_the_model(tmp_path: Path) -> None:
    """After a plain (non-editable) `pip install .`, the model comes from site-packages."""
    code = (
        "import feedclass, feedclass.model as m;"
        "print(feedclass.__file__); print(m.default_model_path());"
        "print(feedclass.load_model().predict(['Гол на последней минуте'])[0]);"
        "import feedclass.dedup as d; print(d.vectors_path());"
        "print(d.NearDuplicates().fit_predict(['Пожар в Алматы', 'Срочно: пожар в Алматы']))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if proc.returncode != 0 and "No module named 'feedclass'" in proc.stderr:
        pytest.skip("feedclass is not installed in this interpreter (source checkout only)")
    assert proc.returncode == 0, proc.stderr
    pkg_file, model_path, label, vectors_path, clusters = proc.stdout.split("\n")[:5]
    if Path(pkg_file).resolve().parent == ROOT / "feedclass":
        pytest.skip("feedclass is installed in editable mode; nothing to prove here")
    assert Path(model_path).resolve().parent != ROOT / "models"
    assert "site-packages" in Path(model_path).resolve().parts
    assert label == "sport"
    # dedup's word vectors ship in the wheel too
    assert "site-packages" in Path(vectors_path).resolve().parts
    assert clusters == "[0 0]"


def test_lone_surrogate_is_a_data_error_naming_the_text(model) -> None:
    """A broken "\\ud800" escape reaching the Python API is refused with the text's index
    (it raised UnicodeEncodeError from deep inside the features)."""
    from feedclass.errors import DataError
    from feedclass.scorer import load_scorer

    texts = ["Аким Алматы открыл новый парк", "Пожар \ud800 на складе"]
    with pytest.raises(DataError, match=r"text 1: a lone UTF-16 surrogate"):
        model.predict(texts)
    with pytest.raises(DataError, match=r"text 1: a lone UTF-16 surrogate"):
        load_scorer().predict_proba(texts)
    assert model.predict(texts[:1]).shape == (1,)
