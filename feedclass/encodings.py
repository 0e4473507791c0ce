"""Guessing and guarding a text file's encoding: UTF-8, cp1251 or cp1252; NUL bytes; mixtures.

Why this design
---------------
* Newsroom files here are UTF-8, or Excel exports in cp1251 (Russian locale) or cp1252: the
  first 64 KiB decide, on the evidence of the words (:func:`guess_8bit`), with a warning on the
  log when the evidence is weak.
* A NUL byte or UTF-8 Cyrillic inside a cp1251 file is refused with its line, wherever it is
  (:class:`NulGuard`, :class:`MixedGuard` wrap the byte stream), rather than read as mojibake.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
from typing import IO, Any

from feedclass.errors import DataError

__all__ = [
    "SNIFF_BYTES",
    "MixedGuard",
    "NulGuard",
    "check_encoding",
    "check_not_mixed",
    "decode_error",
    "detect_encoding",
    "guess_8bit",
    "line_of",
    "nul_error",
    "surrogate_at",
    "surrogate_error",
    "warn_if_weak",
]

log = logging.getLogger(__name__)

#: How much of a file decides its encoding and format.
SNIFF_BYTES = 1 << 16

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


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM), else cp1251 as Excel exports it here, or cp1252 (Latin-1
    as Windows writes it) when the bytes read as Latin words (see :func:`guess_8bit`).

    Examples
    --------
    >>> detect_encoding("Курс доллара".encode("utf-8")), detect_encoding("Курс".encode("cp1251"))
    ('utf-8', 'cp1251')
    """
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
    return guess_8bit(head)[0]


def warn_if_weak(name: str, head: bytes, encoding: str) -> None:
    """Say on the log (the CLI: stderr) when an 8-bit guess rests on little evidence.

    Examples
    --------
    >>> warn_if_weak("feed.csv", "Курс доллара вырос".encode("cp1251"), "cp1251")  # enough
    """
    if encoding not in ("cp1251", "cp1252"):
        return
    _, cyrillic, latin = guess_8bit(head)
    strong, weak = (cyrillic, latin) if encoding == "cp1251" else (latin, cyrillic)
    if strong < 3 or weak * 3 > strong:
        other = "cp1252" if encoding == "cp1251" else "cp1251"
        log.warning(
            "%s: not UTF-8; read as %s (%d words look %s, %d look %s): if the text comes out "
            "wrong, pass --encoding %s",
            name,
            encoding,
            strong,
            "Russian" if encoding == "cp1251" else "Latin",
            weak,
            "Latin" if encoding == "cp1251" else "Russian",
            other,
        )


_WORD_8BIT = re.compile(rb"[A-Za-z\xa8\xb8\xc0-\xff]+")


def guess_8bit(data: bytes) -> tuple[str, int, int]:
    """Whether 8-bit text is cp1251 (Cyrillic) or cp1252 (Latin-1), with the evidence.

    Returns the encoding and the number of words that speak for each: a word of two or more
    letters all in the upper half reads as a Russian word in cp1251, and a word that mixes
    ASCII letters with upper-half letters reads as a Latin word with accents («Café»), which
    in cp1251 would be a Cyrillic letter alone inside Latin letters («Cafй»). cp1251 wins ties:
    it is what Excel writes in a Russian locale.

    >>> guess_8bit("Café crème à la française".encode("cp1252"))[0]
    'cp1252'
    >>> guess_8bit("Курс доллара вырос".encode("cp1251"))[0]
    'cp1251'
    """
    cyrillic = latin = 0
    for word in _WORD_8BIT.findall(data):
        high = sum(1 for b in word if b >= 0xA8)
        if not high:
            continue
        if high == len(word):
            cyrillic += len(word) >= 2
        else:
            latin += 1
    return ("cp1252" if latin > cyrillic else "cp1251"), cyrillic, latin


def check_encoding(encoding: str) -> str:
    """The codec name of an encoding the user gave; an unknown one raises ``DataError``.

    Examples
    --------
    >>> check_encoding("windows-1251")
    'cp1251'
    """
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise DataError(
            f"unknown encoding {encoding!r}; use e.g. utf-8, cp1251 or cp1252 (Latin-1)"
        ) from None


def line_of(data: bytes, pos: int) -> int:
    """The 1-based line number of byte ``pos`` in ``data``.

    Examples
    --------
    >>> line_of(b"a\\nb\\nc", 4)
    3
    """
    return data.count(b"\n", 0, pos) + 1


