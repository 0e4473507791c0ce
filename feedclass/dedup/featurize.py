"""Featurize a batch: every per-headline array the pair scorer reads, in one pass.

Character 3-gram and stem TF-IDF rows, and the fact rows (numbers, months, names, surnames,
stems with their IDF, meaning-vector rows and opposite poles), all as CSR arrays built by numba
kernels over the whole batch. The IDF comes from the batch itself or is given (a fitted batch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numba
import numpy as np

from feedclass.dedup.facts import (
    AMOUNT_KEYS,
    NAME_LETTERS,
    ContentTokens,
    content_tokens,
    find_names,
    name_letters,
    opposite_poles,
)
from feedclass.dedup.ragged import (
    collapse,
    count_rows,
    find_sorted,
    n_distinct,
    ptr_from_docs,
    sort_slice,
    sorted_rows,
    sorted_unique_rows,
)
from feedclass.dedup.typos import TypoWords
from feedclass.dedup.vectors import meaning_vectors
from feedclass.hashing import FNV_OFFSET, FNV_PRIME, hash_codes, mix64
from feedclass.jit import jit

__all__ = [
    "CHAR_BUCKETS",
    "Features",
    "Idf",
    "char_gram_rows",
    "clean_hashes",
    "empty_features",
    "featurize",
    "fit_idf",
    "join_features",
]

_CHAR_N = 3
_PRIOR_DOCS = 1000
#: Hash buckets of character 3-grams (the length of ``Idf.char_df``).
CHAR_BUCKETS = 1 << 21


def _no_amounts() -> np.ndarray:
    """Amount keys of no numbers (``Features`` default)."""
    return np.zeros((0, AMOUNT_KEYS), dtype=np.uint64)


def _no_rows() -> tuple[np.ndarray, np.ndarray]:
    """A CSR field of zero headlines (``Features`` defaults)."""
    return (np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.uint64))


def _name_keys(ct: ContentTokens, own_name: np.ndarray) -> np.ndarray:
    """How the names ``own_name`` are compared: the place an adjective names («Венский суд» at
    the start is Vienna), else the stem without a last vowel («Китая» / «Китае»), else the stem."""
    key = ct.shash[own_name]
    if ct.bare is not None:
        key = np.where(ct.bare[own_name] != 0, ct.bare[own_name], key)
    if ct.family is not None:
        key = np.where(ct.family[own_name] != 0, ct.family[own_name], key)
    return key


def _stems_and_places(ct: ContentTokens, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted rows of each headline's stems plus what else accounts for the other side's names
    (:func:`_name_keys`): the places its adjectives name and its stems without a last vowel."""
    docs, keys = [ct.doc[ct.content]], [ct.shash[ct.content]]
    for extra in (ct.family, ct.bare):
        if extra is not None:
            m = ct.content & (extra != 0)
            docs.append(ct.doc[m])
            keys.append(extra[m])
    d = np.concatenate(docs)
    order = np.argsort(d, kind="stable")
    return sorted_rows(ptr_from_docs(d[order], n), np.concatenate(keys)[order])


