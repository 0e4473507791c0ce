"""The one text normalisation shared by training, classification and dedup.

Why not scikit-learn's ``strip_accents``: ``'ascii'`` erases Cyrillic and ``'unicode'`` turns
``й`` into ``и`` and Kazakh ``ә``/``ө``/``ү`` into ``а``/``о``/``у``. Here we only fold what
carries no meaning in a headline: case, ``ё``/``е``, the many quote and dash characters,
invisible characters and runs of white space. Every letter of Russian, Kazakh and English stays.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

# Quotes: typographic and language-specific variants all become a plain ASCII quote.
_DOUBLE_QUOTES = "«»„“”‟″〝〞＂"
_SINGLE_QUOTES = "‘’‚‛′‹›`´＇"
# Dashes and minus signs become an ASCII hyphen-minus.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
# Characters that are invisible in print and only break n-grams.
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"

_TABLE: dict[int, str | None] = {}
for _c in _DOUBLE_QUOTES:
    _TABLE[ord(_c)] = '"'
for _c in _SINGLE_QUOTES:
    _TABLE[ord(_c)] = "'"
for _c in _DASHES:
    _TABLE[ord(_c)] = "-"
for _c in INVISIBLE:
    _TABLE[ord(_c)] = None
_TABLE[ord("ё")] = "е"
_TABLE[ord("Ё")] = "е"
# Control characters (tabs and newlines included) act as word breaks.
for _i in list(range(0x00, 0x20)) + list(range(0x7F, 0xA0)):
    _TABLE[_i] = " "

_SPACES = re.compile(r"\s+")
_DOTTED_I = "\u0130"  # the one character whose lower case is two characters ("i" + dot)
# Blocks outside the BMP that have lower-case mappings (Deseret, Osage, Vithkuqi, ...).
_ASTRAL_CASED = (
    (0x10400, 0x10600),
    (0x10C80, 0x10D00),
    (0x118A0, 0x11900),
    (0x16E40, 0x16EA0),
    (0x1E900, 0x1E960),
)


def _fold_char(c: str) -> str | None:
    """What one character becomes: lower case, then the table above."""
    low = c.lower()
    if len(low) != 1:
        return low
    return _TABLE.get(ord(low), low)


def _build_fold() -> dict[int, str | None]:
    fold: dict[int, str | None] = {}
    codes = [*range(0xD800), *range(0xE000, 0x10000)]
    for lo, hi in _ASTRAL_CASED:
        codes += range(lo, hi)
    for code in codes:
        c = chr(code)
        out = _fold_char(c)
        if out != c:
            fold[code] = out
    return fold


# Lower-casing by table, not str.lower(), so that the result of a character never depends on
# its neighbours (str.lower() picks Greek final sigma by context) and a batch can be folded as
# one array lookup.
_FOLD = _build_fold()


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
    text = unicodedata.normalize("NFC", text).translate(_FOLD)
    # Folding can produce decomposed sequences (e.g. "İ" -> "i̇"); recompose for idempotence.
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text).strip()


_LUT: np.ndarray | None = None
_DELETE = 0xFFFFFFFF
_SPACE = 0x20


def _lut() -> np.ndarray:
    """``_FOLD`` as an array over all code points, white space as " " (4 MB, built once)."""
    global _LUT
    if _LUT is None:
        lut = np.arange(0x110000, dtype=np.uint32)
        for code, out in _FOLD.items():
            if out is None:
                lut[code] = _DELETE
            elif len(out) == 1:
                lut[code] = ord(out)
        for code in range(0x3000 + 1):
            if chr(code).isspace():
                lut[code] = _SPACE  # what the \s+ of normalize_text matches
        lut[0] = 0  # the batch separator stays itself
        _LUT = lut
    return _LUT


def fold_codepoints(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Normalised texts as one uint32 code-point array and their start offsets.

    ``codes[offsets[i]:offsets[i + 1]]`` is ``normalize_text(texts[i])``. This is the form the
    compiled feature and dedup kernels read, so a batch is never split into Python strings.
    Texts must not contain NUL (the caller falls back to ``normalize_text`` then).
    """
    joined = unicodedata.normalize("NFC", "\x00".join(texts))
    if _DOTTED_I in joined:
        joined = joined.replace(_DOTTED_I, _FOLD[ord(_DOTTED_I)] or "")
    codes = _lut()[np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)]
    if (codes == _DELETE).any():
        codes = codes[codes != _DELETE]
    if not unicodedata.is_normalized("NFC", joined_of(codes)):
        # Rare (folding produced a composable pair): redo the exact per-text path.
        codes = np.frombuffer(
            "\x00".join(normalize_text(t) for t in texts).encode("utf-32-le"), dtype=np.uint32
        )
    else:
        # Collapse runs of spaces and strip them at both ends of every text.
        edge = (codes == _SPACE) | (codes == 0)
        drop = (codes == _SPACE) & np.concatenate(([True], edge[:-1]))
        codes = codes[~drop]
        drop = (codes == _SPACE) & np.concatenate(((codes[1:] == 0), [True]))
        codes = codes[~drop]
    seps = np.flatnonzero(codes == 0)
    offsets = np.empty(len(texts) + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:-1] = seps + 1
    offsets[-1] = codes.size + 1
    # Drop the separators themselves so that offsets index a plain concatenation.
    keep = np.ones(codes.size, dtype=bool)
    keep[seps] = False
    offsets -= np.arange(len(texts) + 1)
    return codes[keep], offsets


def joined_of(codes: np.ndarray) -> str:
    return codes.tobytes().decode("utf-32-le")


def normalize_many(texts: list[str]) -> list[str]:
    """``[normalize_text(t) for t in texts]``, several times faster on large batches."""
    if not texts:
        return []
    if any("\x00" in t for t in texts):
        return [normalize_text(t) for t in texts]
    codes, offsets = fold_codepoints(texts)
    flat = joined_of(codes)
    return [flat[offsets[i] : offsets[i + 1]] for i in range(len(texts))]
