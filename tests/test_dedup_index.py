"""Tests for DedupIndex: one item at a time, the batch's story rules, editing, state files."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedclass import DedupIndex, Match, NearDuplicates
from feedclass.dedup.clusters import STAR_FLOOR_GAP
from feedclass.errors import DataError, StateFileError

MIN = 60.0
DAY = 86400.0

# Headlines written for these tests: stories, their rewrites, and templated near-misses.
FIRE = "Пожар на складе стройматериалов в Караганде потушили к утру"
FIRE_COPY = "Срочно: пожар на складе стройматериалов в Караганде потушили к утру"
FIRE_REWORD = "Пожар на складе стройматериалов в Караганде потушили к утру - МЧС"
RATE_5 = "Курс доллара на 5 мая"
RATE_6 = "Курс доллара на 6 мая"
BRIDGE = "В Павлодаре открыли новый пешеходный мост через Иртыш"
BRIDGE_COPY = "ВИДЕО: в Павлодаре открыли новый пешеходный мост через Иртыш"
MATCH_A = "Футболисты Тобола обыграли Кайрат в матче чемпионата"
WEATHER_A = "Погода в Алматы на выходные: снег и гололед"
WEATHER_B = "Погода в Астане на выходные: снег и гололед"

POOL = [FIRE, FIRE_COPY, FIRE_REWORD, RATE_5, RATE_6, BRIDGE, BRIDGE_COPY, MATCH_A, WEATHER_A,
        WEATHER_B]  # fmt: skip


def filled(texts: list[str], **kw: object) -> tuple[DedupIndex, list[Match]]:
    idx = DedupIndex(**kw)  # type: ignore[arg-type]
    out = [idx.add(t, item_id=f"i{k}", time=k * MIN) for k, t in enumerate(texts)]
    return idx, out


def test_a_rewrite_joins_the_story_of_the_first_item() -> None:
    idx, (a, b, c) = filled([FIRE, BRIDGE, FIRE_REWORD])
    assert a.duplicate_of is None and a.score is None and not a.seen_before
    assert c.story_id == a.story_id and c.duplicate_of == "i0"
    assert c.score is not None and c.score >= idx.threshold
    assert b.story_id != a.story_id and b.duplicate_of is None
    assert idx.members(a.story_id) == ["i0", "i2"]
    assert len(idx) == 3 and idx.n_stories == 2 and "i1" in idx


def test_same_headline_again_is_seen_before() -> None:
    _idx, (_a, b) = filled([FIRE, FIRE_COPY])  # the same once newsroom marks are stripped
    assert b.seen_before and b.score == 1.0 and b.duplicate_of == "i0"


def test_facts_keep_templated_headlines_apart() -> None:
    _idx, out = filled([RATE_5, RATE_6, WEATHER_A, WEATHER_B])
    assert len({m.story_id for m in out}) == 4


def test_same_id_again_adds_nothing_and_another_text_is_refused() -> None:
    idx, (a,) = filled([FIRE])
    again = idx.add(FIRE, item_id="i0", time=5 * MIN)
    assert again.seen_before and again.story_id == a.story_id and len(idx) == 1
    with pytest.raises(DataError, match="already indexed with another headline"):
        idx.add(BRIDGE, item_id="i0")


def test_one_source_never_twice_in_a_story() -> None:
    idx = DedupIndex()
    a = idx.add(BRIDGE, item_id=1, time=0, source="kaz.tv")
    b = idx.add(BRIDGE_COPY, item_id=2, time=MIN, source="kaz.tv")
    c = idx.add(BRIDGE_COPY, item_id=3, time=2 * MIN, source="astana.kz")
    assert b.story_id != a.story_id and c.story_id == a.story_id


def test_query_answers_like_add_without_adding() -> None:
    idx, (a, _b) = filled([FIRE, BRIDGE])
    q = idx.query(FIRE_REWORD, time=3 * MIN)
    assert q.item_id is None and q.story_id == a.story_id and q.duplicate_of == "i0"
    assert len(idx) == 2
    m = idx.add(FIRE_REWORD, item_id="i2", time=3 * MIN)
    assert (m.story_id, m.duplicate_of, m.score) == (q.story_id, q.duplicate_of, q.score)
    assert idx.query(RATE_5).story_id == 0  # a new story


def test_old_items_are_forgotten_by_the_window_and_the_size_limit() -> None:
    idx = DedupIndex(window_days=1)
    idx.add(FIRE, item_id="old", time=0)
    m = idx.add(FIRE_REWORD, item_id="new", time=2 * DAY)
    assert "old" not in idx and m.duplicate_of is None and len(idx) == 1
    idx = DedupIndex(max_items=2)
    for k, t in enumerate([FIRE, BRIDGE, RATE_5]):
        idx.add(t, item_id=k, time=k * MIN)
    assert len(idx) == 2 and 0 not in idx
    idx = DedupIndex()
    idx.add_many([FIRE, BRIDGE, RATE_5], item_ids=["a", "b", "c"], times=[0, DAY, 2 * DAY])
    assert idx.forget_before(1.5 * DAY) == 2 and len(idx) == 1


def test_forgetting_the_representative_hands_the_story_on() -> None:
    idx, (a, _b, c) = filled([FIRE, FIRE_REWORD, FIRE_COPY])
    idx.remove("i0")
    assert idx.story_of("i2") == a.story_id and idx.match_of("i2").duplicate_of == "i1"
    assert idx.match_of("i1").duplicate_of is None
    with pytest.raises(DataError, match="not in the index"):
        idx.remove("i0")
    assert c.story_id == a.story_id


def test_answers_stay_the_same_when_forgotten_items_are_cleared_out(monkeypatch) -> None:
    from feedclass.dedup import index

    monkeypatch.setattr(index, "_COMPACT_MIN", 4)
    texts = [FIRE, BRIDGE, RATE_5, WEATHER_A, FIRE_REWORD, BRIDGE_COPY, RATE_6, WEATHER_B, MATCH_A]
    idx = DedupIndex(window_days=3 * MIN / DAY)  # holds the last three minutes
    for k, t in enumerate(texts):
        idx.add(t, item_id=k, time=k * MIN)
    assert len(idx) == 4 and len(idx.items()) == 4
    idx.forbid(7, 8)
    fresh = DedupIndex.from_items(
        *zip(*[(t, i, tm, s) for i, t, tm, s in idx.items()], strict=True),  # type: ignore[arg-type]
        window_days=3 * MIN / DAY,
        next_story=idx.next_story,
    )
    for t in (FIRE_COPY, BRIDGE, RATE_6, WEATHER_B + "!"):
        a, b = idx.query(t, time=9 * MIN), fresh.query(t, time=9 * MIN)
        assert (a.story_id, a.duplicate_of, a.score) == (b.story_id, b.duplicate_of, b.score)
    m = idx.add(BRIDGE_COPY + "!", item_id="late", time=8 * MIN)
    assert m.duplicate_of == 5


def test_forbid_split_and_merge_stories() -> None:
    idx, (a, b, c) = filled([FIRE, FIRE_REWORD, BRIDGE])
    assert b.story_id == a.story_id
    idx.forbid("i0", "i1")  # the editor: not the same story
    assert idx.story_of("i1") != idx.story_of("i0")
    with pytest.raises(DataError, match="marked as different stories"):
        idx.merge_stories(idx.story_of("i0"), idx.story_of("i1"))
    assert idx.merge_stories(a.story_id, c.story_id) == a.story_id
    assert idx.members(a.story_id) == ["i0", "i2"] and idx.n_stories == 2
    s = idx.split("i2")
    assert s.duplicate_of is None and s.story_id not in (a.story_id, idx.story_of("i1"))
    with pytest.raises(DataError, match="marked as different stories"):
        idx.merge_stories(a.story_id, s.story_id)
    with pytest.raises(DataError, match="its own story"):
        idx.forbid("i0", "i0")


def test_add_many_matches_the_batch_and_keeps_input_order() -> None:
    texts = [FIRE, RATE_5, FIRE_REWORD, BRIDGE, RATE_6, BRIDGE_COPY, MATCH_A, FIRE_COPY] * 10
    texts = texts[:64]  # the bulk path starts at 64 items
    idx = DedupIndex()
    out = idx.add_many(texts, times=np.arange(64.0))
    batch = NearDuplicates().fit_predict(texts, times=np.arange(64.0))
    ours = np.array([m.story_id for m in out])
    assert len(set(zip(ours.tolist(), batch.tolist()))) == len(set(batch.tolist()))
    assert [m.item_id for m in out] == list(range(64))
    # and the one-at-a-time path after it: a rewrite joins the bulk-built story
    m = idx.add(BRIDGE + "!", item_id="late", time=100.0)
    assert m.story_id == out[3].story_id


def test_add_many_checks_every_row_before_adding_any() -> None:
    idx = DedupIndex()
    with pytest.raises(DataError, match=r"times\[1\]"):
        idx.add_many([FIRE, BRIDGE], times=[0.0, "yesterday"])
    with pytest.raises(DataError, match="repeats"):
        idx.add_many([FIRE, BRIDGE], item_ids=["a", "a"])
    assert len(idx) == 0
    with pytest.raises(DataError, match="single str"):
        idx.add_many(FIRE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda i: i.add(["list"]), "one headline"),
        (lambda i: i.add("  "), "empty"),
        (lambda i: i.add(FIRE, time="noon"), "Unix seconds"),
        (lambda i: i.add(FIRE, time=float("nan")), "finite"),
        (lambda i: i.add(FIRE, item_id=1.5), "str or an int"),
        (lambda i: i.add(FIRE, item_id=""), "empty"),
        (lambda i: i.add(FIRE, source=3), "source must be"),
        (lambda i: i.story_of("nope"), "not in the index"),
        (lambda i: i.members(99), "not in the index"),
    ],
)
def test_bad_input_gets_a_clear_error(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataError, match=message):
        call(DedupIndex())


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"threshold": 1.5}, "threshold"),
        ({"window_days": 0}, "window_days"),
        ({"max_items": 0}, "max_items"),
    ],
)
def test_bad_parameters_are_refused(kw: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        DedupIndex(**kw)


def test_save_and_load_give_the_same_answers(tmp_path: Path) -> None:
    idx, _out = filled([FIRE, BRIDGE, FIRE_REWORD, RATE_5, RATE_6, BRIDGE_COPY])
    idx.add(MATCH_A, item_id=7, time=10 * MIN, source="sport.kz")
    idx.forbid("i1", "i5")
    path = tmp_path / "index.fcm"
    idx.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["index.fcm"]  # no temp file left behind
    back = DedupIndex.load(path)
    assert len(back) == len(idx) and back.n_stories == idx.n_stories
    for i in ["i0", "i1", "i2", "i3", "i4", "i5", 7]:
        assert back.match_of(i) == idx.match_of(i)
    for t in (FIRE_COPY, WEATHER_A, BRIDGE_COPY):
        assert back.query(t, time=DAY / 2) == idx.query(t, time=DAY / 2)
    # ids and story numbering continue where they stopped
    assert back.add(WEATHER_A, item_id="w", time=11 * MIN) == idx.add(
        WEATHER_A, item_id="w", time=11 * MIN
    )


def test_a_model_file_is_not_an_index(tiny_model_path: Path) -> None:
    with pytest.raises(StateFileError, match="not a feedclass dedup index file"):
        DedupIndex.load(tiny_model_path)


def test_damaged_foreign_and_pickled_files_are_refused(tmp_path: Path) -> None:
    idx, _ = filled([FIRE, BRIDGE])
    good = tmp_path / "index.fcm"
    idx.save(good)
    cut = tmp_path / "cut.fcm"
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(StateFileError, match=r"cut\.fcm"):
        DedupIndex.load(cut)
    pick = tmp_path / "pickled.fcm"
    pick.write_bytes(pickle.dumps({"texts": [FIRE]}))
    with pytest.raises(StateFileError, match="pickle"):
        DedupIndex.load(pick)
    with pytest.raises(StateFileError, match="no such"):
        DedupIndex.load(tmp_path / "missing.fcm")
    with pytest.raises(StateFileError, match="does not exist"):
        idx.save(tmp_path / "no" / "such" / "folder.fcm")


# -- properties -------------------------------------------------------------------------------
_WORDS = ["пожар", "склад", "мост", "курс", "доллара", "Алматы", "Астане", "открыли", "на", "5",
          "6", "мая", "снег", "матч", "Тобол", "потушили"]  # fmt: skip


def _variant(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from(POOL))
    words = base.split()
    kind = draw(st.integers(0, 3))
    if kind == 1:
        words.insert(draw(st.integers(0, len(words))), draw(st.sampled_from(_WORDS)))
    elif kind == 2 and len(words) > 3:
        del words[draw(st.integers(0, len(words) - 1))]
    elif kind == 3:
        return " ".join(draw(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=6)))
    return " ".join(words)


@st.composite
def feeds(draw: st.DrawFn) -> list[tuple[str, str | None]]:
    n = draw(st.integers(1, 14))
    return [(_variant(draw), draw(st.sampled_from([None, None, "a", "b"]))) for _ in range(n)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feeds())
def test_story_invariants(feed: list[tuple[str, str | None]]) -> None:
    """Adding never moves an earlier item; no story holds one source twice; a member's score
    to the story's first item is at most the star rule's floor gap below the threshold (a near
    copy of another member may join a little below it: ``clusters.joins_story``)."""
    idx = DedupIndex()
    story_before: dict[str, int] = {}
    for k, (text, src) in enumerate(feed):
        m = idx.add(text, item_id=f"x{k}", time=k * MIN, source=src)
        for i, s in story_before.items():
            assert idx.story_of(i) == s
        story_before[f"x{k}"] = m.story_id
        if m.duplicate_of is not None:
            assert m.score is not None and m.score >= idx.threshold - STAR_FLOOR_GAP - 1e-9
    sources = dict(zip([f"x{k}" for k in range(len(feed))], [s for _, s in feed], strict=True))
    for sid in {idx.story_of(i) for i in story_before}:
        srcs = [sources[i] for i in idx.members(sid) if sources[i] is not None]
        assert len(srcs) == len(set(srcs))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feed=feeds(), a=st.integers(0, 13), b=st.integers(0, 13))
def test_forbid_is_respected_and_save_load_round_trips(
    feed: list[tuple[str, str | None]], a: int, b: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    idx = DedupIndex()
    for k, (text, src) in enumerate(feed):
        idx.add(text, item_id=k, time=k * MIN, source=src)
    a, b = a % len(feed), b % len(feed)
    if a != b:
        idx.forbid(a, b)
        assert idx.story_of(a) != idx.story_of(b)
        try:
            idx.merge_stories(idx.story_of(a), idx.story_of(b))
            raise AssertionError("a forbidden merge went through")
        except DataError:
            pass
    path = tmp_path_factory.mktemp("idx") / "i.fcm"
    idx.save(path)
    back = DedupIndex.load(path)
    for k in range(len(feed)):
        assert back.match_of(k) == idx.match_of(k)
    probe = FIRE_REWORD
    assert back.query(probe, time=len(feed) * MIN) == idx.query(probe, time=len(feed) * MIN)


def test_one_at_a_time_agrees_with_the_batch_on_a_small_feed() -> None:
    texts = [FIRE, RATE_5, BRIDGE, FIRE_REWORD, RATE_6, BRIDGE_COPY, WEATHER_A, FIRE_COPY,
             WEATHER_B, MATCH_A]  # fmt: skip
    batch = NearDuplicates().fit_predict(texts, times=np.arange(len(texts), dtype=float))
    _idx, out = filled(texts)
    ours = [m.story_id for m in out]
    assert len(set(zip(ours, batch.tolist(), strict=True))) == len(set(batch.tolist()))
    assert len(set(ours)) == len(set(batch.tolist())) == 7


# -- a batch into a non-empty index: the same answers as one item at a time -------------------
def _base_feed(n: int) -> list[str]:
    """``n`` headlines drawn (fixed seed) from the rewrites of the pool: enough stories that a
    batch spans several periods of the word statistics."""
    rng = np.random.default_rng(5)
    out = []
    for k in range(n):
        words = POOL[int(rng.integers(len(POOL)))].split()
        if rng.random() < 0.5:
            words.insert(int(rng.integers(len(words) + 1)), _WORDS[int(rng.integers(len(_WORDS)))])
        out.append(" ".join(words) + f" {k % 23}" * int(rng.random() < 0.3))
    return out


_BASE = _base_feed(260)


def _based(tmp: Path, **kw: object) -> tuple[DedupIndex, DedupIndex]:
    """Two identical indexes holding ``_BASE`` (one built, one loaded back from its file)."""
    idx = DedupIndex(**kw)  # type: ignore[arg-type]
    idx.add_many(_BASE[:200], [f"b{k}" for k in range(200)], [k * MIN for k in range(200)])
    for k in range(200, len(_BASE)):  # and some one by one, so a period is under way
        idx.add(_BASE[k], item_id=f"b{k}", time=k * MIN)
    idx.save(tmp / "base.fcm")
    for k in range(len(_BASE), len(_BASE) + 7):
        idx.add(_BASE[k % 50], item_id=f"c{k}", time=k * MIN)
    idx.save(tmp / "base.fcm")
    return DedupIndex.load(tmp / "base.fcm"), DedupIndex.load(tmp / "base.fcm")


@st.composite
def batches(draw: st.DrawFn) -> list[tuple[str, str, float, str | None]]:
    """Rows (text, id, time, source): new ids, ids already indexed or repeated in the batch
    (with their headline), times out of order and far enough ahead to forget old items."""
    n = draw(st.integers(1, 40))
    t0 = (len(_BASE) + 10) * MIN
    rows: list[tuple[str, str, float, str | None]] = []
    for k in range(n):
        kind = draw(st.integers(0, 9))
        t = t0 + draw(st.sampled_from([0.0, 1.0, 5.0, 30.0, 200.0, 2000.0])) * MIN
        src = draw(st.sampled_from([None, None, "a", "b"]))
        if kind == 0:
            j = draw(st.integers(0, 199))
            rows.append((_BASE[j], f"b{j}", t, src))
        elif kind == 1 and rows:
            text, iid, _t, _s = rows[draw(st.integers(0, len(rows) - 1))]
            rows.append((text, iid, t, src))
        else:
            rows.append((_variant(draw), f"n{k}", t, src))
    return rows


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=batches(),
    kw=st.sampled_from([{}, {"window_days": 0.5}, {"max_items": 150}, {"threshold": 0.6}]),
)
def test_add_many_gives_the_answers_of_one_at_a_time(
    rows: list[tuple[str, str, float, str | None]],
    kw: dict,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A batch into a non-empty index: the same Match for every row, the same story for
    every item held, the same members in the same order, as adding the rows one by one in
    time order (input order among equal times)."""
    one, many = _based(tmp_path_factory.mktemp("idx"), **kw)
    texts, ids, times, srcs = (list(c) for c in zip(*rows, strict=True))
    got = many.add_many(texts, ids, times, srcs)
    order = sorted(range(len(rows)), key=lambda k: times[k])
    want: list[Match | None] = [None] * len(rows)
    for k in order:
        want[k] = one.add(texts[k], item_id=ids[k], time=times[k], source=srcs[k])
    assert got == want
    assert one.items() == many.items()
    assert {s: one.members(s) for _i, _t, _tm, s in one.items()} == {
        s: many.members(s) for _i, _t, _tm, s in many.items()
    }
    probe = FIRE_REWORD
    assert one.query(probe) == many.query(probe)


