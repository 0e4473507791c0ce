"""Would a pair model of more capacity, or softer word alignment, rank pairs better? Held out.

The pair score is a sign-constrained logistic regression over named features
(``feedclass.dedup.pairs``). This script asks whether its *form* or its *inputs* limit it. Each
candidate model is fitted on the **fit** part of ParaPhraser (plus the hand-labelled feed pairs
``eval_dedup.fit_weights`` uses) and scored on the **choose** part's labelled pairs, each
pair featurised in its part's feed. The report part is never read. Candidates:

- ``shipped``: ``feedclass.dedup.WEIGHTS`` as they are;
- ``refit``: the same terms refitted here (the reference for the rest);
- ``+ interactions``: fifteen products and hinge bins of the strongest features, free signs;
- ``boosted trees``: a gradient-boosted tree ensemble (depth 2, 100 trees) constrained to be
  monotone in each feature the way the logistic signs are;
- ``residual trees``: the shipped logistic plus a small boosted correction (50 monotone trees
  of depth 2, Newton steps on its residual), fitted with the Telegram feed pairs weighing
  ``FEED_PAIR_WEIGHT`` (``x2``) or ``TG_PAIR_WEIGHT`` (``x6``);
- ``+ soft alignment``: each word's best word-vector match on the other side, idf-weighted over
  all words (shared words count 1), the worse-matched word, and words left without any match,
  per side (the smaller and the larger side), on top of the logistic terms;
- ``+ containment``: seven signals of "one side is the other with words dropped or added"
  (``containment_signals``), on top of the logistic terms: what the longer side adds (its
  unmatched IDF, rarest unmatched word, new names or numbers, unmatched share) and whether
  one side lies wholly inside the other (alone, when the shorter side is specific, when the
  added words hold no name or number).

Vetoed pairs score 0 in every model (the vetoes are not a model question). Columns: AUC of
the pairs no veto refuses, recall at pair precision 0.93 and 0.94 (the best over thresholds),
precision / recall at 0.75, and the share right of the random Telegram merges of the *choose*
part scoring at least 0.75 and 0.80 (``eval_dedup.tg_merge_scores``' sample, each pair scored
in its own feed: what the choose rule asks to reach 0.92). Pair figures, not feed figures:
the feed's clustering moves both a little (``eval_dedup.py`` prints those).

Usage::

    python benchmarks/dedup_levers.py [DATA_DIR]    # default ../shared/data; about a minute
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.tree import DecisionTreeRegressor

from feedclass import dedup as D
from feedclass.dedup.pairs import Feature as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_dedup as E

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from training.tg_news import load_tg_posts

_CHOOSE = 1


def soft_alignment(f: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Six soft-alignment columns per pair (see the module docstring), from the word vectors."""
    _keys, vec = D.vectors.meaning_vectors()
    v = vec.astype(np.float64)
    sp, si = f.stems
    idf, sv = f.stem_idf, f.stem_vec
    out = np.zeros((len(a), 6))
    for k, (i, j) in enumerate(zip(a, b, strict=True)):
        rows_a, rows_b = range(sp[i], sp[i + 1]), range(sp[j], sp[j + 1])
        in_a, in_b = {si[q] for q in rows_a}, {si[q] for q in rows_b}
        ua = [q for q in rows_a if si[q] not in in_b]
        ub = [q for q in rows_b if si[q] not in in_a]
        shared = sum(idf[q] for q in rows_a if si[q] in in_b)

        def best(us: list[int], other: list[int]) -> list[tuple[float, float]]:
            ov = [sv[r] for r in other if sv[r] >= 0]
            return [
                (idf[q], 0.0 if sv[q] < 0 or not ov else max(0.0, float((v[ov] @ v[sv[q]]).max())))
                for q in us
            ]

        per_side = []
        for us, other in ((ua, ub), (ub, ua)):
            m = best(us, other)
            w = sum(x for x, _ in m)
            soft = (shared + sum(x * c for x, c in m)) / (shared + w) if shared + w > 0 else 1.0
            worst = min([c for x, c in m if x >= 3] or [1.0])
            lost = sum(1 for x, c in m if c < 0.35 and x >= 3)
            per_side.append((soft, worst, lost))
        (sa, wa, la), (sb, wb, lb) = per_side
        out[k] = [min(sa, sb), max(sa, sb), min(wa, wb), max(wa, wb), min(la, lb), max(la, lb)]
    return out


