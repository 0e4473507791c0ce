"""Writing rows back out: CSV/TSV, JSONL or RSS 2.0, to a file or stdout.

A file is written through :class:`feedclass.atomic.AtomicWriter`: to a temporary name beside
the target, renamed only when the whole output is done, so an error never leaves a
half-written file behind (and never clobbers an old one); a device or FIFO is written into.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from email.utils import format_datetime, formatdate
from pathlib import Path
from types import TracebackType
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from feedclass.atomic import AtomicWriter
from feedclass.columns import HEADLINE_NAMES, cell_text, parse_time
from feedclass.errors import DataError
from feedclass.jit import jit
from feedclass.readers import format_for_path

OUTPUT_FORMATS = ("csv", "tsv", "jsonl", "rss")

# XML 1.0 section 2.2: the only characters a document may contain at all, even as references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Column names written as <feedclass:NAME>: plain ASCII names every XML parser accepts. Anything
# else (spaces, Cyrillic, a leading digit, the reserved xml prefix) goes to <feedclass:field>.
_PLAIN_NAME = re.compile(r"(?!(?i:xml))[A-Za-z_][A-Za-z0-9_.-]*\Z")
_NS = "https://feedclass.invalid/ns"
DEFAULT_FEED_TITLE = "feedclass"
DEFAULT_FEED_LINK = "about:blank"
DEFAULT_FEED_DESCRIPTION = "Classified and deduplicated by feedclass"


def output_format(dest: str | Path | None, input_format: str, requested: str | None = None) -> str:
    """The output format: asked for, else the destination's extension, else the input's.

    An extension feedclass does not write (``.xlsx``, ``.json``) is an error rather than a file
    of another format under that name, which the program the name promises could not open.
    """
    by_name = format_for_path(dest)
    suffix = Path(str(dest)).suffix if dest is not None and str(dest) != "-" else ""
    if requested is None and by_name is None and suffix and not suffix[1:].isdigit():
        raise DataError(
            f"{dest}: feedclass does not write {suffix} files; name the output .csv, .tsv, "
            ".jsonl or .rss"
        )
    fmt = requested or by_name or input_format
    if fmt == "lines":
        fmt = "tsv"  # plain text has nowhere to put a topic; TSV keeps it one line per headline
    if fmt not in OUTPUT_FORMATS:
        raise DataError(
            f"output format must be one of {', '.join(OUTPUT_FORMATS)}; got {fmt!r} instead"
        )
    return fmt


class TableWriter:
    """Write row chunks in one output format; use as a context manager.

    Rows are lists aligned with ``columns`` or dicts (JSONL input); the writer converts between
    them so that any input format can go to any output format. ``feed_title``, ``feed_link``
    and ``feed_description`` are the RSS channel's metadata (see :func:`render_rss` for what an
    empty one becomes); other formats ignore them. With ``defer=True`` the block's end only
    finishes the temporary file: the caller renames it with the files that must change with
    it (:func:`feedclass.atomic.commit_all` on :attr:`output`).
    """

    def __init__(
        self,
        dest: str | Path | None,
        fmt: str,
        columns: Sequence[str],
        *,
        delimiter: str | None = None,
        bom: bool = False,
        feed_title: str = DEFAULT_FEED_TITLE,
        feed_link: str = "",
        feed_description: str = "",
        defer: bool = False,
    ) -> None:
        if fmt not in OUTPUT_FORMATS:
            raise DataError(
                f"output format must be one of {', '.join(OUTPUT_FORMATS)}; got {fmt!r} instead"
            )
        self.fmt = fmt
        self.columns = list(columns)
        if fmt in ("jsonl", "rss"):
            # a JSON object or an RSS item holds one value per name: the last would win
            seen: set[str] = set()
            repeated = sorted({c for c in self.columns if c in seen or seen.add(c)})
            if repeated:
                raise DataError(
                    f"the input has more than one column named {', '.join(map(repr, repeated))}; "
                    f"{fmt.upper()} output would keep only the last of them: rename the "
                    "columns, or write .csv or .tsv"
                )
        self.feed_title = feed_title
        self.feed_link = feed_link
        self.feed_description = feed_description
        self.rows_written = 0
        self.defer = defer
        self._out = AtomicWriter(dest, encoding="utf-8-sig" if bom and fmt == "csv" else "utf-8")
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

        The bytes of :func:`csv_records` (which see), written by :meth:`write_bytes`.
        """
        self.write_bytes(csv_records(body, ends, parts, which), len(ends))

    def write_bytes(self, data: bytes, rows: int) -> None:
        """CSV/TSV only: write ``rows`` whole records, encoded (e.g. by :func:`csv_records`)."""
        stream: Any = self._out.stream
        stream.flush()  # the header went through the text layer
        stream.buffer.write(data)
        self.rows_written += rows

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
            self._out.stream.write(
                render_rss(
                    self._rss_items,
                    self.feed_title,
                    link=self.feed_link,
                    description=self.feed_description,
                )
            )
            self.rows_written = len(self._rss_items)
        if self.defer:
            self._out.finish()
        else:
            self._out.commit()

    @property
    def output(self) -> AtomicWriter:
        """The file being written (for a deferred commit)."""
        return self._out


