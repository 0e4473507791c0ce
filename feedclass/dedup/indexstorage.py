"""The storage layout of :class:`~feedclass.dedup.index.DedupIndex`, declared once.

``DedupIndex`` sets these attributes (``_reset``, ``_fill``); its mixins
(:class:`~feedclass.dedup.indexingest.PeriodIngest`,
:class:`~feedclass.dedup.indexstate.IndexState`) read and move them. Declaring them here, as
annotations only, lets type checkers follow the mixins without each repeating the list.
"""

from __future__ import annotations

from typing import Any

from feedclass.dedup.bandtable import BandTable, GrowArray
from feedclass.dedup.inputs import ItemId
from feedclass.dedup.windowcounts import WindowCounts

__all__ = ["IndexStorage"]


class IndexStorage:
    """Annotations of the index's storage (no values: ``DedupIndex`` sets them).

    Examples
    --------
    >>> from feedclass.dedup import DedupIndex
    >>> issubclass(DedupIndex, IndexStorage), "_members" in IndexStorage.__annotations__
    (True, True)
    """

    threshold: float
    window_days: float
    max_items: int | None
    meta: dict[str, Any]
    _texts: list[str]
    _ids: list[ItemId]
    _slot_of: dict[ItemId, int]
    _time: GrowArray
    _story: GrowArray
    _alive: GrowArray
    _src: GrowArray
    _score: GrowArray
    _hash: GrowArray
    _stem_ptr: GrowArray
    _stem_idx: GrowArray
    _sources: dict[str, int]
    _source_names: list[str]
    _members: dict[int, list[int]]
    _forbid: dict[int, set[int]]
    _table: BandTable
    _counts: WindowCounts
    _dropped: list[int]
    _n_alive: int
    _next_story: int
    _t_newest: float
    _t_oldest: float
