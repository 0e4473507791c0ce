"""Preparing a feed for publishing: group near-duplicates, and publish one row per story.

Clustering needs every headline at once, but not every row: the input is read twice, once for
the headlines (and ids, times, sources) and once to write the rows back with their cluster. So a
feed far larger than memory only costs the memory of its headlines. Stdin is spooled to a
temporary file to make the second pass possible.

With ``--history`` a run holds the state's lock (:func:`feedclass.history.locked`) from before
it reads the state until every file is in place, and writes as one step: the output, the report
and the new state are all finished in temporary files first; then the state is renamed (it
records the other two as pending), then the output, then the report. Killed before the state's
rename: the old state and the old outputs stand. Killed after it: the next run on the state
renames the recorded outputs into place first (:func:`feedclass.history.recover_pending`), so
what the state records as published is what was published. An output written into a stream
(stdout, a FIFO) cannot wait for the state: it is written first.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from feedclass.atomic import AtomicWriter, check_not_an_input, commit_all, same_file
from feedclass.columns import cell_text, find_text_column, jsonl_columns, parse_time
from feedclass.errors import DataError
from feedclass.readers import Table, open_table
from feedclass.writers import TableWriter, output_format

DEDUP_COLUMNS = ["cluster", "duplicate_of"]
PUBLISH_COLUMNS = ["topic", "confidence", "cluster", "duplicates", "duplicate_ids"]


@dataclass
class FeedItems:
    """What clustering needs from a feed: one entry per input row, in order."""

    texts: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    times: np.ndarray | None = None
    sources: list[str] | None = None
    columns: list[str] = field(default_factory=list)
    format: str = "csv"
    delimiter: str = ","
    encoding: str = "utf-8"
    feed_title: str = ""
    feed_link: str = ""
    feed_description: str = ""
    ids_given: bool = False  # ids came from the input (a column or guids), not row numbers


@dataclass
class DedupSummary:
    rows: int = 0
    clusters: int = 0
    merged: int = 0
    seen_before: int = 0
    empty: int = 0
    published: int = 0
    sweep: list[Any] = field(default_factory=list)
    history_created: bool = False  # the history file did not exist: this run started it
    history_items: int = 0  # items the history holds after this run


@contextmanager
def _rereadable(source: str | Path | IO[bytes]) -> Iterator[str | Path]:
    """A path that can be read twice: stdin or a stream is spooled to a temporary file."""
    if isinstance(source, (str, Path)) and str(source) != "-":
        yield source
        return
    stream = sys.stdin.buffer if isinstance(source, (str, Path)) else source
    fd, tmp = tempfile.mkstemp(prefix="feedclass-stdin-")
    try:
        with os.fdopen(fd, "wb") as fh:
            shutil.copyfileobj(stream, fh, 1 << 20)  # type: ignore[arg-type]
        yield tmp
    finally:
        os.unlink(tmp)


def _column(columns: list[str], name: str | None, what: str, table: str) -> str | None:
    if name is None:
        return None
    if name in columns:
        return name
    raise DataError(f"{table}: no {what} column {name!r}; columns are: {', '.join(columns)}")


def collect(
    table: Table,
    text_column: str | None,
    id_column: str | None = None,
    time_column: str | None = None,
    source_column: str | None = None,
) -> FeedItems:
    """First pass: the headline, id, time and source of every row."""
    items = FeedItems(
        format=table.format,
        delimiter=table.delimiter,
        encoding=table.encoding,
        feed_title=getattr(table, "feed_title", ""),
        feed_link=getattr(table, "feed_link", ""),
        feed_description=getattr(table, "feed_description", ""),
    )
    times: list[float] = []
    sources: list[str] = []
    tcol = icol = mcol = scol = guid = None
    guids: list[str] = []
    seen_ids: dict[str, int] = {}
    row = 0
    for chunk in table.chunks():
        if table.is_dict:
            new = [c for c in jsonl_columns(chunk) if c not in items.columns]
            items.columns += new
        elif not items.columns:
            items.columns = list(table.columns)
        if tcol is None:
            default = "text" if table.format == "rss" else None
            tcol = find_text_column(items.columns, text_column or default, table.name)
            icol = _column(items.columns, id_column, "id", table.name)
            if icol is None and table.format == "rss" and "id" in items.columns:
                guid = "id"  # an RSS/Atom item's guid names it better than its row number
            mcol = _column(items.columns, time_column, "time", table.name)
            scol = _column(items.columns, source_column, "source", table.name)
        if table.is_dict:
            texts = [cell_text(r.get(tcol)) for r in chunk]
            ids = [cell_text(r.get(icol)) for r in chunk] if icol else None
            stamps = [cell_text(r.get(mcol)) for r in chunk] if mcol else None
            srcs = [cell_text(r.get(scol)) for r in chunk] if scol else None
        else:
            pos = items.columns.index
            texts = _col(chunk, pos(tcol))
            ids = _col(chunk, pos(icol)) if icol else None
            stamps = _col(chunk, pos(mcol)) if mcol else None
            srcs = _col(chunk, pos(scol)) if scol else None
        items.texts += texts
        if guid is not None:
            guids += _col(chunk, items.columns.index(guid))
        if ids is not None:
            _check_ids(ids, row, icol, table.name, seen_ids)
        items.ids += ids if ids is not None else [str(row + k + 1) for k in range(len(chunk))]
        if stamps is not None:
            for k, raw in enumerate(stamps):
                try:
                    times.append(parse_time(raw) if raw.strip() else np.nan)
                except ValueError:
                    raise DataError(
                        f"{table.name}, row {row + k + 1}: cannot read the time {raw!r} in "
                        f"column {mcol!r}; use ISO 8601 (2026-11-27T08:00:00) or Unix seconds"
                    ) from None
        if srcs is not None:
            sources += srcs
        row += len(chunk)
    if not items.columns and table.columns:
        items.columns = list(table.columns)
    if guids and all(g.strip() for g in guids) and len(set(guids)) == len(guids):
        items.ids = guids  # every item has its own guid; else row numbers, as for other inputs
        items.ids_given = True
    elif icol is not None:
        items.ids_given = True
    if time_column:
        arr = np.asarray(times, dtype=float)
        # Rows without a time sort after every dated row, in file order.
        arr[np.isnan(arr)] = np.inf
        items.times = arr
    if source_column:
        items.sources = sources
    return items


def _check_ids(
    ids: list[str], row: int, column: str | None, table: str, seen: dict[str, int]
) -> None:
    """``duplicate_of`` names a row by its id, so every row needs one of its own."""
    for k, raw in enumerate(ids):
        at = row + k + 1
        value = raw.strip()
        if not value:
            raise DataError(
                f"{table}, row {at}: empty id in column {column!r}; every row needs an id "
                "(or leave out --id-column to use row numbers)"
            )
        first = seen.setdefault(value, at)
        if first != at:
            raise DataError(
                f"{table}, row {at}: id {value!r} in column {column!r} is also the id of row "
                f"{first}; ids must be unique (or leave out --id-column to use row numbers)"
            )


def _col(rows: list[list[str]], index: int) -> list[str]:
    return [r[index] for r in rows]


def _cluster(
    items: FeedItems,
    threshold: float | None,
    keep: str,
    history_path: str | Path | None,
    history_days: float | None,
) -> tuple[list[Any], list[int], list[str], np.ndarray, Any]:
    """Cluster the non-empty headlines; empty ones stay alone. Returns per-row results."""
    from feedclass.dedup import DEFAULT_THRESHOLD, NearDuplicates

    thr = DEFAULT_THRESHOLD if threshold is None else threshold
    n = len(items.texts)
    full = [i for i, t in enumerate(items.texts) if t.strip()]
    texts = [items.texts[i] for i in full]
    times = items.times[full] if items.times is not None else None
    if times is not None and np.isinf(times).all():
        times = None
    sources = [items.sources[i] for i in full] if items.sources is not None else None
    cluster: list[Any] = [""] * n
    leader = list(range(n))  # row index of each row's representative
    seen = np.zeros(n, dtype=bool)
    matched: list[str] = [""] * n
    earlier: list[str] = [""] * n  # id of the earlier batch's item a row was matched to
    scores = np.zeros(n)
    history = None
    if history_path is not None:
        from feedclass.history import History, dedup_against_history

        history = History.open(history_path, history_days=history_days)
        res = dedup_against_history(
            history,
            texts,
            times=times,
            sources=sources,
            threshold=thr,
            keep=keep,
            # row numbers name rows of this file only: an earlier batch's are no use later
            ids=[items.ids[i] for i in full] if items.ids_given else None,
        )
        for k, i in enumerate(full):
            cluster[i] = res.story_ids[k]
            if res.duplicate_of[k] >= 0:
                leader[i] = full[int(res.duplicate_of[k])]
            seen[i] = bool(res.seen_before[k])
            matched[i] = res.matched_text[k] or ""
            earlier[i] = res.matched_id[k] or ""
            scores[i] = float(res.scores[k])
    else:
        nd = NearDuplicates(threshold=thr, keep=keep).fit(texts, times=times, sources=sources)
        for k, i in enumerate(full):
            cluster[i] = int(nd.labels_[k])
            if nd.duplicate_of_[k] >= 0:
                leader[i] = full[int(nd.duplicate_of_[k])]
        for p in nd.pairs_:
            scores[full[int(p["i"])]] = float(p["score"])
    # Empty headlines: their own cluster each, numbered after the others.
    next_id = max([c for c in cluster if isinstance(c, int)], default=-1) + 1
    for i in range(n):
        if cluster[i] == "":
            cluster[i] = next_id if history is None else ""
            next_id += 1
    return cluster, leader, matched, scores, (history, seen, earlier)


def _read_and_cluster(
    path: str | Path,
    input_format: str | None,
    rss_summary: bool,
    columns: tuple[str | None, str | None, str | None, str | None],
    threshold: float | None,
    keep: str,
    history_path: str | Path | None,
    history_days: float | None,
    encoding: str | None = None,
) -> tuple[FeedItems, tuple[list[Any], list[int], list[str], np.ndarray, Any]]:
    """First pass of dedup and publish: the feed's items (``columns``: text, id, time, source)
    and their clusters."""
    items = collect(
        open_table(path, input_format, rss_summary=rss_summary, encoding=encoding), *columns
    )
    return items, _cluster(items, threshold, keep, history_path, history_days)


def _check_paths(source: str | Path | IO[bytes], **outputs: str | Path | None) -> None:
    """Refuse a run that would write one file over another (or over its input)."""
    named: list[tuple[str, Path]] = []
    if isinstance(source, (str, Path)) and str(source) != "-":
        named.append(("the input", Path(source)))
    for what, path in outputs.items():
        if path is None or str(path) == "-":
            continue
        p = Path(path)
        for other, q in named:
            if same_file(p, q):
                raise DataError(f"{what} {str(path)!r} is also {other}; give each its own file")
        named.append((f"the {what}", p))
    if outputs.get("history") is not None and str(outputs["history"]) == "-":
        raise DataError("history needs a file, not - (stdout)")
    to_stdout = [w for w, p in outputs.items() if (p is None and w == "output") or str(p) == "-"]
    if len(to_stdout) > 1:
        raise DataError(f"the {' and the '.join(to_stdout)} would both go to stdout; give -o FILE")
    for what, path in outputs.items():
        if path is None or str(path) == "-" or what == "output":
            continue
        folder = Path(path).parent
        if str(folder) and not folder.is_dir():
            raise DataError(f"{what} {str(path)!r}: folder {str(folder)!r} does not exist")


def dedup_file(
    source: str | Path | IO[bytes],
    dest: str | Path | None,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    time_column: str | None = None,
    source_column: str | None = None,
    threshold: float | None = None,
    keep: str = "first",
    history_path: str | Path | None = None,
    history_days: float | None = None,
    input_format: str | None = None,
    output_fmt: str | None = None,
    report: str | Path | None = None,
    rss_summary: bool = False,
    lock_timeout: float | None = None,
    encoding: str | None = None,
) -> DedupSummary:
    """Every row out, in order, with ``cluster`` and ``duplicate_of`` (empty for a representative).

    With ``history_path``, a row whose story was published in an earlier batch gets that story's
    id as its cluster, ``seen_before`` = ``yes`` and ``duplicate_of`` = the id of the earlier
    item it matched (the story id if ids are row numbers, that item had none, or it is this
    very item run again). ``history_days`` replaces the state's age limit; None keeps it (3
    days for a new state). ``lock_timeout``: seconds to wait for another run on the same state
    (default :data:`feedclass.history.DEFAULT_LOCK_TIMEOUT`).
    """
    _check_paths(source, output=dest, report=report, history=history_path)
    with _state_held(history_path, lock_timeout), _rereadable(source) as path:
        items, clustered = _read_and_cluster(
            path,
            input_format,
            rss_summary,
            (text_column, id_column, time_column, source_column),
            threshold,
            keep,
            history_path,
            history_days,
            encoding,
        )
        cluster, leader, matched, scores, (history, seen, earlier) = clustered
        fmt = output_format(dest, items.format, output_fmt)
        added = list(DEDUP_COLUMNS) + (["seen_before"] if history is not None else [])
        _check_free(items.columns, added)
        summary = DedupSummary(rows=len(items.texts))
        summary.empty = sum(1 for t in items.texts if not t.strip())
        values: list[list[str]] = []
        for i in range(len(items.texts)):
            dup = ""
            if leader[i] != i:
                dup = items.ids[leader[i]]
            elif seen[i]:
                # the earlier item, unless that is this very item (a batch run again)
                same_item = earlier[i] == items.ids[i]
                dup = earlier[i] if earlier[i] and not same_item else str(cluster[i])
            v = [str(cluster[i]), dup]
            if history is not None:
                v.append("yes" if seen[i] else "")
            values.append(v)
        summary.merged = sum(1 for v in values if v[1])
        summary.seen_before = int(seen.sum())
        summary.clusters = len({c for c in cluster if c != ""})
        out = _write_rows(
            path,
            input_format,
            items,
            dest,
            fmt,
            added,
            values,
            rss_summary=rss_summary,
            encoding=encoding,
        )
        _finish(
            out,
            report,
            history_path,
            history,
            items,
            (cluster, leader, matched, scores, seen, earlier),
        )
        _history_summary(summary, history)
    return summary


def _history_summary(summary: DedupSummary, history: Any) -> None:
    if history is not None:
        summary.history_created = bool(history.created)
        summary.history_items = len(history)


@contextmanager
def _state_held(history_path: str | Path | None, timeout: float | None) -> Iterator[None]:
    """With a history: hold its lock and finish what a killed run left pending."""
    if history_path is None:
        yield
        return
    from feedclass.history import DEFAULT_LOCK_TIMEOUT, locked, recover_pending

    with locked(history_path, DEFAULT_LOCK_TIMEOUT if timeout is None else timeout):
        recover_pending(history_path)
        yield


def _finish(
    out: AtomicWriter,
    report: str | Path | None,
    history_path: str | Path | None,
    history: Any,
    items: FeedItems,
    merges: tuple[list[Any], list[int], list[str], np.ndarray, np.ndarray, list[str]],
    empty_left_out: bool = False,
) -> None:
    """After the output is written (not yet renamed): the merge report, then the new state,
    then all renamed in the order the module's docstring gives."""
    writers = [out]
    try:
        if report is not None:
            writers.append(_write_report(report, items, *merges, empty_left_out=empty_left_out))
        if history is not None and history_path is not None:
            writers.insert(0, history.prepare(history_path, outputs=writers))
    except BaseException:
        for w in writers:
            w.abort()
        raise
    commit_all(writers)


