"""feedclass vs scikit-learn's TfidfVectorizer pipeline vs fastText, measured in one run.

    python benchmarks/bench_classify.py                  # everything (about 10 minutes)
    python benchmarks/bench_classify.py --quick          # small sizes, for a smoke run
    python benchmarks/bench_classify.py --data DIR --cli-rows 1000000 --mem-mb 1000

Needs the benchmark extra (`pip install '.[bench]'`) for fastText. Prints markdown tables:

1. accuracy, macro-F1, training time and Python-API prediction throughput on the Russian
   labelled headlines (grouped split: ParaPhraser rewordings stay on one side) and the BBC
   titles, with a 5,000-item and the full training set;
2. `feedclass classify` end to end on a CSV (rows/s, peak memory), with 1 and with all threads;
3. peak memory of `classify` and `dedup` on feeds of growing size (streaming keeps it flat);
4. training time on 100,000 headlines.

The machine is shared and noisy: compare ratios within one run, not absolute numbers.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import make_pipeline, make_union
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedclass import TopicModel  # noqa: E402


def russian(data: Path) -> tuple[list[str], list[str], list[str]]:
    from training.sources import load_topics

    rows = load_topics(data)
    return [r["title"] for r in rows], [r["label"] for r in rows], [r["group"] for r in rows]


def bbc(data: Path) -> tuple[list[str], list[str], list[str]]:
    from training.sources import load_bbc

    rows = load_bbc(data)
    return [r["title"] for r in rows], [r["label"] for r in rows], [r["id"] for r in rows]


def split(texts, labels, groups, seed=0):
    tr, te = next(
        GroupShuffleSplit(1, test_size=0.2, random_state=seed).split(texts, labels, groups)
    )
    pick = lambda idx, xs: [xs[i] for i in idx]  # noqa: E731
    return pick(tr, texts), pick(tr, labels), pick(te, texts), pick(te, labels)


# Goal results gathered by the tables, summarised at the end.
RESULTS: dict[str, object] = {}


class SklearnTfidf:
    """The obvious scikit-learn pipeline: char_wb 2-5 + word 1-2 TF-IDF, linear SVM.

    The same classifier as TopicModel's, for a fair comparison: LinearSVC with its class
    weights, and half its C, because TopicModel L2-normalises the whole row after the two
    blocks (each of norm 1), which scales the features by ~1/sqrt(2) and so the effective C by
    ~1/2 relative to a FeatureUnion of two unit-norm blocks.
    """

    name = "sklearn TfidfVectorizer"

    def fit(self, X, y):
        ref = TopicModel().get_params()
        self.p = make_pipeline(
            make_union(
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
            ),
            LinearSVC(C=ref["C"] / 2, class_weight=ref["class_weight"], random_state=0),
        ).fit(X, y)
        return self

    def predict(self, X):
        return self.p.predict(X)


class FastText:
    """fastText supervised, the settings the issue names, one thread."""

    name = "fastText"

    def fit(self, X, y):
        import fasttext

        fd, path = tempfile.mkstemp(suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for t, lab in zip(X, y):
                fh.write(f"__label__{lab} {_ft_clean(t)}\n")
        self.m = fasttext.train_supervised(
            path, wordNgrams=2, epoch=10, lr=0.3, thread=1, verbose=0, seed=0
        )
        os.unlink(path)
        return self

    def predict(self, X):
        labels, _ = self.m.predict([_ft_clean(t) for t in X], k=1)
        return np.array([lab[0][9:] for lab in labels], dtype=object)


def _ft_clean(text: str) -> str:
    # fastText splits on white space and wants one line per example: lower-case and pad
    # punctuation, as its own documentation does.
    return re.sub(r"([^\w\s])", r" \1 ", text.replace("\n", " ").lower())


class Feedclass:
    name = "feedclass"

    def fit(self, X, y):
        self.m = TopicModel().fit(X, y)
        return self

    def predict(self, X):
        return self.m.predict(X)


def throughput(model, texts: list[str], n: int = 200_000) -> float:
    batch = (texts * (n // max(len(texts), 1) + 1))[:n]
    model.predict(batch[:1000])  # warm-up (compiled kernels, caches)
    start = time.perf_counter()
    model.predict(batch)
    return n / (time.perf_counter() - start)


def accuracy_table(data: Path, quick: bool) -> list[str]:
    out = [
        "| data | train size | model | accuracy | macro-F1 | train s | predict headlines/s |",
        "|---|---|---|---|---|---|---|",
    ]
    ratios = []
    for name, loader in (("Russian headlines", russian), ("BBC titles (en)", bbc)):
        texts, labels, groups = loader(data)
        Xtr, ytr, Xte, yte = split(texts, labels, groups)
        sizes = [5000] if quick else [5000, len(Xtr)]
        for size in sizes:
            size = min(size, len(Xtr))
            rng = np.random.default_rng(0)
            idx = np.sort(rng.choice(len(Xtr), size, replace=False))
            xs, ys = [Xtr[i] for i in idx], [ytr[i] for i in idx]
            row: dict[str, tuple[float, float]] = {}
            for cls in (Feedclass, SklearnTfidf, FastText):
                try:
                    start = time.perf_counter()
                    m = cls().fit(xs, ys)
                    fit_s = time.perf_counter() - start
                except ImportError:
                    out.append(f"| {name} | {size} | {cls.name} | (not installed) | | | |")
                    continue
                pred = m.predict(Xte)
                acc = accuracy_score(yte, pred)
                f1 = f1_score(yte, pred, average="macro")
                tput = throughput(m, Xte, 50_000 if quick else 200_000)
                row[cls.name] = (acc, tput)
                out.append(
                    f"| {name} | {size} | {cls.name} | {acc:.4f} | {f1:.4f} | "
                    f"{fit_s:.1f} | {tput:,.0f} |"
                )
            if "fastText" in row:
                RESULTS.setdefault("acc", []).append(
                    (
                        name,
                        size,
                        row["feedclass"][0] - row["fastText"][0],
                        row["feedclass"][1] / row["fastText"][1],
                    )
                )
                ratios.append(
                    f"{name}, {size} items: accuracy feedclass - fastText = "
                    f"{100 * (row['feedclass'][0] - row['fastText'][0]):+.1f} points; "
                    f"predict throughput feedclass / fastText = "
                    f"{row['feedclass'][1] / row['fastText'][1]:.2f}x"
                )
    return out + [""] + [f"- {r}" for r in ratios]


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds and peak RSS (MiB) of a command, through /usr/bin/time -v."""
    start = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        ["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, cwd=ROOT, env=env
    )
    wall = time.perf_counter() - start
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return wall, int(m.group(1)) / 1024 if m else float("nan"), proc.returncode


