"""How dedup candidates meet across shards: the shuffle of band keys and of candidates.

Each shard's MinHash band entries are split by key into partitions, so that every bucket is
whole in one place; each partition pairs an entry with its next few of the same key, as the
single process does over its one sorted list, and sends each pair to the partitions of its two
items; there each item keeps its best-supported candidates, again as the single process does.
Both exchanges go through :class:`~feedclass.distributed.exchange.Exchange` (``band_task``,
``window_task``, ``best_task``): each piece a file written once and read once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from feedclass.dedup import candidate_keys
from feedclass.dedup.candidates import BANDS
from feedclass.distributed.exchange import Exchange
from feedclass.jit import jit

# Neighbours each band entry is paired with in its sorted bucket: the single process's window
# (private to feedclass.dedup.candidates); the test against one process fails if they part.
_WINDOW = 3


def key_layout(n: int) -> tuple[int, int, int]:
    """Bits of a packed band entry, as the single process lays them out for ``n`` items.

    Returns ``(item bits, shift of the band key, bits of the previous band's key)``.

    Examples
    --------
    >>> key_layout(1_000_000)
    (20, 40, 20)"""
    idx_bits = max(1, int(n - 1).bit_length())
    key_bits = (64 - idx_bits) * 11 // 20
    key_shift = 64 - key_bits
    return idx_bits, key_shift, key_shift - idx_bits


def band_parts(feats: Any, idx: Any, n: int, n_parts: int) -> list[list[Any]]:
    """Each band's packed entries of this shard, split by key into ``n_parts`` partitions.

    An entry is (band key | previous band's key | item number), as the single process sorts
    them; equal keys go to one partition, so every bucket is whole in one place.
    """
    import numpy as np

    idx_bits, key_shift, sec_bits = key_layout(n)
    idx = np.asarray(idx, dtype=np.uint64)
    out: list[list[Any]] = [[] for _ in range(n_parts)]
    all_keys = candidate_keys(feats, BANDS)
    prev = all_keys[:, BANDS - 1]
    for b in range(BANDS):
        keys = np.ascontiguousarray(all_keys[:, b])
        top = keys >> np.uint64(key_shift)
        packed = (top << np.uint64(key_shift)) | idx
        if sec_bits > 0:
            packed |= (prev >> np.uint64(64 - sec_bits)) << np.uint64(idx_bits)
        prev = keys
        # int16 keys: numpy sorts them stably by radix, in linear time
        part = (top % np.uint64(n_parts)).astype(np.int16)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(n_parts + 1))
        for p in range(n_parts):
            out[p].append(packed[order[bounds[p] : bounds[p + 1]]])
    return out


def window_pairs(n: int, n_dest: int, *shard_parts: list[Any]) -> list[Any]:
    """Candidate pairs of one key partition: each entry with its next few of the same key.

    Returns, per destination partition (by item number), the pairs as directed records
    ``((lo * n + hi) * 2 + side) * 64 + votes``: one for each item of the pair, so that each
    item's candidates meet in its own partition.
    """
    import numpy as np

    idx_bits, key_shift, _ = key_layout(n)
    sizes = [sum(parts[b].size for parts in shard_parts) for b in range(BANDS)]
    # every entry pairs with at most _WINDOW later ones: one buffer for all bands
    u = np.empty(sum(sizes) * _WINDOW, dtype=np.int64)
    pos = 0
    for b in range(BANDS):
        if sizes[b] < 2:
            continue
        a = np.concatenate([parts[b] for parts in shard_parts])
        a.sort()
        pos = _window_codes(a, key_shift, idx_bits, n, _WINDOW, u, pos)
    # A pair proposed by several bands of this partition travels once, with its count of
    # votes: the records to move shrink by about the number of bands a near duplicate shares.
    u, votes = _counted(u[:pos])
    votes = np.minimum(votes, 63)
    lo = u // n
    hi = u - lo * n
    # Side 0 goes to lo's partition: u is sorted, so lo is too and its parts are slices.
    rec0 = ((u * 2) << 6) | votes
    b0 = np.searchsorted(lo * n_dest // n, np.arange(n_dest + 1))
    rec1 = ((u * 2 + 1) << 6) | votes
    dest = (hi * n_dest // n).astype(np.int32)
    order = np.argsort(dest, kind="stable")
    b1 = np.searchsorted(dest[order], np.arange(n_dest + 1))
    rec1 = rec1[order]
    return [
        np.concatenate([rec0[b0[q] : b0[q + 1]], rec1[b1[q] : b1[q + 1]]]) for q in range(n_dest)
    ]


def sorted_distinct(a: Any) -> Any:
    """The distinct values of an integer array, sorted (``np.unique`` by one in-place sort,
    several times faster than its hash path on tens of millions of pair codes).

    Examples
    --------
    >>> sorted_distinct(np.array([5, 1, 5, 3, 1])).tolist()
    [1, 3, 5]
    """
    return _counted(a)[0]


def _counted(a: Any) -> tuple[Any, Any]:
    """Sorted distinct values of ``a`` (sorted in place) and how often each occurs."""
    a.sort()
    if a.size == 0:
        return a, np.zeros(0, np.int64)
    first = np.empty(a.size, dtype=bool)
    first[0] = True
    np.not_equal(a[1:], a[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return a[starts], np.diff(np.append(starts, a.size))


@jit(lazy=True, nogil=True)
def _window_codes(a, key_shift, idx_bits, n, window, out, pos):  # pragma: no cover - numba
    """Append to ``out`` the pair code ``lo * n + hi`` of each sorted entry and each of its
    next ``window`` entries of the same key; returns the new end of ``out``."""
    shift = np.uint64(key_shift)
    mask = np.uint64((1 << idx_bits) - 1)
    m = a.shape[0]
    for r in range(m - 1):
        key = a[r] >> shift
        i = np.int64(a[r] & mask)
        for w in range(1, window + 1):
            if r + w >= m or (a[r + w] >> shift) != key:
                break
            j = np.int64(a[r + w] & mask)
            out[pos] = min(i, j) * n + max(i, j)
            pos += 1
    return pos


def keep_best(n: int, k: int, perm: Any, *pieces: Any) -> tuple[Any, Any]:
    """Each item's ``k`` best-supported candidates (most bands, then lowest pair number).

    The single process keeps a pair when it is among the ``k`` best of either item; this
    partition holds every candidate of its items, so it ranks them here. Returns the kept
    pairs as feed positions, the lower first (a pair kept by both its items comes from
    both their partitions: the caller keeps it once).
    """
    import numpy as np

    a = np.concatenate(pieces) if pieces else np.zeros(0, np.int64)
    if a.size == 0:
        e = np.zeros(0, np.int64)
        return e, e
    a.sort()
    bits = max(1, int(n - 1).bit_length())
    key, base = _rank_keys(a, n, bits)
    del a
    key.sort()
    kept = sorted_distinct(_best_of_sorted(key, k, bits, base, n))
    del key
    # item numbers -> feed positions (the pair's lower position first, as the single process)
    gi, gj = perm[kept // n], perm[kept % n]
    return np.minimum(gi, gj), np.maximum(gi, gj)


@jit(lazy=True, nogil=True)
def _rank_keys(a: Any, n: int, bits: int) -> Any:
    """Merge the sorted records ``((pair * 2 + side) << 6) | votes`` of equal pair and side,
    and give each a sort key: (its item - base, 63 - votes, the other item), packed.

    One plain sort of these keys orders each item's candidates most votes first, then lowest
    pair number (for one item, the pair number grows with the other item's number).
    """
    m = a.shape[0]
    src = np.empty(m, np.int64)
    other = np.empty(m, np.int64)
    votes = np.empty(m, np.int64)
    w = -1
    last = -1
    for r in range(m):
        code = a[r] >> 6
        if code != last:
            w += 1
            last = code
            u = code >> 1
            lo = u // n
            hi = u - lo * n
            if (code & 1) == 0:
                src[w] = lo
                other[w] = hi
            else:
                src[w] = hi
                other[w] = lo
            votes[w] = 0
        votes[w] += a[r] & 63
    w += 1
    base = src[:w].min() if w > 0 else 0
    key = np.empty(w, np.int64)
    for r in range(w):
        v = min(votes[r], 63)
        key[r] = ((src[r] - base) << (6 + bits)) | ((63 - v) << bits) | other[r]
    return key, base


@jit(lazy=True, nogil=True)
def _best_of_sorted(key: Any, k: int, bits: int, base: int, n: int) -> Any:
    """The pair numbers of the first ``k`` keys of each item (keys sorted)."""
    out = np.empty(key.shape[0], np.int64)
    w = 0
    last = -1
    rank = 0
    mask = (1 << bits) - 1
    for r in range(key.shape[0]):
        item = key[r] >> (6 + bits)
        if item != last:
            last = item
            rank = 0
        if rank < k:
            a = item + base
            b = key[r] & mask
            out[w] = min(a, b) * n + max(a, b)
            w += 1
        rank += 1
    return out[:w]


def band_task(ex: Exchange, shard: int, feats: Any, idx: Any, n: int, n_parts: int) -> Any:
    """:func:`band_parts` of one shard into the exchange: one piece per key partition (its
    bands one after another); returns the entries per (partition, band)."""
    import numpy as np

    parts = band_parts(feats, idx, n, n_parts)
    counts = np.array([[b.size for b in p] for p in parts], dtype=np.int64).reshape(n_parts, -1)
    ex.write("band", shard, [np.concatenate(p) if p else np.zeros(0, np.uint64) for p in parts])
    return counts


def window_task(ex: Exchange, q: int, band_counts: list[Any], n: int, n_parts: int) -> list[int]:
    """:func:`window_pairs` of key partition ``q``, read from the exchange (every shard's
    piece), its records written back, one piece per item partition; returns their sizes."""
    import numpy as np

    sizes = [int(c[q].sum()) for c in band_counts]
    pieces = ex.read("band", sizes, q, np.uint64)
    shard_parts = []
    for piece, c in zip(pieces, band_counts):
        cuts = np.concatenate(([0], np.cumsum(c[q])))
        shard_parts.append([piece[cuts[b] : cuts[b + 1]] for b in range(c.shape[1])])
    del pieces
    out = window_pairs(n, n_parts, *shard_parts)
    del shard_parts
    return ex.write("window", q, out)


def best_task(
    ex: Exchange, r: int, window_sizes: list[list[int]], n: int, k: int, perm: Any
) -> tuple[Any, Any]:
    """:func:`keep_best` of item partition ``r``, its records read from the exchange."""
    import numpy as np

    pieces = ex.read("window", [w[r] for w in window_sizes], r, np.int64)
    return keep_best(n, k, perm, *pieces)


#: Groups up to this size get every pair scored; a larger one, each member against its first
#: members (those a merge compares first).
_GROUP_ALL = 32
_GROUP_FIRST = 16


def pairs_within_groups(
    n: int, pi: Any, pj: Any, score: Any, threshold: float, order: Any
) -> tuple[Any, Any]:
    """Pairs (lower position first) inside groups joined by pairs at ``threshold``, unscored."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    top = score >= threshold
    if not top.any():
        e = np.zeros(0, np.int64)
        return e, e
    graph = coo_matrix((np.ones(int(top.sum())), (pi[top], pj[top])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    sizes = np.bincount(comp)
    big = np.flatnonzero(sizes >= 3)
    if big.size == 0:
        e = np.zeros(0, np.int64)
        return e, e
    members = np.flatnonzero(np.isin(comp, big))
    members = members[np.lexsort((rank[members], comp[members]))]
    cuts = np.flatnonzero(np.concatenate(([True], np.diff(comp[members]) != 0, [True])))
    # Each member against each of its group's first members (all of them in a small group),
    # for all groups at once: a loop over groups took most of a minute at 10M headlines.
    size = np.diff(cuts)
    first = np.where(size <= _GROUP_ALL, size, _GROUP_FIRST)
    per = np.repeat(first, size)  # pairs of each member
    start = np.repeat(cuts[:-1], size)  # where its group starts in ``members``
    block = np.cumsum(per) - per
    k = np.arange(int(per.sum()), dtype=np.int64) - np.repeat(block, per)
    x = np.repeat(members, per)
    y = members[np.repeat(start, per) + k]
    a, b = np.minimum(x, y), np.maximum(x, y)
    del x, y, k
    code = sorted_distinct(a[a != b] * n + b[a != b])
    have = sorted_distinct(pi.astype(np.int64) * n + pj)
    code = code[~np.isin(code, have, assume_unique=True)]
    return code // n, code % n
