"""What grouped CV would say if every Russian training headline had been re-read (issue #19).

The second label audit (``python -m training.relabel disagree``) re-read, blind to the old label
and to the model, every Russian headline whose grouped-CV prediction disagreed with its label,
the other items of their rewording groups, and a seeded random control sample of the headlines
the model got right. Re-reading only where the model disagreed flatters a CV figure on the new
labels: a wrong label the model happened to agree with was never looked at. The control sample
measures how often that happens, so the CV can be re-weighted to an estimate over the whole set:

- a headline the audit could not have chosen (our own dev-channel posts, other languages),
  read by the first audit, or chosen as a disagreement or partner counts once;
- each control headline stands for every headline of the pool it was drawn from (the headlines
  the first model got right and no audit had read), so its weight is pool size / control size;
- the rest of that pool counts zero (its labels were never re-read).

``training/audit2_kinds.csv`` (``id,kind``) records, for every headline the audit could
choose, what it was chosen as (``unread``: in the pool, not drawn).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: The audit's choice for each id: ``disagree``, ``partner`` or ``control``.
AUDIT2_KINDS = Path(__file__).resolve().parent / "audit2_kinds.csv"


def load_kinds(path: Path = AUDIT2_KINDS) -> dict[str, str]:
    """``id -> kind`` of the second audit's file (empty when it does not exist)."""
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["id"]: row["kind"] for row in csv.DictReader(fh)}


def reread_weights(ids: Sequence[str], kinds: dict[str, str]) -> np.ndarray:
    """Per-item weights of the re-read estimate (see the module docstring).

    ``kinds`` is the second audit's file: every headline it could choose, as ``disagree``,
    ``partner``, ``control`` or ``unread``; an id not in it (a dev-channel post, an item of
    another language or part, one read by the first audit) counts once.

    >>> reread_weights(["a", "b", "c", "d", "e"],
    ...                {"a": "disagree", "b": "control", "c": "unread", "d": "unread"}).tolist()
    [1.0, 3.0, 0.0, 0.0, 1.0]
    """
    w = np.ones(len(ids))
    pool = [i for i, item_id in enumerate(ids) if kinds.get(item_id) in ("control", "unread")]
    controls = [i for i in pool if kinds[ids[i]] == "control"]
    if pool and not controls:
        raise ValueError("the audit's pool has no control item: the estimate would ignore it")
    w[pool] = 0.0
    if controls:
        w[controls] = len(pool) / len(controls)
    return w


def weighted_report(
    y_true: Sequence[str], y_pred: Sequence[str], weights: np.ndarray, labels: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, macro-F1 and per-class F1 with each item counted ``weights[i]`` times.

    >>> r = weighted_report(["x", "y", "y"], ["x", "y", "x"], np.array([1.0, 2.0, 1.0]),
    ...                     ["x", "y"])
    >>> r["accuracy"], r["per_class"]["y"]
    (0.75, 0.8)
    """
    index = {lab: k for k, lab in enumerate(labels)}
    conf = np.zeros((len(labels), len(labels)))
    for t, p, w in zip(y_true, y_pred, weights):
        conf[index[str(t)], index[str(p)]] += w
    if not conf.sum():
        raise ValueError("no item with a positive weight")
    tp = np.diag(conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(conf.sum(0) > 0, tp / conf.sum(0), 0.0)
        recall = np.where(conf.sum(1) > 0, tp / conf.sum(1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return {
        "n_weighted": round(float(conf.sum()), 1),
        "accuracy": round(float(tp.sum() / conf.sum()), 4),
        "macro_f1": round(float(f1.mean()), 4),
        "per_class": {lab: round(float(f1[k]), 4) for k, lab in enumerate(labels)},
    }
