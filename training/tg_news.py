"""Headlines from the Telegram news dump (``tg_news_silver/raw/*.json``).

Each JSON file holds a list of posts ``{message_id, sender_id, text, date, channel,
category}``. A post is turned into a headline-like title so that hand labels in
``training/labels/tg_news_silver.csv`` (``id,label`` only) can be joined back to
the text by the build script. Everything here is deterministic: the same data
folder always yields the same ids and titles.

Headline rule (applied line by line, the first line that is non-empty after
cleaning is the headline):

1. ``[text](url)`` markdown links become ``text``; bare URLs are dropped;
2. emoji and pictographs (plus variation selectors, ZWJ, keycaps) are dropped;
3. markdown markers ``**``, ``__``, ``~~`` and backticks are dropped;
4. white space is collapsed; leading bullets/symbols are stripped;
5. a result longer than 200 characters is cut after the first sentence end
   (``. ! ? …`` followed by space or end of text) that lies at or after
   character 30; with no such sentence end it is cut at the last space
   before character 200;
6. a headline shorter than 15 characters drops the whole post.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

MAX_LEN = 200
MIN_SENTENCE = 30
MIN_LEN = 15

_MD_LINK = re.compile(r"\[([^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*\)")
_URL = re.compile(r"(?:https?://|www\.|t\.me/)\S+", re.IGNORECASE)
# Emoji / pictograph blocks; deliberately NOT all of category "So", which would
# also eat "°" and "№" that matter in weather and news headlines.
_EMOJI = re.compile(
    "["
    "\U0001f000-\U0001faff"  # mahjong .. symbols & pictographs ext-A (incl. flags)
    "\U00002600-\U000027bf"  # misc symbols, dingbats
    "\U00002b00-\U00002bff"  # arrows / stars (⭐ ⬆)
    "\U00002300-\U000023ff"  # misc technical (⌚ ⏰ ⏳)
    "\U00002190-\U000021ff"  # arrows
    "\U000025a0-\U000025ff"  # geometric shapes (▪ ► ●)
    "\u203c\u2049\u2122\u2139\u3030\u303d\u3297\u3299"
    "\ufe00-\ufe0f"  # variation selectors
    "\u200b-\u200d\u2060\u20e3"  # zero-width chars, ZWJ, keycap
    "\U000e0020-\U000e007f"  # tag characters
    "]+"
)
_MD_MARKERS = re.compile(r"\*\*|__|~~|`|\|\|")
_SPACE = re.compile(r"\s+")
# Leading junk: anything that is not a letter/digit/opening quote or bracket,
# except a sign directly before a digit ("+25", "-10").
_LEADING = re.compile(r"^(?:[+\-−](?!\d)|[^\w«\"'„“(+\-−])+")
_SENTENCE_END = re.compile(r"[.!?…]+[»\"”')]*(?=\s|$)")


def clean_line(line: str) -> str:
    """Return one line of post text cleaned to headline form (may be empty).

    >>> clean_line("⚡️**Синоптики** [обещают](https://x.ru) снег  https://t.me/a")
    'Синоптики обещают снег'
    """
    s = _MD_LINK.sub(r"\1", line)
    s = _URL.sub(" ", s)
    s = _EMOJI.sub(" ", s)
    s = _MD_MARKERS.sub("", s)
    s = _SPACE.sub(" ", s).strip()
    s = _LEADING.sub("", s).strip()
    return s


def shorten(title: str) -> str:
    """Cut a title longer than ``MAX_LEN`` at its first sentence end after ``MIN_SENTENCE``."""
    if len(title) <= MAX_LEN:
        return title
    m = _SENTENCE_END.search(title, MIN_SENTENCE)
    if m is not None:
        return title[: m.end()].strip()
    cut = title.rfind(" ", 0, MAX_LEN)
    return title[: cut if cut > 0 else MAX_LEN].strip()


def headline(text: str) -> str | None:
    """Return the headline of a post, or ``None`` when it has no usable text."""
    for line in text.splitlines():
        cleaned = clean_line(line)
        if cleaned:
            title = shorten(cleaned)
            return title if len(title) >= MIN_LEN else None
    return None


def post_id(sender_id: int, message_id: int) -> str:
    """Stable id of a post: ``tg<abs(sender_id)>_<message_id>``."""
    return f"tg{abs(int(sender_id))}_{int(message_id)}"


def load_tg_posts(data_dir: Path) -> list[dict]:
    """Load every post with a usable headline from ``data_dir/*.json``.

    Returns dicts ``{"id", "title", "channel", "date"}`` in file-name then file
    order; a repeated id (the same post stored twice) is kept once.
    """
    posts: list[dict] = []
    seen: set[str] = set()
    for path in sorted(Path(data_dir).glob("*.json")):
        with path.open(encoding="utf-8") as fh:
            records = json.load(fh)
        for rec in records:
            text = rec.get("text")
            if not isinstance(text, str):
                continue
            title = headline(text)
            if title is None:
                continue
            pid = post_id(rec["sender_id"], rec["message_id"])
            if pid in seen:
                continue
            seen.add(pid)
            posts.append(
                {"id": pid, "title": title, "channel": rec.get("channel"), "date": rec.get("date")}
            )
    return posts


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[2] / "shared/data/tg_news_silver/raw"
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    loaded = load_tg_posts(folder)
    total = sum(len(json.loads(p.read_text(encoding="utf-8"))) for p in folder.glob("*.json"))
    print(f"posts in {folder}: {total}; with usable headline: {len(loaded)}")
    for channel, n in Counter(p["channel"] for p in loaded).most_common():
        print(f"  {n:5d}  {channel}")
