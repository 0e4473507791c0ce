"""The one text normalisation shared by training, classification and dedup.

Why not scikit-learn's ``strip_accents``: ``'ascii'`` erases Cyrillic and ``'unicode'`` turns
``й`` into ``и`` and Kazakh ``ә``/``ө``/``ү`` into ``а``/``о``/``у``. Here we only fold what
carries no meaning in a headline, as real feeds write it differently:

* compatibility forms (NFKC: full-width ``ｆｕｌｌ``, ligatures, superscripts, ``№``, odd spaces);
* markup left in a headline: HTML entities (``&laquo;``, ``&amp;nbsp;``) are decoded, HTML tags,
  links (``https://…``, ``www.…``) and @mentions become a space, a hashtag loses its ``#``;
* pictographs (emoji, flags, ``▶``) become a space; invisible characters are dropped;
* look-alike letters of the other script inside a word, and Kazakh in its 2021 Latin alphabet
  (:mod:`feedclass.scripts`);
* case, ``ё``/``е``, the many quote and dash characters, runs of white space.

Every letter of the words of Russian, Kazakh and English stays (a look-alike becomes its twin,
Kazakh Latin its Cyrillic letter); only tags and links, which are not words, lose theirs.
"""

from __future__ import annotations

import html.entities
import re
import unicodedata

import numpy as np

from feedclass.encodings import surrogate_at, surrogate_error
from feedclass.scripts import NO_SEPARATOR, fold_script_codes

__all__ = [
    "DELETED",
    "INVISIBLE",
    "clean_text",
    "fold_codepoints",
    "fold_table",
    "normalize_many",
    "normalize_text",
]

# Quotes: typographic and language-specific variants all become a plain ASCII quote.
_DOUBLE_QUOTES = "«»„“”‟″〝〞＂"
_SINGLE_QUOTES = "‘’‚‛′‹›`´＇"
# Dashes and minus signs become an ASCII hyphen-minus.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
# Characters that are invisible in print and only break n-grams.
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
# Also invisible, but only as part of an emoji: variation selectors, the keycap, tag letters.
_EMOJI_PARTS = [0x20E3, *range(0xFE00, 0xFE10), *range(0xE0020, 0xE0080), *range(0xE0100, 0xE01F0)]
# Pictographs are symbols (category So) from the arrows block up; below it are ©, ® and °,
# which are kept. The planes above the BMP where emoji live are listed for the tables.
_PICTO_FROM = 0x2190
_ASTRAL_SYMBOLS = ((0x1F000, 0x1FB00),)


def _pictographs() -> list[int]:
    codes = [*range(_PICTO_FROM, 0xD800), *range(0xE000, 0x10000)]
    for lo, hi in _ASTRAL_SYMBOLS:
        codes += range(lo, hi)
    out = [c for c in codes if unicodedata.category(chr(c)) == "So"]
    # emoji skin tones are modifier symbols (Sk), part of the emoji before them
    return out + [c for c in range(0x1F3FB, 0x1F400) if c not in out]


_PICTOGRAPHS = _pictographs()
# What clean_text drops or blanks before anything else (str.translate table).
_DROP: dict[int, str | None] = {ord(c): None for c in INVISIBLE}
_DROP.update(dict.fromkeys(_EMOJI_PARTS))
_DROP.update(dict.fromkeys(_PICTOGRAPHS, " "))


