"""Loaders for the training sources in ``shared/data`` as uniform headline records.

Every loader takes ``data_dir`` (the ``shared/data`` folder) and returns a list of
dicts with the keys::

    id       stable, unique item id (also the key in ``training/labels/*.csv``)
    title    the headline text
    label    a taxonomy label (``shared/docs/taxonomy.md``) or ``None`` when unlabelled
    source   "paraphraser", "ria", "lenta", "sib200" or "bbc"
    lang     "ru", "kk" or "en"
    group    items sharing a group are rewordings/translations of one text; keep a
             group on one side of any train/test split

Loaders of sources with a publisher rubric also keep it under ``category``.
Everything is deterministic: the same folder always yields the same records in the
same order. Hand labels for ``load_ria``/``load_lenta`` live in
``training/labels/{ria,lenta}.csv`` (``id,label`` only) and are joined by id.

Run ``python -m training.sources [DATA_DIR]`` from the repository root for counts per
source and label (it needs ``feedclass`` importable, e.g. the dev install).
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from pathlib import Path

from feedclass.errors import DataError

LABELS: tuple[str, ...] = (
    "politics",
    "economy",
    "society",
    "incidents",
    "sport",
    "culture",
    "ecology",
    "science",
    "health",
    "weather",
)

# SIB-200 category -> taxonomy label; None = no clear counterpart (excluded by default).
SIB200_MAP: dict[str, str | None] = {
    "science/technology": "science",
    "politics": "politics",
    "sports": "sport",
    "health": "health",
    "entertainment": "culture",
    "travel": None,
    "geography": None,
}

# BBC News category -> taxonomy label.
BBC_MAP: dict[str, str] = {
    "business": "economy",
    "entertainment": "culture",
    "politics": "politics",
    "sport": "sport",
    "tech": "science",
}

SIB200_LANGS: dict[str, str] = {"kaz_Cyrl": "kk", "rus_Cyrl": "ru", "eng_Latn": "en"}
SIB200_SPLITS: tuple[str, ...] = ("train", "dev")

# ParaPhraser pair classes that mean "rewording of the same news" (1 strict, 0 loose);
# -1 pairs are different news and are not merged.
PARAPHRASE_CLASSES: frozenset[str] = frozenset({"0", "1"})

RIA_PARTS: tuple[str, ...] = (
    "ria_news_topics_3.csv",
    "ria_news_topics_7.csv",
    "ria_news_topics_9.csv",
)

LENTA_MIN_SENTENCE = 20
LENTA_MAX_LEN = 200

# CSV fields in RIA/Lenta hold whole articles; the default limit (128 KiB) is too small
# for a few of them on some platforms.
csv.field_size_limit(2**31 - 1)

_CREDIT_WORD = r"(?:Фото|Видео|Кадр|Скриншот|Изображение|Иллюстрация|Коллаж)(?:\s+и\s+видео)?\s*:"
# An image caption ending in a bracketed credit ("Андрей Бочкарев (Фото: ... / РБК) Текст"):
# the caption and the credit go, the body after them on the same line stays.
_CAPTION_CREDIT = re.compile(r"(?m)^[^\n]*?\(\s*" + _CREDIT_WORD + r"[^)\n]*\)", re.IGNORECASE)
# A credit line ("Фото: Имя Фамилия / РИА Новости") or a credit closing a caption line.
_CREDIT = re.compile(r"(?:^|\s)" + _CREDIT_WORD + r"[^\n]*", re.IGNORECASE)
# Sentence end: . ! ? … (optionally followed by closing quotes/brackets) then space or end.
_SENTENCE_END = re.compile(r"[.!?…]+[»\"”')]*(?=\s|$)")
_SPACE = re.compile(r"\s+")


def _read_csv(path: Path, delimiter: str = ",", quote_none: bool = False) -> list[dict[str, str]]:
    """Read a CSV/TSV file into dicts, raising ``DataError`` for a missing file."""
    if not path.is_file():
        raise DataError(f"{path}: file not found; pass the shared/data folder as data_dir")
    with path.open(encoding="utf-8", newline="") as fh:
        if quote_none:
            return list(csv.DictReader(fh, delimiter=delimiter, quoting=csv.QUOTE_NONE))
        return list(csv.DictReader(fh, delimiter=delimiter))


def _record(
    id_: str, title: str, label: str | None, source: str, lang: str, group: str | None = None
) -> dict:
    """Build one record with the common keys (``group`` defaults to the id)."""
    return {
        "id": id_,
        "title": title,
        "label": label,
        "source": source,
        "lang": lang,
        "group": group if group is not None else id_,
    }


def paraphrase_groups(data_dir: Path) -> dict[str, str]:
    """Map each ParaPhraser headline id to its component id (smallest member id).

    Union-find over ``paraphraser/data.csv`` pairs whose class is in
    ``PARAPHRASE_CLASSES``, so all rewordings of one news item share a component.
    Ids that occur in no such pair map to themselves.
    """
    rows = _read_csv(Path(data_dir) / "paraphraser" / "data.csv")
    parent: dict[int, int] = {}

    def find(a: int) -> int:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]  # path halving
            a = parent[a]
        return a

    for row in rows:
        a, b = find(int(row["id_1"])), find(int(row["id_2"]))
        if row["is_paraphrase"].strip() in PARAPHRASE_CLASSES and a != b:
            # The smaller id becomes the root, so the component id is its minimum.
            parent[max(a, b)] = min(a, b)
    return {str(k): str(find(k)) for k in parent}


def load_topics(data_dir: Path) -> list[dict]:
    """Load the hand-labelled ``topics/ru_headlines_topics.csv`` as is.

    ParaPhraser items get ``group = "pp<smallest id of their paraphrase component>"``;
    RIA items get their own id.
    """
    rows = _read_csv(Path(data_dir) / "topics" / "ru_headlines_topics.csv")
    comp = paraphrase_groups(data_dir)
    out = []
    for row in rows:
        if row["label"] not in LABELS:
            raise DataError(f"topics: id {row['id']}: unknown label {row['label']!r}")
        group = None
        if row["source"] == "paraphraser":
            group = "pp" + comp.get(row["source_id"], row["source_id"])
        out.append(_record(row["id"], row["title"], row["label"], row["source"], "ru", group))
    return out


def load_ria(data_dir: Path) -> list[dict]:
    """Load all RIA articles (parts 3, 7, 9) deduplicated on id, unlabelled.

    Id ``ria<id>`` (the same as in the topics file), title = article title,
    ``category`` = publisher rubric, ``tags`` = the raw tag string. The first
    occurrence of an id (in part order) wins.
    """
    out: list[dict] = []
    seen: set[str] = set()
    for part in RIA_PARTS:
        for row in _read_csv(Path(data_dir) / "ria" / part):
            id_ = "ria" + row["id"].strip()
            if id_ in seen:
                continue
            seen.add(id_)
            rec = _record(id_, _SPACE.sub(" ", row["title"]).strip(), None, "ria", "ru")
            rec["category"] = row["topic"]
            rec["tags"] = row["tags"]
            out.append(rec)
    return out


def first_sentence(content: str) -> str:
    """Headline-like first sentence of an article body.

    Photo/video credits are removed, white space collapsed, the text cut after the
    first ``. ! ? …`` at or after character ``LENTA_MIN_SENTENCE`` and capped at
    ``LENTA_MAX_LEN`` characters (at the last space before the cap).

    >>> first_sentence("Фото: А. Б. / РИА\\nВрач назвала полезный фрукт. Он дешёвый.")
    'Врач назвала полезный фрукт.'
    """
    text = _CREDIT.sub(" ", _CAPTION_CREDIT.sub(" ", content))
    text = _SPACE.sub(" ", text).strip()
    m = _SENTENCE_END.search(text, LENTA_MIN_SENTENCE)
    if m is not None:
        text = text[: m.end()]
    if len(text) > LENTA_MAX_LEN:
        cut = text.rfind(" ", 0, LENTA_MAX_LEN)
        text = text[: cut if cut > 0 else LENTA_MAX_LEN]
    return text.strip()


def load_lenta(data_dir: Path) -> list[dict]:
    """Load Lenta.ru bodies from ``lenta_rubrics/train_news.csv``, unlabelled.

    The file's ``index`` restarts at 0 for every rubric, so the id is
    ``lenta<topic>_<index>`` (e.g. ``lenta5_12``). Articles whose body repeats an
    earlier row are dropped. ``category`` keeps the rubric code (5 = «Забота о себе»).
    """
    out: list[dict] = []
    seen: set[str] = set()
    for row in _read_csv(Path(data_dir) / "lenta_rubrics" / "train_news.csv"):
        body = row["content"].strip()
        if body in seen:
            continue
        seen.add(body)
        title = first_sentence(body)
        if not title:
            continue
        rec = _record(f"lenta{row['topic']}_{row['index']}", title, None, "lenta", "ru")
        rec["category"] = row["topic"]
        out.append(rec)
    return out


def _read_sib200(data_dir: Path, lang: str, split: str) -> list[dict[str, str]]:
    """Raw SIB-200 rows of one language and split (TSV, quoting off)."""
    if lang not in SIB200_LANGS:
        raise DataError(f"sib200 lang must be one of {sorted(SIB200_LANGS)}; got {lang!r}")
    if split not in SIB200_SPLITS:
        raise DataError(f"sib200 split must be one of {SIB200_SPLITS}; got {split!r}")
    path = Path(data_dir) / "sib200" / lang / f"{split}.tsv"
    return _read_csv(path, delimiter="\t", quote_none=True)


def check_sib200_alignment(data_dir: Path) -> None:
    """Raise ``DataError`` unless all languages of a split share index_id/category rows."""
    for split in SIB200_SPLITS:
        ref = None
        for lang in SIB200_LANGS:
            keys = [(r["index_id"], r["category"]) for r in _read_sib200(data_dir, lang, split)]
            if ref is None:
                ref = keys
            elif keys != ref:
                raise DataError(
                    f"sib200/{lang}/{split}.tsv is not aligned with the other languages"
                )


def load_sib200(
    data_dir: Path, lang: str, split: str, *, keep_unmapped: bool = False
) -> list[dict]:
    """Load SIB-200 sentences of one language (``kaz_Cyrl``/``rus_Cyrl``/``eng_Latn``) and split.

    Id ``sib200_<lang>_<split>_<index_id>``; label via ``SIB200_MAP``; ``category``
    keeps the original category. Sentences with an unmapped category (travel,
    geography) are left out unless ``keep_unmapped`` (then ``label`` is None).
    ``group`` is ``sib200_<index_id>``, shared by the three translations.
    """
    out = []
    for row in _read_sib200(data_dir, lang, split):
        cat = row["category"]
        if cat not in SIB200_MAP:
            raise DataError(
                f"sib200/{lang}/{split}.tsv, id {row['index_id']}: unknown category {cat!r}"
            )
        label = SIB200_MAP[cat]
        if label is None and not keep_unmapped:
            continue
        rec = _record(
            f"sib200_{lang}_{split}_{row['index_id']}",
            row["text"].strip(),
            label,
            "sib200",
            SIB200_LANGS[lang],
            f"sib200_{row['index_id']}",
        )
        rec["category"] = cat
        out.append(rec)
    return out


def load_bbc(data_dir: Path) -> list[dict]:
    """Load BBC News titles (``bbc/bbc_titles.tsv``).

    Id ``bbc_<category>_<file>``, label via ``BBC_MAP``, ``category`` = BBC category.
    """
    out = []
    for row in _read_csv(Path(data_dir) / "bbc" / "bbc_titles.tsv", delimiter="\t"):
        cat = row["category"]
        if cat not in BBC_MAP:
            raise DataError(f"bbc_titles.tsv, file {row['file']}: unknown category {cat!r}")
        rec = _record(f"bbc_{cat}_{row['file']}", row["title"].strip(), BBC_MAP[cat], "bbc", "en")
        rec["category"] = cat
        out.append(rec)
    return out


def load_msrp(data_dir: Path) -> list[dict]:
    """Load the English news sentences of MSRP (``msrp/msr_paraphrase_train.txt``), unlabelled.

    Id ``msrp_<sentence id>``; the two sentences of a pair (one story, 2003-04 newswire) share
    the group of the first pair a sentence appears in. Labels come from
    ``training/labels/msrp.csv``, read one by one; here ``label`` is ``None``.
    """
    path = Path(data_dir) / "msrp" / "msr_paraphrase_train.txt"
    if not path.is_file():
        raise DataError(f"{path}: file not found; pass the shared/data folder as data_dir")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    out: dict[str, dict] = {}
    for row in rows:
        group = f"msrp_pair_{row['#1 ID']}"
        for side in ("1", "2"):
            item_id = f"msrp_{row[f'#{side} ID']}"
            title = (row.get(f"#{side} String") or "").strip()
            if not title:
                raise DataError(f"{path}: sentence {item_id} is empty")
            out.setdefault(item_id, _record(item_id, title, None, "msrp", "en", group))
    return list(out.values())


HEADLINECAUSE_PARTS: tuple[str, ...] = ("training", "exam", "honey")


def load_headlinecause(data_dir: Path, lang: str = "en") -> list[dict]:
    """Load the unlabelled headlines of HeadlineCause (``headlinecause/<lang>_<part>.tsv``).

    Each row is a pair of headlines; they become two records ``hc_<lang>_<row id>_L`` and
    ``..._R`` that share the row's group (a pair is often one story told twice). Labels come
    from ``training/labels/headlinecause_<lang>.csv``; here ``label`` is ``None``.
    """
    out = []
    for part in HEADLINECAUSE_PARTS:
        path = Path(data_dir) / "headlinecause" / f"{lang}_{part}.tsv"
        for row in _read_csv(path, delimiter="\t", quote_none=True):
            pair = f"hc_{lang}_{row['INPUT:id']}"
            for side, col in (("L", "INPUT:left_title"), ("R", "INPUT:right_title")):
                title = (row.get(col) or "").strip()
                if not title:
                    raise DataError(f"{path}, row {row['INPUT:id']}: column {col!r} is empty")
                out.append(_record(f"{pair}_{side}", title, None, "headlinecause", lang, pair))
    return out


def load_labels(path: Path) -> dict[str, str]:
    """Read an ``id,label`` file (``training/labels/*.csv``) into a dict."""
    labels = {}
    for row in _read_csv(Path(path)):
        if row["label"] not in LABELS:
            raise DataError(f"{path}: id {row['id']}: unknown label {row['label']!r}")
        labels[row["id"]] = row["label"]
    return labels


def read_written(path: Path) -> list[tuple[int, str, str]]:
    """The rows of a ``text,label`` file of headlines we wrote (``training/authored/``) as
    ``(row, text, label)``, ``row`` counted from 0 after the header, values as written."""
    return [(k, row["text"], row["label"]) for k, row in enumerate(_read_csv(Path(path)))]


def _summary(name: str, records: list[dict]) -> str:
    counts = Counter(r["label"] for r in records)
    parts = ", ".join(f"{k}={v}" for k, v in sorted(counts.items(), key=lambda kv: str(kv[0])))
    return f"{name}: {len(records)} items, {len({r['group'] for r in records})} groups; {parts}"


if __name__ == "__main__":
    root = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parents[2] / "shared/data"
    )
    labels_dir = Path(__file__).resolve().parent / "labels"
    check_sib200_alignment(root)
    print(_summary("topics", load_topics(root)))
    for name, loader in (("ria", load_ria), ("lenta", load_lenta)):
        recs = loader(root)
        lab_file = labels_dir / f"{name}.csv"
        known = load_labels(lab_file) if lab_file.is_file() else {}
        for r in recs:
            r["label"] = known.get(r["id"])
        print(_summary(name, recs))
    for lang in SIB200_LANGS:
        for split in SIB200_SPLITS:
            print(_summary(f"sib200 {lang} {split}", load_sib200(root, lang, split)))
    print(_summary("bbc", load_bbc(root)))
