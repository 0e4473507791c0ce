"""Append newly written headlines to an authored training file, without retellings.

    python -m training.append_authored NEW.csv --to kk_headlines.csv [--dry-run]

``NEW.csv`` and the target (``training/authored/<lang>_headlines.csv``, created if absent) are
``text,label`` files. A draft is dropped when it retells (char 5-gram Jaccard of the normalised
texts >= 0.5, :func:`training.checks.near_items`) an earlier row of the target or of the drafts,
an item of any check set (:func:`training.checks.near_check_items`, the checks we wrote
included), or a labelled post of a dev channel (``training.levers.DEV_SENDERS``): a retold
check item would leak the check, a retold dev post would flatter the dev figures that choose.
A label outside the taxonomy or an empty text stops the run; nothing is written then. The
target is written whole to a temporary file and renamed.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from feedclass.atomic import AtomicWriter
from training.checks import AUTHORED, near_check_items, near_items
from training.sources import LABELS

ROOT = Path(__file__).resolve().parent.parent


def read_rows(path: Path) -> list[dict[str, str]]:
    """The ``text,label`` rows of ``path`` ([] when it does not exist); a bad row stops."""
    if not path.is_file():
        return []
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != ["text", "label"]:
            raise SystemExit(f"{path}: the header must be text,label; got {reader.fieldnames}")
        for k, row in enumerate(reader):
            text, label = (row["text"] or "").strip(), (row["label"] or "").strip()
            if not text or label not in LABELS:
                raise SystemExit(f"{path}, row {k + 2}: an empty text or a label not in {LABELS}")
            rows.append({"text": text, "label": label})
    return rows


def kept_drafts(
    drafts: list[dict[str, str]], earlier: list[str], avoid: list[str]
) -> tuple[list[dict[str, str]], dict[str, int]]:
    """The drafts that retell neither an earlier text, a text of ``avoid``, nor a draft kept
    before them; and how many were dropped for each reason.

    Examples
    --------
    >>> rows = [{"text": "Астанада жаңа мектеп ашылды", "label": "society"},
    ...         {"text": "Астанада жаңа мектеп ашылды!", "label": "society"},
    ...         {"text": "Алматыда қар жауды", "label": "weather"}]
    >>> kept, dropped = kept_drafts(rows, [], ["Алматыда қар жауды"])
    >>> [r["label"] for r in kept], dropped
    (['society'], {'earlier': 0, 'avoided': 1, 'drafts': 1})
    """
    dropped = {"earlier": 0, "avoided": 0, "drafts": 0}
    texts = [r["text"] for r in drafts]
    near_earlier = near_items(texts, earlier)
    near_avoid = near_items(texts, avoid)
    kept: list[dict[str, str]] = []
    for i, row in enumerate(drafts):
        if i in near_earlier:
            dropped["earlier"] += 1
        elif i in near_avoid:
            dropped["avoided"] += 1
        elif kept and near_items([row["text"]], [r["text"] for r in kept]):
            dropped["drafts"] += 1
        else:
            kept.append(row)
    return kept, dropped


def dev_posts(data_dir: Path) -> list[str]:
    """Titles of the labelled posts of the dev channels."""
    from training.levers import DEV_SENDERS
    from training.selftrain import sender
    from training.sources import load_labels
    from training.tg_news import load_tg_posts

    labelled: set[str] = set()
    for path in (ROOT / "training" / "labels").glob("tg_news_*.csv"):
        labelled |= set(load_labels(path))
    posts = load_tg_posts(data_dir / "tg_news_silver" / "raw")
    return [p["title"] for p in posts if p["id"] in labelled and sender(p["id"]) in DEV_SENDERS]


def append(new: Path, target: Path, data_dir: Path, dry_run: bool = False) -> dict[str, Any]:
    """Append the kept drafts of ``new`` to ``target``; the counts, per label too."""
    drafts, earlier = read_rows(new), read_rows(target)
    texts = [r["text"] for r in drafts]
    checks = near_check_items(texts, data_dir)
    fresh = [r for i, r in enumerate(drafts) if i not in checks]
    kept, dropped = kept_drafts(fresh, [r["text"] for r in earlier], dev_posts(data_dir))
    if not dry_run:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["text", "label"])
        writer.writerows([r["text"], r["label"]] for r in earlier + kept)
        with AtomicWriter(target) as out:
            out.stream.write(buf.getvalue())
    return {
        "drafts": len(drafts),
        "dropped_check": len(checks),
        "dropped_earlier": dropped["earlier"],
        "dropped_dev": dropped["avoided"],
        "dropped_drafts": dropped["drafts"],
        "kept": len(kept),
        "kept_per_label": dict(sorted(Counter(r["label"] for r in kept).items())),
        "rows_now": len(earlier) + len(kept),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("new", type=Path)
    parser.add_argument("--to", required=True, help="file name in training/authored/")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--dry-run", action="store_true", help="count only, write nothing")
    args = parser.parse_args(argv)
    if not args.to.endswith("_headlines.csv"):
        raise SystemExit("--to must be a <lang>_headlines.csv file: checks are never appended to")
    print(append(args.new, AUTHORED / args.to, args.data, args.dry_run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
