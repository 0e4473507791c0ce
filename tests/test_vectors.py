"""Tests for feedclass.vectors: word vectors placed on hashed columns and folded into weights."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from feedclass import TopicModel, load_model
from feedclass.errors import DataError
from feedclass.features import HashingFeatures
from feedclass.vectors import WordVectors, augment, fold

TRAIN = [
    "Матч закончился победой хозяев",
    "Хоккеисты выиграли матч в овертайме",
    "Тренер сборной подал в отставку после матча",
    "Курс тенге вырос на бирже",
    "Банк снизил ставку по кредитам",
    "Цены на бензин выросли на бирже",
]
LABELS = ["sport", "sport", "sport", "economy", "economy", "economy"]
# Toy vectors: a word the training set never has ("турнир", "инфляция") points the same way as
# one of its words of one topic.
WORDS = ["матч", "турнир", "биржа", "бирже", "инфляция", "ставку"]
VECS = np.array(
    [
        [1.0, 0.0, 0.1],
        [0.95, 0.05, 0.1],
        [0.0, 1.0, 0.1],
        [0.0, 1.0, 0.1],
        [0.05, 0.95, 0.1],
        [0.1, 0.9, 0.1],
    ]
)


def test_word_buckets_are_the_word_unigram_columns():
    hf = HashingFeatures(n_features=2**16)
    cols = dict(hf.ngrams_with_index("матч"))
    (b,) = hf.word_buckets(["Матч"])
    # "матч" is both a char n-gram of " матч " and a word unigram; the word one is in the list.
    assert b in cols.values()
    assert hf.word_buckets(["два слова", "x", ""]).tolist() == [-1, -1, -1]


def test_bucket_matrix_puts_each_unit_vector_on_its_word_column():
    hf = HashingFeatures(n_features=2**16)
    wv = WordVectors(WORDS, VECS)
    E = wv.bucket_matrix(hf)
    b = hf.word_buckets(["турнир"])[0]
    row = E[b].toarray()[0]
    assert np.allclose(row, wv.vectors[1])
    assert abs(np.linalg.norm(row) - 1.0) < 1e-5


def test_fold_gives_the_scores_of_the_augmented_features():
    hf = HashingFeatures(n_features=2**12).fit(TRAIN)
    E = WordVectors(WORDS, VECS).bucket_matrix(hf)
    M = hf.transform(TRAIN)
    rng = np.random.default_rng(0)
    coef = rng.normal(size=(2, M.shape[1] + E.shape[1]))
    aug = augment(M, E, 0.7)
    folded = fold(coef[:, : M.shape[1]], coef[:, M.shape[1] :], E, 0.7)
    assert np.allclose(aug @ coef.T, M @ folded.T)


def test_an_unseen_word_takes_the_topic_of_the_words_it_is_like(tmp_path):
    wv = WordVectors(WORDS, VECS)
    plain = TopicModel(calibrate=False, n_features=2**16).fit(TRAIN, LABELS)
    with_vec = TopicModel(
        calibrate=False, n_features=2**16, vector_weight=2.0, word_vectors=wv
    ).fit(TRAIN, LABELS)
    new = ["Турнир", "Инфляция"]
    assert with_vec.predict(new).tolist() == ["sport", "economy"]
    # Two topics: one score, for "sport". The vectors move each unseen word towards its topic.
    gain = with_vec.decision_function(new) - plain.decision_function(new)
    assert gain[0] > 0 > gain[1]
    # The saved model holds the folded weights: it needs no vectors to predict the same.
    path = tmp_path / "m.fcm"
    with_vec.save(path)
    loaded = load_model(path)
    assert "word_vectors" not in loaded.metadata_["params"]
    assert loaded.metadata_["params"]["vector_weight"] == 2.0
    assert np.allclose(loaded.decision_function(new), with_vec.decision_function(new))


def test_clone_shares_the_read_only_vectors():
    wv = WordVectors(WORDS, VECS)
    m = clone(TopicModel(vector_weight=1.0, word_vectors=wv))
    assert m.word_vectors is wv


def test_vectors_of_the_wrong_shape_are_refused():
    with pytest.raises(DataError, match=r"vectors must have shape \(len\(words\), dim\)"):
        WordVectors(["a", "b"], np.zeros((3, 2)))


@pytest.mark.parametrize("split", [None, "grouped"])
def test_calibrated_fit_with_vectors_gives_probabilities(split):
    # The calibration's internal fits see the vector block beside the hashed columns: a
    # calibrated fit with vectors used to stop on a shape error there.
    wv = WordVectors(WORDS, VECS)
    texts, labels = TRAIN * 4, LABELS * 4
    groups = [f"g{i % 12}" for i in range(len(texts))] if split else None
    model = TopicModel(n_features=2**16, vector_weight=0.5, word_vectors=wv)
    model.fit(texts, labels, groups=groups)
    proba = model.predict_proba(["Турнир", "Инфляция"])
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert model.predict(["Турнир", "Инфляция"]).tolist() == ["sport", "economy"]


# Kazakh and English training headlines: the vectors (Russian) must leave their scores alone.
OTHER = [
    "Құрама командасы матчта жеңді",
    "Team wins the match in overtime",
    "Теңге бағамы биржада өсті",
    "Oil prices rise on the exchange",
]
OTHER_LABELS = ["sport", "sport", "economy", "economy"]


def test_vectors_reach_russian_headlines_only_in_fit_and_predict(tmp_path):
    wv = WordVectors(WORDS, VECS)
    texts, labels = TRAIN + OTHER, LABELS + OTHER_LABELS
    plain = TopicModel(calibrate=False, n_features=2**16).fit(texts, labels)
    ru_only = TopicModel(calibrate=False, n_features=2**16, vector_weight=2.0, word_vectors=wv).fit(
        texts, labels
    )
    assert ru_only.ru_used_ is not None and ru_only.ru_delta_.shape[1] == 2
    # A Russian headline with an unseen word takes its vector's topic ...
    assert ru_only.predict(["Турнир", "Инфляция"]).tolist() == ["sport", "economy"]
    # ... a Kazakh or English one that has the same word is scored by the n-grams alone: the
    # vectors' change is not applied to it (the model without it scores it the same way up
    # to the n-gram weights, which the vector block shifted in training).
    foreign = ["Турнир өтті", "Турнир is over", "Инфляция өсті"]
    base_scores = ru_only.features_.decision_scores(foreign, ru_only.coef_, ru_only.intercept_)
    assert np.allclose(ru_only.decision_function(foreign), base_scores[:, 1] - base_scores[:, 0])
    assert not np.allclose(
        ru_only.decision_function(["Турнир"]),
        np.diff(ru_only.features_.decision_scores(["Турнир"], ru_only.coef_, ru_only.intercept_)),
    )
    # Saved and loaded, and through the scorer the CLI runs: the same scores, bit for bit.
    path = tmp_path / "m.fcm"
    ru_only.save(path)
    loaded = load_model(path)
    mixed = ["Турнир", "Турнир өтті", "Team wins", "Инфляция выросла", ""]
    assert np.array_equal(loaded.predict_proba(mixed), ru_only.predict_proba(mixed))
    from feedclass.scorer import load_scorer

    assert np.array_equal(load_scorer(path).predict_proba(mixed), ru_only.predict_proba(mixed))
    assert plain.predict(["Турнир"]).shape == (1,)


def test_vector_scope_all_folds_the_vectors_into_every_headline():
    wv = WordVectors(WORDS, VECS)
    m = TopicModel(
        calibrate=False, n_features=2**16, vector_weight=2.0, word_vectors=wv, vector_scope="all"
    ).fit(TRAIN + OTHER, LABELS + OTHER_LABELS)
    assert m.ru_used_ is None
    assert m.predict(["Турнир өтті"]).tolist() == ["sport"]
    with pytest.raises(ValueError, match="vector_scope must be one of"):
        TopicModel(vector_weight=1.0, word_vectors=wv, vector_scope="ru").fit(TRAIN, LABELS)


def test_a_correction_and_a_new_topic_keep_the_russian_weights():
    wv = WordVectors(WORDS, VECS)
    m = TopicModel(calibrate=False, n_features=2**16, vector_weight=2.0, word_vectors=wv)
    m.fit(TRAIN + OTHER, LABELS + OTHER_LABELS)
    m.partial_fit(["Новый смартфон представлен"] * 2, ["tech"] * 2, sample_weight=[5.0, 5.0])
    assert m.ru_delta_.shape == (m.ru_used_.size, 3)
    assert m.predict(["Турнир", "Смартфон представлен"]).tolist() == ["sport", "tech"]


def test_calibration_scores_an_unseen_russian_word_through_its_vector():
    # The temperature is fitted on held-out scores: they must be the scores the model gives,
    # where a Russian word no fit saw still counts through its vector (a Kazakh one does not).
    from feedclass.crossfit import held_out_scores

    texts = ["Матч выиграли", "Курс упал", "Турнир", "Турнир өтті"]
    feats = HashingFeatures(n_features=2**12).fit(texts)
    E = WordVectors(WORDS, VECS).bucket_matrix(feats)
    y = np.array([0, 1, 0, 0])
    nf = feats.n_features

    def fit(M, y, n, cost):  # a stand-in: weight on the first vector dimension only
        coef = np.zeros((n, M.shape[1]))
        coef[0, nf] = 1.0
        return coef, np.zeros(n)

    M = augment(feats.transform(texts), E, 1.0, np.array([True, True, True, False]))
    s = held_out_scores(
        [np.array([2, 3])],
        texts,
        M,
        y,
        2,
        np.ones(4),
        fit,
        feats,
        E,
        1.0,
        vector_rows=np.array([True, True, True, False]),
    )
    assert s[0, 0] > 0.3  # "Турнир": its vector reached the score
    assert s[1, 0] == 0.0  # the Kazakh headline has no vector block


def test_a_file_with_half_of_the_russian_weights_is_refused(tmp_path):
    from feedclass.errors import ModelFileError
    from feedclass.modelfile import write_model_file
    from feedclass.modelsave import model_file_parts

    wv = WordVectors(WORDS, VECS)
    m = TopicModel(calibrate=False, n_features=2**16, vector_weight=2.0, word_vectors=wv)
    m.fit(TRAIN + OTHER, LABELS + OTHER_LABELS)
    header, arrays = model_file_parts(m, {"created": "2026-01-01T00:00:00+00:00"})
    del arrays["ru_delta"]
    write_model_file(tmp_path / "half.fcm", header, arrays)
    with pytest.raises(ModelFileError, match="both 'ru_used' and 'ru_delta', or neither"):
        load_model(tmp_path / "half.fcm")
    arrays["ru_delta"] = np.zeros((2, 3), np.float16)  # three buckets' worth for many
    write_model_file(tmp_path / "short.fcm", header, arrays)
    with pytest.raises(ModelFileError, match="ru_used and ru_delta disagree"):
        load_model(tmp_path / "short.fcm")