def _no_name_letters() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``Features.name_letters`` of zero headlines."""
    return (
        np.zeros(1, dtype=np.int64),
        np.zeros((0, NAME_LETTERS), dtype=np.uint16),
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.uint64),
        np.zeros(0, dtype=np.uint64),
    )


@dataclass
class Features:
    """Everything the pair scorer needs, as flat arrays (CSR rows per headline)."""

    n: int
    char: tuple[np.ndarray, np.ndarray, np.ndarray]
    word_val: np.ndarray  # word TF-IDF values, in the order of each headline's stem row
    numbers: tuple[np.ndarray, np.ndarray]
    months: tuple[np.ndarray, np.ndarray]
    entities: tuple[np.ndarray, np.ndarray]
    stems: tuple[np.ndarray, np.ndarray]
    length: np.ndarray  # characters of the clean form, for keep="longest"
    clean_hash: np.ndarray  # hash of the clean form: exact duplicates share it
    stem_idf: np.ndarray  # IDF of each entry of ``stems``
    number_idf: np.ndarray  # IDF of each entry of ``numbers``
    stem_vec: np.ndarray  # row of ``vectors`` for each entry of ``stems``, -1 if none
    stem_pole: np.ndarray  # code of each entry of ``stems`` in ``OPPOSITES``, -1 if none
    vectors: np.ndarray  # unit word vectors (float32), from ``meaning_vectors()``
    # names that must agree (not a given name or an initial before a surname), and all stems:
    # sorted rows that keep repeats
    entities_all: tuple[np.ndarray, np.ndarray]
    stems_all: tuple[np.ndarray, np.ndarray]
    surnames: tuple[np.ndarray, np.ndarray, np.ndarray]  # rows of (stem, long stem) of surnames
    log_n: float  # log of the number of headlines the IDF counts
    # names in a headline's trailing segment (sorted, repeats kept), and the segment's role
    # (one entry for a headline that has one): see ``facts.trailing_segments``
    tail_names: tuple[np.ndarray, np.ndarray] = field(default_factory=_no_rows)
    tail_roles: tuple[np.ndarray, np.ndarray] = field(default_factory=_no_rows)
    # letters of the names a slip could have hit (``facts.name_letters``)
    name_letters: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] = field(
        default_factory=_no_name_letters
    )
    # amount keys of each entry of ``numbers`` (``facts.amount_keys``): «15,7 млрд» and «16
    # миллиардов» are one amount (``facts.numbers_unmatched``)
    number_amounts: np.ndarray = field(default_factory=_no_amounts)


@dataclass
class Idf:
    """Document frequencies learned from a batch (fitted state of ``NearDuplicates``)."""

    n_docs: int
    char_df: np.ndarray
    word_keys: np.ndarray
    word_df: np.ndarray
    cap_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    # names come from ``cap_keys`` alone, not also from the batch being featurized: the
    # incremental index scores a pair the same whichever other headlines share the call
    fixed_names: bool = False


def featurize(
    texts: list[str], idf: Idf | None = None, *, typos: bool | TypoWords = True
) -> tuple[Features, Idf]:
    """Turn headlines into the arrays the scorer reads; IDF from ``idf`` or from ``texts``.

    Parameters
    ----------
    texts : list of str
        The headlines (checked by the caller: see :func:`feedclass.dedup.inputs.check_headlines`).
    idf : Idf, optional
        Document frequencies to weigh words by (a fitted batch's, or a growing index's); by
        default they are counted over ``texts``.
    typos : bool or TypoWords, default True
        True undoes slips of the pen against the batch's own words; False leaves them (the
        index, whose counts must not depend on a batch); a :class:`TypoWords` table undoes
        them against a whole feed's words (this batch one shard of it: see
        :func:`feedclass.dedup.facts.feed_typo_words`).

    Returns
    -------
    features : Features
        Per-headline rows (CSR) of everything :func:`feedclass.dedup.pairs.pair_features`
        reads.
    idf : Idf
        ``idf`` if given, else the frequencies counted over ``texts`` (and the stems the batch
        shows as names).

    Examples
    --------
    >>> feats, idf = featurize(["Пожар на складе в Алматы", "Курс доллара на 5 мая"])
    >>> feats.n, idf.n_docs
    (2, 2)
    >>> featurize(["Пожар в Алматы"], idf)[1] is idf
    True
    """
    n = len(texts)
    if n == 0:
        texts = [""]  # featurize one empty headline, then drop it below
        _unused, idf_out = featurize(texts, idf, typos=typos)
        return empty_features(), idf_out
    ct = content_tokens(texts, typos=typos)
    tk, doc, whash, shash = ct.tk, ct.doc, ct.whash, ct.shash
    num, ismonth, content = ct.num, ct.ismonth, ct.content
    mk, mv = ct.month_keys, ct.month_vals

    names = find_names(
        ct, n, None if idf is None else idf.cap_keys, only_known=idf is not None and idf.fixed_names
    )
    tail_name = names.tail_name
    has_tail = np.flatnonzero(names.tail_role)
    proper, own_name, surname, entity = names.proper, names.own_name, names.surname, names.entity

    # Word (stem) TF-IDF over content tokens.
    wsh = shash[content]
    wkeys = np.unique(wsh)
    winv = find_sorted(wkeys, wsh)  # np.unique's inverse without its argsort (all present)
    del wsh
    wdoc = doc[content]
    wptr0 = ptr_from_docs(wdoc, n)
    # counts per (doc, stem): sort rows, then collapse; a row's distinct stems give the df
    _p, rows_sorted = sorted_rows(wptr0, winv)
    wptr_c, widx_c, wcnt = count_rows(wptr0, rows_sorted)
    df_local = np.bincount(widx_c, minlength=wkeys.size).astype(np.float64)

    # Char n-gram TF-IDF.
    cptr, cidx, ccnt = _char_ngrams(tk["clean"], tk["clean_off"], _CHAR_N, CHAR_BUCKETS)

    if idf is None:
        char_df = np.bincount(cidx, minlength=CHAR_BUCKETS).astype(np.float64)
        idf = Idf(
            n_docs=n,
            char_df=char_df,
            word_keys=wkeys,
            word_df=df_local,
            cap_keys=np.unique(shash[proper]),  # stems shown as names: names in later batches
        )
        n_idf = n
        w_df = df_local
    else:
        n_idf = idf.n_docs
        char_df = idf.char_df
        w_df = np.zeros(wkeys.size, dtype=np.float64)
        if idf.word_keys.size:
            p2 = np.searchsorted(idf.word_keys, wkeys)
            p2[p2 >= idf.word_keys.size] = 0
            hit = idf.word_keys[p2] == wkeys
            w_df[hit] = idf.word_df[p2[hit]]
    w_idf = _smooth_idf(w_df, n_idf)
    if cidx.size * 8 < char_df.size:
        # the logarithm of the buckets present only: a handful of headlines (the incremental
        # index) must not pay for all of them
        c_keys, c_pos = np.unique(cidx, return_inverse=True)
        c_idf = _smooth_idf(char_df[c_keys], n_idf)
        cval = _tfidf_normalize(cptr, c_pos.reshape(-1), ccnt, c_idf)
        del c_keys, c_pos
    else:
        cval = _tfidf_normalize(cptr, cidx, ccnt, _smooth_idf(char_df, n_idf))
    # The char-gram rows are the bulk of what pair scoring reads at random: half-width types
    # halve that memory traffic (bucket ids < 2**21; cosine terms need no more precision).
    cidx = cidx.astype(np.int32, copy=False)
    cval = cval.astype(np.float32)
    del ccnt
    wval = _tfidf_normalize(wptr_c, widx_c, wcnt, w_idf)

    # numbers, each headline's sorted and distinct, with their amount keys beside
    n_tok = np.flatnonzero(num)
    n_tok = n_tok[np.lexsort((shash[n_tok], doc[n_tok]))]
    first = np.ones(n_tok.size, dtype=bool)
    first[1:] = (shash[n_tok[1:]] != shash[n_tok[:-1]]) | (doc[n_tok[1:]] != doc[n_tok[:-1]])
    n_tok = n_tok[first]
    nptr, nidx = ptr_from_docs(doc[n_tok], n), shash[n_tok]
    mptr, midx = sorted_unique_rows(
        ptr_from_docs(doc[ismonth], n), _month_codes(whash[ismonth], mk, mv)
    )
    eptr, eidx = sorted_unique_rows(ptr_from_docs(doc[entity], n), shash[entity])
    # a headline's distinct stems: its word TF-IDF row's ids, as hashes (same order, as wkeys
    # is sorted)
    sptr, sidx = wptr_c, wkeys[widx_c]
    clean_off = tk["clean_off"]
    length = np.diff(clean_off)
    clean_hash = _row_hashes(tk["clean"], clean_off)
    # The rarity features read IDF over the feed plus _PRIOR_DOCS headlines assumed not to
    # contain the word: a batch of five headlines cannot show that a word is common, so its
    # words count as rare until a large feed says otherwise (a large feed barely notices).
    r_idf = _smooth_idf(w_df, n_idf + _PRIOR_DOCS)
    stem_idf = r_idf[widx_c]
    vec_keys, vectors = meaning_vectors()
    if vec_keys.size:
        # look up each distinct stem once, then spread to the rows
        vp = np.minimum(np.searchsorted(vec_keys, wkeys), vec_keys.size - 1)
        stem_vec = np.where(vec_keys[vp] == wkeys, vp, -1).astype(np.int32)[widx_c]
    else:
        stem_vec = np.full(sidx.size, -1, dtype=np.int32)
    stem_pole = opposite_poles(wkeys)[widx_c]
    feats = Features(
        n=n,
        char=(cptr, cidx, cval),
        word_val=wval,
        numbers=(nptr, nidx),
        months=(mptr, midx),
        entities=(eptr, eidx),
        stems=(sptr, sidx),
        length=length,
        clean_hash=clean_hash,
        stem_idf=stem_idf,
        number_idf=_idf_of(nidx, wkeys, r_idf),
        stem_vec=stem_vec,
        stem_pole=stem_pole,
        vectors=vectors,
        entities_all=sorted_rows(ptr_from_docs(doc[own_name], n), _name_keys(ct, own_name)),
        stems_all=_stems_and_places(ct, n),
        surnames=(ptr_from_docs(doc[surname], n), shash[surname], tk["lhash"][surname]),
        log_n=float(np.log(n_idf + _PRIOR_DOCS + 1.0)),
        tail_names=sorted_rows(ptr_from_docs(doc[tail_name], n), shash[tail_name]),
        tail_roles=(ptr_from_docs(has_tail, n), names.tail_role[has_tail]),
        name_letters=name_letters(tk, own_name, n, shash),
        number_amounts=ct.amounts[n_tok],
    )
    return feats, idf


def _idf_of(keys: np.ndarray, wkeys: np.ndarray, w_idf: np.ndarray) -> np.ndarray:
    """IDF of each stem hash in ``keys`` (all of them among the sorted ``wkeys``)."""
    if wkeys.size == 0:
        return np.zeros(keys.size, dtype=np.float64)
    pos = np.minimum(np.searchsorted(wkeys, keys), wkeys.size - 1)
    return np.ascontiguousarray(w_idf[pos], dtype=np.float64)


def _cat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``x`` then ``y``, in the dtype of whichever holds data (an empty batch's may differ)."""
    dtype = y.dtype if x.size == 0 else x.dtype
    return np.concatenate((x.astype(dtype, copy=False), y.astype(dtype, copy=False)))


