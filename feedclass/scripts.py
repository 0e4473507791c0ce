"""Scripts: a word written in two alphabets, and Kazakh written in its 2021 Latin alphabet.

Copy-paste from Telegram, OCR and hurried typing put Latin look-alikes into Cyrillic words
(``Пpeзидент`` with a Latin ``p`` and ``e``) and Cyrillic ones into Latin words; to a model
such a word is a word it never saw. Kazakh is also written in the Latin alphabet of 2021
(``Qazaqstan``, ``jaña mektep``). Both are undone here by rules on Unicode script structure,
never by lists of words:

* **look-alike letters** are folded only inside a word that mixes the two scripts, only towards
  the script most of the word's letters are in, and only if every letter of the other script
  has a look-alike there. A tie goes to the script that has a letter without a look-alike in
  the word, else to the one that has more such letters in the headline (letters no fold makes
  or unmakes, so a second pass decides alike), else the word stays as it is. A letter with a
  combining mark after it is left as it is. Kazakh letters (``әғқңөұүһі``)
  have no Latin look-alike here, so they are never folded away; a Latin ``i`` in a Cyrillic
  word becomes the Kazakh ``і``, as typed on a keyboard without it.
* **Kazakh Latin** headlines are written in Cyrillic: a headline (a stretch between
  separators) with no Cyrillic letter, every Latin letter one of the 2021 alphabet's (combining
  marks do not count), at least one of its own letters (``ä ğ ñ ö ş ū ü ı``, which no English word
  has), and at least a third of its words with one of them or a ``q`` (so an English headline
  that names Erdoğan or Müller stays English); ``i`` after a vowel is ``й``. A Turkish headline
  without c, w or x can still read as Kazakh, and loanwords come back as spelt
  (``elektr`` -> ``електр``): both are rare in our feeds.

Both rules map letters to letters one for one, so positions stay where they were, and the
result does not depend on letter case (the maps commute with lower-casing).
"""

from __future__ import annotations

import unicodedata

import numpy as np

from feedclass.jit import jit

__all__ = ["NO_SEPARATOR", "fold_script_codes", "fold_scripts"]

#: A ``separator`` that is no code point: the whole array is one document.
NO_SEPARATOR = 0xFFFFFFFF

# Word classes for the kernel (Basic Multilingual Plane; anything above is not a word).
_NONE, _OTHER, _LATIN, _CYRILLIC, _MARK = 0, 1, 2, 3, 4

# Latin letter -> its Cyrillic look-alike, and back. Lower-case pairs include the look-alikes of
# capitals (b/в, h/н, m/м, t/т) so that folding before or after lower-casing agrees.
_LAT_CYR = "aAbBcCeEhHiIkKmMoOpPtTxXyYëË"
_CYR_LAT = "аАвВсСеЕнНіІкКмМоОрРтТхХуУеЕ"
# Cyrillic letter -> Latin look-alike; Kazakh і and һ are not here (never folded away).
_CYR_FROM = "аАвВсСеЕнНкКмМоОрРтТхХуУёЁ"
_LAT_TO = "aAbBcCeEhHkKmMoOpPtTxXyYeE"
# The 2021 Kazakh Latin alphabet, letter by letter into Cyrillic (c, w and x are not in it).
_KK_LAT = "aäbdefgğhıijklmnñoöpqrsştuūüvyzçAÄBDEFGĞHIJKLMNÑOÖPQRSŞTUŪÜVYZÇ"
_KK_CYR = "аәбдефгғхіижклмнңоөпқрсштуұүвызчАӘБДЕФГҒХИЖКЛМНҢОӨПҚРСШТУҰҮВЫЗЧ"
# Letters only that alphabet has: a headline needs one of them to be read as Kazakh Latin.
_KK_OWN = "äğñöşūüıÄĞÑÖŞŪÜ"
_VOWELS = "аәеиоөуұүыіэюя"

_TABLES: tuple[np.ndarray, ...] | None = None


