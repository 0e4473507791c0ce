"""Reading feeds and labelled data: CSV/TSV, JSONL, plain lines, RSS/Atom; files or stdin.

Tables stream in chunks so a 5 GB feed never sits in memory. Every input row comes out, in
order: nothing here skips a row (empty texts are the caller's business).

Tabular inputs (CSV, TSV, lines, RSS) give rows as ``list[str]`` aligned with ``columns``;
JSONL gives ``dict`` rows so that numbers, nested values and key order survive a round trip.
Encodings are guessed and guarded in :mod:`feedclass.encodings`; RSS/Atom documents are
parsed in :mod:`feedclass.feeds`.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from feedclass.columns import (
    HEADLINE_NAMES,
    TEXT_NAMES,
    cell_text,
    check_single_column,
    find_text_column,
    jsonl_columns,
)
from feedclass.encodings import (
    SNIFF_BYTES,
    MixedGuard,
    NulGuard,
    check_encoding,
    check_not_mixed,
    decode_error,
    detect_encoding,
    line_of,
    nul_error,
    surrogate_at,
    surrogate_error,
    warn_if_weak,
)
from feedclass.errors import DataError, InputFileError
from feedclass.feeds import RSS_COLUMNS, XML_DECL, Feed, read_feed
from feedclass.jit import jit

FORMATS = ("csv", "tsv", "jsonl", "lines", "rss")

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "lines",
    ".rss": "rss",
    ".atom": "rss",
    ".xml": "rss",
}

# A field of a headline CSV never needs more; the default 128 KiB breaks on article bodies.
csv.field_size_limit(2**31 - 1)

CHUNK_ROWS = 50_000
# About 70,000 headline rows; a block and its output stay a few tens of MB.
BLOCK_BYTES = 8 << 20


@dataclass
class Table:
    """An open input: its format, columns and a chunked row stream."""

    name: str
    format: str
    columns: list[str]
    encoding: str
    _chunks: Iterator[list[Any]] = field(repr=False)
    #: The CSV delimiter found, so output can keep it (";" for Excel in a Russian locale).
    delimiter: str = ","
    #: UTF-8 CSV/TSV only: the bytes after the header, for :meth:`csv_blocks`.
    _raw: IO[bytes] | None = field(default=None, repr=False)

    def chunks(self) -> Iterator[list[Any]]:
        """Yield the rows in order, a list at a time."""
        return self._chunks

    @property
    def is_dict(self) -> bool:
        return self.format == "jsonl"

    def csv_blocks(self, text_index: int, block_bytes: int = BLOCK_BYTES) -> Iterator[CsvBlock]:
        """The rows of a UTF-8 CSV/TSV as byte blocks, parsed by a compiled kernel.

        Why: ``csv.reader`` plus ``csv.writer`` cost more than classifying the headlines. Each
        block holds whole records; for each it gives the records as ``csv.writer`` would write
        them (so a caller can append fields and write bytes) and the text of column
        ``text_index``. A block the kernel does not handle (short, long or blank rows, stray
        quotes, NUL, invalid UTF-8) comes with ``body`` None: parse it with :meth:`parse_block`,
        quotes, NUL, invalid UTF-8), and every record after it, comes as ``parsed`` rows from
        ``csv.reader``, exactly as :meth:`chunks` would give them, errors included. Use either
        this or :meth:`chunks`, not both; only where :attr:`has_csv_blocks` is true.
        """
        if self._raw is None:
            raise DataError(f"{self.name}: byte blocks need a UTF-8 CSV or TSV file")
        return _csv_blocks(
            self.name, self._raw, self.delimiter, len(self.columns), text_index, block_bytes
        )

    @property
    def has_csv_blocks(self) -> bool:
        return self._raw is not None


@dataclass
class CsvBlock:
    """Whole records of a CSV file: raw bytes, and when the fast parser handled them, more."""

    raw: bytes
    #: File row number of the first record (the header is row 1).
    first_row: int
    rows: int
    #: The records as ``csv.writer`` writes them, without line ends; record i ends at ends[i].
    body: Any = None
    ends: Any = None
    texts: list[str] | None = None
    #: Rows from ``csv.reader`` instead, for records the fast parser does not handle.
    parsed: list[list[str]] | None = None


def format_for_path(path: str | Path | None) -> str | None:
    """The format implied by a file name's extension, or None."""
    if path is None or str(path) == "-":
        return None
    return _EXTENSIONS.get(Path(str(path)).suffix.lower())


