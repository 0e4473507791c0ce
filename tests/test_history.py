"""Tests for feedclass.history: republished stories, stable ids, state files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from feedclass import NearDuplicates
from feedclass.errors import DataError, StateFileError
from feedclass.history import History, dedup_against_history

DAY = 86400.0
MONDAY = [
    "Пожар на складе в Алматы",
    "Курс доллара на 5 мая",
    "Сборная Казахстана обыграла Латвию",
]
TUESDAY = [
    "Срочно: пожар на складе в Алматы - СМИ",  # republished story
    "Курс доллара на 6 мая",  # templated, different news
    "В Астане открыли новый мост",
    "ВИДЕО: в Астане открыли новый мост",  # duplicate inside the batch
]


def test_republished_story_is_caught_next_day_with_the_same_id(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    h = History.open(state)  # first run: no file yet
    r1 = dedup_against_history(h, MONDAY, now=0.0)
    assert len(set(r1.story_ids)) == 3 and not r1.seen_before.any()
    h.save(state)

    h2 = History.load(state)
    r2 = dedup_against_history(h2, TUESDAY, now=DAY)
    assert r2.story_ids[0] == r1.story_ids[0]
    assert r2.seen_before.tolist() == [True, False, False, False]
    assert r2.matched_text[0] == MONDAY[0]
    assert r2.story_ids[1] not in r1.story_ids
    assert r2.story_ids[3] == r2.story_ids[2] and r2.duplicate_of.tolist() == [-1, -1, -1, 2]
    assert r2.is_new.tolist() == [False, True, True, False]
    h2.save(state)

    # a third run still knows Monday's and Tuesday's stories, ids never reused
    h3 = History.load(state)
    r3 = dedup_against_history(h3, ["Новый мост открыли в Астане"], now=1.5 * DAY)
    assert r3.story_ids == [r2.story_ids[2]]
    r4 = dedup_against_history(h3, ["Землетрясение в Таразе"], now=1.6 * DAY)
    assert r4.story_ids[0] not in set(r1.story_ids) | set(r2.story_ids)


def test_age_and_size_limits() -> None:
    h = History(history_days=1)
    dedup_against_history(h, MONDAY, now=0.0)
    r = dedup_against_history(h, [TUESDAY[0]], now=2 * DAY)  # Monday is forgotten
    assert not r.seen_before[0]
    assert len(h) == 1
    h = History(max_items=2)
    dedup_against_history(h, MONDAY, now=0.0)
    assert len(h) == 2 and h.texts == MONDAY[1:]


def test_update_false_leaves_history_alone() -> None:
    h = History()
    dedup_against_history(h, MONDAY, now=0.0, update=False)
    assert len(h) == 0


def test_a_first_large_batch_is_clustered_as_the_batch_does() -> None:
    # 70 rows: templated headlines that differ in a fact, with reworded and verbatim copies
    base = [f"Курс тенге на {d} мая составил {400 + d} за доллар" for d in range(1, 21)]
    rows = base + [f"Срочно: {t}" for t in base[:20]] + base[:20] + [f"{t}!" for t in base[:10]]
    times = np.arange(len(rows), dtype=float)
    h = History()
    r = dedup_against_history(h, rows, times=times, now=100.0)
    labels = NearDuplicates().fit_predict(rows, times=times)
    assert len(set(zip(r.story_ids, labels.tolist(), strict=True))) == len(set(labels.tolist()))
    assert len(set(r.story_ids)) == 20 and not r.seen_before.any()
    assert r.duplicate_of[20] == 0 and r.is_new.sum() == 20
    assert len(h) == 20 + 20 + 10  # a verbatim copy of a story's headline is kept once
    again = dedup_against_history(h, ["Курс тенге на 3 мая составил 403 за доллар"], now=200.0)
    assert again.seen_before[0] and again.story_ids[0] == r.story_ids[2]


def test_save_is_atomic_and_plain_json(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    h = History()
    dedup_against_history(h, MONDAY, now=0.0)
    h.save(state)
    doc = json.loads(state.read_text(encoding="utf-8"))
    assert doc["format"] == "feedclass-dedup-history" and doc["n_items"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temp file left behind


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a feedclass history file or truncated"),
        (b'{"format": "feedclass-dedup-history", "version": 1, "ite', "truncated"),
        (b'{"some": "other json"}', "not a feedclass dedup history file"),
        (b"\x80\x04\x95pickle", "not a feedclass history file"),
        (b'{"format": "feedclass-dedup-history", "version": 99}', "newer than this feedclass"),
    ],
)
def test_damaged_state_raises(tmp_path: Path, content: bytes, message: str) -> None:
    state = tmp_path / "state.json"
    state.write_bytes(content)
    with pytest.raises(StateFileError, match=message):
        History.open(state)


def test_edited_or_truncated_real_state_raises(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    h = History()
    dedup_against_history(h, MONDAY, now=0.0)
    h.save(state)
    text = state.read_text(encoding="utf-8")
    state.write_text(text.replace("Латвию", "Литву"), encoding="utf-8")
    with pytest.raises(StateFileError, match="checksum"):
        History.load(state)
    state.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(StateFileError, match="truncated"):
        History.load(state)


def test_missing_state_on_load_raises(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="not found"):
        History.load(tmp_path / "nope.json")


def test_bad_arguments() -> None:
    with pytest.raises(DataError, match="history_days must be"):
        History(history_days=0)
    with pytest.raises(DataError, match="must be a list of headlines"):
        dedup_against_history(History(), "one headline")
