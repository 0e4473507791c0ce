"""Tests for feedclass.language: which headlines the Russian word vectors reach."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from feedclass.language import NON_RUSSIAN_CYRILLIC, is_russian, russian_mask


def test_russian_kazakh_and_english_headlines_are_told_apart():
    assert russian_mask(
        [
            "Правительство утвердило новые тарифы на электроэнергию",
            "Үкімет электр энергиясына жаңа тарифтерді бекітті",
            "Government approves new electricity tariffs",
            "Астанада қар жауды",  # short Kazakh: one such letter is enough
            "Курс доллара на KASE вырос до 520 тенге",  # a Latin acronym in a Russian headline
            "",
            "2026",
        ]
    ).tolist() == [True, False, False, False, True, False, False]


def test_a_kazakh_spelled_name_keeps_a_long_russian_headline_russian():
    assert is_russian("Касым-Жомарт Тоқаев провёл совещание по развитию сельского хозяйства")
    # Ukrainian and Belarusian letters are not Russian either.
    assert not is_russian("Київ і Львів")


def test_the_mask_is_the_per_headline_rule():
    texts = ["Матч", "Match", "Жаңалық", "Новости", "x" * 10 + "ы" * 11]
    assert russian_mask(texts).tolist() == [is_russian(t) for t in texts]
    assert russian_mask([]).shape == (0,)


@given(st.lists(st.text(max_size=40), max_size=8))
def test_the_mask_of_a_batch_is_that_of_each_text(texts):
    # Never crashes on any Unicode (lone surrogates, NUL, astral), and a text's answer does
    # not depend on its neighbours in the batch.
    mask = russian_mask(texts)
    assert mask.dtype == bool and mask.shape == (len(texts),)
    assert mask.tolist() == [bool(russian_mask([t])[0]) for t in texts]


@given(st.text(alphabet="абвгдежзиклмнопрстуфхцчшщыэюя ", min_size=1, max_size=80))
def test_russian_letters_are_russian_until_foreign_letters_pass_their_share(text):
    words = text.split()
    if words:
        assert is_russian(text)
        # One Kazakh letter per word: Kazakh, unless the words are long enough that the
        # letters stay under 2% of the Cyrillic ones (a Kazakh-spelled name).
        marked = " ".join(w + "қ" for w in words)
        letters = sum(map(len, words)) + len(words)
        assert is_russian(marked) == (len(words) < 0.02 * letters)
    assert "қ" in NON_RUSSIAN_CYRILLIC and "ё" not in NON_RUSSIAN_CYRILLIC


@given(st.text(max_size=60))
def test_russian_keyboard_leaves_no_kazakh_letter_but_i(text: str) -> None:
    from feedclass.language import russian_keyboard

    typed = russian_keyboard(text)
    assert len(typed) == len(text)
    assert not set(typed) & (set("әғқңөұүһӘҒҚҢӨҰҮҺ"))
    assert russian_keyboard(typed) == typed
    # Every other character is left alone.
    assert all(a == b for a, b in zip(text, typed, strict=True) if a not in "әғқңөұүһӘҒҚҢӨҰҮҺ")


def test_russian_keyboard_spelling_stays_kazakh_by_its_i() -> None:
    from feedclass.language import russian_keyboard

    assert russian_keyboard("Үкімет отырысы өтті") == "Укімет отырысы отті"
