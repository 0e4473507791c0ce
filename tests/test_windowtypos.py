"""The index reads slips of the pen by its window's counts, as the batch reads them by the feed's.

Headlines here are our own.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from feedclass import DedupIndex
from feedclass.dedup.facts import content_tokens, feed_typo_words
from feedclass.dedup.windowtypos import WindowTypos

# long words and slips of them (a letter dropped, not the first; two neighbours swapped)
_WORDS = ["строительство", "караганде", "назарбаевым", "переговоры", "правительство"]


def _slips(w: str) -> list[str]:
    drops = [w[:p] + w[p + 1 :] for p in range(1, len(w))]
    swaps = [w[:p] + w[p + 1] + w[p] + w[p + 2 :] for p in range(1, len(w) - 1)]
    return [w] + drops + swaps


_FORMS = [f for w in _WORDS for f in _slips(w)[:6]] + ["мост", "школа"] + _slips("ноября")[:4]


def _window_of(texts: list[str]) -> WindowTypos:
    w = WindowTypos()
    t = feed_typo_words(texts)
    w.add_counts(t, t.keys, t.counts, +1)
    w.rebuild()
    return w


@settings(max_examples=60, deadline=None)
@given(
    feed=st.lists(
        st.lists(st.sampled_from(_FORMS), min_size=1, max_size=4).map(" ".join),
        min_size=1,
        max_size=25,
    )
)
def test_a_window_holding_the_feed_reads_every_word_as_the_batch_does(feed: list[str]) -> None:
    """With the whole feed counted, each word of each headline becomes the word the batch's
    slip map picks over that feed (most frequent, then surname, then longer, no chains)."""
    batch = content_tokens(feed, typos=True)
    w = _window_of(feed)
    for k, text in enumerate(feed):
        mine = content_tokens([text], typos=w.table_for(feed_typo_words([text])))
        theirs = batch.whash[batch.doc == k]
        assert mine.whash.tolist() == theirs.tolist(), text


def test_an_uncounted_slip_reads_as_the_counted_word_and_never_the_other_way() -> None:
    held = ["Строительство моста", "Строительство школы"]
    w = _window_of(held)
    ref = content_tokens(["Строительство"], typos=False).whash[0]
    for slip in ("Сртоительство", "Стрительство", "Строительтсво"):
        got = content_tokens([slip], typos=w.table_for(feed_typo_words([slip]))).whash[0]
        assert got == ref, slip
    # two uncounted words never decide between themselves (that would depend on the call)
    pair = ["Караганде", "Карагнде"]
    got = content_tokens(pair, typos=w.table_for(feed_typo_words(pair))).whash
    assert got[0] != got[1]
    # a substituted letter is no slip: two people stay two
    w2 = _window_of(["Сагинтаев прибыл", "Сагинтаев уехал"])
    other = ["Сагинбаев"]
    got = content_tokens(other, typos=w2.table_for(feed_typo_words(other))).whash[0]
    assert got == content_tokens(other, typos=False).whash[0]


def test_two_copies_with_different_slips_of_a_common_word_join_one_story() -> None:
    """Neither copy is a slip of the other («Сртоительство» / «Стрительство»), so the pair
    alone cannot undo them; the window, where «строительство» is common, reads both as it."""
    idx = DedupIndex()
    others = [
        "Строительство новой школы в Павлодаре завершат к осени",
        "Строительство дороги Алматы - Капчагай подорожало",
        "В Шымкенте приостановили строительство жилого комплекса",
        "Строительство метро в Алматы продолжат в следующем году",
        "Инвесторы вложат деньги в строительство завода в Актобе",
        "Строительство стадиона в Туркестане идёт с опозданием",
    ]
    for k, t in enumerate(others):
        idx.add(t, item_id=f"o{k}", time=float(k))
    # short: the slipped word carries much of the headline
    a = idx.add("Сртоительство моста в Семее", item_id="a", time=10.0)
    b = idx.add("Стрительство моста в Семее", item_id="b", time=11.0)
    assert a.duplicate_of is None
    assert b.story_id == a.story_id and b.duplicate_of == "a"


def test_the_slip_map_survives_save_and_load(tmp_path) -> None:
    """A loaded index counts the words of its items again: a copy whose slip differs from the
    held one's («Сртоительство» / «Стрительство») is still read through «строительство»."""
    idx = DedupIndex()
    base = ["Строительство школы в Таразе", "Строительство дороги в Кокшетау", "Курс тенге"]
    for k, t in enumerate(base * 3):
        idx.add(t + f" {k}", item_id=k, time=float(k))
    idx.add("Стрительство моста в Семее", item_id="held", time=20.0)
    idx.save(tmp_path / "i.fcm")
    back = DedupIndex.load(tmp_path / "i.fcm")
    probe = "Сртоительство моста в Семее"
    assert idx.query(probe).duplicate_of == "held"
    assert back.query(probe) == idx.query(probe)
    assert np.isclose(idx.query(probe).score, back.query(probe).score)
