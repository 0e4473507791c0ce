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

    python benchmarks/bench_load.py [MODEL ...] [--runs 7] [--code DIR ...]

Without a model it measures the shipped default model. ``--code`` names source trees to compare
(e.g. ``git archive main | tar -x -C /tmp/before``), alternated with this one in the same run, so
a change to the load path is measured before and after under the same machine load. On a
shared machine, compare the rows of one run, not absolute figures across runs.
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


def probe(model: str, kind: str, root: Path = ROOT) -> dict[str, float]:
    """One fresh process: seconds to import and to load ``model`` ("" = the default) with the
    feedclass of source tree ``root``."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, model, kind],
        check=True,
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*", default=[""], help="model files (default: shipped)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--code", nargs="*", default=[], help="other source trees to compare with this one"
    )
    args = parser.parse_args(argv)
    roots = [ROOT, *(Path(c).resolve() for c in args.code)]
    times: dict[tuple[str, str, str], list[float]] = {}
    for _ in range(args.runs):
        for root in roots:  # alternate, so every tree and model sees the same machine load
            code = "this tree" if root == ROOT else str(root)
            for model in args.models:
                for kind in ("estimator", "scorer"):
                    r = probe(model, kind, root)
                    if kind == "estimator":
                        for step, key in (
                            ("import feedclass.model", "import"),
                            ("load_model", "load"),
                            ("import+load_model", "total"),
                        ):
                            times.setdefault((code, model, step), []).append(r[key])
                    else:
                        step = "load_scorer (fresh)"
                        times.setdefault((code, model, step), []).append(r["total"])
    print(f"| code | model | step | median s | min-max s ({args.runs} fresh processes) |")
    print("|---|---|---|---|---|")
    for (code, model, step), values in times.items():
        name = Path(model).name if model else "default"
        print(
            f"| {code} | {name} | {step} | {statistics.median(values):.3f} | "
            f"{min(values):.3f}-{max(values):.3f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
