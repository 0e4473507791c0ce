"""The incremental index's candidate table: MinHash band key -> the items holding it.

Why this design: a batch finds candidates by sorting every band key at once; an index that takes
one item at a time cannot re-sort millions of keys per item, and a hash table of lists costs a
Python object per entry. So the keys live in a small log-structured table (as LSM trees and
Lucene's segments do): sorted levels searched by bisection, plus an unsorted buffer of the
newest items. A full buffer becomes a level, and a level merges into the one below when it
reaches a quarter of its size, so an insert costs O(log n) amortised and no single insert
re-sorts the table. Dead items are dropped when their level is merged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from feedclass.jit import jit

__all__ = ["BandTable", "GrowArray", "top_voted"]

_NEVER = np.iinfo(np.int64).max  # the step of an entry that is not forgotten

WALK = 64  # newest items read per band bucket (a bucket of a common stem pair can be huge)
BUFFER = 128  # items whose band keys wait unsorted before they become a sorted level
LEVEL_RATIO = 4  # a level is merged into the one below when it reaches 1/4 of its size


class GrowArray:
    """A 1-d numpy array with amortised O(1) append (capacity doubles).

    Examples
    --------
    >>> g = GrowArray(np.int64)
    >>> g.extend(np.arange(3)); g.extend(np.array([7]))
    >>> g.view.tolist(), g.n
    ([0, 1, 2, 7], 4)
    """

    def __init__(self, dtype: Any, data: np.ndarray | None = None) -> None:
        base = np.zeros(0, dtype=dtype) if data is None else np.asarray(data, dtype=dtype)
        self._a = np.empty(max(16, base.size * 2), dtype=dtype)
        self._a[: base.size] = base
        self.n = base.size

    @property
    def view(self) -> np.ndarray:
        """The filled part (a view: writes go to the array)."""
        return self._a[: self.n]

    @property
    def dtype(self) -> np.dtype:
        return self._a.dtype

    @property
    def nbytes(self) -> int:
        """Bytes held, spare capacity included."""
        return int(self._a.nbytes)

    def extend(self, vals: np.ndarray) -> None:
        m = self.n + vals.size
        if m > self._a.size:
            new = np.empty(max(m, 2 * self._a.size), dtype=self._a.dtype)
            new[: self.n] = self._a[: self.n]
            self._a = new
        self._a[self.n : m] = vals
        self.n = m


@jit
def _walk_level(keys, slots, alive, q, taken, walk, out, w):  # pragma: no cover - numba
    """Append to ``out`` the live slots of each query key found in one sorted level, newest
    first, at most ``walk`` per key over all levels (``taken`` counts them)."""
    for b in range(q.shape[0]):
        if taken[b] >= walk:
            continue
        p = np.searchsorted(keys, q[b], side="right") - 1
        while p >= 0 and keys[p] == q[b] and taken[b] < walk:
            s = slots[p]
            if alive[s]:
                out[w] = s
                w += 1
                taken[b] += 1
            p -= 1
    return w


@jit
def _walk_buffer(keys, slots, alive, q, taken, walk, out, w):  # pragma: no cover - numba
    """The same over the unsorted buffer (newest last), for keys in the sorted ``q``."""
    for p in range(keys.shape[0] - 1, -1, -1):
        b = np.searchsorted(q, keys[p])
        if b < q.shape[0] and q[b] == keys[p] and taken[b] < walk and alive[slots[p]]:
            out[w] = slots[p]
            w += 1
            taken[b] += 1
    return w


@jit
def _merge_levels(k1, s1, k2, s2, alive):  # pragma: no cover - numba
    """Merge two levels sorted by (key, slot), ``k2`` holding the newer slots; drop dead ones."""
    n = k1.shape[0] + k2.shape[0]
    ko = np.empty(n, dtype=k1.dtype)
    so = np.empty(n, dtype=s1.dtype)
    a = 0
    b = 0
    w = 0
    while a < k1.shape[0] or b < k2.shape[0]:
        if b >= k2.shape[0] or (a < k1.shape[0] and k1[a] <= k2[b]):
            k, s = k1[a], s1[a]
            a += 1
        else:
            k, s = k2[b], s2[b]
            b += 1
        if alive[s]:
            ko[w] = k
            so[w] = s
            w += 1
    return ko[:w], so[:w]


@jit
def top_voted(found, n_keep):  # pragma: no cover - numba
    """The ``n_keep`` slots found most often (most shared bands), newest first among ties.

    Examples
    --------
    >>> top_voted(np.array([4, 1, 4, 2, 1, 4]), 2).tolist()
    [4, 1]
    """
    if found.shape[0] == 0:
        return found
    f = np.sort(found)
    uniq = np.empty(f.shape[0], dtype=np.int64)
    cnt = np.empty(f.shape[0], dtype=np.int64)
    m = 0
    for p in range(f.shape[0]):
        if m > 0 and uniq[m - 1] == f[p]:
            cnt[m - 1] += 1
        else:
            uniq[m] = f[p]
            cnt[m] = 1
            m += 1
    # sort by votes desc, then slot desc (newer first)
    order = np.argsort(-(cnt[:m] * (np.int64(1) << np.int64(40)) + uniq[:m]))
    return uniq[:m][order[:n_keep]]


@jit
def _top_into(found, w, n_keep, table_k, table_c, used, out):  # pragma: no cover - numba
    """:func:`top_voted` of ``found[:w]`` written into ``out`` (same slots, same order), with
    the votes counted in an open-addressing table (``table_k`` all -1 on entry and on exit)
    instead of a sort: a bucket of common stems gives thousands of entries per item."""
    mask = table_k.shape[0] - 1
    nu = 0
    for i in range(w):
        s = found[i]
        h = (s * 0x9E3779B1) & mask
        while table_k[h] != -1 and table_k[h] != s:
            h = (h + 1) & mask
        if table_k[h] == -1:
            table_k[h] = s
            used[nu] = h
            nu += 1
        table_c[h] += 1
    # the n_keep best by (votes, slot), kept sorted best first
    best_s = np.full(n_keep, -1, dtype=np.int64)
    best_c = np.zeros(n_keep, dtype=np.int64)
    nb_ = 0
    for i in range(nu):
        h = used[i]
        s = table_k[h]
        c = table_c[h]
        table_k[h] = -1
        table_c[h] = 0
        if nb_ == n_keep and (
            c < best_c[n_keep - 1] or (c == best_c[n_keep - 1] and s < best_s[n_keep - 1])
        ):
            continue
        j = nb_ if nb_ < n_keep else n_keep - 1
        while j > 0 and (c > best_c[j - 1] or (c == best_c[j - 1] and s > best_s[j - 1])):
            if j < n_keep:
                best_s[j] = best_s[j - 1]
                best_c[j] = best_c[j - 1]
            j -= 1
        best_s[j] = s
        best_c[j] = c
        if nb_ < n_keep:
            nb_ += 1
    out[:nb_] = best_s[:nb_]


@jit
def _period_new(
    qs, step, e0, new_k, new_e, death, n_old, walk, taken, found, w
):  # pragma: no cover - numba
    """For items ``e0 + i`` (sorted keys ``qs[i]``): the period's earlier items sharing a key,
    newest first, that count at the item's step (see :meth:`BandTable.lookup_period`)."""
    m, nb = qs.shape
    for i in range(m):
        e = e0 + i
        t = step[e]
        for b in range(nb):
            p = np.searchsorted(new_k, qs[i, b], side="left")
            hi = np.searchsorted(new_k, qs[i, b], side="right")
            r = p + np.searchsorted(new_e[p:hi], e) - 1  # the newest item before e
            while r >= p and taken[i, b] < walk:
                s = n_old + new_e[r]
                if death[s] > t:
                    found[i, w[i]] = s
                    w[i] += 1
                    taken[i, b] += 1
                r -= 1


