"""The desk's story index: one item at a time, numbers as facts, forbidden pairs, forgetting."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from feedclass.serve.index import StoryIndex, index_tokens

WORDS = [
    "пожар",
    "складе",
    "алматы",
    "курс",
    "доллара",
    "вырос",
    "аким",
    "встретился",
    "жителями",
    "рыбакина",
    "финал",
    "турнира",
    "снегопад",
    "астане",
]


def test_reworded_copy_joins_and_other_facts_do_not():
    ix = StoryIndex(threshold=0.6)
    assert ix.add("Пожар на складе в Алматы", 1, 0.0, new_story_id=1).story_id == 1
    m = ix.add("СРОЧНО: пожар на складе в Алматы", 2, 1.0, new_story_id=2)
    assert (m.story_id, m.duplicate_of, m.seen_before) == (1, 1, True)
    assert ix.add("Курс доллара на 5 мая", 3, 2.0, new_story_id=3).story_id == 3
    assert ix.add("Курс доллара на 6 мая", 4, 3.0, new_story_id=4).story_id == 4
    assert ix.add("Рыбакина вышла в финал", 5, 4.0, new_story_id=5).story_id == 5


def test_forbidden_pairs_and_moves():
    ix = StoryIndex(threshold=0.6)
    ix.add("Пожар на складе в Алматы", 1, 0.0, new_story_id=1)
    ix.add("Пожар на складе в Алматы.", 2, 0.0, story_id=2)  # stored as an editor split it
    ix.forbid(1, 2)
    assert ix.forbidden(1, 2) and ix.forbidden(2, 1)
    ix.move(2, 1)
    assert ix.story_of(2) == 1
    ix.remove(2)
    assert 2 not in ix and len(ix) == 1


def test_old_items_are_forgotten():
    ix = StoryIndex(threshold=0.6, history_days=1)
    ix.add("Пожар на складе в Алматы", 1, 0.0, new_story_id=1)
    m = ix.add("Пожар на складе в Алматы", 2, 2 * 86400.0, new_story_id=2)
    assert m.story_id == 2 and 1 not in ix


headline = st.lists(
    st.sampled_from(WORDS) | st.integers(0, 30).map(str), min_size=1, max_size=7
).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(headline, min_size=1, max_size=40))
def test_every_item_is_in_exactly_one_story_and_copies_join(texts):
    ix = StoryIndex(threshold=0.6)
    story = {}
    for k, t in enumerate(texts):
        m = ix.add(t, k, float(k), new_story_id=1000 + k)
        story[k] = m.story_id
        if m.duplicate_of is not None:
            assert story[m.duplicate_of] == m.story_id and m.duplicate_of < k
            assert m.score >= 0.6
    members = {}
    for k in story:
        members.setdefault(ix.story_of(k), []).append(k)
    assert sorted(k for ks in members.values() for k in ks) == list(range(len(texts)))
    # an exact copy of any stored headline joins a story (its own or an equal one)
    for k, t in enumerate(texts):
        if index_tokens(t)[0]:
            m = ix.add(t, 10_000 + k, float(len(texts)), new_story_id=99_999)
            assert m.story_id != 99_999


@given(st.text(max_size=80))
def test_tokens_never_crash(text):
    words, numbers = index_tokens(text)
    assert all(n.isdigit() for n in numbers) and "" not in words