def _tables() -> tuple[np.ndarray, ...]:
    """Per BMP code point: word class, Cyrillic twin, Latin twin, Kazakh Cyrillic, Kazakh
    Latin's own letter, Cyrillic vowel."""
    global _TABLES
    if _TABLES is None:
        cls = np.zeros(0x10000, dtype=np.uint8)
        for cp in range(0x10000):
            ch = chr(cp)
            if unicodedata.category(ch).startswith("M"):
                cls[cp] = _MARK
            elif ch.isalpha():
                if 0x400 <= cp < 0x530:
                    cls[cp] = _CYRILLIC
                elif unicodedata.name(ch, "").startswith("LATIN"):
                    # by name, not block: "Ɓ" and its lower case "ɓ" live in two blocks
                    cls[cp] = _LATIN
                else:
                    cls[cp] = _OTHER
        to_cyr = np.zeros(0x10000, dtype=np.uint32)
        to_lat = np.zeros(0x10000, dtype=np.uint32)
        kk = np.zeros(0x10000, dtype=np.uint32)
        own = np.zeros(0x10000, dtype=np.uint8)
        for a, b in zip(_LAT_CYR, _CYR_LAT, strict=True):
            to_cyr[ord(a)] = ord(b)
        for a, b in zip(_CYR_FROM, _LAT_TO, strict=True):
            to_lat[ord(a)] = ord(b)
        for a, b in zip(_KK_LAT, _KK_CYR, strict=True):
            kk[ord(a)] = ord(b)
        for a in _KK_OWN:
            own[ord(a)] = 1
        vowel = np.zeros(0x10000, dtype=np.uint8)
        for a in _VOWELS + _VOWELS.upper():
            vowel[ord(a)] = 1
        _TABLES = (cls, to_cyr, to_lat, kk, own, vowel)
    return _TABLES


@jit(lazy=True)
def _fold_kernel(codes, cls, to_cyr, to_lat, kk, own, vowel, sep):  # pragma: no cover - numba
    """Both rules over ``codes`` (documents split by ``sep``); returns (new codes, changed)."""
    out = codes.copy()
    n = codes.shape[0]
    changed = False
    # Per document: letters of each script that no fold makes or unmakes (no twin, or a mark
    # after them; the Kazakh і aside, which a Latin i can become); a tied word goes with more.
    n_docs = 1
    for q in range(n):
        if codes[q] == sep:
            n_docs += 1
    doc_lat = np.zeros(n_docs, dtype=np.int64)
    doc_cyr = np.zeros(n_docs, dtype=np.int64)
    d = 0
    for q in range(n):
        c = codes[q]
        if c == sep:
            d += 1
            continue
        if c >= 0x10000:
            continue
        nxt = codes[q + 1] if q + 1 < n else 0
        marked = nxt < 0x10000 and cls[nxt] == 4
        if cls[c] == 2 and (to_cyr[c] == 0 or marked):
            doc_lat[d] += 1
        elif cls[c] == 3 and (marked or (to_lat[c] == 0 and c != 0x456 and c != 0x406)):
            doc_cyr[d] += 1
    d = 0
    i = 0
    while i < n:
        c = codes[i]
        k = cls[c] if c < 0x10000 else 0
        if k == 0:
            if c == sep:
                d += 1
            i += 1
            continue
        j = i
        nl = 0
        nc = 0
        lat_ok = True  # every Latin letter has a Cyrillic twin
        cyr_ok = True
        lat_own = False  # a Latin letter without a twin
        cyr_own = False
        while j < n:
            c = codes[j]
            k = cls[c] if c < 0x10000 else 0
            if k == 0:
                break
            nxt = codes[j + 1] if j + 1 < n else 0
            marked = nxt < 0x10000 and cls[nxt] == 4
            if k == 2:
                nl += 1
                if to_cyr[c] == 0 or marked:
                    lat_ok = False
                    lat_own = True
            elif k == 3:
                nc += 1
                if to_lat[c] == 0 or marked:
                    cyr_ok = False
                    cyr_own = True
            j += 1
        if nl > 0 and nc > 0:
            tie_cyr = cyr_own or (not lat_own and doc_cyr[d] > doc_lat[d])
            tie_lat = lat_own or (not cyr_own and doc_lat[d] > doc_cyr[d])
            if lat_ok and (nc > nl or (nc == nl and tie_cyr)):
                for q in range(i, j):
                    c = codes[q]
                    if cls[c] == 2:
                        out[q] = to_cyr[c]
                changed = True
            elif cyr_ok and (nl > nc or (nl == nc and tie_lat)):
                for q in range(i, j):
                    c = codes[q]
                    if cls[c] == 3:
                        out[q] = to_lat[c]
                changed = True
        i = j
    # Kazakh Latin, one document at a time (on the look-alike-folded text).
    d = 0
    while d < n:
        e = d
        ok = True
        has_own = False
        # Words, and words with a letter of the alphabet's own or a q: an English headline
        # naming Erdoğan or Müller has one such word among many, a Kazakh one has several.
        words = 0
        kk_words = 0
        in_word = False
        word_kk = False
        while e < n and out[e] != sep:
            c = out[e]
            k = cls[c] if c < 0x10000 else 0
            if k == 3:
                ok = False
            elif k == 2:
                if kk[c] == 0:
                    ok = False
                elif own[c] == 1:
                    has_own = True
                if not in_word:
                    words += 1
                    word_kk = False
                if not word_kk and (own[c] == 1 or c == 0x71 or c == 0x51):
                    word_kk = True
                    kk_words += 1
            # A combining mark neither blocks a headline nor splits a word: dedup reads the text
            # without marks, and must decide as it did with them.
            if k != 4:
                in_word = k == 2
            e += 1
        if ok and has_own and 3 * kk_words >= words:
            for q in range(d, e):
                c = out[q]
                if c < 0x10000 and cls[c] == 2:
                    v = kk[c]
                    # the alphabet writes и and й alike; after a vowel it is й ("deñgeiı")
                    if (
                        (v == 0x438 or v == 0x418)
                        and q > d
                        and out[q - 1] < 0x10000
                        and vowel[out[q - 1]] == 1
                    ):
                        v = 0x439 if v == 0x438 else 0x419
                    out[q] = v
            changed = True
        d = e + 1
    return out, changed


