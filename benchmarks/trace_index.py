"""Where DedupIndex and the batch disagree: each disagreeing pair of items, by cause.

The feed is clustered at once by ``NearDuplicates.fit_predict`` and fed one item at a time in
time order to a ``DedupIndex`` (a window wider than the feed), as ``bench_index.py`` does; the
index's own pair scores are recorded as it computes them (at the later item's arrival, under
that period's counts). A pair of items is *disagreeing* when one side puts it in one story and
the other does not. Each such pair gets the first cause that fits:

- ``slip, score``: the two sides score the pair on either side of the threshold, and the batch
  reads a word of one of the two headlines as another word (its slip-of-the-pen map over the
  whole feed);
- ``IDF/names at arrival, score``: the same, with no slip involved: the index weighs words by
  the counts of its window at arrival time, the batch by those of the whole feed;
- ``index never scored it``: the index never compared the two items (not among each other's
  candidates, nor in a story the other asked to join), yet one side put them together;
- ``join rule in order``: both sides score the pair on the same side of the threshold: they
  were put together (or kept apart) through other members: the batch merges the best pairs of
  the whole feed first, the index decides each item when it arrives, under the same star rule.

Feeds: the synthetic generator (seed 11), and the fit and choose parts of ParaPhraser as feeds of
their own (never the report part: these examples are read by people who change the rules).

Usage::

    python benchmarks/trace_index.py --n 5000 --examples 3
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_dedup import make_feed
from bench_index import DATA, pair_agreement

from feedclass import DedupIndex, NearDuplicates
from feedclass.dedup import indexingest
from feedclass.dedup.clusters import DEFAULT_THRESHOLD
from feedclass.dedup.facts import content_tokens
from feedclass.dedup.featurize import featurize
from feedclass.dedup.pairs import pair_scores

CAUSES = (
    "slip, score",
    "IDF/names at arrival, score",
    "index never scored it",
    "join rule in order",
)


def index_labels(texts: list[str]) -> tuple[np.ndarray, dict[tuple[int, int], float]]:
    """Stories of the items fed one at a time, and every pair score the index computed
    (first computed: at the later item's arrival). Slots are item numbers here (nothing is
    forgotten, so nothing is renumbered)."""
    seen: dict[tuple[int, int], float] = {}
    original = indexingest.PeriodIngest._pair_scores

    def recording(self: indexingest.PeriodIngest, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        sc = original(self, a, b)
        for x, y, v in zip(a.tolist(), b.tolist(), sc.tolist(), strict=True):
            seen.setdefault((min(x, y), max(x, y)), v)
        return sc

    indexingest.PeriodIngest._pair_scores = recording  # type: ignore[method-assign]
    try:
        idx = DedupIndex(window_days=1e6)
        out = np.array([idx.add(t, item_id=k, time=float(k)).story_id for k, t in enumerate(texts)])
    finally:
        indexingest.PeriodIngest._pair_scores = original  # type: ignore[method-assign]
    return out, seen


def disagreeing_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairs (i < j) together on exactly one side, as rows of an (m, 2) array."""
    out: list[tuple[int, int]] = []
    for lab, other in ((a, b), (b, a)):
        groups: dict[int, list[int]] = {}
        for k, s in enumerate(lab.tolist()):
            groups.setdefault(s, []).append(k)
        for mem in groups.values():
            for x in range(len(mem)):
                for y in range(x + 1, len(mem)):
                    i, j = mem[x], mem[y]
                    if other[i] != other[j]:
                        out.append((i, j))
    return np.array(sorted(set(out)), dtype=np.int64).reshape(-1, 2)


def trace(name: str, texts: list[str], examples: int) -> None:
    thr = DEFAULT_THRESHOLD
    batch = NearDuplicates().fit_predict(texts, times=np.arange(len(texts), dtype=float))
    inc, seen = index_labels(texts)
    rand, either, _ari = pair_agreement(batch, inc)
    pairs = disagreeing_pairs(batch, inc)
    f, _idf = featurize(texts)
    sb = pair_scores(f, pairs[:, 0], pairs[:, 1]) if pairs.size else np.zeros(0)
    # words the batch reads as another word: token hashes with and without its slip map
    with_map = content_tokens(texts, typos=True)
    without = content_tokens(texts, typos=False)
    moved_doc = np.zeros(len(texts), dtype=bool)
    moved_doc[with_map.doc[with_map.whash != without.whash]] = True
    cause: list[str] = []
    for (i, j), s_b in zip(pairs.tolist(), sb.tolist(), strict=True):
        s_i = seen.get((i, j))
        if s_i is None:
            cause.append(CAUSES[2])
        elif (s_b >= thr) != (s_i >= thr):
            cause.append(CAUSES[0] if moved_doc[i] or moved_doc[j] else CAUSES[1])
        else:
            cause.append(CAUSES[3])
    batch_side = batch[pairs[:, 0]] == batch[pairs[:, 1]] if pairs.size else np.zeros(0, bool)
    print(
        f"\n{name}: {len(texts):,} items; pairs alike (Rand) {rand:.5f}; of the pairs either "
        f"merges, both do {either:.3f}; {len(pairs):,} disagreeing pairs"
    )
    print("| cause | pairs | share | batch merges, index not | index merges, batch not |")
    print("|---|---|---|---|---|")
    count = Counter(cause)
    for c in CAUSES:
        m = np.array([x == c for x in cause], dtype=bool)
        print(
            f"| {c} | {count[c]:,} | {count[c] / max(len(cause), 1):.2f} | "
            f"{int((m & batch_side).sum()):,} | {int((m & ~batch_side).sum()):,} |"
        )
    rng = np.random.default_rng(5)
    for c in CAUSES:
        ks = [k for k, x in enumerate(cause) if x == c]
        for k in rng.permutation(ks)[:examples].tolist():
            i, j = pairs[k]
            s_i = seen.get((int(i), int(j)))
            who = "batch" if batch_side[k] else "index"
            si = "never" if s_i is None else f"{s_i:.2f}"
            print(f"  [{c}] merged by {who}; batch {sb[k]:.2f}, index {si}")
            print(f"      {texts[i]}\n      {texts[j]}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=5000, help="synthetic feed size")
    ap.add_argument("--examples", type=int, default=3, help="examples printed per cause")
    ap.add_argument(
        "--feeds", nargs="*", default=["synthetic", "fit", "choose"],
        choices=("synthetic", "fit", "choose"),
    )  # fmt: skip
    args = ap.parse_args(argv)
    if "synthetic" in args.feeds:
        texts, _s, _c = make_feed(args.n, seed=11)
        trace("synthetic (seed 11)", texts, args.examples)
    para = DATA / "paraphraser" / "data.csv"
    parts = [p for p in ("fit", "choose") if p in args.feeds]
    if parts and para.exists():
        from eval_dedup import PARTS, ParaPhraser

        pp = ParaPhraser(para)
        for p in parts:
            _ids, texts = pp.feed(PARTS.index(p))
            trace(f"ParaPhraser {p} part", texts, args.examples)
    elif parts:
        print(f"(ParaPhraser skipped: {para} not found)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
