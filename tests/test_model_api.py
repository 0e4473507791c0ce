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
from tests.conftest import TEXT_API_CHECKS, example_training, heavy_modules_after

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


def test_loading_and_predicting_never_import_scikit_learn() -> None:
    # Importing scikit-learn was most of load_model's second in a fresh process (issue 19).
    code = (
        "import feedclass\n"
        "m = feedclass.load_model()\n"
        "p = m.predict_proba(['Курс доллара вырос', 'Сборная выиграла матч'])\n"
        "assert m.predict(['Курс доллара вырос'])[0] == 'economy', m.predict(['Курс'])\n"
        "assert m.top_k(['Курс доллара вырос'], k=2)[0][0][0] == 'economy'\n"
    )
    assert heavy_modules_after(code) == []


@pytest.mark.parametrize("check", TEXT_API_CHECKS)
def test_sklearn_api_checks(check: str) -> None:
    import sklearn.utils.estimator_checks as ec

    getattr(ec, check)("TopicModel", TopicModel(**SMALL))


def test_sklearn_sees_a_classifier_and_clones_it(data) -> None:
    from sklearn.base import clone, is_classifier
    from sklearn.utils import get_tags

    m = TopicModel(C=0.7, **SMALL)
    assert is_classifier(m) and get_tags(m).target_tags.required
    twin = clone(m)
    assert twin is not m and twin.get_params() == m.get_params()
    assert repr(m) == "TopicModel(C=0.7, n_features=65536)"
    texts, labels = data
    fitted = clone(m).fit(texts, labels)
    assert not hasattr(clone(fitted), "coef_")  # clone drops what fit learned
    with pytest.raises(ValueError, match="Invalid parameter 'Cee'"):
        m.set_params(Cee=1.0)


def test_nested_parameters_reach_the_model_in_a_pipeline(data) -> None:
    from sklearn.pipeline import Pipeline

    texts, labels = data
    pipe = Pipeline([("topics", TopicModel(**SMALL))])
    pipe.set_params(topics__C=0.5, topics__calibrate=False)
    assert pipe.named_steps["topics"].C == 0.5
    assert pipe.fit(texts, labels).score(texts, labels) > 0.9


@pytest.fixture
def metadata_routing():
    """scikit-learn's metadata routing on for one test, off again after it (even on failure)."""
    import sklearn

    with sklearn.config_context(enable_metadata_routing=True):
        yield


def test_metadata_routing_carries_sample_weight_into_cross_validate(metadata_routing) -> None:
    from sklearn.model_selection import KFold, cross_validate

    texts = ["Гол в ворота", "Матч вничью", "Курс вырос", "Нефть подешевела"] * 6
    labels = ["sport", "sport", "economy", "economy"] * 6
    weights = np.linspace(0.5, 2.0, len(texts))
    model = TopicModel(n_features=2**14, calibrate=False)
    assert model.get_metadata_routing().fit.requests == {
        "sample_weight": None,
        "groups": None,
        "calibration_rows": None,
        "calibration_links": None,
    }
    # Unrequested metadata is refused by scikit-learn, as for its own estimators.
    with pytest.raises(Exception, match="sample_weight"):
        cross_validate(model, texts, labels, params={"sample_weight": weights}, cv=2)
    model.set_fit_request(sample_weight=True).set_score_request(sample_weight=False)
    assert model.get_metadata_routing().fit.requests["sample_weight"] is True
    seen: list[np.ndarray] = []

    class Spy(TopicModel):
        def fit(self, X, y, sample_weight=None, *, groups=None, calibration_rows=None):
            seen.append(np.asarray(sample_weight))
            return super().fit(
                X, y, sample_weight, groups=groups, calibration_rows=calibration_rows
            )

    spy = Spy(n_features=2**14, calibrate=False).set_fit_request(sample_weight=True)
    spy.set_score_request(sample_weight=False)
    cv = KFold(2)
    routed = cross_validate(spy, texts, labels, params={"sample_weight": weights}, cv=cv)
    assert len(seen) == 2
    for got, (train, _) in zip(seen, cv.split(texts)):
        np.testing.assert_array_equal(got, weights[train])
    plain = cross_validate(model, texts, labels, params={"sample_weight": weights}, cv=cv)
    np.testing.assert_array_equal(routed["test_score"], plain["test_score"])


def test_metadata_requests_survive_clone_and_reject_unknown_names(metadata_routing) -> None:
    from sklearn.base import clone

    model = TopicModel().set_fit_request(groups=True)
    assert clone(model).get_metadata_routing().fit.requests["groups"] is True
    with pytest.raises(TypeError, match="unexpected arguments"):
        model.set_fit_request(weights=True)


def test_set_request_needs_routing_enabled() -> None:
    with pytest.raises(RuntimeError, match="enable_metadata_routing"):
        TopicModel().set_fit_request(sample_weight=True)
