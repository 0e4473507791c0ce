"""``Match``: the index's answer about one item (its story, the story's first item, the score).

Apart from :mod:`~feedclass.dedup.index` so the index's ingest steps
(:mod:`~feedclass.dedup.indexingest`) can name it without importing the index.
"""

from __future__ import annotations

from dataclasses import dataclass

from feedclass.dedup.inputs import ItemId

__all__ = ["Match"]


@dataclass(frozen=True)
class Match:
    """Where one item stands in the index.

    Attributes
    ----------
    item_id : str, int or None
        The item asked about (None for :meth:`~feedclass.dedup.index.DedupIndex.query`).
    story_id : int
        Its story: the same int (from 1) for every item of one story, stable while the story
        lives; 0 from :meth:`~feedclass.dedup.index.DedupIndex.query` when the headline would
        start a new story.
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