def test_a_batch_spanning_many_periods_matches_one_at_a_time(tmp_path: Path) -> None:
    """A batch of 600 rows into 267 items crosses periods of the statistics (every ~4 rows
    at first, longer as the index grows) and still answers as one-at-a-time adds."""
    one, many = _based(tmp_path)
    rng = np.random.default_rng(8)
    texts = [_BASE[int(rng.integers(len(_BASE)))] + f" {k % 7}" for k in range(600)]
    ids = [f"m{k}" for k in range(600)]
    times = [(300 + k // 3) * MIN for k in range(600)]
    got = many.add_many(texts, ids, times)
    want = [one.add(t, item_id=i, time=tm) for t, i, tm in zip(texts, ids, times, strict=True)]
    assert got == want
    assert sum(m.duplicate_of is not None for m in got) > 100  # the batch did join stories
    assert one.items() == many.items()


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(0, 400),
    m=st.integers(1, 30),
    seed=st.integers(0, 2**16),
    n_keys=st.sampled_from([3, 12, 60]),
)
def test_period_lookup_finds_what_one_lookup_at_a_time_finds(
    n: int, m: int, seed: int, n_keys: int
) -> None:
    """BandTable.lookup_period for m new items equals, for each, lookup + top_voted against
    the table as it stands when that item is added (earlier new items in, forgotten out)."""
    from feedclass.dedup.bandtable import WALK, BandTable, top_voted

    rng = np.random.default_rng(seed)
    # distinct keys within a row, as band keys are (each band's hash is its own)
    keys = (rng.integers(0, n_keys, size=(n + m, 6)) + n_keys * np.arange(6)).astype(np.uint64)
    dies = np.where(rng.random(n + m) < 0.2, rng.integers(-1, m, n + m), np.iinfo(np.int64).max)
    dies[n:] = np.maximum(dies[n:], np.arange(m) + 1)  # a new item lives at least past its step
    alive = dies > -1
    table = BandTable()
    for s in range(n):
        table.add(keys[s], s, np.ones(n + m, dtype=bool))
    got = table.lookup_period(keys[n:], np.arange(m), dies, WALK, 16)
    one = BandTable()
    for s in range(n):
        one.add(keys[s], s, np.ones(n + m, dtype=bool))
    for e in range(m):
        now = alive & (dies > e)
        now[n + e :] = False
        want = top_voted(one.lookup(keys[n + e], now), 16)
        assert got[e][got[e] >= 0].tolist() == want.tolist()
        one.add(keys[n + e], n + e, now | (np.arange(n + m) >= n + e))


def test_a_copy_with_a_slip_of_the_pen_scores_as_the_pair_alone_would() -> None:
    """A letter dropped or two swapped: the index scores that pair as the batch scores the
    two headlines alone (undoing the slip), whichever other headlines share the call."""
    from feedclass.dedup.featurize import featurize
    from feedclass.dedup.pairs import pair_scores

    clean = "Строительство нового моста через Иртыш в Павлодаре завершится к осени"
    slip = "Сртоительство нового моста через Иртыш в Павлодаре завершится к осени"
    _idx, (a, b) = filled([clean, slip])
    assert b.story_id == a.story_id and b.duplicate_of == "i0"
    f, _ = featurize([clean, slip])
    alone = float(pair_scores(f, np.array([0]), np.array([1]))[0])
    many, one = DedupIndex(), DedupIndex()
    rows = [(WEATHER_A, "w"), (slip, "i1"), (RATE_5, "r")]
    many.add(clean, item_id="i0", time=0.0)
    one.add(clean, item_id="i0", time=0.0)
    got = many.add_many([t for t, _ in rows], [i for _, i in rows], [MIN] * 3)
    assert got == [one.add(t, item_id=i, time=MIN) for t, i in rows]  # batched or not
    assert got[1].story_id == many.story_of("i0")
    g, _ = featurize([clean, slip], typos=False)
    unrepaired = float(pair_scores(g, np.array([0]), np.array([1]))[0])
    assert b.score is not None and abs(b.score - alone) < 0.03 < b.score - unrepaired


def test_an_index_file_without_stems_and_counts_still_loads(tmp_path: Path) -> None:
    """Files written before the state carried stems and counts load from the texts, and
    answer as the index saved."""
    from feedclass.dedup.indexfile import read_index_file, write_index_file

    idx, _ = filled([FIRE, BRIDGE, FIRE_REWORD, RATE_5])
    idx.save(tmp_path / "new.fcm")
    header, arrays = read_index_file(tmp_path / "new.fcm")
    old = {k: v for k, v in arrays.items() if not k.startswith(("count_", "stem_", "hash"))}
    assert len(old) < len(arrays)
    write_index_file(tmp_path / "old.fcm", {k: v for k, v in header.items() if k != "arrays"}, old)
    back = DedupIndex.load(tmp_path / "old.fcm")
    assert back.items() == idx.items()
    assert back.query(FIRE_COPY, time=5 * MIN) == idx.query(FIRE_COPY, time=5 * MIN)
