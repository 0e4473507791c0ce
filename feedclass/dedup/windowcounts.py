"""The incremental index's word statistics: counts over its window, refreshed in periods.

Why this design
---------------
* A pair's score weighs words and character 3-grams by how rare they are among the items the
  index holds. If those weights moved with every item added, each new item would need its own
  weights, and a batch could not be scored in one call. So the counts the scorer reads are a
  snapshot: items added or forgotten queue their counts, and the queue is applied when a
  period ends.
* A period lasts ``max(1, n // REFRESH_DIV)`` additions after a refresh over ``n`` items: a
  small index refreshes at every item (its statistics change fast), a large one every ~1.5% of
  its size (its statistics barely move). The boundary depends only on the sequence of
  additions, so one-at-a-time adds and a batch refresh at the same items and score alike.
* The counts of a queued item are applied in one vectorised pass; sums of +1/-1 do not depend
  on their order, so the snapshot is the same whichever way the items arrived.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from feedclass.dedup.facts import feed_typo_words
from feedclass.dedup.featurize import CHAR_BUCKETS, Idf
from feedclass.dedup.indexparts import Parts
from feedclass.dedup.typos import TypoWords
from feedclass.dedup.windowtypos import WindowTypos

__all__ = ["REFRESH_DIV", "WindowCounts", "gather_rows"]

#: A period of the statistics lasts ``max(1, n // REFRESH_DIV)`` additions (``n``: items held at
#: its start).
REFRESH_DIV = 64


def gather_rows(
    ptr: np.ndarray, idx: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Entries of the ragged rows ``rows`` of ``(ptr, idx)``, concatenated, and the position in
    ``rows`` each entry came from.

    Examples
    --------
    >>> ptr, idx = np.array([0, 2, 2, 5]), np.array([7, 8, 1, 2, 3])
    >>> vals, owner = gather_rows(ptr, idx, np.array([2, 0]))
    >>> vals.tolist(), owner.tolist()
    ([1, 2, 3, 7, 8], [0, 0, 0, 1, 1])
    """
    rows = np.asarray(rows, dtype=np.int64)
    starts = ptr[rows]
    lens = ptr[rows + 1] - starts
    total = int(lens.sum())
    owner = np.repeat(np.arange(rows.size), lens)
    first = np.cumsum(lens) - lens
    pos = np.repeat(starts - first, lens) + np.arange(total)
    return idx[pos], owner


