"""Facts two headlines must share: numbers, dates, currencies, names, and events vs opposites.

Here the word lists become lookup tables (number words to digits, months and currencies to
codes, aliases to one stem, opposite events to poles), the batch's tokens get the stems the
scorer compares (:func:`content_tokens`), names are found (:func:`find_names`), and the numba
helpers count what one headline states that the other lacks: a number, month or name on
each side that the other lacks is a substitution, which the pair scorer vetoes. A veto needs
two different names in the same role: names in a headline's trailing segment (a source such as
« — пишет Qalam») are compared by role (:func:`trailing_segments`, :func:`tail_excess`), and a
name that is a slip of the pen of the other side's is one name (:func:`name_slips`). An event
meeting its opposite is found where the unshared stems are walked anyway, in
:func:`feedclass.dedup.vectors.meaning_match`, from the poles :func:`opposite_poles` gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from feedclass.dedup.ragged import find_sorted, in_sorted, lookup, ptr_from_docs
from feedclass.dedup.tokens import SEP_CLOSE, stem, tokenize
from feedclass.dedup.typos import (
    TYPO_MIN_LEN,
    TypoWords,
    is_slip,
    typo_words,
    undo_typos,
    undo_typos_with,
)
from feedclass.dedup.wordlists import (
    ALIAS_GROUPS,
    CURRENCIES,
    GIVEN_NAMES,
    MONTHS,
    NUMBER_WORDS,
    OPPOSITES,
    ORDINALS,
    SCALES,
    STOPWORDS,
    SURNAME_ENDS,
    WEEKDAYS,
)
from feedclass.hashing import hash_codes, hash_word, pair_key, sorted_hashes
from feedclass.jit import jit

__all__ = [
    "NAME_LETTERS",
    "TAIL_WORDS",
    "ContentTokens",
    "Names",
    "bare_stems",
    "case_evidence",
    "content_tokens",
    "feed_typo_words",
    "find_names",
    "n_excess",
    "n_missing",
    "n_missing_plain",
    "name_letters",
    "name_slips",
    "opposite_poles",
    "place_stems",
    "surname_excess",
    "tail_excess",
    "trailing_segments",
]

_STOP_HASHES = sorted_hashes(sorted(STOPWORDS))


def _opposite_table() -> tuple[np.ndarray, np.ndarray]:
    """Stem hashes of ``OPPOSITES`` (sorted) and their codes: 2 * group + pole."""
    code: dict[int, int] = {}
    for g, poles in enumerate(OPPOSITES):
        for pole, words in enumerate(poles):
            for w in words.split():
                h = int(hash_word(stem(w)))
                if code.setdefault(h, 2 * g + pole) != 2 * g + pole:  # pragma: no cover
                    raise AssertionError(f"{w!r} stems like a word of another group")
    keys = np.array(sorted(code), dtype=np.uint64)
    return keys, np.array([code[int(k)] for k in keys], dtype=np.int32)


_OPPOSITE_KEYS, _OPPOSITE_CODES = _opposite_table()


def opposite_poles(keys: np.ndarray) -> np.ndarray:
    """Code ``2 * group + pole`` in ``OPPOSITES`` of each sorted stem hash in ``keys``, else -1.

    Examples
    --------
    >>> from feedclass.hashing import hash_word
    >>> from feedclass.dedup.tokens import stem
    >>> keys = np.array(sorted([hash_word(stem("открыли")), hash_word(stem("закрыли"))]))
    >>> sorted(opposite_poles(keys).tolist())
    [4, 5]
    """
    op = np.minimum(np.searchsorted(_OPPOSITE_KEYS, keys), _OPPOSITE_KEYS.size - 1)
    return np.where(_OPPOSITE_KEYS[op] == keys, _OPPOSITE_CODES[op], -1).astype(np.int32)


_ALIASES: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None


def _alias_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(word or stem hash -> canonical stem) and (stem-pair key -> canonical stem), sorted.

    Built once through the same tokenizer and stemmer the batch goes through, so that the
    keys are exactly the hashes the batch will show.
    """
    global _ALIASES
    if _ALIASES is None:
        forms = [f for g in ALIAS_GROUPS for f in g]
        tk = tokenize(forms)
        ptr = ptr_from_docs(tk["doc"], len(forms))
        wk: dict[int, int] = {}
        bk: dict[int, int] = {}
        k = 0
        for group in ALIAS_GROUPS:
            canon = int(tk["shash"][ptr[k]])
            for f in range(k + 1, k + len(group)):
                w = tk["whash"][ptr[f] : ptr[f + 1]]
                st = tk["shash"][ptr[f] : ptr[f + 1]]
                if st.size == 1:
                    wk[int(w[0])] = canon
                    wk.setdefault(int(st[0]), canon)  # other inflections of the same stem
                else:
                    bk[int(pair_key(st[0], st[1]))] = canon
            k += len(group)
        kw, kb = sorted(wk), sorted(bk)
        _ALIASES = (
            np.array(kw, dtype=np.uint64),
            np.array([wk[q] for q in kw], dtype=np.uint64),
            np.array(kb, dtype=np.uint64),
            np.array([bk[q] for q in kb], dtype=np.uint64),
        )
    return _ALIASES