def _check_free(columns: list[str], added: list[str]) -> None:
    clash = [c for c in added if c in columns]
    if clash:
        raise DataError(
            f"the input already has a column named {clash[0]!r}; rename it before deduplicating"
        )


def _write_rows(
    path: str | Path,
    input_format: str | None,
    items: FeedItems,
    dest: str | Path | None,
    fmt: str,
    added: list[str],
    values: list[list[Any]],
    keep_rows: list[int] | None = None,
    rss_summary: bool = False,
    encoding: str | None = None,
) -> AtomicWriter:
    """Second pass: re-read the rows and write them with ``values`` appended, to a finished
    temporary file that :func:`_finish` renames."""
    table = open_table(path, input_format, rss_summary=rss_summary, encoding=encoding)
    wanted = None if keep_rows is None else set(keep_rows)
    with TableWriter(
        dest,
        fmt,
        items.columns + added,
        delimiter=items.delimiter if items.format == "csv" else None,
        bom=items.encoding in ("cp1251", "utf-8-sig"),
        feed_title=items.feed_title or "feedclass",
        feed_link=items.feed_link,
        feed_description=items.feed_description,
        defer=True,
    ) as writer:
        i = 0
        for chunk in table.chunks():
            out: list[Any] = []
            for r in chunk:
                if wanted is None or i in wanted:
                    if table.is_dict:
                        r = dict(r)
                        r.update(zip(added, values[i]))
                        out.append(r)
                    else:
                        out.append(r + values[i])
                i += 1
            writer.write(out)
    return writer.output


