from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline

from feedclass import DataError, ModelFileError, TopicModel, load_model
from tests.conftest import example_training

OBVIOUS = {
    "Сборная по футболу выиграла матч": "sport",
    "Курс доллара вырос до 490 тенге": "economy",
    "Синоптики обещают снег и мороз": "weather",
    "Президент подписал новый закон": "politics",
    "В театре прошла премьера спектакля": "culture",
    "Полиция задержала грабителей": "incidents",
}


def test_labels_obvious_headlines(tiny_model: TopicModel) -> None:
    assert tiny_model.predict(list(OBVIOUS)).tolist() == list(OBVIOUS.values())


def test_probabilities_are_distributions(tiny_model: TopicModel) -> None:
    p = tiny_model.predict_proba(list(OBVIOUS) + [""])
    assert p.shape == (len(OBVIOUS) + 1, len(tiny_model.classes_))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)


def test_bare_string_refused(tiny_model: TopicModel) -> None:
    with pytest.raises(DataError, match="not a single string"):
        tiny_model.predict("Курс доллара вырос")
    with pytest.raises(DataError, match=r"X\[0\] must be a str; got int"):
        tiny_model.predict([1, 2])


def test_top_k_and_explain(tiny_model: TopicModel) -> None:
    top = tiny_model.top_k(["Сборная по футболу выиграла матч"], k=3)[0]
    assert [t for t, _ in top][0] == "sport"
    assert len(top) == 3 and top[0][1] >= top[1][1] >= top[2][1]
    grams = [g for g, _ in tiny_model.explain("Сборная по футболу выиграла матч")]
    assert grams and any("фут" in g or "сборн" in g or "матч" in g for g in grams)


def test_save_load_identical(tiny_model: TopicModel, tmp_path: Path) -> None:
    path = tmp_path / "m.fcm"
    tiny_model.save(path, {"note": "x"})
    loaded = load_model(path)
    texts = list(OBVIOUS) + ["Совсем другой текст"]
    np.testing.assert_array_equal(loaded.predict_proba(texts), tiny_model.predict_proba(texts))
    assert loaded.metadata_["note"] == "x"
    assert loaded.metadata_["labels"] == list(tiny_model.classes_)


def test_too_few_classes() -> None:
    with pytest.raises(DataError, match="at least 2 topics"):
        TopicModel().fit(["а", "б"], ["x", "x"])


def test_sklearn_contract() -> None:
    texts, labels = example_training()
    model = TopicModel(calibrate=False, n_features=2**16)
    assert model.get_params()["C"] == 1.5
    scores = cross_val_score(model, texts, labels, cv=3)
    assert scores.mean() > 1 / 6  # better than chance on six topics
    pipe = Pipeline([("model", TopicModel(calibrate=False, n_features=2**16))])
    assert pipe.fit(texts, labels).predict(["Курс доллара вырос"])[0] == "economy"


def test_calibration_sets_temperature() -> None:
    texts, labels = example_training()
    m = TopicModel(n_features=2**16).fit(texts, labels)
    assert 0.05 < m.temperature_ < 20


def test_missing_default_model_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import feedclass.scorer as fs

    monkeypatch.setattr(fs, "default_model_path", lambda: tmp_path / "absent.fcm")
    with pytest.raises(ModelFileError, match="default model is not installed"):
        load_model()


def test_balance_topics_offsets_keep_probabilities_valid() -> None:
    texts, labels = example_training()
    m = TopicModel(n_features=2**16, balance_topics=True).fit(texts * 2, labels * 2)
    p = m.predict_proba(list(OBVIOUS))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    assert m.predict(["Курс доллара вырос до 490 тенге"])[0] == "economy"


def test_one_split_calibration_fits_a_temperature() -> None:
    # Used to leave the temperature at 1.0 (confidences collapsed to ~0.2) without a word.
    texts, labels = example_training()
    m = TopicModel(n_features=2**16, calibration_folds=1).fit(texts * 3, labels * 3)
    assert m.calibrated_ and m.temperature_ != 1.0
    plain = TopicModel(n_features=2**16, calibrate=False).fit(texts * 3, labels * 3)
    conf = m.predict_proba(list(OBVIOUS)).max(axis=1).mean()
    assert conf > plain.predict_proba(list(OBVIOUS)).max(axis=1).mean() + 0.2


def test_single_example_topic_still_calibrates() -> None:
    texts, labels = example_training()
    m = TopicModel(n_features=2**16).fit([*texts, "Одинокий заголовок"], [*labels, "rare"])
    assert m.calibrated_ and m.temperature_ != 1.0
    assert "rare" in m.classes_.tolist()


