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


# ---------------------------------------------------------------------------------------------
# Dedup across shards.
#
# The single-process dedup featurises a batch, proposes candidate pairs by MinHash bands (items
# that share a band key, a few neighbours each in key order), keeps each item's best-supported
# candidates, scores them with the pair model and forms stories best pair first with the
# no-chaining rule. Here each shard is featurised where it lies (with the IDF of the whole
# archive), band keys are shuffled by key so that candidates from any two shards meet, the
# candidates are shuffled by item to keep each item's best, pairs are scored where the
# features of their shards lie, and stories are formed once over all scored pairs.
# ---------------------------------------------------------------------------------------------


@dataclass
class DedupShardsSummary:
    """What a distributed dedup did, summed over the shards."""

    shards: int = 0
    rows: int = 0
    clusters: int = 0
    merged: int = 0
    cross_shard: int = 0  # rows whose representative lies in another shard
    empty: int = 0
    candidates: int = 0
    workers: int = 0


@dataclass
class _ShardItems:
    """What dedup needs from one shard: its non-empty headlines and their id, time, source."""

    name: str
    rows: int
    full: Any  # positions (0-based) of the rows with a headline
    texts: list[str]
    ids: list[str] | None  # of every row, when the input names them
    times: Any  # of the rows in ``full`` (inf where missing), or None
    sources: list[str] | None  # of the rows in ``full``
    columns: list[str]


def _load_items(
    shard: str,
    text_column: str | None,
    id_column: str | None,
    time_column: str | None,
    source_column: str | None,
    input_format: str | None,
) -> _ShardItems:
    import numpy as np

    from feedclass.publish import collect, parse_time
    from feedclass.readers import cell_text, find_text_column, open_table

    name = Path(shard).name
    if shard.lower().endswith(".parquet"):
        from feedclass.shards import parquet_columns, read_parquet_columns

        columns = parquet_columns(shard)
        tcol = find_text_column(columns, text_column, shard)
        wanted = [tcol] + [c for c in (id_column, time_column, source_column) if c]
        for c in wanted:
            if c not in columns:
                raise DataError(f"{shard}: no column {c!r}; columns are: {', '.join(columns)}")
        values = dict(zip(wanted, read_parquet_columns(shard, wanted)))
        texts = [cell_text(v) for v in values[tcol]]
        ids = [cell_text(v) for v in values[id_column]] if id_column else None
        if ids is not None:
            seen: dict[str, int] = {}
            for k, v in enumerate(ids):
                if not v.strip():
                    raise DataError(f"{shard}, row {k + 1}: empty id in column {id_column!r}")
                if seen.setdefault(v.strip(), k + 1) != k + 1:
                    raise DataError(
                        f"{shard}, row {k + 1}: id {v!r} is also the id of row {seen[v.strip()]}"
                    )
        times = None
        if time_column:
            stamps = []
            for k, v in enumerate(values[time_column]):
                if v is None or v == "":
                    stamps.append(np.inf)
                elif hasattr(v, "timestamp"):
                    stamps.append(v.timestamp())
                else:
                    try:
                        stamps.append(parse_time(str(v)))
                    except ValueError:
                        raise DataError(
                            f"{shard}, row {k + 1}: cannot read the time {v!r} in column "
                            f"{time_column!r}; use ISO 8601 or Unix seconds"
                        ) from None
            times = np.asarray(stamps, dtype=float)
        sources = [cell_text(v) for v in values[source_column]] if source_column else None
    else:
        items = collect(
            open_table(shard, input_format), text_column, id_column, time_column, source_column
        )
        columns, texts = items.columns, items.texts
        ids = items.ids if items.ids_given else None
        times, sources = items.times, items.sources
    full = np.asarray([i for i, t in enumerate(texts) if t.strip()], dtype=np.int64)
    return _ShardItems(
        name=name,
        rows=len(texts),
        full=full,
        texts=[texts[i] for i in full.tolist()],
        ids=ids,
        times=None if times is None else np.asarray(times, dtype=float)[full],
        sources=None if sources is None else [sources[i] for i in full.tolist()],
        columns=columns,
    )


