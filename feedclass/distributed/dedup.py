"""Dedup across the shards of an archive on a Dask cluster.

The single-process dedup featurises a batch, proposes candidate pairs by MinHash bands,
keeps each item's best-supported candidates, scores them with the pair model and forms
stories best pair first with the no-chaining rule. Here each shard is featurised where it
lies (with the IDF of the whole archive), candidates meet through the shuffle of
:mod:`feedclass.distributed.candidates`, pairs are scored from the features of their two
shards (files beside the output, :mod:`feedclass.distributed.feature_files`), and stories are
formed once over all scored pairs.
"""

from __future__ import annotations

import hashlib
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feedclass.dedup import (
    Idf,
    as_sources,
    featurize,
    form_stories,
    pair_scores,
    representative_order,
    score_floor,
)
from feedclass.dedup.candidates import TOP_K
from feedclass.dedup.facts import feed_typo_words
from feedclass.dedup.featurize import fit_idf
from feedclass.dedup.typos import join_typo_words
from feedclass.distributed.candidates import (
    band_task,
    best_task,
    pairs_within_groups,
    sorted_distinct,
    window_task,
)
from feedclass.distributed.cluster import (
    dask_client,
    gather,
    held,
    output_folder,
    publish_folder,
)
from feedclass.distributed.exchange import Exchange
from feedclass.distributed.feature_files import FeatureFile, load_features, save_features
from feedclass.distributed.rows import take_rows
from feedclass.errors import DataError
from feedclass.shards import list_shards

__all__ = ["DedupShardsSummary", "dedup_shards"]


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
    #: Wall seconds of each stage (read, typos, idf, featurise, candidates, scores, pairs inside
    #: groups, stories, write).
    seconds: dict[str, float] = field(default_factory=dict)


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

    from feedclass.columns import cell_text, find_text_column, parse_time
    from feedclass.publish import collect
    from feedclass.readers import open_table

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


def _without_texts(items: _ShardItems) -> _ShardItems:
    import dataclasses

    return dataclasses.replace(items, texts=[], sources=None)


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


def _meta(handle: FeatureFile, items: _ShardItems) -> tuple[Any, Any, Any, list[str] | None]:
    import numpy as np

    feats = load_features(handle)
    return np.array(feats.clean_hash), np.array(feats.length), items.times, items.sources


def _band_task(ex: Exchange, k: int, handle: FeatureFile, *args: Any) -> list[int]:
    return band_task(ex, k, load_features(handle), *args)


def _by_shard_pair(
    pi: Any, pj: Any, offsets: Any
) -> Iterator[tuple[tuple[int, int], tuple[Any, Any]]]:
    """Pairs (feed positions, lower first) grouped by the shards of their two items, as
    shard-local rows, shard pairs in order (shard a's tasks together: its features are read
    back from spill once)."""
    import numpy as np

    sa = np.searchsorted(offsets, pi, side="right") - 1
    sb = np.searchsorted(offsets, pj, side="right") - 1
    key = sa * len(offsets) + sb
    order = np.argsort(key, kind="stable")
    key = key[order]
    cuts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1], [True])))
    for c0, c1 in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
        rows = order[c0:c1]
        a, b = int(sa[rows[0]]), int(sb[rows[0]])
        yield (a, b), (pi[rows] - offsets[a], pj[rows] - offsets[b])


def _score_group(
    file_a: FeatureFile,
    file_b: FeatureFile,
    pairs: tuple[Any, Any],
    off_a: int,
    off_b: int,
    min_score: float,
) -> tuple[Any, Any, Any]:
    """Score one shard pair's candidates; returns feed positions and scores >= ``min_score``.

    Both shards' features are mapped from their files; for pairs across two shards only the
    rows the pairs name are cut from each (the pages they lie on are read), so the work
    follows the pairs, not the shards' sizes.
    """
    import numpy as np

    ia, ib = pairs
    if ia.size == 0:
        return ia, ib, np.zeros(0)
    fa = load_features(file_a)
    if file_a == file_b:
        score = pair_scores(fa, ia, ib, min_score)
    else:
        rows_a, ja = np.unique(ia, return_inverse=True)
        rows_b, jb = np.unique(ib, return_inverse=True)
        sub_a = take_rows(fa, rows_a)
        sub_b = take_rows(load_features(file_b), rows_b)
        score = pair_scores(sub_a, ja.astype(np.int64), jb.astype(np.int64), min_score, other=sub_b)
    keep = score >= min_score
    return ia[keep] + off_a, ib[keep] + off_b, score[keep]