def test_calibration_that_cannot_run_warns(tmp_path: Path) -> None:
    from feedclass.errors import CalibrationWarning

    with pytest.warns(CalibrationWarning, match="calibration skipped"):
        m = TopicModel(n_features=2**16).fit(["Гол в ворота", "Курс доллара вырос"], ["a", "b"])
    assert not m.calibrated_
    m.save(tmp_path / "m.fcm")
    assert load_model(tmp_path / "m.fcm").metadata_["calibrated"] is False


def test_calibration_on_a_sample_of_big_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    import feedclass.model.calibrate as fm

    texts, labels = example_training()
    monkeypatch.setattr(fm, "CALIBRATION_MAX_ROWS", 20)
    m = TopicModel(n_features=2**16).fit(
        [*texts, *texts, "Одинокий заголовок"], [*labels, *labels, "rare"]
    )
    assert m.calibrated_ and m.temperature_ != 1.0
    assert m.predict(["Сборная по футболу выиграла матч"])[0] == "sport"


def test_groups_keep_copies_out_of_the_calibration_split() -> None:
    # Each headline three times: held out alone, a row's copy stays in training, the held-out
    # scores look sure and the temperature sharpens; held out by group, they are new stories.
    texts, labels = example_training()
    groups = list(range(len(texts))) * 3
    loose = TopicModel(n_features=2**16).fit(texts * 3, labels * 3)
    grouped = TopicModel(n_features=2**16).fit(texts * 3, labels * 3, groups=groups)
    assert grouped.calibrated_
    assert grouped.temperature_ > 1.5 * loose.temperature_
    new = list(OBVIOUS)
    assert (
        grouped.predict_proba(new).max(axis=1).mean() < loose.predict_proba(new).max(axis=1).mean()
    )
    assert grouped.predict(new).tolist() == loose.predict(new).tolist()


def test_rows_outside_calibration_rows_are_never_held_out() -> None:
    from feedclass.errors import CalibrationWarning

    texts, labels = example_training()
    with pytest.warns(CalibrationWarning, match="calibration skipped"):
        m = TopicModel(n_features=2**16).fit(
            texts, labels, calibration_rows=np.zeros(len(texts), dtype=bool)
        )
    assert not m.calibrated_
    # Rows with labels no reader gave (here: shuffled) train but are not held out, so the
    # temperature follows the human labels instead of being flattened by the wrong ones.
    rng = np.random.default_rng(0)
    X = texts * 3 + [f"{t} сегодня" for t in texts]
    y = labels * 3 + rng.permutation(labels).tolist()
    groups = list(range(len(texts))) * 3 + [f"n{i}" for i in range(len(texts))]
    human = [True] * (3 * len(texts)) + [False] * len(texts)
    every = TopicModel(n_features=2**16).fit(X, y, groups=groups)
    marked = TopicModel(n_features=2**16).fit(X, y, groups=groups, calibration_rows=human)
    assert marked.calibrated_
    assert marked.temperature_ < 0.5 * every.temperature_


def test_bad_groups_and_calibration_rows_are_refused() -> None:
    texts, labels = example_training()
    with pytest.raises(DataError, match="groups has 1 entries"):
        TopicModel(n_features=2**16).fit(texts, labels, groups=["g"])
    with pytest.raises(DataError, match="calibration_rows must be"):
        TopicModel(n_features=2**16).fit(texts, labels, calibration_rows=[1] * len(texts))


def test_grouped_cross_validation_calibrates_each_fold_by_group() -> None:
    from feedclass.evaluate import cross_validate

    seen: list[list[str]] = []

    class Recording(TopicModel):
        def fit(self, X, y, sample_weight=None, *, groups=None, calibration_rows=None):  # type: ignore[no-untyped-def]
            seen.append(list(groups) if groups is not None else [])
            return super().fit(X, y, sample_weight, groups=groups)

    texts, labels = example_training()
    groups = [f"g{i % 12}" for i in range(len(texts))]
    cross_validate(Recording(n_features=2**16), texts, labels, groups=groups, folds=2)
    assert len(seen) == 2 and all(seen)
    assert {g for fold in seen for g in fold} == set(groups)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 6), st.booleans()), min_size=2, max_size=60
    ),
    folds=st.integers(1, 3),
)
def test_calibration_split_keeps_groups_whole_and_model_rows_in_training(rows, folds) -> None:
    y = np.array([r[0] for r in rows])
    groups = np.array([r[1] for r in rows])
    eligible = np.array([r[2] for r in rows])
    model = TopicModel(calibration_folds=folds)
    tests = model._calibration_splits(y, 4, groups, eligible)
    held = np.concatenate(tests)
    assert len(held) == len(set(held.tolist()))  # a row is held out at most once
    assert eligible[held].all()  # rows a model labelled always train
    fold_of = {int(i): f for f, t in enumerate(tests) for i in t}
    for c in range(4):
        units = {
            (int(g), fold_of.get(int(i), -1))
            for i, g in enumerate(groups)
            if y[i] == c and eligible[i]
        }
        by_group: dict[int, set[int]] = {}
        for g, f in units:
            by_group.setdefault(g, set()).add(f)
        assert all(len(fs) == 1 for fs in by_group.values())  # a (topic, group) unit stays whole
        if folds == 1 and len(by_group) >= 2:
            assert any(fs == {-1} for fs in by_group.values())  # some of the topic trains