# Which row fields fill the standard RSS item elements, by lower-cased column name: the first
# non-empty one wins (for pubDate, the first that parses as a time). Every other field, and a
# candidate that says something else than the winner, is kept in the feedclass namespace.
_ITEM_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("title", (*HEADLINE_NAMES, "text")),
    ("link", ("link", "url")),
    ("guid", ("id", "guid")),
    ("pubDate", ("published", "pubdate", "updated", "date")),
    ("description", ("summary", "description")),
    ("category", ("topic", "predicted_topic", "category")),
)


def xml_text(value: str) -> str:
    """``value`` as XML element content: escaped, without the characters XML 1.0 forbids.

    A carriage return is written as a reference, since a parser turns a literal one into ``\\n``.

    >>> xml_text("a < b\\x0b & c")
    'a &lt; b &amp; c'
    """
    return escape(_NOT_XML.sub("", value), {"\r": "&#13;"})


def xml_attr(value: str) -> str:
    """``value`` as a double-quoted XML attribute value, without forbidden characters."""
    clean = _NOT_XML.sub("", value)
    # Attribute-value normalisation turns literal tabs and line ends into spaces; references don't.
    return escape(clean, {'"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"})


def rfc822_date(value: str) -> str | None:
    """An RSS 2.0 (RFC 822) date for ``value``, in UTC, or None if it does not parse as a time.

    ``value`` may be ISO 8601 (naive times are taken as UTC, ``Z`` allowed), RFC 822 or unix
    seconds, as :func:`feedclass.columns.parse_time` reads them.

    >>> rfc822_date("2025-05-05T12:00:00+03:00")
    'Mon, 05 May 2025 09:00:00 +0000'
    >>> rfc822_date("yesterday") is None
    True
    """
    try:
        when = dt.datetime.fromtimestamp(parse_time(value), tz=dt.timezone.utc)
    except (ValueError, TypeError, IndexError, OverflowError, OSError):
        return None  # unparseable, NaN, or a year datetime cannot hold
    return format_datetime(when)


def _extra_field(name: str, value: str) -> str:
    if _PLAIN_NAME.match(name) and name != "field":
        return f"<feedclass:{name}>{xml_text(value)}</feedclass:{name}>"
    return f'<feedclass:field name="{xml_attr(name)}">{xml_text(value)}</feedclass:field>'


def _render_item(item: dict[str, str]) -> list[str]:
    values = {k: _NOT_XML.sub("", v) for k, v in item.items()}
    by_name: dict[str, list[str]] = {}
    for key in values:
        by_name.setdefault(key.strip().lower(), []).append(key)
    chosen: dict[str, str] = {}
    written: set[str] = set()  # fields a standard element already says in full
    for element, names in _ITEM_FIELDS:
        keys = [k for name in names for k in by_name.get(name, [])]
        for key in keys:
            value = values[key]
            if not value:
                continue
            text = rfc822_date(value) if element == "pubDate" else value
            if text is not None:
                chosen[element] = text
                written.update(k for k in keys if values[k] == value)
                break
    out = ["<item>", f"<title>{xml_text(chosen.get('title', ''))}</title>"]
    if "link" in chosen:
        out.append(f"<link>{xml_text(chosen['link'])}</link>")
    if "guid" in chosen:
        out.append(f'<guid isPermaLink="false">{xml_text(chosen["guid"])}</guid>')
    for element in ("pubDate", "description", "category"):
        if element in chosen:
            out.append(f"<{element}>{xml_text(chosen[element])}</{element}>")
    out += [_extra_field(k, v) for k, v in values.items() if k not in written and v]
    out.append("</item>")
    return out


def render_rss(
    items: list[dict[str, str]],
    title: str,
    *,
    link: str = "",
    description: str = "",
) -> str:
    """RSS 2.0 with each item's topic as its ``<category>``; always well-formed XML 1.0.

    Parameters
    ----------
    items
        One dict of field name to text per item. ``title`` (or another headline column, else
        ``text``), ``link``/``url``, ``id``/``guid``, ``published``/``pubDate``/``updated``/
        ``date``, ``summary``/``description`` and ``topic``/``predicted_topic``/``category``
        fill the standard elements; every other non-empty field is kept as
        ``<feedclass:NAME>`` (or ``<feedclass:field name="NAME">`` when NAME is not a plain
        ASCII XML name). Empty fields are left out. A date that does not parse is not written
        as ``<pubDate>`` but kept as ``<feedclass:published>`` (or its own column name).
    title, link, description
        The channel's metadata, e.g. from the input feed. An empty title becomes
        ``feedclass`` and an empty description a note that feedclass made the feed. RSS 2.0
        requires a channel ``<link>``: when none is known it is ``about:blank``.

    Characters XML 1.0 forbids (most C0 controls, lone surrogates, U+FFFE/U+FFFF) are removed
    from every text and name written.

    >>> "<link>about:blank</link>" in render_rss([{"title": "T"}], "Feed")
    True
    """
    channel_title = _NOT_XML.sub("", title).strip() or DEFAULT_FEED_TITLE
    channel_link = _NOT_XML.sub("", link).strip() or DEFAULT_FEED_LINK
    channel_description = _NOT_XML.sub("", description).strip() or DEFAULT_FEED_DESCRIPTION
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<rss version="2.0" xmlns:feedclass="{_NS}">',
        "<channel>",
        f"<title>{xml_text(channel_title)}</title>",
        f"<link>{xml_text(channel_link)}</link>",
        f"<description>{xml_text(channel_description)}</description>",
        f"<lastBuildDate>{formatdate(usegmt=True)}</lastBuildDate>",
    ]
    for item in items:
        out += _render_item(item)
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out)


