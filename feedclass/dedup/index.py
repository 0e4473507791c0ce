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

Where the parts are: this module keeps the public methods, the storage and the story
bookkeeping (window, forgetting, editing, renumbering); the period-at-a-time ingest steps are
:mod:`~feedclass.dedup.indexingest`, saving and loading :mod:`~feedclass.dedup.indexstate`, the
answer type :mod:`~feedclass.dedup.match`.
"""

from __future__ import annotations

import contextlib
import math
import time as _time
from collections.abc import Sequence
from typing import Any

import numpy as np

from feedclass.dedup.bandtable import BandTable, GrowArray
from feedclass.dedup.clusters import (
    DEFAULT_THRESHOLD,
    form_stories,
    representative_order,
    score_floor,
)
from feedclass.dedup.indexingest import PeriodIngest
from feedclass.dedup.indexparts import PARALLEL_MIN, Parts, item_parts, one_thread
from feedclass.dedup.indexstate import IndexState
from feedclass.dedup.inputs import ItemId, as_time, check_headline, check_item_id
from feedclass.dedup.match import Match
from feedclass.dedup.pairs import score_batch
from feedclass.dedup.windowcounts import WindowCounts
from feedclass.errors import DataError

__all__ = ["DedupIndex", "Match"]

_DAY = 86400.0
_COMPACT_MIN = 4096  # renumber the live items when more slots than this are half dead
_BULK_MIN = 64  # a batch this large into an empty index is clustered at once


# ---------------------------------------------------------------------------------------------
# The index.
# ---------------------------------------------------------------------------------------------
class DedupIndex(PeriodIngest, IndexState):
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
        self._compact_if_half_dead()

    def _compact_if_half_dead(self) -> None:
        """Renumber (:meth:`_compact`) once more than ``_COMPACT_MIN`` slots are half dead."""
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
