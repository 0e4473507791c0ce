"""Near-duplicate clustering of news headlines (same story, reworded).

One module per step, in the order a batch goes through them:

* ``marks`` strips newsroom prefixes and tails; ``wordlists`` holds every word list as data;
* ``tokens`` folds, splits, stems and hashes (``hashing``, ``ragged``: shared helpers);
* ``facts`` compares numbers, dates, currencies, names and opposite events;
* ``vectors`` reads the meaning vectors; ``featurize`` builds a batch's per-headline arrays;
* ``candidates`` finds candidate pairs (MinHash bands); ``pairs`` scores a pair (named
  features, their kernel, the weights and the vetoes);
* ``clusters`` forms stories (no chaining); ``tuning`` tunes and sweeps thresholds;
* ``near_duplicates`` is the estimator; ``inputs`` checks what callers pass;
* ``index`` is ``DedupIndex``: the same rules, one item at a time over a time window
  (``indexparts``: what an item adds to the window's counts; ``indexfile``: its state file).

Why this design
---------------
* Headlines are short (3-12 words), so one signal is not enough: we score a pair by the cosine of
  character 3-gram TF-IDF vectors (robust to inflection and typos) *and* of light-stemmed word
  TF-IDF vectors (robust to word order and reformulation), combined linearly.
* Templated headlines ("Курс доллара на 5 мая" / "... на 6 мая") are near-identical as text but
  are different news. A pair whose numbers (ordinals too), months, weekdays or named entities
  are *substituted* (each side has one the other lacks) is never merged, whatever its text
  similarity; nor is a pair where one side reports an event and the other its opposite
  ("прекратила"/"возобновила голодовку", "пристыковался"/"отстыковался").
* Names written several ways ("РФ"/"Россия", "КНДР"/"Северная Корея", "РК"/"Казахстан") share
  one stem through a small alias list, so they neither miss a match nor trip the name veto.
* Candidates come from MinHash banding over the word stems (48 bands of 2 rows, a numba kernel);
  each item keeps its 12 candidates supported by the most bands, so the work grows with the
  number of headlines, not its square, even in huge buckets of look-alike headlines. Only
  candidate pairs are scored exactly, cheap features first: a vetoed pair, or one that cannot
  reach the threshold even with a perfect character cosine, never pays for the char-gram dot.
* Clustering is best-first average linkage: candidate pairs above the threshold are taken best
  first, and two clusters merge only when each member's average score over the other cluster
  reaches the threshold (so a single headline must match every member) and no cross pair is
  far apart. Cross pairs that were not candidates
  are scored on the spot, so a story reposted more often than the candidate cap stays whole,
  and A~B and B~C never drag a distant C into A's cluster.

Everything is deterministic (fixed hash seeds, stable sorts).
"""

from __future__ import annotations

from feedclass.dedup.candidates import candidate_keys, candidate_pairs
from feedclass.dedup.clusters import (
    DEFAULT_THRESHOLD,
    check_params,
    form_stories,
    representative_order,
    score_floor,
)
from feedclass.dedup.facts import content_tokens
from feedclass.dedup.featurize import Features, Idf, featurize, join_features
from feedclass.dedup.index import DedupIndex, Match
from feedclass.dedup.inputs import as_sources, as_times, check_headlines
from feedclass.dedup.marks import strip_source_marks
from feedclass.dedup.near_duplicates import NearDuplicates
from feedclass.dedup.pairs import (
    WEIGHTS,
    Feature,
    ScoredPairs,
    Term,
    design,
    pair_features,
    pair_scores,
    pair_similarities,
    score_batch,
    score_features,
    vetoed,
)
from feedclass.dedup.tokens import dedup_form
from feedclass.dedup.tuning import (
    SweepResult,
    TuneResult,
    parse_pair_label,
    precision_recall_curve,
    sweep_thresholds,
    tune_threshold,
)
from feedclass.dedup.vectors import VECTORS_KIND, VECTORS_NAME, meaning_vectors, vectors_path

__all__ = [
    "DEFAULT_THRESHOLD",
    "VECTORS_KIND",
    "VECTORS_NAME",
    "WEIGHTS",
    "DedupIndex",
    "Feature",
    "Features",
    "Idf",
    "Match",
    "NearDuplicates",
    "ScoredPairs",
    "SweepResult",
    "Term",
    "TuneResult",
    "as_sources",
    "as_times",
    "candidate_keys",
    "candidate_pairs",
    "check_headlines",
    "check_params",
    "content_tokens",
    "dedup_form",
    "design",
    "featurize",
    "form_stories",
    "join_features",
    "meaning_vectors",
    "pair_features",
    "pair_scores",
    "pair_similarities",
    "parse_pair_label",
    "precision_recall_curve",
    "representative_order",
    "score_batch",
    "score_features",
    "score_floor",
    "strip_source_marks",
    "sweep_thresholds",
    "tune_threshold",
    "vectors_path",
    "vetoed",
]
