"""Meaning vectors: word vectors per stem, and the meaning features of a pair built on them.

Two headlines that say the same thing in other words share few stems; vectors learned from
news text tell such words apart from unrelated ones, which stems and characters cannot.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from feedclass.errors import ModelFileError
from feedclass.jit import jit
from feedclass.modelfile import read_model_file, shipped_file

__all__ = ["VECTORS_KIND", "VECTORS_NAME", "meaning_match", "meaning_vectors", "vectors_path"]

#: Word vectors for the pair model's meaning feature, shipped beside the default topic model
#: and built by ``python -m training.dedup_vectors``.
VECTORS_NAME = "dedup-vectors.fcm"
VECTORS_KIND = "feedclass-dedup-vectors"


def vectors_path() -> Path:
    """Where the shipped word vectors live, in a checkout or an installed wheel.

    Examples
    --------
    >>> vectors_path().name
    'dedup-vectors.fcm'
    """
    return shipped_file(VECTORS_NAME)


@functools.lru_cache(maxsize=1)
def meaning_vectors() -> tuple[np.ndarray, np.ndarray]:
    """Sorted stem hashes and their unit vectors (float32); read once, never unpickled.

    Two headlines that say the same thing in other words ("погибли"/"жертвы", "задержан"/
    "арестован") share few stems; vectors learned from news text tell such words apart from
    unrelated ones ("театра"/"аэропорта"), which stems and characters cannot.

    Examples
    --------
    >>> keys, vectors = meaning_vectors()
    >>> vectors.dtype, vectors.shape[0] == keys.size, bool((keys[1:] > keys[:-1]).all())
    (dtype('float32'), True, True)
    """
    path = vectors_path()
    if not path.exists():
        raise ModelFileError(
            f"{path}: feedclass's word vectors are missing; reinstall feedclass "
            "(or rebuild them with `python -m training.dedup_vectors`)"
        )
    header, arrays = read_model_file(path)
    keys, vec = arrays.get("keys"), arrays.get("vectors")
    if (
        header.get("kind") != VECTORS_KIND
        or keys is None
        or vec is None
        or keys.dtype != np.uint64
        or vec.ndim != 2
        or vec.shape[0] != keys.size
        or (keys.size > 1 and not bool(np.all(keys[1:] > keys[:-1])))
    ):
        raise ModelFileError(f"{path}: not a feedclass word-vector file")
    return keys, np.ascontiguousarray(vec, dtype=np.float32)


@jit(fastmath=True)
def _vdot(vectors, a, b):  # pragma: no cover - numba
    """Cosine of two unit word vectors; fastmath lets the sum vectorise (the meaning features
    were a third of the scoring time), at the cost of float32 rounding in the last digits."""
    c = np.float32(0.0)
    for k in range(vectors.shape[1]):
        c += vectors[a, k] * vectors[b, k]
    return c


@jit(inline="always")
def _meaning_side(ua, na, ub, nb, s_idf, s_vec, vectors):
    """Over stems ``ua`` of one side: IDF-weighted sums of their best vector cosine to ``ub``
    and of what that leaves unexplained (1 - cosine), and their IDF total."""
    num = 0.0
    bad = 0.0
    den = 0.0
    for q in range(na):
        u = ua[q]
        w = s_idf[u]
        den += w
        vu = s_vec[u]
        best = 0.0
        if vu >= 0:
            for r in range(nb):
                vr = s_vec[ub[r]]
                if vr < 0:
                    continue
                c = _vdot(vectors, vu, vr)
                if c > best:
                    best = c
        num += w * best
        bad += w * (1.0 - best)
    return num, bad, den


@jit(inline="always")
def meaning_match(
    s_ptr, s_idx, s_idf, s_vec, s_pole, vectors, i, j, ua, ub, same_i, same_j, same_idf
):
    """How close in meaning the words two headlines do not share are (1: none unshared); the
    larger and the smaller share of either headline's word weight that the other side's words
    leave unexplained ("закрытие моста"/"закрытие шахты": "моста" has no counterpart; both
    sides unexplained is a different story about one subject); and 1 if an event on one side
    meets its opposite on the other (``OPPOSITES``), else 0. The stems ``same_i`` of i and
    ``same_j`` of j count as one shared word of IDF ``same_idf`` (one name written two ways;
    0 for none): the same whichever side is i."""
    a = s_ptr[i]
    ae = s_ptr[i + 1]
    b = s_ptr[j]
    be = s_ptr[j + 1]
    na = 0
    nb = 0
    shared = 0.0
    while a < ae or b < be:
        if a < ae and same_i != 0 and s_idx[a] == same_i:
            a += 1
        elif b < be and same_j != 0 and s_idx[b] == same_j:
            b += 1
        elif b >= be or (a < ae and s_idx[a] < s_idx[b]):
            ua[na] = a
            na += 1
            a += 1
        elif a >= ae or s_idx[b] < s_idx[a]:
            ub[nb] = b
            nb += 1
            b += 1
        else:
            shared += s_idf[a]
            a += 1
            b += 1
    if same_i != 0:
        shared += same_idf
    num_a, bad_a, den_a = _meaning_side(ua, na, ub, nb, s_idf, s_vec, vectors)
    num_b, bad_b, den_b = _meaning_side(ub, nb, ua, na, s_idf, s_vec, vectors)
    match = 0.5 * ((num_a / den_a if den_a > 0 else 1.0) + (num_b / den_b if den_b > 0 else 1.0))
    tot_a = shared + den_a
    tot_b = shared + den_b
    share_a = bad_a / tot_a if tot_a > 0 else 0.0
    share_b = bad_b / tot_b if tot_b > 0 else 0.0
    # an event on one side and its opposite on the other ("прекратила"/"возобновила")
    opposite = 0.0
    for q in range(na):
        ca = s_pole[ua[q]]
        if ca < 0:
            continue
        for r in range(nb):
            if s_pole[ub[r]] == (ca ^ 1):
                opposite = 1.0
    return match, max(share_a, share_b), min(share_a, share_b), opposite
