"""Hashing of code points: FNV-1a (defined here once) and the splitmix64 finaliser.

The dedup hashes words with :func:`hash_codes`: a word hashes to the same 64 bits whether
Python hashes it from a word list or a kernel from a batch's code points, so lists and batches
meet as plain ``uint64`` arrays. The classifier's features hash n-grams with the same FNV-1a
constants and their own finaliser and range reduction (``feedclass.features``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from feedclass.jit import jit

__all__ = [
    "FNV_OFFSET",
    "FNV_PRIME",
    "code_points",
    "hash_codes",
    "hash_word",
    "mix64",
    "pair_key",
    "sorted_hashes",
]

FNV_OFFSET = np.uint64(0xCBF29CE484222325)  # FNV-1a 64-bit offset basis
FNV_PRIME = np.uint64(0x100000001B3)  # FNV-1a 64-bit prime


@jit(inline="always")
def mix64(x: np.uint64) -> np.uint64:
    """splitmix64 finaliser: turns a weak hash into well-spread bits."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@jit
def hash_codes(codes: np.ndarray, start: int, end: int) -> np.uint64:
    """Hash of the code points ``codes[start:end]`` (FNV-1a, then :func:`mix64`)."""
    h = FNV_OFFSET
    for k in range(start, end):
        h = (h ^ np.uint64(codes[k])) * FNV_PRIME
    return mix64(h)


def code_points(s: str) -> np.ndarray:
    """The code points of ``s`` as ``uint32`` (one per character, surrogates kept)."""
    return np.frombuffer(s.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def hash_word(word: str) -> np.uint64:
    """Hash of one word, equal to what the tokenizer's kernels compute for it.

    Examples
    --------
    >>> a, b, c = (int(hash_word(w)) for w in ("мая", "мая", "май"))
    >>> a == b, a == c
    (True, False)
    """
    codes = np.frombuffer(word.encode("utf-32-le"), dtype=np.uint32)
    return np.uint64(hash_codes(codes, 0, len(codes)))


def sorted_hashes(words: Sequence[str]) -> np.ndarray:
    """Distinct hashes of ``words``, sorted (a table for ``ragged.in_sorted``)."""
    return np.unique(np.array([hash_word(w) for w in words], dtype=np.uint64))


def pair_key(a: np.ndarray | np.uint64, b: np.ndarray | np.uint64) -> np.ndarray | np.uint64:
    """One key for the ordered pair of hashes ``(a, b)`` (two-word names)."""
    with np.errstate(over="ignore"):
        return (a * np.uint64(0x9E3779B97F4A7C15)) ^ b
