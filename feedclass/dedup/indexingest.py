"""How :class:`~feedclass.dedup.index.DedupIndex` takes in items: a period of the word statistics
at a time.

Why a period: the counts the scorer reads change only every ``n // 64`` additions
(:mod:`~feedclass.dedup.windowcounts`), so within a period the new items' candidates are found
first (the band table, the window and the ids move exactly as one-at-a-time adds move them),
all their pairs are scored in one call, and the items are then decided in order under the
batch's join rule. One item (``add``) and a batch (``add_many``) go through the same steps.

:class:`PeriodIngest` holds those steps (candidate lookup for a period, pair scoring under the
period's counts, slips of the pen rescored, the join decision); ``DedupIndex`` inherits them and
keeps the storage and story bookkeeping they call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from feedclass.dedup.bandtable import WALK, top_voted
from feedclass.dedup.clusters import MERGE_BUDGET, joins_story, score_floor
from feedclass.dedup.featurize import featurize
from feedclass.dedup.indexparts import Parts
from feedclass.dedup.indexstorage import IndexStorage
from feedclass.dedup.inputs import ItemId
from feedclass.dedup.match import Match
from feedclass.dedup.pairs import pair_scores
from feedclass.dedup.slips import share_a_slip, slip_forms
from feedclass.dedup.windowcounts import gather_rows

__all__ = ["PeriodIngest"]

_N_CAND = 16  # candidates kept per new item: the items sharing the most bands with it
_EPS = 1e-9  # a score this close below the threshold reaches it (float sums differ in order)
_SLIP_BAND = 0.2  # pairs this far below the floor may still be a copy with a slip of the pen


class PeriodIngest(IndexStorage):
    """The ingest steps of :class:`~feedclass.dedup.index.DedupIndex` (a mixin: it reads and
    moves the index's storage, and calls its ``_append``, ``_place``, ``_prune``, ``_match``).

    Examples
    --------
    >>> from feedclass.dedup import DedupIndex
    >>> issubclass(DedupIndex, PeriodIngest)
    True
    """

    if TYPE_CHECKING:
        # the index's methods these steps call, declared for type checkers

        def _queue_drops(self) -> None: ...

        def _match(self, slot: int, seen_before: bool) -> Match: ...
        def _unmember(self, slots: np.ndarray) -> None: ...
        def _source_code(self, source: str | None, register: bool = True) -> int: ...
        def _seen_again(self, slot: int, t: float) -> None: ...
        def _prune(self, newest: float, room: int = 1, defer: bool = False) -> np.ndarray: ...
        def _place(self, slot: int, story: int, rep_score: float) -> None: ...
        def _compact_if_half_dead(self) -> None: ...
        def _append(
            self, text: str, item_id: ItemId, t: float, src: int, parts: Parts, k: int
        ) -> int: ...

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
        self._compact_if_half_dead()
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
        texts = [self._texts[s] for s in u.tolist()]
        typos = self._counts.typo_table(texts)
        # the stems slipped words now read as count too (whatever else is in the call)
        idf = self._counts.idf_for(np.concatenate([stems, typos.hashes[1]]))
        f, _ = featurize(texts, idf, typos=typos)
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
                # the window's map may already join the slip (or join it to a third word)
                sc[i] = max(sc[i], pair_scores(f, one, two, min_score=floor)[0])
        return sc

    def _text_scores(self, text: str, stems: np.ndarray, slots: Any) -> np.ndarray:
        """Similarity of a headline not indexed to each item in ``slots``."""
        slots = np.asarray(slots, dtype=np.int64)
        if slots.size == 0:
            return np.zeros(0)
        held, _owner = gather_rows(self._stem_ptr.view, self._stem_idx.view, slots)
        texts = [text] + [self._texts[s] for s in slots.tolist()]
        typos = self._counts.typo_table(texts)
        idf = self._counts.idf_for(np.concatenate([stems, held, typos.hashes[1]]))
        f, _ = featurize(texts, idf, typos=typos)
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
