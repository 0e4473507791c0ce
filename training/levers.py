"""Measure the levers of issue #19: tune on a dev split, then report on the check sets.

    python -m training.levers dev   --config base: --config vec1:vector_weight=1.0
    python -m training.levers check --config base: --config st:self_train_cut=0.9

Each ``--config NAME:key=value,key=value`` is one model: ``training.build.MODEL_PARAMS`` with
the overrides, plus the lever settings ``self_train_cut`` and ``self_train_weight``. All
configs run in one process (the corpus and the vectors are read once); wrap it in
``flock /tmp/heavy.lock`` on the shared machine.

``dev``: trained without three other Telegram channels (``DEV_SENDERS``, labelled earlier by
reading) and scored on their labelled posts; every choice (weights, cuts) is made here.
``check``: trained on the whole recipe (as ``training.build``), scored on the held-out channels
and the English check set, which choose nothing.
``cv``: the recipe's grouped cross-validation (as ``training.build``), scored on the Russian
headlines and on the SIB-200 *train* sentences of each language (Kazakh and English are the
languages a Russian-only lever may cost; the SIB-200 dev check is not read). ``--seed`` draws
other folds: a small subset such as one SIB-200 language moves with the folds alone, so
compare a lever over several seeds; ``sib200_cv_kk_keyboard`` scores the Kazakh sentences as
typed on a Russian keyboard.

A config's ``keyboard_weight`` adds the Kazakh items as typed on a Russian keyboard with that
weight (``training.build.with_keyboard_copies``; default: the recipe's ``KEYBOARD_COPIES``).
``dev --as-check`` trains without the items that retell a dev post (char 5-gram Jaccard
>= 0.5, ``training.checks.near_items``), in the labelled data and in the self-training pool
alike, as ``training.build`` trains without the retellings of a check item: the dev channels
are then as unseen as the held-out ones.

Self-training (``self_train_cut`` > 0): the model labels the unlabelled 2024 Telegram posts
(never a held-out channel's; in ``dev`` never a dev channel's either), the posts it is at least
``self_train_cut`` sure of join training with weight ``self_train_weight``, and the model is
fitted again. The drift check reports how many posts of the whole pool the second model labels
differently from the first and how far the topic shares it gives the pool move (total
variation distance).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from feedclass.evaluate import format_report, report
from training.build import (
    KEYBOARD_COPIES,
    MODEL_PARAMS,
    SELF_TRAINING,
    cross_validate_by_part,
    load_corpus,
    parse_params,
    read_authored,
    sample_weights,
    with_keyboard_copies,
    word_vectors,
)
from training.checks import evaluate_checks, near_items
from training.selftrain import (
    LEVER_KEYS,
    channel_groups,
    fit_self_trained,
    pool_channels,
    recipe_estimator,
    sender,
    unlabelled_pool,
)

ROOT = Path(__file__).resolve().parent.parent

#: Telegram channels whose labelled posts form the dev split (never the held-out ones).
DEV_SENDERS: dict[str, str] = {
    "1001101170442": "РИА Новости",
    "1001117628569": "Mash",
    "1001747110091": "Москва Live",
}


#: Config keys that change the training rows, not the model: ``keyboard_weight``, and
#: ``authored=LANG:FILE+LANG:FILE`` (headlines we wrote, ``text,label``, not yet in
#: ``training/authored``: what adding them would do).
CORPUS_KEYS = ("keyboard_weight", "authored")


def is_dev(item: dict) -> bool:
    return item["source"] == "tg_news_silver" and sender(item["id"]) in DEV_SENDERS


def config_rows(items: list[dict], overrides: dict[str, Any]) -> list[dict]:
    """``items`` with the config's ``authored`` files and the keyboard copies of the config
    (``keyboard_weight``, default the recipe's ``KEYBOARD_COPIES``)."""
    extra: list[dict] = []
    for spec in str(overrides.get("authored") or "").split("+"):
        if spec:
            lang, _, path = spec.partition(":")
            extra += [
                dict(r, id=f"extra_{r['id']}", group=f"extra_{r['id']}")
                for r in read_authored(Path(path), lang)
            ]
    weight = float(overrides.get("keyboard_weight", KEYBOARD_COPIES))
    return with_keyboard_copies(items + extra, weight)


def run(
    mode: str,
    configs: list[tuple[str, dict]],
    data_dir: Path,
    *,
    audit: bool = True,
    seed: int | list[int] = 0,
    as_check: bool = False,
) -> dict[str, Any]:
    corpus = load_corpus(data_dir, audit=audit, keyboard_copies=0.0)
    vectors = None
    results: dict[str, Any] = {}
    near: set[int] = set()
    if mode == "dev":
        train = [r for r in corpus if not is_dev(r)]
        evaluated = [r for r in corpus if is_dev(r)]
        if as_check:
            near = near_items([r["title"] for r in train], [r["title"] for r in evaluated])
            train = [r for i, r in enumerate(train) if i not in near]
            results["as_check_dropped"] = len(near)
    else:
        train, evaluated = corpus, []
    if mode == "cv":
        seeds = [seed] if isinstance(seed, int) else seed
        for name, overrides in configs:
            for s in seeds:
                key = name if len(seeds) == 1 else f"{name}@{s}"
                rows = config_rows(corpus, overrides)
                results[key] = cv_config(key, overrides, rows, data_dir, s)
        return results
    tg_shares = Counter(r["label"] for r in train if r["source"] == "tg_news_silver")
    total = sum(tg_shares.values())
    results["labelled_tg_shares"] = {k: round(v / total, 3) for k, v in sorted(tg_shares.items())}
    pool: list[str] | None = None
    pool_of: dict[str, str] = {}
    for name, overrides in configs:
        params = dict(MODEL_PARAMS, **{k: v for k, v in overrides.items() if k not in CORPUS_KEYS})
        if params.get("vector_weight"):
            vectors = vectors or word_vectors()
            params["word_vectors"] = vectors
        if params.get("self_train_cut") and pool is None:
            exclude = frozenset(DEV_SENDERS) if mode == "dev" else frozenset()
            pool = unlabelled_pool(data_dir, corpus, exclude)
            if as_check and mode == "dev":
                near_pool = near_items(pool, [r["title"] for r in evaluated])
                pool = [t for i, t in enumerate(pool) if i not in near_pool]
                results["as_check_pool_dropped"] = len(near_pool)
            pool_of = pool_channels(data_dir, pool)
        rows = config_rows(train, overrides)
        t0 = time.time()
        model, stats = fit_self_trained(
            params,
            [r["title"] for r in rows],
            [r["label"] for r in rows],
            pool or [],
            [r["group"] for r in rows],
            {**pool_of, **channel_groups(rows)},
            sample_weights(rows),
        )
        out: dict[str, Any] = {"params": overrides, "fit_seconds": round(time.time() - t0, 1)}
        if stats:
            out["self_training"] = stats
        if mode == "dev":
            proba = model.predict_proba([r["title"] for r in evaluated])
            classes = [str(c) for c in model.classes_]
            pred = [classes[i] for i in np.argmax(proba, axis=1)]
            out["dev"] = report([r["label"] for r in evaluated], pred, proba, classes)
        else:
            out.update(evaluate_checks(model, data_dir))
        results[name] = out
        print(summary_line(name, out), file=sys.stderr, flush=True)
    return results


def cv_config(
    name: str, overrides: dict[str, Any], corpus: list[dict], data_dir: Path, seed: int = 0
) -> dict[str, Any]:
    """The recipe's grouped CV with ``overrides`` (``training.build``'s estimator)."""
    skip = LEVER_KEYS + CORPUS_KEYS
    params = dict(MODEL_PARAMS, **{k: v for k, v in overrides.items() if k not in skip})
    if params.get("vector_weight"):
        params["word_vectors"] = word_vectors()
    lever = {k: v for k, v in {**SELF_TRAINING, **overrides}.items() if k in LEVER_KEYS}
    estimator = recipe_estimator(params, corpus, data_dir, lever)
    t0 = time.time()
    cv = cross_validate_by_part(
        estimator,
        corpus,
        [r["title"] for r in corpus],
        [r["label"] for r in corpus],
        [r["group"] for r in corpus],
        5,
        seed,
    )
    out: dict[str, Any] = {"params": overrides, "fit_seconds": round(time.time() - t0, 1)}
    out.update({k: v for k, v in cv.items() if k != "all"})
    print(summary_line(name, out), file=sys.stderr, flush=True)
    return out


def summary_line(name: str, out: dict[str, Any]) -> str:
    parts = [f"{name:14s}"]
    cv_keys = [k for k in out if k == "ru_headlines" or k.startswith("sib200_cv_")]
    for key in cv_keys:
        parts.append(f"{key} acc {out[key]['accuracy']:.4f} mF1 {out[key]['macro_f1']:.4f}")
    for key in ("dev", "tg_heldout", "en_check", "kk_check", "ru_check"):
        if key in out:
            r = out[key]
            parts.append(
                f"{key} acc {r['accuracy']:.4f} mF1 {r['macro_f1']:.4f} ECE {r['ece']:.4f}"
            )
    if "self_training" in out:
        st = out["self_training"]
        parts.append(
            f"added {st['added']}/{st['pool']} pool changed {st['pool_changed']} "
            f"drift {st['drift_tv']}"
        )
    parts.append(f"fit {out['fit_seconds']}s")
    return " | ".join(parts)


def parse_config(text: str) -> tuple[str, dict[str, Any]]:
    name, _, rest = text.partition(":")
    overrides = [kv for kv in rest.split(",") if kv]
    return name, parse_params({}, overrides)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("dev", "check", "cv"))
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--config", action="append", default=[], help="NAME:key=value,...")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--verbose", action="store_true", help="print full reports")
    parser.add_argument(
        "--no-audit", action="store_true", help="train on the labels as before the audit"
    )
    parser.add_argument(
        "--seed",
        type=int,
        action="append",
        help="cv: the seed of the folds (repeat for several: results NAME@SEED; default 0)",
    )
    parser.add_argument(
        "--as-check",
        action="store_true",
        help="dev: train without the items that retell a dev post, as the build does for checks",
    )
    args = parser.parse_args(argv)
    configs = [parse_config(c) for c in args.config] or [("base", {})]
    results = run(
        args.mode,
        configs,
        args.data,
        audit=not args.no_audit,
        seed=args.seed or [0],
        as_check=args.as_check,
    )
    names = [n for n in results if n in dict(configs) or n.split("@")[0] in dict(configs)]
    for name in names:
        print(summary_line(name, results[name]))
        if args.verbose:
            for key in ("dev", "tg_heldout", "en_check", "kk_check", "ru_check"):
                if key in results[name]:
                    print(f"-- {name} / {key}\n{format_report(results[name][key])}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