def fold_script_codes(codes: np.ndarray, separator: int = 0) -> tuple[np.ndarray, bool]:
    """:func:`fold_scripts` on a ``uint32`` code-point array; also whether anything changed.

    ``separator`` is the code point between documents (the Kazakh Latin rule and the tie-break
    read one at a time; ``NO_SEPARATOR``: one document). The input array is not modified.

    Examples
    --------
    >>> from feedclass.hashing import code_points
    >>> out, changed = fold_script_codes(code_points("Пpeзидент"))
    >>> out.tobytes().decode("utf-32-le"), changed
    ('Президент', True)
    """
    codes = np.ascontiguousarray(codes, dtype=np.uint32)
    out, changed = _fold_kernel(codes, *_tables(), np.uint32(separator))
    return out, bool(changed)


def fold_scripts(text: str, separator: str | None = "\x00") -> str:
    """Look-alike letters folded into their word's script; Kazakh Latin headlines in Cyrillic.

    Letter case and every other character stay as they are; ``separator`` splits documents
    (``None``: the text is one document).

    Examples
    --------
    >>> fold_scripts("Токaев встретился с Маcк в Cаliforniа")
    'Токаев встретился с Маск в California'
    >>> fold_scripts("Astanada jaña mektep aşyldy")
    'Астанада жаңа мектеп ашылды'
    >>> fold_scripts("Erdoğan to meet Putin in Astana")  # one Kazakh-looking word of six
    'Erdoğan to meet Putin in Astana'
    >>> fold_scripts("бiлiм және ғылым")  # a Latin i in a Kazakh word is the Kazakh і
    'білім және ғылым'
    """
    if not text:
        return text
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    out, changed = fold_script_codes(codes, NO_SEPARATOR if separator is None else ord(separator))
    return out.tobytes().decode("utf-32-le", "surrogatepass") if changed else text
