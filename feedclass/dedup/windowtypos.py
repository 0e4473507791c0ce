"""The incremental index's slips of the pen, read the way the batch reads them: by word counts.

Why this design
---------------
* The batch sends a slipped word («Карагнде») to the most frequent of itself and its slips in
  the whole feed (:func:`~feedclass.dedup.typos.typo_map`). The index cannot see the whole
  feed, and a pair's score must not depend on which other headlines share a call. So it ranks
  words by the counts of its window, taken at the snapshot of the period
  (:mod:`~feedclass.dedup.windowcounts`): which word a token reads as then depends on the word
  and the snapshot alone, and one-at-a-time adds and a batch read it alike.
* The rule is the batch's rule on the window's words: a month or number word first, then the
  most frequent, then one that reads as a surname, then the longer, then the smaller hash;
  only to a word that keeps itself (no chain of slips); months and number words are never
  slips. A word the snapshot has not counted yet
  (a new item's own words) counts 0: it may go to a counted word, never the other way, so two
  uncounted words never decide between themselves (that would depend on the call).
* The snapshot is rebuilt at each refresh from arrays (words and their slip variants), in one
  vectorised pass; a call then only looks its own words up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feedclass.dedup.ragged import in_sorted
from feedclass.dedup.typos import TypoWords

__all__ = ["WindowTypos", "typo_rows"]


def typo_rows(
    whash: np.ndarray, doc: np.ndarray, n: int, table: TypoWords
) -> tuple[np.ndarray, np.ndarray]:
    """Per text, the hashes of its words that slips are undone among (repeats kept), as a
    ragged ``(ptr, key)``; ``whash``/``doc`` are a tokenisation's word hashes and texts, and
    ``table`` the same texts' :func:`~feedclass.dedup.facts.feed_typo_words`.

    Examples
    --------
    >>> from feedclass.dedup.facts import feed_typo_words
    >>> from feedclass.dedup.tokens import tokenize
    >>> texts = ["Строительство моста", "Пожар в Алматы"]
    >>> tk = tokenize(texts)
    >>> ptr, key = typo_rows(tk["whash"], tk["doc"], 2, feed_typo_words(texts))
    >>> ptr.tolist()  # строительство, моста | пожар, алматы (5+ letters)
    [0, 2, 4]
    """
    m = in_sorted(whash, table.keys)
    return np.searchsorted(doc[m], np.arange(n + 1)).astype(np.int64), whash[m].astype(np.uint64)


def _empty_words() -> TypoWords:
    z = np.zeros(0, dtype=np.int64)
    return TypoWords(
        keys=np.zeros(0, dtype=np.uint64),
        counts=z,
        length=z,
        named=np.zeros(0, dtype=bool),
        target=np.zeros(0, dtype=bool),
        hashes=np.zeros((4, 0), dtype=np.uint64),
        var_src=z,
        var_hash=np.zeros(0, dtype=np.uint64),
    )


@dataclass
class _Snapshot:
    keys: np.ndarray  # counted words, sorted
    ids: np.ndarray  # their ids in the word table
    best: np.ndarray  # position in ``keys`` of the word each reads as
    rank: np.ndarray  # the batch's order (lower is preferred)
    var_hash: np.ndarray  # slip variants of the counted words, sorted
    var_of: np.ndarray  # position in ``keys`` of the word each variant comes from


class WindowTypos:
    """Word counts over the index's window, and the slip map a snapshot of them makes.

    Words are registered once (hashes, letters, slip variants); :meth:`add_counts` moves their
    counts; :meth:`rebuild` makes the snapshot :meth:`table_for` reads.

    Examples
    --------
    >>> from feedclass.dedup.facts import feed_typo_words
    >>> held = ["Строительство моста", "Строительство дороги"]
    >>> w = WindowTypos()
    >>> t = feed_typo_words(held)
    >>> w.add_counts(t, t.keys[t.counts > 0], t.counts, +1)
    >>> w.rebuild()
    >>> new = ["Сртоительство школы"]
    >>> table = w.table_for(feed_typo_words(new))
    >>> from feedclass.dedup.facts import content_tokens
    >>> a = content_tokens(new, typos=table).whash[0]
    >>> bool(a == content_tokens(held[:1], typos=False).whash[0])
    True
    """

    def __init__(self) -> None:
        self._id: dict[int, int] = {}
        self._keys: list[np.ndarray] = []
        self._hashes: list[np.ndarray] = []
        self._length: list[np.ndarray] = []
        self._named: list[np.ndarray] = []
        self._target: list[np.ndarray] = []
        self._var_hash: list[np.ndarray] = []
        self._var_src: list[np.ndarray] = []
        self._flat: tuple[np.ndarray, ...] | None = None
        self.count = np.zeros(0, dtype=np.int64)
        self._snap = _Snapshot(
            *(np.zeros(0, dtype=t) for t in (np.uint64, np.int64, np.int64, np.int64)),
            np.zeros(0, dtype=np.uint64),
            np.zeros(0, dtype=np.int64),
        )

    def _register(self, words: TypoWords, keys: np.ndarray) -> np.ndarray:
        """Ids of ``keys`` (all among ``words.keys``), registering the new ones."""
        ids = np.fromiter((self._id.get(k, -1) for k in keys.tolist()), np.int64, keys.size)
        new = np.flatnonzero(ids < 0)
        if new.size:
            pos = np.searchsorted(words.keys, keys[new])
            base = self.count.size
            for j, k in enumerate(keys[new].tolist()):
                self._id[k] = base + j
            ids[new] = base + np.arange(new.size)
            self._keys.append(words.keys[pos])
            self._hashes.append(words.hashes[:, pos])
            self._length.append(words.length[pos])
            self._named.append(words.named[pos])
            self._target.append(words.target[pos])
            hit = np.isin(words.var_src, pos)
            loc = np.full(words.keys.size, -1, dtype=np.int64)
            loc[pos] = base + np.arange(new.size)
            self._var_hash.append(words.var_hash[hit])
            self._var_src.append(loc[words.var_src[hit]])
            self.count = np.concatenate([self.count, np.zeros(new.size, dtype=np.int64)])
            self._flat = None
        return ids

    def add_counts(self, words: TypoWords, keys: np.ndarray, counts: np.ndarray, sign: int) -> None:
        """Count (+1) or uncount (-1) ``counts`` occurrences of the words ``keys`` (described
        in ``words``); the snapshot changes at the next :meth:`rebuild`."""
        if keys.size:
            ids = self._register(words, keys)  # may grow ``count``: look it up after
            np.add.at(self.count, ids, sign * counts)

    def _arrays(self) -> tuple[np.ndarray, ...]:
        if self._flat is None:
            if not self._keys:
                e = _empty_words()
                self._flat = (e.keys, e.hashes, e.length, e.named, e.target, e.var_hash, e.var_src)
            else:
                self._flat = (
                    np.concatenate(self._keys),
                    np.concatenate(self._hashes, axis=1),
                    np.concatenate(self._length),
                    np.concatenate(self._named),
                    np.concatenate(self._target),
                    np.concatenate(self._var_hash),
                    np.concatenate(self._var_src),
                )
                # keep one chunk of each, so the next registration concatenates once
                f = self._flat
                self._keys, self._hashes, self._length = [f[0]], [f[1]], [f[2]]
                self._named, self._target = [f[3]], [f[4]]
                self._var_hash, self._var_src = [f[5]], [f[6]]
        return self._flat

    def rebuild(self) -> None:
        """The snapshot of the current counts: each counted word's choice, as the batch's
        :func:`~feedclass.dedup.typos.typo_map` makes it over a feed of these counts."""
        keys, _h, length, named, target, var_hash, var_src = self._arrays()
        alive = np.flatnonzero(self.count > 0)
        order = np.argsort(keys[alive], kind="stable")
        ids = alive[order]
        sk = keys[ids]
        loc = np.full(keys.size, -1, dtype=np.int64)
        loc[ids] = np.arange(ids.size)
        live = loc[var_src] >= 0 if var_src.size else np.zeros(0, dtype=bool)
        vh, vs = var_hash[live], loc[var_src[live]]
        best = np.arange(sk.size)
        rank = np.empty(sk.size, dtype=np.int64)
        if sk.size:
            rank[
                np.lexsort(
                    (
                        sk,
                        -length[ids],
                        -named[ids].astype(np.int64),
                        -self.count[ids],
                        -target[ids].astype(np.int64),
                    )
                )
            ] = np.arange(sk.size)
            pos = np.minimum(np.searchsorted(sk, vh), sk.size - 1)
            hit = sk[pos] == vh
            a, b = vs[hit], pos[hit]
            a, b = np.concatenate((a, b)), np.concatenate((b, a))
            if a.size:
                o = np.argsort(rank[b], kind="stable")[::-1]  # best neighbour written last wins
                better = (rank[b[o]] < rank[a[o]]) & ~target[ids][a[o]]
                best[a[o][better]] = b[o][better]
                best = np.where(best[best] == best, best, np.arange(sk.size))
        vo = np.argsort(vh, kind="stable")
        self._snap = _Snapshot(sk, ids, best, rank, vh[vo], vs[vo])

    def table_for(self, words: TypoWords) -> TypoWords:
        """A table that makes ``content_tokens(texts, typos=table)`` read each word of
        ``texts`` (``words`` is their :func:`~feedclass.dedup.facts.feed_typo_words`) as the
        snapshot chooses: a counted word as the snapshot's map sends it, an uncounted one to
        the best-ranked counted word it is a slip of (or that is a slip of it), when that word
        keeps itself. Only the words that move, and where they go, are in it."""
        s = self._snap
        out_src: list[int] = []  # position in ``words.keys`` of a word that moves
        out_dst: list[int] = []  # position in ``s.keys`` of where it goes
        if s.keys.size == 0 or words.keys.size == 0:
            return _empty_words()
        pos = np.minimum(np.searchsorted(s.keys, words.keys), s.keys.size - 1)
        known = s.keys[pos] == words.keys
        kp = np.flatnonzero(known)
        moved = s.best[pos[kp]] != pos[kp]
        out_src.extend(kp[moved].tolist())
        out_dst.extend(s.best[pos[kp[moved]]].tolist())
        unknown = ~known & ~words.target
        if unknown.any():
            # neighbours: counted words among the word's own slips, and counted words whose
            # slips include it
            vp = np.minimum(np.searchsorted(s.keys, words.var_hash), s.keys.size - 1)
            down = (s.keys[vp] == words.var_hash) & unknown[words.var_src]
            na, nb = words.var_src[down], vp[down]
            lo = np.searchsorted(s.var_hash, words.keys[unknown], side="left")
            hi = np.searchsorted(s.var_hash, words.keys[unknown], side="right")
            uw = np.flatnonzero(unknown)
            cnt = hi - lo
            if cnt.sum():
                ua = np.repeat(uw, cnt)
                ub = s.var_of[np.concatenate([np.arange(x, y) for x, y in zip(lo, hi) if y > x])]
                na, nb = np.concatenate((na, ua)), np.concatenate((nb, ub))
            if na.size:
                o = np.lexsort((s.rank[nb], na))
                first = np.ones(o.size, dtype=bool)
                first[1:] = na[o][1:] != na[o][:-1]
                wa, wb = na[o][first], nb[o][first]  # each word's best-ranked neighbour
                keeps = s.best[wb] == wb
                out_src.extend(wa[keeps].tolist())
                out_dst.extend(wb[keeps].tolist())
        if not out_src:
            return _empty_words()
        src = np.array(out_src, dtype=np.int64)
        dst = np.array(out_dst, dtype=np.int64)
        all_h = self._arrays()[1]
        tk = np.unique(dst)
        keys = np.concatenate([words.keys[src], s.keys[tk]])
        hashes = np.concatenate([words.hashes[:, src], all_h[:, s.ids[tk]]], axis=1)
        # a word that moves counts 1, where it goes 2: undo_typos_with's ranking then sends
        # each word exactly where the snapshot chose
        counts = np.concatenate([np.ones(src.size, np.int64), np.full(tk.size, 2, np.int64)])
        order = np.argsort(keys, kind="stable")
        back = np.empty(order.size, dtype=np.int64)
        back[order] = np.arange(order.size)
        z = np.zeros(keys.size, dtype=np.int64)
        return TypoWords(
            keys=keys[order],
            counts=counts[order],
            length=z,
            named=z.astype(bool),
            target=z.astype(bool),
            hashes=hashes[:, order],
            var_src=back[np.arange(src.size)],
            var_hash=s.keys[dst],
        )

    @property
    def nbytes(self) -> int:
        """Approximate bytes held (word arrays, slip variants, the id dictionary)."""
        arrs = self._arrays()
        return int(sum(a.nbytes for a in arrs) + self.count.nbytes + len(self._id) * 100)
