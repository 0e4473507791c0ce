"""Tokens: folding, splitting into words, light stemming and hashing, for a whole batch at once.

The batch is joined into one code-point array; numba kernels split it into words on all cores
and hash each word, its stem, and a surname's longer stem. :func:`tokenize` is the one entry.
"""

from __future__ import annotations

import unicodedata

import numba
import numpy as np

from feedclass.dedup.marks import strip_marks_where_possible
from feedclass.dedup.wordlists import ENDINGS, YEAR_MARKS
from feedclass.errors import DataError
from feedclass.hashing import code_points, hash_codes
from feedclass.jit import jit
from feedclass.normalize import DELETED, INVISIBLE, clean_text, fold_table

__all__ = [
    "SEP_BAR",
    "SEP_BRACKET",
    "SEP_CLOSE",
    "SEP_DASH",
    "SEP_SLASH",
    "dedup_form",
    "stem",
    "tokenize",
]

_STEM_MAX = 5  # stems are cut to this many letters: "полиции"/"полицейским" -> "полиц"
# Surnames are compared on longer stems, without their suffix (-ов/-ев): "Сагинтаев" and
# "Сагинбаев" share five letters, not a name.
_NAME_STEM_MAX = 12
_MIN_STEM = 3
_YEAR_MARKS = np.zeros((len(YEAR_MARKS), max(map(len, YEAR_MARKS))), dtype=np.uint32)
for _k, _m in enumerate(YEAR_MARKS):
    _YEAR_MARKS[_k, : len(_m)] = [ord(c) for c in _m]


def stem(word: str) -> str:
    """Python twin of the numba stemmer, used for the small word lists.

    Examples
    --------
    >>> stem("полиции"), stem("полицейским"), stem("2024")
    ('полиц', 'полиц', '2024')
    """
    if not word or word[0].isdigit():
        return word
    for e in ENDINGS:
        if len(word) - len(e) >= _MIN_STEM and word.endswith(e):
            word = word[: len(word) - len(e)]
            break
    return word[:_STEM_MAX]


# The endings as code arrays for the numba stemmer.
_ENDING_LEN = np.array([len(e) for e in ENDINGS], dtype=np.int64)
_ENDING_CODES = np.zeros((len(ENDINGS), max(_ENDING_LEN)), dtype=np.uint32)
for _k, _e in enumerate(ENDINGS):
    _ENDING_CODES[_k, : len(_e)] = [ord(c) for c in _e]
# Endings grouped by their last character (each group in ENDINGS order): the stemmer tries only
# the endings a word's last character allows, and the first of them that fits is the first of
# all ENDINGS that fits.
_END_LAST = sorted({_e[-1] for _e in ENDINGS})
_ENDING_GROUP = np.zeros(0x10000, dtype=np.int64)  # last character -> group (0: no ending)
_ENDING_GPTR = np.zeros(len(_END_LAST) + 2, dtype=np.int64)
_ENDING_GIDX = np.zeros(len(ENDINGS), dtype=np.int64)
_pos = 0
for _g, _c in enumerate(_END_LAST, start=1):
    _ENDING_GROUP[ord(_c)] = _g
    for _k, _e in enumerate(ENDINGS):
        if _e[-1] == _c:
            _ENDING_GIDX[_pos] = _k
            _pos += 1
    _ENDING_GPTR[_g + 1] = _pos


# Character classes for the tokenizer (Basic Multilingual Plane only; the rest is not a word).
_WORD_CHAR = np.zeros(0x10000, dtype=np.uint8)
for _cp in range(0x10000):
    _ch = chr(_cp)
    if _ch.isalpha():
        _WORD_CHAR[_cp] = 1
    elif _ch.isdigit():
        _WORD_CHAR[_cp] = 2

_FOLD_TABLES: tuple[np.ndarray, np.ndarray] | None = None


