"""Slips of the pen between two headlines, for the incremental index's pair scores.

Why this design: the batch undoes a slipped word («Карагнде») against the other words of its
call; the index must score a pair the same whatever else shares the call, so it featurizes
without that. To keep most of what the batch gains, a pair whose two headlines hold a word and
its slip (one letter dropped, not the first; or two neighbouring letters swapped; the longer
word of :data:`~feedclass.dedup.typos.TYPO_MIN_LEN`+ letters) is scored again as the batch would
score that pair alone (``featurize([a, b])``). That depends on the pair only, so one-at-a-time
adds and a batch still give the same answers. Finding such pairs is cheap string work on the
few pairs near the threshold.
"""

from __future__ import annotations

import re

from feedclass.dedup.typos import TYPO_MIN_LEN

__all__ = ["share_a_slip", "slip_forms"]

_WORD = re.compile(r"[^\W\d_]+")


def slip_forms(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(words that may be a slip or what one stands for, the slips of its longer words).

    Examples
    --------
    >>> words, slips = slip_forms("Пожар в Караганде")
    >>> "караганде" in words, "карагнде" in slips, "кагаранде" in slips
    (True, True, False)
    """
    words = {w for w in _WORD.findall(text.casefold()) if len(w) >= TYPO_MIN_LEN - 1}
    slips: set[str] = set()
    for w in words:
        if len(w) < TYPO_MIN_LEN:
            continue
        # not the last letter: «доллара» / «доллар» is an inflection, whose stem already
        # agrees, and counting it would send most pairs of a story to be scored again
        for p in range(1, len(w) - 1):
            slips.add(w[:p] + w[p + 1 :])
        for p in range(1, len(w) - 1):
            slips.add(w[:p] + w[p + 1] + w[p] + w[p + 2 :])
    slips -= words
    return frozenset(words), frozenset(slips)


def share_a_slip(
    a: tuple[frozenset[str], frozenset[str]], b: tuple[frozenset[str], frozenset[str]]
) -> bool:
    """Whether a word of one headline is a slip of a word of the other (:func:`slip_forms`).

    Examples
    --------
    >>> share_a_slip(slip_forms("Пожар в Караганде"), slip_forms("Пожар в Карагнде"))
    True
    >>> share_a_slip(slip_forms("Пожар в Караганде"), slip_forms("Пожар в Караганде"))
    False
    """
    return bool(a[1] & b[0]) or bool(a[0] & b[1])
