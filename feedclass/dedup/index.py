"""An incremental near-duplicate index: one headline at a time, the batch's story rules.

Why this design
---------------
* A newsroom asks of each new item "is this a story of the last few days?" and needs the answer
  in milliseconds, so the index keeps the items of a time window (or a size limit) and, per new
  item, scores it against a few dozen candidates only -- never the whole window.
* Candidates come from the same MinHash bands over word stems as the batch, kept in a
  :class:`~feedclass.dedup.bandtable.BandTable` (sorted levels plus a buffer of the newest).
* Scores must not depend on which items happen to share a call: document frequencies (words,
  character 3-grams, and how often a stem is capitalised mid-headline, which says it is a name)
  are counted incrementally over the window, and a pair is featurized with those counts alone.
* A new item joins a story under the batch's rule (``NearDuplicates``): it must reach the
  threshold with each of the story's first 8 members and stay above the floor with every member
  compared (up to 256), and two items of one known source never share a story. Best-scoring
  story first. Adding an item never changes the story of an item already indexed; only the
  editor's operations (``forbid``, ``split``, ``merge_stories``) move items.
* State is data: a model-format zip of a JSON header and plain arrays, written atomically
  (:mod:`~feedclass.dedup.indexfile`); the counts and the band table are rebuilt from the texts
  on load.
"""

from __future__ import annotations

import contextlib
import math
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from feedclass.dedup.bandtable import BandTable, GrowArray, top_voted
from feedclass.dedup.clusters import (
    DEFAULT_THRESHOLD,
    MERGE_BUDGET,
    SAMPLE_MIN,
    form_stories,
    representative_order,
    score_floor,
)
from feedclass.dedup.featurize import CHAR_BUCKETS, Idf, featurize
from feedclass.dedup.indexfile import (
    pack_strings,
    read_index_file,
    unpack_strings,
    write_index_file,
)
from feedclass.dedup.indexparts import PARALLEL_MIN, Parts, item_parts, one_thread
from feedclass.dedup.inputs import ItemId, as_time, check_headline, check_item_id
from feedclass.dedup.pairs import pair_scores, score_batch
from feedclass.errors import DataError, StateFileError

__all__ = ["DedupIndex", "Match"]

_DAY = 86400.0
_N_CAND = 16  # candidates kept per new item: the items sharing the most bands with it
_COMPACT_MIN = 4096  # renumber the live items when more slots than this are half dead
_BULK_MIN = 64  # a batch this large into an empty index is clustered at once


@dataclass(frozen=True)
class Match:
    """Where one item stands in the index.

    Attributes
    ----------
    item_id : str, int or None
        The item asked about (None for :meth:`DedupIndex.query`).
    story_id : int
        Its story: the same int (from 1) for every item of one story, stable while the story
        lives; 0 from :meth:`DedupIndex.query` when the headline would start a new story.
    duplicate_of : str, int or None
        Item id of the story's representative (its earliest indexed item that is still in the
        window), or None when the item is that representative.
    score : float or None
        Similarity (0..1) of the item to that representative, or None when it is one.
    seen_before : bool
        An item with the same id, or the same headline (after folding case and newsroom marks),
        was already indexed.

    Examples
    --------
    >>> m = Match(item_id="b7", story_id=3, duplicate_of="a1", score=0.91, seen_before=False)
    >>> m.duplicate_of is not None  # a repeat of story 3, whose first item is a1
    True
    """

    item_id: ItemId | None
    story_id: int
    duplicate_of: ItemId | None
    score: float | None
    seen_before: bool


