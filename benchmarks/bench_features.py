"""Micro-benchmark: transform throughput of HashingFeatures vs a TfidfVectorizer union.

Why: the classifier must reach >= 200k headlines/s end to end, so the feature step has to be
far faster than that; this prints docs/s for both on the same texts, measured in one run.
CPU seconds are shown too: on a shared machine they vary less than wall time.

Usage::

    python benchmarks/bench_features.py [CSV] [--column title] [--repeat-to 100000]

Without a CSV it uses a small built-in set of synthetic headlines (repeated).
"""

from __future__ import annotations

import argparse
import csv
import time
from collections.abc import Callable

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_union

from feedclass import HashingFeatures
from feedclass.normalize import normalize_many

_BUILTIN = [
    "Курс тенге укрепился к доллару на бирже",
    "Нацбанк Казахстана сохранил базовую ставку на уровне 14,25%",
    "Теңге бағамы долларға қатысты нығайды",
    "Алматыда балаларға арналған жаңа мұз айдыны ашылды",
    "Oil prices rise as OPEC+ agrees to extend output cuts",
    "Сборная Казахстана по футболу обыграла Сербию в отборе Евро-2028",
    "В Караганде потушили пожар на складе площадью 500 квадратных метров",
    "Scientists at KazNU launch a new cubesat satellite",
]


def _load(path: str | None, column: str, n: int) -> list[str]:
    """Read a column of a CSV (or use the built-in set) and repeat it up to n texts."""
    if path:
        with open(path, encoding="utf-8", newline="") as f:
            base = [row[column] for row in csv.DictReader(f)]
    else:
        base = _BUILTIN
    reps = -(-n // len(base))
    return (base * reps)[:n]


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best wall and CPU time of several runs (the least disturbed by other processes)."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def main() -> None:
    """Fit both on the texts, then time transform (and its parts) and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", nargs="?", default=None)
    ap.add_argument("--column", default="title")
    ap.add_argument("--repeat-to", type=int, default=100_000)
    ap.add_argument("--n-features", type=int, default=2**18)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-sklearn", action="store_true", help="sklearn's union is slow")
    args = ap.parse_args()
    texts = _load(args.csv, args.column, args.repeat_to)
    n, nf = len(texts), args.n_features

    t0 = time.perf_counter()
    HashingFeatures(n_features=nf).fit(texts[:20]).transform(texts[:20])
    first = time.perf_counter() - t0  # numba cache load (or compile) + word table
    hf1 = HashingFeatures(n_features=nf, n_jobs=1)
    hf = HashingFeatures(n_features=nf)
    fit_hf = _best(lambda: hf.fit(texts), 1)
    hf1.fit(texts)
    coef = np.asfortranarray(np.random.default_rng(0).random((10, nf), np.float32))

    rows = [
        (
            "normalize_many (inside every transform)",
            _best(lambda: normalize_many(texts), args.repeat),
        ),
        ("HashingFeatures.transform, 1 thread", _best(lambda: hf1.transform(texts), args.repeat)),
        (
            f"HashingFeatures.transform, {hf.n_threads()} threads",
            _best(lambda: hf.transform(texts), args.repeat),
        ),
        (
            "transform(X) @ coef.T (10 classes)",
            _best(lambda: hf.transform(texts) @ coef.T, args.repeat),
        ),
        (
            "decision_scores(X, coef), 1 thread",
            _best(lambda: hf1.decision_scores(texts, coef), args.repeat),
        ),
        (
            f"decision_scores(X, coef), {hf.n_threads()} threads",
            _best(lambda: hf.decision_scores(texts, coef), args.repeat),
        ),
    ]
    fit_sk = None
    if not args.skip_sklearn:
        ident: Callable[[str], str] = lambda s: s  # noqa: E731 - texts are normalised beforehand
        union = make_union(
            TfidfVectorizer(
                analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, preprocessor=ident
            ),
            TfidfVectorizer(
                analyzer="word", ngram_range=(1, 2), sublinear_tf=True, preprocessor=ident
            ),
        )
        normed = normalize_many(texts)
        fit_sk = _best(lambda: union.fit(normed), 1)
        rows.append(
            ("TfidfVectorizer union (pre-normalised)", _best(lambda: union.transform(normed), 1))
        )

    print(f"{n} texts, n_features={nf}; first fit+transform of 20 texts: {first:.2f} s")
    print(f"fit wall/cpu: HashingFeatures {fit_hf[0]:.2f}/{fit_hf[1]:.2f} s", end="")
    print("" if fit_sk is None else f", TfidfVectorizer union {fit_sk[0]:.2f}/{fit_sk[1]:.2f} s")
    print(f"{'step':48s} {'wall s':>7s} {'docs/s':>10s} {'cpu s':>7s} {'docs/cpu-s':>11s}")
    for name, (wall, cpu) in rows:
        print(f"{name:48s} {wall:7.3f} {n / wall:10,.0f} {cpu:7.3f} {n / max(cpu, 1e-9):11,.0f}")


if __name__ == "__main__":
    main()
