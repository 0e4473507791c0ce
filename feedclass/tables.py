"""Whole tables for commands that rank rows (review, audit): read every row with its fields,
write a chosen order of them with columns added.

Why not the streaming path of ``classify``: a ranking needs every row before the first can be
written. The rows keep every field as it came in (an ``id`` column comes out as it went in).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from feedclass.errors import DataError
from feedclass.readers import cell_text, find_text_column, jsonl_columns, open_table
from feedclass.writers import TableWriter, output_format

__all__ = ["WholeTable", "read_whole_table", "write_ranked"]


@dataclass
class WholeTable:
    """Every row of an input, its columns, and the texts (and labels) found in them."""

    name: str
    format: str
    columns: list[str]
    rows: list[Any]
    texts: list[str]
    labels: list[str] = field(default_factory=list)
    delimiter: str = ","
    encoding: str = "utf-8"


def read_whole_table(
    source: str | Path | IO[bytes],
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    fmt: str | None = None,
) -> WholeTable:
    """Read every row; find the text column (and the label column, when named)."""
    table = open_table(source, fmt)
    rows: list[Any] = []
    for chunk in table.chunks():
        rows.extend(chunk)
    columns = jsonl_columns(rows) if table.is_dict else list(table.columns)
    if not rows and not columns:
        raise DataError(f"{table.name}: the input is empty")
    tcol = find_text_column(
        columns, text_column or ("text" if table.format == "rss" else None), table.name
    )
    if label_column is not None and label_column not in columns:
        raise DataError(
            f"{table.name}: no label column {label_column!r}; columns are: "
            f"{', '.join(columns)}; choose one with --label-column"
        )

    def column(name: str) -> list[str]:
        if table.is_dict:
            return [cell_text(r.get(name)) for r in rows]
        i = columns.index(name)
        return [r[i] if i < len(r) else "" for r in rows]

    return WholeTable(
        name=table.name,
        format=table.format,
        columns=columns,
        rows=rows,
        texts=column(tcol),
        labels=column(label_column) if label_column is not None else [],
        delimiter=table.delimiter,
        encoding=table.encoding,
    )


def write_ranked(
    dest: str | Path | None,
    table: WholeTable,
    order: Sequence[int],
    added: list[str],
    values: Sequence[Sequence[Any]],
    output_fmt: str | None = None,
) -> str:
    """Write the rows ``order`` names, in that order, each with ``values[k]`` in ``added``.

    Returns the output format used. ``added`` names already in the input are refused.
    """
    clash = [c for c in added if c in table.columns]
    if clash:
        raise DataError(
            f"{table.name}: the input already has columns named {', '.join(clash)}; rename them"
        )
    fmt = output_format(dest, table.format, output_fmt)
    with TableWriter(
        dest,
        fmt,
        table.columns + added,
        delimiter=table.delimiter if table.format == "csv" else None,
        bom=table.encoding in ("cp1251", "utf-8-sig"),
    ) as writer:
        out: list[Any] = []
        for i, v in zip(order, values):
            row = table.rows[i]
            if isinstance(row, dict):
                out.append({**row, **dict(zip(added, v))})
            else:
                out.append(list(row) + list(v))
        writer.write(out)
    return fmt
