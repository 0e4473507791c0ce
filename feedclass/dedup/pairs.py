"""Pair scoring: the named features of a pair of headlines, their kernel, weights and vetoes.

A pair's features are one row of floats whose columns :class:`Feature` names; the numba kernel
:func:`feature_rows` fills them, cheap ones first. The pair model is a logistic regression over
the terms :class:`Term` names (one weight each in :data:`WEIGHTS`), written once in
:func:`_logit_rest`; :func:`design` derives the fitting matrix from that same function, and the
hard vetoes are written once in :func:`is_vetoed`, so features, kernel, weights and vetoes
cannot drift apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numba
import numpy as np

from feedclass.dedup.candidates import candidate_pairs
from feedclass.dedup.facts import (
    n_excess,
    n_missing,
    n_missing_plain,
    name_slips,
    numbers_unmatched,
    surname_excess,
    tail_excess,
)
from feedclass.dedup.featurize import Features, Idf, featurize, join_features
from feedclass.dedup.inputs import check_headlines
from feedclass.dedup.vectors import meaning_match
from feedclass.errors import DataError
from feedclass.jit import jit

__all__ = [
    "FEATURES",
    "NAME_VETO_WORDS",
    "N_FEATURES",
    "WEIGHTS",
    "Feature",
    "ScoredPairs",
    "Term",
    "design",
    "feature_rows",
    "is_vetoed",
    "kernel_args",
    "pair_features",
    "pair_scores",
    "pair_similarities",
    "score_batch",
    "score_features",
    "score_rows",
    "vetoed",
]


class Feature(IntEnum):
    """Columns of a pair-feature row (:func:`pair_features`).

    Conflicts (``*_CONFLICT``, ``SUBSTITUTION``, ``OPPOSITE``) are 1.0 or 0.0; ``SKIPPED`` is 1.0
    when the kernel stopped early (a veto, or a score that cannot reach the minimum): such a row
    scores 0 and its later columns are not filled.

    Examples
    --------
    >>> Feature.NUMBER_CONFLICT.value, FEATURES[Feature.NUMBER_CONFLICT]
    (2, 'number_conflict')
    """

    CHAR_COS = 0  # cosine of the character 3-gram TF-IDF rows
    WORD_COS = 1  # cosine of the stem TF-IDF rows
    NUMBER_CONFLICT = 2  # each side has a number the other lacks
    MONTH_CONFLICT = 3  # each side has a month, weekday or currency the other lacks
    ENTITY_CONFLICT = 4  # each side has a name the other's words do not account for
    NAMES_MISSING = 5  # names of either side the other lacks, counted
    SUBSTITUTION = 6  # only names or numbers differ (a templated headline)
    CONTAINMENT = 7  # share of the shorter side's stems found in the longer
    WORDS_MISSING = 8  # plain stems (not names, not numbers) of either side the other lacks
    BOTH_MISSING = 9  # the smaller of the two sides' missing plain stems
    SHARED_NUMBERS = 10  # IDF of the shared numbers, scaled
    BOTH_MISSING_SHARE = 11  # the smaller share of a side's stems the other lacks
    SPECIFICITY = 12  # summed IDF of the shared stems minus log N
    RAREST_SHARED = 13  # IDF of the rarest shared stem, scaled
    MEANING_MATCH = 14  # how close in meaning the unshared words are (word vectors)
    UNEXPLAINED = 15  # the larger share of a side's word weight the other leaves unexplained
    BOTH_UNEXPLAINED = 16  # the smaller such share
    OPPOSITE = 17  # an event on one side meets its opposite on the other
    SKIPPED = 18  # the kernel stopped early: the pair scores 0
    IDF_CONTAINMENT = 19  # share of one side's word weight (IDF) that the other side has too
    NAME_SLIPS = 20  # names of one side that are a slip of the pen of a name of the other


#: Feature names in column order (``Feature(k).name.lower()``).
FEATURES = tuple(f.name.lower() for f in Feature)
N_FEATURES = len(Feature)
F = Feature  # short name inside the kernels


class Term(IntEnum):
    """Terms of the pair model, one weight each in :data:`WEIGHTS` (bias first).

    Counts are capped and scaled to [0, 1]; see :func:`_logit_rest`, their one definition.

    Examples
    --------
    >>> len(Term) == WEIGHTS.size, float(WEIGHTS[Term.BIAS]) < 0
    (True, True)
    """

    BIAS = 0
    CHAR_COS = 1
    WORD_COS = 2
    CONTAINMENT = 3
    ENTITY_CONFLICT = 4
    NAMES_MISSING = 5  # names_missing / 4
    WORDS_MISSING = 6  # words_missing / 8
    BOTH_MISSING = 7  # both_missing / 4
    SHARED_NUMBERS = 8  # shared_numbers / 2
    BOTH_MISSING_TWO = 9  # 1 if both sides miss two or more plain stems
    BOTH_MISSING_SHARE = 10
    SPECIFICITY = 11  # specificity clipped to [-5, 15], / 10
    RAREST_SHARED = 12
    MEANING_MATCH = 13
    UNEXPLAINED = 14
    BOTH_UNEXPLAINED = 15
    MEANING_X_RAREST = 16  # the unshared words mean the same *and* a rare word is shared
    IDF_CONTAINMENT = 17


T = Term  # short name inside the kernels
N_TERMS = len(Term)


# Weights of the pair model, one per :class:`Term` in its order: logistic regression with sign
# constraints -- similarity terms may only raise the score and difference terms only lower it
# -- so no weight rewards a difference because of a quirk of one data set. Fitted on the *fit*
# part of ParaPhraser only (split by connected components of headlines; the choose and report
# parts never reach the fit) plus feed candidates we labelled by reading
# (``training/dedup_labels/feed_pairs.csv``, those of fit-part headlines and of the Telegram
# fit part's stories, ``eval_dedup.tg_parts``), which show the different stories on one
# subject that ParaPhraser's own pairs seldom do; the Telegram ones weigh more
# (``eval_dedup.TG_PAIR_WEIGHT``, chosen on the choose parts). ``python
# benchmarks/eval_dedup.py --fit`` refits them; ``python benchmarks/eval_dedup.py`` prints how
# they do on the held-out report part.
WEIGHTS = np.array(
    [
        -3.7079,
        1.5632,
        0.6104,
        0.5455,
        -0.7144,
        -0.0567,
        -0.4712,
        -0.2531,
        1.0679,
        0.0,
        0.0,
        0.9752,
        1.9795,
        0.5611,
        -0.3683,
        -0.5217,
        1.0951,
        0.5233,
    ]
)

# A name substitution vetoes a merge when at most this many other words differ: more vetoes a
# place named two ways ("Под Петербургом"/"В Ленобласти"); none lets a copy with one filler
# word merge with its neighbour from another city.
NAME_VETO_WORDS = 1


assert len(WEIGHTS) == N_TERMS  # one weight per term


@jit(inline="always")
def is_vetoed(x, name_veto_words):  # pragma: no cover - numba
    """Whether the hard vetoes refuse the feature row ``x`` (or the kernel skipped it).

    Numbers, months or names substituted (a templated headline); names that conflict while at
    most ``name_veto_words`` other words differ ("... в Караганде" / "... в Костанае"), or
    while only one side adds words (a phrase added to a templated neighbour: still two
    places); an event and its opposite ("прекратила" / "возобновила"). A vetoed pair scores 0.
    """
    return (
        x[F.SKIPPED] > 0
        or x[F.NUMBER_CONFLICT] > 0
        or x[F.MONTH_CONFLICT] > 0
        or x[F.SUBSTITUTION] > 0
        or (
            x[F.ENTITY_CONFLICT] > 0
            and (x[F.WORDS_MISSING] <= name_veto_words or x[F.BOTH_MISSING] == 0)
        )
        or x[F.OPPOSITE] > 0
    )


@jit(inline="always")
def _logit_rest(x, w):  # pragma: no cover - numba
    """Logit of the pair model without the character-cosine term (one feature row ``x``).

    The one definition of the terms: :func:`design` reads each term back from here.
    """
    return (
        w[T.BIAS]
        + w[T.WORD_COS] * x[F.WORD_COS]
        + w[T.CONTAINMENT] * x[F.CONTAINMENT]
        + w[T.ENTITY_CONFLICT] * x[F.ENTITY_CONFLICT]
        + w[T.NAMES_MISSING] * min(x[F.NAMES_MISSING], 4.0) / 4.0
        + w[T.WORDS_MISSING] * min(x[F.WORDS_MISSING], 8.0) / 8.0
        + w[T.BOTH_MISSING] * min(x[F.BOTH_MISSING], 4.0) / 4.0
        + w[T.SHARED_NUMBERS] * min(x[F.SHARED_NUMBERS], 2.0) / 2.0
        + w[T.BOTH_MISSING_TWO] * (1.0 if x[F.BOTH_MISSING] >= 2.0 else 0.0)
        + w[T.BOTH_MISSING_SHARE] * x[F.BOTH_MISSING_SHARE]
        + w[T.SPECIFICITY] * min(max(x[F.SPECIFICITY], -5.0), 15.0) / 10.0
        + w[T.RAREST_SHARED] * x[F.RAREST_SHARED]
        + w[T.MEANING_MATCH] * x[F.MEANING_MATCH]
        + w[T.UNEXPLAINED] * x[F.UNEXPLAINED]
        + w[T.BOTH_UNEXPLAINED] * x[F.BOTH_UNEXPLAINED]
        + w[T.MEANING_X_RAREST] * x[F.MEANING_MATCH] * min(x[F.RAREST_SHARED], 1.0)
        + w[T.IDF_CONTAINMENT] * x[F.IDF_CONTAINMENT]
    )


@jit
def _design_rows(x):  # pragma: no cover - numba
    n_terms = N_TERMS
    out = np.zeros((x.shape[0], n_terms - 1), dtype=np.float64)
    unit = np.zeros(n_terms, dtype=np.float64)
    for p in range(x.shape[0]):
        out[p, 0] = x[p, F.CHAR_COS]
        for t in range(T.CHAR_COS + 1, n_terms):
            unit[t] = 1.0
            out[p, t - 1] = _logit_rest(x[p], unit)
            unit[t] = 0.0
    return out


def design(x: np.ndarray) -> np.ndarray:
    """The model's terms for each feature row, as columns; column ``k`` goes with ``WEIGHTS[k+1]``.

    For fitting the weights (``benchmarks/eval_dedup.py --fit``). Each column is read back from
    :func:`_logit_rest` with a unit weight, so it is the very term the scorer weighs, and
    ``WEIGHTS[0] + design(x) @ WEIGHTS[1:]`` is the logit of every row that is not vetoed.

    Examples
    --------
    >>> x = np.zeros((1, N_FEATURES)); x[0, Feature.CHAR_COS] = 0.5; x[0, Feature.NAMES_MISSING] = 8
    >>> design(x)[0, [Term.CHAR_COS - 1, Term.NAMES_MISSING - 1]].tolist()
    [0.5, 1.0]
    """
    return _design_rows(np.ascontiguousarray(x, dtype=np.float64))


@jit
def _vetoed_rows(x, name_veto_words):  # pragma: no cover - numba
    out = np.zeros(x.shape[0], dtype=np.bool_)
    for p in range(x.shape[0]):
        out[p] = is_vetoed(x[p], name_veto_words)
    return out


def vetoed(x: np.ndarray) -> np.ndarray:
    """Rows the hard vetoes refuse (or the kernel skipped): their score is 0 (:func:`is_vetoed`).

    Examples
    --------
    >>> x = np.zeros((3, N_FEATURES))
    >>> x[1, Feature.OPPOSITE] = 1.0
    >>> x[2, Feature.ENTITY_CONFLICT] = 1.0; x[2, Feature.WORDS_MISSING] = 3.0
    >>> x[2, Feature.BOTH_MISSING] = 1.0
    >>> vetoed(x).tolist()  # a name conflict with other words changed on both sides is no veto
    [False, True, False]
    >>> x[2, Feature.BOTH_MISSING] = 0.0
    >>> vetoed(x).tolist()  # ... but words only added on one side leave a name substitution
    [False, True, True]
    """
    return _vetoed_rows(np.ascontiguousarray(x, dtype=np.float64), NAME_VETO_WORDS)


@jit
def score_rows(x, w, name_veto_words):  # pragma: no cover - numba
    """Score in [0, 1] of each feature row: 0 if vetoed, else the pair model's probability."""
    out = np.zeros(x.shape[0], dtype=np.float64)
    for p in range(x.shape[0]):
        if is_vetoed(x[p], name_veto_words):
            continue
        z = w[T.CHAR_COS] * x[p, F.CHAR_COS] + _logit_rest(x[p], w)
        out[p] = 1.0 / (1.0 + math.exp(-z))
    return out