def _write_dedup_shard(
    shard: str,
    out: str,
    input_format: str | None,
    stories: tuple[Any, Any, list[str]],
    added: list[str],
) -> int:
    """Write one shard's rows, in order, with each row's story and representative appended.

    ``stories`` is (story number of every row, the rows that are not their story's
    representative, the representative's name for each of those).
    """
    from feedclass.readers import open_table
    from feedclass.writers import TableWriter

    cluster_row, dup_rows, dup_names = stories
    values = [[str(c), ""] for c in cluster_row.tolist()]
    for r, name in zip(dup_rows.tolist(), dup_names):
        values[r][1] = name

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
        from feedclass.columns import jsonl_columns

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
    report: str | Path | None = None,
    on_stage: Callable[[str, float], None] | None = None,
) -> DedupShardsSummary:
    r"""Group near-duplicates across every shard of ``source`` on a Dask cluster.

    The same stories as :func:`feedclass.publish.dedup_file` on all shards as one feed (in
    shard order): ``dest`` gets one output shard per input shard, same name and format, every
    row in order with ``cluster`` (one number per story, over all shards) and
    ``duplicate_of`` (the representative's id, or ``shard-name:row`` without
    ``--id-column``), which may name a row of another shard. ``dest`` appears only when
    every shard is written. ``report``: one file listing every merge with its similarity,
    in feed order (shard by shard), as the single process writes it; renamed into place
    after ``dest``. ``on_stage(name, seconds)`` is called as each stage ends (a long run's
    progress); the same figures are in the summary's ``seconds``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "in").mkdir()
    >>> _ = (d / "in" / "a.csv").write_text("title\\nПожар на складе в Алматы\\n")
    >>> _ = (d / "in" / "b.csv").write_text("title\\nСрочно: пожар на складе в Алматы\\n")
    >>> dedup_shards(d / "in", d / "out", address="local:2").cross_shard  # doctest: +SKIP
    1
    >>> (d / "out" / "b.csv").read_text().splitlines()[1]  # doctest: +SKIP
    'Срочно: пожар на складе в Алматы,0,a.csv:1'
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
    if report is not None and str(report) != "-":
        folder = Path(report).parent
        if str(folder) and not folder.is_dir():
            raise DataError(f"report {str(report)!r}: folder {str(folder)!r} does not exist")
    summary = DedupShardsSummary(shards=len(shards))
    with dask_client(address, worker_memory) as client:
        summary.workers = n_workers = len(client.scheduler_info(n_workers=-1)["workers"])
        clock = _Clock(summary.seconds, on_stage)
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
        items_done = gather(
            client, [submit(_shape, it, tag=str(k)) for k, it in enumerate(items)], shards
        )
        clock("read")
        counts = [c for c, _, _ in items_done]
        offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        n = int(offsets[-1])
        rows_of = [r for _, _, r in items_done]
        summary.rows = sum(rows_of)
        if id_column:
            _check_ids_across(client, items, shards, submit)
        leader = np.arange(n)
        if n:
            # Slips of the pen are undone against the words of the whole archive, as one
            # process undoes them against its whole batch: a word reads the same in every shard.
            words = gather(
                client, [submit(_typo_task, it, tag=str(k)) for k, it in enumerate(items)], shards
            )
            typos = submit(held, join_typo_words(words), tag="typos")
            del words
            clock("typos")
            idf_parts = gather(
                client,
                [submit(_fit_idf_task, it, typos, tag=str(k)) for k, it in enumerate(items)],
                shards,
            )
            clock("idf")
            # Each shard's features and the shuffle's pieces go to files in a scratch folder
            # beside the output: every worker maps the features it needs (10M headlines' do
            # not fit in the workers' memory, and Dask's spill reads a whole shard back for
            # each task), and each shuffle piece is written once and read once.
            ex = Exchange.beside(dest)
            try:
                idf = submit(held, _merge_idf(idf_parts), tag="idf")
                feats = [
                    submit(
                        _featurize_task,
                        it,
                        idf,
                        typos,
                        str(ex.folder / f"shard-{k}.features"),
                        tag=str(k),
                    )
                    for k, it in enumerate(items)
                ]
                meta = gather(
                    client,
                    [
                        submit(_meta, f, it, tag=str(k))
                        for k, (f, it) in enumerate(zip(feats, items))
                    ],
                    shards,
                )
                # The headlines' text is in the features now: keep only the ids (when named),
                # so that a large archive does not hold its text twice.
                if report is None:
                    items = [submit(_without_texts, it, tag=str(k)) for k, it in enumerate(items)]
                clock("featurise")
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
                # About 2**17 items a partition: each ranks ~200 candidate records per item, and
                # its sorts must stay well inside one worker's memory limit.
                n_parts = partitions or max(2 * n_workers, (n >> 17) + 1)
                band_counts = [
                    submit(
                        _band_task,
                        ex,
                        k,
                        f,
                        number[offsets[k] : offsets[k + 1]],
                        n,
                        n_parts,
                        tag=str(k),
                    )
                    for k, f in enumerate(feats)
                ]
                window_sizes = [
                    submit(window_task, ex, q, band_counts, n, n_parts, tag=str(q))
                    for q in range(n_parts)
                ]
                perm_f = submit(held, perm, tag="perm")
                best = [
                    submit(best_task, ex, r, window_sizes, n, TOP_K, perm_f, tag=str(r))
                    for r in range(n_parts)
                ]
                del band_counts, window_sizes
                kept = gather(client, best, shards)
                del best
                # A pair kept by both its items comes from both their partitions: score it once.
                code = sorted_distinct(np.concatenate([lo * n + hi for lo, hi in kept]))
                del kept
                clock("candidates")
                min_score = score_floor(thr)
                scored = [
                    _submit_score(submit, feats, a, b, piece, offsets, min_score)
                    for (a, b), piece in _by_shard_pair(code // n, code % n, offsets)
                ]
                del code
                got = gather(client, scored, shards)
                del scored
                pi = np.concatenate([g[0] for g in got])
                pj = np.concatenate([g[1] for g in got])
                sc = np.concatenate([g[2] for g in got])
                del got
                clock("scores")
                summary.candidates = int(pi.size)
                order = representative_order(n, keep, times, length)
                # The single process scores, on the spot, pairs a merge needs that were not
                # candidates. Those pairs lie inside groups joined by pairs at the threshold: score
                # them now, where the features are, so story formation finds them.
                ei, ej = pairs_within_groups(n, pi, pj, sc, thr, order)
                if ei.size:
                    extra = [
                        _submit_score(submit, feats, a, b, piece, offsets, 0.0, "x")
                        for (a, b), piece in _by_shard_pair(ei, ej, offsets)
                    ]
                    got = gather(client, extra, shards)
                    pi = np.concatenate([pi] + [g[0] for g in got])
                    pj = np.concatenate([pj] + [g[1] for g in got])
                    sc = np.concatenate([sc] + [g[2] for g in got])
                clock("pairs inside groups")
            finally:
                ex.remove()
            leader, lscore = form_stories(n, pi, pj, sc, thr, order, as_sources(srcs, n))
            clock("stories")
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
        final, tmp = output_folder(dest)
        report_out = None
        try:
            if report is not None:
                report_out = _write_report(
                    client, report, items, shards, offsets, items_done, id_column,
                    (cluster_of, leader, lscore if n else np.zeros(0), is_rep, names),
                )  # fmt: skip
            added = list(DEDUP_COLUMNS)
            for k, s in enumerate(shards):
                # Per row: its story number; the rows pointing at another row, and its name.
                # Arrays travel to the worker that writes, not a list of strings per row.
                full = items_done[k][1]
                g0, g1 = int(offsets[k]), int(offsets[k + 1])
                cluster_row = np.full(rows_of[k], -1, dtype=np.int64)
                cluster_row[full] = cluster_of[g0:g1]
                empty = cluster_row < 0
                cluster_row[empty] = next_id + np.arange(int(empty.sum()))
                next_id += int(empty.sum())
                member = ~is_rep[g0:g1]
                dup_names = [names[g] for g in leader[g0:g1][member].tolist()]
                values_futs.append(
                    client.submit(
                        _write_dedup_shard,
                        str(s),
                        str(tmp / s.name),
                        input_format,
                        (cluster_row, full[member], dup_names),
                        added,
                        key=f"write-{run}-{k}",
                    )
                )
            gather(client, values_futs, shards)
            clock("write")
            publish_folder(tmp, final, {s.name for s in shards})
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            if report_out is not None:
                report_out.abort()
            raise
        if report_out is not None:
            report_out.commit()
        summary.empty = summary.rows - n
    return summary


def _texts_at(items: _ShardItems, local: Any) -> list[str]:
    return [items.texts[i] for i in local.tolist()]


def _write_report(
    client: Any,
    report: str | Path,
    items: list[Any],
    shards: list[Path],
    offsets: Any,
    items_done: list[Any],
    id_column: str | None,
    stories: tuple[Any, Any, Any, Any, dict[int, str]],
) -> Any:
    """Every merge with its similarity, in feed order, to a finished temporary file (the
    caller renames it): the same columns as the single process's report."""
    import numpy as np

    from feedclass.publish import REPORT_COLUMNS
    from feedclass.writers import TableWriter, output_format

    cluster_of, leader, lscore, is_rep, names = stories
    members = np.flatnonzero(~is_rep)
    need = np.unique(np.concatenate([members, leader[members]]))
    shard_of = np.searchsorted(offsets, need, side="right") - 1
    text: dict[int, str] = {}
    own: dict[int, str] = {}
    futures = []
    for k in np.unique(shard_of).tolist():
        glob = need[shard_of == k]
        futures.append((k, glob, client.submit(_texts_at, items[k], glob - offsets[k])))
    for k, glob, fut in futures:
        text.update(zip(glob.tolist(), gather(client, [fut], [shards[k]])[0]))
        mine = members[(members >= offsets[k]) & (members < offsets[k + 1])]
        rows = items_done[k][1][mine - offsets[k]]
        if id_column:
            ids = gather(client, [client.submit(_ids_at, items[k], rows)], [shards[k]])[0]
        else:
            ids = [f"{shards[k].name}:{r + 1}" for r in rows.tolist()]
        own.update(zip(mine.tolist(), ids))
    cols = list(REPORT_COLUMNS)
    fmt = output_format(report, "csv")
    with TableWriter(report, fmt, cols, defer=True) as writer:
        rows_out = []
        for g in members.tolist():
            j = int(leader[g])
            rows_out.append(
                [str(int(cluster_of[g])), names[j], text[j], own[g], text[g], f"{lscore[g]:.3f}"]
            )
            if len(rows_out) >= 10_000:
                writer.write(rows_out)
                rows_out = []
        writer.write(rows_out)
    return writer.output


