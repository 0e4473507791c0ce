"""Dedup history: catch a story that was already published in an earlier batch.

Why a state file: a newsroom runs ``feedclass dedup --history STATE`` on every new batch; a story
republished today must be recognised as yesterday's and keep yesterday's story id. The state is a
plain JSON document (never a pickle) with a versioned header and a checksum, written atomically
(temp file in the same folder + ``os.replace``) so a crash never leaves half a file behind. A file
that exists but is truncated, edited, foreign or from a newer version raises
:class:`~feedclass.errors.StateFileError`; it is never silently replaced by an empty history.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from feedclass.dedup import (
    DEFAULT_THRESHOLD,
    as_sources,
    as_times,
    check_headlines,
    check_params,
    form_stories,
    representative_order,
    score_batch,
    score_floor,
)
from feedclass.errors import DataError, StateFileError
from feedclass.modelfile import atomic_target, replace_with

__all__ = ["History", "HistoryResult", "dedup_against_history"]

FORMAT = "feedclass-dedup-history"
VERSION = 2  # 2: each item also keeps its id (version 1 files still load, with empty ids)
_DAY = 86400.0


def _feedclass_version() -> str:
    try:
        from importlib.metadata import version

        return version("feedclass")
    except Exception:  # not installed (running from a source tree)
        return "unknown"


def _checksum(items: list[list[Any]], next_id: int) -> str:
    body = json.dumps([next_id, items], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class History:
    """Headlines published in earlier batches, with their story ids and publication times.

    Parameters
    ----------
    history_days : float
        Items older than this many days (before the newest batch time) are forgotten.
    max_items : int
        At most this many items are kept (the oldest go first).

    Examples
    --------
    >>> h = History(history_days=2)
    >>> r = dedup_against_history(h, ["Пожар на складе в Алматы"], now=0.0)
    >>> r2 = dedup_against_history(h, ["Срочно: пожар на складе в Алматы"], now=3600.0)
    >>> r2.cluster_ids == r.cluster_ids, bool(r2.seen_before[0])
    (True, True)
    """

    def __init__(self, history_days: float = 3.0, max_items: int = 200_000) -> None:
        if not history_days > 0:
            raise DataError(f"history_days must be > 0; got {history_days!r} instead")
        if not (isinstance(max_items, int) and max_items > 0):
            raise DataError(f"max_items must be a positive int; got {max_items!r} instead")
        self.history_days = float(history_days)
        self.max_items = int(max_items)
        self.texts: list[str] = []
        self.times: list[float] = []
        self.story_ids: list[str] = []
        self.item_ids: list[str] = []  # the input's id of each item ("" if it had none)
        self.next_id = 1
        self.created = False  # True when ``open`` started it because its file did not exist

    # -- creation and persistence ------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> History:
        """Read a state file; any damage raises ``StateFileError`` naming the file."""
        p = Path(path)
        hint = "delete it to start a new history, or pass another --history path"
        try:
            raw = p.read_bytes()
        except FileNotFoundError:
            raise StateFileError(
                f"{p}: history state file not found; use History.open(path) to create it "
                "on the first run"
            ) from None
        except OSError as exc:
            raise StateFileError(f"{p}: cannot read history state file ({exc})") from None
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StateFileError(
                f"{p}: not a feedclass history file or truncated ({exc.__class__.__name__}); {hint}"
            ) from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise StateFileError(f"{p}: not a feedclass dedup history file (format); {hint}")
        version = doc.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise StateFileError(
                f"{p}: history file version {version!r} is newer than this feedclass reads "
                f"({VERSION}); upgrade feedclass"
            )
        try:
            items = doc["items"]
            next_id = int(doc["next_id"])
            if doc.get("checksum") != _checksum(items, next_id):
                raise StateFileError(
                    f"{p}: history file checksum mismatch (edited or damaged); {hint}"
                )
            h = cls(history_days=float(doc["history_days"]), max_items=int(doc["max_items"]))
            if version == 1:
                items = [[t, tm, sid, ""] for t, tm, sid in items]
            h.texts = [str(t) for t, _, _, _ in items]
            h.times = [float(t) for _, t, _, _ in items]
            h.story_ids = [str(s) for _, _, s, _ in items]
            h.item_ids = [str(i) for _, _, _, i in items]
            h.next_id = next_id
        except StateFileError:
            raise
        except (KeyError, TypeError, ValueError, DataError) as exc:
            raise StateFileError(f"{p}: malformed history file ({exc!r}); {hint}") from None
        return h

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        history_days: float | None = None,
        max_items: int | None = None,
    ) -> History:
        """Load ``path`` if it exists, else start a new history (first run: see ``created``).

        Only a *missing* file starts empty; a damaged one raises ``StateFileError``. A limit
        passed here replaces the file's (a newsroom shortening its window means it); a limit
        left as None keeps the file's, or the default for a new history.
        """
        p = Path(path)
        if not p.exists():
            folder = p.parent if str(p.parent) else Path(".")
            if not folder.is_dir():
                raise StateFileError(f"{p}: the folder of the history state file does not exist")
            h = cls(
                history_days=3.0 if history_days is None else history_days,
                max_items=200_000 if max_items is None else max_items,
            )
            h.created = True
            return h
        h = cls.load(path)
        if history_days is not None or max_items is not None:
            fresh = cls(
                history_days=h.history_days if history_days is None else history_days,
                max_items=h.max_items if max_items is None else max_items,
            )
            h.history_days, h.max_items = fresh.history_days, fresh.max_items
        return h

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state atomically: a temp file in the same folder, then ``os.replace``."""
        p = atomic_target(path)
        items = [
            [t, tm, s, i]
            for t, tm, s, i in zip(
                self.texts, self.times, self.story_ids, self.item_ids, strict=True
            )
        ]
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "feedclass_version": _feedclass_version(),
            "history_days": self.history_days,
            "max_items": self.max_items,
            "n_items": len(items),
            "next_id": self.next_id,
            "checksum": _checksum(items, self.next_id),
            "items": items,
        }
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        folder = p.parent if str(p.parent) else Path(".")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise StateFileError(
                f"{p}: cannot write history state file ({exc.strerror or exc})"
            ) from None
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            replace_with(tmp, p)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise StateFileError(
                f"{p}: cannot write history state file ({exc.strerror or exc})"
            ) from None

    def __len__(self) -> int:
        return len(self.texts)

    # -- maintenance -------------------------------------------------------------------------
    def prune(self, now: float) -> None:
        """Forget items older than ``history_days`` before ``now`` and beyond ``max_items``."""
        cutoff = now - self.history_days * _DAY
        keep = [k for k, t in enumerate(self.times) if t >= cutoff]
        if len(keep) > self.max_items:
            # the newest survive; stable among equal times
            keep = sorted(keep, key=lambda k: self.times[k])[-self.max_items :]
            keep.sort()
        if len(keep) != len(self.texts):
            self.texts = [self.texts[k] for k in keep]
            self.times = [self.times[k] for k in keep]
            self.story_ids = [self.story_ids[k] for k in keep]
            self.item_ids = [self.item_ids[k] for k in keep]

    def _new_id(self) -> str:
        sid = f"s{self.next_id:07d}"
        self.next_id += 1
        return sid


