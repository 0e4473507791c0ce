"""Build the word vectors the near-duplicate scorer reads: ``models/dedup-vectors.fcm``.

Rewordings of one story share few words ("погибли"/"жертвами", "задержали"/"арестовали"), and
stems or character n-grams cannot tell such a pair from two different stories that differ in the
same places ("закрытие театра"/"закрытие аэропорта"). Vectors learned from news text can: words
used in the same contexts get close vectors.

Method: positive pointwise mutual information of stems co-occurring within ``WINDOW`` content
words of one sentence (context counts smoothed to the power 0.75), reduced by a truncated SVD to
``DIM`` dimensions; each vector scaled to unit length and stored as float16. Stems are exactly
the ones the scorer compares (``feedclass.dedup.content_tokens``), keyed by their 64-bit hash, so
the file holds no text. It is a data file like the model: a zip of a JSON header and ``.npy``
arrays, never a pickle.

Text: every news text in the data folder except the sets the scorer is evaluated on
(ParaPhraser, MSRP, HeadlineCause): Telegram posts, RIA titles, subtitles and bodies, Lenta
bodies, the RIA headlines of the topics file, BBC titles and bodies, SIB-200 train sentences.

Usage::

    python -m training.dedup_vectors [DATA_DIR] [-o models/dedup-vectors.fcm]

Deterministic: the same data gives the same bytes (sorted inputs, fixed SVD seed, fixed zip
dates). About a minute on the shared 2-core machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import randomized_svd

from feedclass.dedup import VECTORS_KIND, VECTORS_NAME, content_tokens
from feedclass.modelfile import write_model_file
from training.tg_news import clean_line

DIM = 100
WINDOW = 4
MIN_COUNT = 5
CDS = 0.75  # context distribution smoothing
SEED = 0

_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if len(s.strip()) > 3]


def _read_csv(path: Path, **kw: object) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, **kw))  # type: ignore[arg-type]


def corpus(data_dir: Path) -> tuple[list[str], dict[str, int]]:
    """Sentences of every usable text in ``data_dir``, in a fixed order, and counts per source."""
    csv.field_size_limit(1 << 30)
    out: list[str] = []
    counts: dict[str, int] = {}

    def add(source: str, texts: list[str]) -> None:
        before = len(out)
        for t in texts:
            out.extend(_sentences(t))
        counts[source] = len(out) - before

    tg: list[str] = []
    for f in sorted((data_dir / "tg_news_silver" / "raw").glob("*.json")):
        for post in json.loads(f.read_text(encoding="utf-8")):
            text = post.get("text") or ""
            tg.append("\n".join(clean_line(line) for line in text.splitlines()))
    add("tg_news_silver", tg)
    ria: list[str] = []
    seen: set[str] = set()
    for f in sorted((data_dir / "ria").glob("*.csv")):
        for row in _read_csv(f):
            if row["id"] in seen:
                continue
            seen.add(row["id"])
            ria += [row["title"], row["subtitle"], row["content"]]
    add("ria", ria)
    lenta = data_dir / "lenta_rubrics" / "train_news.csv"
    if lenta.exists():
        add("lenta_rubrics", [r["content"] for r in _read_csv(lenta)])
    topics = data_dir / "topics" / "ru_headlines_topics.csv"
    if topics.exists():
        # ParaPhraser headlines are where the scorer is evaluated: left out
        add("topics", [r["title"] for r in _read_csv(topics) if r["source"] != "paraphraser"])
    bbc = data_dir / "bbc" / "bbc_titles.tsv"
    if bbc.exists():
        rows = _read_csv(bbc, delimiter="\t", quoting=csv.QUOTE_NONE)
        add("bbc", [f"{r['title']}\n{r['text']}" for r in rows])
    sib: list[str] = []
    for f in sorted((data_dir / "sib200").glob("*/train.tsv")):
        sib += [r["text"] for r in _read_csv(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
    add("sib200", sib)
    return out, counts


def cooccurrence(
    doc: np.ndarray, word: np.ndarray, n_words: int, window: int = WINDOW
) -> sp.csr_matrix:
    """Symmetric counts of word pairs at most ``window`` tokens apart within one sentence."""
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for k in range(1, window + 1):
        ok = (doc[k:] == doc[:-k]) & (word[k:] >= 0) & (word[:-k] >= 0)
        a, b = word[:-k][ok], word[k:][ok]
        rows += [a, b]
        cols += [b, a]
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    m = sp.coo_matrix((np.ones(r.size, dtype=np.float64), (r, c)), shape=(n_words, n_words))
    return m.tocsr()


def ppmi_svd(counts: sp.csr_matrix, dim: int = DIM, seed: int = SEED) -> np.ndarray:
    """Unit vectors from the PPMI matrix of ``counts`` (rows: words, columns: contexts)."""
    counts = counts.tocoo()
    row_sum = np.asarray(counts.sum(axis=1)).ravel()
    ctx = np.asarray(counts.sum(axis=0)).ravel() ** CDS
    ctx /= ctx.sum()
    pmi = np.log(counts.data / row_sum[counts.row] / ctx[counts.col])
    keep = pmi > 0
    ppmi = sp.csr_matrix(
        (pmi[keep], (counts.row[keep], counts.col[keep])), shape=counts.shape, dtype=np.float64
    )
    u, s, _ = randomized_svd(ppmi, dim, n_iter=7, random_state=seed)
    vec = u * np.sqrt(s)
    norm = np.linalg.norm(vec, axis=1, keepdims=True)
    return vec / np.where(norm > 0, norm, 1.0)


def build(data_dir: Path, out: Path) -> dict[str, object]:
    t0 = time.perf_counter()
    sentences, per_source = corpus(data_dir)
    if not sentences:
        raise SystemExit(f"{data_dir}: no text found; pass the data folder")
    ct = content_tokens(sentences)
    use = ct.content & ~ct.num
    doc = ct.doc[use]
    stem = ct.shash[use]
    keys, inv, cnt = np.unique(stem, return_inverse=True, return_counts=True)
    frequent = cnt >= MIN_COUNT
    new_id = np.full(keys.size, -1, dtype=np.int64)
    new_id[frequent] = np.arange(int(frequent.sum()))
    word = new_id[inv]
    vec = ppmi_svd(cooccurrence(doc, word, int(frequent.sum())))
    header: dict[str, object] = {
        "kind": VECTORS_KIND,
        "dim": DIM,
        "window": WINDOW,
        "min_count": MIN_COUNT,
        "context_smoothing": CDS,
        "seed": SEED,
        "sentences": len(sentences),
        "tokens": int(use.sum()),
        "sentences_per_source": per_source,
        "recipe": "python -m training.dedup_vectors",
    }
    # keys come out of np.unique sorted, which is the order the scorer's lookup needs
    write_model_file(out, header, {"keys": keys[frequent], "vectors": vec.astype(np.float16)})
    header["words"] = int(frequent.sum())
    header["seconds"] = round(time.perf_counter() - t0, 1)
    return header


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = Path(__file__).resolve().parents[1]
    ap.add_argument("data", nargs="?", type=Path, default=root.parent / "shared" / "data")
    ap.add_argument("-o", "--output", type=Path, default=root / "models" / VECTORS_NAME)
    args = ap.parse_args(argv)
    info = build(args.data, args.output)
    print(
        f"{args.output}: {info['words']} stems x {DIM} from {info['sentences']} sentences "
        f"({info['tokens']} words) in {info['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