def _apply_aliases(
    doc: np.ndarray, whash: np.ndarray, shash: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Canonical stems for alias names (in place on ``shash``); mask of absorbed second words."""
    wkeys, wvals, bkeys, bvals = _alias_tables()
    absorbed = np.zeros(shash.shape, dtype=bool)
    if shash.size >= 2:
        key = np.asarray(pair_key(shash[:-1], shash[1:]))
        hit, val = lookup(bkeys, bvals, key)
        hit &= doc[:-1] == doc[1:]
        if hit.any():
            idx = np.flatnonzero(hit)
            shash[idx] = lookup(bkeys, bvals, key[idx])[1]
            absorbed[idx + 1] = True
    hit, val = lookup(wkeys, wvals, whash)
    hit2, val2 = lookup(wkeys, wvals, shash)
    shash[hit2] = val2  # stem forms first, exact word forms win
    shash[hit] = val
    return shash, absorbed


_MONTH_WORDS = {
    w: m for m, ws in (*MONTHS.items(), *WEEKDAYS.items(), *CURRENCIES.items()) for w in ws.split()
}
_NUMWORD = {w: d for d, ws in (*NUMBER_WORDS.items(), *ORDINALS.items()) for w in ws.split()}
_MONTH_KEYS = np.array([hash_word(w) for w in _MONTH_WORDS], dtype=np.uint64)
_MONTH_VALS = np.array(list(_MONTH_WORDS.values()), dtype=np.int64)
_NUMW_KEYS = np.array([hash_word(w) for w in _NUMWORD], dtype=np.uint64)
_NUMW_VALS = np.array([hash_word(d) for d in _NUMWORD.values()], dtype=np.uint64)
# Columns of a number's amount keys: as written, rounded once, rounded twice (a decimal
# comma's two digits at most).
AMOUNT_KEYS = 3
_SCALE_KEYS, _SCALE_VALS = (
    np.array(x, dtype=np.uint64)
    for x in zip(
        *sorted((int(hash_word(w)), e) for e, words in SCALES.items() for w in words.split())
    )
)
# Words a slip never turns into or out of: function words («стали» is no «Сталин»). Months and
# number words are facts: a slip may turn into one («откября»), never one into another word.
_TYPO_TARGETS = np.unique(np.concatenate((_MONTH_KEYS, _NUMW_KEYS)))


@jit(inline="always")
def _unmatched(ptr, idx, i, ptr2, idx2, j, one_to_one):
    """How many ids of sorted row i (in ptr/idx) find no partner in sorted row j (ptr2/idx2).

    With ``one_to_one`` an id of j partners one id of i only (a multiset difference).
    """
    a = ptr[i]
    ae = ptr[i + 1]
    b = ptr2[j]
    be = ptr2[j + 1]
    miss = 0
    while a < ae:
        x = idx[a]
        while b < be and idx2[b] < x:
            b += 1
        if b < be and idx2[b] == x:
            if one_to_one:
                b += 1
        else:
            miss += 1
        a += 1
    return miss


@jit(inline="always")
def n_missing(ptr, idx, i, ptr2, idx2, j):
    """How many ids of sorted row i are absent from sorted row j."""
    return _unmatched(ptr, idx, i, ptr2, idx2, j, False)


@jit(inline="always")
def _in_row(ptr, idx, j, x):
    """Whether ``x`` is in the sorted row j (binary search)."""
    lo = ptr[j]
    hi = ptr[j + 1]
    while lo < hi:
        mid = (lo + hi) // 2
        if idx[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo < ptr[j + 1] and idx[lo] == x


@jit(inline="always")
def _same_amount(vi, vj):
    """Whether two numbers' amount keys (:func:`amount_keys`: as written, then rounded) say
    one amount: equal as written, or one written as the other rounds (never both rounded)."""
    if vi[0] == 0 or vj[0] == 0:
        return False
    if vi[0] == vj[0]:
        return True
    for q in range(1, vi.shape[0]):
        if (vi[q] != 0 and vi[q] == vj[0]) or (vj[q] != 0 and vj[q] == vi[0]):
            return True
    return False


@jit(inline="always")
def numbers_unmatched(n_ptr, n_idx, n_val, i, j):
    """Numbers of i that j lacks, an amount and the same amount rounded being one number.

    A number of i counts unless j has it (its digits), or j has a number that is the same
    amount as written or rounded: «15,7 млрд» and «16 миллиардов», «8,46%» and «8,5%».
    """
    miss = 0
    for a in range(n_ptr[i], n_ptr[i + 1]):
        if _in_row(n_ptr, n_idx, j, n_idx[a]):
            continue
        found = False
        for b in range(n_ptr[j], n_ptr[j + 1]):
            if _same_amount(n_val[a], n_val[b]):
                found = True
                break
        if not found:
            miss += 1
    return miss


@jit(inline="always")
def n_excess(ptr, idx, i, ptr2, idx2, j):
    """Entries of sorted row i left over after matching row j one to one.

    "Ерерин ... возле Актобе в Актобе" vs "Ерерин ... возле Актобе в Кокшетау": the second
    Актобе has no partner, so the left side names a place the right side does not.
    """
    return _unmatched(ptr, idx, i, ptr2, idx2, j, True)


@jit(inline="always")
def n_missing_plain(s_ptr, s_idx, i, j, e_ptr, e_idx, n_ptr, n_idx):
    """Stems of i absent from j that are neither names nor numbers of i (i.e. real rewording)."""
    a = s_ptr[i]
    ae = s_ptr[i + 1]
    b = s_ptr[j]
    be = s_ptr[j + 1]
    miss = 0
    while a < ae:
        x = s_idx[a]
        while b < be and s_idx[b] < x:
            b += 1
        if b >= be or s_idx[b] != x:
            special = False
            for q in range(e_ptr[i], e_ptr[i + 1]):
                if e_idx[q] == x:
                    special = True
                    break
            if not special:
                for q in range(n_ptr[i], n_ptr[i + 1]):
                    if n_idx[q] == x:
                        special = True
                        break
            if not special:
                miss += 1
        a += 1
    return miss


@jit(inline="always")
def surname_excess(ptr, short, long_, sa_ptr, sa_idx, i, j):  # pragma: no cover - numba
    """Correction to the names of i that j does not account for, from surnames' long stems:
    +1 for a surname that a surname of j matches only on the short stem ("Сагинтаев" /
    "Сагинбаев"), -1 for one that j's words miss only because the short stems differ
    ("Токаев"/"Токаева": "тока"/"токае", both "тока" long)."""
    n = 0
    for q in range(ptr[i], ptr[i + 1]):
        same_long = False
        same_short = False
        for r in range(ptr[j], ptr[j + 1]):
            if long_[r] == long_[q]:
                same_long = True
            elif short[r] == short[q]:
                same_short = True
        if same_long:
            found = False
            for r in range(sa_ptr[j], sa_ptr[j + 1]):
                if sa_idx[r] == short[q]:
                    found = True
                    break
            if not found:
                n -= 1
        elif same_short:
            n += 1
    return n


_SURNAME_LEN = np.array([len(e) for e in SURNAME_ENDS], dtype=np.int64)
_SURNAME_CODES = np.zeros((len(SURNAME_ENDS), max(_SURNAME_LEN)), dtype=np.uint32)
for _k, _e in enumerate(SURNAME_ENDS):
    _SURNAME_CODES[_k, : len(_e)] = [ord(c) for c in _e]


def _given_name_stems() -> np.ndarray:
    """Stem hashes of ``GIVEN_NAMES`` in their case forms (sorted)."""
    forms = set()
    for w in GIVEN_NAMES.split():
        forms.add(w)
        base = w[:-1] if w[-1] in "айяь" else w
        for e in ("а", "у", "ом", "е", "ым", "ой", "ю", "я", "ей", "и", "ем", "ы", "ою"):
            forms.add(base + e)
    return sorted_hashes(sorted({stem(f) for f in forms}))


_GIVEN_STEMS = _given_name_stems()


@jit
def _ends_with_any(clean, starts, ends, codes, lens, min_len):  # pragma: no cover - numba
    """1 where the word [start, end) is at least ``min_len`` long and has one of the endings."""
    out = np.zeros(starts.shape[0], dtype=np.uint8)
    for t in range(starts.shape[0]):
        s = starts[t]
        e = ends[t]
        if e - s < min_len:
            continue
        for j in range(lens.shape[0]):
            m = lens[j]
            ok = True
            for q in range(m):
                if clean[e - m + q] != codes[j, q]:
                    ok = False
                    break
            if ok:
                out[t] = 1
                break
    return out


@dataclass
class ContentTokens:
    """A batch's tokens (:func:`feedclass.dedup.tokens.tokenize`) with what the scorer compares.

    Masks and arrays are per token; ``month_keys``/``month_vals`` map word hashes of months,
    weekdays and currencies to their codes (sorted keys).
    """

    tk: dict[str, np.ndarray]
    doc: np.ndarray
    whash: np.ndarray
    shash: np.ndarray  # stems, with number words, aliases and months made canonical
    num: np.ndarray
    ismonth: np.ndarray
    content: np.ndarray  # not a function word nor the absorbed half of a two-word alias
    month_keys: np.ndarray
    month_vals: np.ndarray
    # per token: the stem of the place an adjective is made from («венский» -> «вен»), 0 if none
    family: np.ndarray | None = None
    # per token: the stem of the word without its last vowel («Китая»/«Китае» -> «кита»), 0 if
    # that is its stem already
    bare: np.ndarray | None = None
    # per token: its amount keys (:func:`amount_keys`), 0 where none
    amounts: np.ndarray = field(default_factory=lambda: np.zeros((0, AMOUNT_KEYS), np.uint64))


def _digit_key(v: Decimal) -> np.uint64:
    """Hash of an amount as the tokenizer hashes its digits («15.7» -> «157», 16e9 -> its
    eleven digits)."""
    if v == v.to_integral_value():
        return hash_word(str(int(v)))
    return hash_word("".join(c for c in format(v.normalize(), "f") if c.isdigit()))


@jit
def _scaled_keys(clean, start, end, toks, scale):  # pragma: no cover - numba
    """Key of each whole number ``toks[k]`` times ten to its ``scale``: the hash of its digits
    (leading zeros dropped) followed by that many zeros, as :func:`_digit_key` makes it; 0 for
    a token that is not all digits («2015г»)."""
    out = np.zeros(toks.size, dtype=np.uint64)
    buf = np.empty(96, dtype=np.uint32)
    for k in range(toks.size):
        t = toks[k]
        s = start[t]
        e = end[t]
        digits = True
        for q in range(s, e):
            if clean[q] < 48 or clean[q] > 57:
                digits = False
        if not digits or e - s + scale[t] > buf.size:
            continue
        while s < e - 1 and clean[s] == 48:
            s += 1
        n = e - s
        zeros = 0 if (n == 1 and clean[s] == 48) else scale[t]
        for q in range(n):
            buf[q] = clean[s + q]
        for q in range(zeros):
            buf[n + q] = 48
        out[k] = hash_codes(buf, 0, n + zeros)
    return out


def amount_keys(tk: dict[str, np.ndarray], shash: np.ndarray | None = None) -> np.ndarray:
    """Amount keys of each number token: the amount as written, then rounded half up to each
    coarser precision (``AMOUNT_KEYS`` columns, 0 where none).

    A scale word after the number (``wordlists.SCALES``) multiplies it: «16 млрд», «16
    миллиардов» and «16000 млн» are one amount, and «15,7 млн» does not round to «16 млрд».
    (The digits still match as before: «16 млн» / «16 млрд» differ in a word, not a number, as
    a copy that drops or moves the scale word would.) A decimal comma's digits
    are rounded: «15,7 млрд» rounds to «16 млрд», «8,46» to «8,5» and «8». Other numbers'
    amount is their digits (``shash``, default the tokenizer's stems); other tokens get 0.
    Keys are hashes of the amount's digits, so «16» and an amount of 16 agree.

    Examples
    --------
    >>> from feedclass.dedup.tokens import tokenize
    >>> tk = tokenize(["Бюджет 15,7 млрд тенге", "Бюджет 16 миллиардов тенге"])
    >>> v = amount_keys(tk)
    >>> bool(v[1, 1] == v[5, 0]), bool(v[1, 0] == v[5, 0]), int(v[0, 0])
    (True, False, 0)
    """
    num, frac, whash, doc = tk["num"], tk["frac"], tk["whash"], tk["doc"]
    out = np.zeros((num.size, AMOUNT_KEYS), dtype=np.uint64)
    out[num, 0] = (tk["shash"] if shash is None else shash)[num]
    scale = np.zeros(num.size, dtype=np.int64)
    at = np.flatnonzero(num[:-1])  # numbers with a next token: is it a scale word?
    if at.size:
        nx = whash[at + 1]
        pos = np.minimum(np.searchsorted(_SCALE_KEYS, nx), _SCALE_KEYS.size - 1)
        hit = (_SCALE_KEYS[pos] == nx) & (doc[at + 1] == doc[at])
        scale[at] = np.where(hit, _SCALE_VALS[pos], 0)
    clean, start, end = tk["clean"], tk["start"], tk["end"]
    # whole numbers with a scale word (the common amount) in a kernel; decimals below
    whole = np.flatnonzero(num & (frac == 0) & (scale > 0))
    keys = _scaled_keys(clean, start, end, whole, scale)
    out[whole[keys != 0], 0] = keys[keys != 0]
    for t in np.flatnonzero(num & (frac > 0)):
        digits = "".join(map(chr, clean[start[t] : end[t]]))
        if not digits.isdigit():  # a number with letters written on («2015г»)
            continue
        f, e = int(frac[t]), int(scale[t])
        value = Decimal(digits).scaleb(e - f)
        out[t, 0] = _digit_key(value)
        for r in range(f - 1, max(f - AMOUNT_KEYS, -1), -1):
            out[t, f - r] = _digit_key(
                value.quantize(Decimal(1).scaleb(e - r), rounding=ROUND_HALF_UP)
            )
    return out


# Adjectives of places end in «ск» and an adjective ending; what comes before is the place's
# root. Only roots the five-letter stem cut does not already join matter («Вены»/«венский»,
# «Рима»/«римский», «Сирии»/«сирийский»); «Казахстана»/«казахстанский» share «казах» anyway.
_ADJ_ENDS = tuple(
    "ск" + e for e in "ий ый ая ое ие ые ого ой ом им ым ую ими ыми их ых ому".split()
)
_ADJ_CODES = np.zeros((len(_ADJ_ENDS), max(map(len, _ADJ_ENDS))), dtype=np.uint32)
for _k, _e in enumerate(_ADJ_ENDS):
    _ADJ_CODES[_k, : len(_e)] = [ord(c) for c in _e]
_ADJ_LENS = np.array([len(e) for e in _ADJ_ENDS], dtype=np.int64)
_ROOT_MIN = 3  # «омский» (root «ом») is too short to tell a place by


def _family_of(word: str) -> int:
    """Hash of the stem of the place the adjective ``word`` is made from, 0 if none."""
    for e in _ADJ_ENDS:
        if word.endswith(e):
            root = word[: len(word) - len(e)]
            if len(root) < _ROOT_MIN:
                return 0
            family = stem(root)
            return 0 if family == stem(word) else int(hash_word(family))
    return 0


def place_stems(tk: dict[str, np.ndarray]) -> np.ndarray:
    """Per token of ``tk`` (:func:`~feedclass.dedup.tokens.tokenize`): the stem hash of the
    place an adjective names («венский», «римском», «сирийские»), else 0.

    A name one headline gives as a place and the other as its adjective («Суд Вены» / «Венский
    суд») is one name in another role, not two names: the adjective accounts for the place
    (:func:`n_excess` over the stems plus these). It never makes two words one, so a different
    place («Венский суд» / «Суд Праги») still conflicts. A capitalised adjective inside a
    headline is a name of its own (a surname «Вишневский»), not an adjective.

    Examples
    --------
    >>> tk = tokenize(["Суд Вены", "Венский суд", "Пожар в Риме", "римском аэропорту"])
    >>> fam = place_stems(tk)
    >>> bool(fam[2] == tk["shash"][1]), bool(fam[7] == tk["shash"][6]), fam[[0, 1, 3, 8]].tolist()
    (True, True, [0, 0, 0, 0])
    """
    start, end, clean = tk["start"], tk["end"], tk["clean"]
    adj = _ends_with_any(clean, start, end, _ADJ_CODES, _ADJ_LENS, _ROOT_MIN + 4).astype(bool)
    adj &= ~tk["cap"] | tk["first"]
    adj &= ~tk["num"] & _as_written(clean, start, end, tk["whash"])
    out = np.zeros(start.shape, dtype=np.uint64)
    if not adj.any():
        return out
    idx = np.flatnonzero(adj)
    words, first = np.unique(tk["whash"][idx], return_index=True)
    fam = np.array(
        [_family_of("".join(map(chr, clean[start[t] : end[t]]))) for t in idx[first]],
        dtype=np.uint64,
    )
    out[idx] = fam[np.searchsorted(words, tk["whash"][idx])]
    return out


# The stemmer cuts a case ending it knows and leaves others, so a short name's cases may
# stem apart («Китая» -> «кит», «Китае» -> «кита»; «Школа» / «Школе»). Names are also compared
# without their last vowel.
_BARE_END = np.zeros(0x10000, dtype=np.bool_)
for _c in "аеёиоуыэюяйь":
    _BARE_END[ord(_c)] = True
_STEM_LEN = len(stem("полицейским"))  # letters a stem keeps


@jit
def _as_written(clean, starts, ends, whash):  # pragma: no cover - numba
    """1 where the token's word is the one written (no slip undone: its letters are the text's)."""
    out = np.zeros(starts.shape[0], dtype=np.bool_)
    for t in range(starts.shape[0]):
        out[t] = hash_codes(clean, starts[t], ends[t]) == whash[t]
    return out


@jit
def _bare_hashes(clean, starts, ends, bare_end, stem_len, min_len):  # pragma: no cover - numba
    out = np.zeros(starts.shape[0], dtype=np.uint64)
    for t in range(starts.shape[0]):
        s = starts[t]
        e = ends[t]
        if e > s and bare_end[clean[e - 1]]:
            e -= 1
        if e - s >= min_len:
            out[t] = hash_codes(clean, s, min(e, s + stem_len))
    return out


def bare_stems(tk: dict[str, np.ndarray], shash: np.ndarray | None = None) -> np.ndarray:
    """Per token of ``tk``: the hash of its stem without a last vowel, 0 where that is its
    stem (``shash``, default ``tk["shash"]``) or it is too short or a number.

    Two cases of one name the stemmer cuts apart («Китая» / «Китае») meet here; two names
    still differ («Китая» / «Кипра»).

    Examples
    --------
    >>> tk = tokenize(["Власти Китая", "В Китае", "Школа", "Школе", "Кипра"])
    >>> b = bare_stems(tk)
    >>> key = np.where(b != 0, b, tk["shash"])  # how names are compared
    >>> bool(tk["shash"][1] == tk["shash"][3]), bool(key[1] == key[3]), bool(key[4] == key[5])
    (False, True, True)
    >>> bool(key[1] == key[6])
    False
    """
    sh = tk["shash"] if shash is None else shash
    out = _bare_hashes(tk["clean"], tk["start"], tk["end"], _BARE_END, _STEM_LEN, _ROOT_MIN)
    # a word read as another (a slip undone) keeps its stem: its letters are the slip's
    out[
        (out == sh) | tk["num"] | ~_as_written(tk["clean"], tk["start"], tk["end"], tk["whash"])
    ] = 0
    return out


def content_tokens(texts: list[str], typos: bool | TypoWords = True) -> ContentTokens:
    """Tokens of ``texts`` with the stems the scorer compares (also how word vectors are keyed).

    Number words become their digits, aliases one stem, function words and the absorbed half
    of a two-word alias are not content. ``typos`` undoes slips against the other words of the
    batch; the index passes False for the counts it keeps, since an item's counts must not
    depend on what else came in its batch. A :class:`~feedclass.dedup.typos.TypoWords` table
    undoes them against the words of a whole feed (this batch one shard of it).

    Examples
    --------
    >>> ct = content_tokens(["Десять школ открыли в РК", "10 школ открыли в Казахстане"])
    >>> first, second = (ct.shash[ct.content & (ct.doc == d)].tolist() for d in (0, 1))
    >>> first == second
    True
    """
    tk = tokenize(texts)
    if isinstance(typos, TypoWords):
        undo_typos_with(tk, _STOP_HASHES, typos)
    elif typos:
        undo_typos(tk, _STOP_HASHES, _TYPO_TARGETS)
    doc = tk["doc"]
    whash = tk["whash"]
    shash = tk["shash"].copy()
    num = tk["num"].copy()
    # Number words count as numbers ("десять" == "10").
    order = np.argsort(_NUMW_KEYS)
    nk, nv = _NUMW_KEYS[order], _NUMW_VALS[order]
    pos = find_sorted(nk, whash)
    pos[pos >= nk.size] = 0
    isw = nk[pos] == whash
    shash[isw] = nv[pos[isw]]
    num |= isw
    amounts = amount_keys(tk, np.where(num, shash, 0))
    # Months.
    order = np.argsort(_MONTH_KEYS)
    mk, mv = _MONTH_KEYS[order], _MONTH_VALS[order]
    pos = find_sorted(mk, whash)
    pos[pos >= mk.size] = 0
    ismonth = mk[pos] == whash
    stop = in_sorted(whash, _STOP_HASHES) & ~num & ~ismonth
    shash, absorbed = _apply_aliases(doc, whash, shash)
    content = ~stop & ~absorbed
    bare = bare_stems(tk, shash)
    bare[shash != tk["shash"]] = 0  # a word the lists made canonical (an alias, a number)
    return ContentTokens(
        tk, doc, whash, shash, num, ismonth, content, mk, mv, place_stems(tk), bare, amounts
    )


@dataclass
class Names:
    """Which tokens of a batch are names (boolean masks over its tokens): :func:`find_names`."""

    proper: np.ndarray  # stem shown as a name by the batch (or by the fitted batch)
    entity: np.ndarray  # a name
    own_name: np.ndarray  # a name that must agree (not a given name or initial before a name)
    surname: np.ndarray  # a surname, compared on its long stem too
    tail_name: np.ndarray  # a name that must agree, in the headline's trailing segment
    tail_role: np.ndarray  # per headline: the kind of its trailing segment, 0 if none


# A headline's trailing segment (an attribution such as « — пишет Qalam», « // Жетысу-Инфо»)
# is at most this many words after a separator, with at least this many words before it.
TAIL_WORDS = 3
_BODY_WORDS = 3
_ROLE_SET = np.uint64(1 << 63)  # marks a role as present even when its hash bits are 0


def trailing_segments(tk: dict[str, np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Tokens in each headline's trailing segment, and each headline's segment role (0: none).

    The segment is what follows the headline's last separator (a dash, bar, slash or opening
    bracket: ``tokenize``'s ``sep``) when it is 1 to ``TAIL_WORDS`` words after at least
    ``_BODY_WORDS``. Its role is the separator with its first word when that word is in lower
    case («— пишет», «— сообщает»): two headlines' trailing names are the same kind of fact
    (two places, two teams) only when their roles agree, and two different sources otherwise.

    Examples
    --------
    >>> tk = tokenize(["Аким открыл мост в Алматы — пишет Qalam", "Аким открыл мост // Инфо",
    ...                "Кайрат — Астана"])
    >>> tail, role = trailing_segments(tk, 3)
    >>> tail.astype(int).tolist(), bool(role[0] != role[1]), int(role[2])
    ([0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0], True, 0)
    """
    sep, doc = tk["sep"], tk["doc"]
    tail = np.zeros(doc.shape, dtype=bool)
    role = np.zeros(n, dtype=np.uint64)
    at = np.flatnonzero(sep > 0)
    if at.size == 0:
        return tail, role
    d = doc[at]
    last = at[np.append(d[1:] != d[:-1], True)]  # each headline's last separated word
    dl = doc[last]
    ptr = ptr_from_docs(doc, n)
    after = ptr[dl + 1] - last
    ok = (sep[last] != SEP_CLOSE) & (last - ptr[dl] >= _BODY_WORDS) & (after <= TAIL_WORDS)
    last, dl, after = last[ok], dl[ok], after[ok]
    for k in range(TAIL_WORDS):
        tail[last[after > k] + k] = True
    lead = np.where(tk["cap"][last] | tk["num"][last], np.uint64(0), tk["whash"][last])
    role[dl] = (lead ^ sep[last].astype(np.uint64)) | _ROLE_SET
    return tail, role


@jit(inline="always")
def tail_excess(tn_ptr, tn_idx, tr_ptr, tr_role, sa_ptr, sa_idx, i, j, other_excess):
    """Names in the trailing segment of i that j's words do not account for, when they count.

    They count when j's trailing segment has the same role (two places, two teams: a
    substitution), and, with no segment on j, when j has a name of its own that i lacks
    (``other_excess`` > 0: two names, one each side). A name that only one side has, or two
    sources («— пишет Qalam» / «// Жетысу-Инфо»), is no conflict.
    """
    if tn_ptr[i + 1] == tn_ptr[i]:
        return 0
    ri = tr_role[tr_ptr[i]]
    rj = tr_role[tr_ptr[j]] if tr_ptr[j + 1] > tr_ptr[j] else np.uint64(0)
    if rj != 0 and rj != ri:
        return 0
    if rj == 0 and other_excess <= 0:
        return 0
    return n_excess(tn_ptr, tn_idx, i, sa_ptr, sa_idx, j)


#: Letters of a name kept for the slip check (``name_letters``); longer names are cut.
NAME_LETTERS = 16


def name_letters(
    tk: dict[str, np.ndarray], names: np.ndarray, n: int, stems: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows of the letters of each headline's names that a slip could have hit, as CSR
    ``(ptr, letters, length, stem, word)``: one entry per name of ``TYPO_MIN_LEN - 1``+
    letters, its folded code points in a row of ``NAME_LETTERS`` (uint16; zero after its end),
    the stem hash the scorer compares (``stems``, per token) and its word hash (a slip the
    batch undid already has its word's).

    Examples
    --------
    >>> tk = tokenize(["Судья Омсулов проверил завод"])
    >>> rows = name_letters(tk, np.array([False, True, False, False]), 1, tk["shash"])
    >>> ptr, letters, length, _stem, _word = rows
    >>> ptr.tolist(), "".join(map(chr, letters[0, : length[0]]))
    ([0, 1], 'омсулов')
    """
    start, end = tk["start"], tk["end"]
    keep = names & (end - start >= TYPO_MIN_LEN - 1)
    k = np.flatnonzero(keep)
    length = np.minimum(end[k] - start[k], NAME_LETTERS).astype(np.int64)
    letters = np.zeros((k.size, NAME_LETTERS), dtype=np.uint16)
    clean = tk["clean"]
    for q in range(NAME_LETTERS):
        has = length > q
        letters[has, q] = np.minimum(clean[start[k[has]] + q], 0xFFFF)
    return ptr_from_docs(tk["doc"][k], n), letters, length, stems[k], tk["whash"][k]


@jit(inline="always")
def _word_in(nl_word, lo, hi, w):  # pragma: no cover - numba
    """Whether one of the names ``lo:hi`` is the word ``w``."""
    for q in range(lo, hi):
        if nl_word[q] == w:
            return True
    return False


@jit(inline="always")
def name_slips(nl_ptr, nl_letters, nl_len, nl_stem, nl_word, i, j):  # pragma: no cover
    """Names of i missing from j's names that are a slip of the pen of a name of j missing from
    i's (``typos.is_slip``): one name written two ways, not two names.

    Returns how many, and the stems of the first such pair (on i's side, on j's side; 0, 0 if
    none, or if the two stems are one already). Rows as :func:`name_letters` gives them.
    """
    n = 0
    first_i = np.uint64(0)
    first_j = np.uint64(0)
    i0, i1, j0, j1 = nl_ptr[i], nl_ptr[i + 1], nl_ptr[j], nl_ptr[j + 1]
    for a in range(i0, i1):
        if _word_in(nl_word, j0, j1, nl_word[a]):
            continue
        for b in range(j0, j1):
            if _word_in(nl_word, i0, i1, nl_word[b]):
                continue
            if is_slip(nl_letters[a], 0, nl_len[a], nl_letters[b], 0, nl_len[b]):
                if n == 0 and nl_stem[a] != nl_stem[b]:
                    first_i = nl_stem[a]
                    first_j = nl_stem[b]
                n += 1
                break
    return n, first_i, first_j


def case_evidence(ct: ContentTokens, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Letter tokens, headlines set in capitals, and the letter tokens whose case says
    something (mid-headline, not in a headline set in capitals), for ``n`` headlines.

    A stem written with a capital at such a place more often than in lower case is a name:
    :func:`find_names` counts this over a batch, ``DedupIndex`` over its window.

    Examples
    --------
    >>> ct = content_tokens(["В Алматы открыли мост"])
    >>> letters, shouty, mid = case_evidence(ct, 1)
    >>> int(mid.sum()), bool(shouty[0])
    (3, False)
    """
    tk, doc = ct.tk, ct.doc
    letters = ct.content & ~ct.num & ~ct.ismonth
    # In a headline set in capitals case says nothing about names: it neither shows a stem as a
    # name nor has names of its own beyond the stems the rest of the batch shows as names.
    n_let = np.bincount(doc[letters], minlength=n)
    n_cap = np.bincount(doc[letters & tk["allcap"]], minlength=n)
    shouty = (n_let >= 3) & (n_cap >= 0.8 * n_let)
    mid = letters & ~tk["first"] & ~shouty[doc]
    return letters, shouty, mid


def find_names(
    ct: ContentTokens, n: int, known: np.ndarray | None = None, only_known: bool = False
) -> Names:
    """Find the names among the tokens of ``ct`` (a batch of ``n`` headlines).

    ``known``: stems a fitted batch showed as names (``Idf.cap_keys``), names here too.
    ``only_known``: the names are ``known`` alone, whatever the batch shows (so a headline's
    names do not depend on the other headlines featurized with it).

    Examples
    --------
    >>> ct = content_tokens(["В Алматы открыли мост", "Мост открыли в Алматы"])
    >>> find_names(ct, 2).entity[ct.content].tolist()
    [True, False, False, False, False, True]
    """
    tk, doc, shash = ct.tk, ct.doc, ct.shash
    # Which capitalised tokens are names. Mid-headline capitals are; so are acronyms. A first
    # word is capitalised anyway, so it counts only if the batch shows the same stem with a
    # capital mid-headline more often than in lower case, or if it looks like a surname or is
    # in Latin script inside the batch.
    letters, shouty, mid = case_evidence(ct, n)
    low_keys, low_counts = np.unique(shash[mid & ~tk["cap"]], return_counts=True)
    capk, capc = np.unique(shash[mid & tk["cap"]], return_counts=True)
    proper = np.zeros(shash.shape, dtype=bool)
    if capk.size and not only_known:
        # stems seen capitalised mid-headline more often than in lower case
        lc = np.zeros(capk.size, dtype=np.int64)
        if low_keys.size:
            p2 = np.searchsorted(low_keys, capk)
            p2[p2 >= low_keys.size] = 0
            hit = low_keys[p2] == capk
            lc[hit] = low_counts[p2[hit]]
        names = capk[capc > lc]
        if known is not None and known.size:
            names = np.union1d(names, known)
        proper = in_sorted(shash, names)
    elif known is not None and known.size:
        proper = in_sorted(shash, known)
    first_name = letters & tk["first"] & tk["cap"]
    if first_name.any():
        idx = np.flatnonzero(first_name)
        surname = _ends_with_any(
            tk["clean"], tk["start"][idx], tk["end"][idx], _SURNAME_CODES, _SURNAME_LEN, 4
        ).astype(bool)
        first_name[idx] = surname | proper[idx] | tk["latin"][idx]
    # Stems the batch shows as names count as names even where a copy was lower-cased.
    entity = letters & ((tk["cap"] & ~tk["first"]) | tk["allcap"] | first_name | proper)
    if shouty.any():
        in_shouty = shouty[doc]
        entity[in_shouty] = (letters & proper)[in_shouty]
    # A given name or an initial right before another name is not a name that must agree
    # (see GIVEN_NAMES), nor a plain word that differs: it is left out of both counts.
    own_name = entity.copy()
    lead = np.zeros_like(entity)
    lead[:-1] = entity[:-1] & entity[1:] & (doc[:-1] == doc[1:])
    if lead.any():
        k = np.flatnonzero(lead)
        width = tk["end"][k] - tk["start"][k]
        initial = (width == 1) | ((width == 2) & ~tk["allcap"][k])
        own_name[k[initial | in_sorted(shash[k], _GIVEN_STEMS)]] = False
    # Names in a trailing segment are compared apart, by role (see ``tail_excess``).
    tail, tail_role = trailing_segments(tk, n)
    tail_name = own_name & tail
    own_name &= ~tail
    # Surnames that share a short stem must also share the long one ("Сагинтаев"/"Сагинбаев")
    surname = own_name & (tk["lhash"] != 0) & (shash == tk["shash"])
    return Names(
        proper=proper,
        entity=entity,
        own_name=own_name,
        surname=surname,
        tail_name=tail_name,
        tail_role=tail_role,
    )


def feed_typo_words(texts: list[str]) -> TypoWords:
    """The words of ``texts`` that slips are undone among, as ``content_tokens`` ranks them:
    join several shards' tables (:func:`~feedclass.dedup.typos.join_typo_words`) and pass the
    result as ``typos`` to read every shard as part of one feed.

    Examples
    --------
    >>> feed_typo_words(["Строительство моста", "Сртоительство"]).keys.size
    3
    """
    return typo_words(tokenize(texts), _STOP_HASHES, _TYPO_TARGETS)