def _fold_tables() -> tuple[np.ndarray, np.ndarray]:
    """Per code point: its folded form and whether it is a capital (built once per process).

    The folded form is ``normalize.fold_table`` (after NFKC of the character alone), so dedup
    folds exactly like training and classification, but as one array lookup per batch that
    keeps positions aligned with the raw text (the capital flags the name detector needs); the
    rules that read a character's neighbours ran before, in ``clean_text``. Invisible
    characters become 1, which the tokenizer skips inside a word; characters that fold to
    nothing else (white space, controls) become a space; the newline stays: it separates
    headlines.
    """
    global _FOLD_TABLES
    if _FOLD_TABLES is None:
        table = fold_table()
        fold = np.arange(0x110000, dtype=np.uint32)
        upper = np.zeros(0x110000, dtype=np.uint8)
        cps = np.array([c for c in range(1, 0x10000) if not 0xD800 <= c < 0xE000], dtype=np.int64)
        chars = [chr(c) for c in cps.tolist()]
        # "İ" folds to two characters and "ﬁ" is two after NFKC: keep the first, as
        # str.lower()[:1] did
        first = [unicodedata.normalize("NFKC", ch)[:1] or " " for ch in chars]
        out = table[np.array([ord(f) for f in first], dtype=np.int64)]
        out[out == DELETED] = 32
        fold[cps] = out
        fold[0x130] = ord("i")
        for c in INVISIBLE:
            fold[ord(c)] = 1
        fold[10] = 10
        fold[fold == 10] = 32  # headlines are split on raw "\n": nothing else may fold to it
        fold[10] = 10
        upper[cps] = [ch.lower() != ch for ch in chars]
        _FOLD_TABLES = (fold, upper)
    return _FOLD_TABLES


# Kazakh letters and the Russian letters typed for them on a Russian keyboard ("Қазақстан" /
# "Казакстан"): stems are cut from this skeleton, so both spellings share their stems while the
# words (and the text every model sees) keep every Kazakh letter.
_KAZAKH_LETTERS = "әғқңөұүһ"
_RUSSIAN_TWINS = "агкноуух"
_SKELETON: np.ndarray | None = None


def _skeleton() -> np.ndarray:
    global _SKELETON
    if _SKELETON is None:
        sk = np.arange(0x110000, dtype=np.uint32)
        for a, b in zip(_KAZAKH_LETTERS, _RUSSIAN_TWINS, strict=True):
            sk[ord(a)] = ord(b)
        _SKELETON = sk
    return _SKELETON


#: Kinds of separator between two words (``tokenize``'s ``sep``): a dash, a bar, a slash, an
#: opening bracket, a closing one (which ends a bracket's segment); the last one in a gap counts.
SEP_DASH, SEP_BAR, SEP_SLASH, SEP_BRACKET, SEP_CLOSE = 1, 2, 3, 4, 5


@jit(inline="always")
def _separator(raw, k, start):  # pragma: no cover - numba
    """The separator kind of character ``k`` between two words, else 0. A hyphen or slash
    counts only after a blank ("Жетысу-Инфо" and "5/6" are one phrase, " // " and " - " part)."""
    c = raw[k]
    after_blank = k > start and (raw[k - 1] == 32 or raw[k - 1] == 160)
    if c == 0x2014 or c == 0x2013 or (c == 45 and after_blank):
        return SEP_DASH
    if c == 124:
        return SEP_BAR
    if c == 47 and after_blank:
        return SEP_SLASH
    if c == 40 or c == 91:
        return SEP_BRACKET
    if c == 41 or c == 93:
        return SEP_CLOSE
    return 0