def _submit_score(
    submit: Callable[..., Any],
    feats: list[Any],
    a: int,
    b: int,
    pairs: Any,
    offsets: Any,
    min_score: float,
    tag: str = "",
) -> Any:
    """The task scoring shard a's pairs into shard b (any worker: both are mapped files)."""
    return submit(
        _score_group,
        feats[a],
        feats[b],
        pairs,
        int(offsets[a]),
        int(offsets[b]),
        min_score,
        tag=f"{tag}{a}-{b}",
    )


class _Clock:
    """Records the wall time since the previous call under each stage's name."""

    def __init__(
        self, into: dict[str, float], tell: Callable[[str, float], None] | None = None
    ) -> None:
        self.into = into
        self.tell = tell
        self.last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.into[stage] = round(now - self.last, 1)
        self.last = now
        if self.tell is not None:
            self.tell(stage, self.into[stage])


def _typo_task(items: _ShardItems) -> Any:
    return feed_typo_words(items.texts)


def _fit_idf_task(items: _ShardItems, typos: Any) -> Any:
    # the counts alone: the shard is featurised once, with the archive's IDF, next
    return fit_idf(items.texts, typos=typos)


def _featurize_task(items: _ShardItems, idf: Any, typos: Any, path: str) -> FeatureFile:
    # to a file the tasks that need them map: Dask holds only the handle
    return save_features(featurize(items.texts, idf, typos=typos)[0], path)


def _merge_idf(parts: list[Idf]) -> Idf:
    """The IDF of all shards together: document counts add up, as over one batch."""
    import numpy as np

    keys = np.concatenate([p.word_keys for p in parts])
    dfs = np.concatenate([p.word_df for p in parts])
    ukeys, inv = np.unique(keys, return_inverse=True)
    return Idf(
        n_docs=sum(p.n_docs for p in parts),
        char_df=np.sum([p.char_df for p in parts], axis=0),
        word_keys=ukeys,
        word_df=np.bincount(inv, weights=dfs, minlength=ukeys.size),
        cap_keys=np.unique(np.concatenate([p.cap_keys for p in parts])),
    )


def _shape(items: _ShardItems) -> tuple[int, Any, int]:
    """Headlines, their row positions, and rows of a shard: all the client keeps of it."""
    return len(items.texts), items.full, items.rows


def _check_ids_across(client: Any, items: list[Any], shards: list[Path], submit: Any) -> None:
    """An id may name one row only, across all shards (``duplicate_of`` names rows by id)."""
    import numpy as np

    hashes = gather(
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
