"""Tests for feedclass.features.HashingFeatures on tiny hand-written headlines."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from feedclass.errors import DataError
from feedclass.features import HashingFeatures, _char_wb_ngrams, _word_ngrams
from feedclass.normalize import normalize_many
from tests.conftest import TEXT_API_CHECKS

HEADLINES = [
    "Курс тенге укрепился к доллару на бирже",
    "Нацбанк Казахстана сохранил базовую ставку",
    "В Алматы открылся новый каток для детей",
    "Сборная Казахстана по футболу обыграла Сербию",
    "Ученые КазНУ создали новый спутник",
    "Теңге бағамы долларға қатысты нығайды",
    "Алматыда балаларға арналған жаңа мұз айдыны ашылды",
    "Қазақстан құрамасы Сербияны жеңді",
    "Oil prices rise as OPEC cuts output",
    "Kazakhstan football team beats Serbia 2-1",
    "Scientists launch a new satellite",
    "Пожар на складе в Караганде потушен",
]
LABELS = [
    "economy",
    "economy",
    "society",
    "sport",
    "science",
    "economy",
    "society",
    "sport",
    "economy",
    "sport",
    "science",
    "incidents",
]


def _small(**kw: object) -> HashingFeatures:
    kw.setdefault("n_features", 2**16)
    return HashingFeatures(**kw)  # type: ignore[arg-type]


def _row_norms(X: sp.csr_matrix) -> np.ndarray:
    return np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())


def test_shape_dtype_and_unit_norm() -> None:
    X = _small().fit_transform(HEADLINES)
    assert sp.issparse(X) and X.format == "csr"
    assert X.shape == (len(HEADLINES), 2**16)
    assert X.dtype == np.float32
    np.testing.assert_allclose(_row_norms(X), 1.0, rtol=1e-5)
    # Column indices may be unsorted within a row, but never repeat.
    for i in range(X.shape[0]):
        row = X.indices[X.indptr[i] : X.indptr[i + 1]]
        assert len(set(row.tolist())) == len(row)


def test_fit_sets_learned_attributes() -> None:
    hf = _small().fit(HEADLINES)
    assert hf.idf_.dtype == np.float32 and hf.idf_.shape == (2**16,)
    assert hf.n_docs_ == len(HEADLINES)
    # Smooth idf of a bucket seen in every document is exactly 1.
    assert hf.idf_.max() <= math.log((1 + 12) / 2) + 1 + 1e-5
    assert hf.idf_.min() == 0.0  # unseen buckets are dropped


def test_deterministic_and_same_text_same_row() -> None:
    a = _small().fit(HEADLINES).transform(HEADLINES + HEADLINES[:1])
    b = _small().fit(HEADLINES).transform(HEADLINES)
    assert (a[: len(HEADLINES)] != b).nnz == 0
    assert (a[0] != a[len(HEADLINES)]).nnz == 0


def test_row_does_not_depend_on_batch() -> None:
    hf = _small().fit(HEADLINES)
    whole = hf.transform(HEADLINES)
    one = sp.vstack([hf.transform([t]) for t in HEADLINES]).tocsr()
    assert (whole != one).nnz == 0


def test_fixed_bucket_values_do_not_drift() -> None:
    # Model files store weights per bucket: a changed hash would silently break every model.
    got = HashingFeatures(n_features=2**20).ngrams_with_index("тенге ә")
    assert got[:3] == [(" т", 955100), ("те", 55469), ("ен", 197611)]
    assert got[-3:] == [("ә ", 608445), (" ә ", 294250), ("тенге", 799258)]


def test_kazakh_letters_differ_from_russian_lookalikes() -> None:
    hf = _small(word_ngram_range=None)
    kz = dict(hf.ngrams_with_index("әкім"))
    ru = dict(hf.ngrams_with_index("аким"))
    assert kz.keys().isdisjoint(ru.keys() - {"м ", "им", "им "})
    hf.fit(["әкім", "аким"])
    X = hf.transform(["әкім", "аким"])
    assert (X[0] != X[1]).nnz > 0
    assert set(X[0].indices) != set(X[1].indices)


def test_case_and_yo_folded_by_normalisation() -> None:
    hf = _small().fit(HEADLINES)
    X = hf.transform(["Ёлка в Астане", "елка в астане"])
    assert (X[0] != X[1]).nnz == 0


@pytest.mark.parametrize("bad", ["Курс тенге вырос", b"bytes headline"])
def test_bare_string_is_refused(bad: object) -> None:
    with pytest.raises(DataError, match=r"not a single string; wrap it: \[X\]"):
        _small().fit(bad)  # type: ignore[arg-type]
    hf = _small().fit(HEADLINES)
    with pytest.raises(DataError, match="not a single string"):
        hf.transform(bad)  # type: ignore[arg-type]


def test_none_and_nan_are_empty_rows() -> None:
    hf = _small().fit(HEADLINES)
    X = hf.transform([None, float("nan"), "", HEADLINES[0]])  # type: ignore[list-item]
    assert list(X.getnnz(axis=1)[:3]) == [0, 0, 0]
    assert X[3].nnz > 0


def test_non_text_item_is_refused() -> None:
    with pytest.raises(DataError, match=r"X\[1\] must be a str"):
        _small().fit(["ok", 42])  # type: ignore[list-item]


def test_numpy_object_array_accepted() -> None:
    hf = _small().fit(np.array(HEADLINES, dtype=object))
    assert hf.transform(np.array(HEADLINES)).shape[0] == len(HEADLINES)


def test_empty_fit_is_refused_and_empty_transform_ok() -> None:
    with pytest.raises(DataError, match="at least one text"):
        _small().fit([])
    assert _small().fit(HEADLINES).transform([]).shape == (0, 2**16)


def test_transform_before_fit_raises() -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        _small().transform(HEADLINES)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"char_ngram_range": (3, 2)}, "char_ngram_range must satisfy"),
        ({"word_ngram_range": "12"}, "word_ngram_range must be a pair"),
        ({"n_features": 0}, "n_features must be an int"),
        ({"min_df": 0}, "min_df must be an int"),
        ({"char_weight": -1.0}, "char_weight must be a number"),
        ({"char_ngram_range": None, "word_ngram_range": None}, "cannot both be None"),
    ],
)
def test_bad_parameters_raise(params: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _small(**params).fit(HEADLINES)


def test_min_df_drops_rare_buckets() -> None:
    loose = _small(min_df=1).fit(HEADLINES)
    strict = _small(min_df=2).fit(HEADLINES)
    assert (strict.idf_ > 0).sum() < (loose.idf_ > 0).sum()


def test_blocks_can_be_switched_off() -> None:
    hf_c = _small(word_ngram_range=None).fit(HEADLINES)
    hf_w = _small(char_ngram_range=None).fit(HEADLINES)
    nz_c = {b for _, b in hf_c.ngrams_with_index(HEADLINES[0])}
    nz_w = {b for _, b in hf_w.ngrams_with_index(HEADLINES[0])}
    assert set(hf_c.transform(HEADLINES[:1]).indices) == nz_c
    assert set(hf_w.transform(HEADLINES[:1]).indices) == nz_w


def test_ngrams_match_sklearn_analyzers() -> None:
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=False)
    word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), lowercase=False)
    for text in normalize_many([*HEADLINES, "a b  c", "x", "Ой, да!"]):
        assert _char_wb_ngrams(text, 2, 5) == char.build_analyzer()(text)
        assert sorted(_word_ngrams(text, 1, 2)) == sorted(word.build_analyzer()(text))


def test_ngrams_with_index_equals_nonzero_columns() -> None:
    hf = _small(n_features=2**20).fit(HEADLINES)
    X = hf.transform(HEADLINES)
    for i, text in enumerate(HEADLINES):
        pairs = hf.ngrams_with_index(text)
        assert {b for _, b in pairs} == set(X[i].indices.tolist())
        assert len(pairs) == len(set(pairs))


def test_char_and_word_ngrams_hash_apart() -> None:
    # "ab" as a char bigram and as a word must land in different buckets.
    pairs = _small(n_features=2**30).ngrams_with_index("ab")
    buckets = {}
    for g, b in pairs:
        buckets.setdefault(g, set()).add(b)
    assert len(buckets["ab"]) == 2


def test_clone_and_pipeline_with_logistic_regression() -> None:
    hf = _small(min_df=1, char_weight=1.0)
    twin = clone(hf)
    assert twin.get_params() == hf.get_params() and not hasattr(twin, "idf_")
    pipe = make_pipeline(clone(hf), LogisticRegression(C=10.0, max_iter=1000))
    pipe.fit(HEADLINES, LABELS)
    assert list(pipe.predict(HEADLINES)) == LABELS
    assert pipe.predict(["Курс тенге упал к доллару"])[0] == "economy"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(), st.none()), max_size=8))
def test_any_unicode_never_crashes(texts: list[str | None]) -> None:
    hf = _small(n_features=2**12).fit([*HEADLINES, *[t for t in texts if t]])
    X = hf.transform(texts)
    assert X.shape == (len(texts), 2**12)
    assert np.isfinite(X.data).all()
    norms = _row_norms(X)
    assert np.all((norms == 0) | (np.abs(norms - 1) < 1e-5))


def _reference_row(hf: HashingFeatures, text: str) -> np.ndarray:
    """Slow pure-Python TF-IDF of one text, to check the kernel's arithmetic."""
    from collections import Counter

    from feedclass.features import _CHAR_SEED_INT, _WORD_SEED_INT, _ref_bucket

    nf = hf.n_features
    norm = normalize_many([text])[0]
    row = np.zeros(nf)
    for seed, grams, weight in (
        (_CHAR_SEED_INT, _char_wb_ngrams(norm, 2, 5), hf.char_weight),
        (_WORD_SEED_INT, _word_ngrams(norm, 1, 2), hf.word_weight),
    ):
        block = np.zeros(nf)
        for b, tf in Counter(_ref_bucket(seed, g, nf) for g in grams).items():
            block[b] = (1 + math.log(tf)) * hf.idf_[b]
        if block.any():
            row += weight * block / np.linalg.norm(block)
    return row / np.linalg.norm(row) if row.any() else row


