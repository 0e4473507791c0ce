"""Slips of the pen: a word with one letter dropped or two neighbouring letters swapped.

Newsroom copies carry typos («Сртоительство», «Карагнде»); a stem or name that differs by a
slip would read as another word and cost the copy its original. Within a batch, each slipped
word takes the hashes of the word it stands for (:func:`undo_typos`), before stems, names and
candidates are made. A substituted letter is no slip: «Сагинтаев» / «Сагинбаев» stay two
people.
"""

from __future__ import annotations

import numba
import numpy as np

from feedclass.dedup.ragged import in_sorted
from feedclass.hashing import FNV_OFFSET, FNV_PRIME, mix64
from feedclass.jit import jit

__all__ = ["TYPO_MIN_LEN", "typo_map", "undo_typos"]

#: A word of at least this many letters may be written with one letter dropped or two
# neighbouring letters swapped, and still be the same word (see :func:`typo_map`).
TYPO_MIN_LEN = 6


@jit(parallel=True)
def _typo_variants(clean, starts, ends, min_len):  # pragma: no cover - numba
    """Hashes of each word's one-letter slips: every letter but the first dropped, and every
    two neighbouring letters after the first swapped, for words of ``min_len``+ letters.

    Returns (word index, variant hash) pairs; a word shorter than ``min_len`` gets none.
    """
    n = starts.shape[0]
    cnt = np.zeros(n + 1, dtype=np.int64)
    for u in range(n):
        L = ends[u] - starts[u]
        if L >= min_len:
            cnt[u + 1] = (L - 1) + (L - 2)
    for u in range(n):
        cnt[u + 1] += cnt[u]
    src = np.empty(cnt[n], dtype=np.int64)
    var = np.empty(cnt[n], dtype=np.uint64)
    for u in numba.prange(n):
        s = starts[u]
        e = ends[u]
        L = e - s
        if L < min_len:
            continue
        w = cnt[u]
        for p in range(1, L):  # drop letter p
            h = FNV_OFFSET
            for k in range(s, e):
                if k != s + p:
                    h = (h ^ np.uint64(clean[k])) * FNV_PRIME
            src[w] = u
            var[w] = mix64(h)
            w += 1
        for p in range(1, L - 1):  # swap letters p and p + 1
            h = FNV_OFFSET
            for k in range(s, e):
                q = k
                if k == s + p:
                    q = k + 1
                elif k == s + p + 1:
                    q = k - 1
                h = (h ^ np.uint64(clean[q])) * FNV_PRIME
            src[w] = u
            var[w] = mix64(h)
            w += 1
    return src, var


def typo_map(tk: dict[str, np.ndarray], keep: np.ndarray, target_only: np.ndarray) -> np.ndarray:
    """For each token, the token whose word it stands for once a slip of the pen is undone.

    Two words of the batch are one word written two ways when one is the other with a letter
    dropped (not the first), or with two neighbouring letters swapped, and the longer has
    ``TYPO_MIN_LEN``+ letters: «Караганде» / «Карагнде», «строительство» / «сртоительство».
    A substituted letter is not a slip: «Сагинтаев» / «Сагинбаев» are two people. Each word
    goes to the most frequent of itself and its slips in the batch (then one that reads as a
    surname, then the longer, then the smaller hash: the choice does not depend on the order
    of the feed), and only when that
    word keeps itself, so no chain of slips joins words two letters apart. Only tokens in
    ``keep`` take part; those also in ``target_only`` (months, number words) keep themselves.

    Returns an index array: token t should read its hashes from token ``out[t]``.
    """
    nt = tk["whash"].shape[0]
    out = np.arange(nt)
    length = tk["end"] - tk["start"]
    cand = np.flatnonzero(keep & (length >= TYPO_MIN_LEN - 1))
    if cand.size == 0:
        return out
    keys, first, inv, counts = np.unique(
        tk["whash"][cand], return_index=True, return_inverse=True, return_counts=True
    )
    rep = cand[first]  # one token per distinct word
    src, var = _typo_variants(tk["clean"], tk["start"][rep], tk["end"][rep], TYPO_MIN_LEN)
    pos = np.minimum(np.searchsorted(keys, var), keys.size - 1)
    hit = keys[pos] == var
    a, b = src[hit], pos[hit]  # word a, slipped, is word b (or b is a with a letter dropped)
    a, b = np.concatenate((a, b)), np.concatenate((b, a))
    if a.size == 0:
        return out
    # rank: more frequent first, then one that reads as a surname (the slip may have broken
    # its -ов/-ев, and the surname rule needs it), then longer, then smaller hash
    named = (tk["lhash"][rep] != 0).astype(np.int64)
    order = np.lexsort((keys, -length[rep], -named, -counts))
    rank = np.empty(keys.size, dtype=np.int64)
    rank[order] = np.arange(keys.size)
    best = np.arange(keys.size)
    o = np.argsort(rank[b], kind="stable")[::-1]  # best neighbour written last wins
    fixed = np.zeros(keys.size, dtype=bool)
    fixed[inv[target_only[cand]]] = True
    better = (rank[b[o]] < rank[a[o]]) & ~fixed[a[o]]
    best[a[o][better]] = b[o][better]
    # only to a word that keeps itself: no chains
    best = np.where(best[best] == best, best, np.arange(keys.size))
    out[cand] = rep[best[inv]]
    return out


def undo_typos(tk: dict[str, np.ndarray], fixed: np.ndarray, targets: np.ndarray) -> None:
    """Give each slipped word the hashes of the word it stands for (see :func:`typo_map`).

    ``tk`` is :func:`feedclass.dedup.tokens.tokenize`'s output, changed in place. Words in
    the sorted hash array ``fixed`` never take part (function words: «стали» is no «Сталин»);
    words in ``targets`` (months, number words) may be what a slip stands for, never a slip.
    The stems, names and candidates then see one word; the character n-grams still see the
    slip, so a copy with a typo scores a little below an exact one.

    Examples
    --------
    >>> from feedclass.dedup.tokens import tokenize
    >>> tk = tokenize(["Строительство моста", "Сртоительство моста"])
    >>> undo_typos(tk, np.zeros(0, np.uint64), np.zeros(0, np.uint64))
    >>> bool(tk["whash"][0] == tk["whash"][2])
    True
    """
    whash = tk["whash"]
    plain = ~tk["num"] & ~in_sorted(whash, fixed)
    src = typo_map(tk, plain, in_sorted(whash, targets))
    moved = src != np.arange(src.size)
    if moved.any():
        for key in ("whash", "shash", "lhash", "latin"):
            tk[key] = tk[key][src]
