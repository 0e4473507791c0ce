"""Slips of the pen: a word with one letter dropped or two neighbouring letters swapped.

Newsroom copies carry typos («Сртоительство», «Карагнде»); a stem or name that differs by a
slip would read as another word and cost the copy its original. Within a batch, each slipped
word takes the hashes of the word it stands for (:func:`undo_typos`), before stems, names and
candidates are made. A substituted letter is no slip: «Сагинтаев» / «Сагинбаев» stay two
people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from feedclass.dedup.ragged import in_sorted
from feedclass.hashing import FNV_OFFSET, FNV_PRIME, mix64
from feedclass.jit import jit

__all__ = [
    "TYPO_MIN_LEN",
    "TypoWords",
    "is_slip",
    "join_typo_words",
    "typo_map",
    "typo_words",
    "undo_typos",
    "undo_typos_with",
]

#: A word of at least this many letters may be written with one letter dropped or two
# neighbouring letters swapped, and still be the same word (see :func:`typo_map`).
TYPO_MIN_LEN = 6


@jit(inline="always")
def is_slip(a, a0, a1, b, b0, b1):  # pragma: no cover - numba
    """Whether the words ``a[a0:a1]`` and ``b[b0:b1]`` (code points) are one word written two
    ways: one is the other with a letter dropped (not the first) or two neighbouring letters
    swapped (not the first), the longer of ``TYPO_MIN_LEN``+ letters. A substituted letter is
    not a slip («Сагинтаев» / «Сагинбаев»).

    Examples
    --------
    >>> w = lambda t: np.array([ord(c) for c in t], dtype=np.uint32)
    >>> def slip(x, y):
    ...     return is_slip(w(x), 0, len(x), w(y), 0, len(y))
    >>> slip("омсулов", "омсуолв"), slip("сабеева", "сабева"), slip("сагинтаев", "сагинбаев")
    (True, True, False)
    """
    if a1 - a0 < b1 - b0:
        return _slip_of_longer(b, b0, b1, a, a0, a1)
    return _slip_of_longer(a, a0, a1, b, b0, b1)


@jit(inline="always")
def _slip_of_longer(a, a0, a1, b, b0, b1):  # pragma: no cover - numba
    """:func:`is_slip` where ``a`` is at least as long as ``b``."""
    la = a1 - a0
    lb = b1 - b0
    if la < TYPO_MIN_LEN or la - lb > 1 or a[a0] != b[b0]:
        return False
    p = 1  # first position where they differ
    while p < lb and a[a0 + p] == b[b0 + p]:
        p += 1
    if la == lb + 1:  # a letter of a dropped at p: the rest of a, shifted by one, is b's rest
        for q in range(p, lb):
            if a[a0 + q + 1] != b[b0 + q]:
                return False
        return True
    if p >= la - 1 or a[a0 + p] != b[b0 + p + 1] or a[a0 + p + 1] != b[b0 + p]:
        return False  # identical, or not a swap of neighbours at p
    if a[a0 + p] == a[a0 + p + 1]:
        return False
    for q in range(p + 2, la):
        if a[a0 + q] != b[b0 + q]:
            return False
    return True


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
    # rank: a month or number word first (a known word: «нобяря» is none), then more frequent,
    # then one that reads as a surname (the slip may have broken its -ов/-ев, and the surname
    # rule needs it), then longer, then smaller hash
    fixed = np.zeros(keys.size, dtype=bool)
    fixed[inv[target_only[cand]]] = True
    named = (tk["lhash"][rep] != 0).astype(np.int64)
    order = np.lexsort((keys, -length[rep], -named, -counts, -fixed.astype(np.int64)))
    rank = np.empty(keys.size, dtype=np.int64)
    rank[order] = np.arange(keys.size)
    best = np.arange(keys.size)
    o = np.argsort(rank[b], kind="stable")[::-1]  # best neighbour written last wins
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


@dataclass
class TypoWords:
    """The words a batch's slips are undone among, with what :func:`typo_map` ranks them by.

    One batch's table (:func:`typo_words`) or several batches' joined in feed order
    (:func:`join_typo_words`): undoing slips with the joined table
    (``content_tokens(texts, typos=table)``) treats each batch as part of one feed, so that a
    word is read the same way in every shard of an archive.
    """

    keys: np.ndarray  # word hash, sorted
    counts: np.ndarray  # occurrences in the batch
    length: np.ndarray  # letters
    named: np.ndarray  # bool: the first occurrence reads as a surname
    target: np.ndarray  # bool: a month or number word (a slip may stand for it, never be one)
    hashes: np.ndarray  # (whash, shash, lhash, latin) of the first occurrence, 4 x words
    var_src: np.ndarray  # word (index into keys) of each slip variant below
    var_hash: np.ndarray  # hash of one of that word's one-letter slips


def _typo_candidates(tk: dict[str, np.ndarray], fixed: np.ndarray) -> np.ndarray:
    plain = ~tk["num"] & ~in_sorted(tk["whash"], fixed)
    length = tk["end"] - tk["start"]
    return np.flatnonzero(plain & (length >= TYPO_MIN_LEN - 1))


def typo_words(tk: dict[str, np.ndarray], fixed: np.ndarray, targets: np.ndarray) -> TypoWords:
    """The table of a batch's words that :func:`undo_typos` would rank (same arguments).

    Examples
    --------
    >>> from feedclass.dedup.tokens import tokenize
    >>> t = typo_words(tokenize(["Строительство моста", "Сртоительство"]),
    ...                np.zeros(0, np.uint64), np.zeros(0, np.uint64))
    >>> t.keys.size, t.counts.tolist()  # строительство, сртоительство, моста
    (3, [1, 1, 1])
    """
    cand = _typo_candidates(tk, fixed)
    keys, first, inv, counts = np.unique(
        tk["whash"][cand], return_index=True, return_inverse=True, return_counts=True
    )
    rep = cand[first]
    length = (tk["end"] - tk["start"])[rep]
    src, var = _typo_variants(tk["clean"], tk["start"][rep], tk["end"][rep], TYPO_MIN_LEN)
    target = np.zeros(keys.size, dtype=bool)
    target[inv[in_sorted(tk["whash"][cand], targets)]] = True
    hashes = np.stack(
        [tk["whash"][rep], tk["shash"][rep], tk["lhash"][rep], tk["latin"][rep].astype(np.uint64)]
    )
    return TypoWords(
        keys=keys,
        counts=counts.astype(np.int64),
        length=length.astype(np.int64),
        named=tk["lhash"][rep] != 0,
        target=target,
        hashes=hashes,
        var_src=src.astype(np.int64),
        var_hash=var,
    )


def join_typo_words(parts: list[TypoWords]) -> TypoWords:
    """The table of several batches read as one feed, in the order given (a word's first
    occurrence is in the first batch that has it; counts add up).

    Examples
    --------
    >>> from feedclass.dedup.tokens import tokenize
    >>> z = np.zeros(0, np.uint64)
    >>> a = typo_words(tokenize(["Строительство моста"]), z, z)
    >>> b = typo_words(tokenize(["Строительство"]), z, z)
    >>> sorted(join_typo_words([a, b]).counts.tolist())
    [1, 2]
    """
    keys = np.concatenate([p.keys for p in parts])
    ukeys, first, inv = np.unique(keys, return_index=True, return_inverse=True)
    offs = np.cumsum([0] + [p.keys.size for p in parts])
    var_src = np.concatenate([p.var_src + o for p, o in zip(parts, offs[:-1].tolist())])
    var_hash = np.concatenate([p.var_hash for p in parts])
    # each word's slips once: those of its first occurrence (they depend on its letters only),
    # and only those that are words of the feed (the rest can never match)
    mine = np.isin(var_src, first) & in_sorted(var_hash, ukeys)
    return TypoWords(
        keys=ukeys,
        counts=np.bincount(inv, weights=np.concatenate([p.counts for p in parts])).astype(np.int64),
        length=np.concatenate([p.length for p in parts])[first],
        named=np.concatenate([p.named for p in parts])[first],
        target=np.bincount(inv, weights=np.concatenate([p.target for p in parts])) > 0,
        hashes=np.concatenate([p.hashes for p in parts], axis=1)[:, first],
        var_src=inv[var_src[mine]],
        var_hash=var_hash[mine],
    )


def undo_typos_with(tk: dict[str, np.ndarray], fixed: np.ndarray, table: TypoWords) -> None:
    """:func:`undo_typos` with the words ranked over ``table`` (a whole feed's) instead of
    the batch alone; ``tk`` is changed in place. On a batch's own table it does what
    :func:`undo_typos` does.

    Examples
    --------
    >>> from feedclass.dedup.tokens import tokenize
    >>> z = np.zeros(0, np.uint64)
    >>> feed = ["Строительство моста", "Строительство дороги", "Сртоительство"]
    >>> table = typo_words(tokenize(feed), z, z)
    >>> tk = tokenize(feed[2:])
    >>> undo_typos_with(tk, z, table)
    >>> bool(tk["whash"][0] == tokenize(feed[:1])["whash"][0])
    True
    """
    keys = table.keys
    if keys.size == 0:
        return
    pos = np.minimum(np.searchsorted(keys, table.var_hash), keys.size - 1)
    hit = keys[pos] == table.var_hash
    a, b = table.var_src[hit], pos[hit]
    a, b = np.concatenate((a, b)), np.concatenate((b, a))
    best = np.arange(keys.size)
    if a.size:
        order = np.lexsort(
            (
                keys,
                -table.length,
                -table.named.astype(np.int64),
                -table.counts,
                -table.target.astype(np.int64),
            )
        )
        rank = np.empty(keys.size, dtype=np.int64)
        rank[order] = np.arange(keys.size)
        o = np.argsort(rank[b], kind="stable")[::-1]
        better = (rank[b[o]] < rank[a[o]]) & ~table.target[a[o]]
        best[a[o][better]] = b[o][better]
        best = np.where(best[best] == best, best, np.arange(keys.size))
    if not (table.counts > 1).any() and (best == np.arange(keys.size)).all():
        return  # no word is read another way, nor seen twice: as undo_typos, change nothing
    cand = _typo_candidates(tk, fixed)
    w = np.minimum(np.searchsorted(keys, tk["whash"][cand]), keys.size - 1)
    known = keys[w] == tk["whash"][cand]
    cand, w = cand[known], best[w[known]]
    for row, key in enumerate(("whash", "shash", "lhash")):
        tk[key] = tk[key].copy()
        tk[key][cand] = table.hashes[row, w].astype(tk[key].dtype)
    tk["latin"] = tk["latin"].copy()
    tk["latin"][cand] = table.hashes[3, w].astype(bool)
