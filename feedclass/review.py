"""What to ask the editors: the items whose labels would teach the model most.

Uncertainty sampling with a diversity filter: items are ranked by the margin between the
model's two best guesses (a small margin means the model cannot tell, so a label moves it
most), and an item whose features are close to one already picked (a near-copy: a repost, a
rewording) is passed over, since its label would teach the same thing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from feedclass.errors import DataError
from feedclass.inputs import check_texts
from feedclass.model import TopicModel
from feedclass.tables import read_whole_table, write_ranked

#: Cosine similarity of feature rows above which two items count as near-copies.
NEAR_COPY = 0.5
#: Candidates examined per item asked for (the lowest margins), to bound the pairwise work.
POOL_FACTOR = 20


@dataclass
class ReviewItem:
    """One item to ask about: its position in the input and the model's two best guesses."""

    index: int
    margin: float
    guess_1: Any
    confidence_1: float
    guess_2: Any
    confidence_2: float


def review_order(
    model: TopicModel, texts: Any, n: int = 50, *, near_copy: float = NEAR_COPY
) -> list[ReviewItem]:
    """The ``n`` items to label first: lowest margin first, no two near-copies.

    Parameters
    ----------
    model : TopicModel
        A fitted model with at least two topics.
    texts : sequence of str
        The candidate headlines; empty ones are never picked.
    n : int
        How many items to pick (fewer when the input has fewer distinct items).
    near_copy : float
        Cosine similarity of the model's feature rows at or above which an item is a
        near-copy of one already picked and is passed over.

    Returns
    -------
    list of ReviewItem
        Best first.

    Examples
    --------
    >>> m = TopicModel(calibrate=False, n_features=2**16).fit(
    ...     ["Гол в ворота", "Матч вничью", "Курс доллара вырос", "Нефть подешевела"],
    ...     ["sport", "sport", "economy", "economy"])
    >>> items = review_order(m, ["Гол в ворота", "Курс матча", "Курс матча"], n=2)
    >>> [i.index for i in items]
    [1, 0]
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise DataError(f"n must be an int >= 1; got {n!r} instead")
    texts = check_texts(texts, "texts")
    full = np.flatnonzero([bool(t.strip()) for t in texts])
    if full.size == 0:
        return []
    proba = model.predict_proba([texts[i] for i in full])
    order2 = np.argsort(-proba, axis=1, kind="stable")[:, :2]
    rows = np.arange(full.size)
    p1 = proba[rows, order2[:, 0]]
    p2 = proba[rows, order2[:, 1]] if proba.shape[1] > 1 else np.zeros(full.size)
    margin = p1 - p2
    ranked = np.argsort(margin, kind="stable")[: max(n * POOL_FACTOR, n)]
    feats = model.features_.transform([texts[full[j]] for j in ranked])
    picked: list[int] = []
    chosen_rows: list[int] = []
    for pos, j in enumerate(ranked.tolist()):
        if len(picked) == n:
            break
        if chosen_rows:
            sims = (feats[chosen_rows] @ feats[pos].T).toarray().ravel()
            if sims.max() >= near_copy:
                continue
        picked.append(j)
        chosen_rows.append(pos)
    classes = model.classes_
    return [
        ReviewItem(
            index=int(full[j]),
            margin=float(margin[j]),
            guess_1=_py(classes[order2[j, 0]]),
            confidence_1=float(p1[j]),
            guess_2=_py(classes[order2[j, 1]]),
            confidence_2=float(p2[j]),
        )
        for j in picked
    ]


def _py(value: Any) -> Any:
    """A numpy scalar label as the plain Python value (writers and JSON take those)."""
    return value.item() if isinstance(value, np.generic) else value


def review_file(
    source: str | Path | IO[bytes],
    dest: str | Path | None,
    model: TopicModel,
    *,
    n: int = 50,
    text_column: str | None = None,
    fmt: str | None = None,
    output_fmt: str | None = None,
) -> list[ReviewItem]:
    """Write the ``n`` rows of a feed to label first, best first, each with its fields and
    the columns ``review_rank, guess_1, confidence_1, guess_2, confidence_2, margin``."""
    table = read_whole_table(source, text_column=text_column, fmt=fmt)
    items = review_order(model, table.texts, n)
    write_ranked(
        dest,
        table,
        [it.index for it in items],
        ["review_rank", "guess_1", "confidence_1", "guess_2", "confidence_2", "margin"],
        [
            [
                k + 1,
                it.guess_1,
                round(it.confidence_1, 4),
                it.guess_2,
                round(it.confidence_2, 4),
                round(it.margin, 4),
            ]
            for k, it in enumerate(items)
        ],
        output_fmt,
    )
    return items
