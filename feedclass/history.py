"""Dedup history: catch a story that was already published in an earlier batch.

Why a state file: a newsroom runs ``feedclass dedup --history STATE`` on every new batch; a story
republished today must be recognised as yesterday's and keep yesterday's story id. The state is
the :class:`~feedclass.DedupIndex` file (version 3: a zip of a JSON header and plain arrays, never
a pickle, each member checksummed), with the history's own settings in the header; it carries
each item's stems and the window's counts, so a run on a big history prepares none of its
headlines again. Version 1 and 2 files (plain JSON with a checksum) still load and are written
back as version 3. The file is written atomically (temp file in the same folder + ``os.replace``)
so a crash never leaves half a file behind. A file that exists but is truncated, edited, foreign
or from a newer version raises :class:`~feedclass.errors.StateFileError`; it is never silently
replaced by an empty history.

Two runs on one state would each read it, add their batch and write it back: the second write
would drop the first batch and both would hand out the same story ids. :func:`locked` holds an
``fcntl`` lock on a side file (``STATE.lock``) for the whole read-dedup-write, so the second run
waits for the first (up to a timeout, then a clear error) and then sees its batch.

A run that writes outputs with the state (``publish -o OUT --history STATE``) records them in the
state as *pending*: the new state names the finished temporary file of each output and its
SHA-256. The state is renamed first (the commit point), the outputs after it. If the run dies in
between, the next run on the state (:func:`recover_pending`) renames those outputs into place
before anything else, so the state never records a batch whose outputs are lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import time as _time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from feedclass.atomic import AtomicWriter, atomic_target
from feedclass.dedup import (
    DEFAULT_THRESHOLD,
    DedupIndex,
    Match,
    as_sources,
    as_times,
    check_headlines,
    check_params,
    dedup_form,
    representative_order,
)
from feedclass.dedup.indexfile import read_index_header
from feedclass.errors import DataError, StateFileError

__all__ = ["History", "HistoryResult", "dedup_against_history", "locked", "recover_pending"]

#: How long a run waits for another run's lock on the same state, in seconds.
DEFAULT_LOCK_TIMEOUT = 60.0

FORMAT = "feedclass-dedup-history"
# 2: each item also keeps its id (version 1 files still load, with empty ids); 3: the state is
# the DedupIndex file, the history's settings in its header (1 and 2 still load)
VERSION = 3
_DAY = 86400.0
_STORY_RE = re.compile(r"s(\d+)")


def _story_name(number: int) -> str:
    return f"s{number:07d}"


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
        # the index these items came from or were loaded with: reused while it holds exactly
        # them, so a run does not prepare the history's headlines again
        self._index: DedupIndex | None = None

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
        if raw[:4] == b"PK\x03\x04":
            return cls._load_index_file(p, hint)
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StateFileError(
                f"{p}: not a feedclass history file or truncated ({exc.__class__.__name__}); {hint}"
            ) from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise StateFileError(f"{p}: not a feedclass dedup history file (format); {hint}")
        version = doc.get("version")
        if not isinstance(version, int) or version > 2:
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
    def _load_index_file(cls, p: Path, hint: str) -> History:
        try:
            index = DedupIndex.load(p)
        except StateFileError as exc:
            raise StateFileError(f"{exc}; {hint}") from None
        meta = index.meta
        if meta.get("format") != FORMAT:
            raise StateFileError(f"{p}: not a feedclass dedup history file (format); {hint}")
        version = meta.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise StateFileError(
                f"{p}: history file version {version!r} is newer than this feedclass reads "
                f"({VERSION}); upgrade feedclass"
            )
        try:
            h = cls(history_days=float(meta["history_days"]), max_items=int(meta["max_items"]))
            h.next_id = int(meta["next_id"])
        except (KeyError, TypeError, ValueError, DataError) as exc:
            raise StateFileError(f"{p}: malformed history file ({exc!r}); {hint}") from None
        h.from_index(index)
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
        writer = self.prepare(path)
        try:
            writer.rename()
        except OSError as exc:
            writer.abort()
            raise StateFileError(
                f"{atomic_target(path)}: cannot write history state file ({exc.strerror or exc})"
            ) from None

    def prepare(
        self, path: str | os.PathLike[str], outputs: Sequence[AtomicWriter] = ()
    ) -> AtomicWriter:
        """The state, written and flushed to a temporary file, ready to be renamed over ``path``.

        ``outputs`` are finished writers of files that this state's batch published; the state
        records them as pending (see the module's docstring) so that :func:`recover_pending`
        can finish their renames if the run dies after renaming the state.
        """
        p = atomic_target(path)
        pending = [
            {"dest": os.path.abspath(w.dest), "tmp": os.path.abspath(w.tmp), "sha256": _sha(w.tmp)}
            for w in outputs
            if w.tmp is not None and w.dest is not None
        ]
        meta: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "feedclass_version": _feedclass_version(),
            "history_days": self.history_days,
            "max_items": self.max_items,
            "n_items": len(self.texts),
            "next_id": self.next_id,
        }
        if pending:
            meta["pending"] = pending
        index = self.to_index()
        try:
            writer = AtomicWriter(p, binary=True)
        except OSError as exc:
            raise StateFileError(
                f"{p}: cannot write history state file ({exc.strerror or exc})"
            ) from None
        try:
            index.write(writer.stream, meta)
            writer.finish()
        except OSError as exc:
            writer.abort()
            raise StateFileError(
                f"{p}: cannot write history state file ({exc.strerror or exc})"
            ) from None
        return writer

    def __len__(self) -> int:
        return len(self.texts)

    # -- maintenance -------------------------------------------------------------------------
    def prune(self, now: float) -> None:
        """Forget items older than ``history_days`` before ``now`` and beyond ``max_items``."""
        index = self._synced_index()
        if index is not None:  # the index forgets the same items by the same rule
            index.window_days, index.max_items = self.history_days, self.max_items
            index.prune(now)
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

    # -- the index the dedup runs on ----------------------------------------------------------
    def to_index(self, threshold: float = DEFAULT_THRESHOLD) -> DedupIndex:
        """A :class:`~feedclass.DedupIndex` holding the history's items and stories.

        Items without an id get int ids (the index needs one per item); story ids ``sNNNNNNN``
        become their numbers, any other (a hand-edited file) a new number. The index the
        history was loaded with (or last took its items from) is returned while it holds
        exactly these items; otherwise one is built from them.
        """
        index = self._synced_index()
        if index is not None:
            index.threshold = float(threshold)
            index.window_days, index.max_items = self.history_days, self.max_items
            return index
        numbers: dict[str, int] = {}
        nxt = self.next_id
        for sid in dict.fromkeys(self.story_ids):
            m = _STORY_RE.fullmatch(sid)
            if m and int(m.group(1)) > 0:
                numbers[sid] = int(m.group(1))
                nxt = max(nxt, numbers[sid] + 1)
        for sid in dict.fromkeys(self.story_ids):
            if sid not in numbers:
                numbers[sid] = nxt
                nxt += 1
        ids: list[str | int] = []
        given: set[str] = set()
        for k, i in enumerate(self.item_ids):
            ids.append(i if i and i not in given else k)
            given.add(i)
        self._index = DedupIndex.from_items(
            self.texts,
            ids,
            self.times,
            [numbers[s] for s in self.story_ids],
            next_story=nxt,
            threshold=threshold,
            window_days=self.history_days,
            max_items=self.max_items,
        )
        return self._index

    def _synced_index(self) -> DedupIndex | None:
        """The cached index if it holds exactly this history's items (else forget it)."""
        if self._index is None:
            return None
        items = self._index.items()
        same = (
            len(items) == len(self.texts)
            and [t for _i, t, _tm, _s in items] == self.texts
            and [tm for _i, _t, tm, _s in items] == self.times
            and [_story_name(s) for _i, _t, _tm, s in items] == self.story_ids
            and [i if isinstance(i, str) else "" for i, _t, _tm, _s in items] == self.item_ids
        )
        if not same:
            self._index = None
        return self._index

    def from_index(self, index: DedupIndex) -> None:
        """Take the items and stories of ``index`` (ints ids stand for "no id")."""
        items = index.items()
        self.item_ids = [i if isinstance(i, str) else "" for i, _t, _tm, _s in items]
        self.texts = [t for _i, t, _tm, _s in items]
        self.times = [tm for _i, _t, tm, _s in items]
        self.story_ids = [_story_name(s) for _i, _t, _tm, s in items]
        self.next_id = max(self.next_id, index.next_story)
        self._index = index


def _sha(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _lock_path(path: str | os.PathLike[str]) -> Path:
    p = atomic_target(path)
    return p.with_name(p.name + ".lock")


@contextlib.contextmanager
def locked(path: str | os.PathLike[str], timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the state ``path`` for one run: other runs on it wait (up to ``timeout`` s).

    The lock is an ``fcntl`` lock on ``PATH.lock`` beside the state (the state file itself is
    replaced by each save, so it cannot carry the lock). The side file is never removed:
    removing it would let a third run lock a new file while a second still waits on the old.
    The kernel releases the lock when its process dies, so a killed run never leaves it held.

    >>> import tempfile, pathlib
    >>> state = pathlib.Path(tempfile.mkdtemp()) / "state.json"
    >>> with locked(state):
    ...     pass
    """
    lock = _lock_path(path)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StateFileError(
            f"{lock}: cannot create the lock file of the history state ({exc.strerror})"
        ) from None
    try:
        deadline = _time.monotonic() + max(0.0, timeout)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if _time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                    who = f" (process {holder})" if holder.isdigit() else ""
                    raise StateFileError(
                        f"{atomic_target(path)}: another feedclass run{who} is using this "
                        f"history state; waited {timeout:g} s. Try again when it has finished, "
                        "or pass a longer --lock-timeout"
                    ) from None
                _time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def recover_pending(path: str | os.PathLike[str]) -> int:
    """Finish the output renames a run on state ``path`` recorded but did not live to do.

    Call with the state :func:`locked`. Returns how many outputs were put into place. An
    entry whose temporary file is gone was renamed already; one whose file does not hash to
    what the state recorded is not used (and removed).
    """
    p = atomic_target(path)
    try:
        with open(p, "rb") as fh:
            zipped = fh.read(4) == b"PK\x03\x04"
        if zipped:  # version 3: the pending list is in the index file's header
            header = read_index_header(p)
            doc = header.get("meta") if header is not None else None
        else:
            doc = json.loads(p.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return 0  # missing: nothing pending; damaged: History.load says so next
    pending = doc.get("pending") if isinstance(doc, dict) else None
    if not isinstance(pending, list):
        return 0
    done = 0
    for entry in pending:
        if not isinstance(entry, dict):
            continue
        tmp, dest, sha = entry.get("tmp"), entry.get("dest"), entry.get("sha256")
        if not (isinstance(tmp, str) and isinstance(dest, str) and os.path.isfile(tmp)):
            continue
        if Path(tmp).parent != Path(dest).parent or not Path(tmp).name.startswith(
            "." + Path(dest).name + "."
        ):
            continue  # not a temporary file of that output: never rename anything else
        if _sha(tmp) != sha:
            Path(tmp).unlink(missing_ok=True)
            continue
        w = AtomicWriter.adopt(tmp, dest)
        w.rename()
        done += 1
    return done


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

    The rows go in the order of ``keep`` into a :class:`~feedclass.DedupIndex` holding the
    history (as one ``add_many`` when that order is the index's own, time then input): a row
    joins a story under the index's rules (the batch's), and a story first seen in this batch
    is represented by its first row in that order. ``times`` are Unix
    seconds per row (default: ``now`` for every row); ``now`` defaults to the current time.
    ``sources`` apply inside the batch only: a source republishing its own story the next day
    is still caught. ``ids`` (one per row) are kept with the items, so a later batch's match
    names the earlier item. A row whose exact headline the history already holds for its
    story is not stored twice (a batch run again, a verbatim repost): that item's time is
    refreshed instead.
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
        batch_ids: list[str] = [""] * nb
    else:
        batch_ids = [str(i) for i in ids]
        if len(batch_ids) != nb:
            raise DataError(f"ids must have one entry per text ({nb}); got {len(batch_ids)}")
    newest = max(now, float(bt_kept.max()) if nb else now)
    history.prune(newest)
    if nb == 0:
        return HistoryResult([], np.zeros(0, bool), np.zeros(0, np.int64), [], np.zeros(0), [])
    index = history.to_index(float(threshold))
    index.window_days = max(index.window_days, (newest - float(bt_kept.min())) / _DAY + 1.0)
    before = {sid for _i, _t, _tm, sid in index.items()}
    # the history's item of each (headline, story): a verbatim repost refreshes it instead
    held = {(t, sid): i for i, t, _tm, sid in index.items()}
    text_of = {i: t for i, t, _tm, _sid in index.items()}
    length = np.array([len(dedup_form(t)) for t in batch]) if keep == "longest" else np.zeros(nb)
    # sources count inside this batch only: tagged with the batch, they never meet later rows
    tag = f"{now!r}\x1f"
    story_of = np.zeros(nb, dtype=np.int64)
    seen = np.zeros(nb, dtype=bool)
    dup = np.full(nb, -1, dtype=np.int64)
    scores = np.zeros(nb)
    out_matched: list[str | None] = [None] * nb
    out_mid: list[str | None] = [None] * nb
    first_row: dict[int, int] = {}
    given = [i for i in batch_ids if i]
    order = representative_order(nb, keep, bt, length).tolist()
    srcs = [None if s < 0 else f"{tag}{int(s)}" for s in src_b.tolist()]
    placed: list[Match] = []
    by_time = np.lexsort((np.arange(nb), bt_kept)).tolist()
    if len(set(given)) == len(given) and (
        order == by_time or (len(index) == 0 and keep == "first")
    ):
        # the rows go in the index's own order (time, then input): the whole batch in one
        # add_many, which answers as adding them one by one would (into an empty index, the
        # batch clustering); an id already held with an edited headline: the edit replaces it
        row_of = {i: r for r, i in enumerate(batch_ids) if i}
        for given_id, r in row_of.items():
            if given_id in index and text_of.get(given_id) != batch[r]:
                index.remove(given_id)
        placed = index.add_many(
            batch, item_ids=[i or None for i in batch_ids], times=bt_kept.tolist(), sources=srcs
        )
    for r in order:
        iid: str | None = batch_ids[r] or None
        if placed:
            m = placed[r]
        else:
            if iid is not None and iid in index and text_of.get(iid, batch[r]) != batch[r]:
                index.remove(iid)  # the same item with an edited headline: the edit replaces it
            m = index.add(batch[r], item_id=iid, time=float(bt_kept[r]), source=srcs[r])
        st = m.story_id
        added: str | int = m.item_id if m.item_id is not None else -1  # add always names it
        old = held.get((batch[r], st))
        if old is not None and old != added:
            if added in index:  # (a batch past max_items may have forgotten it already)
                index.remove(added)
            m = index.add(batch[r], item_id=old, time=float(bt_kept[r]))
            added = old
        text_of[added] = batch[r]
        held.setdefault((batch[r], st), added)
        story_of[r] = st
        if st in before:
            seen[r] = True
            rep = added if m.duplicate_of is None else m.duplicate_of
            out_matched[r] = text_of.get(rep)
            out_mid[r] = rep if isinstance(rep, str) else ""
            scores[r] = 1.0 if m.score is None else m.score
        elif st not in first_row:
            first_row[st] = r
        else:
            dup[r] = first_row[st]
            out_matched[r] = batch[first_row[st]]
            scores[r] = 0.0 if m.score is None else m.score
    if update:
        history.from_index(index)
        history.prune(newest)
    return HistoryResult(
        [_story_name(int(s)) for s in story_of], seen, dup, out_matched, scores, out_mid
    )
