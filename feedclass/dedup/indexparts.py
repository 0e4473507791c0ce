"""What one headline adds to the incremental index's window counts, computed without them.

Why this design
---------------
* Scores must not depend on which items share a call, so the index counts document frequencies
  over its window; the pieces it counts (character 3-gram buckets, content stems, name
  evidence, band keys) depend on the text alone and are computed here, in one place, for one
  item or a whole batch alike.
* A handful of headlines is prepared on one thread: starting numba's thread pool costs more
  than the work.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import numba
import numpy as np

from feedclass.dedup.candidates import band_keys
from feedclass.dedup.facts import case_evidence, content_tokens, feed_typo_words
from feedclass.dedup.featurize import char_gram_rows, clean_hashes
from feedclass.dedup.ragged import ptr_from_docs, sorted_unique_rows
from feedclass.dedup.typos import TypoWords
from feedclass.dedup.windowtypos import typo_rows

__all__ = ["PARALLEL_MIN", "Parts", "item_parts", "one_thread"]

PARALLEL_MIN = 4096  # fewer headlines than this are prepared on one thread (see one_thread)


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Numba kernels on one thread inside the block.

    For a handful of headlines, starting the thread pool costs more than the work, and on a
    busy machine a parallel launch can wait milliseconds.

    Examples
    --------
    >>> before = numba.get_num_threads()
    >>> with one_thread():
    ...     numba.get_num_threads()
    1
    >>> numba.get_num_threads() == before
    True
    """
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


@dataclass
class Parts:
    """Per-text pieces the window counts: char buckets, stems, name evidence, band keys.

    Each ``*_ptr``/``*_idx`` pair is a ragged array: text ``k``'s entries are
    ``idx[ptr[k]:ptr[k + 1]]`` (see :meth:`row`).

    Examples
    --------
    >>> p = item_parts(["Пожар в Алматы потушен"])
    >>> p.bands.shape[0], p.row(p.stem_ptr, p.stem_idx, 0).size > 0
    (1, True)
    """

    char_ptr: np.ndarray
    char_idx: np.ndarray  # distinct char 3-gram buckets per text
    stem_ptr: np.ndarray
    stem_idx: np.ndarray  # distinct content stems per text
    cap_ptr: np.ndarray  # per text, its stem tokens capitalised mid-headline (repeats kept)
    cap_stem: np.ndarray
    low_ptr: np.ndarray  # ... and those in lower case mid-headline
    low_stem: np.ndarray
    clean_hash: np.ndarray
    bands: np.ndarray  # (n, BANDS) band keys
    typo_ptr: np.ndarray  # per text, its words that slips are undone among (repeats kept)
    typo_key: np.ndarray
    typo_words: TypoWords  # those words of all the texts: letters, hashes, slip variants

    def row(self, ptr: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
        """Text ``k``'s entries of the ragged array ``(ptr, idx)``."""
        return idx[ptr[k] : ptr[k + 1]]


def item_parts(texts: list[str]) -> Parts:
    """What ``texts`` add to the window's counts (independent of the counts themselves).

    Parameters
    ----------
    texts : list of str
        Checked headlines (one line each).

    Returns
    -------
    Parts
        One row per text, in order.

    Examples
    --------
    >>> p = item_parts(["Курс доллара на 5 мая", "Курс доллара на 6 мая"])
    >>> p.char_ptr.size, p.clean_hash.size
    (3, 2)
    """
    if len(texts) < PARALLEL_MIN:
        with one_thread():
            return _parts_of(texts)
    return _parts_of(texts)


def _parts_of(texts: list[str]) -> Parts:
    # the pieces ``featurize`` starts from, without its IDF arithmetic (a third of an add); no
    # typo undoing here, so an item counts the same whether added alone or loaded in a batch
    ct = content_tokens(texts, typos=False)
    tk, doc, shash = ct.tk, ct.doc, ct.shash
    n = len(texts)
    cptr, cidx = char_gram_rows(tk["clean"], tk["clean_off"])
    sptr, sidx = sorted_unique_rows(ptr_from_docs(doc[ct.content], n), shash[ct.content])
    clean_hash = clean_hashes(tk["clean"], tk["clean_off"])
    # A stem capitalised mid-headline more often than not is a name: the batch counts this over
    # the whole feed (``find_names``); the index keeps the same counts over its window.
    _letters, _shouty, mid = case_evidence(ct, n)
    cap = mid & tk["cap"]
    low = mid & ~tk["cap"]
    rows = np.arange(n + 1)
    return Parts(
        cptr,
        cidx.astype(np.int64),
        sptr,
        sidx.astype(np.uint64),
        np.searchsorted(doc[cap], rows),
        shash[cap],
        np.searchsorted(doc[low], rows),
        shash[low],
        clean_hash,
        band_keys(sptr, sidx, clean_hash),
        *typo_parts(texts, tk["whash"], doc),
    )


def typo_parts(
    texts: list[str], whash: np.ndarray | None = None, doc: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, TypoWords]:
    """What ``texts`` add to the window's word counts for slips of the pen
    (:mod:`~feedclass.dedup.windowtypos`): ``(typo_ptr, typo_key, typo_words)`` of
    :class:`Parts`; ``whash``/``doc``: the texts' tokenisation, if already made.

    Examples
    --------
    >>> ptr, key, words = typo_parts(["Строительство моста"])
    >>> ptr.tolist(), words.keys.size
    ([0, 2], 2)
    """
    words = feed_typo_words(texts)
    if whash is None or doc is None:
        from feedclass.dedup.tokens import tokenize

        tk = tokenize(texts)
        whash, doc = tk["whash"], tk["doc"]
    ptr, key = typo_rows(whash, doc, len(texts), words)
    return ptr, key, words