@pytest.mark.parametrize("weights", [(1.0, 1.0), (1.0, 0.5)])
def test_values_match_pure_python_reference(weights: tuple[float, float]) -> None:
    texts = [*HEADLINES, "да да да нет нет", "ой-ой-ой ой"]
    # Few buckets, so char/word collisions and repeated buckets are exercised too.
    hf = _small(n_features=2**9, char_weight=weights[0], word_weight=weights[1]).fit(texts)
    X = hf.transform(texts).toarray()
    for i, text in enumerate(texts):
        np.testing.assert_allclose(X[i], _reference_row(hf, text), atol=1e-6)


def test_threads_give_identical_result() -> None:
    texts = HEADLINES * 400  # enough rows to split across threads
    one = _small(n_jobs=1).fit(texts)
    many = _small(n_jobs=3).fit(texts)
    np.testing.assert_array_equal(one.idf_, many.idf_)
    a, b = one.transform(texts), many.transform(texts)
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.data, b.data)


def test_decision_scores_equal_sparse_product() -> None:
    texts = HEADLINES * 400
    hf = _small().fit(texts)
    rng = np.random.default_rng(0)
    coef = rng.standard_normal((4, hf.n_features)).astype(np.float32)
    intercept = rng.standard_normal(4).astype(np.float32)
    want = hf.transform(texts) @ coef.T + intercept
    got = hf.decision_scores(texts, coef, intercept)
    assert got.shape == (len(texts), 4) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        hf.decision_scores(texts[:3], np.asfortranarray(coef)),
        want[:3] - intercept,
        rtol=1e-4,
        atol=1e-5,
    )
    with pytest.raises(ValueError, match=r"coef must have shape \(n_classes, 65536\)"):
        hf.decision_scores(texts, coef[:, :10])