# ---------------------------------------------------------------------------------------------
# The index.
# ---------------------------------------------------------------------------------------------
class DedupIndex:
    """Near-duplicate index of a news feed that takes one item at a time.

    Each item added gets a story id (``Match.story_id``): the story of the items it repeats,
    or a new one. The rules are those of :class:`~feedclass.dedup.NearDuplicates` (no chaining,
    facts must agree, one source never twice in a story), and the word statistics come from the
    items in the window, so an answer does not depend on how items are grouped into calls.

    Parameters
    ----------
    threshold : float
        Pair similarity (0..1) that merges; the batch's default.
    window_days : float
        Items older than this many days before the newest item's time are forgotten.
    max_items : int or None
        At most this many items are kept (the oldest go first); None: no limit but the window.

    Attributes
    ----------
    n_stories : int
        Stories with at least one item in the index.

    Notes
    -----
    Memory: about 1.5 KiB per indexed item (``benchmarks/bench_index.py`` prints it), plus a
    fixed 16 MiB for the character 3-gram counts.

    Examples
    --------
    >>> idx = DedupIndex(window_days=3)
    >>> idx.add("Пожар на складе в Алматы", item_id="a", time=0).duplicate_of is None
    True
    >>> m = idx.add("Срочно: пожар на складе в Алматы", item_id="b", time=60)
    >>> m.duplicate_of, m.story_id == idx.story_of("a")
    ('a', True)
    >>> idx.add("Курс доллара на 6 мая", item_id="c", time=120).duplicate_of is None
    True
    >>> len(idx), idx.n_stories
    (3, 2)
    """

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        window_days: float = 3.0,
        max_items: int | None = None,
    ) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise DataError(f"threshold must be a number in [0, 1]; got {threshold!r} instead")
        if not 0.0 <= threshold <= 1.0:
            raise DataError(f"threshold must be a number in [0, 1]; got {threshold!r} instead")
        if isinstance(window_days, bool) or not isinstance(window_days, (int, float)):
            raise DataError(f"window_days must be a number > 0; got {window_days!r} instead")
        if not window_days > 0:
            raise DataError(f"window_days must be a number > 0; got {window_days!r} instead")
        if max_items is not None and (
            isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 1
        ):
            raise DataError(f"max_items must be a positive int or None; got {max_items!r} instead")
        self.threshold = float(threshold)
        self.window_days = float(window_days)
        self.max_items = max_items
        self._reset()

    def _reset(self) -> None:
        self._texts: list[str] = []
        self._ids: list[ItemId] = []
        self._slot_of: dict[ItemId, int] = {}
        self._time = GrowArray(np.float64)
        self._story = GrowArray(np.int64)
        self._alive = GrowArray(np.bool_)
        self._src = GrowArray(np.int64)
        self._score = GrowArray(np.float64)  # score to the representative when added (nan: none)
        self._hash = GrowArray(np.uint64)
        self._stem_ptr = GrowArray(np.int64, np.zeros(1, dtype=np.int64))
        self._stem_idx = GrowArray(np.uint64)
        self._sources: dict[str, int] = {}
        self._source_names: list[str] = []
        self._members: dict[int, list[int]] = {}  # story -> slots, in the order they joined
        self._forbid: dict[int, set[int]] = {}
        self._table = BandTable()
        self._char_df = np.zeros(CHAR_BUCKETS, dtype=np.float64)
        self._word_df: dict[int, int] = {}
        self._caps: dict[int, list[int]] = {}  # stem -> [mid-headline capitals, lower case]
        self._names: set[int] = set()
        self._n_alive = 0
        self._next_story = 1
        self._t_newest = -math.inf
        self._t_oldest = math.inf

    # -- public queries --------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n_alive

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._slot_of

    @property
    def n_stories(self) -> int:
        return len(self._members)

    @property
    def next_story(self) -> int:
        """The id the next new story will get (ids are never reused)."""
        return self._next_story

    def story_of(self, item_id: ItemId) -> int:
        """Story id of an indexed item."""
        return int(self._story.view[self._slot(item_id)])

    def members(self, story_id: int) -> list[ItemId]:
        """Item ids of a story, representative first, in the order they joined."""
        if story_id not in self._members:
            raise DataError(f"story {story_id!r} is not in the index (forgotten or never made)")
        return [self._ids[s] for s in self._members[story_id]]

    def match_of(self, item_id: ItemId) -> Match:
        """Where an indexed item stands now (its story may have a new representative)."""
        return self._match(self._slot(item_id), seen_before=True)

    # -- adding and asking -----------------------------------------------------------------
    def add(
        self,
        text: str,
        item_id: ItemId | None = None,
        time: Any = None,
        source: str | None = None,
    ) -> Match:
        """Index one headline and say which story it belongs to.

        Parameters
        ----------
        text : str
            The headline.
        item_id : str or int, optional
            Its id; default: the number of items added so far (as an int). An id already in
            the index is not added again: its current match comes back with ``seen_before``
            (and its time becomes ``time`` if that is later).
        time : float or datetime, optional
            Publication time in Unix seconds (default: now). Items older than ``window_days``
            before the newest time seen are forgotten first.
        source : str, optional
            Outlet or channel; two items of one source never share a story.

        Returns
        -------
        Match
        """
        text = check_headline(text)
        t = as_time(time)
        if item_id is None:
            item_id = len(self._ids)
            while item_id in self._slot_of:
                item_id += 1
        item_id = check_item_id(item_id)
        src = self._source_code(source)
        if item_id in self._slot_of:
            slot = self._slot_of[item_id]
            if self._texts[slot] != text:
                raise DataError(
                    f"item_id {item_id!r} is already indexed with another headline; "
                    "remove it first to replace it"
                )
            self._seen_again(slot, t)
            return self._match(slot, seen_before=True)
        with one_thread():
            self._prune(max(self._t_newest, t))
            return self._add_one(text, item_id, t, src, item_parts([text]), 0)

    def query(self, text: str, time: Any = None, source: str | None = None) -> Match:
        """The story ``text`` would join if added now, without adding it.

        ``Match.item_id`` is None, and ``story_id`` is 0 when it would start a new story.
        A query forgets nothing: ``time`` is checked, and answers are against the items held
        (call :meth:`prune` first to answer as of a later time).
        """
        text = check_headline(text)
        as_time(time)
        src = self._source_code(source, register=False)
        with one_thread():
            parts = item_parts([text])
            self._count(parts, 0, +1)
            try:
                story, rep_score, seen = self._decide(text, parts, 0, src)
            finally:
                self._count(parts, 0, -1)
        if story == 0:
            return Match(None, 0, None, None, seen)
        rep = self._members[story][0]
        return Match(None, story, self._ids[rep], rep_score, seen)

    def add_many(
        self,
        texts: Sequence[str],
        item_ids: Sequence[ItemId] | None = None,
        times: Any = None,
        sources: Sequence[str | None] | None = None,
    ) -> list[Match]:
        """Add a batch: every input is checked before anything is added, the headlines are
        prepared in one vectorised pass, then added in time order (input order among equal
        times). Returns one ``Match`` per input row, in input order."""
        if isinstance(texts, (str, bytes)):
            raise DataError("texts must be a list of headlines; got a single str. Use add()")
        rows = [check_headline(t) for t in texts]
        n = len(rows)
        ids = list(item_ids) if item_ids is not None else [None] * n
        if len(ids) != n:
            raise DataError(f"item_ids must have one id per headline ({n}); got {len(ids)}")
        if times is None:
            now = _time.time()
            tms = [now] * n
        else:
            if isinstance(times, (str, bytes)):
                raise DataError("times must be a sequence with one time per headline")
            tms = [as_time(v, f"times[{k}]") for k, v in enumerate(times)]
            if len(tms) != n:
                raise DataError(f"times must have one value per headline ({n}); got {len(tms)}")
        srcs: list[str | None] = list(sources) if sources is not None else [None] * n
        if len(srcs) != n:
            raise DataError(f"sources must have one value per headline ({n}); got {len(srcs)}")
        checked: list[ItemId | None] = []
        seen_ids: dict[ItemId, int] = {}
        for k, i in enumerate(ids):
            if i is None:
                checked.append(None)
                continue
            c = check_item_id(i)
            if c in seen_ids and rows[seen_ids[c]] != rows[k]:
                raise DataError(f"item_ids[{k}] = {c!r} repeats item_ids[{seen_ids[c]}]")
            if c in self._slot_of and self._texts[self._slot_of[c]] != rows[k]:
                raise DataError(
                    f"item_ids[{k}] = {c!r} is already indexed with another headline; "
                    "remove it first to replace it"
                )
            seen_ids.setdefault(c, k)
            checked.append(c)
        for k, s in enumerate(srcs):
            if s is not None and not isinstance(s, str):
                raise DataError(f"sources[{k}] must be a str or None; got {type(s).__name__}")
        order = sorted(range(n), key=lambda k: tms[k])
        if (
            self._n_alive == 0
            and n >= _BULK_MIN
            and len(seen_ids) == sum(i is not None for i in ids)
        ):
            return self._bulk(rows, checked, tms, srcs, order)
        out: list[Match | None] = [None] * n
        with one_thread():
            parts = item_parts(rows) if n else None
            for k in order:
                iid = checked[k]
                if iid is None:
                    iid = len(self._ids)
                    while iid in self._slot_of:
                        iid += 1
                if iid in self._slot_of:
                    self._seen_again(self._slot_of[iid], tms[k])
                    out[k] = self._match(self._slot_of[iid], seen_before=True)
                    continue
                self._prune(max(self._t_newest, tms[k]))
                assert parts is not None
                src = self._source_code(srcs[k])
                out[k] = self._add_one(rows[k], iid, tms[k], src, parts, k)
        return [m for m in out if m is not None]

    def _bulk(
        self,
        rows: list[str],
        ids: list[ItemId | None],
        tms: list[float],
        srcs: list[str | None],
        order: list[int],
    ) -> list[Match]:
        """Fill an empty index with a batch at once: the batch clustering (all cores), whose
        rules the one-at-a-time path follows, then the window's counts and band table."""
        n = len(rows)
        taken = {i for i in ids if i is not None}
        auto = 0
        full_ids: list[ItemId] = []
        for i in ids:
            if i is None:
                while auto in taken:
                    auto += 1
                i = auto
                auto += 1
            full_ids.append(i)
        src = np.array([self._source_code(x) for x in srcs], dtype=np.int64)
        t = np.array(tms, dtype=np.float64)
        thr = self.threshold
        with one_thread() if n < PARALLEL_MIN else contextlib.nullcontext():
            sc = score_batch(rows, min_score=score_floor(thr))
            prio = representative_order(n, "first", t, sc.feats.length)
            leader, lscore = form_stories(n, sc.pi, sc.pj, sc.score, thr, prio, src, feats=sc.feats)
        # slots in time order (input order among equal times); story ids as the reps come
        pos = np.empty(n, dtype=np.int64)
        pos[np.array(order, dtype=np.int64)] = np.arange(n)
        story = np.zeros(n, dtype=np.int64)
        for k in order:
            if leader[k] == k:
                story[k] = self._next_story
                self._next_story += 1
        story = story[leader]
        rank = np.zeros(n, dtype=np.int64)
        by_story = np.lexsort((pos, leader != np.arange(n), story))
        first = np.r_[True, story[by_story][1:] != story[by_story][:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
        rank[by_story] = np.arange(n) - start
        score = np.where(leader == np.arange(n), np.nan, lscore)
        o = np.array(order, dtype=np.int64)
        next_story = self._next_story
        self._fill(
            [rows[k] for k in order],
            [full_ids[k] for k in order],
            t[o],
            story[o],
            rank[o],
            score[o],
            src[o],
        )
        self._next_story = next_story
        # seen before: an earlier item (in time order) with the same folded headline
        h = self._hash.view
        _u, first_pos = np.unique(h, return_index=True)
        seen_sorted = np.ones(n, dtype=bool)
        seen_sorted[first_pos] = False
        out = [self._match(int(pos[k]), seen_before=bool(seen_sorted[pos[k]])) for k in range(n)]
        with one_thread():
            self._prune(self._t_newest, room=0)
        return out

    # -- forgetting and editing ------------------------------------------------------------
    def prune(self, now: Any = None) -> int:
        """Forget the items older than ``window_days`` before ``now`` (default: the newest time
        seen) and the oldest beyond ``max_items``; ``add`` does this by itself. Returns how many
        were forgotten."""
        newest = self._t_newest if now is None else as_time(now, "now")
        with one_thread():
            return self._prune(newest, room=0)

    def forget_before(self, time: Any) -> int:
        """Forget every item published before ``time``; returns how many were forgotten."""
        t = as_time(time)
        alive = self._alive.view
        gone = np.flatnonzero(alive & (self._time.view < t))
        self._drop(gone)
        return int(gone.size)

    def remove(self, item_id: ItemId) -> None:
        """Take one item out of the index (its story keeps its id while it has other items)."""
        self._drop(np.array([self._slot(item_id)], dtype=np.int64))

    def forbid(self, item_a: ItemId, item_b: ItemId) -> None:
        """Editor: ``item_a`` and ``item_b`` are not the same story, now or after a merge.

        If they share a story now, the one that joined later leaves it for a story of its own
        (the items that joined after it stay where they are).
        """
        a, b = self._slot(item_a), self._slot(item_b)
        if a == b:
            raise DataError(f"cannot forbid item {item_a!r} from its own story")
        self._forbid.setdefault(a, set()).add(b)
        self._forbid.setdefault(b, set()).add(a)
        story = self._story.view
        if story[a] == story[b]:
            mem = self._members[int(story[a])]
            later = a if mem.index(a) > mem.index(b) else b
            self._move_to_new_story(later)

    def split(self, item_id: ItemId) -> Match:
        """Editor: the item is not its story: it leaves for a story of its own and never goes
        back (forbidden with every item of its old story)."""
        s = self._slot(item_id)
        old = [m for m in self._members[int(self._story.view[s])] if m != s]
        for m in old:
            self._forbid.setdefault(s, set()).add(m)
            self._forbid.setdefault(m, set()).add(s)
        if old:
            self._move_to_new_story(s)
        return self._match(s, seen_before=True)

    def merge_stories(self, story_a: int, story_b: int) -> int:
        """Editor: story ``story_b`` is the same news as ``story_a``; its items join
        ``story_a`` (after its own) and ``story_b`` ends. Returns ``story_a``."""
        for s in (story_a, story_b):
            if s not in self._members:
                raise DataError(f"story {s!r} is not in the index (forgotten or never made)")
        if story_a == story_b:
            return story_a
        ma, mb = self._members[story_a], self._members[story_b]
        for m in mb:
            clash = self._forbid.get(m, set()).intersection(ma)
            if clash:
                raise DataError(
                    f"stories {story_a} and {story_b} cannot merge: items {self._ids[m]!r} "
                    f"and {self._ids[min(clash)]!r} were marked as different stories"
                )
        story = self._story.view
        story[np.array(mb, dtype=np.int64)] = story_a
        ma.extend(mb)
        del self._members[story_b]
        return story_a

    def items(self) -> list[tuple[ItemId, str, float, int]]:
        """Every indexed item as ``(item_id, text, time, story_id)``, in the order added."""
        tv, sv = self._time.view, self._story.view
        return [
            (self._ids[s], self._texts[s], float(tv[s]), int(sv[s]))
            for s in np.flatnonzero(self._alive.view).tolist()
        ]

    @classmethod
    def from_items(
        cls,
        texts: Sequence[str],
        item_ids: Sequence[ItemId],
        times: Sequence[float],
        story_ids: Sequence[int],
        *,
        next_story: int = 1,
        threshold: float = DEFAULT_THRESHOLD,
        window_days: float = 3.0,
        max_items: int | None = None,
    ) -> DedupIndex:
        """An index holding items whose stories are already known (a state kept elsewhere: a
        database, an older state file). Within a story, the earliest item (then the first
        given) is its representative; new stories are numbered from ``next_story`` on, past
        every story id given."""
        idx = cls(threshold=threshold, window_days=window_days, max_items=max_items)
        rows = [check_headline(t) for t in texts]
        n = len(rows)
        ids = [check_item_id(i) for i in item_ids]
        t = np.array([as_time(v, f"times[{k}]") for k, v in enumerate(times)], dtype=np.float64)
        story = np.array(story_ids, dtype=np.int64)
        if len(ids) != n or t.shape != (n,) or story.shape != (n,):
            raise DataError(
                f"texts, item_ids, times and story_ids must have the same length; got {n}, "
                f"{len(ids)}, {t.size} and {story.size}"
            )
        if n and story.min() < 1:
            raise DataError("story ids must be ints >= 1")
        if len(set(ids)) != n:
            raise DataError("item_ids must not repeat")
        order = np.lexsort((np.arange(n), t))
        rank = np.empty(n, dtype=np.int64)
        by_story = order[np.argsort(story[order], kind="stable")]
        first = np.r_[True, story[by_story][1:] != story[by_story][:-1]] if n else np.zeros(0, bool)
        start = np.maximum.accumulate(np.where(first, np.arange(n), 0)) if n else first
        rank[by_story] = np.arange(n) - start
        o = order
        idx._fill(
            [rows[k] for k in o.tolist()],
            [ids[k] for k in o.tolist()],
            t[o],
            story[o],
            rank[o],
            np.full(n, np.nan),
            np.full(n, -1, dtype=np.int64),
        )
        idx._next_story = max(int(next_story), int(story.max()) + 1 if n else 1)
        return idx

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the index to ``path`` atomically, as data (a zip of JSON and numpy arrays)."""
        slots = np.flatnonzero(self._alive.view)
        pos = np.full(len(self._texts), -1, dtype=np.int64)
        pos[slots] = np.arange(slots.size)
        rank = np.zeros(slots.size, dtype=np.int64)
        for mem in self._members.values():
            rank[pos[np.array(mem, dtype=np.int64)]] = np.arange(len(mem))
        texts = [self._texts[s] for s in slots.tolist()]
        ids = [self._ids[s] for s in slots.tolist()]
        forbid = sorted(
            (int(pos[a]), int(pos[b]))
            for a, bs in self._forbid.items()
            for b in bs
            if a < b and pos[a] >= 0 and pos[b] >= 0
        )
        arrays: dict[str, np.ndarray] = {
            "time": self._time.view[slots],
            "story": self._story.view[slots],
            "rank": rank,
            "score": self._score.view[slots],
            "source": self._src.view[slots],
            "forbid": np.array(forbid, dtype=np.int64).reshape(-1, 2),
        }
        arrays.update(pack_strings("text", texts))
        arrays.update(pack_strings("source_name", self._source_names))
        # ids as text, with a flag for those that were ints (ints of any size round-trip)
        arrays.update(pack_strings("id", [str(i) for i in ids]))
        arrays["id_is_int"] = np.array([isinstance(i, int) for i in ids], dtype=np.bool_)
        header = {
            "threshold": self.threshold,
            "window_days": self.window_days,
            "max_items": self.max_items,
            "next_story": self._next_story,
            "n_items": int(slots.size),
        }
        write_index_file(path, header, arrays)

    @classmethod
    def load(cls, path: str | Path) -> DedupIndex:
        """Read an index written by :meth:`save`; a damaged or foreign file raises
        ``StateFileError``."""
        header, arrays = read_index_file(path)
        try:
            idx = cls(
                threshold=float(header["threshold"]),
                window_days=float(header["window_days"]),
                max_items=header["max_items"],
            )
            texts = unpack_strings("text", arrays)
            is_int = arrays["id_is_int"].astype(bool).tolist()
            ids: list[ItemId] = [
                int(i) if b else i
                for i, b in zip(unpack_strings("id", arrays), is_int, strict=True)
            ]
            idx._source_names = unpack_strings("source_name", arrays)
            idx._sources = {s: k for k, s in enumerate(idx._source_names)}
            n = len(texts)
            cols = ("time", "story", "rank", "score", "source")
            if len(ids) != n or any(arrays[c].shape != (n,) for c in cols):
                raise ValueError("arrays of different lengths")
            idx._fill(
                texts,
                ids,
                arrays["time"].astype(np.float64),
                arrays["story"].astype(np.int64),
                arrays["rank"].astype(np.int64),
                arrays["score"].astype(np.float64),
                arrays["source"].astype(np.int64),
            )
            for a, b in arrays["forbid"].astype(np.int64).tolist():
                idx._forbid.setdefault(a, set()).add(b)
                idx._forbid.setdefault(b, set()).add(a)
            idx._next_story = max(int(header["next_story"]), idx._next_story)
        except StateFileError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, DataError) as exc:
            raise StateFileError(f"{path}: malformed index file ({exc!r})") from None
        return idx

    # -- internals -------------------------------------------------------------------------
    def _slot(self, item_id: ItemId) -> int:
        try:
            return self._slot_of[item_id]
        except (KeyError, TypeError):
            raise DataError(
                f"item {item_id!r} is not in the index (never added or forgotten)"
            ) from None

    def _source_code(self, source: str | None, register: bool = True) -> int:
        if source is None or source == "":
            return -1
        if not isinstance(source, str):
            raise DataError(f"source must be a str or None; got {type(source).__name__} instead")
        code = self._sources.get(source)
        if code is None:
            if not register:
                return -2  # a source the index has not seen clashes with nothing
            code = self._sources[source] = len(self._source_names)
            self._source_names.append(source)
        return code

    def _seen_again(self, slot: int, t: float) -> None:
        """An item added again (same id, same headline) counts as published at its latest
        time, so a story a newsroom keeps running is not forgotten under it."""
        tv = self._time.view
        tv[slot] = max(float(tv[slot]), t)
        self._t_newest = max(self._t_newest, t)

    def _match(self, slot: int, seen_before: bool) -> Match:
        story = int(self._story.view[slot])
        rep = self._members[story][0]
        if rep == slot:
            return Match(self._ids[slot], story, None, None, seen_before)
        sc = float(self._score.view[slot])
        return Match(
            self._ids[slot], story, self._ids[rep], None if math.isnan(sc) else sc, seen_before
        )

    def _count(self, parts: Parts, k: int, sign: int) -> None:
        """Add (+1) or remove (-1) text ``k`` of ``parts`` from the window's counts."""
        self._char_df[parts.row(parts.char_ptr, parts.char_idx, k)] += sign
        self._n_alive += sign
        wdf = self._word_df
        for s in parts.row(parts.stem_ptr, parts.stem_idx, k).tolist():
            c = wdf.get(s, 0) + sign
            if c:
                wdf[s] = c
            else:
                del wdf[s]
        changed: set[int] = set()
        for ptr, stem, col in (
            (parts.cap_ptr, parts.cap_stem, 0),
            (parts.low_ptr, parts.low_stem, 1),
        ):
            for s in stem[ptr[k] : ptr[k + 1]].tolist():
                counts = self._caps.setdefault(s, [0, 0])
                counts[col] += sign
                changed.add(s)
        for s in changed:
            counts = self._caps[s]
            if counts[0] > counts[1]:
                self._names.add(s)
            else:
                self._names.discard(s)
                if counts == [0, 0]:
                    del self._caps[s]

    def _scores(self, text: str, stems: np.ndarray, slots: list[int]) -> np.ndarray:
        """Similarity of ``text`` to each item in ``slots`` under the window's counts."""
        if not slots:
            return np.zeros(0)
        sp, si = self._stem_ptr.view, self._stem_idx.view
        keys = np.unique(np.concatenate([stems] + [si[sp[s] : sp[s + 1]] for s in slots]))
        kl = keys.tolist()
        idf = Idf(
            n_docs=max(self._n_alive, 1),
            char_df=self._char_df,
            word_keys=keys,
            word_df=np.array([self._word_df.get(s, 0) for s in kl], dtype=np.float64),
            cap_keys=np.array([s for s in kl if s in self._names], dtype=np.uint64),
            fixed_names=True,
        )
        f, _ = featurize([text] + [self._texts[s] for s in slots], idf)
        m = len(slots)
        pi = np.zeros(m, dtype=np.int64)
        pj = np.arange(1, m + 1, dtype=np.int64)
        return pair_scores(f, pi, pj, min_score=score_floor(self.threshold))

    def _decide(self, text: str, parts: Parts, k: int, src: int) -> tuple[int, float, bool]:
        """(story to join or 0, score to its representative, seen before) for text ``k``."""
        alive = self._alive.view
        found = self._table.lookup(parts.bands[k], alive)
        cand = top_voted(found, _N_CAND).tolist()
        h = parts.clean_hash[k]
        seen = bool(cand) and bool((self._hash.view[np.array(cand)] == h).any())
        stems = parts.row(parts.stem_ptr, parts.stem_idx, k)
        sc = self._scores(text, stems, cand)
        known = dict(zip(cand, sc.tolist(), strict=True))
        thr = self.threshold
        eps = 1e-9
        best: dict[int, float] = {}
        story = self._story.view
        for s, v in known.items():
            if v >= thr - eps:
                st = int(story[s])
                best[st] = max(best.get(st, 0.0), v)
        floor = score_floor(thr)
        srcs = self._src.view
        for st in sorted(best, key=lambda x: (-best[x], x)):
            mem = self._members[st]
            if src >= 0 and bool((srcs[np.array(mem)] == src).any()):
                continue
            look = mem[:MERGE_BUDGET]
            todo = [m for m in look if m not in known]
            if todo:
                known.update(zip(todo, self._scores(text, stems, todo).tolist(), strict=True))
            s_all = np.array([known[m] for m in look])
            if s_all.min() < floor or s_all[:SAMPLE_MIN].min() < thr - eps:
                continue
            return st, float(s_all[0]), seen
        return 0, 0.0, seen

    def _add_one(
        self, text: str, item_id: ItemId, t: float, src: int, parts: Parts, k: int
    ) -> Match:
        self._count(parts, k, +1)
        story, rep_score, seen = self._decide(text, parts, k, src)
        slot = len(self._texts)
        self._texts.append(text)
        self._ids.append(item_id)
        self._slot_of[item_id] = slot
        self._time.extend(np.array([t]))
        self._alive.extend(np.array([True]))
        self._src.extend(np.array([src], dtype=np.int64))
        self._hash.extend(parts.clean_hash[k : k + 1])
        stems = parts.row(parts.stem_ptr, parts.stem_idx, k)
        self._stem_idx.extend(stems)
        self._stem_ptr.extend(np.array([self._stem_idx.n], dtype=np.int64))
        if story == 0:
            story = self._next_story
            self._next_story += 1
            self._members[story] = [slot]
            self._score.extend(np.array([np.nan]))
        else:
            self._members[story].append(slot)
            self._score.extend(np.array([rep_score]))
        self._story.extend(np.array([story], dtype=np.int64))
        self._table.add(parts.bands[k], slot, self._alive.view)
        self._t_newest = max(self._t_newest, t)
        self._t_oldest = min(self._t_oldest, t)
        return self._match(slot, seen_before=seen)

    def _prune(self, newest: float, room: int = 1) -> int:
        gone = 0
        cutoff = newest - self.window_days * _DAY
        if self._t_oldest < cutoff:
            gone += self.forget_before(cutoff)
        if self.max_items is not None and self._n_alive + room > self.max_items:
            alive = np.flatnonzero(self._alive.view)
            extra = alive.size - self.max_items + room  # room for the items being added
            order = np.argsort(self._time.view[alive], kind="stable")
            self._drop(alive[order[:extra]])
            gone += extra
        return gone

    def _drop(self, slots: np.ndarray) -> None:
        if slots.size == 0:
            return
        slots = np.unique(slots)
        parts = item_parts([self._texts[s] for s in slots.tolist()])
        alive = self._alive.view
        touched: set[int] = set()
        for k, s in enumerate(slots.tolist()):
            self._count(parts, k, -1)
            alive[s] = False
            del self._slot_of[self._ids[s]]
            touched.add(int(self._story.view[s]))
            for o in self._forbid.pop(s, set()):
                self._forbid.get(o, set()).discard(s)
        for st in touched:
            mem = [m for m in self._members[st] if alive[m]]
            if mem:
                self._members[st] = mem
            else:
                del self._members[st]
        live_t = self._time.view[alive]
        self._t_oldest = float(live_t.min()) if live_t.size else math.inf
        if len(self._texts) > _COMPACT_MIN and self._n_alive * 2 < len(self._texts):
            self._compact()

    def _move_to_new_story(self, slot: int) -> None:
        old = int(self._story.view[slot])
        self._members[old].remove(slot)
        if not self._members[old]:
            del self._members[old]
        st = self._next_story
        self._next_story += 1
        self._members[st] = [slot]
        self._story.view[slot] = st
        self._score.view[slot] = np.nan

    def _compact(self) -> None:
        """Renumber the live items 0..n-1 so dead ones stop costing memory and lookups.

        Everything is remapped in place (counts stay as they are): no headline is prepared
        again, so a long-running index does not stall when half its window has turned over.
        """
        alive = self._alive.view
        keep = np.flatnonzero(alive)
        pos = np.full(alive.size, -1, dtype=np.int64)
        pos[keep] = np.arange(keep.size)
        kl = keep.tolist()
        self._texts = [self._texts[s] for s in kl]
        self._ids = [self._ids[s] for s in kl]
        self._slot_of = {i: k for k, i in enumerate(self._ids)}
        for name in ("_time", "_story", "_src", "_score", "_hash"):
            g = getattr(self, name)
            setattr(self, name, GrowArray(g.dtype, g.view[keep]))
        self._alive = GrowArray(np.bool_, np.ones(keep.size, dtype=bool))
        sp, si = self._stem_ptr.view, self._stem_idx.view
        lens = (sp[1:] - sp[:-1])[keep]
        ptr = np.zeros(keep.size + 1, dtype=np.int64)
        np.cumsum(lens, out=ptr[1:])
        # entry e of the new rows comes from sp[keep[row]] + (e - ptr[row])
        src = np.repeat(sp[:-1][keep] - ptr[:-1], lens) + np.arange(ptr[-1])
        self._stem_ptr = GrowArray(np.int64, ptr)
        self._stem_idx = GrowArray(np.uint64, si[src])
        self._members = {st: [int(pos[m]) for m in mem] for st, mem in self._members.items()}
        self._forbid = {
            int(pos[a]): {int(pos[b]) for b in bs} for a, bs in self._forbid.items() if alive[a]
        }
        self._table.remap(alive, pos)

    def _fill(
        self,
        texts: list[str],
        ids: list[ItemId],
        times: np.ndarray,
        story: np.ndarray,
        rank: np.ndarray,
        score: np.ndarray,
        source: np.ndarray,
    ) -> None:
        """Rebuild counts, band table and stories from items (after load or compaction)."""
        n = len(texts)
        self._texts = list(texts)
        self._ids = list(ids)
        self._slot_of = {i: k for k, i in enumerate(ids)}
        if len(self._slot_of) != n:
            raise DataError("item ids repeat")
        self._time = GrowArray(np.float64, times)
        self._story = GrowArray(np.int64, story)
        self._alive = GrowArray(np.bool_, np.ones(n, dtype=bool))
        self._src = GrowArray(np.int64, source)
        self._score = GrowArray(np.float64, score)
        if n == 0:
            return
        parts = item_parts(self._texts)
        self._hash = GrowArray(np.uint64, parts.clean_hash)
        self._stem_ptr = GrowArray(np.int64, parts.stem_ptr)
        self._stem_idx = GrowArray(np.uint64, parts.stem_idx)
        np.add.at(self._char_df, parts.char_idx, 1.0)
        self._n_alive = n
        st, cnt = np.unique(parts.stem_idx, return_counts=True)
        self._word_df = dict(zip(st.tolist(), cnt.tolist(), strict=True))
        for stem_arr, col in ((parts.cap_stem, 0), (parts.low_stem, 1)):
            u, c = np.unique(stem_arr, return_counts=True)
            for s, v in zip(u.tolist(), c.tolist(), strict=True):
                self._caps.setdefault(s, [0, 0])[col] += v
        self._names = {s for s, c in self._caps.items() if c[0] > c[1]}
        self._table.rebuild(parts.bands, np.arange(n))
        order = np.lexsort((rank, story))
        members: dict[int, list[int]] = {}
        for k in order.tolist():
            members.setdefault(int(story[k]), []).append(k)
        self._members = members
        self._next_story = int(story.max()) + 1
        self._t_newest = float(times.max())
        self._t_oldest = float(times.min())

    def memory_bytes(self) -> int:
        """Approximate bytes the index holds (arrays, texts, ids, dictionaries)."""
        import sys

        arrays = sum(
            g.nbytes
            for g in (
                self._time,
                self._story,
                self._alive,
                self._src,
                self._score,
                self._hash,
                self._stem_ptr,
                self._stem_idx,
            )
        )
        texts = sum(sys.getsizeof(t) for t in self._texts)
        ids = sum(sys.getsizeof(i) for i in self._ids)
        dicts = (
            sys.getsizeof(self._slot_of)
            + sys.getsizeof(self._word_df)
            + len(self._word_df) * 64
            + sys.getsizeof(self._caps)
            + len(self._caps) * 120
            + sum(sys.getsizeof(m) for m in self._members.values())
            + len(self._members) * 64
        )
        return int(arrays + texts + ids + dicts + self._table.nbytes + self._char_df.nbytes)
