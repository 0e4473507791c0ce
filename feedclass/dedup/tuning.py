"""Thresholds: tune one on labelled pairs, or sweep several over a feed (pairs scored once)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from feedclass.dedup.clusters import (
    check_params,
    form_stories,
    representative_order,
    score_floor,
)
from feedclass.dedup.inputs import as_sources, as_times, check_headlines
from feedclass.dedup.pairs import pair_similarities, score_batch
from feedclass.errors import DataError

__all__ = [
    "FEW_PAIRS",
    "SweepResult",
    "TuneResult",
    "labels_to_same",
    "parse_pair_label",
    "precision_recall_curve",
    "sweep_thresholds",
    "tune_threshold",
]


# ---------------------------------------------------------------------------------------------
# Threshold tuning on labelled pairs, and the sweep for `publish --dry-run --sweep`.
# ---------------------------------------------------------------------------------------------
#: Fewer labelled pairs than this of either kind make a threshold a rough guess: the CLI says so.
FEW_PAIRS = 20


@dataclass
class TuneResult:
    """Outcome of :func:`tune_threshold`.

    ``curve`` rows are ``(threshold, precision, recall, n_merged)`` over a grid of thresholds
    (see :func:`precision_recall_curve`). ``few_pairs`` is true when either kind has fewer
    than :data:`FEW_PAIRS` pairs.
    """

    threshold: float
    precision: float
    recall: float
    target_precision: float
    n_pairs: int
    n_positive: int
    curve: list[tuple[float, float, float, int]]

    @property
    def few_pairs(self) -> bool:
        return min(self.n_positive, self.n_pairs - self.n_positive) < FEW_PAIRS


def parse_pair_label(value: Any) -> float | None:
    """A pair label as 1.0, 0.0 or -1.0 ("1", 1, "-1.0" ...), or None if it is not one.

    Examples
    --------
    >>> parse_pair_label(" -1.0"), parse_pair_label(1), parse_pair_label("yes")
    (-1.0, 1.0, None)
    """
    try:
        v = float(str(value).strip())
    except ValueError:
        return None
    return v if v in (1.0, 0.0, -1.0) else None


def labels_to_same(labels: Sequence[Any]) -> np.ndarray:
    """Map labels to "same news" booleans: {1,0,-1} -> >= 0; plain binary {1,0} -> == 1.

    Examples
    --------
    >>> labels_to_same([1, 0, -1]).tolist(), labels_to_same(["1", "0"]).tolist()
    ([True, True, False], [True, False])
    """
    vals = []
    for k, v in enumerate(labels):
        fv = parse_pair_label(v)
        if fv is None:
            raise DataError(f"labels[{k}] must be 1, 0 or -1; got {v!r} instead")
        vals.append(fv)
    arr = np.array(vals)
    if (arr < 0).any():
        return arr >= 0  # ParaPhraser style: 1 strict, 0 loose paraphrase, -1 different news
    return arr == 1  # binary: 1 same news, 0 different


def precision_recall_curve(
    scores: np.ndarray, same: np.ndarray, thresholds: np.ndarray | None = None
) -> list[tuple[float, float, float, int]]:
    """Precision, recall and number merged at each threshold (a pair merges at score >= t).

    Rows are ``(threshold, precision, recall, n_merged)``; precision is 1.0 where nothing
    merges. ``thresholds`` defaults to 0.05, 0.10, ..., 0.95.

    Examples
    --------
    >>> precision_recall_curve(np.array([0.9, 0.6, 0.2]), np.array([True, False, True]),
    ...                        np.array([0.5, 0.8]))
    [(0.5, 0.5, 0.5, 2), (0.8, 1.0, 0.5, 1)]
    """
    if thresholds is None:
        thresholds = np.round(np.arange(0.05, 1.0, 0.05), 2)
    n_pos = max(int(same.sum()), 1)
    out = []
    for t in thresholds:
        m = scores >= t
        k = int(m.sum())
        tp = int((m & same).sum())
        out.append((float(t), tp / k if k else 1.0, tp / n_pos, k))
    return out


def tune_threshold(
    texts_1: Sequence[str],
    texts_2: Sequence[str],
    labels: Sequence[Any],
    target_precision: float = 0.9,
) -> TuneResult:
    """Pick the lowest threshold whose precision on your labelled pairs reaches the target.

    ``labels``: 1/0/-1 as in ParaPhraser (1 and 0 = same news, -1 = different) or plain binary
    1/0 (1 = same news). Strings such as ``"1"`` are accepted. The lowest pair score that still
    reaches ``target_precision`` gives the most recall; the threshold returned lies halfway
    from it to the next lower pair score, so it keeps that precision and recall on these
    pairs without sitting on a labelled pair's score.

    Examples
    --------
    >>> r = tune_threshold(["Пожар в Алматы", "Курс доллара на 5 мая"],
    ...                    ["Срочно: пожар в Алматы", "Курс доллара на 6 мая"], [1, 0])
    >>> r.precision
    1.0
    """
    t1 = check_headlines(texts_1, "texts_1")
    t2 = check_headlines(texts_2, "texts_2")
    labels = list(labels) if not isinstance(labels, str) else check_headlines(labels, "labels")
    if not len(t1) == len(t2) == len(labels):
        raise DataError(
            "texts_1, texts_2 and labels must have the same length; "
            f"got {len(t1)}, {len(t2)} and {len(labels)}"
        )
    if not t1:
        raise DataError("no labelled pairs given; need at least one pair of each kind")
    if not 0.0 < target_precision <= 1.0:
        raise DataError(f"target_precision must be in (0, 1]; got {target_precision!r} instead")
    same = labels_to_same(labels)
    if not same.any():
        raise DataError("labels has no same-news pair (1, or 0 in 1/0/-1 labels); add some")
    if same.all():
        raise DataError(
            "labels has no different-news pair (-1, or 0 in 1/0 labels); precision needs "
            "some to be measured: add pairs of different stories"
        )
    scores = pair_similarities(t1, t2)
    # candidate thresholds: every distinct positive score, best (highest recall) first
    cand = np.unique(scores[scores > 0])
    best: tuple[float, float, float] | None = None
    for k, t in enumerate(cand):
        m = scores >= t
        p = float((m & same).sum() / m.sum())
        if p >= target_precision:
            # Halfway to the next lower score (no labelled pair lies between, so precision and
            # recall stay): a pair that scores a little under a labelled one is not cut off.
            below = float(cand[k - 1]) if k else 0.0
            best = ((float(t) + below) / 2, p, float((m & same).sum() / same.sum()))
            break
    if best is None:
        top = max((p for _, p, _, k in precision_recall_curve(scores, same) if k), default=0.0)
        raise DataError(
            f"no threshold reaches precision {target_precision:.2f} on these pairs "
            f"(best {top:.2f}); lower target_precision or check the labels"
        )
    return TuneResult(
        threshold=best[0],
        precision=best[1],
        recall=best[2],
        target_precision=target_precision,
        n_pairs=len(t1),
        n_positive=int(same.sum()),
        curve=precision_recall_curve(scores, same),
    )


@dataclass
class SweepResult:
    """What dedup would do at one threshold: how much merges and the weakest merges."""

    threshold: float
    n_items: int
    n_clusters: int
    n_merged: int  # items that would be folded into another item's cluster
    margin_examples: list[tuple[str, str, float]]  # (item, its representative, score), weakest
    labels: np.ndarray  # cluster id per item at this threshold, as ``NearDuplicates.labels_``


def sweep_thresholds(
    texts: Sequence[str],
    thresholds: Sequence[float] = (0.5, 0.6, 0.7),
    times: Any = None,
    sources: Any = None,
    keep: str = "first",
    n_examples: int = 3,
) -> list[SweepResult]:
    """Dedup ``texts`` at several thresholds at once (pairs are scored only once).

    ``times``, ``sources`` and ``keep`` are those of :class:`NearDuplicates`; each result lists
    the ``n_examples`` weakest merges.

    Examples
    --------
    >>> res = sweep_thresholds(["Пожар в Алматы", "Срочно: пожар в Алматы", "Курс евро"],
    ...                        [0.5, 0.9])
    >>> [(r.threshold, r.n_clusters, r.labels.tolist()) for r in res]
    [(0.5, 2, [0, 0, 1]), (0.9, 2, [0, 0, 1])]
    """
    texts = check_headlines(texts)
    if isinstance(thresholds, (int, float)):
        thresholds = [float(thresholds)]
    for t in thresholds:
        check_params(t, keep)
    n = len(texts)
    tm = as_times(times, n)
    src = as_sources(sources, n)
    sc = score_batch(texts, min_score=score_floor(min(thresholds, default=1.0)))
    order = representative_order(n, keep, tm, sc.feats.length)
    out = []
    for t in thresholds:
        leader, lscore = form_stories(
            n, sc.pi, sc.pj, sc.score, float(t), order, src, feats=sc.feats
        )
        members = np.flatnonzero(leader != np.arange(n))
        weakest = members[np.argsort(lscore[members], kind="stable")[:n_examples]]
        out.append(
            SweepResult(
                threshold=float(t),
                n_items=n,
                n_clusters=n - members.size,
                n_merged=int(members.size),
                margin_examples=[(texts[i], texts[leader[i]], float(lscore[i])) for i in weakest],
                labels=np.unique(leader, return_inverse=True)[1].reshape(-1),
            )
        )
    return out