@dataclass
class HistoryResult:
    """Outcome of :func:`dedup_against_history` for one batch (one entry per batch row)."""

    story_ids: list[str]  # persistent story id: same story, same id, across batches
    seen_before: np.ndarray  # bool: the story was already in the history (published earlier)
    duplicate_of: np.ndarray  # index of the batch row this row duplicates, or -1
    matched_text: list[str | None]  # the earlier headline this row was matched to, if any
    scores: np.ndarray  # similarity to that headline (0 where none)
    matched_id: list[str | None]  # that headline's item id ("" if it had none)

    @property
    def cluster_ids(self) -> list[str]:
        """Alias of ``story_ids``."""
        return self.story_ids

    @property
    def is_new(self) -> np.ndarray:
        """Rows to publish: first of their story in the batch and not seen before."""
        return ~self.seen_before & (self.duplicate_of < 0)


def dedup_against_history(
    history: History,
    texts: Sequence[str],
    times: Any = None,
    sources: Any = None,
    threshold: float = DEFAULT_THRESHOLD,
    keep: str = "first",
    now: float | None = None,
    update: bool = True,
    ids: Sequence[str] | None = None,
) -> HistoryResult:
    """Deduplicate a batch against itself and the history, then (``update``) add it to the history.

    ``times`` are Unix seconds per row (default: ``now`` for every row); ``now`` defaults to
    the current time. ``sources`` apply inside the batch only: a source republishing its own
    story the next day is still caught. ``ids`` (one per row) are kept with the items, so a
    later batch's match names the earlier item. A row whose exact headline the history
    already holds for its story is not stored twice (a batch run again, a verbatim repost):
    that item's time is refreshed instead.
    """
    if not isinstance(history, History):
        raise DataError(f"history must be a History; got {type(history).__name__} instead")
    check_params(threshold, keep)
    batch = check_headlines(texts)
    nb = len(batch)
    now = float(_time.time() if now is None else now)
    bt = as_times(times, nb)
    if bt is None:
        bt = np.full(nb, now)
    elif np.issubdtype(np.asarray(times).dtype, np.datetime64):
        bt = bt / 1e9  # ns -> s
    src_b = as_sources(sources, nb)
    # a row without a time (publish gives it +inf, to sort after the dated rows) is stored and
    # aged as published now: +inf would make the prune below forget every item
    bt_kept = np.where(np.isfinite(bt), bt, now)
    if ids is None:
        batch_ids = [""] * nb
    else:
        batch_ids = [str(i) for i in ids]
        if len(batch_ids) != nb:
            raise DataError(f"ids must have one entry per text ({nb}); got {len(batch_ids)}")
    history.prune(max(now, float(bt_kept.max()) if nb else now))
    nh = len(history)
    all_texts = history.texts + batch
    n = nh + nb
    if nb == 0:
        return HistoryResult([], np.zeros(0, bool), np.zeros(0, np.int64), [], np.zeros(0), [])
    sc = score_batch(all_texts, min_score=score_floor(float(threshold)))
    # history rows come first and all stay leaders (their ids are fixed); batch rows follow in
    # the order of ``keep``
    border = representative_order(nb, keep, bt, sc.feats.length[nh:]) + nh
    order = np.concatenate((np.arange(nh), border))
    source = np.concatenate((np.full(nh, -1, dtype=np.int64), src_b))
    fixed = np.zeros(n, dtype=np.uint8)
    fixed[:nh] = 1
    leader, lscore = form_stories(
        n, sc.pi, sc.pj, sc.score, float(threshold), order, source, fixed, feats=sc.feats
    )
    story: list[str] = []
    seen = np.zeros(nb, dtype=bool)
    dup = np.full(nb, -1, dtype=np.int64)
    scores = np.zeros(nb)
    new_ids: dict[int, str] = {}
    for r in border:  # leaders get their ids before their members, in priority order
        k = r - nh
        ld = int(leader[r])
        if ld < nh:
            story_k = history.story_ids[ld]
            seen[k] = True
        elif ld == r:
            story_k = new_ids.setdefault(r, history._new_id())
        else:
            story_k = new_ids[ld]
            dup[k] = ld - nh
        story.append(story_k)
    # restore input order
    out_ids = [""] * nb
    out_matched: list[str | None] = [None] * nb
    out_mid: list[str | None] = [None] * nb
    for r, sid in zip(border, story, strict=True):
        k = r - nh
        out_ids[k] = sid
        ld = int(leader[r])
        if ld != r:
            out_matched[k] = all_texts[ld]
            scores[k] = lscore[r]
            if ld < nh:
                out_mid[k] = history.item_ids[ld]
    if update:
        stored = {(t, sid): k for k, (t, sid) in enumerate(zip(history.texts, history.story_ids))}
        for k in range(nb):
            key = (batch[k], out_ids[k])
            if key in stored:  # the same headline of the same story: refresh, do not repeat
                h = stored[key]
                history.times[h] = max(history.times[h], float(bt_kept[k]))
                if not history.item_ids[h]:
                    history.item_ids[h] = batch_ids[k]
                continue
            stored[key] = len(history.texts)
            history.texts.append(batch[k])
            history.times.append(float(bt_kept[k]))
            history.story_ids.append(out_ids[k])
            history.item_ids.append(batch_ids[k])
        history.prune(max(now, float(bt_kept.max())))
    return HistoryResult(out_ids, seen, dup, out_matched, scores, out_mid)
