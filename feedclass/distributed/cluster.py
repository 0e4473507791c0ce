"""Where the work runs: a Dask client for ``--dask``, and shard tasks into an output folder.

``local`` or ``local:N`` starts a ``LocalCluster`` of N single-threaded worker processes on
this machine; ``tcp://host:8786`` uses a running scheduler. Outputs go to a temporary folder
beside ``-o`` that is renamed only when every shard is done.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from feedclass.errors import ClusterError, DataError, FeedclassError, InputFileError

__all__ = [
    "dask_client",
    "gather",
    "held",
    "output_folder",
    "parse_address",
    "publish_folder",
    "run_shards",
]

log = logging.getLogger(__name__)


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
        if worker_memory:
            from dask.utils import parse_bytes

            try:
                parse_bytes(worker_memory)
            except (ValueError, TypeError):
                raise DataError(
                    f"--worker-memory takes a size like 6GiB or 4000MB; got {worker_memory!r}"
                ) from None
        cluster = distributed.LocalCluster(
            n_workers=n or _cores(),
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
    if worker_memory:
        raise DataError(
            "--worker-memory sets the workers of --dask local; a running cluster's workers "
            "have theirs (dask worker --memory-limit)"
        )
    try:
        client = distributed.Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        yield client
    finally:
        client.close()


def _cores() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def output_folder(dest: str | Path) -> tuple[Path, Path]:
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


def publish_folder(tmp: Path, final: Path, expected: set[str]) -> None:
    # A worker killed mid-write leaves its temporary file behind; the retry wrote the shard.
    for p in tmp.iterdir():
        if p.name not in expected:
            p.unlink()
    if final.is_dir():
        final.rmdir()  # empty, checked before the run
    os.replace(tmp, final)


def run_shards(
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
    final, tmp = output_folder(dest)
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
        publish_folder(tmp, final, {s.name for s in shards})
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return results, final


def held(value: Any) -> Any:
    """``value`` itself: submitted as a task, a value every worker may need.

    Dask keeps one copy of scattered data (its memory manager drops extra replicas), so a
    worker lost with it ends the run; a task's result is computed again on another worker.

    Examples
    --------
    >>> held(b"model")
    b'model'
    """
    return value


def gather(client: Any, futures: list[Any], shards: list[Path]) -> list[Any]:
    """Results in order; the first failure becomes one feedclass error, the rest cancelled."""
    out = []
    for fut in futures:
        try:
            out.append(fut.result())
        except FeedclassError:
            client.cancel(futures)
            raise
        except Exception as exc:
            client.cancel(futures)
            raise ClusterError(f"{type(exc).__name__}: {exc}") from None
    return out


def pick(parts: list[Any], q: int) -> Any:
    return parts[q]
