"""What the shared normalisation costs: this checkout against another one, in one run.

Times, on the synthetic feed of ``bench_dedup.py`` (``make_feed``): ``normalize_many`` (the
batch path the classifier's features read), the default model's ``predict_proba``, dedup's
``tokenize`` and ``NearDuplicates().fit_predict``. Each checkout runs in its own subprocess
(warmed up once, then the best of ``--repeat`` runs), alternating, so the ratios compare like
with like on a shared machine.

Usage::

    python benchmarks/bench_normalize.py --other /tmp/base-checkout --n 200000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def worker(root: str, n: int, repeat: int) -> dict[str, float]:
    sys.path.insert(0, root)
    sys.path.insert(1, str(HERE))
    from bench_dedup import make_feed

    from feedclass.dedup import NearDuplicates
    from feedclass.dedup.tokens import tokenize
    from feedclass.normalize import normalize_many
    from feedclass.scorer import load_scorer

    texts = make_feed(n)[0]
    scorer = load_scorer(Path(root) / "models" / "feedclass-default.fcm")
    jobs = {
        "normalize_many": lambda: normalize_many(texts),
        "classify (predict_proba)": lambda: scorer.predict_proba(texts),
        "dedup tokenize": lambda: tokenize(texts),
        "dedup fit_predict": lambda: NearDuplicates().fit_predict(texts),
    }
    out = {}
    for name, job in jobs.items():
        job() if name != "dedup fit_predict" else NearDuplicates().fit_predict(texts[:2000])
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            job()
            best = min(best, time.perf_counter() - t0)
        out[name] = best
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--other", required=True, help="the checkout to compare with (its root)")
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.n, args.repeat)))
        return
    roots = {"this": str(HERE.parent), "other": str(Path(args.other).resolve())}
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.rounds):
        for label, root in roots.items():
            cmd = [sys.executable, __file__, "--other", root, "--worker", root]
            cmd += ["--n", str(args.n), "--repeat", str(args.repeat)]
            res = json.loads(subprocess.run(cmd, check=True, capture_output=True).stdout)
            for k, v in res.items():
                best.setdefault(label, {})[k] = min(v, best.get(label, {}).get(k, v))
    print(f"{args.n:,} headlines; best of {args.rounds} x {args.repeat} runs; shared machine")
    print("| step | this (s) | other (s) | this / other |\n|---|---:|---:|---:|")
    for k in best["this"]:
        a, b = best["this"][k], best["other"][k]
        print(f"| {k} | {a:.3f} | {b:.3f} | {a / b:.2f} |")


if __name__ == "__main__":
    main()
