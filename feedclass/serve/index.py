"""The desk's story index: which stored story a new headline belongs to, one item at a time.

The matching itself is feedclass's :class:`~feedclass.DedupIndex` (the rules of
``feedclass dedup``: no chaining, facts must agree). This module only keeps the desk's story
ids, which live in the database, apart from the index's own: an editor may split an item that
the index has already forgotten, and the new story must never collide with one the index makes
later. The database is the source of truth; the index is rebuilt from its last days at start.

Sources are not passed to the index: a CMS is one source sending many items, and its updates of
one story must join it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from feedclass.errors import DataError

__all__ = ["Placed", "StoryIndex"]


def _dedup_index() -> Any:
    # from the top level, as its module is about to move into the dedup package
    import feedclass

    return feedclass.DedupIndex


@dataclass(frozen=True)
class Placed:
    """Where an item went: its (desk) story, the story's first item, and how close it came."""

    item_id: int
    story_id: int
    #: The representative item of the story it joined, or None for a new story.
    duplicate_of: int | None
    #: Similarity to that representative (0 for a new story).
    score: float


class StoryIndex:
    """Desk stories over a :class:`~feedclass.DedupIndex` of the last ``history_days``.

    Parameters
    ----------
    threshold : float or None
        Similarity that joins a story; None: the dedup default (precision first).
    history_days : float
        Items older than this (before the newest item's time) are forgotten.

    Examples
    --------
    >>> ix = StoryIndex()
    >>> ix.add_many(["Пожар на складе в Алматы"], [1], [0.0], [10])[0].story_id
    10
    >>> p = ix.add_many(["Срочно: пожар на складе в Алматы", "Курс доллара на 6 мая"],
    ...                 [2, 3], [60.0, 61.0], [11, 12])
    >>> [(x.story_id, x.duplicate_of) for x in p]
    [(10, 1), (12, None)]
    """

    def __init__(self, threshold: float | None = None, history_days: float = 3.0) -> None:
        self.threshold = threshold
        self.history_days = float(history_days)
        self._kw: dict[str, Any] = {"window_days": self.history_days}
        if threshold is not None:
            self._kw["threshold"] = float(threshold)
        self._index = _dedup_index()(**self._kw)
        self._to_desk: dict[int, int] = {}  # index story -> desk story
        self._to_index: dict[int, int] = {}  # desk story -> index story

    @classmethod
    def rebuild(
        cls,
        rows: Sequence[tuple[int, str, float, int]],
        not_same: Sequence[tuple[int, int]],
        next_story: int,
        threshold: float | None = None,
        history_days: float = 3.0,
    ) -> StoryIndex:
        """An index holding stored items ``(key, title, time, desk story)`` and their
        "not the same story" pairs; index stories are numbered from ``next_story`` on."""
        ix = cls(threshold, history_days)
        if rows:
            keys, texts, times, stories = zip(*rows, strict=True)
            ix._index = _dedup_index().from_items(
                list(texts),
                list(keys),
                list(times),
                list(stories),
                next_story=max(next_story, max(stories) + 1),
                **ix._kw,
            )
            for s in set(stories):
                ix._to_desk[s] = s
                ix._to_index[s] = s
        for a, b in not_same:
            if a in ix._index and b in ix._index and ix.story_of(a) != ix.story_of(b):
                ix._index.forbid(a, b)
        return ix

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._index

    def story_of(self, item_id: int) -> int | None:
        """The desk story of an indexed item, or None when it is not (or no longer) indexed."""
        if item_id not in self._index:
            return None
        return self._to_desk.get(self._index.story_of(item_id))

    def add_many(
        self,
        texts: Sequence[str],
        keys: Sequence[int],
        times: Sequence[float],
        new_story_ids: Sequence[int],
    ) -> list[Placed]:
        """Index new items; an item that starts a story gets its ``new_story_ids`` entry.

        Returns one :class:`Placed` per item, in input order.
        """
        matches = self._index.add_many(list(texts), list(keys), list(times))
        out = []
        for m, new in zip(matches, new_story_ids, strict=True):
            desk = self._to_desk.get(m.story_id)
            if desk is None:
                desk = new
                self._to_desk[m.story_id] = desk
                self._to_index[desk] = m.story_id
            dup = None if m.duplicate_of is None else int(m.duplicate_of)
            out.append(Placed(int(m.item_id), desk, dup, float(m.score or 0.0)))
        return out

    def remove(self, item_id: int) -> None:
        """Forget an item (it stays in the database)."""
        if item_id in self._index:
            self._index.remove(item_id)

    def split(self, item_id: int, new_story_id: int) -> None:
        """An editor took the item out of its story into ``new_story_id``; it never goes back."""
        if item_id in self._index:
            m = self._index.split(item_id)
            self._to_desk[m.story_id] = new_story_id
            self._to_index[new_story_id] = m.story_id

    def merge(self, story_a: int, story_b: int) -> None:
        """An editor merged desk story ``story_b`` into ``story_a``."""
        ia, ib = self._to_index.get(story_a), self._to_index.get(story_b)
        if ib is None:
            return
        if ia is not None and ia != ib:
            try:
                self._index.merge_stories(ia, ib)
            except DataError:  # one of them was forgotten meanwhile: map b's items instead
                self._to_desk[ib] = story_a
            self._to_index.pop(story_b, None)
            return
        self._to_desk[ib] = story_a  # story_a has no indexed items: b's carry on as a
        self._to_index[story_a] = ib
        self._to_index.pop(story_b, None)

    def forbid(self, item_a: int, item_b: int) -> None:
        """Never put ``item_a`` and ``item_b`` in one story (they are in two stories now)."""
        if item_a in self._index and item_b in self._index:
            if self._index.story_of(item_a) != self._index.story_of(item_b):
                self._index.forbid(item_a, item_b)
