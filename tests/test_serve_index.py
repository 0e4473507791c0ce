"""The desk's story index: desk story ids over the dedup index, editor actions, rebuilding."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from feedclass.serve.index import StoryIndex

FIRE = "Пожар на складе в Алматы"
FIRE_2 = "Срочно: пожар на складе в Алматы"
RATE_5 = "Курс доллара на 5 мая вырос до 480 тенге"
RATE_6 = "Курс доллара на 6 мая вырос до 480 тенге"


def test_copies_join_the_desk_story_and_other_facts_do_not():
    ix = StoryIndex()
    p = ix.add_many([FIRE, FIRE_2, RATE_5, RATE_6], [1, 2, 3, 4], [0.0, 1, 2, 3], [10, 11, 12, 13])
    assert [(x.story_id, x.duplicate_of) for x in p] == [
        (10, None),
        (10, 1),
        (12, None),
        (13, None),
    ]
    assert p[1].score >= 0.75 and ix.story_of(2) == 10


def test_split_merge_forbid_keep_desk_ids():
    ix = StoryIndex()
    ix.add_many([FIRE, FIRE_2], [1, 2], [0.0, 1.0], [5, 6])
    ix.split(2, 40)  # the editor's new story
    assert ix.story_of(2) == 40 and ix.story_of(1) == 5
    # a new copy does not bring the split pair back together
    p = ix.add_many([FIRE + "!"], [3], [2.0], [41])[0]
    assert p.story_id in (5, 40)
    ix.add_many([RATE_5], [4], [3.0], [50])
    ix.merge(5, 50)
    assert ix.story_of(4) == 5
    ix.remove(4)
    assert 4 not in ix and ix.story_of(4) is None


def test_rebuild_keeps_stories_and_numbers_new_ones_past_them():
    rows = [(1, FIRE, 0.0, 7), (2, FIRE_2, 1.0, 9)]  # stored as two stories (an editor split)
    ix = StoryIndex.rebuild(rows, [(1, 2)], next_story=10)
    assert ix.story_of(1) == 7 and ix.story_of(2) == 9
    p = ix.add_many([RATE_5, FIRE], [3, 4], [2.0, 3.0], [10, 11])
    assert p[0].story_id == 10 and p[1].story_id in (7, 9)


def test_old_items_are_forgotten():
    ix = StoryIndex(history_days=1)
    ix.add_many([FIRE], [1], [0.0], [1])
    p = ix.add_many([FIRE], [2], [2 * 86400.0], [2])[0]
    assert p.story_id == 2 and 1 not in ix


PLACES = ["Алматы", "Астане", "Шымкенте", "Караганде"]
EVENTS = ["Пожар на складе", "Открылась новая школа", "Прошёл марафон", "Ремонт дороги"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.booleans()), max_size=30))
def test_every_item_is_in_exactly_one_desk_story(spec):
    ix = StoryIndex()
    texts = [("Срочно: " if b else "") + f"{EVENTS[e]} в {PLACES[p]}" for e, p, b in spec]
    keys = list(range(1, len(texts) + 1))
    placed = ix.add_many(texts, keys, [float(k) for k in keys], [100 + k for k in keys])
    for p in placed:
        assert ix.story_of(p.item_id) == p.story_id
        if p.duplicate_of is not None:
            assert ix.story_of(p.duplicate_of) == p.story_id and p.duplicate_of < p.item_id
    # different events or places never share a story
    story_text = {}
    for p, t in zip(placed, texts, strict=True):
        story_text.setdefault(p.story_id, set()).add(t.removeprefix("Срочно: "))
    assert all(len(v) == 1 for v in story_text.values())
