"""Classifying a feed: every input row out, in order, with its topic and confidence.

The feed streams through in chunks, so memory stays flat however long the input is.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import Full, Queue
from typing import IO, TYPE_CHECKING, Any, Union, cast

import numpy as np

from feedclass.atomic import check_not_an_input
from feedclass.columns import cell_text, find_text_column, jsonl_columns
from feedclass.errors import DataError
from feedclass.ngrams import n_threads
from feedclass.readers import CsvBlock, Table, open_table
from feedclass.writers import TableWriter, csv_records, output_format

if TYPE_CHECKING:
    from feedclass.model import TopicModel
    from feedclass.scorer import TopicScorer

#: What classifies: a TopicModel, or a TopicScorer (no scikit-learn; no ``explain``).
Model = Union["TopicModel", "TopicScorer"]


@dataclass
class ClassifySummary:
    rows: int = 0
    empty: int = 0
    below_threshold: int = 0
    output_format: str = ""


def output_columns(existing: list[str], top_k: int, explain: bool) -> list[str]:
    """The names of the columns we add; prefixed when the input already has them."""
    names = ["topic", "confidence"]
    for i in range(1, top_k + 1):
        names += [f"topic_{i}", f"confidence_{i}"]
    if explain:
        names.append("explain")
    if any(n in existing for n in names):
        names = [f"predicted_{n}" for n in names]
    if any(n in existing for n in names):
        raise DataError("the input already has columns named like ours (topic, predicted_topic)")
    return names


def annotate(
    model: Model,
    texts: list[str],
    *,
    top_k: int = 0,
    min_confidence: float = 0.0,
    fallback: str = "",
    explain: bool = False,
) -> tuple[list[list[Any]], int, int]:
    """Per text, the values of :func:`output_columns`; plus counts of empty and unsure texts.

    Column-wise with numpy, then zipped into rows: a per-row Python loop here cost as much as
    the whole classification.
    """
    if explain and not hasattr(model, "explain"):
        raise DataError("explaining needs a TopicModel (feedclass.load_model), not a scorer")
    n = len(texts)
    width = 2 + 2 * top_k + explain
    full = np.flatnonzero([bool(t) and not t.isspace() for t in texts])
    if full.size == 0:
        return [[""] * width for _ in range(n)], n, 0
    proba = model.predict_proba([texts[i] for i in full] if full.size < n else texts)
    best = np.argmax(proba, axis=1)
    conf = proba[np.arange(full.size), best]
    labels = np.asarray(model.classes_, dtype=object)
    sure = conf >= min_confidence
    topic = np.where(sure, labels[best], fallback)
    cols: list[list[Any]] = [topic.tolist(), np.round(conf, 4).tolist()]
    if top_k:
        order = np.argsort(-proba, axis=1, kind="stable")[:, :top_k]
        for r in range(min(top_k, proba.shape[1])):
            cols.append(labels[order[:, r]].tolist())
            cols.append(np.round(proba[np.arange(full.size), order[:, r]], 4).tolist())
        while len(cols) < 2 + 2 * top_k:  # more topics asked for than the model has
            cols.append([""] * full.size)
    if explain:
        explainer = cast("TopicModel", model)  # checked above: it has explain
        cols.append(
            [
                "; ".join(f"{g} ({w:.2f})" for g, w in explainer.explain(texts[i], n=3))
                for i in full.tolist()
            ]
        )
    rows = [list(v) for v in zip(*cols)]
    if full.size < n:
        out: list[list[Any]] = [[""] * width for _ in range(n)]
        for j, i in enumerate(full.tolist()):
            out[i] = rows[j]
        rows = out
    return rows, n - int(full.size), int((~sure).sum())


def classify_file(
    source: str | Path | IO[bytes],
    dest: str | Path | None,
    model: Model,
    *,
    text_column: str | None = None,
    input_format: str | None = None,
    output_fmt: str | None = None,
    top_k: int = 0,
    min_confidence: float = 0.0,
    fallback: str = "",
    explain: bool = False,
    rss_summary: bool = False,
    progress: Callable[[int], None] | None = None,
    encoding: str | None = None,
) -> ClassifySummary:
    """Classify a feed file (or stdin) into ``dest`` (a path, or None for stdout).

    ``dest`` may not be ``source`` itself, nor the model's file (by inode: a hard link or
    symlink to it counts).
    """
    check_not_an_input(dest, [source, getattr(model, "source_path_", None)])
    if top_k < 0:
        raise DataError(f"--top-k must be 0 or more; got {top_k} instead")
    if not 0.0 <= min_confidence <= 1.0:
        raise DataError(f"--min-confidence must be between 0 and 1; got {min_confidence} instead")
    table = open_table(source, input_format, rss_summary=rss_summary, encoding=encoding)
    fmt = output_format(dest, table.format, output_fmt)
    if table.has_csv_blocks and fmt == table.format and not top_k and not explain:
        return _classify_blocks(
            table, dest, fmt, model, text_column, min_confidence, fallback, progress
        )
    chunks = iter(table.chunks())
    first = next(chunks, None)
    if first is None and table.is_dict:
        with TableWriter(dest, fmt, []):
            pass  # an empty JSONL feed gives an empty output, not an error
        return ClassifySummary(output_format=fmt)
    columns = _columns(table, first)
    tcol = find_text_column(
        columns, text_column or ("text" if table.format == "rss" else None), table.name
    )
    added = output_columns(columns, top_k, explain)
    summary = ClassifySummary(output_format=fmt)
    with TableWriter(
        dest,
        fmt,
        columns + added,
        delimiter=table.delimiter if table.format == "csv" else None,
        bom=table.encoding in ("cp1251", "utf-8-sig"),
        feed_title=getattr(table, "feed_title", "") or "feedclass",
        feed_link=getattr(table, "feed_link", ""),
        feed_description=getattr(table, "feed_description", ""),
    ) as writer:
        if first is not None:

            def label(chunk: list[Any]) -> tuple[list[Any], list[list[Any]], int, int]:
                if table.is_dict:
                    texts = [cell_text(r.get(tcol)) for r in chunk]
                else:
                    ti = columns.index(tcol)
                    texts = [r[ti] for r in chunk]
                values, empty, below = annotate(
                    model,
                    texts,
                    top_k=top_k,
                    min_confidence=min_confidence,
                    fallback=fallback,
                    explain=explain,
                )
                return chunk, values, empty, below

            # Classify chunk k in a worker thread while this thread parses chunk k+1 and writes
            # chunk k-1: the compiled kernel runs without the GIL, csv needs it.
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = None
                for chunk in _chain(first, chunks):
                    job = pool.submit(label, chunk)
                    if pending is not None:
                        _emit(pending.result(), table.is_dict, added, writer, summary, progress)
                    pending = job
                if pending is not None:
                    _emit(pending.result(), table.is_dict, added, writer, summary, progress)
    return summary


def _emit(
    done: tuple[list[Any], list[list[Any]], int, int],
    is_dict: bool,
    added: list[str],
    writer: TableWriter,
    summary: ClassifySummary,
    progress: Callable[[int], None] | None,
) -> None:
    chunk, values, empty, below = done
    if is_dict:
        rows: list[Any] = []
        for r, v in zip(chunk, values):
            r = dict(r)
            r.update(zip(added, v))
            rows.append(r)
    else:
        rows = [r + v for r, v in zip(chunk, values)]
    writer.write(rows)
    summary.rows += len(chunk)
    summary.empty += empty
    summary.below_threshold += below
    if progress is not None:
        progress(summary.rows)


def _chain(first: list[Any], rest: Iterator[list[Any]]) -> Iterator[list[Any]]:
    yield first
    yield from rest


def _columns(table: Table, first: list[Any] | None) -> list[str]:
    if table.is_dict:
        table.columns = jsonl_columns(first or [])
    if not table.columns:
        raise DataError(f"{table.name}: no rows to classify")
    return list(table.columns)


def _csv_field(value: str, delimiter: str) -> str:
    """``value`` as ``csv.writer`` writes it inside a row (QUOTE_MINIMAL)."""
    if any(c in value for c in (delimiter, '"', "\r", "\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


#: Input bytes per block of the fast CSV path: each labelling thread takes whole blocks, and
#: a few blocks in flight (about 35,000 headlines each) keep memory flat and the cores even.
BLOCK_BYTES = 4 << 20

# What np.round(confidence, 4) prints as: one string per multiple of 1e-4.
_CONF_VALUES = np.arange(10001) / 10000.0


def _classify_blocks(
    table: Table,
    dest: str | Path | None,
    fmt: str,
    model: Model,
    text_column: str | None,
    min_confidence: float,
    fallback: str,
    progress: Callable[[int], None] | None,
) -> ClassifySummary:
    """:func:`classify_file` for a UTF-8 CSV/TSV written back as such, with no extra columns.

    The same output byte for byte, but records are parsed and written by compiled loops
    (:meth:`Table.csv_blocks`, :meth:`TableWriter.write_records`): each output line is the
    input record as ``csv.writer`` writes it plus two fields from a table of ready strings.
    """
    columns = list(table.columns)
    tcol = find_text_column(columns, text_column, table.name)
    added = output_columns(columns, 0, False)
    d = table.delimiter
    labels = [str(c) for c in model.classes_]
    # parts: each label, the fallback, one per confidence value, and the empty field.
    parts = [d + _csv_field(t, d) for t in labels + [fallback]]
    conf0 = len(parts)
    parts += [d + repr(v) for v in _CONF_VALUES.tolist()]
    empty = len(parts)
    parts.append(d)
    parts_lock = threading.Lock()
    summary = ClassifySummary(output_format=fmt)
    workers = n_threads(model.n_jobs)

    def label(block: CsvBlock) -> tuple[CsvBlock, Any, int, int]:
        worker = idle.get()
        try:
            return label_with(worker, block)
        finally:
            idle.put(worker)

    def label_with(model: Model, block: CsvBlock) -> tuple[CsvBlock, Any, int, int]:
        if block.parsed is not None:
            values, n_empty, below = annotate(
                model,
                [r[ti] for r in block.parsed],
                min_confidence=min_confidence,
                fallback=fallback,
            )
            return block, values, n_empty, below
        texts = block.texts or []
        which = np.full((len(texts), 2), empty, np.int64)
        full = np.flatnonzero([bool(t) and not t.isspace() for t in texts])
        below = 0
        if full.size:
            proba = model.predict_proba(
                [texts[i] for i in full] if full.size < len(texts) else texts
            )
            best = np.argmax(proba, axis=1)
            conf = proba[np.arange(full.size), best]
            sure = conf >= min_confidence
            below = int((~sure).sum())
            rounded = np.round(conf, 4)
            k = np.clip(np.rint(rounded * 10000.0), 0, 10000).astype(np.int64)
            exact = _CONF_VALUES[k] == rounded
            idx = conf0 + k
            for j in np.flatnonzero(~exact).tolist():  # never seen; kept exact all the same
                with parts_lock:  # blocks are labelled on several threads
                    idx[j] = len(parts)
                    parts.append(d + repr(float(rounded[j])))
            which[full, 0] = np.where(sure, best, len(labels))
            which[full, 1] = idx
        out = csv_records(block.body, block.ends, parts, which)
        return block, out, len(texts) - int(full.size), below

    ti = columns.index(tcol)
    with TableWriter(
        dest,
        fmt,
        columns + added,
        delimiter=d if fmt == "csv" else None,
        bom=table.encoding == "utf-8-sig",
    ) as writer:

        def emit(done: tuple[CsvBlock, Any, int, int]) -> None:
            block, values, n_empty, below = done
            if block.parsed is not None:
                writer.write([r + v for r, v in zip(block.parsed, values)])
            else:
                writer.write_bytes(values, block.rows)
            summary.rows += block.rows
            summary.empty += n_empty
            summary.below_threshold += below
            if progress is not None:
                progress(summary.rows)

        # A reading thread parses blocks and hands each to a labelling thread, which scores
        # it on one core and formats its output; this thread only waits and writes the
        # finished blocks in order. The parser, the kernel and the formatter run without the
        # GIL, so every core stays busy, and no compiled code runs on this thread, where a
        # signal's exception raised inside a compiled call could crash the process.
        ahead = workers + 1  # blocks in flight: memory stays a few blocks whatever the input
        jobs: Queue[Future[tuple[CsvBlock, Any, int, int]] | None] = Queue(maxsize=ahead)
        stop = threading.Event()
        with ThreadPoolExecutor(workers) as pool, ThreadPoolExecutor(1) as reader:
            idle = _one_thread_copies(model, workers, pool)

            def read() -> None:
                try:
                    for block in table.csv_blocks(ti, BLOCK_BYTES):
                        if not _put(jobs, pool.submit(label, block), stop):
                            return
                finally:
                    _put(jobs, None, stop)

            done = reader.submit(read)
            try:
                while (job := jobs.get()) is not None:
                    emit(job.result())
                done.result()  # a parse error, after the blocks before it
            finally:
                stop.set()
                pool.shutdown(cancel_futures=True)
    return summary


def _put(jobs: Queue[Any], item: Any, stop: threading.Event) -> bool:
    """Put ``item`` once there is room, unless ``stop`` is set first (the reader gave up)."""
    while not stop.is_set():
        try:
            jobs.put(item, timeout=0.1)
            return True
        except Full:
            continue
    return False


def _one_thread_copies(model: Model, n: int, pool: ThreadPoolExecutor) -> Queue[Model]:
    """``n`` shallow copies of ``model`` that score on one thread each, in a queue.

    They share the weights; the packed weight table is built on the shared model first (by
    scoring one text on ``pool``), so the copies find it in their copied cache instead of
    each building its own.
    """
    copies: Queue[Model] = Queue()
    if n == 1 and model.n_jobs == 1:
        copies.put(model)
        return copies
    pool.submit(model.predict_proba, ["."]).result()  # compiled code: not on this thread
    for _ in range(n):
        worker = copy.copy(model)
        if hasattr(model, "features_"):  # a TopicModel passes its n_jobs on to its features
            cast("TopicModel", worker).features_ = copy.copy(cast("TopicModel", model).features_)
        worker.n_jobs = 1
        copies.put(worker)
    return copies


def classify_parquet(
    source: str | Path,
    dest: str | Path,
    model: Model,
    *,
    text_column: str | None = None,
    top_k: int = 0,
    min_confidence: float = 0.0,
    fallback: str = "",
    explain: bool = False,
) -> ClassifySummary:
    """:func:`classify_file` for a Parquet file (needs pyarrow): the same columns added.

    ``topic`` columns are strings, ``confidence`` columns float64 (null for an empty text).
    """
    from feedclass.shards import map_parquet, parquet_columns

    if top_k < 0:
        raise DataError(f"--top-k must be 0 or more; got {top_k} instead")
    if not 0.0 <= min_confidence <= 1.0:
        raise DataError(f"--min-confidence must be between 0 and 1; got {min_confidence} instead")
    columns = parquet_columns(source)
    tcol = find_text_column(columns, text_column, str(source))
    added = output_columns(columns, top_k, explain)
    kinds = [(n, "float" if "confidence" in n else "str") for n in added]
    summary = ClassifySummary(output_format="parquet")

    def values_of(cells: list[Any], first_row: int) -> list[list[Any]]:
        values, empty, below = annotate(
            model,
            [cell_text(v) for v in cells],
            top_k=top_k,
            min_confidence=min_confidence,
            fallback=fallback,
            explain=explain,
        )
        summary.empty += empty
        summary.below_threshold += below
        return values

    summary.rows = map_parquet(source, dest, tcol, kinds, values_of)
    return summary