# The same set as a mask over code points (a lookup, far faster than a regex's long class).
_DROP_MASK = np.zeros(0x110000, dtype=np.bool_)
_DROP_MASK[list(_DROP)] = True


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _hint_positions(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where ``codes`` may hold markup (``&``, ``<``, ``://``, ``www.`` in any case) and where
    a hashtag or mention (``#``, ``@``): the places ``_BATCH_HINT_RE`` matches (array steps;
    a regex scan of a whole batch is slower than the rest of the fold)."""
    markup = [np.flatnonzero((codes == 38) | (codes == 60))]
    if codes.size >= 3:
        colon = np.flatnonzero(codes[:-2] == 58)
        markup.append(colon[(codes[colon + 1] == 47) & (codes[colon + 2] == 47)])
    if codes.size >= 4:
        dot = np.flatnonzero(codes[3:] == 46) + 3
        w = [(codes[dot - k] | 0x20) == 0x77 for k in (1, 2, 3)]
        markup.append(dot[w[0] & w[1] & w[2]] - 3)
    return np.concatenate(markup), np.flatnonzero((codes == 35) | (codes == 64))


def _hints(codes: np.ndarray) -> tuple[bool, bool]:
    """Whether ``codes`` may hold markup, and whether a hashtag or mention (see above)."""
    markup, sigil = _hint_positions(codes)
    return bool(markup.size), bool(sigil.size)


# An entity needs its semicolon, so "AT&T" and "M&A" stay as they are.
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# A tag has an ASCII name right after "<" ("<b>", "</a>", "<br/>", '<a href="…">') or is a
# comment; "<Ёлка>" and "a < b" are text.
_TAG_RE = re.compile(
    r"<(?:/?[A-Za-z][A-Za-z0-9]{0,15}(?:[\s/][^<>\x00\n]{0,300})?|!--[^\x00\n]{0,300}?--)>"
)
_LINK_RE = re.compile(r"(?:\b[a-z][a-z0-9+.-]{1,15}://|\bwww\.)[^\s\x00<>\"'«»]*", re.IGNORECASE)
# "#Алматы": the sign goes, the word stays; "@qazaq_news" is an account, not a word: it goes.
_SIGIL_RE = re.compile(r"(?<![^\s\x00])(?:#+(?=[^\W\d_])|@[A-Za-z0-9_]{2,}(?!\w))")
# Texts the batch path hands to clean_text one by one: they may hold markup, tags or mentions.
_BATCH_HINT_RE = re.compile(r"[&<#@]|://|www\.", re.IGNORECASE)


def _entity(m: re.Match[str]) -> str:
    """The character(s) an entity stands for; itself when it stands for nothing we can print."""
    name = m.group(1)
    if name[0] == "#":
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        if code == 0 or code > 0x10FFFF or 0xD800 <= code < 0xE000:
            return m.group()
        out = chr(code)
    else:
        found = html.entities.html5.get(name + ";") or html.entities.html5.get(name.lower() + ";")
        if found is None:
            return m.group()
        out = found
    # a control character (a newline too: it separates headlines) is a word break
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in out)


def clean_text(text: str, separator: str | None = "\x00") -> str:
    """The case-keeping half of :func:`normalize_text`: forms, markup, pictographs, scripts.

    NFKC, invisible characters dropped, pictographs blanked, look-alike letters and Kazakh
    Latin folded (:func:`feedclass.scripts.fold_scripts`; ``separator`` splits documents,
    ``None`` for one),
    HTML entities decoded, tags, links and @mentions blanked, hashtag signs dropped; repeated
    until nothing changes (``&amp;laquo;`` is decoded twice). Dedup runs it before stripping
    newsroom marks, which need the letter case.

    Examples
    --------
    >>> clean_text("⚡️СРОЧНО: &laquo;Пpeзидент&raquo; <b>подписал</b> https://t.me/x/1").split()
    ['СРОЧНО:', '«Президент»', 'подписал']
    """
    for _ in range(len(text) + 2):  # decoding shortens the text; the other steps settle at once
        prev = text
        text = unicodedata.normalize("NFKC", text)
        codes = _codes(text)
        if _DROP_MASK[codes].any():
            text = text.translate(_DROP)
            codes = _codes(text)
        folded, changed = fold_script_codes(
            codes, NO_SEPARATOR if separator is None else ord(separator)
        )
        if changed:
            text = folded.tobytes().decode("utf-32-le", "surrogatepass")
        markup, sigil = _hints(folded)
        if markup:
            text = _ENTITY_RE.sub(_entity, text)
            text = _TAG_RE.sub(" ", text)
            text = _LINK_RE.sub(" ", text)
        if sigil:
            text = _SIGIL_RE.sub("", text)
        if text == prev:
            break
    return text


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

    Idempotent and total on any Unicode string. Every letter of a word stays a letter (a
    look-alike becomes its twin, Kazakh Latin its Cyrillic letter); tags, links and
    pictographs, which are not words, become a space.

    Examples
    --------
    >>> normalize_text("  «Ёлка»  —  ЖАҢА   жыл ")
    '"елка" - жаңа жыл'
    >>> normalize_text("⚡️СРОЧНО: Пpeзидент&nbsp;подписал ｚａｋｏｎ #Алматы")
    'срочно: президент подписал zakon алматы'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__} instead")
    # NFKC first (inside clean_text) so that "и" + combining breve becomes "й", never split.
    # One document: a NUL inside the text becomes a space below, so it must not split it here.
    for _ in range(len(text) + 2):
        folded = unicodedata.normalize("NFKC", clean_text(text, None).translate(_FOLD))
        # Folding can leave a composable pair ("Ё" + diaeresis -> "е" + diaeresis -> "ё"):
        # fold again until nothing changes (each round composes a mark away).
        if folded == text:
            break
        text = folded
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


#: What :func:`fold_table` gives a character that is dropped.
DELETED = _DELETE


def fold_table() -> np.ndarray:
    """Per code point, what the character-by-character fold makes of it (a read-only view).

    Lower case, ``ё`` -> ``е``, quotes and dashes, white space and controls as a space,
    pictographs as a space, invisible characters as :data:`DELETED`. The rules that read a
    character's neighbours (NFKC, markup, look-alike letters) are not in it.

    Examples
    --------
    >>> table = fold_table()
    >>> chr(table[ord("Ё")]), chr(table[ord("«")]), bool(table[0xAD] == DELETED)
    ('е', '"', True)
    """
    view = _lut().view()
    view.flags.writeable = False
    return view


def fold_codepoints(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Normalised texts as one uint32 code-point array and their start offsets.

    ``codes[offsets[i]:offsets[i + 1]]`` is ``normalize_text(texts[i])``. This is the form the
    compiled feature and dedup kernels read, so a batch is never split into Python strings.
    Texts must not contain NUL (the caller falls back to ``normalize_text`` then).
    """
    # NFKC only the texts that may need it: one "…" or "№" would send the whole joined batch
    # down the slow path, and a check per text costs a Python call per headline.
    parts = list(texts)
    joined = "\x00".join(parts)
    codes = _codes(joined)
    stable = _nfkc_stable()
    risky = np.flatnonzero(~stable[np.minimum(codes, stable.size - 1)])
    if risky.size:
        for i in _texts_at(codes, risky):
            parts[i] = unicodedata.normalize("NFKC", parts[i])
        joined = "\x00".join(parts)
        codes = _codes(joined)
    hints = np.concatenate(_hint_positions(codes))
    if hints.size:
        # Markup, tags and mentions are rare: the texts that may hold some are normalised one
        # by one (all rounds; the steps below leave the result as it is), the rest take the
        # steps below, which equal normalize_text there.
        for i in _texts_at(codes, hints):
            parts[i] = unicodedata.normalize("NFKC", normalize_text(texts[i]))
        joined = "\x00".join(parts)
        codes = _codes(joined)
    drop = np.flatnonzero(_DROP_MASK[codes])
    if drop.size:
        # Translating only the texts that hold such a character: str.translate is slow.
        for i in _texts_at(codes, drop):
            parts[i] = parts[i].translate(_DROP)
        joined = "\x00".join(parts)
    if _DOTTED_I in joined:
        joined = joined.replace(_DOTTED_I, _FOLD[ord(_DOTTED_I)] or "")
    try:
        raw = joined.encode("utf-32-le")
    except UnicodeEncodeError as exc:
        # A lone surrogate (a broken "\ud800" escape) is no character: say which text holds it.
        i = joined.count("\x00", 0, exc.start)
        text = parts[i]
        raise surrogate_error(f"text {i}", text, surrogate_at(text)) from None
    codes = _lut()[np.frombuffer(raw, dtype=np.uint32)]
    if (codes == _DELETE).any():
        codes = codes[codes != _DELETE]
    # Look-alikes after lower-casing: the script maps commute with it (see feedclass.scripts).
    codes, _ = fold_script_codes(codes, 0)
    if not unicodedata.is_normalized("NFKC", joined_of(codes)):
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


_STABLE: np.ndarray | None = None


def _nfkc_stable() -> np.ndarray:
    """Code points below U+3000 that NFKC leaves as they are whatever their neighbours are.

    Not stable: a character NFKC changes, a combining mark (reordered, composed) and the
    second character of a canonical composition (Hangul vowels, some Indic signs). The last
    entry stands for every code point from U+3000 up, all treated as not stable.
    """
    global _STABLE
    if _STABLE is None:
        stable = np.ones(0x3001, dtype=np.bool_)
        stable[-1] = False
        for code in range(0x3000):
            c = chr(code)
            if unicodedata.combining(c) or unicodedata.normalize("NFKC", c) != c:
                stable[code] = False
        for code in range(0x10000):
            parts = unicodedata.decomposition(chr(code)).split()
            if len(parts) == 2 and not parts[0].startswith("<"):
                second = int(parts[1], 16)
                if second < 0x3000:
                    stable[second] = False
        for code in range(0x1100, 0x1200):  # Hangul jamo compose by rule, not by table
            stable[code] = False
        _STABLE = stable
    return _STABLE


def _texts_at(codes: np.ndarray, positions: list[int] | np.ndarray) -> list[int]:
    """Which texts of a NUL-joined batch (``codes``) the code positions fall in, distinct."""
    seps = np.flatnonzero(codes == 0)
    return np.unique(np.searchsorted(seps, np.asarray(positions, dtype=np.int64))).tolist()


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