def _id_hashes(items: _ShardItems) -> Any:
    """64-bit hashes of the shard's ids, to find an id used in two shards without moving ids."""
    import numpy as np

    if items.ids is None:
        return np.zeros(0, np.uint64)
    digest = [hashlib.blake2b(i.strip().encode(), digest_size=8).digest() for i in items.ids]
    return np.frombuffer(b"".join(digest), np.uint64)


def _ids_at(items: _ShardItems, rows: Any) -> list[str]:
    assert items.ids is not None
    return [items.ids[r].strip() for r in rows.tolist()]


# -- the dedup package's per-batch steps (the same functions NearDuplicates runs) -------------


def _fit_idf(items: _ShardItems) -> Any:
    from feedclass import dedup

    return dedup._featurize(items.texts)[1]


def _merge_idf(parts: list[Any]) -> Any:
    """The IDF of all shards together: document counts add up, as over one batch."""
    import numpy as np

    from feedclass import dedup

    keys = np.concatenate([p.word_keys for p in parts])
    dfs = np.concatenate([p.word_df for p in parts])
    ukeys, inv = np.unique(keys, return_inverse=True)
    word_df = np.bincount(inv, weights=dfs, minlength=ukeys.size)
    return dedup._Idf(
        n_docs=sum(p.n_docs for p in parts),
        char_df=np.sum([p.char_df for p in parts], axis=0),
        word_keys=ukeys,
        word_df=word_df,
        cap_keys=np.unique(np.concatenate([p.cap_keys for p in parts])),
    )


def _featurize(items: _ShardItems, idf: Any) -> Any:
    from feedclass import dedup

    return dedup._featurize(items.texts, idf)[0]


def _band_keys(feats: Any, band: int) -> Any:
    from feedclass import dedup

    s_ptr, s_idx = feats.stems
    return dedup._band_keys(s_ptr, s_idx, feats.clean_hash, band, dedup._ROWS, dedup._SEED)


def _n_bands() -> int:
    from feedclass import dedup

    return int(dedup._BANDS)


def _window() -> int:
    from feedclass import dedup

    return int(dedup._WINDOW)


def _top_k() -> int:
    from feedclass import dedup

    return int(dedup._TOP_K)


def _score_pairs(fa: Any, fb: Any, ia: Any, ib: Any, min_score: float) -> Any:
    """Scores of pairs (row ia[k] of batch a, row ib[k] of batch b)."""
    import numpy as np

    from feedclass import dedup

    if fb is None:
        f, i, j = fa, ia, ib
    else:
        # Across two shards: featurise the pairs' items again, together, with the archive's
        # IDF. (Temporary: until the dedup package scores across two featurised batches.)
        ua, ra = np.unique(ia, return_inverse=True)
        ub, rb = np.unique(ib, return_inverse=True)
        f = dedup._featurize(
            [fa[0][x] for x in ua.tolist()] + [fb[0][x] for x in ub.tolist()], fa[1]
        )[0]
        i, j = ra.astype(np.int64), (rb + ua.size).astype(np.int64)
    score = dedup._score_features(dedup._features_of_pairs(f, i, j, min_score))
    score[f.clean_hash[i] == f.clean_hash[j]] = 1.0
    return np.asarray(score, dtype=np.float64)


def _form_stories(
    n: int, pi: Any, pj: Any, score: Any, threshold: float, order: Any, sources: Any
) -> tuple[Any, Any]:
    from feedclass import dedup

    return dedup._cluster(n, pi, pj, score, threshold, order, sources)


def _priority(n: int, keep: str, times: Any, length: Any) -> Any:
    from feedclass import dedup

    return dedup._priority(n, keep, times, length)


def _source_codes(sources: list[str] | None, n: int) -> Any:
    from feedclass import dedup

    return dedup._as_sources(sources, n)


def _floor(threshold: float) -> float:
    from feedclass import dedup

    return float(dedup._floor(threshold))


# -- the stages, each run where its shard or partition lies -----------------------------------


