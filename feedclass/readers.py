"""Reading feeds and labelled data: CSV/TSV, JSONL, plain lines, RSS/Atom; files or stdin.

Tables stream in chunks so a 5 GB feed never sits in memory. Every input row comes out, in
order: nothing here skips a row (empty texts are the caller's business).

Tabular inputs (CSV, TSV, lines, RSS) give rows as ``list[str]`` aligned with ``columns``;
JSONL gives ``dict`` rows so that numbers, nested values and key order survive a round trip.
"""

from __future__ import annotations

import codecs
import csv
import html
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
    find_text_column,
    jsonl_columns,
)
from feedclass.errors import DataError, InputFileError
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

_SNIFF_BYTES = 1 << 16
CHUNK_ROWS = 50_000
# About 70,000 headline rows; a block and its output stay a few tens of MB.
BLOCK_BYTES = 8 << 20

# Three Cyrillic letters (U+0400..U+04FF, Russian and Kazakh) in a row, UTF-8 encoded: a lead
# byte D0..D3 ("L") then a continuation byte 80..BF ("C"), three times. As cp1251 these bytes
# read as Р/С/Т/У, each followed by a byte such as Ё « » — №, three times running, which cp1251
# text never holds: where they occur among bytes that are not UTF-8, the file is partly UTF-8.
# bytes.translate + find run at memory speed; a regex takes 25 ns a byte.
_BYTE_CLASSES = bytes(
    ord("L") if 0xD0 <= b <= 0xD3 else ord("C") if 0x80 <= b <= 0xBF else ord(".")
    for b in range(256)
)


def _utf8_cyrillic_at(data: bytes) -> int:
    """Where the first three UTF-8 Cyrillic letters in a row start in ``data``, or -1."""
    return data.translate(_BYTE_CLASSES).find(b"LCLCLC")


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
        return getattr(source, "name", "<stream>"), source
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


def _detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM), else cp1251 as Excel exports it here."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sniffed block is still UTF-8.
        if exc.start >= len(head) - 3 and exc.reason in ("unexpected end of data",):
            return "utf-8"
        return "cp1251"


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


def _line_of(data: bytes, pos: int) -> int:
    """The 1-based line number of byte ``pos`` in ``data``."""
    return data.count(b"\n", 0, pos) + 1


def _check_not_mixed(name: str, head: bytes) -> None:
    """Refuse a head that is not UTF-8 yet holds UTF-8 Cyrillic text.

    Why: such a file would otherwise be read as cp1251 from end to end, turning its UTF-8 rows
    into mojibake (РўРѕРєР°РµРІ) without a word.
    """
    found = _utf8_cyrillic_at(head)
    if found < 0:
        return
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = _line_of(head, exc.start)
    else:  # pragma: no cover - the caller reads cp1251 only because this failed
        return
    good = _line_of(head, found)
    if good < bad:
        where = f"line {bad} is not UTF-8 while earlier lines are"
    elif good > bad:
        where = f"line {good} is UTF-8 but line {bad} is not"
    else:
        where = f"line {bad} mixes UTF-8 with another encoding"
    raise DataError(f"{name}: mixed encodings: {where}; re-save the file as UTF-8")


class _MixedGuard(io.RawIOBase):
    """A cp1251 byte stream that fails at the first UTF-8 Cyrillic text in it.

    The encoding is picked from the first 64 KiB; this catches UTF-8 rows further on, a block
    at a time, without holding more than one block.
    """

    def __init__(self, name: str, raw: io.RawIOBase) -> None:
        self._name = name
        self._raw = raw
        self._tail = b""  # the last bytes of the previous block: a match may straddle blocks
        self._lines = 1  # the line number at the start of ``_tail``

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)
        if not n:
            return 0
        data = self._tail + bytes(memoryview(buffer)[:n])
        found = _utf8_cyrillic_at(data)
        if found >= 0:
            line = self._lines + data.count(b"\n", 0, found)
            raise DataError(
                f"{self._name}: mixed encodings: line {line} is UTF-8 but the file starts in "
                "cp1251; re-save the file as UTF-8"
            )
        keep = len(data) - 5
        if keep > 0:
            self._lines += data.count(b"\n", 0, keep)
            self._tail = data[keep:]
        else:
            self._tail = data
        return n


def _text_stream(name: str, raw: IO[bytes], head: bytes, encoding: str) -> io.TextIOWrapper:
    source: io.RawIOBase = _Prepend(head, raw)
    if encoding == "cp1251":
        source = _MixedGuard(name, source)
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