def containment_signals(f: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Seven containment columns per pair (module docstring; signs: ``CONTAINMENT_SIGNS``)."""
    sp, si = f.stems
    idf = f.stem_idf
    ep, ei = f.entities
    npt, ni = f.numbers
    ln = f.log_n + 1.0
    out = np.zeros((len(a), 7))
    for k, (i, j) in enumerate(zip(a, b, strict=True)):
        wa = {si[q]: idf[q] for q in range(sp[i], sp[i + 1])}
        wb = {si[q]: idf[q] for q in range(sp[j], sp[j + 1])}
        ua = [w for x, w in wa.items() if x not in wb]
        ub = [w for x, w in wb.items() if x not in wa]
        shared = sum(w for x, w in wa.items() if x in wb)
        ul, lo, ot = (ua, i, j) if sum(ua) >= sum(ub) else (ub, j, i)
        new_facts = len(
            {ei[q] for q in range(ep[lo], ep[lo + 1])} - {ei[q] for q in range(ep[ot], ep[ot + 1])}
        ) + len(
            {ni[q] for q in range(npt[lo], npt[lo + 1])}
            - {ni[q] for q in range(npt[ot], npt[ot + 1])}
        )
        extra = sum(ul)
        inside = 1.0 if min(len(ua), len(ub)) == 0 else 0.0
        out[k] = [
            extra / ln,
            max(ul, default=0.0) / ln,
            min(new_facts, 2) / 2,
            extra / (shared + extra) if shared + extra > 0 else 0.0,
            inside * min(max(shared - f.log_n, 0.0), 10.0) / 10.0,
            inside,
            inside * (1.0 if new_facts == 0 else 0.0),
        ]
    return out


CONTAINMENT_SIGNS = [-1, -1, -1, -1, +1, +1, +1]


def interactions(x: np.ndarray) -> np.ndarray:
    cc, wc, mm = x[:, F.CHAR_COS], x[:, F.WORD_COS], x[:, F.MEANING_MATCH]
    un, bu, ic = x[:, F.UNEXPLAINED], x[:, F.BOTH_UNEXPLAINED], x[:, F.IDF_CONTAINMENT]
    rs = np.minimum(x[:, F.RAREST_SHARED], 1.0)
    sp = np.clip(x[:, F.SPECIFICITY], -5, 15) / 10
    cols = [cc**2, np.maximum(cc - 0.5, 0), np.maximum(cc - 0.7, 0), wc * mm, cc * mm, un**2]
    cols += [bu**2, un * bu, ic**2, np.maximum(ic - 0.8, 0), cc * sp, mm**2]
    cols += [np.maximum(mm - 0.5, 0), (1 - un) * (1 - bu), cc * ic * rs]
    return np.column_stack(cols)


def fit_logistic(
    z: np.ndarray, y: np.ndarray, w: np.ndarray, signs: list[int], l2: float = 1e-3
) -> np.ndarray:
    """Logistic regression with a bias and a sign bound per column (+1, -1, 0 = free)."""
    zz = np.column_stack((np.ones(len(z)), z))

    def loss(c: np.ndarray) -> tuple[float, np.ndarray]:
        s = zz @ c
        g = zz.T @ (w * (1 / (1 + np.exp(-s)) - y)) / w.sum()
        g[1:] += 2 * l2 * c[1:]
        nll = float(np.sum(w * (np.logaddexp(0, s) - y * s)) / w.sum())
        return nll + l2 * c[1:] @ c[1:], g

    bounds = [(None, None)] + [
        (0, None) if s > 0 else (None, 0) if s < 0 else (None, None) for s in signs
    ]
    return minimize(loss, np.zeros(zz.shape[1]), jac=True, bounds=bounds).x


def residual_trees(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, base: np.ndarray, mono: list[int], n: int = 50
) -> list[DecisionTreeRegressor]:
    """Boosted depth-2 trees, monotone as ``mono``, on the residual of the logits ``base``.

    Each tree fits the Newton step of the logistic loss (working response, weights p(1-p));
    the prediction is ``base + 0.1 * sum(tree(x))``.
    """
    z = base.copy()
    trees = []
    for t in range(n):
        p = 1 / (1 + np.exp(-z))
        h = np.maximum(p * (1 - p), 1e-6)
        tree = DecisionTreeRegressor(
            max_depth=2, min_samples_leaf=20, monotonic_cst=mono, random_state=t
        )
        tree.fit(x, np.clip((y - p) / h, -4, 4), sample_weight=w * h)
        z += 0.1 * tree.predict(x)
        trees.append(tree)
    return trees


def logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(q / (1 - q))


def summary(
    name: str,
    s: np.ndarray,
    y: np.ndarray,
    ok: np.ndarray,
    tg: tuple[np.ndarray, np.ndarray] | None = None,
) -> str:
    order = np.argsort(-s, kind="stable")
    tp = np.cumsum(y[order])
    prec = tp / np.arange(1, len(s) + 1)
    rec = tp / y.sum()
    r93 = rec[prec >= 0.93].max(initial=0.0)
    r94 = rec[prec >= 0.94].max(initial=0.0)
    m = s >= 0.75
    line = (
        f"{name:22s} {roc_auc_score(y[ok], s[ok]):6.4f} {r93:8.3f} {r94:8.3f}"
        f" {y[m].mean():8.3f} {m[y == 1].mean():7.3f}"
    )
    if tg is not None:
        ts, tsame = tg
        for t in (0.75, 0.80):
            k = ts >= t
            line += f" {tsame[k].mean():6.3f} ({int(k.sum())})"
    return line


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "data",
        nargs="?",
        type=Path,
        default=Path(__file__).resolve().parents[1].parent / "shared" / "data",
    )
    args = ap.parse_args(argv)
    if not (args.data / "paraphraser" / "data.csv").exists():
        print(f"{args.data}: no paraphraser/data.csv; pass the data folder", file=sys.stderr)
        return 2
    pp = E.ParaPhraser(args.data / "paraphraser" / "data.csv")
    ids0, texts0 = pp.feed(0)
    f0, _ = D.featurize(texts0)
    a0, b0, y0 = pp.pairs(0)
    xf, yf, wf, tgf = E.feed_pair_features(args.data, pp, ids0, f0)
    x_fit = np.vstack((D.pair_features(f0, a0, b0), xf))
    y_fit = np.concatenate((y0.astype(float), yf))
    w_fit = np.concatenate((np.ones(len(y0)), wf))
    # the same feed pairs' soft alignment, each in its own feed
    rows = list(csv.DictReader(E.FEED_PAIRS.open(encoding="utf-8", newline="")))
    posts = load_tg_posts(args.data / "tg_news_silver" / "raw")
    tg_feats, _ = D.featurize([p["title"] for p in posts])
    part = E.tg_parts()
    soft_fit = [soft_alignment(f0, a0, b0)]
    cont_fit = [containment_signals(f0, a0, b0)]
    for sel, ids, feats in (
        (
            [
                r
                for r in rows
                if r["feed"] == "paraphraser"
                and pp.part_of[r["id_1"]] == 0
                and pp.part_of[r["id_2"]] == 0
            ],
            ids0,
            f0,
        ),
        (
            [r for r in rows if r["feed"] == "tg_news" and part[r["id_1"]] == E.TG_FIT],
            [p["id"] for p in posts],
            tg_feats,
        ),
    ):
        pos = {i: k for k, i in enumerate(ids)}
        a = np.array([pos[r["id_1"]] for r in sel], dtype=np.int64)
        b = np.array([pos[r["id_2"]] for r in sel], dtype=np.int64)
        soft_fit.append(soft_alignment(feats, a, b))
        cont_fit.append(containment_signals(feats, a, b))
    s_fit = np.vstack(soft_fit)
    c_fit = np.vstack(cont_fit)

    _ids1, texts1 = pp.feed(_CHOOSE)
    f1, _ = D.featurize(texts1)
    a1, b1, same1 = pp.pairs(_CHOOSE)
    x1 = D.pair_features(f1, a1, b1)
    y1 = same1.astype(float)
    s1 = soft_alignment(f1, a1, b1)
    c1 = containment_signals(f1, a1, b1)

    # the random Telegram merges of the choose part, each pair in its own feed
    merges = list(csv.DictReader(E.TG_MERGES.open(encoding="utf-8", newline="")))
    merges = [r for r in merges if r["sample"] == "random" and part[r["id_1"]] == E.TG_CHOOSE]
    pos_tg = {p["id"]: k for k, p in enumerate(posts)}
    a_tg = np.array([pos_tg[r["id_1"]] for r in merges], dtype=np.int64)
    b_tg = np.array([pos_tg[r["id_2"]] for r in merges], dtype=np.int64)
    x_tg = D.pair_features(tg_feats, a_tg, b_tg)
    c_tg = containment_signals(tg_feats, a_tg, b_tg)
    same_tg = np.array([r["same"] == "1" for r in merges])
    ok_tg = ~D.vetoed(x_tg)

    keep, ok = ~D.vetoed(x_fit), ~D.vetoed(x1)
    cols = [c for c, s in enumerate(E.SIGNS) if s]
    signs = [s for s in E.SIGNS if s]
    d_fit, d1 = D.design(x_fit)[:, cols], D.design(x1)[:, cols]

    def logistic(z_fit: np.ndarray, z1: np.ndarray, sg: list[int]) -> np.ndarray:
        c = fit_logistic(z_fit[keep], y_fit[keep], w_fit[keep], sg)
        return np.where(ok, 1 / (1 + np.exp(-(c[0] + z1 @ c[1:]))), 0.0)

    print(
        f"ParaPhraser: models fitted on the fit part ({int(keep.sum())} pairs no veto refuses), "
        f"scored on the choose part's {len(y1)} labelled pairs ({int(y1.sum())} same news)"
    )
    print(
        f"{'model':22s} {'AUC':>6s} {'R@P.93':>8s} {'R@P.94':>8s} {'P@.75':>8s} {'R@.75':>7s}"
        f" {'TG@.75 (n)':>12s} {'TG@.80 (n)':>12s}"
    )
    print(summary("shipped", D.score_features(x1), y1, ok, (D.score_features(x_tg), same_tg)))
    print(summary("refit", logistic(d_fit, d1, signs), y1, ok))
    i_fit, i1 = interactions(x_fit), interactions(x1)
    print(
        summary(
            "+ interactions",
            logistic(
                np.column_stack((d_fit, i_fit)),
                np.column_stack((d1, i1)),
                signs + [0] * i_fit.shape[1],
            ),
            y1,
            ok,
        )
    )
    raw = [
        F.CHAR_COS,
        F.WORD_COS,
        F.CONTAINMENT,
        F.ENTITY_CONFLICT,
        F.NAMES_MISSING,
        F.WORDS_MISSING,
        F.BOTH_MISSING,
        F.SHARED_NUMBERS,
        F.BOTH_MISSING_SHARE,
        F.SPECIFICITY,
        F.RAREST_SHARED,
        F.MEANING_MATCH,
        F.UNEXPLAINED,
        F.BOTH_UNEXPLAINED,
        F.IDF_CONTAINMENT,
    ]
    mono = [1, 1, 1, -1, -1, -1, -1, 1, -1, 1, 1, 1, -1, -1, 1]
    gb = HistGradientBoostingClassifier(
        max_depth=2,
        max_iter=100,
        learning_rate=0.1,
        monotonic_cst=mono,
        min_samples_leaf=20,
        l2_regularization=1.0,
        random_state=0,
    )
    gb.fit(x_fit[keep][:, raw], y_fit[keep], sample_weight=w_fit[keep])
    s_gb = np.zeros(len(y1))
    s_gb[ok] = gb.predict_proba(x1[ok][:, raw])[:, 1]
    s_gb_tg = np.zeros(len(same_tg))
    s_gb_tg[ok_tg] = gb.predict_proba(x_tg[ok_tg][:, raw])[:, 1]
    print(summary("boosted trees", s_gb, y1, ok, (s_gb_tg, same_tg)))
    is_tg = np.concatenate((np.zeros(len(y0), dtype=bool), tgf))
    for wtg in (E.FEED_PAIR_WEIGHT, E.TG_PAIR_WEIGHT):
        w_res = np.where(is_tg, wtg, w_fit)[keep]
        trees = residual_trees(
            x_fit[keep][:, raw],
            y_fit[keep],
            w_res,
            logit(D.score_features(x_fit[keep])),
            mono,
        )

        def boosted(xx: np.ndarray, good: np.ndarray, trees: list[Any] = trees) -> np.ndarray:
            out = np.zeros(len(xx))
            xg = xx[good]
            z = logit(D.score_features(xg)) + 0.1 * sum(t.predict(xg[:, raw]) for t in trees)
            out[good] = 1 / (1 + np.exp(-z))
            return out

        print(
            summary(
                f"residual trees x{wtg:g}",
                boosted(x1, ok),
                y1,
                ok,
                (boosted(x_tg, ok_tg), same_tg),
            )
        )
    print(
        summary(
            "+ soft alignment",
            logistic(
                np.column_stack((d_fit, s_fit)),
                np.column_stack((d1, s1)),
                signs + [1, 1, 1, 1, -1, -1],
            ),
            y1,
            ok,
        )
    )
    cf = fit_logistic(
        np.column_stack((d_fit, c_fit))[keep],
        y_fit[keep],
        w_fit[keep],
        signs + CONTAINMENT_SIGNS,
    )

    def contained(d: np.ndarray, c: np.ndarray, good: np.ndarray) -> np.ndarray:
        return np.where(good, 1 / (1 + np.exp(-(cf[0] + np.column_stack((d, c)) @ cf[1:]))), 0)

    print(
        summary(
            "+ containment",
            contained(d1, c1, ok),
            y1,
            ok,
            (contained(D.design(x_tg)[:, cols], c_tg, ok_tg), same_tg),
        )
    )
    print(
        f"vetoed: {int((~ok & same1).sum())} of the choose part's same-news pairs "
        f"and {int((~ok & ~same1).sum())} of its others score 0 in every model"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