def test_decision_scores_match_logistic_regression() -> None:
    hf = _small().fit(HEADLINES)
    clf = LogisticRegression(C=10.0, max_iter=1000).fit(hf.transform(HEADLINES), LABELS)
    scores = hf.decision_scores(HEADLINES, clf.coef_, clf.intercept_)
    np.testing.assert_allclose(scores, clf.decision_function(hf.transform(HEADLINES)), atol=1e-4)


def test_one_compiled_specialisation_for_all_paths() -> None:
    # Each extra numba specialisation costs seconds of compile time on first use.
    from feedclass.ngrams import hash_batch

    hf = _small().fit(HEADLINES)
    ro = hf.idf_.astype(np.float64)
    ro.flags.writeable = False
    hf.idf_ = ro  # e.g. loaded from a model file
    hf.transform(HEADLINES)
    coef = np.asfortranarray(np.ones((2, hf.n_features), np.float32))
    coef.flags.writeable = False
    hf.decision_scores(HEADLINES, coef)
    hf.transform(["😀 𝔸𝔹 emoji and math letters"])
    assert len(hash_batch.signatures) == 1


@pytest.mark.parametrize("check", TEXT_API_CHECKS)
def test_sklearn_api_checks(check: str) -> None:
    import sklearn.utils.estimator_checks as ec

    getattr(ec, check)("HashingFeatures", HashingFeatures())