def _decode_error(name: str, row: int, exc: UnicodeDecodeError) -> DataError:
    """``row`` is the one being read; the bad bytes may lie some lines further on.

    Why: the text stream decodes a block ahead of the reader, so the error comes while an
    earlier row is being read. Counted from there, line ends before the bad byte give its row
    (exactly, unless a quoted field in between spans lines).
    """
    encoding = "cp1251" if exc.encoding == "charmap" else exc.encoding
    if isinstance(exc.object, (bytes, bytearray)):
        row += exc.object.count(b"\n", 0, exc.start)
    return DataError(
        f"{name}, row {row}: bytes that are not valid {encoding} text; save the file as UTF-8"
    )


def open_table(
    source: str | Path | IO[bytes],
    fmt: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
    rss_summary: bool = False,
) -> Table:
    """Open a feed or a labelled file for streaming.

    Parameters
    ----------
    source : path, ``"-"`` for stdin, or a binary stream.
    fmt : one of ``FORMATS``; by default taken from the extension, else sniffed from content.
    rss_summary : for RSS/Atom, put the item's description/summary after its title in ``text``.
    """
    if fmt is not None and fmt not in FORMATS:
        raise DataError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r} instead")
    name, raw = _open_binary(source)
    head = raw.read(_SNIFF_BYTES)
    encoding = _detect_encoding(head)
    if b"\x00" in head and not encoding.startswith("utf-16"):
        raise DataError(f"{name}: binary data, not a text feed (CSV, TSV, JSONL, RSS or lines)")
    if encoding == "cp1251":
        _check_not_mixed(name, head)
    fmt = fmt or format_for_path(source if isinstance(source, (str, Path)) else None)
    if fmt is None:
        try:
            sample = head.decode(encoding, errors="replace")
        except LookupError:  # pragma: no cover - encodings above always exist
            sample = ""
        fmt = _sniff_format(sample)
    if fmt == "rss":
        return _open_rss(name, head + raw.read(), rss_summary)
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
                raise _decode_error(name, 1, exc) from None
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
        raise _decode_error(name, 1, exc) from None
    if eof.reached:
        raise _unterminated(name, 1, header)
    header = [h.strip() for h in header]
    if not any(header):
        raise DataError(f"{name}: the header row is empty")
    chunks = _csv_chunks(name, reader, eof, len(header), chunk_rows)
    return Table(name, fmt, header, encoding, chunks, delimiter)


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
    name: str, reader: Any, eof: _EndOfInput, width: int, chunk_rows: int, first_line: int = 1
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
        raise _decode_error(name, line + 1, exc) from None
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
        raise _decode_error(name, lineno + 1, exc) from None
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
        raise _decode_error(name, lineno + 1, exc) from None
    if chunk:
        yield chunk


def _json_object(name: str, lineno: int, line: str) -> dict:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"{name}, line {lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise DataError(
            f"{name}, line {lineno}: expected a JSON object per line; "
            f"got {type(obj).__name__} instead"
        )
    return obj


RSS_COLUMNS = ["title", "link", "id", "published", "summary", "text"]


# Expat errors that feedparser's fallback parser repairs without losing an item: HTML entities
# such as &nbsp; that XML does not define, and prefixes (media:, yandex:) used undeclared.
_REPAIRED_XML_ERRORS = frozenset({"undefined entity", "unbound prefix"})
_HTML_TYPES = ("text/html", "application/xhtml+xml")


_XML_DECL = re.compile(rb"\s*<\?xml\b[^>]*?\?>")


def _declare_cp1251(data: bytes) -> bytes:
    """A feed that is not UTF-8 and declares no encoding, declared as cp1251.

    Why: XML without a declaration is UTF-8 by rule, so feedparser falls back to windows-1252
    and Cyrillic comes out as «Ïðèâåò». Here such a file is a Windows export in cp1251, as CSV
    files without a BOM are taken to be.
    """
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data
    decl = _XML_DECL.match(data)
    if decl is not None and b"encoding" in decl.group(0):
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        new = b'<?xml version="1.0" encoding="windows-1251"?>'
        return new + (data[decl.end() :] if decl is not None else data)
    return data


