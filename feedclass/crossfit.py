"""Cross-fitting for calibration: which training rows are held out, and their scores from
internal fits that did not see them.

:class:`~feedclass.model.TopicModel` fits its softmax temperature (and per-topic offsets,
:mod:`~feedclass.calibration`) on these held-out scores. A held-out set is stratified by hand
so any class counts work; with groups (a channel's posts of one topic, copies of a headline)
a whole (topic, group) unit is held out together, and ``calibration_rows`` limits which rows
may be held out at all (self-labelled rows always train).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from feedclass.errors import DataError
from feedclass.features import HashingFeatures
from feedclass.vectors import augment

__all__ = ["calibration_splits", "held_out_scores", "linked_rows", "row_groups", "row_mask"]


def row_groups(groups: Any, n: int) -> np.ndarray | None:
    """Group ids of ``n`` rows as integers (None stays None).

    Examples
    --------
    >>> row_groups(["b", "a", "b"], 3).tolist()
    [1, 0, 1]
    """
    if groups is None:
        return None
    values = [str(g) for g in groups]
    if len(values) != n:
        raise DataError(f"groups has {len(values)} entries for {n} training rows")
    return np.unique(np.asarray(values, dtype=object), return_inverse=True)[1].astype(np.int64)


def row_mask(rows: Any, n: int) -> np.ndarray | None:
    """A boolean mask of ``n`` rows (None stays None).

    Examples
    --------
    >>> row_mask([True, False], 2).tolist()
    [True, False]
    """
    if rows is None:
        return None
    mask = np.asarray(rows)
    if mask.shape != (n,) or mask.dtype != bool:
        raise DataError(f"calibration_rows must be {n} booleans, one per training row")
    return mask


def calibration_splits(
    y_idx: np.ndarray,
    n_classes: int,
    folds: Any,
    share: Any,
    random_state: Any = None,
    groups: np.ndarray | None = None,
    eligible: np.ndarray | None = None,
    whole_groups: bool = False,
) -> list[np.ndarray]:
    """Held-out row sets for calibration: one split, or ``calibration_folds`` folds.

    Stratified by hand so that any class counts work: a topic with a single example is
    never held out (it stays in every training part), every other topic is. With
    ``groups``, the unit held out is a (topic, group) pair; with ``eligible``, only those
    rows are ever held out (the others always train). With ``whole_groups``, a group is held
    out whole, all its topics at once (a Telegram channel: held-out scores then read as those
    of a channel the model never saw); a topic whose rows would all be out in one fold stays
    in. ``folds`` and ``share`` are ``TopicModel``'s ``calibration_folds`` and
    ``calibration_holdout``.

    Examples
    --------
    >>> y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2])
    >>> tests = calibration_splits(y, 3, folds=2, share=0.2, random_state=0)
    >>> sorted(np.concatenate(tests).tolist()) == list(range(8))  # topic 2 has one row
    True
    """
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 1:
        raise ValueError(f"calibration_folds must be an int >= 1; got {folds!r} instead")
    if not isinstance(share, (float, int, np.number)) or not 0 < share < 1:
        raise ValueError(f"calibration_holdout must be in (0, 1); got {share!r} instead")
    rng = np.random.default_rng(random_state)
    fold_of = np.full(len(y_idx), -1)
    if groups is None and eligible is None:
        for c in range(n_classes):
            rows = rng.permutation(np.flatnonzero(y_idx == c))
            if len(rows) < 2:
                continue
            if folds == 1:
                # At least one row out, and at least one left to learn from.
                n_out = min(max(1, round(share * len(rows))), len(rows) - 1)
                fold_of[rows[:n_out]] = 0
            else:
                # A random start, so small topics are not always held out in the first folds.
                fold_of[rows] = (np.arange(len(rows)) + rng.integers(folds)) % folds
        return [np.flatnonzero(fold_of == f) for f in range(folds)]
    if groups is None:
        groups = np.arange(len(y_idx))
    can = np.ones(len(y_idx), dtype=bool) if eligible is None else eligible
    if whole_groups:
        return _whole_group_splits(y_idx, n_classes, int(folds), float(share), rng, groups, can)
    for c in range(n_classes):
        rows = np.flatnonzero((y_idx == c) & can)
        units, unit_of = np.unique(groups[rows], return_inverse=True)
        if len(units) < 2 or np.count_nonzero(y_idx == c) < 2:
            continue
        order = rng.permutation(len(units))
        if folds == 1:
            # Whole groups out until the share of rows is reached; one group at least stays.
            sizes = np.bincount(unit_of, minlength=len(units))[order]
            n_out = int(np.searchsorted(np.cumsum(sizes), share * len(rows))) + 1
            n_out = min(max(1, n_out), len(units) - 1)
            unit_fold = np.full(len(units), -1)
            unit_fold[order[:n_out]] = 0
        else:
            unit_fold = np.empty(len(units), dtype=np.int64)
            unit_fold[order] = (np.arange(len(units)) + rng.integers(folds)) % folds
        fold_of[rows] = unit_fold[unit_of]
    return [np.flatnonzero(fold_of == f) for f in range(folds)]


def _whole_group_splits(
    y_idx: np.ndarray,
    n_classes: int,
    folds: int,
    share: float,
    rng: np.random.Generator,
    groups: np.ndarray,
    can: np.ndarray,
) -> list[np.ndarray]:
    """:func:`calibration_splits` with ``whole_groups``: groups, not (topic, group) pairs."""
    fold_of = np.full(len(y_idx), -1)
    rows = np.flatnonzero(can)
    units, unit_of = np.unique(groups[rows], return_inverse=True)
    if len(units) < 2:
        return [np.zeros(0, dtype=np.int64) for _ in range(folds)]
    order = rng.permutation(len(units))
    unit_fold = np.full(len(units), -1)
    if folds == 1:
        sizes = np.bincount(unit_of, minlength=len(units))[order]
        n_out = int(np.searchsorted(np.cumsum(sizes), share * len(rows))) + 1
        unit_fold[order[: min(max(1, n_out), len(units) - 1)]] = 0
    else:
        unit_fold[order] = np.arange(len(units)) % folds
    fold_of[rows] = unit_fold[unit_of]
    counts = np.bincount(y_idx, minlength=n_classes)
    for c in range(n_classes):
        mine = y_idx == c
        for f in range(folds):
            out = mine & (fold_of == f)
            if counts[c] < 2 or np.count_nonzero(out) == counts[c]:
                fold_of[out] = -1  # the internal fit must still see the topic
    return [np.flatnonzero(fold_of == f) for f in range(folds)]


def linked_rows(
    tests: list[np.ndarray], groups: np.ndarray | None, links: np.ndarray
) -> list[np.ndarray]:
    """For each held-out set of ``tests``, the other rows that share a group or a link with it
    (they leave that internal fit: a story retold by another outlet, a self-labelled post of a
    held-out channel).

    Examples
    --------
    >>> tests = [np.array([0])]
    >>> linked_rows(tests, np.array([0, 0, 1, 2]), np.array([5, 6, 7, 5]))[0].tolist()
    [1, 3]
    """
    out = []
    for test in tests:
        drop = np.isin(links, links[test])
        if groups is not None:
            drop |= np.isin(groups, groups[test])
        drop[test] = False
        out.append(np.flatnonzero(drop))
    return out


def held_out_scores(
    tests: list[np.ndarray],
    texts: list[str],
    M: sp.csr_matrix,
    y_idx: np.ndarray,
    n_classes: int,
    cost: np.ndarray,
    fit_linear: Callable[..., tuple[np.ndarray, np.ndarray]],
    features: HashingFeatures,
    E: Any = None,
    vector_weight: Any = None,
    random_state: Any = None,
    max_rows: int = 25_000,
    vector_rows: np.ndarray | None = None,
    excluded: list[np.ndarray] | None = None,
) -> np.ndarray:
    """Scores ``(rows of tests, n_classes)`` of each held-out set from a fit without it.

    Each internal fit (``fit_linear(M, y, n_classes, cost)``) reuses the training rows of
    ``M`` (featurising once saves a pass per fit), on at most ``max_rows`` of them. The
    held-out rows are featurised again without the buckets the internal fit never saw, as a
    new text would be: with them, their rows' norms would be spread over n-grams of weight 0,
    their scores too small, and the fitted temperature too low. ``E`` (with
    ``vector_weight``): the word-vector block ``M`` carries, on the rows of ``vector_rows``
    (all rows when None) as :func:`~feedclass.vectors.augment` puts it. ``excluded`` (one row
    set per test, :func:`linked_rows`): rows left out of that internal fit without being
    scored. A topic the fit did not see scores -1e9.

    Examples
    --------
    >>> from feedclass.features import HashingFeatures
    >>> texts = ["Матч выиграли", "Гол в матче", "Курс рубля", "Рубль упал"]
    >>> feats = HashingFeatures(n_features=2**10).fit(texts)
    >>> y = np.array([0, 0, 1, 1])
    >>> def fit(M, y, n, cost):  # a stand-in for the SVM: zero weights, intercept = class
    ...     return np.zeros((n, M.shape[1])), np.arange(n, dtype=float)
    >>> held_out_scores([np.array([0, 2])], texts, feats.transform(texts), y, 2, np.ones(4),
    ...                 fit, feats).tolist()
    [[0.0, 1.0], [0.0, 1.0]]
    """
    scores = np.zeros((sum(len(t) for t in tests), n_classes))
    pos = 0
    rng = np.random.default_rng(random_state)
    for k, test in enumerate(tests):
        out = test if excluded is None else np.union1d(test, excluded[k])
        train = np.setdiff1d(np.arange(len(y_idx)), out, assume_unique=True)
        if len(train) > max_rows:
            # The temperature barely depends on how much the internal fit saw (a quarter
            # of the rows moved it by 1% in a grouped split), so big sets pay for a
            # sample only; single-example topics stay in.
            single = np.flatnonzero(np.bincount(y_idx, minlength=n_classes) == 1)
            keep = np.isin(y_idx[train], single)
            pick = rng.choice(np.flatnonzero(~keep), max_rows, replace=False)
            train = np.sort(np.concatenate([train[pick], train[keep]]))
        present = np.unique(y_idx[train])
        remap = np.searchsorted(present, y_idx[train])
        coef, intercept = fit_linear(M[train], remap, len(present), cost[train])
        unseen = copy.copy(features)
        unseen.__dict__.pop("_pack_cache", None)
        # Only the hashed columns have an IDF: the word-vector block (if any) follows them.
        n_hashed = len(unseen.idf_)
        seen = np.bincount(M[train].indices, minlength=M.shape[1])[:n_hashed] > 0
        unseen.idf_ = np.where(seen, unseen.idf_, 0)
        unseen.idf_ = unseen.idf_.astype(np.float32)
        s = np.full((len(test), n_classes), -1e9)
        test_texts = [texts[i] for i in test]
        X_test = unseen.transform(test_texts)
        if E is not None:  # ``M`` carries the word-vector block: so must the held-out rows
            rows = np.ones(len(test), bool) if vector_rows is None else vector_rows[test]
            # A row with vectors is scored as the model scores it: a word the internal fit
            # never saw still counts through its vector, with the IDF of a term in no
            # document (feedclass.scorer.russian_weights); without it the scores are smaller
            # than the model's and the temperature comes out too high.
            with_vec = copy.copy(unseen)
            has_vec = np.diff(E.indptr) > 0
            with_vec.idf_ = np.where(
                ~seen & has_vec, np.float32(np.log(1.0 + len(train)) + 1.0), unseen.idf_
            ).astype(np.float32)
            if rows.any():
                X_vec = with_vec.transform([t for t, r in zip(test_texts, rows) if r])
                stacked = sp.vstack([X_test[~rows], X_vec], format="csr")
                # Back in test order: the plain rows first in stacked, then the vector rows.
                where = np.empty(len(test), dtype=np.int64)
                where[np.flatnonzero(~rows)] = np.arange(np.count_nonzero(~rows))
                where[np.flatnonzero(rows)] = np.count_nonzero(~rows) + np.arange(X_vec.shape[0])
                X_test = stacked[where]
            X_test = augment(X_test, E, float(vector_weight), rows)
        s[:, present] = X_test @ coef.T + intercept
        scores[pos : pos + len(test)] = s
        pos += len(test)
    return scores