def test_vector_scaling_shifts_topic_shares_and_scores_the_same_after_loading(
    tmp_path: Path,
) -> None:
    from feedclass.scorer import load_scorer

    texts, labels = example_training()
    temp = TopicModel(n_features=2**16, calibration_folds=3).fit(texts * 3, labels * 3)
    vec = TopicModel(n_features=2**16, calibration_folds=3, calibration_method="vector")
    vec.fit(texts * 3, labels * 3)
    # Same SVM, other calibration: the per-topic biases live in the intercepts.
    np.testing.assert_array_equal(vec.coef_, temp.coef_)
    assert not np.allclose(vec.intercept_, temp.intercept_)
    vec.save(tmp_path / "v.fcm")
    np.testing.assert_allclose(
        load_scorer(tmp_path / "v.fcm").predict_proba(texts),
        vec.predict_proba(texts),
        rtol=1e-6,
        atol=1e-7,
    )
    assert load_model(tmp_path / "v.fcm").calibration_method == "vector"


def test_unknown_calibration_method_is_refused() -> None:
    texts, labels = example_training()
    with pytest.raises(ValueError, match="calibration_method must be one of"):
        TopicModel(n_features=2**16, calibration_method="isotonic").fit(texts, labels)


def test_vector_scaling_recovers_a_topic_shift() -> None:
    from feedclass.calibration import fit_temperature, fit_vector_scaling

    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, 4000)
    scores = 3.0 * np.eye(4)[y] + rng.normal(size=(4000, 4))
    shifted = scores + np.array([0.0, 0.0, 0.0, 1.5])  # topic 3 scored too high
    t, b = fit_vector_scaling(shifted, y)
    p = np.exp(shifted / t + b)
    p /= p.sum(axis=1, keepdims=True)
    q = np.exp(shifted / fit_temperature(shifted.copy(), y))
    q /= q.sum(axis=1, keepdims=True)
    # The biases undo the shift: topic 3's mean probability comes back to its share.
    assert abs(p[:, 3].mean() - np.mean(y == 3)) < abs(q[:, 3].mean() - np.mean(y == 3))
    nll = lambda r: -np.log(r[np.arange(len(y)), y]).mean()  # noqa: E731
    assert nll(p) < nll(q)


def test_smoothing_reaches_the_file_the_scorer_and_a_pickle(tmp_path: Path) -> None:
    import pickle

    from feedclass.scorer import load_scorer

    texts, labels = example_training()
    m = TopicModel(n_features=2**16, calibration_method="smoothed").fit(texts * 3, labels * 3)
    plain = m.predict_proba(texts)
    m.smoothing_ = 0.1  # as a fit on noisier held-out rows gives
    p = m.predict_proba(texts)
    assert p.max() <= 0.9 + 0.1 / p.shape[1] + 1e-9 and p.min() >= 0.1 / p.shape[1] - 1e-9
    np.testing.assert_allclose(p, 0.9 * plain + 0.1 / p.shape[1])
    m.save(tmp_path / "s.fcm")
    np.testing.assert_array_equal(load_scorer(tmp_path / "s.fcm").predict_proba(texts), p)
    np.testing.assert_array_equal(load_model(tmp_path / "s.fcm").predict_proba(texts), p)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(m)).predict_proba(texts), p)


def test_smoothed_fit_on_noisy_labels_learns_smoothing_and_saves_it(tmp_path: Path) -> None:
    # The test above sets smoothing_ by hand; this one checks a fit reaches it on its own.
    from feedclass.model import model_info

    texts, labels = example_training()
    topics = sorted(set(labels))
    rng = np.random.default_rng(0)
    flip = rng.random(len(texts) * 3) < 0.15  # editors' slips: a label moved to the next topic
    noisy = [
        topics[(topics.index(t) + 1) % len(topics)] if f else t for t, f in zip(labels * 3, flip)
    ]
    m = TopicModel(n_features=2**16, calibration_method="smoothed").fit(texts * 3, noisy)
    assert m.calibrated_ and m.smoothing_ > 0
    m.save(tmp_path / "noisy.fcm")
    assert model_info(tmp_path / "noisy.fcm")["smoothing"] == pytest.approx(m.smoothing_)
    assert load_model(tmp_path / "noisy.fcm").smoothing_ == pytest.approx(m.smoothing_)


