"""The dedup package's per-batch steps, as the distributed dedup calls them.

The same functions :class:`feedclass.dedup.NearDuplicates` runs on one batch; the
distributed path only decides where each batch runs and how candidates meet.
"""

from __future__ import annotations

from typing import Any


def fit_idf(texts: list[str]) -> Any:
    """Document frequencies of one batch (to be merged with :func:`merge_idf`)."""
    from feedclass import dedup

    return dedup._featurize(texts)[1]


def merge_idf(parts: list[Any]) -> Any:
    """The IDF of all shards together: document counts add up, as over one batch."""
    import numpy as np

    from feedclass import dedup

    keys = np.concatenate([p.word_keys for p in parts])
    dfs = np.concatenate([p.word_df for p in parts])
    ukeys, inv = np.unique(keys, return_inverse=True)
    word_df = np.bincount(inv, weights=dfs, minlength=ukeys.size)
    return dedup._Idf(
        n_docs=sum(p.n_docs for p in parts),
        char_df=np.sum([p.char_df for p in parts], axis=0),
        word_keys=ukeys,
        word_df=word_df,
        cap_keys=np.unique(np.concatenate([p.cap_keys for p in parts])),
    )


def featurize(texts: list[str], idf: Any) -> Any:
    """The features of one batch with a fixed IDF."""
    from feedclass import dedup

    return dedup._featurize(texts, idf)[0]


def band_keys(feats: Any, band: int) -> Any:
    from feedclass import dedup

    s_ptr, s_idx = feats.stems
    return dedup._band_keys(s_ptr, s_idx, feats.clean_hash, band, dedup._ROWS, dedup._SEED)


def n_bands() -> int:
    from feedclass import dedup

    return int(dedup._BANDS)


def window() -> int:
    from feedclass import dedup

    return int(dedup._WINDOW)


def top_k() -> int:
    from feedclass import dedup

    return int(dedup._TOP_K)


def score_pairs(fa: Any, fb: Any, ia: Any, ib: Any, min_score: float) -> Any:
    """Scores of pairs (row ia[k] of batch a, row ib[k] of batch b)."""
    import numpy as np

    from feedclass import dedup

    if fb is None:
        f, i, j = fa, ia, ib
    else:
        # Across two shards: featurise the pairs' items again, together, with the archive's
        # IDF. (Temporary: until the dedup package scores across two featurised batches.)
        ua, ra = np.unique(ia, return_inverse=True)
        ub, rb = np.unique(ib, return_inverse=True)
        f = dedup._featurize(
            [fa[0][x] for x in ua.tolist()] + [fb[0][x] for x in ub.tolist()], fa[1]
        )[0]
        i, j = ra.astype(np.int64), (rb + ua.size).astype(np.int64)
    score = dedup._score_features(dedup._features_of_pairs(f, i, j, min_score))
    score[f.clean_hash[i] == f.clean_hash[j]] = 1.0
    return np.asarray(score, dtype=np.float64)


def form_stories(
    n: int, pi: Any, pj: Any, score: Any, threshold: float, order: Any, sources: Any
) -> tuple[Any, Any]:
    from feedclass import dedup

    return dedup._cluster(n, pi, pj, score, threshold, order, sources)


def priority(n: int, keep: str, times: Any, length: Any) -> Any:
    from feedclass import dedup

    return dedup._priority(n, keep, times, length)


def source_codes(sources: list[str] | None, n: int) -> Any:
    from feedclass import dedup

    return dedup._as_sources(sources, n)


def floor(threshold: float) -> float:
    from feedclass import dedup

    return float(dedup._floor(threshold))
