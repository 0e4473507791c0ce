"""Dedup time on one story reposted many times: the worst case for clustering.

Every repost joins one growing cluster, so a merge rule that walks or compares whole clusters
turns quadratic here. Three feeds per size: identical reposts, the same with a distinct source
per row (``sources=``, the never-merge-within-one-source rule), and reposts with varied edits
(fillers added, a word dropped, case, tails), which need their pairs scored on the spot.

Usage::

    python benchmarks/bench_reposts.py                      # 20,000 and 80,000 reposts
    python benchmarks/bench_reposts.py --n 20000 160000
    python benchmarks/bench_reposts.py --inside 500 2000 10000   # inside a synthetic feed
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter

from feedclass.dedup import NearDuplicates

BASE = "Аким Алматы открыл новый мост через реку Есентай после ремонта"
FILLERS = ["сегодня", "официально", "вновь", "наконец", "торжественно", "уже", "впервые"]


def varied(n: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    base = BASE.split()
    out = []
    for k in range(n):
        w = list(base)
        for _ in range(rng.choice((0, 1, 2))):
            w.insert(rng.randrange(len(w) + 1), rng.choice(FILLERS))
        if rng.random() < 0.3:
            del w[rng.randrange(len(w))]
        t = " ".join(w)
        out.append(t.upper() if k % 4 == 0 else t + rng.choice(["", "!", " - СМИ", "."]))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[20000, 80000], help="reposts per feed")
    ap.add_argument(
        "--inside",
        type=int,
        nargs="+",
        help="instead: add this many varied reposts to 100,000 headlines of bench_dedup's feed",
    )
    args = ap.parse_args(argv)
    if args.inside:
        return inside(args.inside)
    NearDuplicates().fit_predict(varied(50), sources=[str(k) for k in range(50)])  # compile
    print(f"{'feed':28} {'n':>8} {'seconds':>8} {'clusters':>9} {'largest':>8}")
    for n in args.n:
        feeds = [
            ("identical", [BASE] * n, None),
            ("identical, distinct sources", [BASE] * n, [f"s{k}" for k in range(n)]),
            ("varied edits", varied(n), None),
        ]
        for name, texts, sources in feeds:
            t0 = time.perf_counter()
            labels = NearDuplicates().fit_predict(texts, sources=sources)
            dt = time.perf_counter() - t0
            c = Counter(labels.tolist())
            print(f"{name:28} {n:>8} {dt:>8.2f} {len(c):>9} {c.most_common(1)[0][1]:>8}")
    return 0


def inside(counts: list[int]) -> int:
    """Does a heavily reposted story stay one story inside a feed of other news?"""
    import numpy as np
    from bench_dedup import make_feed

    feed, _story, _copy = make_feed(100_000, 7)
    print(f"{'reposts':>8} {'groups':>7} {'largest':>8} {'feed rows joined':>16} {'seconds':>8}")
    for k in counts:
        t0 = time.perf_counter()
        labels = np.asarray(NearDuplicates().fit_predict(feed + varied(k)))
        dt = time.perf_counter() - t0
        ids, sizes = np.unique(labels[len(feed) :], return_counts=True)
        joined = int(np.isin(labels[: len(feed)], ids).sum())
        print(f"{k:>8} {len(ids):>7} {sizes.max():>8} {joined:>16} {dt:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
