"""The out-of-channel and English check sets: held out of training, labelled by reading.

Why: grouped CV on the 2013-2015 headlines says little about this year's feeds. These sets are
the figures issue #19 is about:

- ``tg_heldout``: whole Telegram channels of ``tg_news_silver`` (2024) whose posts never enter
  training (``HELDOUT_SENDERS``); a random sample of their posts was read and labelled against
  ``shared/docs/taxonomy.md`` (``training/labels/tg_heldout.csv``, id,label only).
- ``en_check``: English headlines of 2020 from HeadlineCause, read and labelled
  (``training/labels/headlinecause_en.csv``), plus current-style headlines we wrote ourselves
  (``training/authored/en_check.csv``, our text, CC0). Neither is used in training.
- ``kk_check``, ``ru_check`` (``OWN_CHECKS``): Kazakh headlines and Russian headlines in the
  style of Kazakhstan news sites that we wrote ourselves (``training/authored/kk_check.csv``,
  ``ru_check.csv``: text,label, our text, CC0), for the readers these feeds are for. Reported
  when the file exists; never trained on (``training.build`` reads only
  ``*_headlines.csv``, and drops training items that retell any check item).

Nothing here may tune a weight, threshold or word list: tuning uses a dev split of training
data (``training/levers.py``); these sets are only reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from feedclass.evaluate import report
from feedclass.normalize import normalize_text
from training import sources
from training.tg_news import load_tg_posts

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "training" / "labels"
AUTHORED = ROOT / "training" / "authored"

#: Telegram channels held out of training (sender id without the -100 sign -> channel name).
#: Chosen as three outlets of different kinds: a wire-style breaking-news feed, a foreign
#: broadcaster's Russian service, and an incidents feed.
HELDOUT_SENDERS: dict[str, str] = {
    "1001394050290": "Раньше всех. Ну почти.",
    "1001003921752": "BBC News | Русская служба",
    "1001259695380": "112",
}


def is_heldout_post(post_id: str) -> bool:
    """True for a ``tg<sender>_<message>`` id of a held-out channel.

    >>> is_heldout_post("tg1001003921752_72699"), is_heldout_post("tg1001101170442_1")
    (True, False)
    """
    return post_id.startswith("tg") and post_id[2:].split("_", 1)[0] in HELDOUT_SENDERS


def load_tg_heldout(data_dir: Path) -> list[dict]:
    """The labelled sample of the held-out channels, as records with ``channel``."""
    posts = {p["id"]: p for p in load_tg_posts(Path(data_dir) / "tg_news_silver" / "raw")}
    out = []
    for item_id, label in sorted(sources.load_labels(LABELS / "tg_heldout.csv").items()):
        if not is_heldout_post(item_id) or item_id not in posts:
            raise SystemExit(f"training/labels/tg_heldout.csv: {item_id} is not a held-out post")
        p = posts[item_id]
        out.append(
            {
                "id": item_id,
                "title": p["title"],
                "label": label,
                "lang": "ru",
                "group": item_id,
                "channel": HELDOUT_SENDERS[item_id[2:].split("_", 1)[0]],
            }
        )
    return out


#: Check sets we wrote ourselves (name -> file, ``text,label``), reported beside the others.
OWN_CHECKS: dict[str, Path] = {
    "kk_check": AUTHORED / "kk_check.csv",
    "ru_check": AUTHORED / "ru_check.csv",
}


def load_own_check(name: str, path: Path | None = None) -> list[dict]:
    """The rows of one of ``OWN_CHECKS`` (or of ``path``) as records; [] when the file is absent.

    Examples
    --------
    >>> load_own_check("kk_check", Path("/nonexistent/kk_check.csv"))
    []
    """
    path = OWN_CHECKS[name] if path is None else path
    if not path.is_file():
        return []
    lang = name.split("_", 1)[0]
    out = []
    seen: set[str] = set()  # one headline written twice counts once
    for k, raw_text, raw_label in sources.read_written(path):
        text, label = (raw_text or "").strip(), (raw_label or "").strip()
        if not text or not label:
            raise SystemExit(f"{path.name}, row {k + 2}: a text and a label are needed")
        if normalize_text(text) in seen:
            continue
        seen.add(normalize_text(text))
        item_id = f"authored_{name}_{k}"
        out.append(
            {
                "id": item_id,
                "title": text,
                "label": label,
                "lang": lang,
                "group": item_id,
                "channel": f"authored {lang} (ours)",
            }
        )
    return out


def load_own_checks() -> list[dict]:
    """Every row of every existing file of ``OWN_CHECKS``."""
    return [r for name in OWN_CHECKS for r in load_own_check(name)]


def load_en_check(data_dir: Path) -> list[dict]:
    """HeadlineCause English headlines we labelled plus our own current-style headlines."""
    labels = sources.load_labels(LABELS / "headlinecause_en.csv")
    out = []
    for rec in sources.load_headlinecause(Path(data_dir), "en"):
        rec = dict(rec, label=labels[rec["id"]], channel="HeadlineCause 2020")
        out.append(rec)
    for k, text, label in sources.read_written(AUTHORED / "en_check.csv"):
        item_id = f"authored_en_check_{k}"
        out.append(
            {
                "id": item_id,
                "title": text,
                "label": label,
                "lang": "en",
                "group": item_id,
                "channel": "authored (ours)",
            }
        )
    # One story told twice with the same words counts once.
    seen: set[str] = set()
    unique = []
    for rec in out:
        key = normalize_text(rec["title"])
        if key not in seen:
            seen.add(key)
            unique.append(rec)
    return unique


def check_titles(data_dir: Path) -> set[str]:
    """Normalised titles of every check item (training drops items with the same text)."""
    checks = load_tg_heldout(data_dir) + load_en_check(data_dir) + load_own_checks()
    return {normalize_text(r["title"]) for r in checks}


def _shingles(text: str, k: int = 5) -> set[str]:
    s = normalize_text(text)
    return {s[i : i + k] for i in range(max(1, len(s) - k + 1))}


def near_check_items(titles: list[str], data_dir: Path, threshold: float = 0.5) -> set[int]:
    """Positions of ``titles`` that retell a check item (char 5-gram Jaccard >= threshold).

    Why: outlets repost each other's wording; such a repost in training would leak the check.
    """
    checks = [r["title"] for r in load_tg_heldout(data_dir) + load_en_check(data_dir)]
    checks += [r["title"] for r in load_own_checks()]
    return near_items(titles, checks, threshold)


def near_items(titles: list[str], references: list[str], threshold: float = 0.5) -> set[int]:
    """Positions of ``titles`` that retell one of ``references`` (char 5-gram Jaccard of the
    normalised texts >= ``threshold``).

    Examples
    --------
    >>> sorted(near_items(["Курс доллара вырос до 500 тенге!", "Дожди в Астане"],
    ...                   ["Курс доллара вырос до 500 тенге"]))
    [0]
    """
    checks = [_shingles(t) for t in references]
    vocab: dict[str, int] = {}
    for sh in checks:
        for g in sh:
            vocab.setdefault(g, len(vocab))

    def matrix(sets: list[set[str]]) -> sp.csr_matrix:
        rows = [sorted({vocab[g] for g in sh if g in vocab}) for sh in sets]
        indptr = np.cumsum([0] + [len(r) for r in rows])
        indices = np.fromiter((j for r in rows for j in r), dtype=np.int64, count=int(indptr[-1]))
        data = np.ones(len(indices), dtype=np.float32)
        return sp.csr_matrix((data, indices, indptr), shape=(len(sets), len(vocab)))

    if not checks or not titles:
        return set()
    mine = [_shingles(t) for t in titles]
    shared = (matrix(mine) @ matrix(checks).T).tocoo()
    size_a = np.array([len(sh) for sh in mine])[shared.row]
    size_b = np.array([len(sh) for sh in checks])[shared.col]
    jaccard = shared.data / (size_a + size_b - shared.data)
    return {int(i) for i in shared.row[jaccard >= threshold]}


def evaluate_checks(model: Any, data_dir: Path) -> dict[str, Any]:
    """Reports of ``model`` on each check set (per class: ``report``'s ``per_class``), and on
    each held-out channel."""
    out: dict[str, Any] = {}
    classes = [str(c) for c in model.classes_]
    sets = [("tg_heldout", load_tg_heldout(data_dir)), ("en_check", load_en_check(data_dir))]
    sets += [(name, recs) for name in OWN_CHECKS if (recs := load_own_check(name))]
    for name, recs in sets:
        texts = [r["title"] for r in recs]
        gold = [r["label"] for r in recs]
        proba = model.predict_proba(texts)
        pred = [classes[i] for i in np.argmax(proba, axis=1)]
        out[name] = report(gold, pred, proba, classes)
        by_channel: dict[str, Any] = {}
        for ch in sorted({r["channel"] for r in recs}):
            idx = [i for i, r in enumerate(recs) if r["channel"] == ch]
            by_channel[ch] = {
                "n": len(idx),
                "accuracy": round(float(np.mean([pred[i] == gold[i] for i in idx])), 4),
            }
        out[name]["by_channel"] = by_channel
    return out
