"""TopicScorer: a model file's probabilities without scikit-learn, equal to TopicModel's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedclass import TopicModel, load_model
from feedclass.errors import ModelFileError
from feedclass.scorer import MODEL_PARAMS, load_scorer
from tests.conftest import EXAMPLES, example_training, heavy_modules_after

TEXTS = [
    "Сборная Казахстана по футболу выиграла матч",
    "",
    "   ",
    "Курс доллара вырос до 490 тенге",
    "Ұлттық банк базалық мөлшерлемені өзгертпеді",
    "Parliament approves the new budget 😀 𝔸𝔹",
    "Очень длинный заголовок " * 400,  # past MAX_TEXT_CHARS
]


def test_parameters_are_the_estimators() -> None:
    assert set(MODEL_PARAMS) == set(TopicModel().get_params())


def test_same_probabilities_as_the_model_bit_for_bit(tiny_model_path: Path) -> None:
    texts = TEXTS * 700  # enough rows for several threads
    model, scorer = load_model(tiny_model_path), load_scorer(tiny_model_path)
    assert list(scorer.classes_) == list(model.classes_)
    for jobs in (1, 3):
        model.n_jobs = scorer.n_jobs = jobs
        assert np.array_equal(scorer.predict_proba(texts), model.predict_proba(texts))
    assert scorer.predict_proba([]).shape == (0, len(model.classes_))


def test_same_probabilities_with_more_topics_than_a_packed_row_holds(tmp_path: Path) -> None:
    # 16 topics do not fit one 64-byte row: both read the unpacked weights instead.
    texts, _ = example_training()
    labels = [f"t{i % 16}" for i in range(len(texts))]
    path = tmp_path / "wide.fcm"
    TopicModel(calibrate=False, n_features=2**12).fit(texts, labels).save(path)
    model, scorer = load_model(path), load_scorer(path)
    assert np.array_equal(scorer.predict_proba(TEXTS), model.predict_proba(TEXTS))


@pytest.fixture(scope="module")
def tiny_scorer(tiny_model_path: Path):
    return load_scorer(tiny_model_path)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=8))
def test_any_text_scores_as_the_model_does(tiny_model, tiny_scorer, texts: list[str]) -> None:
    assert np.array_equal(tiny_scorer.predict_proba(texts), tiny_model.predict_proba(texts))


def test_a_broken_file_is_a_model_file_error(tmp_path: Path, tiny_model_path: Path) -> None:
    cut = tmp_path / "cut.fcm"
    cut.write_bytes(tiny_model_path.read_bytes()[:200])
    with pytest.raises(ModelFileError, match=r"cut\.fcm"):
        load_scorer(cut)
    with pytest.raises(ModelFileError):
        load_scorer(tmp_path / "missing.fcm")


def test_classify_command_never_imports_scikit_learn(tmp_path: Path) -> None:
    # scikit-learn (with SciPy and pandas) was half of a short run's start-up.
    out = tmp_path / "out.csv"
    code = (
        "from feedclass.cli import main\n"
        "try:\n"
        f"    main(['classify', {str(EXAMPLES / 'feed.csv')!r}, '-o', {str(out)!r}])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
    )
    assert heavy_modules_after(code) == []
    assert out.stat().st_size > 0