def make_feed(path: Path, texts: list[str], rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "title"])
        n = len(texts)
        for i in range(rows):
            w.writerow([i, texts[i % n]])


def cli_table(data: Path, rows: int, tmp: Path) -> list[str]:
    texts, _, _ = russian(data)
    feed = tmp / "feed.csv"
    make_feed(feed, texts, rows)
    exe = [sys.executable, "-m", "feedclass.cli", "classify", str(feed), "-o"]
    out = [
        "| command | rows | threads | seconds | rows/s | peak MiB |",
        "|---|---|---|---|---|---|",
    ]
    results = {}
    for jobs in (1, None):
        dest = tmp / f"out{jobs}.csv"
        cmd = exe + [str(dest)] + (["--jobs", str(jobs)] if jobs else [])
        wall, rss, _ = timed(cmd)
        results[jobs] = (wall, dest)
        out.append(
            f"| classify CSV->CSV | {rows:,} | {jobs or 'all'} | {wall:.1f} | "
            f"{rows / wall:,.0f} | {rss:.0f} |"
        )
    same = results[1][1].read_bytes() == results[None][1].read_bytes()
    RESULTS["cli"] = (rows, rows / results[None][0], results[1][0] / results[None][0], same)
    out.append("")
    out.append(
        f"- speed-up with all threads vs 1: {results[1][0] / results[None][0]:.2f}x; "
        f"outputs identical: {same}"
    )
    return out


def memory_table(data: Path, sizes_mb: list[int], tmp: Path) -> list[str]:
    texts, _, _ = russian(data)
    avg = sum(len(t.encode()) for t in texts) / len(texts) + 10
    out = ["| command | feed MB | rows | seconds | peak MiB |", "|---|---|---|---|---|"]
    for mb in sizes_mb:
        rows = int(mb * 1e6 / avg)
        feed = tmp / f"feed{mb}.csv"
        make_feed(feed, texts, rows)
        real_mb = feed.stat().st_size / 1e6
        for command in ("classify", "dedup"):
            cmd = [
                sys.executable,
                "-m",
                "feedclass.cli",
                command,
                str(feed),
                "-o",
                str(tmp / f"o_{command}.csv"),
            ]
            wall, rss, _ = timed(cmd)
            out.append(f"| {command} | {real_mb:,.0f} | {rows:,} | {wall:.1f} | {rss:.0f} |")
            if command == "classify":
                RESULTS.setdefault("mem", []).append((real_mb, rss))
        feed.unlink()
    return out


