"""The Python API as a scikit-learn user tries it (issue 17, section 5): no surprises."""

from __future__ import annotations

import pickle
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import NotFittedError as SklearnNotFitted
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, cross_val_score

from feedclass import DataError, TopicModel, load_model
from tests.conftest import example_training

SMALL = {"n_features": 2**16}


@pytest.fixture(scope="module")
def data() -> tuple[list[str], list[str]]:
    texts, labels = example_training()
    return texts * 2, labels * 2


def _int_labels(labels: list[str]) -> list[int]:
    codes = {lab: [2, 10, 3, 7, 1, 5][i] for i, lab in enumerate(sorted(set(labels)))}
    return [codes[lab] for lab in labels]


def test_integer_labels_stay_integers_and_sort_as_numbers(data) -> None:
    texts, labels = data
    y = _int_labels(labels)
    m = TopicModel(calibrate=False, **SMALL).fit(texts, y)
    assert m.classes_.tolist() == [1, 2, 3, 5, 7, 10]
    assert m.classes_.dtype.kind == "i"
    assert isinstance(m.predict(texts[:1])[0], np.integer)
    assert m.score(texts, y) > 0.9  # was nan: '2' != 2
    scores = cross_val_score(TopicModel(calibrate=False, **SMALL), texts, y, cv=3)
    assert not np.isnan(scores).any()


def test_integer_labels_survive_the_model_file(data, tmp_path: Path) -> None:
    texts, labels = data
    m = TopicModel(calibrate=False, **SMALL).fit(texts, _int_labels(labels))
    m.save(tmp_path / "m.fcm")
    loaded = load_model(tmp_path / "m.fcm")
    assert loaded.classes_.tolist() == m.classes_.tolist()
    np.testing.assert_array_equal(loaded.predict(texts), m.predict(texts))


def test_grid_search_scores_are_numbers(data) -> None:
    texts, labels = data
    grid = GridSearchCV(
        TopicModel(calibrate=False, **SMALL), {"C": np.arange(1, 3, dtype=np.float64)}, cv=3
    )
    grid.fit(texts, _int_labels(labels))
    assert not np.isnan(grid.cv_results_["mean_test_score"]).any()


def test_mixed_and_missing_labels_are_refused(data) -> None:
    texts = data[0]
    with pytest.raises(DataError, match="mixes label types"):
        TopicModel(**SMALL).fit(texts[:4], [1, "1", 2, "2"])
    with pytest.raises(DataError, match="missing labels"):
        TopicModel(**SMALL).fit(texts[:3], ["a", None, "b"])
    with pytest.raises(DataError, match="missing labels"):
        TopicModel(**SMALL).fit(texts[:3], ["a", float("nan"), "b"])


def test_dataframe_is_read_by_rows_not_column_names(data) -> None:
    pd = pytest.importorskip("pandas")
    texts, labels = data
    m = TopicModel(calibrate=False, **SMALL).fit(pd.DataFrame({"title": texts}), labels)
    one = pd.DataFrame({"title": texts[:5]})
    assert len(m.predict(one)) == 5  # was 1: one prediction for the column name
    np.testing.assert_array_equal(m.predict(one), m.predict(texts[:5]))
    with pytest.raises(DataError, match="pass the text column"):
        m.predict(pd.DataFrame({"title": texts[:2], "source": ["a", "b"]}))


def test_binary_decision_function_is_one_column(data) -> None:
    texts, labels = data
    keep = [i for i, lab in enumerate(labels) if lab in ("sport", "economy")]
    X = [texts[i] for i in keep]
    y = [int(labels[i] == "sport") for i in keep]
    m = TopicModel(calibrate=False, **SMALL).fit(X, y)
    d = m.decision_function(X)
    assert d.shape == (len(X),)
    assert roc_auc_score(y, d) > 0.9
    np.testing.assert_array_equal(m.predict(X), m.classes_[(d > 0).astype(int)])
    cal = CalibratedClassifierCV(TopicModel(calibrate=False, **SMALL), cv=2).fit(X, y)
    assert cal.predict_proba(X).shape == (len(X), 2)


