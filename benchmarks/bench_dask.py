"""Classify and dedup on Dask (``--dask``) against one process, on the same input.

    python benchmarks/bench_dask.py --classify-rows 1000000          # classify table
    python benchmarks/bench_dask.py --dedup-n 1000000                # dedup: 1 process vs local:2
    python benchmarks/bench_dask.py --dedup-n 10000000 --dask-only --worker-memory 6GiB

Classify: rows/s of ``feedclass classify`` on one CSV (single process, the CLI) and of
``feedclass classify --dask local:1`` / ``local:2`` on the same rows split into shards (CLI
too, so start-up is in every figure), and whether the outputs are byte-identical.

Dedup: the synthetic feed of ``bench_dedup.py`` split into shards; ``NearDuplicates`` in one
process vs :func:`feedclass.distributed.dedup_shards` on a ``LocalCluster`` of 2 worker
processes with a memory limit each: wall time, peak memory per worker (ru_maxrss), bytes
spilled to disk, copies found, false merges (as ``bench_dedup.py`` counts them) and the share
of all pairs of rows on which the two agree (same story or not).

The synthetic feed is made from word lists (no tuning happens on it), so its figures are
held out. The machine is shared and noisy: compare ratios within one run.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _cli(args: list[str]) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "feedclass.cli", *args], capture_output=True, text=True, env=env
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"feedclass {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return wall


def classify_table(data: Path, rows: int, shards: int, tmp: Path) -> list[str]:
    from bench_classify import make_feed, russian

    texts, _, _ = russian(data)
    feed = tmp / "feed.csv"
    make_feed(feed, texts, rows)
    folder = tmp / "shards"
    folder.mkdir()
    with feed.open(encoding="utf-8", newline="") as fh:
        lines = fh.readlines()
    header, body = lines[0], lines[1:]
    bounds = np.linspace(0, len(body), shards + 1).astype(int)
    for k in range(shards):
        with (folder / f"part-{k:03d}.csv").open("w", encoding="utf-8", newline="") as fh:
            fh.write(header)
            fh.writelines(body[bounds[k] : bounds[k + 1]])
    del lines, body
    out = [
        "| command | rows | shards | seconds | rows/s | identical to one process |",
        "|---|---|---|---|---|---|",
    ]
    single = tmp / "single.csv"
    wall = _cli(["classify", str(feed), "-o", str(single)])
    out.append(f"| classify (one process) | {rows:,} | 1 | {wall:.1f} | {rows / wall:,.0f} | - |")
    expected = single.read_bytes()
    for workers in (1, 2):
        dest = tmp / f"out{workers}"
        wall = _cli(["classify", str(folder), "--dask", f"local:{workers}", "-o", str(dest)])
        got = [(dest / f"part-{k:03d}.csv").read_bytes().splitlines(True) for k in range(shards)]
        joined = b"".join([got[0][0]] + [line for g in got for line in g[1:]])
        out.append(
            f"| classify --dask local:{workers} | {rows:,} | {shards} | {wall:.1f} | "
            f"{rows / wall:,.0f} | {joined == expected} |"
        )
    return out


def _write_shards(folder: Path, texts: list[str], shards: int) -> None:
    folder.mkdir()
    bounds = np.linspace(0, len(texts), shards + 1).astype(int)
    for k in range(shards):
        with (folder / f"part-{k:03d}.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "title"])
            for i in range(bounds[k], bounds[k + 1]):
                w.writerow([i, texts[i]])


def _read_labels(folder: Path, shards: int, n: int) -> np.ndarray:
    labels = np.empty(n, dtype=np.int64)
    i = 0
    for k in range(shards):
        with (folder / f"part-{k:03d}.csv").open(encoding="utf-8", newline="") as fh:
            r = csv.reader(fh)
            next(r)
            for row in r:
                labels[i] = int(row[2])
                i += 1
    return labels


def _together(labels: np.ndarray) -> int:
    return sum(v * (v - 1) // 2 for v in Counter(labels.tolist()).values())


def pair_agreement(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """Share of all pairs of rows on which two clusterings agree, and how many disagree."""
    n = a.size
    both = _together(a * (int(b.max()) + 1) + b)
    disagree = _together(a) + _together(b) - 2 * both
    return 1.0 - disagree / (n * (n - 1) / 2), disagree


def _kinds(got: dict[str, float]) -> str:
    return ", ".join(f"{k[6:]} {v:.3f}" for k, v in got.items() if k.startswith("found_"))


def dedup_table(
    n: int, shards: int, workers: int, memory: str, dask_only: bool, tmp: Path
) -> list[str]:
    import distributed
    from bench_dedup import make_feed, scores

    from feedclass.dedup import NearDuplicates
    from feedclass.distributed import dedup_shards

    print(f"  {time.strftime('%H:%M:%S')} making {n:,} headlines", file=sys.stderr, flush=True)
    texts, story, copy = make_feed(n)
    folder = tmp / "dedup-in"
    _write_shards(folder, texts, shards)
    warm = tmp / "warm-in"
    _write_shards(warm, texts[:4000], 2)
    out = [
        "| run | headlines | seconds | peak MiB per worker | spilled MiB | copies found | "
        "false merges | pairs agreeing with one process |",
        "|---|---|---|---|---|---|---|---|",
    ]
    single = None
    kinds_single = ""
    if not dask_only:
        NearDuplicates().fit_predict(texts[:4000])  # load (or compile) the kernels first
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        single = NearDuplicates().fit_predict(texts)
        wall = time.perf_counter() - start
        peak = max(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
        got = scores(single, story, copy)
        rec, false = got["recall"], got["false_merge"]
        kinds_single = _kinds(got)
        out.append(
            f"| one process | {n:,} | {wall:.1f} | {peak:.0f} (this process) | 0 | {rec:.3f} | "
            f"{false:.2%} | - |"
        )
    del texts
    spill = tmp / "spill"
    spill.mkdir()
    with (
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory,
            dashboard_address=None,
            local_directory=str(spill),
            silence_logs=40,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # Each worker loads (or compiles) the kernels on a small feed before the clock starts.
        dedup_shards(warm, tmp / "warm-out", address=client)
        start = time.perf_counter()

        def tell(stage: str, seconds: float) -> None:
            now = time.strftime("%H:%M:%S")
            print(f"  {now} {stage}: {seconds:.1f} s", file=sys.stderr, flush=True)

        summary = dedup_shards(folder, tmp / "dedup-out", address=client, on_stage=tell)
        wall = time.perf_counter() - start

        def stats(dask_worker: distributed.Worker) -> tuple[float, float]:
            # VmHWM, not ru_maxrss: the latter survives exec, so a worker would report its
            # parent's peak.
            with open("/proc/self/status") as fh:
                hwm = [ln for ln in fh if ln.startswith("VmHWM:")]
            rss = int(hwm[0].split()[1]) / 1024 if hwm else float("nan")
            # every write to disk since the worker started (what is on disk now is less)
            disk = sum(
                v
                for k, v in dask_worker.digests_total.items()
                if isinstance(k, tuple) and "disk-write" in k and k[-1] == "bytes"
            )
            return rss, disk / 2**20

        per = client.run(stats)
    labels = _read_labels(tmp / "dedup-out", shards, n)
    got = scores(labels, story, copy)
    rec, false = got["recall"], got["false_merge"]
    kinds_dask = _kinds(got)
    peaks = " / ".join(f"{v[0]:.0f}" for v in per.values())
    spilled = sum(v[1] for v in per.values())
    agree = "-"
    if single is not None:
        share, bad = pair_agreement(single, labels)
        agree = f"{share:.6f} ({bad:,} pairs differ)"
    out.append(
        f"| dask local:{workers}, {memory} each, {shards} shards | {n:,} | {wall:.1f} | "
        f"{peaks} | {spilled:.0f} | {rec:.3f} | {false:.2%} | {agree} |"
    )
    out.append("")
    if kinds_single:
        out.append(f"- copies found by kind of edit, one process: {kinds_single}")
    out.append(f"- copies found by kind of edit, dask: {kinds_dask}")
    out.append(f"- stages (s): {summary.seconds}")
    out.append(
        f"- scored pairs kept: {summary.candidates:,} ({summary.candidates / n:.1f} per headline); "
        f"{summary.merged:,} merged, {summary.cross_shard:,} into a story of another shard"
    )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--classify-rows", type=int, default=0)
    ap.add_argument("--dedup-n", type=int, default=0)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--worker-memory", default="6GiB")
    ap.add_argument("--dask-only", action="store_true", help="dedup: skip the one-process run")
    ap.add_argument("--tmp", type=Path, default=None, help="scratch folder (default: /tmp)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-dask-", dir=args.tmp))
    try:
        if args.classify_rows:
            print("\n".join(classify_table(args.data, args.classify_rows, args.shards, tmp)))
            print(flush=True)
        if args.dedup_n:
            print(
                "\n".join(
                    dedup_table(
                        args.dedup_n,
                        args.shards,
                        args.workers,
                        args.worker_memory,
                        args.dask_only,
                        tmp,
                    )
                )
            )
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        cores = os.cpu_count()
        print(f"\nload average at the end {load} on {cores} cores: compare ratios within one run")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