def _meta(feats: Any, items: _ShardItems) -> tuple[Any, Any, Any, list[str] | None]:
    return feats.clean_hash, feats.length, items.times, items.sources


def _key_layout(n: int) -> tuple[int, int, int]:
    """Bits of a packed band entry, as the single process lays them out for ``n`` items."""
    idx_bits = max(1, int(n - 1).bit_length())
    key_bits = (64 - idx_bits) * 11 // 20
    key_shift = 64 - key_bits
    return idx_bits, key_shift, key_shift - idx_bits


def _band_parts(feats: Any, idx: Any, n: int, n_parts: int) -> list[list[Any]]:
    """Each band's packed entries of this shard, split by key into ``n_parts`` partitions.

    An entry is (band key | previous band's key | item number), as the single process sorts
    them; equal keys go to one partition, so every bucket is whole in one place.
    """
    import numpy as np

    bands = _n_bands()
    idx_bits, key_shift, sec_bits = _key_layout(n)
    idx = np.asarray(idx, dtype=np.uint64)
    out: list[list[Any]] = [[] for _ in range(n_parts)]
    prev = _band_keys(feats, bands - 1)
    for b in range(bands):
        keys = _band_keys(feats, b)
        top = keys >> np.uint64(key_shift)
        packed = (top << np.uint64(key_shift)) | idx
        if sec_bits > 0:
            packed |= (prev >> np.uint64(64 - sec_bits)) << np.uint64(idx_bits)
        prev = keys
        # int16 keys: numpy sorts them stably by radix, in linear time
        part = (top % np.uint64(n_parts)).astype(np.int16)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(n_parts + 1))
        for p in range(n_parts):
            out[p].append(packed[order[bounds[p] : bounds[p + 1]]])
    return out


def _window_pairs(n: int, n_dest: int, *shard_parts: list[Any]) -> list[Any]:
    """Candidate pairs of one key partition: each entry with its next few of the same key.

    Returns, per destination partition (by item number), the pairs as directed records
    ``((lo * n + hi) * 2 + side) * 64 + 1``: one for each item of the pair, so that each
    item's candidates meet in its own partition.
    """
    import numpy as np

    idx_bits, key_shift, _ = _key_layout(n)
    imask = np.uint64((1 << idx_bits) - 1)
    codes = []
    for b in range(_n_bands()):
        a = np.concatenate([parts[b] for parts in shard_parts])
        if a.size < 2:
            continue
        a.sort()
        key = a >> np.uint64(key_shift)
        item = (a & imask).astype(np.int64)
        for w in range(1, _window() + 1):
            same = np.flatnonzero(key[:-w] == key[w:])
            if same.size == 0:
                break
            i, j = item[same], item[same + w]
            codes.append(np.minimum(i, j) * n + np.maximum(i, j))
    u = np.concatenate(codes) if codes else np.zeros(0, np.int64)
    out = []
    lo, hi = u // n, u % n
    for side, owner in ((0, lo), (1, hi)):
        rec = ((u * 2 + side) << 6) | 1
        dest = (owner * n_dest // n).astype(np.int16)
        order = np.argsort(dest, kind="stable")
        bounds = np.searchsorted(dest[order], np.arange(n_dest + 1))
        out.append([rec[order[bounds[q] : bounds[q + 1]]] for q in range(n_dest)])
    return [np.concatenate([out[0][q], out[1][q]]) for q in range(n_dest)]


def _keep_best(n: int, k: int, perm: Any, offsets: Any, *pieces: Any) -> dict[Any, Any]:
    """Each item's ``k`` best-supported candidates (most bands, then lowest pair number).

    The single process keeps a pair when it is among the ``k`` best of either item; this
    partition holds every candidate of its items, so it ranks them here. Returns the kept
    pairs as feed positions, grouped by the pair of shards they join.
    """
    import numpy as np

    a = np.concatenate(pieces) if pieces else np.zeros(0, np.int64)
    if a.size == 0:
        return {}
    a.sort()
    code = a >> 6
    starts = np.flatnonzero(np.concatenate(([True], code[1:] != code[:-1])))
    votes = np.minimum(np.add.reduceat(a & 63, starts), 63)
    code = code[starts]
    u, side = code >> 1, code & 1
    src = np.where(side == 0, u // n, u % n)
    # Records come in pair-number order, and a stable sort keeps it among equal keys.
    order = np.argsort(src * 64 + (63 - votes), kind="stable")
    s = src[order]
    first = np.concatenate(([True], s[1:] != s[:-1]))
    pos = np.arange(s.size)
    rank = pos - np.maximum.accumulate(np.where(first, pos, 0))
    kept = np.unique(u[order][rank < k])
    # item numbers -> feed positions (the pair's lower position first, as the single process)
    gi, gj = perm[kept // n], perm[kept % n]
    lo, hi = np.minimum(gi, gj), np.maximum(gi, gj)
    sa = np.searchsorted(offsets, lo, side="right") - 1
    sb = np.searchsorted(offsets, hi, side="right") - 1
    groups: dict[Any, Any] = {}
    key = sa * len(offsets) + sb
    order = np.argsort(key, kind="stable")
    key, lo, hi, sa, sb = key[order], lo[order], hi[order], sa[order], sb[order]
    cuts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1], [True])))
    for c0, c1 in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
        ga, gb = int(sa[c0]), int(sb[c0])
        groups[(ga, gb)] = (lo[c0:c1] - offsets[ga], hi[c0:c1] - offsets[gb])
    return groups