def _cat_rows(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Rows of the CSR array ``b`` after those of ``a`` (a pointer, then aligned value arrays)."""
    ptr = np.concatenate((a[0], b[0][1:] + a[0][-1]))
    return (ptr, *(_cat(x, y) for x, y in zip(a[1:], b[1:], strict=True)))


def join_features(a: Features, b: Features) -> Features:
    """The headlines of ``a`` then those of ``b`` as one featurised batch.

    Both must have been featurised with the same IDF (``featurize(texts, idf)`` with one
    ``idf``), so that their weights agree; row ``k`` of ``b`` becomes row ``a.n + k``. This is
    how pairs across two batches (a new item against indexed ones) are scored.

    Examples
    --------
    >>> old, idf = featurize(["Пожар на складе в Алматы", "Курс доллара на 5 мая"])
    >>> new, _ = featurize(["Срочно: пожар на складе в Алматы"], idf)
    >>> j = join_features(old, new)
    >>> j.n, bool(j.clean_hash[2] == j.clean_hash[0])
    (3, True)
    """
    if a.n == 0:
        return b
    if b.n == 0:
        return a
    if a.log_n != b.log_n or a.vectors is not b.vectors:
        raise ValueError(
            "join_features needs two batches featurised with the same idf; "
            "featurize the second with featurize(texts, idf) using the first's idf"
        )
    return Features(
        n=a.n + b.n,
        char=_cat_rows(a.char, b.char),  # type: ignore[arg-type]
        word_val=_cat(a.word_val, b.word_val),
        numbers=_cat_rows(a.numbers, b.numbers),  # type: ignore[arg-type]
        months=_cat_rows(a.months, b.months),  # type: ignore[arg-type]
        entities=_cat_rows(a.entities, b.entities),  # type: ignore[arg-type]
        stems=_cat_rows(a.stems, b.stems),  # type: ignore[arg-type]
        length=_cat(a.length, b.length),
        clean_hash=_cat(a.clean_hash, b.clean_hash),
        stem_idf=_cat(a.stem_idf, b.stem_idf),
        number_idf=_cat(a.number_idf, b.number_idf),
        stem_vec=_cat(a.stem_vec, b.stem_vec),
        stem_pole=_cat(a.stem_pole, b.stem_pole),
        vectors=a.vectors,
        entities_all=_cat_rows(a.entities_all, b.entities_all),  # type: ignore[arg-type]
        stems_all=_cat_rows(a.stems_all, b.stems_all),  # type: ignore[arg-type]
        surnames=_cat_rows(a.surnames, b.surnames),  # type: ignore[arg-type]
        log_n=a.log_n,
        tail_names=_cat_rows(a.tail_names, b.tail_names),  # type: ignore[arg-type]
        tail_roles=_cat_rows(a.tail_roles, b.tail_roles),  # type: ignore[arg-type]
        name_letters=_cat_rows(a.name_letters, b.name_letters),  # type: ignore[arg-type]
        number_amounts=_cat(a.number_amounts, b.number_amounts),
    )


def char_gram_rows(clean: np.ndarray, clean_off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct character 3-gram buckets of each folded headline (CSR ``ptr``, ``idx``),
    from :func:`~feedclass.dedup.tokens.tokenize`'s ``clean`` and ``clean_off``: what a
    headline adds to ``Idf.char_df``.

    Examples
    --------
    >>> from feedclass.dedup.tokens import tokenize
    >>> tk = tokenize(["Мост", "Мост открыт"])
    >>> ptr, idx = char_gram_rows(tk["clean"], tk["clean_off"])
    >>> bool(set(idx[ptr[0] : ptr[1]]) <= set(idx[ptr[1] : ptr[2]]))
    True
    """
    ptr, idx, _cnt = _char_ngrams(clean, clean_off, _CHAR_N, CHAR_BUCKETS)
    return ptr, idx


def clean_hashes(clean: np.ndarray, clean_off: np.ndarray) -> np.ndarray:
    """Hash of each folded headline (``Features.clean_hash``): equal for identical headlines."""
    return _row_hashes(clean, clean_off)


def empty_features() -> Features:
    """Features of a batch of no headlines."""
    z = np.zeros(1, dtype=np.int64)
    e64 = np.zeros(0, dtype=np.int64)
    eu = np.zeros(0, dtype=np.uint64)
    ef = np.zeros(0, dtype=np.float64)
    return Features(
        n=0,
        char=(z, e64, ef),
        word_val=ef,
        numbers=(z, eu),
        months=(z, e64),
        entities=(z, eu),
        stems=(z, eu),
        length=e64,
        clean_hash=eu,
        stem_idf=ef,
        number_idf=ef,
        stem_vec=np.zeros(0, dtype=np.int32),
        stem_pole=np.zeros(0, dtype=np.int32),
        vectors=np.zeros((1, 1), dtype=np.float32),
        entities_all=(z, eu),
        stems_all=(z, eu),
        surnames=(z, eu, eu),
        log_n=0.0,
    )


def _month_codes(words: np.ndarray, keys: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The month (weekday, currency) code of each word hash, all of them among sorted ``keys``."""
    return codes[np.searchsorted(keys, words)].astype(np.int64)


@jit(inline="always")
def _padded_hash(clean, k, L, q, m):  # pragma: no cover - numba
    """``hash_codes`` of characters [q, q + m) of " " + clean[k : k + L] + " "."""
    h = FNV_OFFSET
    for t in range(q, q + m):
        c = np.uint64(32) if (t == 0 or t == L + 1) else np.uint64(clean[k + t - 1])
        h = (h ^ c) * FNV_PRIME
    return mix64(h)


@jit(parallel=True)
def _char_ngrams(clean, clean_off, n, n_buckets):  # pragma: no cover - numba
    """Hashed character n-grams of " word " (sklearn's char_wb), counted: one row per document
    of sorted distinct bucket ids (int32: ``n_buckets`` <= 2**31) and their counts.

    Passes over the documents in parallel: count each row's n-grams; fill and sort every row in
    its own slot; write the distinct ids and their counts.
    """
    n_docs = clean_off.shape[0] - 1
    cnt = np.zeros(n_docs + 1, dtype=np.int64)
    for d in numba.prange(n_docs):
        e = clean_off[d + 1]
        k = clean_off[d]
        c = 0
        while k < e:
            w = k
            while w < e and clean[w] != 32:
                w += 1
            m = w - k + 2
            c += 1 if m <= n else m - n + 1
            k = w + 1
        cnt[d + 1] = c
    tptr = np.cumsum(cnt)
    tmp = np.empty(tptr[n_docs], dtype=np.int32)
    mask = np.uint64(n_buckets - 1)
    u = np.zeros(n_docs + 1, dtype=np.int64)
    for d in numba.prange(n_docs):
        e = clean_off[d + 1]
        k = clean_off[d]
        pos = tptr[d]
        while k < e:
            # one word [k, w)
            w = k
            while w < e and clean[w] != 32:
                w += 1
            L = w - k
            m = L + 2
            if m <= n:
                tmp[pos] = np.int32(_padded_hash(clean, k, L, 0, m) & mask)
                pos += 1
            else:
                for q in range(m - n + 1):
                    tmp[pos] = np.int32(_padded_hash(clean, k, L, q, n) & mask)
                    pos += 1
            k = w + 1
        sort_slice(tmp, tptr[d], pos)
        u[d + 1] = n_distinct(tmp, tptr[d], pos)
    indptr = np.cumsum(u)
    idx = np.empty(indptr[n_docs], dtype=np.int32)
    val = np.empty(indptr[n_docs], dtype=np.float64)
    for d in numba.prange(n_docs):
        collapse(tmp, tptr[d], tptr[d + 1], idx, val, indptr[d])
    return indptr, idx, val


@jit(parallel=True)
def _tfidf_normalize(indptr, idx, cnt, idf):  # pragma: no cover - numba
    """Sublinear TF times IDF, rows scaled to unit length (in place on a copy)."""
    val = np.empty(cnt.shape[0], dtype=np.float64)
    for d in numba.prange(indptr.shape[0] - 1):
        s = 0.0
        for k in range(indptr[d], indptr[d + 1]):
            v = (1.0 + math.log(cnt[k])) * idf[idx[k]]
            val[k] = v
            s += v * v
        if s > 0:
            s = math.sqrt(s)
            for k in range(indptr[d], indptr[d + 1]):
                val[k] /= s
    return val


def _smooth_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    return np.log((1.0 + n_docs) / (1.0 + df)) + 1.0


@jit(parallel=True)
def _row_hashes(clean, off):  # pragma: no cover - numba
    n = off.shape[0] - 1
    out = np.empty(n, dtype=np.uint64)
    for d in numba.prange(n):
        out[d] = hash_codes(clean, off[d], off[d + 1])
    return out


def fit_idf(texts: list[str], *, typos: bool | TypoWords = True) -> Idf:
    """The document frequencies :func:`featurize` counts over ``texts``, without the rows.

    ``featurize(texts, typos=t)[1]`` builds every feature row only to be thrown away when the
    caller wants the IDF alone (the distributed dedup sums each shard's before featurising
    with the archive's): this stops after the tokens, names and char n-gram counts.

    Examples
    --------
    >>> texts = ["Пожар на складе в Алматы", "Курс доллара на 5 мая", "Пожар в Астане"]
    >>> a, b = fit_idf(texts), featurize(texts)[1]
    >>> a.n_docs, bool((a.word_df == b.word_df).all() and (a.char_df == b.char_df).all())
    (3, True)
    """
    n = len(texts)
    if n == 0:
        return fit_idf([""], typos=typos)  # as featurize: one empty headline's counts
    ct = content_tokens(texts, typos=typos)
    names = find_names(ct, n, None, only_known=False)
    wsh = ct.shash[ct.content]
    wkeys = np.unique(wsh)
    winv = find_sorted(wkeys, wsh)
    wptr0 = ptr_from_docs(ct.doc[ct.content], n)
    _p, rows_sorted = sorted_rows(wptr0, winv)
    _ptr, widx_c, _cnt = count_rows(wptr0, rows_sorted)
    _cptr, cidx, _ccnt = _char_ngrams(ct.tk["clean"], ct.tk["clean_off"], _CHAR_N, CHAR_BUCKETS)
    return Idf(
        n_docs=n,
        char_df=np.bincount(cidx, minlength=CHAR_BUCKETS).astype(np.float64),
        word_keys=wkeys,
        word_df=np.bincount(widx_c, minlength=wkeys.size).astype(np.float64),
        cap_keys=np.unique(ct.shash[names.proper]),
    )