#: Columns of the merge report (``--report``), one row per folded item; the distributed
#: dedup writes the same ones.
REPORT_COLUMNS: tuple[str, ...] = (
    "cluster",
    "representative_id",
    "representative",
    "duplicate_id",
    "duplicate",
    "similarity",
)


#: What the report says in place of a representative for a row ``publish`` leaves out because
#: its headline is empty.
EMPTY_NOT_PUBLISHED = "(empty headline: not published)"


def _write_report(
    report: str | Path,
    items: FeedItems,
    cluster: list[Any],
    leader: list[int],
    matched: list[str],
    scores: np.ndarray,
    seen: np.ndarray,
    earlier: list[str],
    empty_left_out: bool = False,
) -> AtomicWriter:
    """Every merge with its similarity, so an editor can check what was folded (written to a
    finished temporary file that :func:`_finish` renames); with ``empty_left_out`` also every
    row with an empty headline, which ``publish`` leaves out."""
    cols = list(REPORT_COLUMNS)
    rows = []
    for i in range(len(items.texts)):
        if empty_left_out and not items.texts[i].strip():
            rows.append(["", "", EMPTY_NOT_PUBLISHED, items.ids[i], items.texts[i], ""])
        elif leader[i] != i:
            j = leader[i]
            rows.append(
                [
                    str(cluster[i]),
                    items.ids[j],
                    items.texts[j],
                    items.ids[i],
                    items.texts[i],
                    f"{scores[i]:.3f}",
                ]
            )
        elif seen[i]:
            rows.append(
                [
                    str(cluster[i]),
                    earlier[i] or "(published earlier)",
                    matched[i],
                    items.ids[i],
                    items.texts[i],
                    f"{scores[i]:.3f}",
                ]
            )
    fmt = output_format(report, "csv")
    with TableWriter(report, fmt, cols, defer=True) as writer:
        writer.write(rows)
    return writer.output


