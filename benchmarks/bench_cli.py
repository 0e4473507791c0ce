"""`feedclass classify` end to end, this checkout vs an older commit, measured in one run.

    python benchmarks/bench_cli.py                          # vs bc39163, 1,000,000 rows
    python benchmarks/bench_cli.py --old-commit HEAD~3 --rows 200000 --repeats 3
    python benchmarks/bench_cli.py --skip fasttext

Needs ../shared/data (the Russian headlines the feed repeats) and, for the fastText ratio,
the benchmark extra. Prints markdown tables:

1. a CSV of ``--rows`` rows classified by the old and the new code, alternating, ``--repeats``
   times each: wall seconds, rows/s, CPU seconds (user + system), peak memory, and whether
   the two outputs are byte-identical (compared in full);
2. start-up: the same for a 10-row file (median of ``--startup-repeats`` runs each);
3. prediction throughput of the Python API vs fastText (``bench_classify``'s table, quick
   sizes), so that ratio is measured in the same run as the figures above.

The old code is a ``git archive`` of ``--old-commit`` in a temporary folder (or ``--old-tree``,
such a folder made beforehand; run a snapshot of this checkout the same way, so that editing
the checkout cannot change a run under way); each side first
classifies the 10-row file once, untimed, so that numba's on-disk cache is filled for both.
The machine is shared and noisy: compare within one run; the load average is printed.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_classify import accuracy_table, make_feed, russian  # noqa: E402


def run(tree: Path, feed: Path, out: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak MiB of one classify."""
    # both trees read this checkout's model: the comparison is of the code, not of two models
    cmd = [sys.executable, "-m", "feedclass.cli", "classify", str(feed), "-o", str(out)]
    cmd += ["-m", str(ROOT / "models" / "feedclass-default.fcm")]
    env = dict(os.environ, PYTHONPATH=str(tree))
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%U %S %M", *cmd], cwd=tree, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: classify failed:\n{proc.stderr[-2000:]}")
    user, system, peak_kb = proc.stderr.strip().splitlines()[-1].split()
    return wall, float(user) + float(system), int(peak_kb) / 1024


def old_tree(commit: str, tmp: Path) -> Path:
    tree = tmp / "old"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "archive", commit], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def load() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--old-commit", default="bc39163")
    ap.add_argument("--old-tree", type=Path, help="an extracted old tree instead of a commit")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--startup-repeats", type=int, default=5)
    ap.add_argument("--skip", nargs="*", default=[], choices=["fasttext"])
    args = ap.parse_args()
    print(f"# feedclass classify, old ({args.old_commit}) vs new ({os.cpu_count()} cores)\n")
    print(f"load average at the start: {load()}\n")
    texts, _, _ = russian(args.data)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        old = args.old_tree or old_tree(args.old_commit, tmp)
        trees = {"old": old.resolve(), "new": ROOT}
        feed, small = tmp / "feed.csv", tmp / "small.csv"
        make_feed(feed, texts, args.rows)
        make_feed(small, texts, 10)
        for name, tree in trees.items():  # fills numba's cache; not timed
            run(tree, small, tmp / f"warm_{name}.csv")

        print(f"## {args.rows:,} rows, CSV to CSV, alternating\n")
        print("| code | run | wall s | rows/s | CPU s | peak MiB | output identical to old |")
        print("|---|---|---|---|---|---|---|")
        walls: dict[str, list[float]] = {"old": [], "new": []}
        cpus: dict[str, list[float]] = {"old": [], "new": []}
        for i in range(args.repeats):
            for name in ("old", "new"):
                out = tmp / f"out_{name}.csv"
                wall, cpu, peak = run(trees[name], feed, out)
                walls[name].append(wall)
                cpus[name].append(cpu)
                same = filecmp.cmp(tmp / "out_old.csv", out, shallow=False)
                print(
                    f"| {name} | {i + 1} | {wall:.1f} | {args.rows / wall:,.0f} | {cpu:.1f} | "
                    f"{peak:.0f} | {same} |",
                    flush=True,
                )
        best = {k: min(v) for k, v in walls.items()}
        print(
            f"\n- best of {args.repeats}: old {args.rows / best['old']:,.0f} rows/s, new "
            f"{args.rows / best['new']:,.0f} rows/s ({best['old'] / best['new']:.2f}x); "
            f"CPU per run old {statistics.median(cpus['old']):.1f} s, new "
            f"{statistics.median(cpus['new']):.1f} s (medians); load now {load()}\n"
        )

        print(f"## Start-up: 10 rows, median of {args.startup_repeats} runs each, alternating\n")
        start: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
        for _ in range(args.startup_repeats):
            for name in ("old", "new"):
                wall, cpu, _ = run(trees[name], small, tmp / f"small_{name}.csv")
                start[name].append((wall, cpu))
        same = filecmp.cmp(tmp / "small_old.csv", tmp / "small_new.csv", shallow=False)
        print("| code | wall s | CPU s |")
        print("|---|---|---|")
        for name in ("old", "new"):
            w = statistics.median(x[0] for x in start[name])
            c = statistics.median(x[1] for x in start[name])
            print(f"| {name} | {w:.2f} | {c:.2f} |")
        print(f"\n- outputs identical: {same}; load now {load()}\n")

    if "fasttext" not in args.skip:
        print("## Prediction throughput vs fastText (Python API, quick sizes)\n")
        print("\n".join(accuracy_table(args.data, quick=True)), "\n", flush=True)
    print(f"load average at the end: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
