"""``--history`` runs on a big state: load, dedup a batch against it, save.

A synthetic feed (``bench_dedup.make_feed``) is split into a first batch (``--n`` rows, into
an empty history) and a second (``--batch`` rows, an hour later, into the non-empty history);
each run loads the state file, deduplicates with :func:`feedclass.history.dedup_against_history`
(what ``feedclass dedup/publish --history`` calls) and saves it, and each step is timed.
Run it with ``PYTHONPATH`` at an older checkout to time that one on the same machine.

Usage::

    python benchmarks/bench_history.py --n 50000 --batch 50000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dedup import make_feed

from feedclass.history import History, dedup_against_history


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=50_000, help="rows of the first batch")
    ap.add_argument("--batch", type=int, default=50_000, help="rows of the second batch")
    args = ap.parse_args(argv)
    texts, _story, _copy = make_feed(args.n + args.batch, seed=5)
    first, second = texts[: args.n], texts[args.n :]
    state = Path(tempfile.mkdtemp()) / "state"
    print(
        f"machine: {os.cpu_count()} cores, shared with other jobs "
        f"(load {os.getloadavg()[0]:.1f}); compare within one run"
    )
    print("| run | load s | dedup s | save s | rows/s (dedup) | state MiB | joined |")
    print("|---|---|---|---|---|---|---|")
    for name, rows, now in (("first batch", first, 1.0e9), ("second batch", second, 1.0e9 + 3600)):
        t0 = time.perf_counter()
        h = History.open(state, history_days=3)
        held = len(h)
        t1 = time.perf_counter()
        ids = [f"{name[0]}{k}" for k in range(len(rows))]
        r = dedup_against_history(h, rows, now=now, ids=ids)
        t2 = time.perf_counter()
        h.save(state)
        t3 = time.perf_counter()
        joined = int((r.seen_before | (r.duplicate_of >= 0)).sum())
        print(
            f"| {name} ({len(rows):,} rows into {held:,}) "
            f"| {t1 - t0:.1f} | {t2 - t1:.1f} | {t3 - t2:.1f} | {len(rows) / (t2 - t1):,.0f} | "
            f"{state.stat().st_size / 2**20:.1f} | {joined:,} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
