"""The desk: what the service does, behind its HTTP layer.

Every request that changes something runs here under one lock and one database transaction:
items are classified with the same model the CLI uses, matched to a story by the
:class:`~feedclass.serve.index.StoryIndex`, stored, and only then acknowledged. Editor actions
(topic, split, merge, "not the same story", accept) are rows with who, when, before and after.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from feedclass.encodings import surrogate_at, surrogate_error
from feedclass.errors import DataError, FeedclassError
from feedclass.serve.index import StoryIndex
from feedclass.serve.settings import Settings
from feedclass.serve.storage import Storage

__all__ = [
    "ConflictError",
    "Desk",
    "ImportSummary",
    "NotFoundError",
    "item_json",
    "parse_time",
    "title_conflict",
]

log = logging.getLogger("feedclass.serve")

MAX_ID = 500
MAX_TITLE = 2000
MAX_TEXT = 20_000


class NotFoundError(FeedclassError, LookupError):
    """An item or a story that the request names does not exist."""


class ConflictError(FeedclassError, ValueError):
    """The action contradicts the desk's state (merge a pair marked "not the same", …)."""


def model_version(path: Path) -> str:
    """A short name for a model file: its stem and the start of its SHA-256."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return f"{path.stem}-{h.hexdigest()[:12]}"


def item_json(r: Any, dup_id: str | None = None) -> dict[str, Any]:
    """The public form of a stored item row."""
    return {
        "key": r.key,
        "id": r.ext_id,
        "source": r.source,
        "title": r.title,
        "summary": r.summary,
        "url": r.url,
        "published": r.published,
        "received": r.received,
        "topic": r.topic,
        "confidence": round(float(r.confidence), 4),
        "topic_by": r.topic_by or None,
        "model_version": r.model_version,
        "story_id": r.story_id,
        "score": round(float(r.score), 4),
        "reviewed": bool(r.reviewed),
    }


def _text(value: Any, what: str, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and what.endswith("id"):
        value = str(value)
    if not isinstance(value, str):
        raise DataError(f"{what} must be a string; got {type(value).__name__} instead")
    bad = surrogate_at(value)
    if bad >= 0:
        raise surrogate_error(what, value, bad)
    value = value.strip()
    if required and not value:
        raise DataError(f"{what} must not be empty")
    if len(value) > limit:
        raise DataError(f"{what} must be at most {limit} characters; got {len(value)}")
    return value


def parse_time(value: Any, what: str) -> float | None:
    """Unix seconds from a number, ISO 8601 or RFC 822; None for nothing; DataError otherwise.

    Examples
    --------
    >>> parse_time("2026-05-05T10:00:00Z", "published")
    1777975200.0
    """
    if value is None or value == "":
        return None
    from feedclass.columns import check_seconds
    from feedclass.publish import parse_time as parse_feed_time

    if isinstance(value, bool):
        raise DataError(f"{what} must be ISO 8601, RFC 822 or Unix seconds; got {value!r} instead")
    if isinstance(value, (int, float)):
        try:
            return check_seconds(float(value), value)
        except (ValueError, OverflowError) as e:
            raise DataError(f"{what}: {e}") from None

    try:
        return parse_feed_time(str(value))
    except (ValueError, TypeError, IndexError, OverflowError):
        raise DataError(
            f"{what} must be ISO 8601, RFC 822 or Unix seconds; got {value!r} instead"
        ) from None


class _Job:
    """One ingest request waiting for the group commit."""

    __slots__ = ("done", "error", "items", "result")

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.done = False
        self.error: BaseException | None = None
        self.result: list[dict[str, Any]] = []


def _fail_all(jobs: list[_Job], error: BaseException) -> None:
    """Every waiting request gets the group's error; an interrupt still propagates."""
    for j in jobs:
        j.error, j.done = error, True
    if not isinstance(error, Exception):
        raise error


@dataclass
class ImportSummary:
    """What an upload did: rows read, stored, already there, and rows refused (with reasons)."""

    rows: int = 0
    created: int = 0
    existing: int = 0
    refused: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "existing": self.existing,
            "refused": len(self.refused),
            "refused_rows": self.refused[:50],
        }


