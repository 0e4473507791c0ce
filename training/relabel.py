"""Label-consistency audit of the Russian training headlines (issue #19).

    python -m training.relabel sample --per-class 80 --seed 1919 > /tmp/audit/sample.tsv
    python -m training.relabel summary

The boundary rules are ``training/labels/GUIDE.md``. Items are chosen for re-reading WITHOUT the
model: a seeded random sample of each border class among the Russian headlines (the topics file
and our own labels; never a dev or held-out channel, whose labels measure the recipe). Each item
read gets a line in ``training/labels/audit.csv`` (``id,label``: our label after reading it,
kept or changed), which ``training.build.load_corpus`` puts in place of the label it came with.
``sample`` prints ``id, label, title`` for reading (the text stays outside the repository);
``summary`` counts, per class, how many audited labels changed.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("sample", "summary"))
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--per-class", type=int, default=80)
    parser.add_argument("--seed", type=int, default=1919)
    parser.add_argument("--skip", type=int, default=0)
    args = parser.parse_args(argv)
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
