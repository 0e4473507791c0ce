"""Writing rows back out: CSV/TSV, JSONL or RSS 2.0, to a file or stdout.

A file is written to a temporary name beside the target and renamed only when the whole output
is done, so an error never leaves a half-written file behind (and never clobbers an old one).
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from email.utils import formatdate
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from xml.sax.saxutils import escape

import numpy as np

from feedclass.errors import DataError, InputFileError
from feedclass.readers import cell_text, format_for_path

OUTPUT_FORMATS = ("csv", "tsv", "jsonl", "rss")


def output_format(dest: str | Path | None, input_format: str, requested: str | None = None) -> str:
    """The output format: asked for, else the destination's extension, else the input's."""
    fmt = requested or format_for_path(dest) or input_format
    if fmt == "lines":
        fmt = "tsv"  # plain text has nowhere to put a topic; TSV keeps it one line per headline
    if fmt not in OUTPUT_FORMATS:
        raise DataError(
            f"output format must be one of {', '.join(OUTPUT_FORMATS)}; got {fmt!r} instead"
        )
    return fmt


class AtomicOutput:
    """A text file that appears under its final name only after ``commit``."""

    def __init__(self, dest: str | Path | None, encoding: str = "utf-8") -> None:
        self.dest = None if dest is None or str(dest) == "-" else Path(dest)
        self._tmp: str | None = None
        if self.dest is None:
            self.stream: IO[str] = sys.stdout
            return
        parent = self.dest.parent if str(self.dest.parent) else Path(".")
        if not parent.is_dir():
            raise InputFileError(f"{self.dest}: folder {parent} does not exist")
        if self.dest.is_dir():
            raise InputFileError(f"{self.dest}: is a directory; give a file name")
        fd, self._tmp = tempfile.mkstemp(prefix=f".{self.dest.name}.", suffix=".tmp", dir=parent)
        self.stream = os.fdopen(fd, "w", encoding=encoding, newline="")

    def commit(self) -> None:
        if self._tmp is None:
            self.stream.flush()
            return
        self.stream.flush()
        os.fsync(self.stream.fileno())
        self.stream.close()
        assert self.dest is not None
        os.replace(self._tmp, self.dest)
        self._tmp = None

    def abort(self) -> None:
        if self._tmp is None:
            return
        try:
            self.stream.close()
        finally:
            try:
                os.unlink(self._tmp)
            except FileNotFoundError:
                pass
            self._tmp = None


class TableWriter:
    """Write row chunks in one output format; use as a context manager.

    Rows are lists aligned with ``columns`` or dicts (JSONL input); the writer converts between
    them so that any input format can go to any output format.
    """

    def __init__(
        self,
        dest: str | Path | None,
        fmt: str,
        columns: Sequence[str],
        *,
        delimiter: str | None = None,
        bom: bool = False,
        feed_title: str = "feedclass",
    ) -> None:
        if fmt not in OUTPUT_FORMATS:
            raise DataError(
                f"output format must be one of {', '.join(OUTPUT_FORMATS)}; got {fmt!r} instead"
            )
        self.fmt = fmt
        self.columns = list(columns)
        self.feed_title = feed_title
        self.rows_written = 0
        self._out = AtomicOutput(dest, encoding="utf-8-sig" if bom and fmt == "csv" else "utf-8")
        self._csv: Any = None
        self._rss_items: list[dict[str, str]] = []
        if fmt in ("csv", "tsv"):
            delim = "\t" if fmt == "tsv" else (delimiter or ",")
            # CRLF as RFC 4180 says: with "\n" alone, csv leaves a lone "\r" in a field unquoted.
            self._csv = csv.writer(self._out.stream, delimiter=delim, lineterminator="\r\n")
            self._csv.writerow(self.columns)

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._out.abort()

    def write(self, rows: Iterable[Any]) -> None:
        if self.fmt in ("csv", "tsv"):
            self._csv.writerows(self._as_lists(rows))
        elif self.fmt == "jsonl":
            write = self._out.stream.write
            for row in rows:
                obj = row if isinstance(row, dict) else dict(zip(self.columns, row))
                write(json.dumps(obj, ensure_ascii=False))
                write("\n")
                self.rows_written += 1
            return
        else:
            for row in rows:
                obj = row if isinstance(row, dict) else dict(zip(self.columns, row))
                self._rss_items.append({k: cell_text(v) for k, v in obj.items()})

    def write_records(self, body: Any, ends: Any, parts: list[str], which: Any) -> None:
        """CSV/TSV only: write ready-made records, each followed by some of ``parts``.

        Record i is ``body[ends[i-1]:ends[i]]`` (UTF-8 bytes as ``csv.writer`` would write the
        row), then ``parts[j]`` for each ``j`` in ``which[i]`` (already CSV-quoted, each with
        its leading delimiter), then the line end. Why: re-serialising every row through
        ``csv.writer`` cost more than classifying it; this copies bytes in one compiled loop.
        """
        blobs = [p.encode("utf-8") for p in parts]
        offsets = np.zeros(len(blobs) + 1, np.int64)
        np.cumsum([len(b) for b in blobs], out=offsets[1:])
        table = np.frombuffer(b"".join(blobs) or b"\0", np.uint8)
        which = np.ascontiguousarray(which, dtype=np.int64)
        out = _emitter()(
            np.asarray(body, np.uint8), np.asarray(ends, np.int64), table, offsets, which
        )
        stream = self._out.stream
        stream.flush()  # the header went through the text layer
        stream.buffer.write(out.tobytes() if hasattr(out, "tobytes") else out)
        self.rows_written += len(ends)

    def _as_lists(self, rows: Iterable[Any]) -> Iterable[list[Any]]:
        cols = self.columns
        known = set(cols)
        for row in rows:
            self.rows_written += 1
            if isinstance(row, dict):
                extra = [k for k in row if k not in known]
                if extra:
                    raise DataError(
                        f"row {self.rows_written}: field {extra[0]!r} did not appear in the "
                        "first rows, so a CSV header cannot hold it; write JSONL instead"
                    )
                yield [cell_text(row.get(c)) for c in cols]
            else:
                yield row

    def close(self) -> None:
        if self.fmt == "rss":
            self._out.stream.write(render_rss(self._rss_items, self.feed_title))
            self.rows_written = len(self._rss_items)
        self._out.commit()


def render_rss(items: list[dict[str, str]], title: str) -> str:
    """RSS 2.0 with each item's topic as its ``<category>``."""
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:feedclass="https://feedclass.invalid/ns">',
        "<channel>",
        f"<title>{escape(title)}</title>",
        "<link>about:blank</link>",
        "<description>Classified and deduplicated by feedclass</description>",
        f"<lastBuildDate>{formatdate(usegmt=True)}</lastBuildDate>",
    ]
    for item in items:
        out.append("<item>")
        title_text = item.get("title") or item.get("text") or ""
        out.append(f"<title>{escape(title_text)}</title>")
        if item.get("link"):
            out.append(f"<link>{escape(item['link'])}</link>")
        guid = item.get("id") or item.get("guid")
        if guid:
            out.append(f'<guid isPermaLink="false">{escape(guid)}</guid>')
        if item.get("published"):
            out.append(f"<pubDate>{escape(item['published'])}</pubDate>")
        if item.get("summary"):
            out.append(f"<description>{escape(item['summary'])}</description>")
        if item.get("topic"):
            out.append(f"<category>{escape(item['topic'])}</category>")
        for key in ("confidence", "cluster", "duplicates", "duplicate_ids"):
            if item.get(key):
                out.append(f"<feedclass:{key}>{escape(item[key])}</feedclass:{key}>")
        out.append("</item>")
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out)


_EMIT: Any = None


def _emitter() -> Any:
    """Compile (or load from numba's cache) the record emitter on first use."""
    global _EMIT
    if _EMIT is None:
        from numba import njit

        try:
            _EMIT = njit(cache=True, nogil=True)(_emit_records)
        except RuntimeError:  # no writable cache directory
            _EMIT = njit(nogil=True)(_emit_records)
    return _EMIT


def _emit_records(body: Any, ends: Any, table: Any, offsets: Any, which: Any) -> Any:
    n = ends.size
    size = body.size + 2 * n
    for i in range(n):
        for j in range(which.shape[1]):
            p = which[i, j]
            size += offsets[p + 1] - offsets[p]
    out = np.empty(size, np.uint8)
    o = 0
    start = 0
    for i in range(n):
        for k in range(start, ends[i]):
            out[o] = body[k]
            o += 1
        start = ends[i]
        for j in range(which.shape[1]):
            p = which[i, j]
            for k in range(offsets[p], offsets[p + 1]):
                out[o] = table[k]
                o += 1
        out[o] = 13
        out[o + 1] = 10
        o += 2
    return out