class WindowCounts:
    """Document frequencies over an index's window: a snapshot the scorer reads, and a queue.

    Attributes
    ----------
    n_docs : int
        Items the snapshot counts.
    char_df : numpy.ndarray
        Items holding each character 3-gram bucket (length ``CHAR_BUCKETS``).
    word_df : dict
        Stem hash -> items holding it.
    names : set
        Stems seen capitalised mid-headline more often than in lower case.

    Examples
    --------
    >>> from feedclass.dedup.indexparts import item_parts
    >>> c = WindowCounts()
    >>> p = item_parts(["Пожар в Алматы", "Курс доллара на 5 мая"])
    >>> c.queue(p, np.array([0, 1]), +1)
    >>> c.n_docs, c.refresh(n_alive=2), c.n_docs
    (0, None, 2)
    >>> c.idf_for(p.stem_idx).n_docs
    2
    """

    def __init__(self) -> None:
        self.char_df = np.zeros(CHAR_BUCKETS, dtype=np.float64)
        self.word_df: dict[int, int] = {}
        self.caps: dict[int, list[int]] = {}  # stem -> [mid-headline capitals, lower case]
        self.names: set[int] = set()
        self.n_docs = 0
        self.since = 0  # additions since the last refresh
        self.every = 1  # additions per period
        self._queue: list[tuple[Parts, np.ndarray, int]] = []
        self.typos = WindowTypos()  # word counts for slips of the pen (windowtypos)

    def queue(self, parts: Parts, rows: np.ndarray, sign: int) -> None:
        """Count (+1) or uncount (-1) texts ``rows`` of ``parts`` at the next refresh."""
        if rows.size:
            self._queue.append((parts, np.asarray(rows, dtype=np.int64), sign))

    def due(self) -> bool:
        """Whether the next addition ends the period (the scorer then reads new counts)."""
        return self.since + 1 >= self.every

    @contextlib.contextmanager
    def preview(self, parts: Parts, rows: np.ndarray, n_alive: int) -> Iterator[None]:
        """Inside the block, the snapshot is what a refresh after also counting ``rows`` of
        ``parts`` would make (an answer without adding, read as an add would read it)."""
        saved = (list(self._queue), self.n_docs, self.since, self.every)
        self.queue(parts, rows, +1)
        applied = list(self._queue)
        self.refresh(n_alive)
        try:
            yield
        finally:
            self._queue = [(p, r, -sign) for p, r, sign in applied]
            self.refresh(n_alive)
            self._queue, self.n_docs, self.since, self.every = saved

    def refresh(self, n_alive: int) -> None:
        """Apply the queue: the snapshot becomes the counts of the ``n_alive`` items held."""
        changed: set[int] = set()
        for parts, rows, sign in self._queue:
            self.count_typos(parts.typo_ptr, parts.typo_key, parts.typo_words, rows, sign)
            c, _o = gather_rows(parts.char_ptr, parts.char_idx, rows)
            np.add.at(self.char_df, c, float(sign))
            s, _o = gather_rows(parts.stem_ptr, parts.stem_idx, rows)
            u, cnt = np.unique(s, return_counts=True)
            wdf = self.word_df
            for key, v in zip(u.tolist(), (cnt * sign).tolist(), strict=True):
                n = wdf.get(key, 0) + v
                if n:
                    wdf[key] = n
                else:
                    del wdf[key]
            for ptr, stem, col in (
                (parts.cap_ptr, parts.cap_stem, 0),
                (parts.low_ptr, parts.low_stem, 1),
            ):
                s, _o = gather_rows(ptr, stem, rows)
                u, cnt = np.unique(s, return_counts=True)
                for key, v in zip(u.tolist(), (cnt * sign).tolist(), strict=True):
                    self.caps.setdefault(key, [0, 0])[col] += v
                    changed.add(key)
        for key in changed:
            counts = self.caps[key]
            if counts[0] > counts[1]:
                self.names.add(key)
            else:
                self.names.discard(key)
                if counts == [0, 0]:
                    del self.caps[key]
        self._queue.clear()
        self.typos.rebuild()
        self.n_docs = n_alive
        self.since = 0
        self.every = max(1, n_alive // REFRESH_DIV)

    def fill(self, parts: Parts, n_alive: int) -> None:
        """Count every text of ``parts`` at once into empty counts, then start a period."""
        np.add.at(self.char_df, parts.char_idx, 1.0)
        st, cnt = np.unique(parts.stem_idx, return_counts=True)
        self.word_df = dict(zip(st.tolist(), cnt.tolist(), strict=True))
        for stem_arr, col in ((parts.cap_stem, 0), (parts.low_stem, 1)):
            u, c = np.unique(stem_arr, return_counts=True)
            for s, v in zip(u.tolist(), c.tolist(), strict=True):
                self.caps.setdefault(s, [0, 0])[col] += v
        self.names = {s for s, c in self.caps.items() if c[0] > c[1]}
        self.count_typos(parts.typo_ptr, parts.typo_key, parts.typo_words, None, +1)
        self.refresh(n_alive)

    def count_typos(
        self,
        ptr: np.ndarray,
        key: np.ndarray,
        words: TypoWords,
        rows: np.ndarray | None,
        sign: int,
    ) -> None:
        """Count (+1) or uncount (-1) the words of texts ``rows`` (None: all) of the ragged
        ``(ptr, key)`` for slips of the pen; read from the next refresh on."""
        k = key if rows is None else gather_rows(ptr, key, rows)[0]
        u, cnt = np.unique(k, return_counts=True)
        self.typos.add_counts(words, u, cnt.astype(np.int64), sign)

    def typo_table(self, texts: list[str]) -> TypoWords:
        """The slips of ``texts`` as the snapshot reads them (``featurize(texts, idf,
        typos=...)``; see :meth:`~feedclass.dedup.windowtypos.WindowTypos.table_for`)."""
        return self.typos.table_for(feed_typo_words(texts))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The snapshot as plain arrays (for a state file; call :meth:`refresh` first so that
        it counts every item held)."""
        nz = np.flatnonzero(self.char_df)
        wk = np.array(sorted(self.word_df), dtype=np.uint64)
        ck = np.array(sorted(self.caps), dtype=np.uint64)
        return {
            "count_char_bucket": nz.astype(np.int64),
            "count_char": self.char_df[nz].astype(np.int64),
            "count_word_key": wk,
            "count_word": np.array([self.word_df[k] for k in wk.tolist()], dtype=np.int64),
            "count_caps_key": ck,
            "count_caps": np.array([self.caps[k] for k in ck.tolist()], dtype=np.int64).reshape(
                -1, 2
            ),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], n_alive: int) -> WindowCounts:
        """Counts written by :meth:`to_arrays`; ``ValueError`` if they do not fit together.

        Examples
        --------
        >>> from feedclass.dedup.indexparts import item_parts
        >>> c = WindowCounts()
        >>> c.fill(item_parts(["Пожар в Алматы"]), 1)
        >>> back = WindowCounts.from_arrays(c.to_arrays(), 1)
        >>> back.word_df == c.word_df and back.names == c.names
        True
        """
        c = cls()
        b = arrays["count_char_bucket"].astype(np.int64)
        v = arrays["count_char"].astype(np.int64)
        wk, wv = arrays["count_word_key"].astype(np.uint64), arrays["count_word"].astype(np.int64)
        ck, cv = arrays["count_caps_key"].astype(np.uint64), arrays["count_caps"].astype(np.int64)
        if (
            b.shape != v.shape
            or wk.shape != wv.shape
            or cv.shape != (ck.size, 2)
            or (b.size and (b.min() < 0 or b.max() >= CHAR_BUCKETS))
            or (v.size and v.min() < 1)
            or (wv.size and wv.min() < 1)
            or (cv.size and cv.min() < 0)
        ):
            raise ValueError("word and character counts do not fit together")
        c.char_df[b] = v
        c.word_df = dict(zip(wk.tolist(), wv.tolist(), strict=True))
        c.caps = {k: [int(x), int(y)] for k, (x, y) in zip(ck.tolist(), cv.tolist(), strict=True)}
        c.names = {k for k, (x, y) in c.caps.items() if x > y}
        c.refresh(n_alive)
        return c

    def idf_for(self, keys: np.ndarray) -> Idf:
        """The snapshot as an :class:`~feedclass.dedup.featurize.Idf` for texts whose stems
        are all among ``keys``."""
        keys = np.unique(keys)
        kl = keys.tolist()
        return Idf(
            n_docs=max(self.n_docs, 1),
            char_df=self.char_df,
            word_keys=keys,
            word_df=np.array([self.word_df.get(s, 0) for s in kl], dtype=np.float64),
            cap_keys=np.array([s for s in kl if s in self.names], dtype=np.uint64),
            fixed_names=True,
        )

    @property
    def nbytes(self) -> int:
        """Approximate bytes held (the char counts, and the dictionaries at ~64-120 B an entry)."""
        return int(
            self.char_df.nbytes + len(self.word_df) * 64 + len(self.caps) * 120 + self.typos.nbytes
        )