def _pick(groups: dict[Any, Any], key: tuple[int, int]) -> Any:
    return groups.get(key)


def _score_group(
    fa: Any,
    fb: Any,
    off_a: int,
    off_b: int,
    min_score: float,
    *pieces: Any,
) -> tuple[Any, Any, Any]:
    """Score one shard pair's candidates; returns feed positions and scores >= ``min_score``."""
    import numpy as np

    got = [p for p in pieces if p is not None]
    if not got:
        e = np.zeros(0, np.int64)
        return e, e, np.zeros(0)
    ia = np.concatenate([p[0] for p in got])
    ib = np.concatenate([p[1] for p in got])
    score = _score_pairs(fa, fb, ia, ib, min_score)
    keep = score >= min_score
    return ia[keep] + off_a, ib[keep] + off_b, score[keep]


def _texts_and_idf(items: _ShardItems, idf: Any) -> tuple[list[str], Any]:
    return items.texts, idf


def _write_dedup_shard(
    shard: str, out: str, input_format: str | None, values: list[list[str]], added: list[str]
) -> int:
    """Write one shard's rows, in order, with ``values`` (one list per row) appended."""
    from feedclass.readers import open_table
    from feedclass.writers import TableWriter

    if shard.lower().endswith(".parquet"):
        from feedclass.shards import map_parquet, parquet_columns

        text_col = parquet_columns(shard)[0]
        kinds = [(c, "str") for c in added]
        return map_parquet(
            shard,
            out,
            text_col,
            kinds,
            lambda cells, first: values[first - 1 : first - 1 + len(cells)],
        )
    table = open_table(shard, input_format)
    row = 0
    columns: list[str] = list(table.columns)
    chunks = iter(table.chunks())
    first = next(chunks, None)
    if table.is_dict:
        from feedclass.readers import jsonl_columns

        columns = jsonl_columns(first or [])
    with TableWriter(
        out,
        table.format if table.format != "lines" else "tsv",
        columns + added,
        delimiter=table.delimiter if table.format == "csv" else None,
        bom=table.encoding in ("cp1251", "utf-8-sig"),
    ) as writer:
        for chunk in _chain_first(first, chunks):
            rows: list[Any] = []
            for r in chunk:
                if table.is_dict:
                    r = dict(r)
                    r.update(zip(added, values[row]))
                    rows.append(r)
                else:
                    rows.append(r + values[row])
                row += 1
            writer.write(rows)
    return row


