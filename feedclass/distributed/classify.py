"""Classify shards on a Dask cluster: one task per shard, the model sent once per worker."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feedclass.distributed.cluster import dask_client, held, run_shards
from feedclass.errors import DataError, InputFileError
from feedclass.shards import list_shards

__all__ = ["ShardsSummary", "classify_shards"]

# Loaded models of this worker process, by the SHA-256 of their file: one load per worker.
_MODELS: dict[str, Any] = {}


@dataclass
class ShardsSummary:
    """What a distributed run did, summed over the shards."""

    shards: int = 0
    rows: int = 0
    empty: int = 0
    below_threshold: int = 0
    workers: int = 0
    per_shard: dict[str, int] = field(default_factory=dict)


def _worker_model(model_bytes: bytes, digest: str) -> Any:
    """The model of these bytes, loaded once per worker process with the safe loader."""
    model = _MODELS.get(digest)
    if model is None:
        from feedclass.model import load_model

        fd, path = tempfile.mkstemp(suffix=".fcm")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(model_bytes)
            # One thread per task: the worker's process is the unit of parallelism.
            model = load_model(path, n_jobs=1)
        finally:
            os.unlink(path)
        _MODELS.clear()  # a worker serves one model at a time; do not pile them up
        _MODELS[digest] = model
    return model


def _classify_task(
    shard: str, out: str, model_bytes: bytes, digest: str, options: dict[str, Any]
) -> tuple[int, int, int]:
    from feedclass.classify import classify_file, classify_parquet

    model = _worker_model(model_bytes, digest)
    if shard.lower().endswith(".parquet"):
        opts = {k: v for k, v in options.items() if k not in ("input_format", "rss_summary")}
        s = classify_parquet(shard, out, model, **opts)
    else:
        s = classify_file(shard, out, model, **options)
    return s.rows, s.empty, s.below_threshold


def classify_shards(
    source: str | Path,
    dest: str | Path,
    model_path: str | Path | None = None,
    *,
    address: Any = "local",
    worker_memory: str | None = None,
    text_column: str | None = None,
    input_format: str | None = None,
    top_k: int = 0,
    min_confidence: float = 0.0,
    fallback: str = "",
    explain: bool = False,
) -> ShardsSummary:
    """Classify every shard of ``source`` on a Dask cluster into the folder ``dest``.

    ``source`` is a file, a glob or a folder of CSV/TSV/JSONL/Parquet shards; ``dest`` gets
    one output shard per input shard, under the same name and in the same format, each with
    every row in order and the columns :func:`feedclass.classify.classify_file` adds. Output
    equals ``classify_file`` on each shard. ``dest`` appears only when every shard is done:
    an error on one shard (named with its row) leaves no output folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "in").mkdir(), (d / "in" / "a.csv").write_text("title\\nГол в ворота\\n")
    >>> classify_shards(d / "in", d / "out", address="local:1").rows  # doctest: +SKIP
    1
    """
    from feedclass.model import default_model_path

    if top_k < 0:
        raise DataError(f"--top-k must be 0 or more; got {top_k} instead")
    if not 0.0 <= min_confidence <= 1.0:
        raise DataError(f"--min-confidence must be between 0 and 1; got {min_confidence} instead")
    shards = list_shards(source)
    path = Path(model_path) if model_path is not None else default_model_path()
    try:
        model_bytes = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such model file") from None
    # Check the model here, once, so a bad file is one clear error rather than one per worker.
    from feedclass.model import load_model

    load_model(path)
    digest = hashlib.sha256(model_bytes).hexdigest()
    options = {
        "text_column": text_column,
        "input_format": input_format,
        "top_k": top_k,
        "min_confidence": min_confidence,
        "fallback": fallback,
        "explain": explain,
    }
    summary = ShardsSummary(shards=len(shards))
    with dask_client(address, worker_memory) as client:
        summary.workers = len(client.scheduler_info(n_workers=-1)["workers"])
        # One task holds the model (not scattered data: a worker lost with the only copy would
        # end the run); each worker fetches it once and caches it by digest (_worker_model).
        model_future = client.submit(held, model_bytes, key=f"model-{digest[:16]}", pure=False)
        results, _ = run_shards(client, shards, _classify_task, dest, model_future, digest, options)
    for s, (rows, empty, below) in zip(shards, results):
        summary.rows += rows
        summary.empty += empty
        summary.below_threshold += below
        summary.per_shard[s.name] = rows
    return summary
