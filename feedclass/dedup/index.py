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
  are counted over the window, and a pair is featurized with those counts alone (no slips of
  the pen undone against other headlines of the call). The counts the scorer reads are a
  snapshot refreshed every ``n // 64`` additions (:mod:`~feedclass.dedup.windowcounts`), so a
  batch can be scored a period at a time in one call and still answer as one-at-a-time adds.
* A new item joins a story under the batch's rule (``NearDuplicates``,
  :func:`~feedclass.dedup.clusters.joins_story`: every member compared, up to 256, above the
  floor and the first 8 at the threshold, or a near copy of one member with none far below),
  and two items of one known source never share a story. Best-scoring story first. Adding an
  item never changes the story of an item already indexed; only the editor's operations
  (``forbid``, ``split``, ``merge_stories``) move items.
* State is data: a model-format zip of a JSON header and plain arrays, written atomically
  (:mod:`~feedclass.dedup.indexfile`); it carries each item's stems and the window's counts,
  so loading prepares no headline again (the band table is rebuilt from the stems).
"""

from __future__ import annotations

import contextlib
import math
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from feedclass.dedup.bandtable import WALK, BandTable, GrowArray, top_voted
from feedclass.dedup.candidates import band_keys
from feedclass.dedup.clusters import (
    DEFAULT_THRESHOLD,
    MERGE_BUDGET,
    form_stories,
    joins_story,
    representative_order,
    score_floor,
)
from feedclass.dedup.featurize import featurize
from feedclass.dedup.indexfile import (
    pack_strings,
    read_index_file,
    unpack_strings,
    write_index_file,
    write_index_stream,
)
from feedclass.dedup.indexparts import PARALLEL_MIN, Parts, item_parts, one_thread
from feedclass.dedup.inputs import ItemId, as_time, check_headline, check_item_id
from feedclass.dedup.pairs import pair_scores, score_batch
from feedclass.dedup.slips import share_a_slip, slip_forms
from feedclass.dedup.windowcounts import WindowCounts, gather_rows
from feedclass.errors import DataError, StateFileError

__all__ = ["DedupIndex", "Match"]

_DAY = 86400.0
_N_CAND = 16  # candidates kept per new item: the items sharing the most bands with it
_COMPACT_MIN = 4096  # renumber the live items when more slots than this are half dead
_BULK_MIN = 64  # a batch this large into an empty index is clustered at once
_EPS = 1e-9  # a score this close below the threshold reaches it (float sums differ in order)
_SLIP_BAND = 0.2  # pairs this far below the floor may still be a copy with a slip of the pen


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
        #: what the caller stored with the index (:meth:`save`'s ``meta``); {} if nothing
        self.meta: dict[str, Any] = {}

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
        self._counts = WindowCounts()
        self._dropped: list[int] = []  # forgotten slots whose counts are not queued yet
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
        del src  # registered above, as before; _ingest looks it up again
        with one_thread():
            m = self._ingest([text], [item_id], [t], [source], [0], item_parts([text]))[0]
        assert m is not None
        return m

    def query(self, text: str, time: Any = None, source: str | None = None) -> Match:
        """The story ``text`` would join if added now, without adding it.

        ``Match.item_id`` is None, and ``story_id`` is 0 when it would start a new story.
        A query forgets nothing: ``time`` is checked, and answers are against the items held
        (call :meth:`prune` first to answer as of a later time). It reads the word statistics
        an add at this point would read (see :mod:`~feedclass.dedup.windowcounts`).
        """
        text = check_headline(text)
        as_time(time)
        src = self._source_code(source, register=False)
        with contextlib.ExitStack() as stack:
            stack.enter_context(one_thread())
            parts = item_parts([text])
            if self._counts.due():  # an add would start a new period: read it as that add
                self._queue_drops()
                stack.enter_context(self._counts.preview(parts, np.zeros(1), self._n_alive + 1))
            cand, seen = self._candidates(parts, 0)
            stems = parts.row(parts.stem_ptr, parts.stem_idx, 0)
            known = dict(
                zip(cand.tolist(), self._text_scores(text, stems, cand).tolist(), strict=True)
            )
            story, rep_score = self._decide(
                cand, known, src, lambda _st, todo: self._text_scores(text, stems, todo)
            )
        if story == 0:
            return Match(None, 0, None, None, seen)
        rep = self._members[story][0]
        return Match(None, story, self._ids[rep], rep_score, seen)

    def add_many(
        self,
        texts: Sequence[str],
        item_ids: Sequence[ItemId | None] | None = None,
        times: Any = None,
        sources: Sequence[str | None] | None = None,
    ) -> list[Match]:
        """Add a batch of headlines; the answers are those of :meth:`add` row by row.

        Every input is checked before anything is added. Rows go in time order (input order
        among equal times). Into a non-empty index (or a batch under 64 rows) the Matches,
        story ids and members are exactly those of calling :meth:`add` on the rows one by
        one in that order, but the work is batched: a period of the word statistics at a
        time, candidates are found for all its rows, every pair is scored in one call, and
        the rows are then decided in order. Into an empty index a batch of 64+ rows is
        clustered at once by the batch rule of :class:`~feedclass.dedup.NearDuplicates`.

        Parameters
        ----------
        texts : sequence of str
            The headlines.
        item_ids : sequence of str or int, optional
            One id per headline (default: numbered as :meth:`add` numbers them). An id already
            indexed, or repeated in the batch, must come with the same headline.
        times : sequence of float or datetime, optional
            One publication time per headline (default: now).
        sources : sequence of str or None, optional
            Outlet or channel per headline.

        Returns
        -------
        list of Match
            One per input row, in input order.

        Examples
        --------
        >>> idx = DedupIndex()
        >>> _ = idx.add("Пожар на складе в Алматы", item_id="a", time=0)
        >>> ms = idx.add_many(["Курс доллара на 6 мая", "Срочно: пожар на складе в Алматы"],
        ...                   ["b", "c"], [60, 30])
        >>> [m.duplicate_of for m in ms], idx.members(idx.story_of("a"))
        ([None, 'a'], ['a', 'c'])
        """
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
        if n == 0:
            return []
        # one thread: a period's calls are a few thousand headlines, and on a machine whose
        # cores are busy a parallel launch waits for all of them (measured 3x slower)
        with one_thread():
            out = self._ingest(rows, checked, tms, srcs, order, item_parts(rows))
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
            return int(self._prune(newest, room=0).size)

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
    def save(self, path: str | Path, meta: dict[str, Any] | None = None) -> None:
        """Write the index to ``path`` atomically, as data (a zip of JSON and numpy arrays).

        The word statistics are refreshed first (a loaded index counts every item it holds),
        so the index saved and the index loaded answer alike from here on. ``meta`` (JSON
        values) is stored with it and comes back as ``meta`` of :meth:`load`. The file carries
        each item's stems and the window's counts, so loading prepares no headline again.

        Examples
        --------
        >>> import tempfile, os
        >>> idx = DedupIndex()
        >>> _ = idx.add("Пожар на складе в Алматы", item_id="a", time=0)
        >>> path = os.path.join(tempfile.mkdtemp(), "index.fcm")
        >>> idx.save(path, meta={"run": 7})
        >>> back = DedupIndex.load(path)
        >>> back.story_of("a") == idx.story_of("a"), back.meta
        (True, {'run': 7})
        """
        write_index_file(path, *self._state(meta))

    def write(self, stream: Any, meta: dict[str, Any] | None = None) -> None:
        """:meth:`save` into an open binary ``stream`` (a caller that renames the file itself).

        Examples
        --------
        >>> import io
        >>> buf = io.BytesIO()
        >>> DedupIndex().write(buf)
        >>> buf.getvalue()[:2]
        b'PK'
        """
        write_index_stream(stream, *self._state(meta))

    def _state(self, meta: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._queue_drops()
        self._counts.refresh(self._n_alive)
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
        # what loading would otherwise prepare again from the texts: stems, hashes, counts
        sp, si = self._stem_ptr.view, self._stem_idx.view
        arrays["hash"] = self._hash.view[slots]
        arrays["stem_len"] = (sp[1:] - sp[:-1])[slots]
        arrays["stem_idx"], _owner = gather_rows(sp, si, slots)
        arrays.update(self._counts.to_arrays())
        header = {
            "threshold": self.threshold,
            "window_days": self.window_days,
            "max_items": self.max_items,
            "next_story": self._next_story,
            "n_items": int(slots.size),
            "meta": {} if meta is None else meta,
        }
        return header, arrays

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
                arrays if "stem_idx" in arrays else None,
            )
            meta = header.get("meta", {})
            if not isinstance(meta, dict):
                raise ValueError("meta is not an object")
            idx.meta = meta
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

    # -- ingest: one item or a batch, the same steps -----------------------------------------
    def _ingest(
        self,
        rows: list[str],
        ids: list[ItemId | None],
        tms: list[float],
        srcs: list[str | None],
        order: list[int],
        parts: Parts,
    ) -> list[Match | None]:
        """Add ``rows`` in ``order``, one period of the word statistics at a time.

        Within a period the scorer's statistics are fixed, so the new items' candidates are
        found first (the band table, the window and the ids move exactly as one-at-a-time adds
        move them), all their pairs are scored in one call, and the items are then decided in
        order under the join rule of :meth:`_decide`. Returns one ``Match`` per row (None
        where ``order`` leaves a row out).
        """
        out: list[Match | None] = [None] * len(rows)
        p = 0
        while p < len(order):
            p = self._ingest_period(rows, ids, tms, srcs, order, parts, p, out)
        return out

    def _ingest_period(
        self,
        rows: list[str],
        ids: list[ItemId | None],
        tms: list[float],
        srcs: list[str | None],
        order: list[int],
        parts: Parts,
        p: int,
        out: list[Match | None],
    ) -> int:
        counts = self._counts
        # step: (row, slot, added?, slots forgotten just before it)
        steps: list[tuple[int, int, bool, np.ndarray]] = []
        new_rows: list[int] = []  # the rows added, in order, and the step each was added at
        new_steps: list[int] = []
        later: list[int] = []  # rows added after the period's first: counted at its end
        no_drop = np.zeros(0, dtype=np.int64)
        first_slot = len(self._texts)
        while p < len(order):
            k = order[p]
            iid = ids[k]
            if iid is None:
                iid = len(self._ids)
                while iid in self._slot_of:
                    iid += 1
            if iid in self._slot_of:
                slot = self._slot_of[iid]
                self._seen_again(slot, tms[k])
                steps.append((k, slot, False, no_drop))
                p += 1
                continue
            if new_rows and counts.due():
                break  # this item starts the next period: its statistics differ
            gone = self._prune(max(self._t_newest, tms[k]), defer=True)
            src = self._source_code(srcs[k])
            self._n_alive += 1
            counts.since += 1
            if counts.since >= counts.every:
                counts.queue(parts, np.array([k]), +1)
                self._queue_drops()
                counts.refresh(self._n_alive)
            elif not new_rows:
                counts.queue(parts, np.array([k]), +1)
            else:
                later.append(k)
            slot = self._append(rows[k], iid, tms[k], src, parts, k)
            new_steps.append(len(steps))
            steps.append((k, slot, True, gone))
            new_rows.append(k)
            p += 1
        counts.queue(parts, np.array(later, dtype=np.int64), +1)
        cands, seen = self._period_candidates(steps, new_rows, new_steps, first_slot, parts)
        known = self._prefetch(steps, cands, first_slot)
        slots = [slot for _k, slot, added, _g in steps if added]
        # which later items may ask about a story: those with a candidate in it at the
        # threshold (a story's members gained in this period were not prefetched)
        by_cand: dict[int, list[int]] = {}
        for x, (cand, kn) in enumerate(zip(cands, known, strict=True)):
            for c in cand.tolist():
                if kn[c] >= self.threshold - _EPS:
                    by_cand.setdefault(c, []).append(x)

        def more(st: int, todo: list[int], e: int) -> np.ndarray:
            """Scores item ``e`` lacks for story ``st``, and those later items of the period
            that may ask about ``st`` lack: one call per story, not one per item."""
            mem = self._members[st][:MERGE_BUDGET]
            a, b = [slots[e]] * len(todo), list(todo)
            ahead = sorted({x for m in mem for x in by_cand.get(m, ()) if x > e})
            for x in ahead:
                kx = known[x]
                for m in mem:
                    if m not in kx:
                        a.append(slots[x])
                        b.append(m)
            sc = self._pair_scores(np.array(a, dtype=np.int64), np.array(b, dtype=np.int64))
            pos = {sl: x for x, sl in enumerate(slots)}
            for i in range(len(todo), len(a)):
                known[pos[a[i]]][b[i]] = float(sc[i])
            return sc[: len(todo)]

        e = 0
        for k, slot, added, gone in steps:
            if gone.size:
                self._unmember(gone)
            if not added:
                out[k] = self._match(slot, seen_before=True)
                continue
            kn = known[e]
            story, rep_score = self._decide(
                cands[e],
                kn,
                int(self._src.view[slot]),
                lambda st, todo, e=e: more(st, todo, e),  # type: ignore[misc]
            )
            self._place(slot, story, rep_score)
            out[k] = self._match(slot, seen_before=seen[e])
            e += 1
        if len(self._texts) > _COMPACT_MIN and self._n_alive * 2 < len(self._texts):
            self._queue_drops()
            self._compact()
        return p

    def _prefetch(
        self,
        steps: list[tuple[int, int, bool, np.ndarray]],
        cands: list[np.ndarray],
        first_slot: int,
    ) -> list[dict[int, float]]:
        """Scores each new item will read: its candidates, then the members (up to the budget)
        of every earlier story a candidate reaches the threshold in, all in two calls."""
        slots = [slot for _k, slot, added, _g in steps if added]
        a = np.repeat(np.array(slots, dtype=np.int64), [c.size for c in cands])
        b = np.concatenate(cands) if cands else np.zeros(0, dtype=np.int64)
        sc = self._pair_scores(a, b).tolist()
        known: list[dict[int, float]] = []
        at = 0
        story = self._story.view
        thr = self.threshold - _EPS
        more_a: list[int] = []
        more_b: list[int] = []
        for slot, cand in zip(slots, cands, strict=True):
            kn = dict(zip(cand.tolist(), sc[at : at + cand.size], strict=True))
            at += cand.size
            known.append(kn)
            for c in {int(story[c]) for c, v in kn.items() if v >= thr and c < first_slot}:
                for m in self._members[c][:MERGE_BUDGET]:
                    if m not in kn:
                        more_a.append(slot)
                        more_b.append(m)
        if more_a:
            sc2 = self._pair_scores(np.array(more_a), np.array(more_b)).tolist()
            pos = {s: i for i, s in enumerate(slots)}
            for x, y, v in zip(more_a, more_b, sc2, strict=True):
                known[pos[x]][y] = v
        return known

    def _period_candidates(
        self,
        steps: list[tuple[int, int, bool, np.ndarray]],
        new_rows: list[int],
        new_steps: list[int],
        first_slot: int,
        parts: Parts,
    ) -> tuple[list[np.ndarray], list[bool]]:
        """The candidates of a period's new items (slots ``first_slot``...), found at once as
        each would have found them when added (the items forgotten up to its step do not
        count, the period's earlier items do); then the items go into the band table."""
        if not new_rows:
            return [], []
        alive = self._alive.view
        death = np.where(alive, np.iinfo(np.int64).max, -1)
        for at, (_k, _slot, _added, gone) in enumerate(steps):
            if gone.size:
                death[gone] = at
        ks = np.array(new_rows, dtype=np.int64)
        found = self._table.lookup_period(
            parts.bands[ks], np.array(new_steps, dtype=np.int64), death, WALK, _N_CAND
        )
        for e, k in enumerate(new_rows):
            self._table.add(parts.bands[k], first_slot + e, alive)
        cands = [row[row >= 0] for row in found]
        hv = self._hash.view
        seen = [
            c.size > 0 and bool((hv[c] == parts.clean_hash[k]).any())
            for c, k in zip(cands, new_rows, strict=True)
        ]
        return cands, seen

    def _candidates(self, parts: Parts, k: int) -> tuple[np.ndarray, bool]:
        """Text ``k``'s candidates among the live items (those sharing most bands), and
        whether one of them is the same headline."""
        found = self._table.lookup(parts.bands[k], self._alive.view)
        cand = top_voted(found, _N_CAND).astype(np.int64)
        seen = cand.size > 0 and bool((self._hash.view[cand] == parts.clean_hash[k]).any())
        return cand, seen

    def _pair_scores(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Similarity of the indexed items ``a[i]`` and ``b[i]`` under the period's counts.

        A row's features depend on its text and the counts alone (no slips undone against
        its neighbours in the call), so any grouping of pairs into calls scores alike.
        """
        if a.size == 0:
            return np.zeros(0)
        u, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
        stems, _owner = gather_rows(self._stem_ptr.view, self._stem_idx.view, u)
        idf = self._counts.idf_for(stems)
        texts = [self._texts[s] for s in u.tolist()]
        f, _ = featurize(texts, idf, typos=False)
        ia, ib = inv[: a.size], inv[a.size :]
        sc = pair_scores(f, ia, ib, min_score=score_floor(self.threshold))
        sp, si = self._stem_ptr.view, self._stem_idx.view
        return self._rescore_slips(
            sc,
            lambda i: (texts[ia[i]], texts[ib[i]]),
            lambda i: np.concatenate([si[sp[a[i]] : sp[a[i] + 1]], si[sp[b[i]] : sp[b[i] + 1]]]),
        )

    def _rescore_slips(
        self,
        sc: np.ndarray,
        texts_of: Callable[[int], tuple[str, str]],
        stems_of: Callable[[int], np.ndarray],
    ) -> np.ndarray:
        """Pairs near the threshold whose headlines hold a word and its slip of the pen are
        scored as the batch scores that pair alone (:mod:`~feedclass.dedup.slips`)."""
        floor = score_floor(self.threshold)
        near = np.flatnonzero((sc >= floor - _SLIP_BAND) & (sc < 1.0))
        if near.size == 0:
            return sc
        forms: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        one, two = np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64)
        for i in near.tolist():
            ta, tb = texts_of(i)
            fa = forms.get(ta) or forms.setdefault(ta, slip_forms(ta))
            fb = forms.get(tb) or forms.setdefault(tb, slip_forms(tb))
            if share_a_slip(fa, fb):
                f, _ = featurize([ta, tb], self._counts.idf_for(stems_of(i)))
                sc[i] = pair_scores(f, one, two, min_score=floor)[0]
        return sc

    def _text_scores(self, text: str, stems: np.ndarray, slots: Any) -> np.ndarray:
        """Similarity of a headline not indexed to each item in ``slots``."""
        slots = np.asarray(slots, dtype=np.int64)
        if slots.size == 0:
            return np.zeros(0)
        held, _owner = gather_rows(self._stem_ptr.view, self._stem_idx.view, slots)
        idf = self._counts.idf_for(np.concatenate([stems, held]))
        texts = [text] + [self._texts[s] for s in slots.tolist()]
        f, _ = featurize(texts, idf, typos=False)
        m = slots.size
        pi = np.zeros(m, dtype=np.int64)
        pj = np.arange(1, m + 1, dtype=np.int64)
        sc = pair_scores(f, pi, pj, min_score=score_floor(self.threshold))
        sp, si = self._stem_ptr.view, self._stem_idx.view
        return self._rescore_slips(
            sc,
            lambda i: (text, texts[i + 1]),
            lambda i: np.concatenate([stems, si[sp[slots[i]] : sp[slots[i] + 1]]]),
        )

    def _decide(
        self,
        cand: np.ndarray,
        known: dict[int, float],
        src: int,
        score_more: Callable[[int, list[int]], np.ndarray],
    ) -> tuple[int, float]:
        """(story to join or 0, score to its representative), the batch's join rule.

        ``known`` holds the scores to the candidates (and maybe more); ``score_more(story,
        members)`` scores members it lacks. The stories a candidate reaches the threshold in,
        best-scoring first: the item joins the first whose scores to its members (up to
        ``MERGE_BUDGET``) pass :func:`~feedclass.dedup.clusters.joins_story` and that holds no
        item of the same known source.
        """
        thr = self.threshold
        best: dict[int, float] = {}
        story = self._story.view
        for s in cand.tolist():
            v = known[s]
            if v >= thr - _EPS:
                st = int(story[s])
                best[st] = max(best.get(st, 0.0), v)
        srcs = self._src.view
        for st in sorted(best, key=lambda x: (-best[x], x)):
            mem = self._members[st]
            if src >= 0 and bool((srcs[np.array(mem)] == src).any()):
                continue
            look = mem[:MERGE_BUDGET]
            todo = [m for m in look if m not in known]
            if todo:
                known.update(zip(todo, score_more(st, todo).tolist(), strict=True))
            s_all = np.array([known[m] for m in look])
            if not joins_story(s_all, thr):
                continue
            return st, float(s_all[0])
        return 0, 0.0

    def _append(self, text: str, item_id: ItemId, t: float, src: int, parts: Parts, k: int) -> int:
        """Store text ``k`` of ``parts`` in a new slot, in no story yet (see :meth:`_place`)."""
        slot = len(self._texts)
        self._texts.append(text)
        self._ids.append(item_id)
        self._slot_of[item_id] = slot
        self._time.extend(np.array([t]))
        self._alive.extend(np.array([True]))
        self._src.extend(np.array([src], dtype=np.int64))
        self._hash.extend(parts.clean_hash[k : k + 1])
        self._stem_idx.extend(parts.row(parts.stem_ptr, parts.stem_idx, k))
        self._stem_ptr.extend(np.array([self._stem_idx.n], dtype=np.int64))
        self._story.extend(np.zeros(1, dtype=np.int64))
        self._score.extend(np.array([np.nan]))
        self._t_newest = max(self._t_newest, t)
        self._t_oldest = min(self._t_oldest, t)
        return slot

    def _place(self, slot: int, story: int, rep_score: float) -> None:
        if story == 0:
            story = self._next_story
            self._next_story += 1
            self._members[story] = [slot]
        else:
            self._members[story].append(slot)
            self._score.view[slot] = rep_score
        self._story.view[slot] = story

    def _prune(self, newest: float, room: int = 1, defer: bool = False) -> np.ndarray:
        """Forget what falls out of the window at ``newest`` (and beyond ``max_items``, making
        ``room``); returns the slots forgotten. ``defer``: see :meth:`_drop`."""
        gone = []
        cutoff = newest - self.window_days * _DAY
        if self._t_oldest < cutoff:
            alive = self._alive.view
            old = np.flatnonzero(alive & (self._time.view < cutoff))
            self._drop(old, defer)
            gone.append(old)
        if self.max_items is not None and self._n_alive + room > self.max_items:
            alive = np.flatnonzero(self._alive.view)
            extra = alive.size - self.max_items + room  # room for the items being added
            order = np.argsort(self._time.view[alive], kind="stable")
            old = alive[order[:extra]]
            self._drop(old, defer)
            gone.append(old)
        return np.concatenate(gone) if gone else np.zeros(0, dtype=np.int64)

    def _drop(self, slots: np.ndarray, defer: bool = False) -> None:
        """Forget ``slots``. With ``defer`` their stories keep them (and no renumbering) until
        :meth:`_unmember`: a batch decides its earlier items before it applies later drops."""
        if slots.size == 0:
            return
        slots = np.unique(slots)
        alive = self._alive.view
        for s in slots.tolist():
            alive[s] = False
            del self._slot_of[self._ids[s]]
            for o in self._forbid.pop(s, set()):
                self._forbid.get(o, set()).discard(s)
        self._n_alive -= int(slots.size)
        self._dropped.extend(slots.tolist())
        live_t = self._time.view[alive]
        self._t_oldest = float(live_t.min()) if live_t.size else math.inf
        if defer:
            return
        self._unmember(slots)
        if len(self._texts) > _COMPACT_MIN and self._n_alive * 2 < len(self._texts):
            self._queue_drops()
            self._compact()

    def _unmember(self, slots: np.ndarray) -> None:
        """Take forgotten ``slots`` out of their stories (a story left empty ends)."""
        gone = set(slots.tolist())
        story = self._story.view
        for st in {int(story[s]) for s in gone}:
            mem = [m for m in self._members[st] if m not in gone]
            if mem:
                self._members[st] = mem
            else:
                del self._members[st]

    def _queue_drops(self) -> None:
        """Queue the uncounting of the forgotten items (before a refresh or renumbering)."""
        if self._dropped:
            parts = item_parts([self._texts[s] for s in self._dropped])
            self._counts.queue(parts, np.arange(len(self._dropped)), -1)
            self._dropped = []

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
        prepared: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Rebuild counts, band table and stories from items (after load or compaction);
        ``prepared``: the stems, hashes and counts a state file carries (else from texts)."""
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
        self._counts = WindowCounts()
        self._dropped = []
        if n == 0:
            return
        self._n_alive = n
        if prepared is None:
            parts = item_parts(self._texts)
            clean_hash, sptr, sidx, bands = (
                parts.clean_hash, parts.stem_ptr, parts.stem_idx, parts.bands
            )  # fmt: skip
            self._counts.fill(parts, n)
        else:
            clean_hash = prepared["hash"].astype(np.uint64)
            lens = prepared["stem_len"].astype(np.int64)
            sidx = prepared["stem_idx"].astype(np.uint64)
            if clean_hash.shape != (n,) or lens.shape != (n,) or int(lens.sum()) != sidx.size:
                raise ValueError("stems and hashes do not fit the items")
            if lens.size and lens.min() < 0:
                raise ValueError("negative stem counts")
            sptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(lens, out=sptr[1:])
            bands = band_keys(sptr, sidx, clean_hash)
            self._counts = WindowCounts.from_arrays(prepared, n)
        self._hash = GrowArray(np.uint64, clean_hash)
        self._stem_ptr = GrowArray(np.int64, sptr)
        self._stem_idx = GrowArray(np.uint64, sidx)
        self._table.rebuild(bands, np.arange(n))
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
            + self._counts.nbytes
            + sum(sys.getsizeof(m) for m in self._members.values())
            + len(self._members) * 64
        )
        return int(arrays + texts + ids + dicts + self._table.nbytes)