def _chain_first(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    if first is not None:
        yield first
        yield from rest


def dedup_shards(
    source: str | Path,
    dest: str | Path,
    *,
    address: Any = "local",
    worker_memory: str | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    time_column: str | None = None,
    source_column: str | None = None,
    threshold: float | None = None,
    keep: str = "first",
    input_format: str | None = None,
    partitions: int | None = None,
) -> DedupShardsSummary:
    """Group near-duplicates across every shard of ``source`` on a Dask cluster.

    The same stories as :func:`feedclass.publish.dedup_file` on all shards as one feed (in
    shard order): ``dest`` gets one output shard per input shard, same name and format, every
    row in order with ``cluster`` (one number per story, over all shards) and
    ``duplicate_of`` (the representative's id, or ``shard-name:row`` without
    ``--id-column``), which may name a row of another shard. ``dest`` appears only when
    every shard is written.
    """
    import numpy as np

    from feedclass.dedup import DEFAULT_THRESHOLD
    from feedclass.publish import DEDUP_COLUMNS

    thr = DEFAULT_THRESHOLD if threshold is None else float(threshold)
    if not 0.0 <= thr <= 1.0:
        raise DataError(f"--threshold must be between 0 and 1; got {thr} instead")
    if keep not in ("first", "last", "longest"):
        raise DataError(f"--keep must be first, last or longest; got {keep!r} instead")
    shards = list_shards(source)
    summary = DedupShardsSummary(shards=len(shards))
    with dask_client(address, worker_memory) as client:
        summary.workers = n_workers = len(client.scheduler_info(n_workers=-1)["workers"])
        run = uuid.uuid4().hex[:8]

        def submit(fn: Callable[..., Any], *args: Any, tag: str = "") -> Any:
            return client.submit(fn, *args, key=f"{fn.__name__}-{run}-{tag}")

        items = [
            submit(
                _load_items,
                str(s),
                text_column,
                id_column,
                time_column,
                source_column,
                input_format,
                tag=str(k),
            )
            for k, s in enumerate(shards)
        ]
        items_done = _gather(
            client, [submit(_shape, it, tag=str(k)) for k, it in enumerate(items)], shards
        )
        counts = [c for c, _, _ in items_done]
        offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        n = int(offsets[-1])
        rows_of = [r for _, _, r in items_done]
        summary.rows = sum(rows_of)
        if id_column:
            _check_ids_across(client, items, shards, submit)
        idf_parts = (
            _gather(
                client, [submit(_fit_idf, it, tag=str(k)) for k, it in enumerate(items)], shards
            )
            if n
            else []
        )
        leader = np.arange(n)
        if n:
            [idf] = client.scatter([_merge_idf(idf_parts)], broadcast=True)
            feats = [submit(_featurize, it, idf, tag=str(k)) for k, it in enumerate(items)]
            meta = _gather(
                client,
                [submit(_meta, f, it, tag=str(k)) for k, (f, it) in enumerate(zip(feats, items))],
                shards,
            )
            clean_hash = np.concatenate([m[0] for m in meta])
            length = np.concatenate([m[1] for m in meta])
            times = None if time_column is None else np.concatenate([m[2] for m in meta])
            if times is not None and np.isinf(times).all():
                times = None
            srcs = None
            if source_column:
                srcs = [s for m in meta for s in m[3]]
            # Items are numbered by content, as in the single process, so that which pairs
            # become candidates does not depend on the order of the shards.
            perm = np.argsort(clean_hash, kind="stable")
            number = np.empty(n, dtype=np.int64)
            number[perm] = np.arange(n)
            n_parts = partitions or max(2 * n_workers, (n >> 19) + 1)
            parts = [
                submit(_band_parts, f, number[offsets[k] : offsets[k + 1]], n, n_parts, tag=str(k))
                for k, f in enumerate(feats)
            ]
            per_part = [
                [
                    client.submit(_pick_list, p, q, key=f"pick-{run}-{k}-{q}")
                    for k, p in enumerate(parts)
                ]
                for q in range(n_parts)
            ]
            windows = [
                submit(_window_pairs, n, n_parts, *per_part[q], tag=str(q)) for q in range(n_parts)
            ]
            [perm_f, off_f] = client.scatter([perm, offsets], broadcast=True)
            best = [
                submit(
                    _keep_best,
                    n,
                    _top_k(),
                    perm_f,
                    off_f,
                    *[
                        client.submit(_pick_list, w, q, key=f"wpick-{run}-{i}-{q}")
                        for i, w in enumerate(windows)
                    ],
                    tag=str(q),
                )
                for q in range(n_parts)
            ]
            text_idf = [submit(_texts_and_idf, it, idf, tag=str(k)) for k, it in enumerate(items)]
            floor = _floor(thr)
            scored = []
            for a in range(len(shards)):
                for b in range(a, len(shards)):
                    pieces = [
                        client.submit(_pick, g, (a, b), key=f"gpick-{run}-{q}-{a}-{b}")
                        for q, g in enumerate(best)
                    ]
                    fa, fb = (feats[a], None) if a == b else (text_idf[a], text_idf[b])
                    scored.append(
                        submit(
                            _score_group,
                            fa,
                            fb,
                            int(offsets[a]),
                            int(offsets[b]),
                            floor,
                            *pieces,
                            tag=f"{a}-{b}",
                        )
                    )
            got = _gather(client, scored, shards)
            pi = np.concatenate([g[0] for g in got])
            pj = np.concatenate([g[1] for g in got])
            sc = np.concatenate([g[2] for g in got])
            summary.candidates = int(pi.size)
            order = _priority(n, keep, times, length)
            # The single process scores, on the spot, pairs a merge needs that were not
            # candidates. Those pairs lie inside groups joined by pairs at the threshold: score
            # them now, where the features are, so story formation finds them.
            ei, ej = _pairs_within_groups(n, pi, pj, sc, thr, order)
            if ei.size:
                extra = []
                sa = np.searchsorted(offsets, ei, side="right") - 1
                sb = np.searchsorted(offsets, ej, side="right") - 1
                for a, b in sorted(set(zip(sa.tolist(), sb.tolist()))):
                    m = (sa == a) & (sb == b)
                    piece = (ei[m] - offsets[a], ej[m] - offsets[b])
                    fa, fb = (feats[a], None) if a == b else (text_idf[a], text_idf[b])
                    extra.append(
                        submit(
                            _score_group,
                            fa,
                            fb,
                            int(offsets[a]),
                            int(offsets[b]),
                            0.0,
                            piece,
                            tag=f"x{a}-{b}",
                        )
                    )
                got = _gather(client, extra, shards)
                pi = np.concatenate([pi] + [g[0] for g in got])
                pj = np.concatenate([pj] + [g[1] for g in got])
                sc = np.concatenate([sc] + [g[2] for g in got])
            leader, _ = _form_stories(n, pi, pj, sc, thr, order, _source_codes(srcs, n))
        # Story numbers as the single process gives them: representatives in feed order, then
        # each empty headline a story of its own, in feed order.
        is_rep = leader == np.arange(n)
        story = np.cumsum(is_rep) - 1
        cluster_of = story[leader]
        next_id = int(is_rep.sum())
        summary.clusters = next_id + (summary.rows - n)
        summary.merged = int((~is_rep).sum())
        shard_of = np.searchsorted(offsets, leader, side="right") - 1
        own = np.repeat(np.arange(len(shards)), counts)
        summary.cross_shard = int((shard_of != own).sum())
        # Names of the representatives that members point at.
        names: dict[int, str] = {}
        need = np.unique(leader[~is_rep])
        need_shard = np.searchsorted(offsets, need, side="right") - 1
        for k in np.unique(need_shard).tolist():
            local = need[need_shard == k] - offsets[k]
            rows = items_done[k][1][local]
            if id_column:
                ids = client.submit(_ids_at, items[k], rows).result()
            else:
                ids = [f"{shards[k].name}:{r + 1}" for r in rows.tolist()]
            names.update(zip(need[need_shard == k].tolist(), ids))
        values_futs = []
        final, tmp = _output_folder(dest)
        try:
            added = list(DEDUP_COLUMNS)
            for k, s in enumerate(shards):
                vals = [["", ""] for _ in range(rows_of[k])]
                full = items_done[k][1]
                g0 = int(offsets[k])
                for li, row in enumerate(full.tolist()):
                    g = g0 + li
                    vals[row][0] = str(int(cluster_of[g]))
                    if not is_rep[g]:
                        vals[row][1] = names[int(leader[g])]
                for row in range(rows_of[k]):
                    if vals[row][0] == "":
                        vals[row][0] = str(next_id)
                        next_id += 1
                values_futs.append(
                    client.submit(
                        _write_dedup_shard,
                        str(s),
                        str(tmp / s.name),
                        input_format,
                        vals,
                        added,
                        key=f"write-{run}-{k}",
                    )
                )
            _gather(client, values_futs, shards)
            _publish_folder(tmp, final, {s.name for s in shards})
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        summary.empty = summary.rows - n
    return summary


def _shape(items: _ShardItems) -> tuple[int, Any, int]:
    """Headlines, their row positions, and rows of a shard: all the client keeps of it."""
    return len(items.texts), items.full, items.rows


#: Groups up to this size get every pair scored; a larger one, each member against its first
#: members (those a merge compares first).
_GROUP_ALL = 32
_GROUP_FIRST = 16


def _pairs_within_groups(
    n: int, pi: Any, pj: Any, score: Any, threshold: float, order: Any
) -> tuple[Any, Any]:
    """Pairs (lower position first) inside groups joined by pairs at ``threshold``, unscored."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    top = score >= threshold
    if not top.any():
        e = np.zeros(0, np.int64)
        return e, e
    graph = coo_matrix((np.ones(int(top.sum())), (pi[top], pj[top])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    sizes = np.bincount(comp)
    big = np.flatnonzero(sizes >= 3)
    if big.size == 0:
        e = np.zeros(0, np.int64)
        return e, e
    members = np.flatnonzero(np.isin(comp, big))
    members = members[np.lexsort((rank[members], comp[members]))]
    cuts = np.flatnonzero(np.concatenate(([True], np.diff(comp[members]) != 0, [True])))
    ai, aj = [], []
    for c0, c1 in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
        group = members[c0:c1]
        first = group if group.size <= _GROUP_ALL else group[:_GROUP_FIRST]
        x = np.repeat(group, first.size)
        y = np.tile(first, group.size)
        ai.append(np.minimum(x, y))
        aj.append(np.maximum(x, y))
    a, b = np.concatenate(ai), np.concatenate(aj)
    code = np.unique(a[a != b] * n + b[a != b])
    have = np.unique(pi.astype(np.int64) * n + pj)
    code = code[~np.isin(code, have, assume_unique=True)]
    return code // n, code % n


def _pick_list(parts: list[Any], q: int) -> Any:
    return parts[q]


def _gather(client: Any, futures: list[Any], shards: list[Path]) -> list[Any]:
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


def _check_ids_across(client: Any, items: list[Any], shards: list[Path], submit: Any) -> None:
    """An id may name one row only, across all shards (``duplicate_of`` names rows by id)."""
    import numpy as np

    hashes = _gather(
        client, [submit(_id_hashes, it, tag=str(k)) for k, it in enumerate(items)], shards
    )
    allh = np.concatenate(hashes)
    uniq, counts = np.unique(allh, return_counts=True)
    if (counts == 1).all():
        return
    h = uniq[counts > 1][0]
    where = np.flatnonzero(allh == h)[:2]
    offs = np.concatenate(([0], np.cumsum([x.size for x in hashes])))
    named = []
    for w in where.tolist():
        k = int(np.searchsorted(offs, w, side="right") - 1)
        named.append((shards[k], w - int(offs[k])))
    value = client.submit(
        _ids_at, items[shards.index(named[0][0])], np.array([named[0][1]])
    ).result()[0]
    raise DataError(
        f"{named[1][0]}, row {named[1][1] + 1}: id {value!r} is also the id of row "
        f"{named[0][1] + 1} of {named[0][0]}; ids must be unique across shards"
    )