def nul_error(name: str, line: int) -> DataError:
    """The error for a NUL byte on ``line`` of ``name``: binary data, not a text feed.

    Examples
    --------
    >>> str(nul_error("feed.csv", 3)).startswith("feed.csv, line 3: a NUL byte")
    True
    """
    return DataError(
        f"{name}, line {line}: a NUL byte: binary data, not a text feed (CSV, TSV, JSONL, RSS "
        "or lines); remove it or re-export the file"
    )


class NulGuard(io.RawIOBase):
    """A byte stream that fails at the first NUL byte, naming its line.

    Why: the first 64 KiB are checked before the format is known; without this a NUL further
    on would be read as text by one reader and refused by another.

    Examples
    --------
    >>> NulGuard("feed.csv", io.BytesIO(b"a\\nb\\x00"), 1).read()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    feedclass.errors.DataError: feed.csv, line 2: a NUL byte: binary data, not a text feed ...
    """

    def __init__(self, name: str, raw: IO[bytes], first_line: int) -> None:
        self._name = name
        self._raw = raw
        self._line = first_line  # the line the next byte is on

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        if n:
            at = data.find(b"\x00")
            if at >= 0:
                raise nul_error(self._name, self._line + data.count(b"\n", 0, at))
            self._line += data.count(b"\n")
            buffer[:n] = data
        return n


def check_not_mixed(name: str, head: bytes) -> None:
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
        bad = line_of(head, exc.start)
    else:  # pragma: no cover - the caller reads cp1251 only because this failed
        return
    good = line_of(head, found)
    if good < bad:
        where = f"line {bad} is not UTF-8 while earlier lines are"
    elif good > bad:
        where = f"line {good} is UTF-8 but line {bad} is not"
    else:
        where = f"line {bad} mixes UTF-8 with another encoding"
    raise DataError(f"{name}: mixed encodings: {where}; re-save the file as UTF-8")


class MixedGuard(io.RawIOBase):
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


_SURROGATE = re.compile("[\ud800-\udfff]")


def surrogate_at(text: str) -> int:
    r"""Where the first lone UTF-16 surrogate (U+D800..U+DFFF) in ``text`` is, or -1.

    JSON may write one as an escape (``"\ud800"``) and Python then holds it in a str, but it
    is no character: no UTF-8 file can hold it, so writing the row out would fail. A valid
    pair (``"\ud83d\ude00"``) is read as one character and is never found here.

    Examples
    --------
    >>> surrogate_at("Пожар \ud800 в Алматы"), surrogate_at("Пожар \U0001f525")
    (6, -1)
    """
    found = _SURROGATE.search(text)
    return -1 if found is None else found.start()


def surrogate_error(where: str, text: str, pos: int) -> DataError:
    r"""The one message for a lone surrogate at ``pos`` of ``text``, for ``where`` (file and
    line, or a field).

    Examples
    --------
    >>> print(surrogate_error("feed.jsonl, line 3", "a\udc00", 1))  # doctest: +ELLIPSIS
    feed.jsonl, line 3: a lone UTF-16 surrogate (\udc00) at character 2: not a character...
    """
    return DataError(
        f"{where}: a lone UTF-16 surrogate (\\u{ord(text[pos]):04x}) at character {pos + 1}: "
        "not a character (a broken \\uXXXX escape?); fix or remove it"
    )


def decode_error(
    name: str, row: int, exc: UnicodeDecodeError, encoding: str | None = None
) -> DataError:
    """The error for bytes that do not decode, naming the row they are on and the encoding
    they were read in (``encoding``; Python names every 8-bit codec's error "charmap").

    ``row`` is the one being read; the bad bytes may lie some lines further on.

    Why: the text stream decodes a block ahead of the reader, so the error comes while an
    earlier row is being read. Counted from there, line ends before the bad byte give its row
    (exactly, unless a quoted field in between spans lines).

    Examples
    --------
    >>> try:
    ...     b"ok\\nbad \\xff".decode("utf-8")
    ... except UnicodeDecodeError as exc:
    ...     print(decode_error("feed.csv", 2, exc))
    feed.csv, row 3: bytes that are not valid utf-8 text; save the file as UTF-8
    """
    encoding = encoding or ("cp1251" if exc.encoding == "charmap" else exc.encoding)
    if isinstance(exc.object, (bytes, bytearray)):
        row += exc.object.count(b"\n", 0, exc.start)
    return DataError(
        f"{name}, row {row}: bytes that are not valid {encoding} text; save the file as UTF-8"
    )