def csv_records(body: Any, ends: Any, parts: list[str], which: Any) -> bytes:
    r"""Records, each followed by some of ``parts`` and a line end, as bytes (any thread).

    Record i is ``body[ends[i-1]:ends[i]]`` (UTF-8 bytes as ``csv.writer`` would write the
    row), then ``parts[j]`` for each ``j`` in ``which[i]`` (already CSV-quoted, each with its
    leading delimiter), then the line end. Why: re-serialising every row through
    ``csv.writer`` cost more than classifying it; this copies bytes in one compiled loop.

    >>> body = np.frombuffer(b"1,a2,b", np.uint8)
    >>> csv_records(body, [3, 6], [",x", ",y"], [[0], [1]])
    b'1,a,x\r\n2,b,y\r\n'
    """
    blobs = [p.encode("utf-8") for p in parts]
    offsets = np.zeros(len(blobs) + 1, np.int64)
    np.cumsum([len(b) for b in blobs], out=offsets[1:])
    table = np.frombuffer(b"".join(blobs) or b"\0", np.uint8)
    which = np.ascontiguousarray(which, dtype=np.int64)
    out = _emit_records(
        np.asarray(body, np.uint8), np.asarray(ends, np.int64), table, offsets, which
    )
    return out.tobytes() if hasattr(out, "tobytes") else bytes(out)


@jit(lazy=True, nogil=True)
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