def _open_binary(source: str | Path | IO[bytes]) -> tuple[str, IO[bytes]]:
    if not isinstance(source, (str, Path)):
        # an upload's spooled file has name None, and a plain file's fd name is an int
        name = getattr(source, "name", None)
        return (name if isinstance(name, str) and name else "<stream>"), source
    if str(source) == "-":
        return "<stdin>", sys.stdin.buffer
    path = Path(source)
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if path.is_dir():
        raise InputFileError(f"{path}: is a directory, not a file")
    try:
        return str(path), path.open("rb")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot open ({exc.strerror})") from exc


def _sniff_format(text: str) -> str:
    stripped = text.lstrip()
    if stripped.startswith("<"):
        return "rss"
    if stripped.startswith("{"):
        return "jsonl"
    first = stripped.split("\n", 1)[0]
    for delim, fmt in (("\t", "tsv"), (";", "csv"), (",", "csv")):
        if delim in first:
            names = [c.strip().strip('"').lower() for c in first.split(delim)]
            if any(n in HEADLINE_NAMES or n in TEXT_NAMES for n in names):
                return fmt
    return "lines"


def _sniff_delimiter(sample: str, fmt: str) -> str:
    if fmt == "tsv":
        return "\t"
    first = sample.split("\n", 1)[0]
    # Excel in a Russian locale writes ';'; count both in the header line and pick the commoner.
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