def publish_file(
    source: str | Path | IO[bytes],
    dest: str | Path | None,
    model: Any,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    time_column: str | None = None,
    source_column: str | None = None,
    threshold: float | None = None,
    keep: str = "first",
    history_path: str | Path | None = None,
    history_days: float | None = None,
    input_format: str | None = None,
    output_fmt: str | None = None,
    report: str | Path | None = None,
    min_confidence: float = 0.0,
    fallback: str = "",
    rss_summary: bool = False,
    lock_timeout: float | None = None,
    encoding: str | None = None,
) -> DedupSummary:
    """One row per story: its representative, topic, and how many rows were merged into it.

    Stories already published in an earlier batch (``history_path``) are left out; the report
    lists them with the merges. Rows with an empty headline are left out too (they are no
    story, and no later batch could recognise them, so with a history they would come out on
    every run); they are counted in ``DedupSummary.empty`` and listed in the report. The
    output, report and state change as one step (see the module's docstring);
    ``lock_timeout`` as for :func:`dedup_file`.
    """
    from feedclass.classify import annotate

    if not 0.0 <= min_confidence <= 1.0:
        raise DataError(f"--min-confidence must be between 0 and 1; got {min_confidence} instead")
    _check_paths(source, output=dest, report=report, history=history_path)
    model_file = getattr(model, "source_path_", None)
    for what, path_out in (
        ("the output", dest),
        ("the report", report),
        ("the history", history_path),
    ):
        check_not_an_input(path_out, [model_file], what)
    with _state_held(history_path, lock_timeout), _rereadable(source) as path:
        items, clustered = _read_and_cluster(
            path,
            input_format,
            rss_summary,
            (text_column, id_column, time_column, source_column),
            threshold,
            keep,
            history_path,
            history_days,
            encoding,
        )
        cluster, leader, matched, scores, (history, seen, earlier) = clustered
        fmt = output_format(dest, items.format, output_fmt)
        _check_free(items.columns, PUBLISH_COLUMNS)
        n = len(items.texts)
        members: dict[int, list[int]] = {}
        for i in range(n):
            if leader[i] != i:
                members.setdefault(leader[i], []).append(i)
        reps = [i for i in range(n) if leader[i] == i and not seen[i] and items.texts[i].strip()]
        labels, _, _ = annotate(
            model, [items.texts[i] for i in reps], min_confidence=min_confidence, fallback=fallback
        )
        values: list[list[Any]] = [[] for _ in range(n)]
        for i, (topic, conf) in zip(reps, labels):
            dups = members.get(i, [])
            values[i] = [
                topic,
                conf,
                str(cluster[i]),
                len(dups),
                ";".join(items.ids[j] for j in dups),
            ]
        out = _write_rows(
            path,
            input_format,
            items,
            dest,
            fmt,
            PUBLISH_COLUMNS,
            values,
            reps,
            rss_summary=rss_summary,
            encoding=encoding,
        )
        _finish(
            out,
            report,
            history_path,
            history,
            items,
            (cluster, leader, matched, scores, seen, earlier),
            empty_left_out=True,
        )
        summary = DedupSummary(rows=n, published=len(reps), seen_before=int(seen.sum()))
        _history_summary(summary, history)
        summary.merged = sum(1 for i in range(n) if leader[i] != i)
        summary.clusters = len({c for c in cluster if c != ""})
        summary.empty = sum(1 for t in items.texts if not t.strip())
    return summary


