"""Columns and cells: which column holds the headline, a cell as text, a time cell as seconds.

Shared by the readers, the writers and the feed jobs, so that none of them imports another for
these (the writers render RSS dates with :func:`parse_time`, which the feed jobs read times with).
"""

from __future__ import annotations

import datetime as dt
import json
from email.utils import parsedate_to_datetime
from typing import Any

from feedclass.errors import DataError

__all__ = [
    "HEADLINE_NAMES",
    "TEXT_NAMES",
    "cell_text",
    "check_seconds",
    "check_single_column",
    "find_text_column",
    "jsonl_columns",
    "parse_time",
]

# Column names that usually hold the headline, best first. Kazakh: тақырып = title, мәтін = text.
HEADLINE_NAMES = ("title", "headline", "заголовок", "название", "тақырып", "heading")
TEXT_NAMES = ("text", "текст", "мәтін", "content", "body", "description", "summary", "news")


def find_text_column(columns: list[str], requested: str | None, name: str = "input") -> str:
    """Pick the column holding the headline, or fail listing the columns.

    ``requested`` (matched ignoring case) wins; else a single column, else the one column named
    like a headline (:data:`HEADLINE_NAMES`), else like a text (:data:`TEXT_NAMES`). A column
    whose name appears twice in the header is refused rather than read from its first copy:
    which of the two holds the headline is anyone's guess.

    Examples
    --------
    >>> find_text_column(["id", "Заголовок", "date"], None)
    'Заголовок'
    >>> find_text_column(["id", "title"], "TITLE")
    'title'
    """
    chosen = _find_text_column(columns, requested, name)
    check_single_column(columns, chosen, name)
    return chosen


def check_single_column(columns: list[str], column: str, name: str = "input") -> None:
    """Refuse a header that names ``column`` more than once.

    Examples
    --------
    >>> check_single_column(["title", "label"], "label")
    """
    at = [str(i + 1) for i, c in enumerate(columns) if c == column]
    if len(at) > 1:
        raise DataError(
            f"{name}: the header names column {column!r} {len(at)} times (columns "
            f"{', '.join(at)}); rename all but one so it is clear which to read"
        )


def _find_text_column(columns: list[str], requested: str | None, name: str) -> str:
    if requested is not None:
        if requested in columns:
            return requested
        folded = {c.lower(): c for c in columns}
        if requested.lower() in folded:
            return folded[requested.lower()]
        raise DataError(
            f"{name}: no column {requested!r}; columns are: {', '.join(columns) or '(none)'}"
        )
    if len(columns) == 1:
        return columns[0]
    lowered = [c.strip().lower() for c in columns]
    for tier in (HEADLINE_NAMES, TEXT_NAMES):
        hits = [columns[i] for i, c in enumerate(lowered) if c in tier]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise DataError(
                f"{name}: several columns could hold the headline ({', '.join(hits)}); "
                "choose one with --text-column"
            )
    raise DataError(
        f"{name}: cannot tell which column holds the headline; columns are: "
        f"{', '.join(columns)}; choose one with --text-column"
    )


def jsonl_columns(rows: list[dict]) -> list[str]:
    """Keys in order of first appearance over some JSONL rows.

    Examples
    --------
    >>> jsonl_columns([{"id": 1, "title": "a"}, {"title": "b", "topic": "x"}])
    ['id', 'title', 'topic']
    """
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def cell_text(value: Any) -> str:
    """A cell as text: None and NaN become empty, numbers their usual form.

    Examples
    --------
    >>> cell_text(None), cell_text(float("nan")), cell_text(5), cell_text({"a": "б"})
    ('', '', '5', '{"a": "б"}')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value != value:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


#: Seconds since the epoch of 10000-01-01: a time past it (or before year 1) is no date.
MAX_SECONDS = 253402300800.0


def check_seconds(seconds: float, value: object = None) -> float:
    """``seconds`` if it is a finite time between the years 1 and 9999, else ``ValueError``.

    "nan", "inf" and 1e300 read as floats; kept, they sorted after every dated row, were
    stored as a JSON ``Infinity`` no strict parser reads, or overflowed when written as dates.

    Examples
    --------
    >>> check_seconds(1700000000.0)
    1700000000.0
    >>> check_seconds(float("inf"), "inf")
    Traceback (most recent call last):
    ...
    ValueError: 'inf' is not a time: Unix seconds must be finite and within the years 1-9999
    """
    if not -62135596800.0 <= seconds < MAX_SECONDS:  # False for NaN too
        shown = value if value is not None else seconds
        raise ValueError(
            f"{shown!r} is not a time: Unix seconds must be finite and within the years 1-9999"
        )
    return seconds


def parse_time(value: str) -> float:
    """Seconds since the epoch from ISO 8601, RFC 822 (RSS pubDate) or a plain number.

    Naive times are taken as UTC; ``ValueError`` if ``value`` is none of these.

    Examples
    --------
    >>> parse_time("1700000000"), parse_time("2023-11-14T22:13:20Z")
    (1700000000.0, 1700000000.0)
    >>> parse_time("Tue, 14 Nov 2023 22:13:20 +0000")
    1700000000.0
    """
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return check_seconds(seconds, value)
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            raise ValueError(value) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.timestamp()
