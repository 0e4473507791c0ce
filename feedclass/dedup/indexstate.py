"""The state of :class:`~feedclass.dedup.index.DedupIndex` as data: save, write and load, the
items as a list (``items``/``from_items``), and rebuilding the index from items (``_fill``).

The file format itself (kind, version, bounded reads, string packing) is
:mod:`~feedclass.dedup.indexfile`'s; this module says which arrays the index writes and how
it is rebuilt from them: each item's stems and the window's counts travel in the file, so
loading prepares no headline again (the band table is rebuilt from the stems).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from feedclass.dedup.bandtable import GrowArray
from feedclass.dedup.candidates import band_keys
from feedclass.dedup.clusters import DEFAULT_THRESHOLD
from feedclass.dedup.indexfile import (
    pack_strings,
    read_index_file,
    unpack_strings,
    write_index_file,
    write_index_stream,
)
from feedclass.dedup.indexparts import item_parts, typo_parts
from feedclass.dedup.indexstorage import IndexStorage
from feedclass.dedup.inputs import ItemId, as_time, check_headline, check_item_id
from feedclass.dedup.windowcounts import WindowCounts, gather_rows
from feedclass.errors import DataError, StateFileError

__all__ = ["IndexState"]

_Index = TypeVar("_Index", bound="IndexState")


class IndexState(IndexStorage):
    """Saving, loading and listing of :class:`~feedclass.dedup.index.DedupIndex` (a mixin: it
    reads the index's storage and calls its ``_queue_drops``; ``_fill`` sets that storage).

    Examples
    --------
    >>> from feedclass.dedup import DedupIndex
    >>> idx = DedupIndex.from_items(["Пожар на складе в Алматы"], ["a"], [0.0], [4])
    >>> idx.items(), idx.next_story
    ([('a', 'Пожар на складе в Алматы', 0.0, 4)], 5)
    """

    if TYPE_CHECKING:
        # the index's methods these steps call, declared for type checkers

        def _queue_drops(self) -> None: ...

        def __init__(
            self, threshold: float = ..., window_days: float = ..., max_items: int | None = ...
        ) -> None: ...

    def items(self) -> list[tuple[ItemId, str, float, int]]:
        """Every indexed item as ``(item_id, text, time, story_id)``, in the order added."""
        tv, sv = self._time.view, self._story.view
        return [
            (self._ids[s], self._texts[s], float(tv[s]), int(sv[s]))
            for s in np.flatnonzero(self._alive.view).tolist()
        ]

    @classmethod
    def from_items(
        cls: type[_Index],
        texts: Sequence[str],
        item_ids: Sequence[ItemId],
        times: Sequence[float],
        story_ids: Sequence[int],
        *,
        next_story: int = 1,
        threshold: float = DEFAULT_THRESHOLD,
        window_days: float = 3.0,
        max_items: int | None = None,
    ) -> _Index:
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
        >>> from feedclass.dedup import DedupIndex
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
        >>> from feedclass.dedup import DedupIndex
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
    def load(cls: type[_Index], path: str | Path) -> _Index:
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
            # the words for slips of the pen are not in the file: counted again from the texts
            self._counts.count_typos(*typo_parts(self._texts), None, +1)
            self._counts.typos.rebuild()
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
