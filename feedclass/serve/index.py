"""The story index of the desk: which stored story a new headline belongs to, one item at a time.

This is the desk's one place for story matching, with the interface of the one-item-at-a-time
``DedupIndex`` the dedup issue is building (``add``, ``query``, ``remove``, ``forbid``), so that
switching to it changes this module only. Until then it scores with IDF-weighted overlap of word
stems and refuses to join headlines whose numbers differ («Курс доллара на 5 мая» / «на 6 мая»):
simpler than ``NearDuplicates`` and tuned on nothing, so its merges go through the review queue.

The database is the source of truth; the index is rebuilt from its last days at start (``add``
with a known ``story_id`` stores without matching).
"""

from __future__ import annotations

import math
import re
from collections import Counter, deque
from dataclasses import dataclass

from feedclass.normalize import normalize_text

__all__ = ["Match", "StoryIndex", "index_tokens"]

_WORD = re.compile(r"\w+")
# Words that say nothing about which story a headline tells (prepositions, newsroom marks).
_STOP = frozenset(
    "и в во на по с со к ко у о об от до из за для при про над под не но а что как это его ее их"
    " the a an of in on at to for and or is are was were by with from срочно фото видео молния"
    " новости".split()
)
# A stem is this many letters: enough to join «пожар»/«пожара», short of joining unrelated words.
_STEM = 6
# Candidates are gathered through the rarest words of a headline, from their newest postings:
# enough for a reworded copy, which shares its rarest words, and bounded for common words.
_RAREST = 4
_MAX_SCAN = 300
_MAX_CANDIDATES = 25