def title_conflict(
    n: int, key: tuple[str, str], stored: str, where: str = "already stored"
) -> ConflictError:
    """The error for item ``n`` whose ``(source, id)`` ``key`` is ``where`` (stored, or earlier
    in the same request) with the title ``stored``.

    >>> str(title_conflict(0, ("cms", "7"), "Пожар на складе"))[:45]
    "item 0: source 'cms' id '7' is already stored"
    """
    shown = stored if len(stored) <= 80 else stored[:79] + "…"
    return ConflictError(
        f"item {n}: source {key[0]!r} id {key[1]!r} is {where} with another title "
        f"({shown!r}); a stored headline is not changed: send the corrected one under a new id"
    )


class Desk:
    """The newsroom desk over one database and one model.

    Parameters
    ----------
    settings : Settings
    model : a fitted TopicModel; None loads ``settings.model`` (or the shipped model).

    Examples
    --------
    >>> from feedclass import TopicModel
    >>> model = TopicModel(calibrate=False, n_features=2**12).fit(
    ...     ["Пожар на складе", "Матч завершился вничью"] * 3, ["incidents", "sport"] * 3)
    >>> desk = Desk(Settings(db="sqlite://"), model)
    >>> a, b = desk.ingest([{"id": 1, "title": "Пожар на складе в Алматы", "source": "tass"},
    ...                     {"id": 2, "title": "Срочно: пожар на складе в Алматы"}])
    >>> b["story_id"] == a["story_id"], b["duplicate_of"], a["topic"]
    (True, '1', 'incidents')
    """

    def __init__(self, settings: Settings, model: Any = None) -> None:
        self.settings = settings
        self.storage = Storage(settings.db_url)
        self.lock = threading.RLock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Job] = []
        self.model: Any = None
        self.model_version = ""
        self.load_model(model)
        self.rebuild_index()

    # -- model ----------------------------------------------------------------------------------
    def load_model(self, model: Any = None) -> str:
        """(Re)load the model: the given one, else ``settings.model``, else the shipped one."""
        from feedclass.model import default_model_path, load_model

        if model is None:
            path = Path(self.settings.model) if self.settings.model else default_model_path()
            model = load_model(path)
            version = model_version(path)
        else:
            version = f"in-memory-{id(model):x}"
        with self.lock:
            self.model, self.model_version = model, version
        return version

    @property
    def topics(self) -> list[str]:
        return [str(c) for c in self.model.classes_]

    def classify(self, texts: list[str], top_k: int = 0) -> list[dict[str, Any]]:
        """Topic and confidence per headline (an empty headline gets an empty topic)."""
        from feedclass.model import check_texts

        texts = check_texts(texts, "headlines")
        for i, text in enumerate(texts):
            bad = surrogate_at(text)
            if bad >= 0:
                raise surrogate_error(f"headlines[{i}]", text, bad)
        out: list[dict[str, Any]] = [{"topic": "", "confidence": 0.0} for _ in texts]
        idx = [i for i, t in enumerate(texts) if t.strip()]
        if not idx:
            return out
        model = self.model
        proba = model.predict_proba([texts[i] for i in idx])
        classes = [str(c) for c in model.classes_]
        best = proba.argmax(axis=1)
        order = np.argsort(-proba, axis=1)[:, :top_k] if top_k else None
        for row, i in enumerate(idx):
            rec: dict[str, Any] = {
                "topic": classes[best[row]],
                "confidence": round(float(proba[row, best[row]]), 4),
            }
            if order is not None:
                rec["top"] = [
                    {"topic": classes[j], "confidence": round(float(proba[row, j]), 4)}
                    for j in order[row]
                ]
            out[i] = rec
        return out

    # -- index ----------------------------------------------------------------------------------
    def rebuild_index(self) -> None:
        """Fill the story index from the database's items of the last ``history_days``."""
        with self.lock:
            since = time.time() - self.settings.history_days * 86400.0
            with self.storage.begin() as conn:
                self.next_key, self.next_story = (v + 1 for v in self.storage.max_ids(conn))
                rows = [
                    (r.key, r.title, r.received, r.story_id)
                    for r in self.storage.recent_items(conn, since)
                ]
                pairs = self.storage.not_same_pairs(conn)
            self.index = StoryIndex.rebuild(
                rows, pairs, self.next_story, self.settings.threshold, self.settings.history_days
            )

    # -- ingest ---------------------------------------------------------------------------------
    def _check_item(self, raw: Any, n: int) -> dict[str, Any]:
        where = f"item {n}"
        if not isinstance(raw, dict):
            raise DataError(f"{where} must be an object; got {type(raw).__name__} instead")
        unknown = set(raw) - {"id", "title", "summary", "source", "published", "url"}
        if unknown:
            raise DataError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        return {
            "ext_id": _text(raw.get("id"), f"{where}: id", MAX_ID, required=True),
            "title": _text(raw.get("title"), f"{where}: title", MAX_TITLE, required=True),
            "summary": _text(raw.get("summary"), f"{where}: summary", MAX_TEXT),
            "source": _text(raw.get("source"), f"{where}: source", 200) or "api",
            "url": _text(raw.get("url"), f"{where}: url", MAX_TEXT),
            "published": parse_time(raw.get("published"), f"{where}: published"),
        }

    def ingest(self, raw_items: Iterable[Any], who: str = "") -> list[dict[str, Any]]:
        """Classify, match and store items; the same (source, id) is stored once.

        Returns one result per item in order, with ``created`` False for an item that was
        already stored (its stored result is returned, not a second copy).
        """
        checked = [self._check_item(r, n) for n, r in enumerate(raw_items)]
        if not checked:
            return []
        # Group commit: requests that arrive while another is being stored wait for the lock;
        # whoever takes it stores every waiting request in one classification and one
        # transaction, so 50 clients sending one item each cost a few commits, not 50.
        job = _Job(checked)
        with self._queue_lock:
            self._queue.append(job)
        with self.lock:
            if not job.done:
                with self._queue_lock:
                    jobs, self._queue = self._queue, []
                self._run(jobs)
        if job.error is not None:
            raise job.error
        return job.result

    def _run(self, jobs: list[_Job]) -> None:
        try:
            refused = self._changed_titles([j.items for j in jobs])
        except BaseException as e:
            _fail_all(jobs, e)
            return
        for j, errors in zip(jobs, refused, strict=True):
            if errors:  # only this request fails: the others in the group go on
                j.error, j.done = errors[min(errors)], True
        jobs = [j for j in jobs if j.error is None]
        if not jobs:
            return
        batch = [c for j in jobs for c in j.items]
        try:
            labels = self.classify([c["title"] for c in batch])
            results = self._store(batch, labels)
        except BaseException as e:
            _fail_all(jobs, e)
            return
        start = 0
        for j in jobs:
            j.result, j.done = results[start : start + len(j.items)], True
            start += len(j.items)

    def _changed_titles(
        self, batches: list[list[dict[str, Any]]]
    ) -> list[dict[int, ConflictError]]:
        """Per batch of checked items, the error of each item whose ``(source, id)`` is stored
        (or comes earlier in these batches) with another title.

        A stored headline is never changed behind the editors' back: its topic, story and
        corrections were decided on that text. A resend with the same title is the usual
        retry and stays a 200.
        """
        keys = [(c["source"], c["ext_id"]) for b in batches for c in b]
        with self.storage.begin() as conn:
            titles = {k: r.title for k, r in self.storage.existing(conn, keys).items()}
        out: list[dict[int, ConflictError]] = []
        for b in batches:
            errors: dict[int, ConflictError] = {}
            mine: dict[tuple[str, str], str] = {}
            for n, c in enumerate(b):
                k = (c["source"], c["ext_id"])
                before = titles.get(k)
                where = "already stored"
                if before is None and k in mine:
                    before, where = mine[k], "earlier in this request"
                if before is not None and before != c["title"]:
                    errors[n] = title_conflict(n, k, before, where)
                else:
                    mine.setdefault(k, c["title"])
            out.append(errors)
            if not errors:  # a later request in the group meets these as stored
                for k, t in mine.items():
                    titles.setdefault(k, t)
        return out

    def _store(
        self, checked: list[dict[str, Any]], labels: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        now = time.time()
        keys = [(c["source"], c["ext_id"]) for c in checked]
        added: list[int] = []
        first_key, first_story = self.next_key, self.next_story
        try:
            with self.storage.begin() as conn:
                stored = self.storage.existing(conn, keys)
                rows: list[dict[str, Any]] = []
                new_stories: list[dict[str, Any]] = []
                results: list[dict[str, Any]] = []
                in_batch: dict[tuple[str, str], dict[str, Any]] = {}
                need_ext: set[int] = set()
                fresh: list[tuple[int, dict[str, Any], dict[str, Any], tuple[str, str]]] = []
                for c, lab, k in zip(checked, labels, keys, strict=True):
                    if k in stored:
                        r = stored[k]
                        results.append({**item_json(r), "created": False, "_dup": None})
                        continue
                    if k in in_batch:  # the same item twice in one request: filled in below
                        results.append(in_batch[k])
                        continue
                    key = self.next_key
                    self.next_key += 1
                    fresh.append((key, c, lab, k))
                    in_batch[k] = {"_pending": key}
                    results.append(in_batch[k])
                placed = self.index.add_many(
                    [c["title"] for _, c, _, _ in fresh],
                    [key for key, _, _, _ in fresh],
                    [now] * len(fresh),
                    list(range(self.next_story, self.next_story + len(fresh))),
                )
                added = [key for key, _, _, _ in fresh]
                for (key, c, lab, k), m in zip(fresh, placed, strict=True):
                    if m.duplicate_of is None and m.story_id >= self.next_story:
                        new_stories.append({"id": m.story_id, "created": now, "updated": now})
                    row = {
                        "key": key,
                        **c,
                        "received": now,
                        "topic": lab["topic"],
                        "confidence": lab["confidence"],
                        "model_version": self.model_version,
                        "topic_by": "",
                        "story_id": m.story_id,
                        "score": m.score,
                        "reviewed": False,
                    }
                    rows.append(row)
                    res = {
                        "key": key,
                        "id": c["ext_id"],
                        "source": c["source"],
                        "topic": lab["topic"],
                        "confidence": lab["confidence"],
                        "model_version": self.model_version,
                        "story_id": m.story_id,
                        "score": round(m.score, 4),
                        "seen_before": m.story_id < first_story,
                        "created": True,
                        "_dup": m.duplicate_of,
                    }
                    if m.duplicate_of is not None:
                        need_ext.add(m.duplicate_of)
                    in_batch[k].clear()
                    in_batch[k].update(res)
                if new_stories:
                    self.next_story = max(s["id"] for s in new_stories) + 1
                self.storage.insert_items(conn, rows, new_stories)
                self.storage.touch_stories(
                    conn, {r["story_id"] for r in rows} - {s["id"] for s in new_stories}, now
                )
                ext = {r["key"]: r["ext_id"] for r in rows if r["key"] in need_ext}
                for key in need_ext - set(ext):
                    ext[key] = self.storage.item(conn, key).ext_id
        except BaseException:
            # the transaction rolled back: the index and the counters must forget it too
            for key in added:
                self.index.remove(key)
            self.next_key, self.next_story = first_key, first_story
            raise
        out: list[dict[str, Any]] = []
        done: dict[int, dict[str, Any]] = {}
        for res in results:
            if id(res) in done:  # a repeat within the request: stored once, like a resend
                out.append({**done[id(res)], "created": False})
                continue
            dup = res.pop("_dup", None)
            if res["created"]:
                res["duplicate_of"] = ext.get(dup) if dup is not None else None
            else:
                res.setdefault("duplicate_of", None)
                res.setdefault("seen_before", True)
            done[id(res)] = res
            out.append(res)
        return out

    # -- import ---------------------------------------------------------------------------------
    def import_file(
        self,
        path: str | Path | IO[bytes],
        name: str,
        fmt: str | None = None,
        source: str | None = None,
        text_column: str | None = None,
        who: str = "",
        progress: Callable[[int], None] | None = None,
        batch: int = 1000,
    ) -> ImportSummary:
        """Ingest a CSV/TSV/JSONL/RSS/Atom file with the CLI's readers, a chunk at a time."""
        from feedclass.readers import (
            find_text_column,
            format_for_path,
            jsonl_columns,
            open_table,
        )

        fmt = fmt or format_for_path(name)
        table = open_table(path, fmt, name=name)
        summary = ImportSummary()
        columns: list[str] | None = None if table.is_dict else list(table.columns)
        pos: dict[str, int] = {}
        pending: list[tuple[int, dict[str, Any]]] = []
        src_default = source or Path(name).stem or "upload"

        def pick(*names: str) -> str | None:
            assert columns is not None
            low = {c.strip().lower(): c for c in columns}
            return next((low[n] for n in names if n in low), None)

        def flush() -> None:
            if not pending:
                return
            good: list[tuple[int, dict[str, Any]]] = []
            for rownum, it in pending:
                try:
                    self._check_item(it, rownum)
                    good.append((rownum, it))
                except DataError as e:
                    summary.refused.append(f"row {rownum}: {str(e).split(': ', 1)[-1]}")
            # A row whose (source, id) is stored with another title is refused like a bad row,
            # so one corrected headline does not stop the rest of the file.
            changed = self._changed_titles([[self._check_item(it, rownum) for rownum, it in good]])[
                0
            ]
            for n in sorted(changed):
                summary.refused.append(f"row {good[n][0]}: {str(changed[n]).split(': ', 1)[-1]}")
            good = [g for n, g in enumerate(good) if n not in changed]
            for res in self.ingest([it for _, it in good], who=who) if good else []:
                if res["created"]:
                    summary.created += 1
                else:
                    summary.existing += 1
            pending.clear()
            if progress is not None:
                progress(summary.rows)

        cols: dict[str, str | None] = {}
        for chunk in table.chunks():
            if columns is None:
                columns = jsonl_columns(chunk)
            if not cols:
                text = find_text_column(columns, text_column, name)
                cols = {
                    "title": text,
                    "id": pick("id", "guid", "item_id"),
                    "published": pick("published", "pubdate", "date", "time", "updated"),
                    "url": pick("url", "link"),
                    "summary": pick("summary", "description") if text != "text" else None,
                    "source": pick("source", "channel", "outlet"),
                }
                pos = {c: i for i, c in enumerate(columns)}
            for row in chunk:
                summary.rows += 1

                def get(col: str | None, row: Any = row, pos: dict[str, int] = pos) -> str:
                    return _cell(row, col, pos)

                title = get(cols["title"])
                ident = (
                    get(cols["id"])
                    or hashlib.sha1(f"{title}\x00{get(cols['published'])}".encode()).hexdigest()[
                        :16
                    ]
                )
                it = {
                    "id": ident,
                    "title": title,
                    "summary": get(cols["summary"])[:MAX_TEXT],
                    "url": get(cols["url"]),
                    "published": get(cols["published"]) or None,
                    "source": get(cols["source"]) or src_default,
                }
                if it["published"] is not None and _safe_time(it["published"]) is None:
                    it["published"] = None  # an unreadable date does not refuse the headline
                pending.append((summary.rows, it))
                if len(pending) >= batch:
                    flush()
        flush()
        return summary

    # -- reading --------------------------------------------------------------------------------
    def stories(
        self,
        since: float | None = None,
        topic: str | None = None,
        source: str | None = None,
        q: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The deduplicated feed, newest first: one entry per story with all its items."""
        with self.storage.begin() as conn:
            ids = self.storage.find_stories(conn, since, topic, source, q, limit, offset)
            rows = self.storage.story_items(conn, ids)
        by_story: dict[int, list[Any]] = {}
        for r in rows:
            by_story.setdefault(r.story_id, []).append(r)
        out = []
        for sid in ids:
            members = by_story.get(sid, [])
            if not members:
                continue
            head = members[0]
            out.append(
                {
                    "story_id": sid,
                    "title": head.title,
                    "topic": head.topic,
                    "confidence": round(float(head.confidence), 4),
                    "first_seen": head.received,
                    "updated": max(m.received for m in members),
                    "sources": sorted({m.source for m in members}),
                    "items": [item_json(m) for m in members],
                }
            )
        return out

    def review_queue(self, limit: int = 200, order: str = "newest") -> list[dict[str, Any]]:
        """Items to review: ``order="newest"`` first, or ``"teach"``: the items whose labels
        would teach the model most first (:func:`feedclass.review.review_order`), each with
        ``teach_rank``; near-copies of a ranked item follow, never dropped."""
        if order not in ("newest", "teach"):
            raise DataError(f"order must be 'newest' or 'teach'; got {order!r} instead")
        s = self.settings
        with self.storage.begin() as conn:
            rows = self.storage.review_items(
                conn, s.review_confidence, s.match_threshold + s.uncertain_band, limit
            )
        out = []
        for r in rows:
            d = item_json(r)
            d["why"] = "merge" if 0 < r.score < s.match_threshold + s.uncertain_band else "topic"
            out.append(d)
        if order == "teach" and out and len(self.model.classes_) > 1:
            from feedclass.review import review_order

            ranked = review_order(self.model, [d["title"] for d in out], n=len(out))
            first = []
            for rank, it in enumerate(ranked, 1):
                out[it.index]["teach_rank"] = rank
                out[it.index]["margin"] = round(it.margin, 4)
                first.append(out[it.index])
            out = first + [d for d in out if "teach_rank" not in d]
        return out

    def feed_rows(
        self, since: float | None = None, topic: str | None = None, limit: int = 500
    ) -> list[dict[str, str]]:
        """One row per story for the published feed: its first item, its topic, its duplicates."""
        out = []
        for st in self.stories(since=since, topic=topic, limit=limit):
            head = st["items"][0]
            when = head["published"] if head["published"] is not None else head["received"]
            published = dt.datetime.fromtimestamp(when, tz=dt.timezone.utc).isoformat()
            out.append(
                {
                    "title": head["title"],
                    "link": head["url"],
                    "guid": f"{head['source']}:{head['id']}",
                    "published": str(published),
                    "summary": head["summary"],
                    "topic": st["topic"],
                    "story": str(st["story_id"]),
                    "duplicates": str(len(st["items"]) - 1),
                    "sources": " ".join(st["sources"]),
                }
            )
        return out

    def feed_rss(self, **filters: Any) -> str:
        from feedclass.writers import render_rss

        return render_rss(self.feed_rows(**filters), "feedclass desk")

    def feed_csv(self, **filters: Any) -> str:
        rows = self.feed_rows(**filters)
        buf = io.StringIO()
        cols = ["story", "title", "topic", "published", "link", "guid", "duplicates", "sources"]
        w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow(r)
        return buf.getvalue()

    def actions(self, limit: int = 100) -> list[dict[str, Any]]:
        import json

        with self.storage.begin() as conn:
            rows = self.storage.actions_of(conn, limit)
        return [
            {
                "at": r.at,
                "who": r.who,
                "action": r.action,
                "target": r.target,
                "before": json.loads(r.before),
                "after": json.loads(r.after),
            }
            for r in rows
        ]

    def facets(self) -> tuple[list[str], list[str]]:
        with self.storage.begin() as conn:
            topics, sources = self.storage.topics_and_sources(conn)
        return sorted(set(topics) | set(self.topics)), sources

    # -- editor actions -------------------------------------------------------------------------
    def _item(self, conn: Any, key: int) -> Any:
        try:
            return self.storage.item(conn, key)
        except LookupError:
            raise NotFoundError(f"no item with key {key}") from None

    def set_topic(self, key: int, topic: str, who: str) -> dict[str, Any]:
        """An editor sets an item's topic; the model's topic is kept in the action log."""
        if topic not in self.topics:
            raise DataError(f"topic must be one of {', '.join(self.topics)}; got {topic!r} instead")
        with self.lock, self.storage.begin() as conn:
            r = self._item(conn, key)
            self.storage.update_item(
                conn, key, topic=topic, topic_by=who or "editor", reviewed=True
            )
            self.storage.log_action(
                conn,
                who,
                "set_topic",
                f"item:{key}",
                {"topic": r.topic, "confidence": r.confidence, "topic_by": r.topic_by},
                {"topic": topic},
            )
            return item_json(self._item(conn, key))

    def accept(self, key: int, who: str) -> dict[str, Any]:
        """An editor confirms an item's topic and story: it leaves the review queue."""
        with self.lock, self.storage.begin() as conn:
            r = self._item(conn, key)
            self.storage.update_item(conn, key, reviewed=True)
            self.storage.log_action(
                conn,
                who,
                "accept",
                f"item:{key}",
                {"topic": r.topic, "story_id": r.story_id},
                {"reviewed": True},
            )
            return item_json(self._item(conn, key))

    def split(self, key: int, who: str) -> dict[str, Any]:
        """Take an item out of its story into a story of its own; it never rejoins the old one."""
        with self.lock:
            with self.storage.begin() as conn:
                r = self._item(conn, key)
                members = [m.key for m in self.storage.story_items(conn, [r.story_id])]
                if members == [key]:
                    raise ConflictError(f"item {key} is already a story of its own")
                new = self.next_story
                now = time.time()
                self.storage.add_story(conn, new, now)
                self.storage.update_item(conn, key, story_id=new, score=0.0, reviewed=True)
                for other in members:
                    if other != key:
                        self.storage.add_not_same(conn, key, other, who)
                self.storage.touch_stories(conn, {r.story_id}, now)
                self.storage.log_action(
                    conn, who, "split", f"item:{key}", {"story_id": r.story_id}, {"story_id": new}
                )
                self.next_story += 1
                item = item_json(self._item(conn, key))
            # after the commit, still under the lock: the index is not thread-safe
            self.index.split(key, new)
        return item

    def merge(self, story_a: int, story_b: int, who: str) -> dict[str, Any]:
        """Put every item of ``story_b`` into ``story_a``."""
        if story_a == story_b:
            raise ConflictError("a story cannot be merged with itself")
        with self.lock:
            with self.storage.begin() as conn:
                for s in (story_a, story_b):
                    if not self.storage.story_exists(conn, s):
                        raise NotFoundError(f"no story {s}")
                a_items = [m.key for m in self.storage.story_items(conn, [story_a])]
                b_items = [m.key for m in self.storage.story_items(conn, [story_b])]
                pairs = set(self.storage.not_same_pairs(conn))
                for i in a_items:
                    for j in b_items:
                        if (min(i, j), max(i, j)) in pairs:
                            raise ConflictError(
                                f"items {i} and {j} were marked not the same story; "
                                "these stories cannot be merged"
                            )
                self.storage.move_story(conn, story_b, story_a, time.time())
                self.storage.log_action(
                    conn,
                    who,
                    "merge",
                    f"story:{story_a}",
                    {"stories": [story_a, story_b]},
                    {"story_id": story_a, "items": a_items + b_items},
                )
            self.index.merge(story_a, story_b)
        return {"story_id": story_a, "items": a_items + b_items}

    def not_same(self, key_a: int, key_b: int, who: str) -> dict[str, Any]:
        """Mark two items as different stories for good; split them if they share one."""
        if key_a == key_b:
            raise ConflictError("an item is always the same story as itself")
        with self.lock:
            with self.storage.begin() as conn:
                a, b = self._item(conn, key_a), self._item(conn, key_b)
                self.storage.add_not_same(conn, key_a, key_b, who)
                self.storage.log_action(
                    conn,
                    who,
                    "not_same",
                    f"items:{key_a},{key_b}",
                    {"stories": [a.story_id, b.story_id]},
                    {"not_same": [key_a, key_b]},
                )
            if a.story_id == b.story_id:
                return {"split": self.split(max(key_a, key_b), who)}
            self.index.forbid(key_a, key_b)
        return {"split": None}


def _cell(row: Any, col: str | None, pos: dict[str, int]) -> str:
    from feedclass.readers import cell_text

    if col is None:
        return ""
    if isinstance(row, dict):
        return cell_text(row.get(col)).strip()
    i = pos.get(col, len(row))
    return cell_text(row[i]).strip() if i < len(row) else ""


def _safe_time(value: str) -> float | None:
    try:
        return parse_time(value, "published")
    except DataError:
        return None
