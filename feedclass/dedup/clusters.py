"""Story formation: best-first average linkage over scored pairs, with the no-chaining rule.

Candidate pairs above the threshold are taken best first, and two clusters merge only when no
cross pair is far apart (a fact veto scores 0) and either each member's average score over the
other cluster reaches the threshold (so a single headline must match every member), or the
merge is a near copy: some cross pair reaches the threshold plus ``STAR_GAP`` (the star rule).
Cross pairs that were not candidates are scored on the spot, so a story reposted more often
than the candidate cap stays whole, and A~B and B~C never drag a distant C into A's cluster.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from feedclass.dedup.featurize import Features, empty_features
from feedclass.dedup.pairs import NAME_VETO_WORDS, WEIGHTS, feature_rows, kernel_args, score_rows
from feedclass.errors import DataError
from feedclass.jit import jit

__all__ = [
    "DEFAULT_THRESHOLD",
    "FLOOR_GAP",
    "KEEP_CHOICES",
    "STAR_FLOOR_GAP",
    "STAR_GAP",
    "check_params",
    "form_stories",
    "joins_story",
    "representative_order",
    "score_floor",
]

#: Default similarity threshold: precision first -- a wrong merge hides a story, a missed one
#: only repeats it. Its figures are held out: ``benchmarks/eval_dedup.py`` reports them on the
#: *report* part of ParaPhraser (never fitted on nor chosen on) and the report half of our
#: Telegram merge labels, and prints which threshold its *choose* parts pick;
#: ``benchmarks/bench_dedup.py --sweep`` gives copies found per kind of held-out edit on a large
#: synthetic feed. It is the threshold eval_dedup's choose rule picks (the lowest at which both
#: choose parts reach their precision goals); the README's threshold table says when a lower one
#: suits.
DEFAULT_THRESHOLD = 0.75

#: What ``keep`` may be: which item of a story represents it.
KEEP_CHOICES = ("first", "last", "longest")


def check_params(threshold: Any, keep: Any) -> None:
    """Raise ``DataError`` unless ``threshold`` is a number in [0, 1] and ``keep`` a known choice.

    Examples
    --------
    >>> check_params(0.75, "first")
    >>> check_params(1.5, "first")
    Traceback (most recent call last):
    ...
    feedclass.errors.DataError: threshold must be a number in [0, 1]; got 1.5 instead
    """
    if not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise DataError(f"threshold must be a number in [0, 1]; got {threshold!r} instead")
    if keep not in KEEP_CHOICES:
        raise DataError(f"keep must be 'first', 'last' or 'longest'; got {keep!r} instead")


#: How far below the threshold a cross pair may be when two clusters merge by average linkage
#: (each member's average over the other cluster must still reach the threshold).
FLOOR_GAP = 0.2


#: The star rule: an item (or cluster) that is a near copy of one member of a story -- a cross
#: pair at least ``STAR_GAP`` above the threshold -- joins it even when the other members match
#: it less well, as long as no cross pair is more than ``STAR_FLOOR_GAP`` below the threshold
#: (so no fact veto, and one close member cannot carry in an item the rest hardly match).
#: Copies of one story with different additions (a tail, a phrase, a filler) each match the
#: original closely but each other only loosely; without the rule the second copy stays out.
#: Both were chosen on ParaPhraser's fit / choose parts and on a synthetic feed of another seed
#: than the one reported (``benchmarks/eval_dedup.py``, ``benchmarks/bench_dedup.py``); the
#: floor stays above the merge floor ``FLOOR_GAP``, so one close member cannot carry in an item
#: the rest of the story hardly matches.
STAR_GAP = 0.1
STAR_FLOOR_GAP = 0.15


def joins_story(scores: np.ndarray, threshold: float) -> bool:
    """Whether one new item joins a story, given its scores to the story's members.

    This is the batch rule (:func:`form_stories`) for a single item meeting a story: ``scores``
    are the item's scores to the story's members in member order (representative first), as
    many as :data:`MERGE_BUDGET`. The item joins when none is below :func:`score_floor` and
    each of the first :data:`SAMPLE_MIN` reaches ``threshold``; or, by the star rule, when one
    reaches ``threshold + STAR_GAP`` (a near copy of that member) and none is below
    ``threshold - STAR_FLOOR_GAP``. The incremental index applies it so that it forms the same
    stories as the batch.

    Examples
    --------
    >>> import numpy as np
    >>> joins_story(np.array([0.9, 0.8]), 0.75)
    True
    >>> joins_story(np.array([0.9, 0.7]), 0.75)  # a near copy of the representative
    True
    >>> joins_story(np.array([0.8, 0.7]), 0.75)  # loose to both: stays out
    False
    >>> joins_story(np.array([0.95, 0.5]), 0.75)  # near one member, far from the other
    False
    >>> joins_story(np.array([0.95, 0.0]), 0.75)  # a fact veto against one member
    False
    """
    s = np.asarray(scores, dtype=np.float64)[:MERGE_BUDGET]
    if s.size == 0:
        return False
    eps = 1e-9
    if s.min() < score_floor(threshold):
        return False
    if s[:SAMPLE_MIN].min() >= threshold - eps:
        return True
    star = s.max() >= threshold + STAR_GAP - eps
    return bool(star and s.min() >= threshold - STAR_FLOOR_GAP - eps)


def score_floor(threshold: float) -> float:
    """The lowest score a cross pair may have when two clusters merge at ``threshold``.

    Examples
    --------
    >>> score_floor(0.75), score_floor(0.1)
    (0.55, 0.0)
    """
    return max(0.0, threshold - FLOOR_GAP)


# ---------------------------------------------------------------------------------------------
#: Cross pairs compared when two clusters meet. Up to this many, every member of one side is
#: compared with every member of the other, so a merge never brings together two items whose
#: facts conflict (a veto) or that are far apart; beyond it, the first members of each side
#: (the representative and the earliest joiners) stand for the rest, which bounds the work of
#: a merge into a story reposted thousands of times. Members left out are still checked
#: against the representative at the end (see ``form_stories``).
MERGE_BUDGET = 256
SAMPLE_MIN = 8  # first members per side whose averages must reach the threshold
_SAMPLE_SQ = 16  # members of each side compared when both sides are large (16 x 16 = 256)


@jit(inline="always")
def _find(root, x):  # pragma: no cover - numba
    while root[x] != x:
        root[x] = root[root[x]]
        x = root[x]
    return x


@jit(inline="always")
def _known_score(adj_ptr, adj_j, adj_s, u, v):  # pragma: no cover - numba
    """Score of the scored pair (u, v) from u's row (sorted by neighbour), or -1 if absent."""
    lo = adj_ptr[u]
    hi = adj_ptr[u + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if adj_j[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    if lo < adj_ptr[u + 1] and adj_j[lo] == v:
        return adj_s[lo]
    return -1.0


@jit
def _pair_scores(  # pragma: no cover - numba
    qi, qj, adj_ptr, adj_j, adj_s, can_score, clean_hash, weights, name_veto_words, rest
):
    """Scores of pairs (qi, qj): looked up among the scored candidates, else scored now (when
    the features are at hand), else 0 -- a pair never compared counts as unrelated."""
    m = qi.shape[0]
    out = np.zeros(m, dtype=np.float64)
    todo = np.zeros(m, dtype=np.bool_)
    nt = 0
    for q in range(m):
        s = _known_score(adj_ptr, adj_j, adj_s, qi[q], qj[q])
        if s >= 0.0:
            out[q] = s
        elif clean_hash[qi[q]] == clean_hash[qj[q]] and can_score:
            out[q] = 1.0
        elif can_score:
            todo[q] = True
            nt += 1
    if nt:
        ti = qi[todo]
        tj = qj[todo]
        s = score_rows(feature_rows(ti, tj, *rest), weights, name_veto_words)
        out[todo] = s
    return out


@jit
def _agglomerate(  # pragma: no cover - numba
    n,
    rank,
    ei,
    ej,
    adj_ptr,
    adj_j,
    adj_s,
    source,
    fixed,
    threshold,
    floor,
    star,
    star_floor,
    can_score,
    clean_hash,
    weights,
    name_veto_words,
    rest,
):
    """Merge clusters along the pairs ``(ei, ej)``, best score first.

    Two clusters merge when no cross pair is below ``floor`` (all cross pairs up to
    ``MERGE_BUDGET``, else the first members of each side) and each of the first
    ``SAMPLE_MIN`` members of either side reaches the threshold on average over the other's
    first members. So an item joins a small cluster only if it matches each member, A~B and
    B~C do not drag a distant C in, and one close member cannot carry in a cluster the others
    do not match -- unless a cross pair reaches ``star`` (a near copy of one member: the star
    rule, see ``STAR_GAP``) and no cross pair is below ``star_floor``. The best pairs merge
    first, so an item is not captured by whichever loose match came earlier in the feed;
    ranks only break ties and choose the representative (a cluster's best-ranked member).
    Two ``fixed`` items (history) never share a cluster, nor do two items with the same known
    ``source``.
    """
    root = np.arange(n)
    head = np.arange(n)  # member list per root, representative first
    tail = np.arange(n)
    nxt = np.full(n, -1, dtype=np.int64)
    size = np.ones(n, dtype=np.int64)
    has_fixed = fixed > 0
    has_src = source >= 0
    # (cluster root, source) pairs present, so a merge checks the smaller side's sources only
    n_src = max(source.max() + 1, 1) if n else 1
    seen = numba.typed.Dict.empty(key_type=numba.types.int64, value_type=numba.types.boolean)
    for i in range(n):
        if source[i] >= 0:
            seen[i * n_src + source[i]] = True
    qi = np.empty(MERGE_BUDGET, dtype=np.int64)
    qj = np.empty(MERGE_BUDGET, dtype=np.int64)
    eps = 1e-9  # an average equal to the threshold passes despite float rounding
    for e in range(ei.shape[0]):
        a = _find(root, ei[e])
        b = _find(root, ej[e])
        if a == b or (has_fixed[a] and has_fixed[b]):
            continue
        small = a if size[a] <= size[b] else b
        large = b if small == a else a
        if has_src[a] and has_src[b]:
            clash = False
            m = head[small]
            while m >= 0:
                if source[m] >= 0 and (large * n_src + source[m]) in seen:
                    clash = True
                    break
                m = nxt[m]
            if clash:
                continue
        # members compared per side: all of both if the budget allows, else the first ones
        na = size[a]
        nb = size[b]
        if na * nb > MERGE_BUDGET:
            lo = min(na, nb)
            if lo * SAMPLE_MIN > MERGE_BUDGET:
                na = _SAMPLE_SQ
                nb = _SAMPLE_SQ
            elif na <= nb:
                nb = MERGE_BUDGET // na
            else:
                na = MERGE_BUDGET // nb
        # cross pairs, a-major: row x is a's x-th member
        k = 0
        u = head[a]
        for _x in range(na):
            v = head[b]
            for _y in range(nb):
                qi[k] = u
                qj[k] = v
                k += 1
                v = nxt[v]
            u = nxt[u]
        s = _pair_scores(
            qi[:k],
            qj[:k],
            adj_ptr,
            adj_j,
            adj_s,
            can_score,
            clean_hash,
            weights,
            name_veto_words,
            rest,
        )
        if s.min() < floor:
            continue
        # each of the first members of either side (the representative and the earliest
        # joiners) must match the other side on average: an item joining a cluster must match
        # each of them, and one close member cannot carry in the rest. (Averaging over every
        # member split stories reposted thousands of times into dozens of pieces.)
        ma = min(na, SAMPLE_MIN)
        mb = min(nb, SAMPLE_MIN)
        ok = True
        for x in range(ma):
            if s[x * nb : x * nb + mb].mean() < threshold - eps:
                ok = False
                break
        for y in range(mb):
            if not ok:
                break
            if s[y : ma * nb : nb].mean() < threshold - eps:
                ok = False
        # the star rule: a near copy of one member joins when nothing is far apart (floor above)
        if not ok and (s.max() < star - eps or s.min() < star_floor - eps):
            continue
        # the larger cluster's root stays, so an item's source is re-filed O(log n) times in
        # all; the member list starts with the better-ranked representative
        first = a if rank[head[a]] < rank[head[b]] else b
        second = b if first == a else a
        if has_src[small]:
            m = head[small]
            while m >= 0:
                if source[m] >= 0:
                    seen[large * n_src + source[m]] = True
                m = nxt[m]
        nxt[tail[first]] = head[second]
        h = head[first]
        t = tail[second]
        root[small] = large
        head[large] = h
        tail[large] = t
        size[large] += size[small]
        has_fixed[large] = has_fixed[large] or has_fixed[small]
        has_src[large] = has_src[large] or has_src[small]
    leader = np.empty(n, dtype=np.int64)
    for i in range(n):
        leader[i] = head[_find(root, i)]
    return leader


def form_stories(
    n: int,
    pi: np.ndarray,
    pj: np.ndarray,
    score: np.ndarray,
    threshold: float,
    order: np.ndarray,
    source: np.ndarray,
    fixed: np.ndarray | None = None,
    feats: Features | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Form stories from scored pairs: the representative of each item and its score to it.

    Best-first average linkage with the no-chaining rule: pairs at or above ``threshold`` are
    taken best first, and two clusters merge only when every compared cross pair reaches
    :func:`score_floor` and either each of the first members of either side reaches the
    threshold on average over the other, or one cross pair reaches ``threshold + STAR_GAP``
    and none is below ``threshold - STAR_FLOOR_GAP`` (the star rule: a near copy of one
    member). A~B and B~C never drag a C that is vetoed against A or far from it into A's
    story.

    Parameters
    ----------
    n : int
        Number of items.
    pi, pj, score : arrays
        Scored pairs ``(pi[k], pj[k])`` and their similarity (pairs below the floor are ignored).
    threshold : float
        Similarity that merges.
    order : array of int
        Items in the order they may become representatives (:func:`representative_order`).
    source : array of int
        Source code per item, -1 if unknown: two items of one known source never share a story.
    fixed : array of uint8, optional
        1 for items that must stay representatives of their own stories (a history): two of
        them never merge.
    feats : Features, optional
        The featurised items: the pairs a merge needs that were not scored are scored on the
        spot; without, they count as 0.

    Returns
    -------
    leader : array of int
        Each item's representative (itself for a representative).
    lscore : array of float
        Each item's similarity to its representative (0 for representatives).

    Examples
    --------
    >>> import numpy as np
    >>> leader, _ = form_stories(3, np.array([0, 1]), np.array([1, 2]), np.array([0.9, 0.9]),
    ...                          0.75, np.arange(3), np.full(3, -1))
    >>> leader.tolist()  # 0~2 was never scored: it counts as 0, so 2 cannot join
    [0, 0, 2]
    """
    if fixed is None:
        fixed = np.zeros(n, dtype=np.uint8)
    floor = score_floor(threshold)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    keep = score >= floor
    pi, pj, score = pi[keep].astype(np.int64), pj[keep].astype(np.int64), score[keep]
    ptr, adj_j, adj_s = _adjacency(n, pi, pj, score)
    # merge order: best score first; ties by the ranks of the two items (deterministic)
    top = np.flatnonzero(score >= threshold)
    lo = np.minimum(rank[pi[top]], rank[pj[top]])
    hi = np.maximum(rank[pi[top]], rank[pj[top]])
    top = top[np.lexsort((hi, lo, -score[top]))]
    can = feats is not None
    f = feats if feats is not None else empty_features()
    clean_hash = f.clean_hash if can else np.zeros(n, dtype=np.uint64)
    rest = kernel_args(f, floor)
    leader = _agglomerate(
        n,
        rank,
        pi[top],
        pj[top],
        ptr,
        adj_j,
        adj_s,
        source.astype(np.int64),
        fixed.astype(np.uint8),
        float(threshold),
        float(floor),
        float(threshold + STAR_GAP),
        float(threshold - STAR_FLOOR_GAP),
        can,
        clean_hash,
        WEIGHTS,
        NAME_VETO_WORDS,
        rest,
    )
    members = np.flatnonzero(leader != np.arange(n))
    lscore = np.zeros(n, dtype=np.float64)
    if members.size:
        lscore[members] = _pair_scores(
            members,
            leader[members],
            ptr,
            adj_j,
            adj_s,
            can,
            clean_hash,
            WEIGHTS,
            NAME_VETO_WORDS,
            rest,
        )
        # A member of a large cluster that was never compared with its final representative
        # (see MERGE_BUDGET) and turns out not to match it -- a veto, or far below the
        # threshold -- stands alone: no duplicate_of points at a different story.
        off = members[lscore[members] < floor]
        leader[off] = off
        lscore[off] = 0.0
    return leader, lscore


@jit
def _adjacency(n, pi, pj, score):  # pragma: no cover - numba
    """Both directions of the scored pairs, grouped by item and sorted by neighbour (CSR)."""
    ptr = np.zeros(n + 1, dtype=np.int64)
    for p in range(pi.shape[0]):
        ptr[pi[p] + 1] += 1
        ptr[pj[p] + 1] += 1
    for d in range(n):
        ptr[d + 1] += ptr[d]
    fill = ptr[:n].copy()
    adj_j = np.empty(ptr[n], dtype=np.int64)
    adj_s = np.empty(ptr[n], dtype=np.float64)
    for p in range(pi.shape[0]):
        for a, b in ((pi[p], pj[p]), (pj[p], pi[p])):
            adj_j[fill[a]] = b
            adj_s[fill[a]] = score[p]
            fill[a] += 1
    for d in range(n):
        lo = ptr[d]
        hi = ptr[d + 1]
        if hi - lo > 1:
            o = np.argsort(adj_j[lo:hi], kind="mergesort")
            adj_j[lo:hi] = adj_j[lo:hi][o]
            adj_s[lo:hi] = adj_s[lo:hi][o]
    return ptr, adj_j, adj_s


def representative_order(
    n: int, keep: str, times: np.ndarray | None, length: np.ndarray
) -> np.ndarray:
    """Items in the order they may become representatives (best candidate first).

    ``keep``: "first" (earliest by ``times``, then input order), "last", or "longest" (by
    ``length``, the folded text's length, then earliest).

    Examples
    --------
    >>> import numpy as np
    >>> representative_order(3, "last", None, np.array([5, 9, 7])).tolist()
    [2, 1, 0]
    >>> representative_order(3, "longest", None, np.array([5, 9, 7])).tolist()
    [1, 2, 0]
    """
    idx = np.arange(n)
    if keep == "first":
        return np.lexsort((idx,) if times is None else (idx, times))
    if keep == "last":
        return np.lexsort((-idx,) if times is None else (-idx, -times))
    # longest: longest clean text first, then earliest
    if times is None:
        return np.lexsort((idx, -length))
    return np.lexsort((idx, times, -length))