def score_features(x: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Similarity in [0, 1] from pair features; substituted numbers/months/names score 0.

    Examples
    --------
    >>> x = np.zeros((2, N_FEATURES)); x[1, Feature.NUMBER_CONFLICT] = 1.0
    >>> s = score_features(x); bool(s[0] > 0), float(s[1])
    (True, 0.0)
    """
    w = WEIGHTS if weights is None else np.asarray(weights, dtype=np.float64)
    return score_rows(np.ascontiguousarray(x, dtype=np.float64), w, NAME_VETO_WORDS)


@jit(parallel=True)
def _feature_rows_par(pi, pj, *rest):  # pragma: no cover - numba
    """``feature_rows`` over blocks of pairs on all cores (each pair's row is independent)."""
    n = pi.shape[0]
    out = np.empty((n, N_FEATURES), dtype=np.float64)
    nb = min(max(n // 8192, 1), 256)
    for b in numba.prange(nb):
        a = n * b // nb
        e = n * (b + 1) // nb
        out[a:e] = feature_rows(pi[a:e], pj[a:e], *rest)
    return out


def kernel_args(f: Features, min_score: float) -> tuple[Any, ...]:
    """What :func:`feature_rows` reads after the pair indices, in its order."""
    return (
        *f.char,
        f.word_val,
        *f.numbers,
        f.number_idf,
        f.number_amounts,
        *f.months,
        *f.entities,
        *f.stems,
        f.stem_idf,
        f.stem_vec,
        f.stem_pole,
        f.vectors,
        *f.entities_all,
        *f.stems_all,
        *f.surnames,
        *f.tail_names,
        *f.tail_roles,
        *f.name_letters,
        f.log_n,
        WEIGHTS,
        NAME_VETO_WORDS,
        float(min_score),
    )


def pair_features(
    f: Features,
    pi: np.ndarray,
    pj: np.ndarray,
    min_score: float = 0.0,
    other: Features | None = None,
) -> np.ndarray:
    """Feature rows (columns: :class:`Feature`) of the pairs ``(pi[k], pj[k])`` of a batch.

    Parameters
    ----------
    f : Features
        The featurised batch (:func:`feedclass.dedup.featurize.featurize`).
    pi, pj : array of int
        Row indices, one pair per position: both into ``f``, or with ``other`` ``pj`` into
        ``other``.
    min_score : float
        Rows that cannot reach this score are cut short and marked ``SKIPPED`` (score 0).
    other : Features, optional
        A second batch featurised with the same IDF (pairs across two batches).

    Examples
    --------
    >>> f, idf = featurize(["Курс доллара на 5 мая", "Курс доллара на 6 мая"])
    >>> x = pair_features(f, np.array([0]), np.array([1]))
    >>> float(x[0, Feature.NUMBER_CONFLICT]), float(score_features(x)[0])
    (1.0, 0.0)
    >>> g, _ = featurize(["Курс доллара на 5 мая - ТАСС"], idf)
    >>> float(pair_features(f, np.array([1]), np.array([0]), other=g)[0, Feature.NUMBER_CONFLICT])
    1.0
    """
    pi = np.asarray(pi, dtype=np.int64)
    pj = np.asarray(pj, dtype=np.int64)
    if other is not None:
        f, pj = join_features(f, other), pj + f.n
    return _feature_rows_par(pi, pj, *kernel_args(f, min_score))


def pair_scores(
    f: Features,
    pi: np.ndarray,
    pj: np.ndarray,
    min_score: float = 0.0,
    other: Features | None = None,
) -> np.ndarray:
    """Similarity in [0, 1] of the pairs ``(pi[k], pj[k])`` of a featurised batch.

    :func:`score_features` of :func:`pair_features`, and 1.0 for two headlines identical after
    folding. Pairs that cannot reach ``min_score`` may score 0. With ``other`` (a second batch
    featurised with the same IDF), ``pj`` indexes ``other``.

    Examples
    --------
    >>> f, idf = featurize(["Пожар на складе в Алматы", "Срочно: пожар на складе в Алматы",
    ...                     "Курс доллара на 5 мая"])
    >>> s = pair_scores(f, np.array([0, 0]), np.array([1, 2]))
    >>> float(s[0]), bool(s[1] < 0.1)
    (1.0, True)
    >>> g, _ = featurize(["Пожар на складе в Алматы | Tengrinews"], idf)
    >>> pair_scores(f, np.array([1, 2]), np.array([0, 0]), other=g).round(2).tolist()[0]
    1.0
    """
    pi = np.asarray(pi, dtype=np.int64)
    pj = np.asarray(pj, dtype=np.int64)
    if other is not None:
        f, pj = join_features(f, other), pj + f.n
    score = score_features(pair_features(f, pi, pj, min_score))
    score[f.clean_hash[pi] == f.clean_hash[pj]] = 1.0  # identical after folding
    return score


@jit(inline="always")
def _dot(ptr, idx, val, i, j):
    """Dot product of two sorted sparse rows (merge join)."""
    a = ptr[i]
    ae = ptr[i + 1]
    b = ptr[j]
    be = ptr[j + 1]
    s = 0.0
    while a < ae and b < be:
        x = idx[a]
        y = idx[b]
        if x == y:
            s += val[a] * val[b]
            a += 1
            b += 1
        elif x < y:
            a += 1
        else:
            b += 1
    return s


@jit(inline="always")
def _find(ptr, idx, i, x):
    """Position of ``x`` in row i of a ragged array, -1 if absent."""
    for a in range(ptr[i], ptr[i + 1]):
        if idx[a] == x:
            return a
    return -1


@jit(inline="always")
def _row_sum(ptr, val, i):
    """Sum of row i's values."""
    t = 0.0
    for a in range(ptr[i], ptr[i + 1]):
        t += val[a]
    return t


@jit(inline="always")
def _shared_idf(ptr, idx, val, w_val, i, j):
    """How many ids the sorted rows i and j have in common, their summed and largest ``val``,
    and in the same walk the dot product of their ``w_val`` (a headline's word TF-IDF row has
    its stem row's entries in the same order, so the stem walk gives the word cosine too)."""
    a = ptr[i]
    ae = ptr[i + 1]
    b = ptr[j]
    be = ptr[j + 1]
    k = 0
    total = 0.0
    top = 0.0
    dot = 0.0
    while a < ae and b < be:
        if idx[a] == idx[b]:
            k += 1
            total += val[a]
            if val[a] > top:
                top = val[a]
            dot += w_val[a] * w_val[b]
            a += 1
            b += 1
        elif idx[a] < idx[b]:
            a += 1
        else:
            b += 1
    return k, total, top, dot


@jit
def feature_rows(  # pragma: no cover - numba
    pi,
    pj,
    c_ptr,
    c_idx,
    c_val,
    w_val,
    n_ptr,
    n_idx,
    n_idf,
    n_val,
    m_ptr,
    m_idx,
    e_ptr,
    e_idx,
    s_ptr,
    s_idx,
    s_idf,
    s_vec,
    s_pole,
    vectors,
    ea_ptr,
    ea_idx,
    sa_ptr,
    sa_idx,
    sn_ptr,
    sn_short,
    sn_long,
    tn_ptr,
    tn_idx,
    tr_ptr,
    tr_role,
    nl_ptr,
    nl_letters,
    nl_len,
    nl_stem,
    nl_word,
    log_n,
    weights,
    name_veto_words,
    min_score,
):
    """Features of each candidate pair, columns named by :class:`Feature`; cheap ones first.

    A pair the vetoes refuse, or whose score cannot reach ``min_score`` (checked with the
    best case of what is not yet computed, before each costly step: the character n-gram dot
    product, then the word-vector meaning), is marked in column ``skipped``; its score is 0.
    """
    n = pi.shape[0]
    out = np.zeros((n, N_FEATURES), dtype=np.float64)
    longest = 1  # buffers for the unshared stems of one pair
    for p in range(n):
        longest = max(longest, s_ptr[pi[p] + 1] - s_ptr[pi[p]], s_ptr[pj[p] + 1] - s_ptr[pj[p]])
    ua = np.empty(longest, dtype=np.int64)
    ub = np.empty(longest, dtype=np.int64)
    logit_min = -1e300
    if min_score > 0.0:
        logit_min = math.log(min_score / (1.0 - min_score)) if min_score < 1.0 else 1e300
    for p in range(n):
        i = pi[p]
        j = pj[p]
        # Vetoes first: templated near-misses are common and need no further work.
        # Numbers and months: a conflict is when each side has one the other lacks.
        # (an amount and the same amount rounded are one number: «15,7 млрд» / «16 млрд»)
        ni = numbers_unmatched(n_ptr, n_idx, n_val, i, j)
        nj = numbers_unmatched(n_ptr, n_idx, n_val, j, i)
        out[p, F.NUMBER_CONFLICT] = 1.0 if (ni > 0 and nj > 0) else 0.0
        mi = n_missing(m_ptr, m_idx, i, m_ptr, m_idx, j)
        mj = n_missing(m_ptr, m_idx, j, m_ptr, m_idx, i)
        out[p, F.MONTH_CONFLICT] = 1.0 if (mi > 0 and mj > 0) else 0.0
        if is_vetoed(out[p], name_veto_words):
            out[p, F.SKIPPED] = 1.0
            continue
        # names: one of i that j's words do not account for, and one of j likewise (counted
        # with repeats, so a name said twice on one side needs two mentions on the other)
        ei = n_excess(ea_ptr, ea_idx, i, sa_ptr, sa_idx, j)
        ej = n_excess(ea_ptr, ea_idx, j, sa_ptr, sa_idx, i)
        ei += surname_excess(sn_ptr, sn_short, sn_long, sa_ptr, sa_idx, i, j)
        ej += surname_excess(sn_ptr, sn_short, sn_long, sa_ptr, sa_idx, j, i)
        # a name each side lacks may be one name written two ways: then it is no conflict,
        # and the word features below count it as shared
        slip_i = np.uint64(0)
        slip_j = np.uint64(0)
        if ei > 0 and ej > 0:
            slips, slip_i, slip_j = name_slips(nl_ptr, nl_letters, nl_len, nl_stem, nl_word, i, j)
            out[p, F.NAME_SLIPS] = slips
            ei = max(ei - slips, 0)
            ej = max(ej - slips, 0)
        # names of a trailing segment (a source, or a place after a dash) count only against a
        # segment of the same role, or against a name the other side has and this one lacks
        ti = tail_excess(tn_ptr, tn_idx, tr_ptr, tr_role, sa_ptr, sa_idx, i, j, ej)
        tj = tail_excess(tn_ptr, tn_idx, tr_ptr, tr_role, sa_ptr, sa_idx, j, i, ei)
        ei += ti
        ej += tj
        out[p, F.ENTITY_CONFLICT] = 1.0 if (ei > 0 and ej > 0) else 0.0
        out[p, F.NAMES_MISSING] = ei + ej
        # a substitution: the only words that differ are names/numbers (a templated headline)
        pi_ = n_missing_plain(s_ptr, s_idx, i, j, e_ptr, e_idx, n_ptr, n_idx)
        pj_ = n_missing_plain(s_ptr, s_idx, j, i, e_ptr, e_idx, n_ptr, n_idx)
        out[p, F.SUBSTITUTION] = (
            1.0 if (ei + ni > 0 and ej + nj > 0 and pi_ == 0 and pj_ == 0) else 0.0
        )
        out[p, F.WORDS_MISSING] = pi_ + pj_
        # both sides say something the other does not (a different story about one subject)
        out[p, F.BOTH_MISSING] = min(pi_, pj_)
        if is_vetoed(out[p], name_veto_words):
            out[p, F.SKIPPED] = 1.0
            continue
        li = s_ptr[i + 1] - s_ptr[i]
        lj = s_ptr[j + 1] - s_ptr[j]
        out[p, F.BOTH_MISSING_SHARE] = min(pi_ / li if li > 0 else 0.0, pj_ / lj if lj > 0 else 0.0)
        # containment: share of the shorter headline's stems found in the longer one
        si, tot, top, wdot = _shared_idf(s_ptr, s_idx, s_idf, w_val, i, j)
        slip_idf = 0.0
        if slip_i != 0:
            qi = _find(s_ptr, s_idx, i, slip_i)
            qj = _find(s_ptr, s_idx, j, slip_j)
            if qi >= 0 and qj >= 0:
                # the smaller IDF of the two spellings: the same whichever side is i
                slip_idf = min(s_idf[qi], s_idf[qj])
                si += 1
                tot += slip_idf
                top = max(top, slip_idf)
                wdot += w_val[qi] * w_val[qj]
            else:
                slip_i = np.uint64(0)
                slip_j = np.uint64(0)
        m = min(li, lj)
        out[p, F.CONTAINMENT] = si / m if m > 0 else 0.0
        # the same, weighed by IDF: a headline whose rare words all reappear in the other
        # (the other adds a word or drops its subject) is inside it
        wi = _row_sum(s_ptr, s_idf, i)
        wj = _row_sum(s_ptr, s_idf, j)
        wm = min(wi, wj)
        out[p, F.IDF_CONTAINMENT] = tot / wm if wm > 0 else 0.0
        # How surprising the shared words are in this feed: agreeing on rare words is evidence,
        # agreeing on words half the feed uses is not (record linkage's frequency weighting).
        # Summed IDF minus log N is minus the log of how many headlines would share them all
        # by chance; it grows more demanding as the feed grows.
        out[p, F.SPECIFICITY] = tot - log_n
        out[p, F.RAREST_SHARED] = top / (log_n + 1.0)
        # the same figures on both sides are strong evidence of the same news, unless half the
        # feed quotes them ("10 мая"): each shared figure counts by its IDF, 1 for a unique one
        out[p, F.SHARED_NUMBERS] = _shared_idf(n_ptr, n_idx, n_idf, n_idf, i, j)[1] / (log_n + 1.0)
        out[p, F.WORD_COS] = wdot
        out[p, F.CHAR_COS] = _dot(c_ptr, c_idx, c_val, i, j)
        # the meaning features (the costliest) only for pairs that could still reach
        # min_score with their best case: 1 or 0, whichever raises the score
        out[p, F.MEANING_MATCH] = (
            1.0
            if weights[T.MEANING_MATCH]
            + weights[T.MEANING_X_RAREST] * min(out[p, F.RAREST_SHARED], 1.0)
            > 0
            else 0.0
        )
        out[p, F.UNEXPLAINED] = 1.0 if weights[T.UNEXPLAINED] > 0 else 0.0
        out[p, F.BOTH_UNEXPLAINED] = 1.0 if weights[T.BOTH_UNEXPLAINED] > 0 else 0.0
        out[p, F.OPPOSITE] = 0.0  # a veto, found with the meaning features
        if weights[T.CHAR_COS] * out[p, F.CHAR_COS] + _logit_rest(out[p], weights) < logit_min:
            out[p, F.SKIPPED] = 1.0
            continue
        (
            out[p, F.MEANING_MATCH],
            out[p, F.UNEXPLAINED],
            out[p, F.BOTH_UNEXPLAINED],
            out[p, F.OPPOSITE],
        ) = meaning_match(
            s_ptr, s_idx, s_idf, s_vec, s_pole, vectors, i, j, ua, ub, slip_i, slip_j, slip_idf
        )
        if (
            is_vetoed(out[p], name_veto_words)
            or weights[T.CHAR_COS] * out[p, F.CHAR_COS] + _logit_rest(out[p], weights) < logit_min
        ):
            out[p, F.SKIPPED] = 1.0
    return out


@dataclass
class ScoredPairs:
    """A featurised batch and its candidate pairs ``(pi[k], pj[k])`` that reached ``score``."""

    feats: Features
    idf: Idf
    pi: np.ndarray
    pj: np.ndarray
    score: np.ndarray


_SCORE_CHUNK = 1 << 20  # pairs featurized at once: bounds the (pairs x features) matrix


def score_batch(texts: list[str], idf: Idf | None = None, min_score: float = 0.0) -> ScoredPairs:
    """Featurize ``texts``, find candidate pairs, score them; keep pairs scoring >= ``min_score``.

    Examples
    --------
    >>> sc = score_batch(["Пожар на складе в Алматы", "Срочно: пожар на складе в Алматы"])
    >>> sc.pi.tolist(), sc.pj.tolist(), sc.score.tolist()
    ([0], [1], [1.0])
    """
    feats, idf_out = featurize(texts, idf)
    pi, pj = candidate_pairs(feats)
    keep_i: list[np.ndarray] = []
    keep_j: list[np.ndarray] = []
    keep_s: list[np.ndarray] = []
    for a in range(0, pi.size, _SCORE_CHUNK):
        ci, cj = pi[a : a + _SCORE_CHUNK], pj[a : a + _SCORE_CHUNK]
        score = pair_scores(feats, ci, cj, min_score)
        keep = score >= min_score
        keep_i.append(ci[keep])
        keep_j.append(cj[keep])
        keep_s.append(score[keep])
    if not keep_i:
        e = np.zeros(0, dtype=np.int64)
        return ScoredPairs(feats, idf_out, e, e, np.zeros(0))
    return ScoredPairs(
        feats, idf_out, np.concatenate(keep_i), np.concatenate(keep_j), np.concatenate(keep_s)
    )


def pair_similarities(
    texts_1: Sequence[str], texts_2: Sequence[str], *, idf: Idf | None = None
) -> np.ndarray:
    """Similarity of each pair ``(texts_1[k], texts_2[k])``; IDF from ``idf``, else all these texts.

    Examples
    --------
    >>> pair_similarities(["Пожар в Алматы", "Курс доллара на 5 мая"],
    ...                   ["Срочно: пожар в Алматы", "Курс доллара на 6 мая"]).tolist()
    [1.0, 0.0]
    """
    t1 = check_headlines(texts_1, "texts_1")
    t2 = check_headlines(texts_2, "texts_2")
    if len(t1) != len(t2):
        raise DataError(
            f"texts_1 and texts_2 must have the same length; got {len(t1)} and {len(t2)}"
        )
    uniq = list(dict.fromkeys(t1 + t2))
    pos = {t: k for k, t in enumerate(uniq)}
    feats, _ = featurize(uniq, idf)
    pi = np.array([pos[t] for t in t1], dtype=np.int64)
    pj = np.array([pos[t] for t in t2], dtype=np.int64)
    return pair_scores(feats, pi, pj)