def test_save_takes_numpy_parameters_and_guards_its_header(data, tmp_path: Path) -> None:
    texts, labels = data
    m = TopicModel(C=np.float64(2.0), max_iter=np.int64(50), calibrate=False, **SMALL).fit(
        texts, labels
    )
    m.save(tmp_path / "m.fcm")
    assert load_model(tmp_path / "m.fcm").get_params()["C"] == 2.0
    with pytest.raises(DataError, match="must not set the model file's own header keys"):
        m.save(tmp_path / "bad.fcm", {"labels": ["x"], "temperature": 9.0})
    assert not (tmp_path / "bad.fcm").exists()


def test_class_weight_dict_is_keyed_by_label(data) -> None:
    texts, labels = data
    m = TopicModel(calibrate=False, class_weight={"sport": 50.0}, C=0.05, **SMALL)
    m.fit(texts, labels)
    assert (m.predict(texts) == "sport").mean() > (np.asarray(labels) == "sport").mean()
    with pytest.raises(DataError, match="not in y"):
        TopicModel(class_weight={0: 2.0}, **SMALL).fit(texts, labels)


def test_missing_texts_are_flagged_like_the_cli(data) -> None:
    pd = pytest.importorskip("pandas")
    texts, labels = data
    m = TopicModel(calibrate=False, **SMALL).fit(texts, labels)
    X = ["Сборная по футболу выиграла матч", None, float("nan"), "", pd.NA]
    assert m.predict(X, min_confidence=0.0).tolist()[1:] == [None] * 4
    assert m.predict(X, k=2)[1:] == [[]] * 4
    assert len(m.predict(X)) == 5  # pd.NA used to be refused while NaN passed
    assert m.predict(pd.Series(X, dtype="string"), min_confidence=0.0)[4] is None


def test_predict_with_k_and_min_confidence_in_one_call(data) -> None:
    texts, labels = data
    m = TopicModel(**SMALL).fit(texts, labels)
    rows = m.predict(["Сборная по футболу выиграла матч", "Что-то непонятное"], k=3)
    assert rows[0][0][0] == "sport" and len(rows[0]) == 3
    assert all(a[1] >= b[1] for row in rows for a, b in pairwise(row))
    sure = m.predict(["Сборная по футболу выиграла матч"], k=3, min_confidence=0.3)
    assert all(p >= 0.3 for _, p in sure[0])
    assert m.predict(["Что-то непонятное"], min_confidence=1.0).tolist() == [None]
    with pytest.raises(DataError, match="min_confidence"):
        m.predict(texts[:1], min_confidence=1.5)


def test_unfitted_model_raises_sklearns_not_fitted() -> None:
    from feedclass.errors import FeedclassError

    for call in (
        lambda m: m.predict(["x"]),
        lambda m: m.score(["x"], ["a"]),
        lambda m: m.predict_proba(["x"]),
        lambda m: m.save("never.fcm"),
    ):
        with pytest.raises(SklearnNotFitted, match="not fitted yet") as info:
            call(TopicModel())
        assert isinstance(info.value, FeedclassError)


def test_n_jobs_set_after_loading_reaches_the_features(tiny_model_path: Path) -> None:
    m = load_model(tiny_model_path)
    m.set_params(n_jobs=1)
    m.predict(["Курс доллара вырос"])
    assert m.features_.n_jobs == 1


def test_declares_string_input() -> None:
    tags = TopicModel().__sklearn_tags__()
    assert tags.input_tags.string and not tags.input_tags.two_d_array


def test_pickle_is_no_larger_than_the_model_file(data, tmp_path: Path) -> None:
    texts, labels = data
    m = TopicModel(**SMALL).fit(texts, labels)
    m.save(tmp_path / "m.fcm")
    blob = pickle.dumps(m)
    assert len(blob) <= (tmp_path / "m.fcm").stat().st_size + 2048
    back = pickle.loads(blob)
    np.testing.assert_array_equal(back.predict_proba(texts), m.predict_proba(texts))
    assert back.get_params() == m.get_params()


def test_public_methods_have_numpy_docstrings() -> None:
    for name in ("fit", "predict", "predict_proba", "decision_function", "load", "save"):
        doc = getattr(TopicModel, name).__doc__ or ""
        assert "Parameters" in doc and "----------" in doc, name
    doc = TopicModel.__doc__ or ""
    assert "Attributes" in doc and "classes_" in doc and "temperature_" in doc