def _open_rss(name: str, data: bytes, with_summary: bool) -> Table:
    import feedparser  # imported lazily: only feeds need it

    data = _declare_cp1251(data)
    parsed = feedparser.parse(data)
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not parsed.get("version") and not parsed.entries:
        raise DataError(
            f"{name}: not a readable RSS or Atom feed: no RSS <channel> or Atom <feed> in it "
            "(a web page?); give the feed's own address or file"
        )
    xml_error = _xml_error(data, parsed)
    if xml_error is not None:
        # feedparser would carry on with its forgiving parser, losing or cutting items.
        raise DataError(
            f"{name}: not a readable RSS or Atom feed: not well-formed XML ({xml_error}); "
            "is it cut short or broken? Download it again or fix it"
        )
    if problem is not None and not parsed.entries and not _harmless(problem):
        raise DataError(f"{name}: not a readable RSS or Atom feed ({problem})")
    rows: list[list[str]] = []
    for entry in parsed.entries:
        title = _entry_text(entry, "title")
        summary = str(entry.get("summary", "") or "")
        text = title
        if with_summary and summary:
            if _is_html(entry, "summary"):
                summary_text = _html_text(summary)
            else:
                summary_text = _strip_tags(summary)
            text = f"{title}. {summary_text}" if title else summary_text
        rows.append(
            [
                title,
                str(entry.get("link", "") or ""),
                str(entry.get("id", "") or ""),
                str(entry.get("published", entry.get("updated", "")) or ""),
                summary,
                text,
            ]
        )

    def chunks() -> Iterator[list[list[str]]]:
        if rows:
            yield rows

    table = Table(name, "rss", list(RSS_COLUMNS), "utf-8", chunks())
    table.feed_title = str(parsed.feed.get("title", "") or "")  # type: ignore[attr-defined]
    table.feed_link = str(parsed.feed.get("link", "") or "")  # type: ignore[attr-defined]
    # feedparser keeps an RSS channel's <description> as "subtitle"
    table.feed_description = str(parsed.feed.get("subtitle", "") or "")  # type: ignore[attr-defined]
    return table


def _harmless(problem: BaseException) -> bool:
    """feedparser's own notes (a declared encoding overridden, ...), or an XML error it repaired.

    Only called once :func:`_xml_error` found no other XML error.
    """
    from xml.sax import SAXParseException

    import feedparser

    return isinstance(problem, (feedparser.ThingsNobodyCaresAboutButMe, SAXParseException))


def _xml_error(data: bytes, parsed: Any) -> str | None:
    """Where ``data`` stops being well-formed XML, as "reason, line N", or None.

    feedparser reports only the first error of its XML parser, then reparses forgivingly. Errors
    it repairs (``_REPAIRED_XML_ERRORS``) are let through, so the document is checked again with
    expat, blind to namespaces and to which entities are defined, for the first other error;
    this also gives line numbers of the file itself (feedparser may add an XML declaration).
    """
    from xml.parsers import expat
    from xml.sax import SAXParseException

    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not isinstance(problem, SAXParseException):
        return None  # well-formed, or a harmless note such as an encoding override
    encoding = str(parsed.get("encoding") or "utf-8")
    try:
        text = data.decode(encoding, errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    # Decoded as feedparser decoded it: the declared encoding may be one it overrode.
    parser = expat.ParserCreate(encoding="utf-8")
    # An external DTD that is never read makes entities XML does not define (&nbsp;) legal.
    parser.UseForeignDTD(True)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_ALWAYS)

    def no_external(context: str | None, *_: Any) -> int:
        parser.ExternalEntityParserCreate(context).Parse(b"", True)  # nothing is fetched
        return 1

    parser.ExternalEntityRefHandler = no_external
    try:
        parser.Parse(text.encode("utf-8"), True)
    except expat.ExpatError as exc:
        return _xml_reason(expat.errors.messages[exc.code], exc.lineno or 0)
    if problem.getMessage() in _REPAIRED_XML_ERRORS:
        return None
    return _xml_reason(problem.getMessage(), problem.getLineNumber() or 0)


def _xml_reason(message: str, line: int) -> str:
    # "not well-formed (invalid token)" would say it twice after "not well-formed XML".
    reason = re.sub(r"^not well-formed \((.*)\)$", r"\1", message)
    return f"{reason}, line {line}"


def _is_html(entry: Any, key: str) -> bool:
    detail = entry.get(f"{key}_detail") or {}
    return detail.get("type") in _HTML_TYPES


def _entry_text(entry: Any, key: str) -> str:
    """A title as a reader sees it: HTML-typed ones without tags and entities decoded once.

    Why: in an Atom ``type="html"`` title (or an RSS one with markup) ``AT&amp;amp;T`` is the
    HTML ``AT&amp;T``, which reads "AT&T"; plain-text titles are left as they are.
    """
    value = str(entry.get(key, "") or "")
    return _html_text(value) if value and _is_html(entry, key) else value


# Only what looks like a tag or a comment: "5 < 6 > 4" in a title is text, not a tag.
_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.DOTALL)


def _html_text(fragment: str) -> str:
    """The text of an HTML fragment: tags dropped, then entities decoded, spaces collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def _strip_tags(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def read_labelled(
    source: str | Path | IO[bytes],
    text_column: str | None,
    label_column: str,
    fmt: str | None = None,
) -> tuple[list[str], list[str], int]:
    """Read a whole labelled file: (texts, labels, number of rows skipped for empty text/label)."""
    table = open_table(source, fmt)
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
        raw.decode("utf-8")  # every field, not only the texts, must be valid UTF-8
    except UnicodeDecodeError:
        return None
    return CsvBlock(raw, row, n, body[: ends[n - 1]], ends[:n], texts)
