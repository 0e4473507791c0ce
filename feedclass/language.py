"""Which headlines are Russian: the one rule the topic model's word vectors follow.

Why: the word vectors (:mod:`feedclass.vectors`) are Russian (navec, Russian news). Applied to a
Kazakh or English headline they pull weight away from the character n-grams that carry those
languages, so the topic model uses them on Russian headlines only, in training and in
prediction alike. The rule is by script, per headline, and needs no word list: a headline is
Russian when most of its letters are Cyrillic and it holds none (or, in a long headline, almost
none) of the letters that Kazakh, Ukrainian or Belarusian have and Russian does not. A single
such letter in a long Russian headline is a name written the Kazakh way (``Тоқаев``), not a
Kazakh sentence.

Examples
--------
>>> russian_mask(["Курс тенге вырос", "Теңге бағамы өсті", "Tenge rate rises", ""]).tolist()
[True, False, False, False]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from feedclass.jit import jit

__all__ = [
    "NON_RUSSIAN_CYRILLIC",
    "RUSSIAN_KEYBOARD",
    "is_russian",
    "russian_keyboard",
    "russian_mask",
]

#: Cyrillic letters of Kazakh, Ukrainian and Belarusian that Russian does not use.
NON_RUSSIAN_CYRILLIC = frozenset("әғқңөұүһіїєґўӘҒҚҢӨҰҮҺІЇЄҐЎ")
#: A headline with fewer such letters than this share of its Cyrillic letters (and never
#: fewer than one) stays Russian: one Kazakh-spelled name does not make a Kazakh headline.
FOREIGN_SHARE = 0.02
#: Kazakh letters as a Russian keyboard types them: each becomes the Russian letter it is drawn
#: from. ``і`` stays: it is typed as the Latin ``i``, which the normalisation turns back into
#: ``і`` inside a Cyrillic word (:mod:`feedclass.scripts`).
RUSSIAN_KEYBOARD = str.maketrans("әғқңөұүһӘҒҚҢӨҰҮҺ", "агкноуухАГКНОУУХ")


def russian_keyboard(text: str) -> str:
    """``text`` as typed on a Russian keyboard (:data:`RUSSIAN_KEYBOARD`).

    Examples
    --------
    >>> russian_keyboard("Қазақстанда жаңа заң қабылданды")
    'Казакстанда жана зан кабылданды'
    """
    return text.translate(RUSSIAN_KEYBOARD)


def is_russian(text: str) -> bool:
    """Whether ``text`` is a Russian headline by :func:`russian_mask`'s rule.

    Examples
    --------
    >>> is_russian("Токаев подписал закон"), is_russian("Тоқаев заңға қол қойды")
    (True, False)
    >>> is_russian("Президент Тоқаев подписал указ о новых мерах поддержки фермеров")
    True
    """
    return bool(russian_mask([text])[0])


def russian_mask(texts: Sequence[str]) -> np.ndarray:
    """One bool per text: True for a Russian headline.

    Russian: more Cyrillic than Latin letters, and fewer letters of
    :data:`NON_RUSSIAN_CYRILLIC` than ``max(1, FOREIGN_SHARE * Cyrillic letters)``. Counted on
    the code points of the whole batch at once (a loop over characters would cost as much as
    classifying).

    Examples
    --------
    >>> russian_mask(["Матч", "Match"]).tolist()
    [True, False]
    """
    n = len(texts)
    if n == 0:
        return np.zeros(0, dtype=bool)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _russian_kernel(cps, offsets, _KIND, FOREIGN_SHARE)


@jit(nogil=True)
def _russian_kernel(
    cps: np.ndarray, offsets: np.ndarray, kind: np.ndarray, share: float
) -> np.ndarray:  # pragma: no cover - compiled
    n = offsets.size - 1
    out = np.zeros(n, dtype=np.bool_)
    top = kind.size - 1
    for i in range(n):
        counts = np.zeros(4, dtype=np.int64)
        for j in range(offsets[i], offsets[i + 1]):
            c = cps[j]
            counts[kind[c if c < top else top]] += 1
        cyr = counts[1] + counts[3]
        out[i] = cyr > counts[2] and counts[3] < max(1.0, share * cyr)
    return out


def _kind_table() -> np.ndarray:
    kind = np.zeros(0x501, dtype=np.uint8)
    for c in range(0x500):
        ch = chr(c)
        if not ch.isalpha():
            continue
        if 0x400 <= c:
            kind[c] = 3 if ch in NON_RUSSIAN_CYRILLIC else 1
        elif c < 0x250:
            kind[c] = 2
    return kind


_KIND = _kind_table()
