"""Label-consistency audit of the Russian training headlines (issue #19).

    python -m training.relabel sample --per-class 80 --seed 1919 > /tmp/audit/sample.tsv
    python -m training.relabel summary
    python -m training.relabel disagree --out /tmp/rel5 --control 600


The boundary rules are ``training/labels/GUIDE.md``. Items are chosen for re-reading WITHOUT the
model: a seeded random sample of each border class among the Russian headlines (the topics file
and our own labels; never a dev or held-out channel, whose labels measure the recipe). Each item
read gets a line in ``training/labels/audit.csv`` (``id,label``: our label after reading it,
kept or changed), which ``training.build.load_corpus`` puts in place of the label it came with.
``sample`` prints ``id, label, title`` for reading (the text stays outside the repository);
``summary`` counts, per class, how many audited labels changed.

``disagree`` (the second audit) runs the recipe's grouped CV and writes, outside the repository,
the Russian headlines whose out-of-fold prediction differs from their label, the other items of
their rewording groups, and a seeded random control sample of headlines the model got right,
shuffled together in ``items.tsv`` (``id, title``: no label and no prediction, so the reading is
blind to both). ``key.tsv`` (``id, label, predicted, kind``) is for the summary after reading:
the control sample measures how often the labels the model agrees with are wrong, so a CV figure
on the re-read labels can be read against it.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

from training import sources
from training.build import AUDIT_LABELS, load_corpus
from training.levers import is_dev

ROOT = Path(__file__).resolve().parent.parent

#: The classes whose borders the audit re-reads (society / politics / incidents, and the
#: ecology and science borders).
AUDIT_CLASSES: tuple[str, ...] = ("society", "politics", "incidents", "ecology", "science")


def audit_sample(
    corpus: list[dict],
    per_class: int,
    *,
    classes: tuple[str, ...] = AUDIT_CLASSES,
    seed: int = 1919,
    skip: int = 0,
) -> list[dict]:
    """A seeded random sample of ``per_class`` Russian headlines of each class, by original label.

    Only the topics file and our own labels qualify, never a dev channel's post. ``skip``
    leaves out the first ``skip`` of each class's shuffled order, so a second batch
    (``skip=per_class`` of the first) continues the same random order.

    >>> items = [{"id": str(i), "label": "society", "part": "topics", "source": "x"}
    ...          for i in range(5)]
    >>> [r["id"] for r in audit_sample(items, 2, classes=("society",), seed=1)]
    ['2', '4']
    """
    out: list[dict] = []
    for label in classes:
        pool = sorted(
            (
                r
                for r in corpus
                if r["label"] == label and r["part"] in {"topics", "ours"} and not is_dev(r)
            ),
            key=lambda r: r["id"],
        )
        random.Random(f"{seed}/{label}").shuffle(pool)
        out += pool[skip : skip + per_class]
    return out


def audit_changes(before: list[dict], audited: dict[str, str]) -> dict[str, Counter]:
    """Per original label: how many audited items were read and how many changed label.

    >>> audit_changes([{"id": "a", "label": "society"}, {"id": "b", "label": "society"}],
    ...               {"a": "society", "b": "politics"})["society"]
    Counter({'read': 2, 'changed': 1, '-> politics': 1})
    """
    out: dict[str, Counter] = {}
    for r in before:
        new = audited.get(r["id"])
        if new is None:
            continue
        c = out.setdefault(r["label"], Counter())
        c["read"] += 1
        if new != r["label"]:
            c["changed"] += 1
            c[f"-> {new}"] += 1
    return out


def disagreement_set(
    corpus: list[dict],
    predicted: list[str],
    audited: set[str],
    control: int,
    *,
    seed: int = 1919,
) -> list[tuple[dict, str, str]]:
    """``(item, predicted, kind)`` of the headlines to re-read, in a seeded shuffled order.

    ``kind`` is ``disagree`` (prediction differs from the label), ``partner`` (another item of a
    disagreeing item's rewording group) or ``control`` (a random item the model got right).
    Only the topics file and our own labels qualify, never a dev channel's post, and never an
    item already re-read (``audited``).

    >>> items = [{"id": str(i), "label": "a", "part": "topics", "source": "x", "group": str(i)}
    ...          for i in range(6)]
    >>> out = disagreement_set(items, ["b", "a", "a", "a", "a", "a"], {"5"}, 2, seed=1)
    >>> sorted((r["id"], k) for r, _, k in out)
    [('0', 'disagree'), ('1', 'control'), ('4', 'control')]
    """
    ok = [
        i
        for i, r in enumerate(corpus)
        if r["part"] in {"topics", "ours"} and not is_dev(r) and r["id"] not in audited
    ]
    wrong = [i for i in ok if predicted[i] != corpus[i]["label"]]
    groups = {corpus[i]["group"] for i in wrong}
    chosen = set(wrong)
    partners = [i for i in ok if corpus[i]["group"] in groups and i not in chosen]
    chosen |= set(partners)
    rest = sorted(i for i in ok if i not in chosen)
    rng = random.Random(f"{seed}/control")
    controls = rng.sample(rest, min(control, len(rest)))
    kinds = {i: "disagree" for i in wrong} | {i: "partner" for i in partners}
    kinds |= {i: "control" for i in controls}
    order = sorted(kinds, key=lambda i: corpus[i]["id"])
    rng.shuffle(order)
    return [(corpus[i], predicted[i], kinds[i]) for i in order]


def write_disagreements(data_dir: Path, out: Path, control: int, seed: int) -> int:
    """Run the recipe's grouped CV and write ``items.tsv`` and ``key.tsv`` under ``out``."""
    from feedclass.evaluate import cross_validate
    from training.build import MODEL_PARAMS, SELF_TRAINING
    from training.selftrain import recipe_estimator

    corpus = load_corpus(data_dir)
    texts = [r["title"] for r in corpus]
    labels = [r["label"] for r in corpus]
    groups = [r["group"] for r in corpus]
    estimator = recipe_estimator(dict(MODEL_PARAMS), corpus, data_dir, SELF_TRAINING)
    result = cross_validate(estimator, texts, labels, groups=groups, keep_predictions=True)
    predicted = [str(p) for p in result["predictions"]]
    audited = set(sources.load_labels(AUDIT_LABELS)) if AUDIT_LABELS.is_file() else set()
    rows = disagreement_set(corpus, predicted, audited, control, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "items.tsv", "w", encoding="utf-8") as f:
        for r, _, _ in rows:
            f.write(f"{r['id']}\t{' '.join(r['title'].split())}\n")
    with open(out / "key.tsv", "w", encoding="utf-8") as f:
        for r, pred, kind in rows:
            f.write(f"{r['id']}\t{r['label']}\t{pred}\t{kind}\n")
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("sample", "summary", "disagree"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/relabel"))
    parser.add_argument("--control", type=int, default=600)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--per-class", type=int, default=80)
    parser.add_argument("--seed", type=int, default=1919)
    parser.add_argument("--skip", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "disagree":
        n = write_disagreements(args.data, args.out, args.control, args.seed)
        print(f"{n} headlines to re-read in {args.out / 'items.tsv'}", file=sys.stderr)
        return 0
    before = load_corpus(args.data, audit=False)
    if args.command == "sample":
        for r in audit_sample(before, args.per_class, seed=args.seed, skip=args.skip):
            print(f"{r['id']}\t{r['label']}\t{r['title']}")
        return 0
    audited = sources.load_labels(AUDIT_LABELS) if AUDIT_LABELS.is_file() else {}
    changes = audit_changes(before, audited)
    total = Counter()
    for label in sorted(changes):
        c = changes[label]
        total.update({"read": c["read"], "changed": c["changed"]})
        moves = ", ".join(f"{k[3:]} {v}" for k, v in sorted(c.items()) if k.startswith("->"))
        print(f"{label}\tread {c['read']}\tchanged {c['changed']}\t{moves}")
    print(f"all\tread {total['read']}\tchanged {total['changed']}", file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
