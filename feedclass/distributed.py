"""Classify and deduplicate sharded archives on a Dask cluster (``dask.distributed``).

The distributed path calls the same per-batch library functions as a single process
(:func:`feedclass.classify.classify_file`, the dedup package's steps); this module only decides
where each shard runs and how dedup candidates meet. ``local`` or ``local:N`` starts a
``LocalCluster`` of N worker processes on this machine; ``tcp://host:8786`` uses a running
scheduler. Every worker must see the input and output paths under the same names (one
machine, or a shared file system).

What workers trust: Dask moves task arguments and results between processes with pickle, so
only run workers and a scheduler you control. The model goes to each worker once, as the bytes
of its file, and is loaded there with :func:`feedclass.model.load_model` (data, never pickle).

Dask is the ``dask`` extra (``pip install 'feedclass[dask]'``) and is imported only here, and
only when a cluster is asked for.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feedclass.errors import ClusterError, DataError, FeedclassError, InputFileError
from feedclass.shards import list_shards

__all__ = ["ShardsSummary", "classify_shards", "dask_client", "parse_address"]

log = logging.getLogger(__name__)

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


def parse_address(address: str) -> tuple[str, int | None]:
    """Split ``--dask`` into ``("local", n_workers or None)`` or ``("remote", None)``.

    Examples
    --------
    >>> parse_address("local:2"), parse_address("tcp://10.0.0.5:8786")
    (('local', 2), ('remote', None))
    """
    a = address.strip()
    if a == "local":
        return "local", None
    if a.startswith("local:"):
        n = a.split(":", 1)[1]
        if not n.isdigit() or int(n) < 1:
            raise DataError(f"--dask local:N needs a number of workers >= 1; got {address!r}")
        return "local", int(n)
    if "://" in a:
        return "remote", None
    raise DataError(
        f"--dask takes local, local:N or a scheduler address like tcp://host:8786; got {address!r}"
    )


def _import_dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterError("--dask needs the dask extra: pip install 'feedclass[dask]'") from None
    return distributed


@contextmanager
def dask_client(
    address: Any, worker_memory: str | None = None, local_directory: str | None = None
) -> Iterator[Any]:
    """A ``distributed.Client`` for ``address``, closed (with its local cluster) at the end.

    ``address`` may also be a ``Client`` already made; it is used as is and left open.
    ``worker_memory`` ("6GiB") is the memory limit of each local worker; past it Dask spills
    to ``local_directory`` (default: the system temporary folder).
    """
    if not isinstance(address, str):
        yield address
        return
    kind, n = parse_address(address)
    distributed = _import_dask()
    if kind == "local":
        cluster = distributed.LocalCluster(
            n_workers=n or max(len(os.sched_getaffinity(0)), 1),
            threads_per_worker=1,
            processes=True,
            memory_limit=worker_memory or "auto",
            dashboard_address=None,
            local_directory=local_directory,
            # A failed task is reported once, as a one-line error, by the caller; the workers'
            # own tracebacks would only repeat it (shown under --debug).
            silence_logs=logging.DEBUG if log.isEnabledFor(logging.DEBUG) else logging.CRITICAL,
        )
        try:
            with distributed.Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = distributed.Client(address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        yield client
    finally:
        client.close()


def _output_folder(dest: str | Path) -> tuple[Path, Path]:
    """The final folder and a new temporary folder beside it (same file system: rename works)."""
    final = Path(dest)
    if final.exists() and not final.is_dir():
        raise InputFileError(f"{final}: exists and is not a folder; -o takes a folder here")
    if final.is_dir() and any(final.iterdir()):
        raise InputFileError(f"{final}: folder is not empty; give a new or empty folder")
    parent = final.parent if str(final.parent) else Path(".")
    if not parent.is_dir():
        raise InputFileError(f"{final}: folder {parent} does not exist")
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp's 0700 would hide the output from its readers
    return final, tmp


def _publish_folder(tmp: Path, final: Path, expected: set[str]) -> None:
    # A worker killed mid-write leaves its temporary file behind; the retry wrote the shard.
    for p in tmp.iterdir():
        if p.name not in expected:
            p.unlink()
    if final.is_dir():
        final.rmdir()  # empty, checked before the run
    os.replace(tmp, final)


def _run_shards(
    client: Any,
    shards: list[Path],
    task: Callable[..., Any],
    dest: str | Path,
    *args: Any,
) -> tuple[list[Any], Path]:
    """Run ``task(shard, out_path, *args)`` for every shard into a temporary output folder.

    Returns the results in shard order and the folder; on any error the folder is removed and
    the first error (by shard order) is raised as a one-line feedclass error.
    """
    final, tmp = _output_folder(dest)
    run = uuid.uuid4().hex[:8]
    try:
        futures = [
            client.submit(task, str(s), str(tmp / s.name), *args, key=f"{task.__name__}-{run}-{i}")
            for i, s in enumerate(shards)
        ]
        results = []
        for s, fut in zip(shards, futures):
            try:
                results.append(fut.result())
            except FeedclassError:
                client.cancel(futures)
                raise
            except Exception as exc:
                client.cancel(futures)
                raise ClusterError(f"{s}: {type(exc).__name__}: {exc}") from None
        _publish_folder(tmp, final, {s.name for s in shards})
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return results, final


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
        # Sent once to every worker; tasks get the worker's local copy, not a transfer each.
        [model_future] = client.scatter([model_bytes], broadcast=True, hash=False)
        results, _ = _run_shards(
            client, shards, _classify_task, dest, model_future, digest, options
        )
    for s, (rows, empty, below) in zip(shards, results):
        summary.rows += rows
        summary.empty += empty
        summary.below_threshold += below
        summary.per_shard[s.name] = rows
    return summary