@jit(inline="always")
def _tokenize_docs(
    raw,
    fold,
    upper,
    doc_start,
    doc_end,
    d0,
    d1,
    word_char,
    clean,
    pos,
    t_start,
    t_end,
    t_doc,
    t_first,
    t_cap,
    t_allcap,
    t_sep,
    t_frac,
    nt,
    clean_off,
):  # pragma: no cover - numba
    """Tokenize documents d0..d1-1 into ``clean`` from ``pos`` and the token arrays from
    ``nt``; returns the new (pos, nt). ``clean_off[d + 1]`` gets each document's end."""
    for d in range(d0, d1):
        first = True
        k = doc_start[d]
        e = doc_end[d]
        sep = 0
        while k < e:
            c = fold[raw[k]]
            kind = word_char[c] if c < 0x10000 else 0
            if kind == 0:
                if not first:
                    sep = _separator(raw, k, doc_start[d]) or sep
                k += 1
                continue
            # a token starts here
            if not first:
                clean[pos] = 32
                pos += 1
            ts = pos
            n_letters = 0
            n_upper = 0
            n_dec = 0  # decimal separators kept out of the token, and where the last one was
            dec_at = 0
            t_cap[nt] = upper[raw[k]]
            while k < e:
                c = fold[raw[k]]
                kind = word_char[c] if c < 0x10000 else 0
                if c == 1:  # invisible character inside a word
                    k += 1
                    continue
                if kind == 0:
                    # keep decimal separators between digits: "5,5" and "5.5" -> "55"
                    if (
                        (c == 44 or c == 46)
                        and pos > ts
                        and word_char[clean[pos - 1]] == 2
                        and k + 1 < e
                    ):
                        c1 = fold[raw[k + 1]]
                        if c1 < 0x10000 and word_char[c1] == 2:
                            n_dec += 1
                            dec_at = pos
                            k += 1
                            continue
                    break
                if kind == 1:
                    n_letters += 1
                    n_upper += upper[raw[k]]
                clean[pos] = c
                pos += 1
                k += 1
            t_start[nt] = ts
            t_end[nt] = pos
            t_doc[nt] = d
            t_first[nt] = 1 if first else 0
            t_allcap[nt] = 1 if (n_letters >= 2 and n_upper == n_letters) else 0
            t_sep[nt] = sep
            # one separator before one or two digits is a decimal comma ("15,7"); more
            # separators or digits group thousands ("1.000.000", "1,500")
            t_frac[nt] = pos - dec_at if (n_dec == 1 and pos - dec_at <= 2) else 0
            sep = 0
            nt += 1
            first = False
        clean_off[d + 1] = pos
    return pos, nt


