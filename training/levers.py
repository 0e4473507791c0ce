"""Measure the levers of issue #19: tune on a dev split, then report on the check sets.

    python -m training.levers dev  [--param vector_weight=0.5 ...]   # tuning figures
    python -m training.levers check [--param ...]                    # held-out figures

``dev``: the model is trained without three other Telegram channels (``DEV_SENDERS``, whose
labels exist from earlier reading) and scored on their labelled posts: the split every choice
(weights, cuts, word lists) is made on. ``check``: trained on the whole recipe (as
``training.build``), scored on the held-out channels and the English check set, which choose
nothing. ``--vectors`` adds navec word vectors (see ``feedclass.vectors``). Wrap runs in
``flock /tmp/heavy.lock`` on the shared machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from feedclass import TopicModel
from feedclass.evaluate import format_report, report
from training.build import MODEL_PARAMS, load_corpus, parse_params, word_vectors
from training.checks import evaluate_checks

ROOT = Path(__file__).resolve().parent.parent

#: Telegram channels whose labelled posts form the dev split (never the held-out ones).
DEV_SENDERS: dict[str, str] = {
    "1001101170442": "РИА Новости",
    "1001117628569": "Mash",
    "1001747110091": "Москва Live",
}


def is_dev(item: dict) -> bool:
    return item["source"] == "tg_news_silver" and item["id"][2:].split("_", 1)[0] in DEV_SENDERS


def run(mode: str, params: dict[str, Any], data_dir: Path) -> dict[str, Any]:
    corpus = load_corpus(data_dir)
    if params.get("vector_weight"):
        params = dict(params, word_vectors=word_vectors())
    model = TopicModel(**params)
    t0 = time.time()
    if mode == "dev":
        train = [r for r in corpus if not is_dev(r)]
        dev = [r for r in corpus if is_dev(r)]
        model.fit([r["title"] for r in train], [r["label"] for r in train])
        proba = model.predict_proba([r["title"] for r in dev])
        classes = [str(c) for c in model.classes_]
        pred = [classes[i] for i in np.argmax(proba, axis=1)]
        out = {"dev": report([r["label"] for r in dev], pred, proba, classes)}
    else:
        model.fit([r["title"] for r in corpus], [r["label"] for r in corpus])
        out = evaluate_checks(model, data_dir)
    out["fit_seconds"] = round(time.time() - t0, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("dev", "check"))
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--param", action="append", default=[], help="e.g. --param C=1.0")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    params = parse_params(dict(MODEL_PARAMS), args.param)
    out = run(args.mode, params, args.data)
    shown = {k: v for k, v in params.items() if k != "word_vectors"}
    print(f"params: {json.dumps(shown, default=str)}  fit {out['fit_seconds']}s")
    for name, rep in out.items():
        if isinstance(rep, dict):
            print(f"\n== {name}")
            print(format_report(rep))
            if "by_channel" in rep:
                print(json.dumps(rep["by_channel"], ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
