"""Tests for feedclass.history: republished stories, stable ids, state files."""

from __future__ import annotations

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


def test_save_is_atomic_and_data_that_loads_without_preparing_headlines(
    tmp_path: Path, monkeypatch
) -> None:
    state = tmp_path / "state.json"
    h = History()
    dedup_against_history(h, MONDAY, now=0.0)
    h.save(state)
    assert state.read_bytes()[:2] == b"PK"  # the DedupIndex file: a zip of JSON and arrays
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temp file left behind
    import feedclass.dedup.indexstate as index_module  # where the index is rebuilt on load

    def no_prepare(texts):  # loading must not tokenise the history's headlines again
        raise AssertionError(f"prepared {len(texts)} headlines on load")

    monkeypatch.setattr(index_module, "item_parts", no_prepare)
    back = History.load(state)
    assert (back.texts, back.story_ids, back.next_id) == (h.texts, h.story_ids, h.next_id)
    assert back.to_index() is back.to_index()  # the loaded index is reused, not rebuilt


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
    data = state.read_bytes()
    at = data.index(b"time.npy") + 40  # inside the deflated times: the member's CRC fails
    state.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :])
    with pytest.raises(StateFileError, match=str(state.name)):
        History.load(state)
    state.write_bytes(data[: len(data) // 2])
    with pytest.raises(StateFileError, match=str(state.name)):
        History.load(state)


def test_missing_state_on_load_raises(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="not found"):
        History.load(tmp_path / "nope.json")


def test_bad_arguments() -> None:
    with pytest.raises(DataError, match="history_days must be"):
        History(history_days=0)
    with pytest.raises(DataError, match="must be a list of headlines"):
        dedup_against_history(History(), "one headline")


@pytest.mark.parametrize(
    ("version", "item", "checksum", "item_id"),
    [
        (
            2,
            '["В Алматы открылся новый мост через реку", 1764000000.0, "s0000001", "x1"]',
            "54f59620d870c1db0865d912dda08b2c36b1d62681138910a2a42da37a26834e",
            "x1",
        ),
        (
            1,
            '["В Алматы открылся новый мост через реку", 1764000000.0, "s0000001"]',
            "a69fd6eb5ee11403fdc41ceb8962e8b9a527955a0105386708e6c230911464ad",
            "",
        ),
    ],
)
def test_state_files_of_earlier_versions_still_load(
    tmp_path: Path, version: int, item: str, checksum: str, item_id: str
) -> None:
    # files as versions 1 and 2 wrote them, frozen here: a new version must keep reading them
    state = tmp_path / "state.json"
    state.write_text(
        f'{{"format": "feedclass-dedup-history", "version": {version}, "history_days": 3.0, '
        f'"max_items": 200000, "n_items": 1, "next_id": 2, "checksum": "{checksum}", '
        f'"items": [{item}]}}',
        encoding="utf-8",
    )
    h = History.load(state)
    assert (h.texts, h.story_ids, h.item_ids) == (
        ["В Алматы открылся новый мост через реку"],
        ["s0000001"],
        [item_id],
    )
    r = dedup_against_history(
        h, ["Срочно: в Алматы открылся новый мост через реку"], now=1764003600.0
    )
    assert r.cluster_ids == ["s0000001"] and bool(r.seen_before[0])
    # written back in the current version (the DedupIndex file), the stories carry on
    h.save(state)
    assert state.read_bytes()[:2] == b"PK"
    again = History.load(state)
    assert again.item_ids[0] == item_id and again.story_ids[0] == "s0000001"
    r2 = dedup_against_history(again, ["В Алматы открылся новый мост через реку"], now=1764007200.0)
    assert r2.cluster_ids == ["s0000001"] and bool(r2.seen_before[0])
