"""The one text normalisation shared by training, classification and dedup.

Why not scikit-learn's ``strip_accents``: ``'ascii'`` erases Cyrillic and ``'unicode'`` turns
``й`` into ``и`` and Kazakh ``ә``/``ө``/``ү`` into ``а``/``о``/``у``. Here we only fold what
carries no meaning in a headline: case, ``ё``/``е``, the many quote and dash characters,
invisible characters and runs of white space. Every letter of Russian, Kazakh and English stays.
"""

from __future__ import annotations

import re
import unicodedata

# Quotes: typographic and language-specific variants all become a plain ASCII quote.
_DOUBLE_QUOTES = "«»„“”‟″〝〞＂"
_SINGLE_QUOTES = "‘’‚‛′‹›`´＇"
# Dashes and minus signs become an ASCII hyphen-minus.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
# Characters that are invisible in print and only break n-grams.
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"

_TABLE: dict[int, str | None] = {}
for _c in _DOUBLE_QUOTES:
    _TABLE[ord(_c)] = '"'
for _c in _SINGLE_QUOTES:
    _TABLE[ord(_c)] = "'"
for _c in _DASHES:
    _TABLE[ord(_c)] = "-"
for _c in _INVISIBLE:
    _TABLE[ord(_c)] = None
_TABLE[ord("ё")] = "е"
_TABLE[ord("Ё")] = "е"
# Control characters (tabs and newlines included) act as word breaks.
for _i in list(range(0x00, 0x20)) + list(range(0x7F, 0xA0)):
    _TABLE[_i] = " "

_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Fold a headline to the form every model and the dedup index see.

    Idempotent, total on any Unicode string, and it never removes a letter.

    Examples
    --------
    >>> normalize_text("  «Ёлка»  —  ЖАҢА   жыл ")
    '"елка" - жаңа жыл'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__} instead")
    # NFC first so that "и" + combining breve becomes "й" and is never split.
    text = unicodedata.normalize("NFC", text)
    text = text.lower().translate(_TABLE)
    # lower() can produce decomposed sequences (e.g. "İ" -> "i̇"); recompose for idempotence.
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text).strip()


def normalize_many(texts: list[str]) -> list[str]:
    """Normalise a batch in one pass over one joined string (much faster than a loop)."""
    if not texts:
        return []
    sep = "\x00"
    joined = sep.join(texts)
    if joined.count(sep) != len(texts) - 1:
        # A text contains our separator: fall back to the per-item path.
        return [normalize_text(t) for t in texts]
    joined = unicodedata.normalize("NFC", joined).lower().translate(_TABLE_BATCH)
    joined = unicodedata.normalize("NFC", joined)
    parts = joined.split(sep)
    return [_SPACES.sub(" ", p).strip() for p in parts]


# The batch table keeps NUL as the separator instead of turning it into a space.
_TABLE_BATCH = dict(_TABLE)
del _TABLE_BATCH[0]
