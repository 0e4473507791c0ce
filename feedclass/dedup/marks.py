"""Newsroom marks: prefixes and tails that say nothing about the story («Срочно:», « - ТАСС»).

They differ between outlets that run the same story, so they are stripped before anything is
compared.
"""

from __future__ import annotations

import re

import numpy as np

from feedclass.dedup.wordlists import MARK_WORDS, SOURCE_NAMES
from feedclass.errors import DataError
from feedclass.hashing import code_points

__all__ = ["strip_lines", "strip_marks_where_possible", "strip_source_marks", "tail_span"]

_PREFIX_RE = re.compile(
    rf"^[^\S\n]*(?:[\[(][^\S\n]*(?:{MARK_WORDS})[^\S\n]*[\])][^\S\n]*[:.!|-]?|(?:{MARK_WORDS})[^\S\n]*[:!|.]+|"
    rf"(?:{MARK_WORDS})[^\S\n]+[-\u2013\u2014][^\S\n])[^\S\n]*",
    re.IGNORECASE | re.MULTILINE,
)
TAIL_RE = re.compile(
    rf"[^\S\n]*(?:[\[(][^\S\n]*(?:{MARK_WORDS}|{SOURCE_NAMES}|фото[^\S\n]*[,+и][^\S\n]*видео|видео[^\S\n]*[,+и][^\S\n]*фото|"
    rf"\d{{1,2}}[^\S\n]*\+)[^\S\n]*[\])]|[-\u2013\u2014|/:][^\S\n]*(?:{SOURCE_NAMES})|"
    # after a headline's " | ", a site or section name of its own: a few words, no figures (a
    # date there is a fact: «Погода в Алматы | 5 мая»), no colon or quotes (a quote is news)
    rf"(?<=[^\n]{{20}}\s)\|[^\S\n]+[^\W\d][^|\n\d:«»\"]{{0,39}}|"
    rf"[.|:][^\S\n]*(?:фото|видео|фото[^\S\n]*[,+и][^\S\n]*видео|видео[^\S\n]*[,+и][^\S\n]*фото|photos?|video))[^\S\n]*[.!]?[^\S\n]*$",
    re.IGNORECASE | re.MULTILINE,
)


def strip_source_marks(text: str) -> str:
    """Remove newsroom prefixes and tails («Срочно:», «ВИДЕО:», « - РИА Новости», «| Tengrinews»).

    They differ between outlets that run the same story, so they only add noise to similarity.
    Stacked marks are removed too; a headline that is nothing but a mark is kept as it was.

    Examples
    --------
    >>> strip_source_marks("Срочно: ВИДЕО: Пожар в Алматы - РИА Новости")
    'Пожар в Алматы'
    """
    if not isinstance(text, str):
        raise DataError(f"text must be a str; got {type(text).__name__} instead")
    return strip_lines(text.replace("\n", " "))


TAIL_REACH = 160  # a tail mark is never longer than this; the tail regex looks only there


# Every tail mark starts (after blanks) with one of these characters.
_TAIL_LEAD_RE = re.compile(r"[\[(\-\u2013\u2014|/:.]")


def tail_span(line: str) -> tuple[int, int] | None:
    """Where ``TAIL_RE.search`` over the line's last ``TAIL_REACH`` characters would match.

    The same leftmost match, but tried only where a tail can begin (a bracket, dash, bar,
    slash, colon or dot) instead of at every character, which is most of the work saved.
    """
    lo = max(0, len(line) - TAIL_REACH)
    for lead in _TAIL_LEAD_RE.finditer(line, lo):
        p = lead.start()
        m = TAIL_RE.match(line, p)
        if m:
            while p > lo and line[p - 1] != "\n" and line[p - 1].isspace():
                p -= 1
            return (p, m.end()) if m.end() > p else None
    return None


def _strip_line(line: str) -> str:
    """Strip stacked marks from one headline; a headline that is only marks stays as it was."""
    out = line
    for _ in range(3):
        new = out
        m = _PREFIX_RE.match(new)
        if m and m.end():
            new = new[m.end() :]
        span = tail_span(new)
        if span is not None:
            new = new[: span[0]] + new[span[1] :]
        if new == out:
            break
        out = new
    return out if out.strip() else line


def strip_lines(joined: str) -> str:
    """Strip marks on every line of ``joined`` (one headline per line).

    Line by line with an anchored prefix match and a tail search over the line's end only: a
    whole-text ``sub`` tries the (long) patterns at every character and was the slow part.
    """
    return "\n".join([_strip_line(t) for t in joined.split("\n")])


# Lines that can hold a newsroom mark contain one of these characters (or end in ". Фото"); the
# mark regexes run on those lines only.
_MARK_CHAR = np.zeros(0x110000, dtype=np.bool_)
_MARK_CHAR[[ord(c) for c in "[(:!|/-\u2013\u2014"]] = True
_DOT_TAIL_RE = re.compile(
    r"[.][^\S\n]*(?:фото|видео|photos?|video)[^\S\n]*[.!]?[^\S\n]*$", re.IGNORECASE | re.MULTILINE
)


def strip_marks_where_possible(texts: list[str], joined: str) -> str:
    """``strip_lines(joined)``, with the regexes run only on lines that can hold a mark."""
    raw = code_points(joined)
    nl = np.flatnonzero(raw == 10)
    hit = np.flatnonzero(_MARK_CHAR[raw])
    rows = np.searchsorted(nl, hit)  # line of each hit
    dot = [m.start() for m in _DOT_TAIL_RE.finditer(joined)]
    if dot:
        # string offsets equal code-point offsets (one uint32 per character)
        rows = np.concatenate((rows, np.searchsorted(nl, np.array(dot, dtype=np.int64))))
    rows = np.unique(rows)
    if rows.size == 0:
        return joined
    if rows.size * 2 > len(texts):
        return strip_lines(joined)
    sel = [texts[k] for k in rows.tolist()]
    new = strip_lines("\n".join(sel)).split("\n")
    out = list(texts)
    for k, t in zip(rows.tolist(), new, strict=True):
        out[k] = t
    return "\n".join(out)
