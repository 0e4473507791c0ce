"""Sharded inputs: which files a file, a glob or a folder names, and Parquet shards.

A large archive comes as many files (``archive/2024-*.csv``, a folder of Parquet parts). The
distributed commands take one of those and write one output shard per input shard, under the
same name, so a shard is the unit of work and of output. Parquet is read and written with
pyarrow (the ``dask`` extra), imported only when a Parquet shard is met.
"""

from __future__ import annotations

import glob
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from feedclass.errors import DataError, InputFileError

__all__ = ["SHARD_SUFFIXES", "list_shards", "read_parquet_columns"]

#: Extensions a shard may have: the text formats the readers take, and Parquet.
SHARD_SUFFIXES = (".csv", ".tsv", ".jsonl", ".parquet")


def list_shards(spec: str | Path) -> list[Path]:
    """The shard files named by ``spec``: one file, a glob, or a folder, in name order.

    A folder gives every file in it with an extension of :data:`SHARD_SUFFIXES` (hidden files
    skipped); a glob gives what it matches. Two shards with one file name are refused, since
    each output shard takes its input's name.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for n in ("b.csv", "a.jsonl", "notes.txt"):
    ...     _ = (d / n).write_text("title\\nx\\n")
    >>> [p.name for p in list_shards(d)]
    ['a.jsonl', 'b.csv']
    """
    text = str(spec)
    path = Path(text)
    if path.is_dir():
        found = [
            p
            for p in sorted(path.iterdir())
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SHARD_SUFFIXES
        ]
        if not found:
            raise InputFileError(
                f"{text}: no shards in this folder; expected files ending in "
                f"{', '.join(SHARD_SUFFIXES)}"
            )
    elif path.is_file():
        found = [path]
    elif glob.has_magic(text):
        found = [Path(p) for p in sorted(glob.glob(text, recursive=True)) if Path(p).is_file()]
        if not found:
            raise InputFileError(f"{text}: the pattern matches no file")
    else:
        raise InputFileError(f"{text}: no such file, folder or pattern")
    seen: dict[str, Path] = {}
    for p in found:
        if p.suffix.lower() not in SHARD_SUFFIXES:
            raise InputFileError(
                f"{p}: a shard must be CSV, TSV, JSONL or Parquet (by its extension); "
                f"got {p.suffix or 'no extension'}"
            )
        if p.name in seen:
            raise InputFileError(
                f"{seen[p.name]} and {p}: two shards named {p.name}; each output shard takes "
                "its input's name, so shard names must differ"
            )
        seen[p.name] = p
    return found


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputFileError("Parquet shards need pyarrow: pip install 'feedclass[dask]'") from None
    return pa, pq


def _open_parquet(path: str | Path) -> Any:
    _, pq = _pyarrow()
    try:
        return pq.ParquetFile(str(path))
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except OSError as exc:  # pyarrow raises ArrowInvalid (an OSError... or ValueError)
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    except ValueError as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from None


def parquet_columns(path: str | Path) -> list[str]:
    """The column names of a Parquet file."""
    return list(_open_parquet(path).schema_arrow.names)


def read_parquet_columns(
    path: str | Path, columns: list[str], batch_rows: int = 65536
) -> list[list[Any]]:
    """The values of ``columns`` of a Parquet file, as Python lists, in row order."""
    pf = _open_parquet(path)
    out: list[list[Any]] = [[] for _ in columns]
    for batch in pf.iter_batches(batch_size=batch_rows, columns=columns):
        for k, name in enumerate(columns):
            out[k].extend(batch.column(name).to_pylist())
    return out


def map_parquet(
    source: str | Path,
    dest: str | Path,
    text_column: str,
    added: list[tuple[str, str]],
    values_of: Callable[[list[Any], int], list[list[Any]]],
    batch_rows: int = 65536,
) -> int:
    """Copy a Parquet file to ``dest`` with columns added, batch by batch; return the rows.

    ``added`` names the new columns and their kind (``"str"`` or ``"float"``); ``values_of``
    gets the text column's values of one batch and the file row number of its first row, and
    returns the new values row by row (``""`` for a missing float). ``dest`` appears only when
    complete: it is written to a temporary name beside it, then renamed.
    """
    pa, pq = _pyarrow()
    pf = _open_parquet(source)
    dest = Path(dest)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    schema = pf.schema_arrow
    for name, kind in added:
        schema = schema.append(pa.field(name, pa.float64() if kind == "float" else pa.string()))
    rows = 0
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            for batch in pf.iter_batches(batch_size=batch_rows):
                values = values_of(batch.column(text_column).to_pylist(), rows + 1)
                cols = list(zip(*values)) if values else [() for _ in added]
                arrays = list(batch.columns)
                for (_, kind), col in zip(added, cols):
                    if kind == "float":
                        arrays.append(pa.array([None if v == "" else v for v in col], pa.float64()))
                    else:
                        arrays.append(pa.array(list(col), pa.string()))
                writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
                rows += batch.num_rows
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return rows
