"""Micro-benchmark: transform throughput of HashingFeatures vs a TfidfVectorizer union.

Why: the classifier must reach >= 200k headlines/s end to end, so the feature step has to be
far faster than that; this prints docs/s for both on the same texts, measured in one run.

Usage::

    python benchmarks/bench_features.py [CSV] [--column title] [--repeat-to 100000]

Without a CSV it uses a small built-in set of synthetic headlines (repeated).
"""

from __future__ import annotations

import argparse
import csv
import time
from collections.abc import Callable

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


def _best(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of several runs (least disturbed by other processes)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    """Fit both on the texts, then time transform (and its parts) and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", nargs="?", default=None)
    ap.add_argument("--column", default="title")
    ap.add_argument("--repeat-to", type=int, default=100_000)
    ap.add_argument("--n-features", type=int, default=2**18)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    texts = _load(args.csv, args.column, args.repeat_to)
    n = len(texts)

    t0 = time.perf_counter()
    hf = HashingFeatures(n_features=args.n_features).fit(texts[:100])
    hf.transform(texts[:10])
    first = time.perf_counter() - t0
    hf = HashingFeatures(n_features=args.n_features)
    fit_hf = _best(lambda: hf.fit(texts), 1)

    ident: Callable[[str], str] = lambda s: s  # noqa: E731 - texts are normalised beforehand
    union = make_union(
        TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, preprocessor=ident
        ),
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, preprocessor=ident),
    )
    normed = normalize_many(texts)
    fit_sk = _best(lambda: union.fit(normed), 1)

    rows = [
        ("normalize_many", _best(lambda: normalize_many(texts), args.repeat)),
        ("HashingFeatures.transform", _best(lambda: hf.transform(texts), args.repeat)),
        ("TfidfVectorizer union (pre-normalised)", _best(lambda: union.transform(normed), 1)),
    ]
    print(f"{n} texts, n_features={args.n_features}; first fit+transform call: {first:.2f} s")
    print(f"fit: HashingFeatures {fit_hf:.2f} s, TfidfVectorizer union {fit_sk:.2f} s")
    print(f"{'step':42s} {'seconds':>8s} {'docs/s':>12s}")
    for name, secs in rows:
        print(f"{name:42s} {secs:8.3f} {n / secs:12,.0f}")


if __name__ == "__main__":
    main()