def train_table(data: Path, n: int) -> list[str]:
    texts, labels, _ = russian(data)
    reps = n // len(texts) + 1
    xs, ys = (texts * reps)[:n], (labels * reps)[:n]
    start = time.perf_counter()
    TopicModel().fit(xs, ys)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    TopicModel(calibrate=False).fit(xs, ys)
    plain = time.perf_counter() - start
    RESULTS["train"] = (n, fit_s)
    return [
        "| training set | seconds (calibrated, as shipped) | seconds (no calibration) |",
        "|---|---|---|",
        f"| {n:,} Russian headlines | {fit_s:.1f} | {plain:.1f} |",
    ]


def goals() -> list[str]:
    """One README-ready line per goal of the speed issue: met or not, and by how much."""
    out = []

    def line(goal: str, met: bool, detail: str) -> None:
        out.append(f"- ({goal}) {'met' if met else 'NOT met'}: {detail}")

    for name, size, dacc, _ratio in RESULTS.get("acc", []):  # type: ignore[union-attr]
        if size == 5000:
            line(
                "b",
                dacc >= 0.03,
                f"{name}, 5,000 training items: accuracy {100 * dacc:+.1f} "
                "points vs fastText (goal >= +3)",
            )
    ratios = [r for *_, r in RESULTS.get("acc", [])]  # type: ignore[union-attr]
    if ratios:
        line(
            "a",
            min(ratios) >= 1.0,
            f"predict throughput {min(ratios):.2f}x-{max(ratios):.2f}x fastText's (goal >= 1.0x)",
        )
    if "cli" in RESULTS:
        rows, rate, speedup, same = RESULTS["cli"]  # type: ignore[misc]
        line(
            "c",
            rate >= 150_000,
            f"classify CSV->CSV {rows:,} rows: {rate:,.0f} rows/s, "
            f"{rate / 150_000:.2f}x the goal of 150,000",
        )
        line(
            "f",
            speedup >= 1.6 and same,
            f"all threads vs 1: {speedup:.2f}x (goal >= 1.6x), identical output: {same}",
        )
    if "mem" in RESULTS:
        mem = RESULTS["mem"]  # type: ignore[assignment]
        peak = max(r for _, r in mem)  # type: ignore[union-attr]
        sizes = ", ".join(f"{mb:,.0f} MB: {r:.0f} MiB" for mb, r in mem)  # type: ignore[union-attr]
        line("e", peak <= 1024, f"peak memory of classify {sizes} (goal <= 1024 MiB, flat)")
    if "train" in RESULTS:
        n, sec = RESULTS["train"]  # type: ignore[misc]
        line(
            "d",
            sec <= 30 * n / 100_000,
            f"training on {n:,} headlines: {sec:.1f} s (goal <= 30 s per 100,000)",
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cli-rows", type=int, default=1_000_000)
    ap.add_argument("--mem-mb", type=int, nargs="*", default=[100, 1000])
    ap.add_argument("--train-n", type=int, default=100_000)
    ap.add_argument("--skip", nargs="*", default=[], choices=["acc", "cli", "mem", "train"])
    args = ap.parse_args()
    if args.quick:
        args.cli_rows, args.mem_mb, args.train_n = 100_000, [20], 20_000
    load = os.getloadavg()[0]
    print(f"# feedclass classification benchmark ({os.cpu_count()} cores, load {load:.1f})\n")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if "acc" not in args.skip:
            print("## Accuracy and prediction speed\n")
            print("\n".join(accuracy_table(args.data, args.quick)), "\n", flush=True)
        if "cli" not in args.skip:
            print("## feedclass classify end to end\n")
            print("\n".join(cli_table(args.data, args.cli_rows, tmp)), "\n", flush=True)
        if "mem" not in args.skip:
            print("## Peak memory while streaming\n")
            print("\n".join(memory_table(args.data, args.mem_mb, tmp)), "\n", flush=True)
        if "train" not in args.skip:
            print("## Training time\n")
            print("\n".join(train_table(args.data, args.train_n)), "\n", flush=True)
    print(f"## Goals (load at the end {os.getloadavg()[0]:.1f})\n")
    print("\n".join(goals()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
