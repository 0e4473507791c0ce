"""How dedup candidates meet across shards: the shuffle of band keys and of candidates.

Each shard's MinHash band entries are split by key into partitions, so that every bucket is
whole in one place; each partition pairs an entry with its next few of the same key, as the
single process does over its one sorted list, and sends each pair to the partitions of its two
items; there each item keeps its best-supported candidates, again as the single process does.
"""

from __future__ import annotations

from typing import Any

from feedclass.dedup import candidate_keys
from feedclass.dedup.candidates import BANDS

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
    ``((lo * n + hi) * 2 + side) * 64 + 1``: one for each item of the pair, so that each
    item's candidates meet in its own partition.
    """
    import numpy as np

    idx_bits, key_shift, _ = key_layout(n)
    imask = np.uint64((1 << idx_bits) - 1)
    codes = []
    for b in range(BANDS):
        a = np.concatenate([parts[b] for parts in shard_parts])
        if a.size < 2:
            continue
        a.sort()
        key = a >> np.uint64(key_shift)
        item = (a & imask).astype(np.int64)
        for w in range(1, _WINDOW + 1):
            same = np.flatnonzero(key[:-w] == key[w:])
            if same.size == 0:
                break
            i, j = item[same], item[same + w]
            codes.append(np.minimum(i, j) * n + np.maximum(i, j))
    u = np.concatenate(codes) if codes else np.zeros(0, np.int64)
    out = []
    lo, hi = u // n, u % n
    for side, owner in ((0, lo), (1, hi)):
        rec = ((u * 2 + side) << 6) | 1
        dest = (owner * n_dest // n).astype(np.int16)
        order = np.argsort(dest, kind="stable")
        bounds = np.searchsorted(dest[order], np.arange(n_dest + 1))
        out.append([rec[order[bounds[q] : bounds[q + 1]]] for q in range(n_dest)])
    return [np.concatenate([out[0][q], out[1][q]]) for q in range(n_dest)]


def keep_best(n: int, k: int, perm: Any, offsets: Any, *pieces: Any) -> dict[Any, Any]:
    """Each item's ``k`` best-supported candidates (most bands, then lowest pair number).

    The single process keeps a pair when it is among the ``k`` best of either item; this
    partition holds every candidate of its items, so it ranks them here. Returns the kept
    pairs as feed positions, grouped by the pair of shards they join.
    """
    import numpy as np

    a = np.concatenate(pieces) if pieces else np.zeros(0, np.int64)
    if a.size == 0:
        return {}
    a.sort()
    code = a >> 6
    starts = np.flatnonzero(np.concatenate(([True], code[1:] != code[:-1])))
    votes = np.minimum(np.add.reduceat(a & 63, starts), 63)
    code = code[starts]
    u, side = code >> 1, code & 1
    lo, hi = u // n, u % n
    src = np.where(side == 0, lo, hi)
    other = np.where(side == 0, hi, lo)
    # One plain sort by (item, most votes first, then lowest pair number): for one item the
    # pair number grows with the other item's number, so that stands in for it. Packed in one
    # int64 (the item relative to this partition's first), it is a SIMD sort, not an argsort.
    bits = max(1, int(n - 1).bit_length())
    base = int(src.min())
    key = ((src - base) << (6 + bits)) | ((63 - votes) << bits) | other
    key.sort()
    s = key >> (6 + bits)
    first = np.concatenate(([True], s[1:] != s[:-1]))
    pos = np.arange(s.size)
    rank = pos - np.maximum.accumulate(np.where(first, pos, 0))
    top = key[rank < k]
    a_item = (top >> (6 + bits)) + base
    b_item = top & ((1 << bits) - 1)
    kept = np.unique(np.minimum(a_item, b_item) * n + np.maximum(a_item, b_item))
    # item numbers -> feed positions (the pair's lower position first, as the single process)
    gi, gj = perm[kept // n], perm[kept % n]
    lo, hi = np.minimum(gi, gj), np.maximum(gi, gj)
    sa = np.searchsorted(offsets, lo, side="right") - 1
    sb = np.searchsorted(offsets, hi, side="right") - 1
    groups: dict[Any, Any] = {}
    key = sa * len(offsets) + sb
    order = np.argsort(key, kind="stable")
    key, lo, hi, sa, sb = key[order], lo[order], hi[order], sa[order], sb[order]
    cuts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1], [True])))
    for c0, c1 in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
        ga, gb = int(sa[c0]), int(sb[c0])
        groups[(ga, gb)] = (lo[c0:c1] - offsets[ga], hi[c0:c1] - offsets[gb])
    return groups


def pick_group(groups: dict[Any, Any], key: tuple[int, int]) -> Any:
    return groups.get(key)


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
    ai, aj = [], []
    for c0, c1 in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
        group = members[c0:c1]
        first = group if group.size <= _GROUP_ALL else group[:_GROUP_FIRST]
        x = np.repeat(group, first.size)
        y = np.tile(first, group.size)
        ai.append(np.minimum(x, y))
        aj.append(np.maximum(x, y))
    a, b = np.concatenate(ai), np.concatenate(aj)
    code = np.unique(a[a != b] * n + b[a != b])
    have = np.unique(pi.astype(np.int64) * n + pj)
    code = code[~np.isin(code, have, assume_unique=True)]
    return code // n, code % n