@jit(parallel=True)
def _tokenize(raw, fold, upper, doc_start, doc_end, word_char):  # pragma: no cover - numba
    """Split every document into word tokens (letters/digits; "5,5" stays one token).

    ``raw`` holds code points; ``fold`` and ``upper`` give each one's folded form and whether it
    is a capital. Returns the clean code array (tokens joined by single spaces), per-document
    offsets into it and per-token arrays: start, end, document, first-in-document,
    capitalised, all-capitals, separator kind, decimal digits. Blocks of documents go to all
    cores, each into its own slice of the buffers (sized for its worst case), then the slices
    are packed together.
    """
    n_docs = doc_start.shape[0]
    nb = min(max(n_docs // 4096, 1), 256)
    b_doc = np.empty(nb + 1, dtype=np.int64)
    for b in range(nb + 1):
        b_doc[b] = n_docs * b // nb
    # worst case per block: every character kept plus a separator per document for clean; a
    # token takes at least one character plus a separator (or the end of its headline)
    b_clean = np.zeros(nb + 1, dtype=np.int64)
    b_tok = np.zeros(nb + 1, dtype=np.int64)
    for b in range(nb):
        d0 = b_doc[b]
        d1 = b_doc[b + 1]
        chars = (doc_end[d1 - 1] - doc_start[d0]) if d1 > d0 else 0
        b_clean[b + 1] = b_clean[b] + chars + (d1 - d0)
        b_tok[b + 1] = b_tok[b] + (chars + (d1 - d0)) // 2 + 1
    clean = np.empty(b_clean[nb], dtype=np.uint32)
    off = np.zeros(n_docs + 1, dtype=np.int64)  # document ends inside their block's slice
    t_start = np.empty(b_tok[nb], dtype=np.int64)
    t_end = np.empty(b_tok[nb], dtype=np.int64)
    t_doc = np.empty(b_tok[nb], dtype=np.int64)
    t_first = np.zeros(b_tok[nb], dtype=np.uint8)
    t_cap = np.zeros(b_tok[nb], dtype=np.uint8)
    t_allcap = np.zeros(b_tok[nb], dtype=np.uint8)
    t_sep = np.zeros(b_tok[nb], dtype=np.uint8)
    t_frac = np.zeros(b_tok[nb], dtype=np.uint8)
    used_clean = np.zeros(nb, dtype=np.int64)
    used_tok = np.zeros(nb, dtype=np.int64)
    for b in numba.prange(nb):
        pos, nt = _tokenize_docs(
            raw,
            fold,
            upper,
            doc_start,
            doc_end,
            b_doc[b],
            b_doc[b + 1],
            word_char,
            clean,
            b_clean[b],
            t_start,
            t_end,
            t_doc,
            t_first,
            t_cap,
            t_allcap,
            t_sep,
            t_frac,
            b_tok[b],
            off,
        )
        used_clean[b] = pos - b_clean[b]
        used_tok[b] = nt - b_tok[b]
    o_clean = np.zeros(nb + 1, dtype=np.int64)
    o_tok = np.zeros(nb + 1, dtype=np.int64)
    for b in range(nb):
        o_clean[b + 1] = o_clean[b] + used_clean[b]
        o_tok[b + 1] = o_tok[b] + used_tok[b]
    clean_out = np.empty(o_clean[nb], dtype=np.uint32)
    clean_off = np.zeros(n_docs + 1, dtype=np.int64)
    ts_out = np.empty(o_tok[nb], dtype=np.int64)
    te_out = np.empty(o_tok[nb], dtype=np.int64)
    td_out = np.empty(o_tok[nb], dtype=np.int64)
    tf_out = np.empty(o_tok[nb], dtype=np.uint8)
    tc_out = np.empty(o_tok[nb], dtype=np.uint8)
    ta_out = np.empty(o_tok[nb], dtype=np.uint8)
    tp_out = np.empty(o_tok[nb], dtype=np.uint8)
    tq_out = np.empty(o_tok[nb], dtype=np.uint8)
    for b in numba.prange(nb):
        shift = o_clean[b] - b_clean[b]
        clean_out[o_clean[b] : o_clean[b + 1]] = clean[b_clean[b] : b_clean[b] + used_clean[b]]
        for d in range(b_doc[b], b_doc[b + 1]):
            clean_off[d + 1] = off[d + 1] + shift
        a = b_tok[b]
        w = o_tok[b]
        for q in range(used_tok[b]):
            ts_out[w + q] = t_start[a + q] + shift
            te_out[w + q] = t_end[a + q] + shift
            td_out[w + q] = t_doc[a + q]
            tf_out[w + q] = t_first[a + q]
            tc_out[w + q] = t_cap[a + q]
            ta_out[w + q] = t_allcap[a + q]
            tp_out[w + q] = t_sep[a + q]
            tq_out[w + q] = t_frac[a + q]
    return clean_out, clean_off, ts_out, te_out, td_out, tf_out, tc_out, ta_out, tp_out, tq_out


@jit(inline="always")
def _year_mark(clean, a, e, marks):  # pragma: no cover - numba
    """Whether ``clean[a:e]`` is one of the year marks (rows of ``marks``, 0-padded)."""
    for k in range(marks.shape[0]):
        m = 0
        while m < marks.shape[1] and marks[k, m] != 0:
            m += 1
        if m != e - a:
            continue
        ok = True
        for q in range(m):
            if clean[a + q] != marks[k, q]:
                ok = False
                break
        if ok:
            return True
    return False


@jit(parallel=True)
def _token_hashes(
    clean,
    sclean,
    t_start,
    t_end,
    end_codes,
    end_len,
    end_group,
    end_gptr,
    end_gidx,
    word_char,
    stem_max,
    min_stem,
    year_marks,
):  # pragma: no cover - numba
    """Per token: hash of the word, of its stem, of its long stem if it looks like a surname
    (else 0), digit flag and Latin-script flag. Stems are cut from ``sclean`` (the skeleton).
    A year with a mark written on ("2015г") is hashed as its four digits alone."""
    nt = t_start.shape[0]
    whash = np.empty(nt, dtype=np.uint64)
    shash = np.empty(nt, dtype=np.uint64)
    lhash = np.empty(nt, dtype=np.uint64)
    is_num = np.zeros(nt, dtype=np.uint8)
    is_latin = np.zeros(nt, dtype=np.uint8)
    for t in numba.prange(nt):
        s = t_start[t]
        e = t_end[t]
        whash[t] = hash_codes(clean, s, e)
        c0 = sclean[s]
        if word_char[c0] == 2:
            is_num[t] = 1
            d = s
            while d < e and word_char[clean[d]] == 2:
                d += 1
            if d - s == 4 and d < e and _year_mark(clean, d, e, year_marks):
                whash[t] = hash_codes(clean, s, d)
            shash[t] = whash[t]
            lhash[t] = 0
            continue
        if c0 < 0x250:
            is_latin[t] = 1
        L = e - s
        stem_end = e
        c1 = sclean[e - 1]
        g = end_group[c1] if c1 < 0x10000 else 0
        for gj in range(end_gptr[g], end_gptr[g + 1]):
            j = end_gidx[gj]
            m = end_len[j]
            if L - m < min_stem:
                continue
            ok = True
            for q in range(m):
                if sclean[e - m + q] != end_codes[j, q]:
                    ok = False
                    break
            if ok:
                stem_end = e - m
                break
        # A surname (-ов/-ев/-ёв/-ин/-ын, in any case form) also gets a long stem, without that
        # suffix: the ending list strips it from "Назарбаев" but not from "Назарбаева", and
        # both become "назарба"; "Путин"/"Путина"/"Путиным" all become "пут". A Kazakh
        # patronymic surname (-улы/-ұлы/-кызы/-қызы) does not decline: its long stem is the
        # whole word.
        long_end = -1
        if stem_end == e - 2 and _ov_suffix(sclean[e - 2], sclean[e - 1]):
            long_end = stem_end
        elif stem_end - s - 2 >= min_stem and _ov_suffix(
            sclean[stem_end - 2], sclean[stem_end - 1]
        ):
            long_end = stem_end - 2
        elif L - 3 >= min_stem and _patronymic(sclean, e):
            long_end = e
        if stem_end - s > stem_max:
            stem_end = s + stem_max
        shash[t] = hash_codes(sclean, s, stem_end)
        lhash[t] = 0 if long_end < 0 else hash_codes(sclean, s, min(long_end, s + _NAME_STEM_MAX))
    return whash, shash, lhash, is_num, is_latin


@jit(inline="always")
def _ov_suffix(v, c):  # pragma: no cover - numba
    """Whether the letters v, c are a surname suffix: ов, ев, ёв, ин or ын."""
    return (c == 0x432 and (v == 0x43E or v == 0x435 or v == 0x451)) or (
        c == 0x43D and (v == 0x438 or v == 0x44B)
    )


@jit(inline="always")
def _patronymic(clean, e):  # pragma: no cover - numba
    """Whether the word ending at ``e`` ends in улы, ұлы, кызы or қызы."""
    if clean[e - 1] != 0x44B:  # ы
        return False
    if clean[e - 2] == 0x43B:  # л: улы / ұлы
        return clean[e - 3] == 0x443 or clean[e - 3] == 0x4B1
    # з: кызы / қызы
    return (
        clean[e - 2] == 0x437
        and clean[e - 3] == 0x44B
        and (clean[e - 4] == 0x43A or clean[e - 4] == 0x49B)
    )


def tokenize(texts: list[str]) -> dict[str, np.ndarray]:
    """Strip marks, fold case, tokenize: token-level arrays for all ``texts`` at once.

    Returns a dict of arrays: ``clean`` (the folded text's code points, words joined by single
    spaces) and ``clean_off`` (each headline's slice of it); per token ``doc``, ``start``,
    ``end``, ``first`` (first in its headline), ``cap``, ``allcap``, ``whash`` (word hash),
    ``shash`` (stem hash), ``lhash`` (a surname's long stem, else 0), ``num``, ``latin``, and
    ``sep``: the kind of separator between the token and the word before it (``SEP_DASH``,
    ``SEP_BAR``, ``SEP_SLASH``, ``SEP_BRACKET``, ``SEP_CLOSE``; 0 for none), and ``frac``: a
    number's digits after its decimal comma («15,7» is the token «157» with ``frac`` 1).

    Examples
    --------
    >>> tk = tokenize(["Срочно: Пожар в Алматы", "5,5 тыс."])
    >>> tk["doc"].tolist(), tk["num"].tolist()
    ([0, 0, 0, 1, 1], [False, False, False, True, False])
    >>> tk["frac"].tolist()[3]
    1
    """
    n = len(texts)
    joined = "\n".join(texts)
    if joined.count("\n") != n - 1 or "\r" in joined:
        texts = [t.replace("\n", " ").replace("\r", " ") for t in texts]
        joined = "\n".join(texts)
    # Dedup reads "İ" as "I" (its fold drops the dot): from the start, so that the script rules
    # of clean_text see the letter the rest of dedup sees, on the first pass as on a second.
    if "\u0130" in joined:
        joined = joined.replace("\u0130", "I")
        texts = joined.split("\n")
    # Forms, markup, pictographs and look-alike letters first, so that «⚡️СРОЧНО:» and
    # «&laquo;» are a mark and a quote to what follows; letter case stays for the marks.
    cleaned = clean_text(joined, "\n")
    if cleaned != joined:
        joined = cleaned
        texts = joined.split("\n")
    joined = strip_marks_where_possible(texts, joined)
    if not unicodedata.is_normalized("NFC", joined):
        joined = unicodedata.normalize("NFC", joined)
    fold, upper = _fold_tables()
    raw_c = code_points(joined)
    nl = np.flatnonzero(raw_c == 10)  # only "\n" folds to "\n"
    doc_start = np.concatenate(([0], nl + 1)).astype(np.int64)
    doc_end = np.concatenate((nl, [raw_c.size])).astype(np.int64)
    if doc_start.size != n:  # pragma: no cover - newlines were replaced above
        raise AssertionError("headline boundaries lost")
    clean, clean_off, t_start, t_end, t_doc, t_first, t_cap, t_allcap, t_sep, t_frac = _tokenize(
        raw_c, fold, upper, doc_start, doc_end, _WORD_CHAR
    )
    whash, shash, lhash, is_num, is_latin = _token_hashes(
        clean,
        _skeleton()[clean],
        t_start,
        t_end,
        _ENDING_CODES,
        _ENDING_LEN,
        _ENDING_GROUP,
        _ENDING_GPTR,
        _ENDING_GIDX,
        _WORD_CHAR,
        _STEM_MAX,
        _MIN_STEM,
        _YEAR_MARKS,
    )
    return {
        "clean": clean,
        "clean_off": clean_off,
        "doc": t_doc,
        "start": t_start,
        "end": t_end,
        "first": t_first.astype(bool),
        "cap": t_cap.astype(bool),
        "allcap": t_allcap.astype(bool),
        "sep": t_sep,
        "frac": t_frac,
        "whash": whash,
        "shash": shash,
        "lhash": lhash,
        "num": is_num.astype(bool),
        "latin": is_latin.astype(bool),
    }


def dedup_form(text: str) -> str:
    """The text the similarity sees: marks stripped, ``normalize_text``, punctuation removed.

    Examples
    --------
    >>> dedup_form("Срочно: «Ёлка» в АСТАНЕ — 5,5 тыс. гостей!")
    'елка в астане 55 тыс гостей'
    """
    if not isinstance(text, str):
        raise DataError(f"text must be a str; got {type(text).__name__} instead")
    tk = tokenize([text])
    return tk["clean"].tobytes().decode("utf-32-le")