def index_tokens(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The word stems and the numbers of a headline, as the index compares them.

    Examples
    --------
    >>> words, numbers = index_tokens("Срочно: курс доллара на 5 мая вырос")
    >>> sorted(words), sorted(numbers)
    (['вырос', 'доллар', 'курс', 'мая'], ['5'])
    """
    words: set[str] = set()
    numbers: set[str] = set()
    for w in _WORD.findall(normalize_text(text).lower()):
        if w.isdigit():
            numbers.add(w.lstrip("0") or "0")
        elif w not in _STOP and len(w) > 1:
            words.add(w[:_STEM])
    return frozenset(words), frozenset(numbers)


@dataclass(frozen=True)
class Match:
    """Where an item went: its story, the story's first item, and how close it came."""

    item_id: int
    story_id: int
    #: The story's first item when the item joined an existing story, else None.
    duplicate_of: int | None
    #: Similarity to the closest item of the story (0 for a new story).
    score: float
    #: True when the item joined a story that was already in the index.
    seen_before: bool


@dataclass
class _Entry:
    words: frozenset[str]
    numbers: frozenset[str]
    story_id: int
    time: float
    source: str


class StoryIndex:
    """Items of the last ``history_days``, their stories, and pairs that must never merge.

    Parameters
    ----------
    threshold : float
        Similarity (0..1) at which a new item joins a story.
    history_days : float
        Items older than this (by their time, against the newest time added) are forgotten.

    Examples
    --------
    >>> ix = StoryIndex(threshold=0.6)
    >>> ix.add("Пожар на складе в Алматы", 1, time=0.0, source="a", new_story_id=10).story_id
    10
    >>> m = ix.add("Срочно: пожар на складе в Алматы", 2, time=60.0, source="b", new_story_id=11)
    >>> m.story_id, m.duplicate_of, m.seen_before
    (10, 1, True)
    >>> ix.add("Курс доллара на 5 мая", 3, time=90.0, source="a", new_story_id=12).story_id
    12
    >>> ix.add("Курс доллара на 6 мая", 4, time=95.0, source="b", new_story_id=13).story_id
    13
    """

    def __init__(self, threshold: float = 0.6, history_days: float = 3.0) -> None:
        self.threshold = float(threshold)
        self.history_days = float(history_days)
        self._items: dict[int, _Entry] = {}
        self._postings: dict[str, list[int]] = {}
        self._df: Counter[str] = Counter()
        self._stories: dict[int, list[int]] = {}
        self._forbidden: set[tuple[int, int]] = set()
        self._order: deque[tuple[float, int]] = deque()
        self._stale = 0
        self._newest = -math.inf

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def story_of(self, item_id: int) -> int | None:
        """The story of an indexed item, or None."""
        e = self._items.get(item_id)
        return None if e is None else e.story_id

    def _idf(self, word: str) -> float:
        return math.log(1.0 + (len(self._items) + 1) / (self._df.get(word, 0) + 1))

    def similarity(self, a: str, b: str) -> float:
        """The score ``add`` compares with ``threshold``, for two headlines."""
        wa, na = index_tokens(a)
        wb, nb = index_tokens(b)
        return self._score(wa, na, wb, nb)

    def _score(
        self,
        wa: frozenset[str],
        na: frozenset[str],
        wb: frozenset[str],
        nb: frozenset[str],
        cache: dict[str, float] | None = None,
    ) -> float:
        if na != nb and (na or nb):
            return 0.0  # numbers are facts: a date or an amount that differs is another story
        if not wa or not wb:
            return 1.0 if wa == wb and (na or wa) else 0.0
        cache = {} if cache is None else cache
        inter = union = 0.0
        for w in wa | wb:
            v = cache.get(w)
            if v is None:
                v = cache[w] = self._idf(w)
            union += v
            if w in wa and w in wb:
                inter += v
        return inter / union if union else 0.0

    def query(self, text: str, exclude: int | None = None) -> tuple[int | None, int | None, float]:
        """The closest indexed item above the threshold: ``(item_id, story_id, score)``.

        ``exclude`` is an item id whose forbidden pairs rule stories out.
        """
        return self._query(*index_tokens(text), exclude)

    def _query(
        self, words: frozenset[str], numbers: frozenset[str], exclude: int | None
    ) -> tuple[int | None, int | None, float]:
        df = self._df
        rare = sorted((w for w in words if w in df), key=df.__getitem__)[:_RAREST]
        # the newest postings only: a copy shares its rarest words, and recent items matter
        lists = [self._postings[w][-_MAX_SCAN:] for w in rare]
        if not lists:
            return None, None, 0.0
        if len(lists) <= 2 or self.threshold <= 0.5:
            found = set().union(*lists)
        else:
            # a headline sharing only one of these rarest (heaviest) words seldom reaches a
            # threshold above one half; candidates sharing two are found by set operations (C)
            found = set()
            for x in range(len(lists) - 1):
                sx = set(lists[x])
                for y in range(x + 1, len(lists)):
                    found.update(sx.intersection(lists[y]))
        best: tuple[int | None, int | None, float] = (None, None, 0.0)
        idf: dict[str, float] = {}
        for i in sorted(found, reverse=True)[:_MAX_CANDIDATES]:
            e = self._items.get(i)
            if e is None:
                continue
            s = self._score(words, numbers, e.words, e.numbers, idf)
            if s >= self.threshold and s > best[2]:
                if exclude is not None and self._story_forbidden(exclude, e.story_id):
                    continue
                best = (i, e.story_id, s)
        return best

    def _story_forbidden(self, item_id: int, story_id: int) -> bool:
        return any(
            (min(item_id, j), max(item_id, j)) in self._forbidden
            for j in self._stories.get(story_id, ())
        )

    def add(
        self,
        text: str,
        item_id: int,
        time: float,
        source: str = "",
        new_story_id: int | None = None,
        story_id: int | None = None,
    ) -> Match:
        """Index an item and tell its story.

        With ``story_id`` the item is stored in that story without matching (rebuilding the
        index from the database). Otherwise it joins the closest story at or above the
        threshold, or starts ``new_story_id``.
        """
        if item_id in self._items:
            raise ValueError(f"item {item_id} is already in the index")
        words, numbers = index_tokens(text)
        # forget what is too old before matching, so an item never joins a forgotten story
        self._newest = max(self._newest, float(time))
        self._prune()
        dup: int | None = None
        score = 0.0
        if story_id is None:
            if new_story_id is None:
                raise ValueError("new_story_id is needed when story_id is not given")
            _, found, score = self._query(words, numbers, item_id)
            if found is None:
                story_id, score = new_story_id, 0.0
            else:
                story_id = found
                dup = self._stories[found][0]
        self._put(item_id, _Entry(words, numbers, story_id, float(time), source))
        return Match(item_id, story_id, dup, float(score), dup is not None)

    def _put(self, item_id: int, e: _Entry) -> None:
        self._items[item_id] = e
        for w in e.words:
            self._postings.setdefault(w, []).append(item_id)
            self._df[w] += 1
        self._stories.setdefault(e.story_id, []).append(item_id)
        self._order.append((e.time, item_id))
        self._newest = max(self._newest, e.time)

    def move(self, item_id: int, story_id: int) -> None:
        """Put an indexed item into another story (an editor's split or merge)."""
        e = self._items.get(item_id)
        if e is None:
            return
        self._stories[e.story_id].remove(item_id)
        if not self._stories[e.story_id]:
            del self._stories[e.story_id]
        e.story_id = story_id
        members = self._stories.setdefault(story_id, [])
        members.append(item_id)
        members.sort()  # the story's first item is its earliest id

    def remove(self, item_id: int) -> None:
        """Forget an item (it stays in the database)."""
        e = self._items.pop(item_id, None)
        if e is None:
            return
        for w in e.words:
            self._df[w] -= 1
            if self._df[w] <= 0:
                del self._df[w]
        members = self._stories.get(e.story_id, [])
        if item_id in members:
            members.remove(item_id)
        if not members:
            self._stories.pop(e.story_id, None)
        self._stale += len(e.words)
        if self._stale > 4 * len(self._items) + 1000:
            self._compact()

    def forbid(self, item_a: int, item_b: int) -> None:
        """Never put ``item_a`` into the story of ``item_b`` again, or the other way round."""
        self._forbidden.add((min(item_a, item_b), max(item_a, item_b)))

    def forbidden(self, story_a: int, story_b: int) -> bool:
        """True when some item of one story was marked "not the same" as one of the other."""
        return any(self._story_forbidden(i, story_b) for i in self._stories.get(story_a, ()))

    def _prune(self) -> None:
        horizon = self._newest - self.history_days * 86400.0
        while self._order and self._order[0][0] < horizon:
            _, i = self._order.popleft()
            e = self._items.get(i)
            if e is not None and e.time < horizon:
                self.remove(i)

    def _compact(self) -> None:
        self._postings = {}
        for i, e in self._items.items():
            for w in e.words:
                self._postings.setdefault(w, []).append(i)
        self._stale = 0