class _Prepend(io.RawIOBase):
    """A raw stream that first replays the bytes we sniffed, then reads on (works for stdin)."""

    def __init__(self, head: bytes, raw: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if len(self._head):
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _text_stream(name: str, raw: IO[bytes], head: bytes, encoding: str) -> io.TextIOWrapper:
    source: io.RawIOBase = _Prepend(head, raw)
    if encoding == "cp1251":
        source = MixedGuard(name, source)
    # newline="" keeps line ends as they are, which csv needs for quoted multi-line fields.
    buffered = io.BufferedReader(source, buffer_size=1 << 20)
    return io.TextIOWrapper(buffered, encoding=encoding, errors="strict", newline="")


class _EndOfInput:
    """Tells whether ``csv.reader`` asked for a line after the last one.

    Why: the non-strict reader (kept: it reads ``"Газпром" вырос`` as one field where
    ``strict=True`` fails) ends the file quietly inside a quoted field that is never closed, and
    that field then holds every line after its opening quote. Between records the reader asks
    for another line only to find the end; so a row that comes out after it asked is such a
    row. ``itertools.chain`` runs no Python code per line.
    """

    __slots__ = ("reached",)

    def __init__(self) -> None:
        self.reached = False

    def lines(self, stream: Iterator[str]) -> Iterator[str]:
        return itertools.chain(stream, self._mark())

    def _mark(self) -> Iterator[str]:
        self.reached = True
        yield from ()


def _unterminated(name: str, row: int, fields: list[str]) -> DataError:
    start = fields[-1].splitlines()[0] if fields and fields[-1] else ""
    if len(start) > 40:
        start = start[:40] + "..."
    return DataError(
        f'{name}, row {row}: a quoted field is never closed (unterminated "), so it runs to the '
        f'end of the file (it starts "{start}"); close the quote, or double every " inside it'
    )


def open_table(
    source: str | Path | IO[bytes],
    fmt: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
    rss_summary: bool = False,
    encoding: str | None = None,
    name: str | None = None,
) -> Table:
    """Open a feed or a labelled file for streaming.

    Parameters
    ----------
    source : path, ``"-"`` for stdin, or a binary stream.
    fmt : one of ``FORMATS``; by default taken from the extension, else sniffed from content.
    rss_summary : for RSS/Atom, put the item's description/summary after its title in ``text``.
    encoding : the file's encoding; by default UTF-8 (BOM or not), UTF-16 with a BOM, else
        cp1251 or cp1252 on the evidence of the text, with a warning when it is weak.
    name : how messages name the source (an upload's file name); by default its path, or the
        stream's own name.
    """
    if fmt is not None and fmt not in FORMATS:
        raise DataError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r} instead")
    forced = check_encoding(encoding) if encoding is not None else None
    own_name, raw = _open_binary(source)
    name = name or own_name
    head = raw.read(SNIFF_BYTES)
    if forced is not None:
        encoding = forced
        if encoding == "utf-8" and head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
    else:
        encoding = detect_encoding(head)
    if not encoding.startswith("utf-16"):
        if b"\x00" in head:
            raise nul_error(name, line_of(head, head.index(b"\x00")))
        # the same refusal for a NUL byte anywhere further on, whatever reads the bytes
        raw = NulGuard(name, raw, head.count(b"\n") + 1)  # type: ignore[assignment]
    if encoding == "cp1251" and forced is None:
        check_not_mixed(name, head)
    fmt = fmt or format_for_path(source if isinstance(source, (str, Path)) else None)
    if fmt is None:
        try:
            sample = head.decode(encoding, errors="replace")
        except LookupError:  # pragma: no cover - encodings above always exist
            sample = ""
        fmt = _sniff_format(sample)
    if fmt == "rss":
        data = head + raw.read()
        decl = XML_DECL.match(data)
        if forced is None and (decl is None or b"encoding" not in decl.group(0)):
            warn_if_weak(name, head, encoding)
        feed = read_feed(name, data, encoding if forced is not None else None, rss_summary)
        return _feed_table(name, feed)
    if forced is None:
        warn_if_weak(name, head, encoding)
    stream = _text_stream(name, raw, head, encoding)
    if fmt == "jsonl":
        return Table(name, fmt, [], encoding, _jsonl_chunks(name, stream, chunk_rows))
    if fmt == "lines":
        return Table(name, fmt, ["text"], encoding, _line_chunks(name, stream, chunk_rows))
    delimiter = _sniff_delimiter(head.decode(encoding, errors="replace"), fmt)
    if encoding in ("utf-8", "utf-8-sig"):
        body = head[3:] if encoding == "utf-8-sig" else head
        end = _first_record_end(body, delimiter)
        if end > 0:
            try:
                header_text = body[:end].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise decode_error(name, 1, exc) from None
            header = next(csv.reader(io.StringIO(header_text, newline=""), delimiter=delimiter))
            header = [h.strip() for h in header]
            if not any(header):
                raise DataError(f"{name}: the header row is empty")
            rest = io.BufferedReader(_Prepend(body[end:], raw), buffer_size=1 << 20)
            chunks = _raw_csv_chunks(name, rest, delimiter, len(header), chunk_rows)
            return Table(name, fmt, header, encoding, chunks, delimiter, rest)
    eof = _EndOfInput()
    reader = csv.reader(eof.lines(stream), delimiter=delimiter, strict=False)
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(f"{name}: the file is empty; expected a header row") from None
    except csv.Error as exc:
        raise DataError(f"{name}, row 1: {exc}") from None
    except UnicodeDecodeError as exc:
        raise decode_error(name, 1, exc, encoding) from None
    if eof.reached:
        raise _unterminated(name, 1, header)
    header = [h.strip() for h in header]
    if not any(header):
        raise DataError(f"{name}: the header row is empty")
    chunks = _csv_chunks(name, reader, eof, len(header), chunk_rows, encoding=encoding)
    return Table(name, fmt, header, encoding, chunks, delimiter)


def _feed_table(name: str, feed: Feed) -> Table:
    rows = feed.rows

    def chunks() -> Iterator[list[list[str]]]:
        if rows:
            yield rows

    table = Table(name, "rss", list(RSS_COLUMNS), "utf-8", chunks())
    table.feed_title = feed.title  # type: ignore[attr-defined]
    table.feed_link = feed.link  # type: ignore[attr-defined]
    table.feed_description = feed.description  # type: ignore[attr-defined]
    return table


def _raw_csv_chunks(
    name: str, raw: IO[bytes], delimiter: str, width: int, chunk_rows: int, first_line: int = 1
) -> Iterator[list[list[str]]]:
    stream = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", newline="")
    eof = _EndOfInput()
    reader = csv.reader(eof.lines(stream), delimiter=delimiter, strict=False)
    yield from _csv_chunks(name, reader, eof, width, chunk_rows, first_line)