def sweep_file(
    source: str | Path | IO[bytes],
    thresholds: list[float],
    *,
    text_column: str | None = None,
    time_column: str | None = None,
    source_column: str | None = None,
    keep: str = "first",
    input_format: str | None = None,
    rss_summary: bool = False,
) -> list[Any]:
    """How many rows merge at each threshold, with the weakest merges as examples."""
    from feedclass.dedup import sweep_thresholds

    with _rereadable(source) as path:
        items = collect(
            open_table(path, input_format, rss_summary=rss_summary),
            text_column,
            None,
            time_column,
            source_column,
        )
    full = [i for i, t in enumerate(items.texts) if t.strip()]
    times = items.times[full] if items.times is not None else None
    sources = [items.sources[i] for i in full] if items.sources is not None else None
    return sweep_thresholds(
        [items.texts[i] for i in full], thresholds, times=times, sources=sources, keep=keep
    )


def tune_file(
    source: str | Path | IO[bytes], target_precision: float = 0.9, input_format: str | None = None
) -> Any:
    """Pick a threshold from a newsroom's own labelled pairs (text_1, text_2, label)."""
    from feedclass.dedup import parse_pair_label, tune_threshold

    table = open_table(source, input_format)
    t1: list[str] = []
    t2: list[str] = []
    labels: list[str] = []
    for chunk in table.chunks():
        cols = jsonl_columns(chunk) if table.is_dict else table.columns
        missing = [c for c in ("text_1", "text_2", "label") if c not in cols]
        if missing:
            raise DataError(
                f"{table.name}: pairs need columns text_1, text_2, label; missing "
                f"{', '.join(missing)}; columns are: {', '.join(cols)}"
            )
        for r in chunk:
            if table.is_dict:
                a, b, y = (cell_text(r.get(c)) for c in ("text_1", "text_2", "label"))
            else:
                a, b, y = (r[cols.index(c)] for c in ("text_1", "text_2", "label"))
            if parse_pair_label(y) is None:
                raise DataError(
                    f"{table.name}, row {len(t1) + 1}: label must be 1, 0 or -1; got {y!r}"
                )
            t1.append(a)
            t2.append(b)
            labels.append(y.strip())
    if not t1:
        raise DataError(f"{table.name}: no pairs to tune on")
    return tune_threshold(t1, t2, labels, target_precision=target_precision)