def test_text_transformer_contract() -> None:
    # What scikit-learn's generic checks assert, on text (they skip a string estimator): fit
    # returns self and leaves its input alone; fitting again learns the same; fit_transform is
    # fit then transform; a clone is unfitted with the same parameters; fitted attributes end
    # in "_" and none is set by __init__.
    texts = list(HEADLINES)
    hf = HashingFeatures(n_features=2**10)
    assert not [k for k in vars(hf) if k.endswith("_")]
    assert hf.fit(texts) is hf
    assert texts == HEADLINES
    learned = sorted(k for k in vars(hf) if k.endswith("_") and not k.startswith("_"))
    assert learned and "idf_" in learned
    X = hf.transform(HEADLINES)
    assert sp.issparse(X) and X.shape == (len(HEADLINES), 2**10)
    again = HashingFeatures(n_features=2**10).fit(list(reversed(HEADLINES)))
    assert (again.transform(HEADLINES) != X).nnz == 0
    assert (HashingFeatures(n_features=2**10).fit_transform(HEADLINES) != X).nnz == 0
    twin = clone(hf)
    assert twin.get_params() == hf.get_params() and not hasattr(twin, "idf_")
    assert (twin.set_params(n_features=2**12).fit(HEADLINES).transform(HEADLINES)).shape[1] == 2**12


def test_nul_in_text_takes_the_per_text_path_with_same_result() -> None:
    hf = _small().fit(HEADLINES)
    a = hf.transform(["Курс\x00тенге вырос", "ok"])
    b = hf.transform(["Курс тенге вырос", "ok"])
    assert (a != b).nnz == 0


@pytest.mark.slow
def test_works_without_a_writable_numba_cache() -> None:
    # E.g. a read-only site-packages and no writable home: compile in memory instead.
    import subprocess
    import sys

    code = (
        "import numba.core.caching as c\n"
        "c.CacheImpl._locator_classes = []\n"
        "import feedclass.features as f\n"
        "import feedclass.ngrams as k\n"
        "assert type(k.hash_batch._cache).__name__ == 'NullCache'\n"
        "print(f.HashingFeatures(n_features=256).fit(['ab cd']).transform(['ab']).nnz)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) > 0