def _first_record_end(head: bytes, delimiter: str) -> int:
    """Bytes of the first CSV record with its line end, or 0 if it does not end in ``head``."""
    delim = ord(delimiter)
    at_start, quoted = True, False  # a quote opens a quoted field only at the field's start
    for i, c in enumerate(head):
        if quoted:
            if c == 0x22:
                quoted = False  # a doubled quote reopens at once, just below
            continue
        if c == 0x22 and (at_start or head[i - 1] == 0x22):
            quoted = True
            continue
        at_start = c == delim
        if c in (0x0A, 0x0D):
            if c == 0x0D:
                if i + 1 >= len(head):
                    return 0  # "\r" then maybe "\n" in bytes not read yet
                if head[i + 1] == 0x0A:
                    return i + 2
            return i + 1
    return 0


def _csv_chunks(
    name: str,
    reader: Any,
    eof: _EndOfInput,
    width: int,
    chunk_rows: int,
    first_line: int = 1,
    encoding: str | None = None,
) -> Iterator[list[list[str]]]:
    chunk: list[list[str]] = []
    line = first_line
    try:
        for row in reader:
            line += 1
            if eof.reached:
                raise _unterminated(name, line, row)
            if len(row) != width:
                if len(row) > width:
                    raise DataError(
                        f"{name}, row {line}: {len(row)} fields but the header has {width}; "
                        "check the delimiter and quoting"
                    )
                row = row + [""] * (width - len(row))  # Excel drops trailing empty cells
            chunk.append(row)
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
    except csv.Error as exc:
        raise DataError(f"{name}, row {line}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise decode_error(name, line + 1, exc, encoding) from None
    if chunk:
        yield chunk


def _line_chunks(name: str, stream: io.TextIOWrapper, chunk_rows: int) -> Iterator[list[list[str]]]:
    chunk: list[list[str]] = []
    lineno = 0
    try:
        for line in stream:
            lineno += 1
            chunk.append([line.rstrip("\r\n")])
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
    except UnicodeDecodeError as exc:
        raise decode_error(name, lineno + 1, exc, stream.encoding) from None
    if chunk:
        yield chunk


def _jsonl_chunks(name: str, stream: io.TextIOWrapper, chunk_rows: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    lineno = 0
    try:
        for line in stream:
            lineno += 1
            if not line.strip():
                continue  # blank separator lines are not records
            chunk.append(_json_object(name, lineno, line))
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
    except UnicodeDecodeError as exc:
        raise decode_error(name, lineno + 1, exc, stream.encoding) from None
    if chunk:
        yield chunk


def _json_object(name: str, lineno: int, line: str) -> dict:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"{name}, line {lineno}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise DataError(
            f"{name}, line {lineno}: JSON nested too deeply to read; a feed row is a flat "
            "object of fields"
        ) from None
    except ValueError:  # an integer of more digits than Python converts (4300)
        raise DataError(
            f"{name}, line {lineno}: a number of more than 4,300 digits; write it as a string "
            '("...") if it is an id'
        ) from None
    if not isinstance(obj, dict):
        raise DataError(
            f"{name}, line {lineno}: expected a JSON object per line; "
            f"got {type(obj).__name__} instead"
        )
    if _SURROGATE_ESCAPE.search(line) is not None:
        _refuse_surrogates(f"{name}, line {lineno}", obj)
    return obj


# Only a \uD800..\uDFFF escape puts a surrogate into a decoded str (the text stream decodes
# strictly), so the values are walked only for lines that hold one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _refuse_surrogates(where: str, value: Any) -> None:
    """DataError for the first lone surrogate in a JSON value's strings (keys too)."""
    if isinstance(value, str):
        pos = surrogate_at(value)
        if pos >= 0:
            raise surrogate_error(where, value, pos)
    elif isinstance(value, dict):
        for k, v in value.items():
            _refuse_surrogates(where, k)
            _refuse_surrogates(where, v)
    elif isinstance(value, list):
        for v in value:
            _refuse_surrogates(where, v)


def read_labelled(
    source: str | Path | IO[bytes],
    text_column: str | None,
    label_column: str,
    fmt: str | None = None,
    encoding: str | None = None,
) -> tuple[list[str], list[str], int]:
    """Read a whole labelled file: (texts, labels, number of rows skipped for empty text/label)."""
    table = open_table(source, fmt, encoding=encoding)
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    for chunk in table.chunks():
        if table.is_dict:
            cols = jsonl_columns(chunk) if not table.columns else table.columns
            table.columns = cols
            tcol = find_text_column(cols, text_column, table.name)
            if label_column not in cols:
                raise DataError(
                    f"{table.name}: no label column {label_column!r}; columns are: "
                    f"{', '.join(cols)}; choose one with --label-column"
                )
            pairs = [(cell_text(r.get(tcol)), cell_text(r.get(label_column))) for r in chunk]
        else:
            tcol = find_text_column(table.columns, text_column, table.name)
            if label_column not in table.columns:
                raise DataError(
                    f"{table.name}: no label column {label_column!r}; columns are: "
                    f"{', '.join(table.columns)}; choose one with --label-column"
                )
            check_single_column(table.columns, label_column, table.name)
            ti, li = table.columns.index(tcol), table.columns.index(label_column)
            pairs = [(r[ti], r[li]) for r in chunk]
        for text, label in pairs:
            text, label = text.strip(), label.strip()
            if not text or not label:
                skipped += 1
                continue
            texts.append(text)
            labels.append(label)
    return texts, labels, skipped


# ---------------------------------------------------------------------------------------------
# The compiled CSV scanner behind Table.csv_blocks.


@jit(lazy=True, nogil=True)  # plain reads need no numba
def _scan_records(buf: Any, delim: int, width: int, tcol: int, final: bool) -> Any:
    """Split ``buf`` into CSV records as ``csv.reader(strict=False)`` would.

    Returns ``(ok, n, consumed, body, ends, text, text_ends)``: the first ``n`` records end
    at byte ``consumed``; ``body`` holds each record as ``csv.writer`` (QUOTE_MINIMAL) writes
    it, without line end, and ``text`` the unquoted field ``tcol`` of each, NUL-separated.
    ``ok`` is False when a record needs ``csv.reader`` itself: a blank line, a field count
    other than ``width``, a quote inside an unquoted field or after a closing quote, a NUL,
    or (with ``final``) a quoted field left open at the end. Without ``final`` a record cut
    off by the end of ``buf`` is left for the next call.
    """
    size = buf.size
    body = np.empty(size, np.uint8)
    text = np.empty(size + size // 2 + 2, np.uint8)
    ends = np.empty(size // 2 + 1, np.int64)
    text_ends = np.empty(size // 2 + 1, np.int64)
    n = 0
    nb = 0
    nt = 0
    i = 0
    while i < size:
        rec_start = i
        c = buf[i]
        if c == 10 or c == 13:
            return False, n, rec_start, body, ends, text, text_ends
        f = 0
        cut = False
        while True:
            # ---- one field starting at i
            if f > 0:
                body[nb] = delim
                nb += 1
            if i < size and buf[i] == 34:
                j = i + 1
                need = False
                closed = False
                while j < size:
                    c = buf[j]
                    if c == 34:
                        if j + 1 < size and buf[j + 1] == 34:
                            need = True
                            j += 2
                            continue
                        if j + 1 >= size and not final:
                            break  # the next byte decides: leave the record for next time
                        closed = True
                        break
                    if c == delim or c == 10 or c == 13:
                        need = True
                    elif c == 0:
                        return False, n, rec_start, body, ends, text, text_ends
                    j += 1
                if not closed:
                    if final:
                        return False, n, rec_start, body, ends, text, text_ends
                    cut = True
                    break
                # raw span [i, j] includes both quotes; needed quotes mean it is canonical
                if need:
                    for k in range(i, j + 1):
                        body[nb] = buf[k]
                        nb += 1
                else:
                    for k in range(i + 1, j):
                        body[nb] = buf[k]
                        nb += 1
                if f == tcol:
                    k = i + 1
                    while k < j:
                        text[nt] = buf[k]
                        nt += 1
                        k += 2 if buf[k] == 34 else 1
                i = j + 1
            else:
                j = i
                while j < size:
                    c = buf[j]
                    if c == delim or c == 10 or c == 13:
                        break
                    if c == 34 or c == 0:
                        return False, n, rec_start, body, ends, text, text_ends
                    j += 1
                for k in range(i, j):
                    body[nb] = buf[k]
                    nb += 1
                if f == tcol:
                    for k in range(i, j):
                        text[nt] = buf[k]
                        nt += 1
                i = j
            f += 1
            # ---- what follows the field
            if i >= size:
                if not final:
                    cut = True
                break
            c = buf[i]
            if c == delim:
                i += 1
                continue
            if c == 10:
                i += 1
                break
            if c == 13:
                if i + 1 < size:
                    i += 2 if buf[i + 1] == 10 else 1
                elif final:
                    i += 1
                else:
                    cut = True
                break
            return False, n, rec_start, body, ends, text, text_ends  # text after a quote
        if cut:
            return True, n, rec_start, body, ends, text, text_ends
        if f != width:
            return False, n, rec_start, body, ends, text, text_ends
        text[nt] = 0
        nt += 1
        ends[n] = nb
        text_ends[n] = nt
        n += 1
    return True, n, size, body, ends, text, text_ends


@jit(lazy=True, nogil=True)
def _is_utf8(buf: Any) -> bool:
    """Whether ``buf`` is well-formed UTF-8, exactly as ``bytes.decode("utf-8")`` accepts it.

    Why: decoding a block only to check it cost as much as scanning it, under the GIL. The
    table of well-formed sequences (Unicode 3.9, table 3-7): no overlong forms, no
    surrogates, nothing past U+10FFFF.
    """
    size = buf.size
    i = 0
    while i < size:
        c = buf[i]
        if c < 0x80:
            i += 1
            continue
        if 0xC2 <= c <= 0xDF:
            n, lo, hi = 1, 0x80, 0xBF
        elif c == 0xE0:
            n, lo, hi = 2, 0xA0, 0xBF
        elif 0xE1 <= c <= 0xEC or c == 0xEE or c == 0xEF:
            n, lo, hi = 2, 0x80, 0xBF
        elif c == 0xED:
            n, lo, hi = 2, 0x80, 0x9F
        elif c == 0xF0:
            n, lo, hi = 3, 0x90, 0xBF
        elif 0xF1 <= c <= 0xF3:
            n, lo, hi = 3, 0x80, 0xBF
        elif c == 0xF4:
            n, lo, hi = 3, 0x80, 0x8F
        else:
            return False
        if i + n >= size:  # cut off by the end
            return False
        if not lo <= buf[i + 1] <= hi:
            return False
        for k in range(2, n + 1):
            if not 0x80 <= buf[i + k] <= 0xBF:
                return False
        i += n + 1
    return True


def _csv_blocks(
    name: str, raw: IO[bytes], delimiter: str, width: int, tcol: int, block_bytes: int
) -> Iterator[CsvBlock]:
    scan = _scan_records
    delim = ord(delimiter)
    row = 2  # the header is row 1
    carry = b""
    final = False
    want = block_bytes
    while not final:
        data = raw.read(want)
        final = not data
        buf = carry + data if carry else data
        if not buf:
            return
        arr = np.frombuffer(buf, np.uint8)
        ok, n, used, body, ends, text, text_ends = scan(arr, delim, width, tcol, final)
        block = _block(buf[:used], row, n, body, ends, text, text_ends) if n else None
        if n and block is None:
            ok, n, used = False, 0, 0  # invalid UTF-8: let csv.reader find and report it
        if block is not None:
            yield block
            row += n
        if not ok:
            # From the first record the kernel did not take to the end of the file, csv.reader
            # does the parsing, in chunks as :meth:`Table.chunks` would (errors included).
            rest = io.BufferedReader(_Prepend(buf[used:], raw), buffer_size=1 << 20)
            for chunk in _raw_csv_chunks(name, rest, delimiter, width, CHUNK_ROWS, row - 1):
                yield CsvBlock(b"", row, len(chunk), parsed=chunk)
                row += len(chunk)
            return
        if n:
            want = block_bytes
        elif not final:
            want *= 2  # one record longer than a block: read on
        carry = buf[used:]


def _block(
    raw: bytes, row: int, n: int, body: Any, ends: Any, text: Any, text_ends: Any
) -> CsvBlock | None:
    """A parsed block, or None if its bytes are not valid UTF-8 (csv.reader reports where)."""
    joined = text[: text_ends[n - 1]].tobytes()
    try:
        texts = joined.decode("utf-8").split("\x00")[:-1]
    except UnicodeDecodeError:
        return None
    if not _is_utf8(np.frombuffer(raw, np.uint8)):  # every field, not only the texts
        return None
    return CsvBlock(raw, row, n, body[: ends[n - 1]], ends[:n], texts)
