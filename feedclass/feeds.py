"""Reading RSS and Atom feeds into rows: one per item, its title and link first.

Why this design
---------------
* feedparser reads every RSS and Atom dialect, but forgives broken XML by losing or cutting
  items; so a document that is not well-formed is refused (with its line) unless the only
  errors are ones feedparser repairs without loss (HTML entities, undeclared prefixes).
* A feed that defines its own DTD is refused: entity definitions are how XML bombs work.
* A feed that is not UTF-8 and declares nothing is taken as cp1251 (or cp1252 on the evidence),
  as the CSV readers do (:mod:`feedclass.encodings`).
"""

from __future__ import annotations

import codecs
import html
import re
from dataclasses import dataclass
from typing import Any

from feedclass.encodings import SNIFF_BYTES, decode_error, guess_8bit, line_of
from feedclass.errors import DataError

__all__ = ["RSS_COLUMNS", "XML_DECL", "Feed", "read_feed"]

RSS_COLUMNS = ["title", "link", "id", "published", "summary", "text"]


@dataclass
class Feed:
    """An RSS/Atom document read: its items as rows (``RSS_COLUMNS``) and the channel's header.

    Examples
    --------
    >>> Feed([["Title", "", "", "", "", "Title"]], "Desk", "https://example.kz", "").title
    'Desk'
    """

    rows: list[list[str]]
    title: str
    link: str
    description: str


# Expat errors that feedparser's fallback parser repairs without losing an item: HTML entities
# such as &nbsp; that XML does not define, and prefixes (media:, yandex:) used undeclared.
_REPAIRED_XML_ERRORS = frozenset({"undefined entity", "unbound prefix"})
_HTML_TYPES = ("text/html", "application/xhtml+xml")


XML_DECL = re.compile(rb"\s*<\?xml\b[^>]*?\?>")
"""An XML declaration at the start of a document (``<?xml version="1.0" ...?>``)."""


def _as_utf8_xml(name: str, data: bytes, encoding: str) -> bytes:
    """An XML document in ``encoding`` (given by the user), recoded as UTF-8 and declared so."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise decode_error(name, 1, exc) from None
    decl = XML_DECL.match(text.encode("utf-8"))
    body = text.encode("utf-8")
    return b'<?xml version="1.0" encoding="utf-8"?>' + (body[decl.end() :] if decl else body)


def _declare_cp1251(data: bytes) -> bytes:
    """A feed that is not UTF-8 and declares no encoding, declared as cp1251.

    Why: XML without a declaration is UTF-8 by rule, so feedparser falls back to windows-1252
    and Cyrillic comes out as «Ïðèâåò». Here such a file is a Windows export in cp1251, as CSV
    files without a BOM are taken to be.
    """
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data
    decl = XML_DECL.match(data)
    if decl is not None and b"encoding" in decl.group(0):
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        guess = guess_8bit(data[:SNIFF_BYTES])[0]
        label = b"windows-1252" if guess == "cp1252" else b"windows-1251"
        new = b'<?xml version="1.0" encoding="' + label + b'"?>'
        return new + (data[decl.end() :] if decl is not None else data)
    return data


_INTERNAL_DTD = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)


def read_feed(
    name: str, data: bytes, encoding: str | None = None, with_summary: bool = False
) -> Feed:
    """The items of an RSS or Atom document, one row per item (columns ``RSS_COLUMNS``).

    Parameters
    ----------
    name : str
        The file's name, for error messages.
    data : bytes
        The whole document.
    encoding : str or None
        The encoding the user gave (the document is recoded as UTF-8 first), or None to go by
        the document's declaration, else UTF-8, else a cp1251/cp1252 guess.
    with_summary : bool
        Put the item's description/summary after its title in ``text``.

    Examples
    --------
    >>> doc = (b"<rss version='2.0'><channel><title>Desk</title><item><title>Pozhar v Almaty"
    ...        b"</title><link>https://example.kz/1</link></item></channel></rss>")
    >>> feed = read_feed("example.rss", doc)
    >>> feed.title, feed.rows[0][:2]
    ('Desk', ['Pozhar v Almaty', 'https://example.kz/1'])
    """
    if encoding is not None and not encoding.startswith("utf-8"):
        data = _as_utf8_xml(name, data, encoding)
    return _parse_feed(name, data, with_summary)


def _parse_feed(name: str, data: bytes, with_summary: bool) -> Feed:
    import feedparser  # imported lazily: only feeds need it

    dtd = _INTERNAL_DTD.search(data[:SNIFF_BYTES])
    if dtd is not None:
        raise DataError(
            f"{name}, line {line_of(data, dtd.start())}: the feed defines its own DTD "
            "(<!DOCTYPE ... [ ... ]>), which feedclass refuses even when harmless: entity "
            "definitions are how XML bombs and external-entity attacks work; remove the "
            "DOCTYPE (real RSS and Atom feeds have none)"
        )
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

    return Feed(
        rows,
        str(parsed.feed.get("title", "") or ""),
        str(parsed.feed.get("link", "") or ""),
        # feedparser keeps an RSS channel's <description> as "subtitle"
        str(parsed.feed.get("subtitle", "") or ""),
    )


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
