"""Classifying a feed: every input row out, in order, with its topic and confidence.

The feed streams through in chunks, so memory stays flat however long the input is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from feedclass.errors import DataError
from feedclass.model import TopicModel
from feedclass.readers import Table, cell_text, find_text_column, jsonl_columns, open_table
from feedclass.writers import TableWriter, output_format


@dataclass
class ClassifySummary:
    rows: int = 0
    empty: int = 0
    below_threshold: int = 0
    output_format: str = ""


def output_columns(existing: list[str], top_k: int, explain: bool) -> list[str]:
    """The names of the columns we add; prefixed when the input already has them."""
    names = ["topic", "confidence"]
    for i in range(1, top_k + 1):
        names += [f"topic_{i}", f"confidence_{i}"]
    if explain:
        names.append("explain")
    if any(n in existing for n in names):
        names = [f"predicted_{n}" for n in names]
    if any(n in existing for n in names):
        raise DataError("the input already has columns named like ours (topic, predicted_topic)")
    return names


def annotate(
    model: TopicModel,
    texts: list[str],
    *,
    top_k: int = 0,
    min_confidence: float = 0.0,
    fallback: str = "",
    explain: bool = False,
) -> tuple[list[list[Any]], int, int]:
    """Per text, the values of :func:`output_columns`; plus counts of empty and unsure texts."""
    n = len(texts)
    stripped = [t.strip() for t in texts]
    full = [i for i, t in enumerate(stripped) if t]
    out: list[list[Any]] = [[""] * (2 + 2 * top_k + explain) for _ in range(n)]
    below = 0
    if full:
        proba = model.predict_proba([texts[i] for i in full])
        best = np.argmax(proba, axis=1)
        conf = proba[np.arange(len(full)), best]
        labels = model.classes_
        order = np.argsort(-proba, axis=1, kind="stable")[:, :top_k] if top_k else None
        for j, i in enumerate(full):
            c = float(conf[j])
            row = out[i]
            if c < min_confidence:
                row[0] = fallback
                below += 1
            else:
                row[0] = str(labels[best[j]])
            row[1] = round(c, 4)
            if order is not None:
                for r, k in enumerate(order[j]):
                    row[2 + 2 * r] = str(labels[k])
                    row[3 + 2 * r] = round(float(proba[j, k]), 4)
            if explain:
                row[-1] = "; ".join(f"{g} ({w:.2f})" for g, w in model.explain(texts[i], n=3))
    return out, n - len(full), below


def classify_file(
    source: str | Path | IO[bytes],
    dest: str | Path | None,
    model: TopicModel,
    *,
    text_column: str | None = None,
    input_format: str | None = None,
    output_fmt: str | None = None,
    top_k: int = 0,
    min_confidence: float = 0.0,
    fallback: str = "",
    explain: bool = False,
    rss_summary: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ClassifySummary:
    """Classify a feed file (or stdin) into ``dest`` (a path, or None for stdout)."""
    if top_k < 0:
        raise DataError(f"--top-k must be 0 or more; got {top_k} instead")
    if not 0.0 <= min_confidence <= 1.0:
        raise DataError(f"--min-confidence must be between 0 and 1; got {min_confidence} instead")
    table = open_table(source, input_format, rss_summary=rss_summary)
    fmt = output_format(dest, table.format, output_fmt)
    chunks = iter(table.chunks())
    first = next(chunks, None)
    if first is None and table.is_dict:
        with TableWriter(dest, fmt, []):
            pass  # an empty JSONL feed gives an empty output, not an error
        return ClassifySummary(output_format=fmt)
    columns = _columns(table, first)
    tcol = find_text_column(
        columns, text_column or ("text" if table.format == "rss" else None), table.name
    )
    added = output_columns(columns, top_k, explain)
    summary = ClassifySummary(output_format=fmt)
    with TableWriter(
        dest,
        fmt,
        columns + added,
        delimiter=table.delimiter if table.format == "csv" else None,
        bom=table.encoding in ("cp1251", "utf-8-sig"),
        feed_title=getattr(table, "feed_title", "") or "feedclass",
    ) as writer:
        if first is not None:
            for chunk in _chain(first, chunks):
                if table.is_dict:
                    texts = [cell_text(r.get(tcol)) for r in chunk]
                else:
                    ti = columns.index(tcol)
                    texts = [r[ti] for r in chunk]
                values, empty, below = annotate(
                    model,
                    texts,
                    top_k=top_k,
                    min_confidence=min_confidence,
                    fallback=fallback,
                    explain=explain,
                )
                if table.is_dict:
                    rows: list[Any] = []
                    for r, v in zip(chunk, values):
                        r = dict(r)
                        r.update(zip(added, v))
                        rows.append(r)
                else:
                    rows = [r + v for r, v in zip(chunk, values)]
                writer.write(rows)
                summary.rows += len(chunk)
                summary.empty += empty
                summary.below_threshold += below
                if progress is not None:
                    progress(summary.rows)
    return summary


def _chain(first: list[Any], rest: Iterator[list[Any]]) -> Iterator[list[Any]]:
    yield first
    yield from rest


def _columns(table: Table, first: list[Any] | None) -> list[str]:
    if table.is_dict:
        table.columns = jsonl_columns(first or [])
    if not table.columns:
        raise DataError(f"{table.name}: no rows to classify")
    return list(table.columns)
