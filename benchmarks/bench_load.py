"""Start-up benchmark: how long a fresh process takes to load a topic model.

Why: issue #19 asks that the default model load in <= 1 s. A fresh ``python`` is started for
every measurement (imports are what costs), the model files given are measured alternately in
the same minute, and the table gives the median and range of each step:

- ``import feedclass.model``: the estimator's imports (scikit-learn, SciPy, numba);
- ``load_model``: reading the file into a ``TopicModel`` once those are imported;
- ``import+load_model``: ``import feedclass; feedclass.load_model(path)`` as a user runs it;
- ``load_scorer``: ``feedclass.scorer.load_scorer(path)`` from a fresh process (what
  ``feedclass classify`` runs; it imports no scikit-learn), with its imports.

Usage::

    python benchmarks/bench_load.py [MODEL ...] [--runs 7]

Without a model it measures the shipped default model. On a shared machine, compare the rows
of one run, not absolute figures across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PROBE = """
import json, sys, time
t0 = time.perf_counter()
if sys.argv[2] == "scorer":
    from feedclass.scorer import load_scorer
    t1 = time.perf_counter()
    load_scorer(sys.argv[1] or None)
else:
    import feedclass
    import feedclass.model
    t1 = time.perf_counter()
    feedclass.load_model(sys.argv[1] or None)
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "total": t2 - t0}))
"""


def probe(model: str, kind: str) -> dict[str, float]:
    """One fresh process: seconds to import and to load ``model`` ("" = the default)."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, model, kind],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*", default=[""], help="model files (default: shipped)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.runs):
        for model in args.models:  # alternate, so every model sees the same machine load
            for kind in ("estimator", "scorer"):
                r = probe(model, kind)
                if kind == "estimator":
                    times.setdefault((model, "import feedclass.model"), []).append(r["import"])
                    times.setdefault((model, "load_model"), []).append(r["load"])
                    times.setdefault((model, "import+load_model"), []).append(r["total"])
                else:
                    times.setdefault((model, "load_scorer (fresh)"), []).append(r["total"])
    print(f"| model | step | median s | min-max s ({args.runs} fresh processes) |")
    print("|---|---|---|---|")
    for (model, step), values in times.items():
        name = Path(model).name if model else "default"
        print(
            f"| {name} | {step} | {statistics.median(values):.3f} | "
            f"{min(values):.3f}-{max(values):.3f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