@jit
def _period_level(
    qs, step, e0, lvl_k, lvl_s, death, walk, taken, found, w
):  # pragma: no cover - numba
    """The same over one sorted level (within a key, the newest slot last)."""
    m, nb = qs.shape
    for i in range(m):
        t = step[e0 + i]
        for b in range(nb):
            if taken[i, b] >= walk:
                continue
            r = np.searchsorted(lvl_k, qs[i, b], side="right") - 1
            while r >= 0 and lvl_k[r] == qs[i, b] and taken[i, b] < walk:
                if death[lvl_s[r]] > t:
                    found[i, w[i]] = lvl_s[r]
                    w[i] += 1
                    taken[i, b] += 1
                r -= 1


@jit
def _period_top(found, w, n_keep, out):  # pragma: no cover - numba
    m, width = found.shape
    size = 1
    while size < 2 * width:
        size *= 2
    table_k = np.full(size, -1, dtype=np.int64)
    table_c = np.zeros(size, dtype=np.int64)
    used = np.empty(width, dtype=np.int64)
    for i in range(m):
        _top_into(found[i], w[i], n_keep, table_k, table_c, used, out[i])


_PERIOD_CHUNK = 512  # new items looked up together (their found lists: 24 KiB each)


class BandTable:
    """Band key -> slots, as sorted levels plus an unsorted buffer of the newest entries.

    Slots are the index's item numbers; ``alive`` (one bool per slot) says which still count.

    Examples
    --------
    >>> t = BandTable()
    >>> alive = np.ones(3, dtype=bool)
    >>> for slot, keys in enumerate(([1, 2], [2, 3], [9, 8])):
    ...     t.add(np.array(keys, dtype=np.uint64), slot, alive)
    >>> sorted(t.lookup(np.array([2, 3], dtype=np.uint64), alive).tolist())
    [0, 1, 1]
    """

    def __init__(self) -> None:
        self.levels: list[tuple[np.ndarray, np.ndarray]] = []
        self.buf_k = GrowArray(np.uint64)
        self.buf_s = GrowArray(np.int64)
        self.buf_items = 0

    def add(self, keys: np.ndarray, slot: int, alive: np.ndarray) -> None:
        self.buf_k.extend(keys)
        self.buf_s.extend(np.full(keys.size, slot, dtype=np.int64))
        self.buf_items += 1
        if self.buf_items >= BUFFER:
            self.flush(alive)

    def flush(self, alive: np.ndarray) -> None:
        if self.buf_k.n == 0:
            return
        k, s = self.buf_k.view, self.buf_s.view
        o = np.lexsort((s, k))
        self.levels.append((k[o].copy(), s[o].copy()))
        self.buf_k, self.buf_s, self.buf_items = GrowArray(np.uint64), GrowArray(np.int64), 0
        while len(self.levels) >= 2 and (
            self.levels[-1][0].size * LEVEL_RATIO >= self.levels[-2][0].size
        ):
            (k2, s2), (k1, s1) = self.levels.pop(), self.levels.pop()
            self.levels.append(_merge_levels(k1, s1, k2, s2, alive))

    def lookup(self, q: np.ndarray, alive: np.ndarray) -> np.ndarray:
        qs = np.sort(q)
        taken = np.zeros(qs.size, dtype=np.int64)
        out = np.empty(qs.size * WALK, dtype=np.int64)
        w = _walk_buffer(self.buf_k.view, self.buf_s.view, alive, qs, taken, WALK, out, 0)
        for k, s in reversed(self.levels):
            w = _walk_level(k, s, alive, qs, taken, WALK, out, w)
        return out[:w]

    def lookup_period(
        self, q: np.ndarray, step: np.ndarray, death: np.ndarray, walk: int, n_keep: int
    ) -> np.ndarray:
        """:meth:`lookup` + :func:`top_voted` for a period's new items at once, before they
        are added (``q``: their band keys, one row each; see ``_period_lookup``).

        Examples
        --------
        >>> t = BandTable()
        >>> t.add(np.array([1, 2], dtype=np.uint64), 0, np.ones(1, dtype=bool))
        >>> q = np.array([[2, 5], [5, 7]], dtype=np.uint64)  # new items, slots 1 and 2
        >>> death = np.full(3, np.iinfo(np.int64).max)
        >>> t.lookup_period(q, np.array([0, 1]), death, 64, 4).tolist()
        [[0, -1, -1, -1], [1, -1, -1, -1]]
        """
        m, nb = q.shape
        flat_k = q.reshape(-1)
        flat_e = np.repeat(np.arange(m, dtype=np.int64), nb)
        o = np.lexsort((flat_e, flat_k))
        new_k, new_e = flat_k[o], flat_e[o]
        step = step.astype(np.int64)
        death = death.astype(np.int64)
        n_old = death.shape[0] - m
        out = np.full((m, n_keep), -1, dtype=np.int64)
        # the buffer, sorted like a level (within a key the newest slot last): one bisection
        # per key instead of a pass over the whole buffer per item
        o = np.lexsort((self.buf_s.view, self.buf_k.view))
        bk, bs = self.buf_k.view[o], self.buf_s.view[o]
        for e0 in range(0, m, _PERIOD_CHUNK):
            qs = np.sort(q[e0 : e0 + _PERIOD_CHUNK], axis=1)
            c = qs.shape[0]
            taken = np.zeros((c, nb), dtype=np.int64)
            found = np.empty((c, nb * walk), dtype=np.int64)
            w = np.zeros(c, dtype=np.int64)
            # per key, newest first: the period's earlier items, the buffer, the levels
            _period_new(qs, step, e0, new_k, new_e, death, n_old, walk, taken, found, w)
            _period_level(qs, step, e0, bk, bs, death, walk, taken, found, w)
            for k, s in reversed(self.levels):
                _period_level(qs, step, e0, k, s, death, walk, taken, found, w)
            _period_top(found, w, n_keep, out[e0 : e0 + c])
        return out

    def remap(self, alive: np.ndarray, pos: np.ndarray) -> None:
        """Drop dead slots and renumber the rest through ``pos`` (order is kept)."""
        levels = []
        for k, s in self.levels:
            m = alive[s]
            levels.append((k[m], pos[s[m]]))
        self.levels = levels
        bk, bs = self.buf_k.view, self.buf_s.view
        m = alive[bs]
        self.buf_k, self.buf_s = GrowArray(np.uint64, bk[m]), GrowArray(np.int64, pos[bs[m]])

    def rebuild(self, keys: np.ndarray, slots: np.ndarray) -> None:
        """Replace everything with one level holding ``keys``/``slots`` (one row per slot)."""
        k = keys.reshape(-1)
        s = np.repeat(slots.astype(np.int64), keys.shape[1]) if keys.ndim == 2 else slots
        o = np.lexsort((s, k))
        self.levels = [(k[o].copy(), s[o].copy())] if k.size else []
        self.buf_k, self.buf_s, self.buf_items = GrowArray(np.uint64), GrowArray(np.int64), 0

    @property
    def nbytes(self) -> int:
        return (
            sum(k.nbytes + s.nbytes for k, s in self.levels) + self.buf_k.nbytes + self.buf_s.nbytes
        )
