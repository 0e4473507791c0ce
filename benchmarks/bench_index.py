"""DedupIndex: latency and memory at scale, and agreement with the batch clustering.

Latency: an index is filled with ``--n`` synthetic headlines (``add_many``, the bulk path), then
``--probe`` further headlines of the same feed are added one at a time; each ``add`` (which
also answers: story, duplicate_of, score) is timed, and so is a ``query`` of a reworded copy of
each. Memory: the index's own structures (``DedupIndex.memory_bytes``) and the growth of the
process's resident memory while it was built, per indexed item.

Agreement: the same items fed one at a time in time order to an index (a window wider than the
feed, so nothing is forgotten) and clustered at once by ``NearDuplicates.fit_predict``. For
the pairs of items: the share both put alike (same story or not: the Rand index), the share of
the pairs either puts in one story that both do, and the adjusted Rand index. Feeds: the
synthetic generator of ``bench_dedup.py``, ParaPhraser's headlines as one feed, and the
Telegram feed of 2024 (posts in time order, channels as sources), the last two from
``../shared/data`` when present.

Usage::

    python benchmarks/bench_index.py --quick               # 20,000 indexed, small agreement
    flock /tmp/heavy.lock python benchmarks/bench_index.py  # 300,000 indexed (a few minutes)

The machine is shared: compare within one run; the timing of single adds is noisy.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_dedup import EDITS, make_feed, reword

from feedclass import DedupIndex, NearDuplicates

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def pair_agreement(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """(Rand index, agreement on the pairs either merges, adjusted Rand index)."""
    from sklearn.metrics import adjusted_rand_score

    n = a.size
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)

    def pairs(c: np.ndarray) -> int:
        return int((c * (c - 1) // 2).sum())

    same_a = pairs(np.bincount(ia))
    same_b = pairs(np.bincount(ib))
    _, cell = np.unique(ia.astype(np.int64) * (ib.max() + 1) + ib, return_counts=True)
    both = pairs(cell)
    total = n * (n - 1) // 2
    rand = 1.0 - (same_a + same_b - 2 * both) / max(total, 1)
    either = same_a + same_b - both
    return rand, both / either if either else 1.0, float(adjusted_rand_score(a, b))


def incremental_labels(
    texts: list[str], times: np.ndarray, sources: list[Any] | None
) -> tuple[np.ndarray, float]:
    idx = DedupIndex(window_days=1e6)
    order = np.argsort(times, kind="stable")
    out = np.empty(len(texts), dtype=np.int64)
    t0 = time.perf_counter()
    for k in order.tolist():
        src = None if sources is None else sources[k]
        out[k] = idx.add(texts[k], item_id=k, time=float(times[k]), source=src).story_id
    return out, time.perf_counter() - t0


def agreement_row(
    name: str, texts: list[str], times: np.ndarray, sources: Any
) -> tuple[np.ndarray, np.ndarray]:
    t0 = time.perf_counter()
    batch = NearDuplicates().fit_predict(texts, times=times, sources=sources)
    tb = time.perf_counter() - t0
    inc, ti = incremental_labels(texts, times, sources)
    rand, either, ari = pair_agreement(batch, inc)
    nb, ni = len(set(batch.tolist())), len(set(inc.tolist()))
    print(
        f"| {name} | {len(texts):,} | {rand:.5f} | {either:.3f} | {ari:.3f} | "
        f"{nb:,} / {ni:,} | {tb:.1f} s / {ti:.1f} s |"
    )
    return batch, inc


def agreement(n_synth: int, feeds: list[str]) -> None:
    print("\nBatch NearDuplicates.fit_predict vs DedupIndex.add one item at a time, time order")
    print(
        "| feed | items | pairs alike (Rand) | pairs either merges, both do | ARI | "
        "stories batch / index | time batch / index |"
    )
    print("|---|---|---|---|---|---|---|")
    notes: list[str] = []
    if "synthetic" in feeds:
        texts, _story, _copy = make_feed(n_synth, seed=11)
        agreement_row("synthetic", texts, np.arange(len(texts), dtype=float), None)
    para = DATA / "paraphraser" / "data.csv"
    if "paraphraser" not in feeds:
        pass
    elif para.exists():
        from eval_dedup import load_paraphraser

        id1, id2, t1, t2, _y = load_paraphraser(para)
        text_of: dict[str, str] = {}  # every headline once, in order of mention
        for i, t in zip(id1 + id2, t1 + t2, strict=True):
            text_of.setdefault(i, t)
        pids, ptexts = list(text_of), list(text_of.values())
        batch, inc = agreement_row(
            "ParaPhraser headlines", ptexts, np.arange(len(ptexts), dtype=float), None
        )
        row = {i: k for k, i in enumerate(pids)}
        a = np.array([row[i] for i in id1])
        b = np.array([row[i] for i in id2])
        same = _y >= 0  # "same news": pairs marked 1 or 0
        for who, lab in (("batch", batch), ("index", inc)):
            m = lab[a] == lab[b]
            notes.append(
                f"ParaPhraser pairs, {who}: precision {(m & same).sum() / max(m.sum(), 1):.3f}, "
                f"recall {(m & same).sum() / same.sum():.3f} (not held out: the pair weights "
                "and the threshold were chosen on ParaPhraser)"
            )
    else:
        print(f"(ParaPhraser skipped: {para} not found)")
    tg = DATA / "tg_news_silver" / "raw"
    if "telegram" not in feeds:
        pass
    elif tg.exists():
        from training.tg_news import load_tg_posts

        posts = load_tg_posts(tg)
        when = np.array(
            [
                np.datetime64(str(p["date"])[:19]).astype("datetime64[s]").astype(float)
                for p in posts
            ]
        )
        agreement_row(
            "Telegram 2024 (channels as sources)",
            [p["title"] for p in posts],
            when,
            [p["channel"] or None for p in posts],
        )
    else:
        print(f"(Telegram skipped: {tg} not found)")
    for line in notes:
        print(line)


def latency(n: int, probe: int, batches: list[int]) -> None:
    texts, _story, _copy = make_feed(n + probe + sum(batches), seed=7)
    # warm up the compiled kernels outside the timing
    w = DedupIndex(window_days=1e6)
    w.add_many(texts[:200], times=np.arange(200.0))
    for k in range(300):  # past a buffer flush and a level merge
        w.add(texts[200 + k], time=300.0 + k)
        w.query(texts[k])
    del w
    gc.collect()
    rss0 = rss_bytes()
    tracemalloc.start()
    t0 = time.perf_counter()
    idx = DedupIndex(window_days=1e6)
    idx.add_many(texts[:n], item_ids=list(range(n)), times=np.arange(n, dtype=float))
    build = time.perf_counter() - t0
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss1 = rss_bytes()
    rng = random.Random(3)
    add_t = np.empty(probe)
    query_t = np.empty(probe)
    add_cpu = np.empty(probe)  # CPU time of this thread: the index's own cost, without the
    query_cpu = np.empty(probe)  # waits for a core that a machine shared by many jobs adds
    joined = 0
    for p in range(probe):
        k = n + p
        c, a = time.thread_time(), time.perf_counter()
        m = idx.add(texts[k], item_id=k, time=float(k))
        add_t[p], add_cpu[p] = time.perf_counter() - a, time.thread_time() - c
        joined += m.duplicate_of is not None
        q = reword(texts[rng.randrange(k)], rng, rng.choice(EDITS))
        c, a = time.thread_time(), time.perf_counter()
        idx.query(q, time=float(k))
        query_t[p], query_cpu[p] = time.perf_counter() - a, time.thread_time() - c
    mem = idx.memory_bytes()
    print(f"\nDedupIndex with {n:,} synthetic headlines indexed (bulk build {build:.1f} s)")
    print("| operation | median ms | p99 ms | max ms |")
    print("|---|---|---|---|")
    for name, t in (
        ("add (and answer), wall clock", add_t),
        ("query, wall clock", query_t),
        ("add (and answer), CPU time", add_cpu),
        ("query, CPU time", query_cpu),
    ):
        print(
            f"| {name} | {np.median(t) * 1e3:.2f} | {np.percentile(t, 99) * 1e3:.2f} | "
            f"{t.max() * 1e3:.1f} |"
        )
    print(
        f"{probe:,} adds ({joined:,} joined a story), {probe:,} queries of reworded copies. "
        f"Memory per indexed item: {mem / len(idx):,.0f} B in the index's structures "
        f"({mem / 2**20:,.0f} MiB in all, 16 MiB of it fixed); {held / n:,.0f} B still allocated "
        f"after the build (tracemalloc: numpy and Python objects; peak {peak / 2**30:.2f} GiB "
        f"during the bulk build), {(rss1 - rss0) / n:,.0f} B of process memory growth"
    )
    if not batches:
        return
    # Batches of the same feed into the (non-empty) index: add_many takes them a period of
    # the word statistics at a time; the answers are those of one-at-a-time adds.
    one_rate = 1.0 / float(np.mean(add_t))
    print(f"\nadd_many into the index above ({len(idx):,} items held as the first batch starts)")
    print("| batch rows | seconds | items/s | vs one add at a time (mean, same run) | joined |")
    print("|---|---|---|---|---|")
    k0 = n + probe
    for size in batches:
        rows = list(range(k0, k0 + size))
        t0 = time.perf_counter()
        ms = idx.add_many([texts[k] for k in rows], rows, [float(k) for k in rows])
        dt = time.perf_counter() - t0
        joined = sum(m.duplicate_of is not None for m in ms)
        print(
            f"| {size:,} | {dt:.2f} | {size / dt:,.0f} | {size / dt / one_rate:.1f}x | {joined:,} |"
        )
        k0 += size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=300_000, help="items indexed before timing")
    ap.add_argument("--probe", type=int, default=3000, help="items added one by one, timed")
    ap.add_argument(
        "--batches",
        default="100,1000,10000,50000",
        help="comma-separated add_many batch sizes into the filled index ('' for none)",
    )
    ap.add_argument("--agree-n", type=int, default=20_000, help="synthetic feed for agreement")
    ap.add_argument(
        "--feeds",
        nargs="*",
        default=["synthetic", "paraphraser", "telegram"],
        choices=("synthetic", "paraphraser", "telegram"),
        help="feeds for the agreement table",
    )
    ap.add_argument("--skip", nargs="*", default=[], choices=("latency", "agreement"))
    ap.add_argument("--quick", action="store_true", help="--n 20000 --agree-n 5000, synthetic")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.agree_n, args.feeds, args.probe = 20_000, 5_000, ["synthetic"], 1000
        args.batches = "100,1000,5000"
    print(
        f"machine: {os.cpu_count()} cores, shared with other jobs (load {os.getloadavg()[0]:.1f})"
    )
    if "latency" not in args.skip:
        sizes = [int(x) for x in args.batches.split(",") if x.strip()]
        latency(args.n, args.probe, sizes)
    if "agreement" not in args.skip:
        agreement(args.agree_n, args.feeds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