def test_a_smoothed_model_file_is_refused_by_a_reader_that_cannot_apply_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import feedclass.modelfile as modelfile
    from feedclass.model import model_info
    from feedclass.scorer import load_scorer

    texts, labels = example_training()
    m = TopicModel(n_features=2**14).fit(texts, labels)
    m.save(tmp_path / "plain.fcm")
    m.smoothing_ = 0.1
    m.save(tmp_path / "smoothed.fcm")
    assert model_info(tmp_path / "plain.fcm")["format_version"] == 1  # as before smoothing
    assert model_info(tmp_path / "smoothed.fcm")["format_version"] == 2
    monkeypatch.setattr(modelfile, "FORMAT_VERSION", 1)  # a reader of version 1 only
    load_scorer(tmp_path / "plain.fcm")
    with pytest.raises(ModelFileError, match=r"version 2 is newer.*upgrade feedclass"):
        load_scorer(tmp_path / "smoothed.fcm")


def test_smoothed_calibration_learns_the_share_of_sure_mistakes() -> None:
    from feedclass.calibration import fit_smoothed_temperature

    rng = np.random.default_rng(5)
    y = rng.integers(0, 5, 5000)
    scores = 8.0 * np.eye(5)[y] + rng.normal(size=(5000, 5))
    _, clean_share = fit_smoothed_temperature(scores, y)
    noisy = y.copy()
    flip = rng.random(5000) < 0.1
    noisy[flip] = (noisy[flip] + 1) % 5
    _, noisy_share = fit_smoothed_temperature(scores, noisy)
    assert clean_share < 0.01 < 0.08 < noisy_share < 0.15


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 6)), min_size=4, max_size=60),
    st.integers(1, 4),
)
def test_whole_group_calibration_splits_hold_groups_out_whole(rows, folds) -> None:
    from feedclass.crossfit import calibration_splits

    y = np.array([r[0] for r in rows])
    g = np.array([r[1] for r in rows])
    tests = calibration_splits(y, 4, folds, 0.3, 0, g, None, whole_groups=True)
    fold_of = np.full(len(y), -1)
    for f, t in enumerate(tests):
        assert (fold_of[t] == -1).all()  # a row is held out at most once
        fold_of[t] = f
        # the internal fit without this fold still sees every topic it had
        assert set(y.tolist()) == set(np.delete(y, t).tolist())
    for f in range(len(tests)):
        # a group held out in a fold has no row training in the same fold's fit, except rows
        # of a topic that would otherwise vanish from it (then none of that topic is out)
        held = set(g[fold_of == f].tolist())
        for i in np.flatnonzero(np.isin(g, list(held)) & (fold_of != f)):
            assert fold_of[i] == -1
            assert not np.any((y == y[i]) & (fold_of == f))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 6)), min_size=2, max_size=60),
    st.integers(1, 4),
)
def test_whole_group_calibration_splits_hold_rows_out(rows, folds) -> None:
    """With a topic in every group and >= 2 groups, each fold that gets a group holds rows out."""
    from feedclass.crossfit import calibration_splits

    groups = sorted({r[1] for r in rows})
    rows = [*rows, *((0, grp) for grp in groups)]  # topic 0 in every group
    y = np.array([r[0] for r in rows])
    g = np.array([r[1] for r in rows])
    tests = calibration_splits(y, 4, folds, 0.3, 0, g, None, whole_groups=True)
    assert len(tests) == folds
    if len(groups) < 2:
        assert all(len(t) == 0 for t in tests)
        return
    assert sum(len(t) > 0 for t in tests) == min(folds, len(groups))
    if folds == 1:  # one split: some rows held out, some left to learn from
        assert 0 < len(tests[0]) < len(y)


def test_calibration_links_keep_a_held_out_story_out_of_the_internal_fit() -> None:
    """Each story told by two outlets: holding one outlet out leaves the story in training
    through the other, so the held-out scores look sure and the temperature comes out low;
    with the stories as links, the retelling leaves that internal fit too."""
    texts, labels = example_training()
    n = len(texts)
    both = texts + ["Срочно: " + t for t in texts]
    outlets = [f"c{i % 4}" for i in range(n)] + [f"c{(i + 1) % 4}" for i in range(n)]
    stories = [f"s{i}" for i in range(n)] * 2
    kw = {"n_features": 2**16, "calibration_whole_groups": True, "calibration_folds": 2}
    plain = TopicModel(**kw).fit(both, labels * 2, groups=outlets)
    linked = TopicModel(**kw).fit(both, labels * 2, groups=outlets, calibration_links=stories)
    assert linked.temperature_ > 3 * plain.temperature_
    assert np.array_equal(linked.coef_, plain.coef_)  # the same weights: only calibration
