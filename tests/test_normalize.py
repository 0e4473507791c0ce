from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedclass.normalize import normalize_many, normalize_text


def test_folds_case_yo_quotes_dashes_and_space() -> None:
    assert normalize_text("  «Ёлка»\u00a0—  ЖАҢА\tжыл ") == '"елка" - жаңа жыл'


def test_keeps_every_kazakh_and_russian_letter() -> None:
    kazakh = "әғқңөұүһі"
    assert normalize_text(kazakh.upper()) == kazakh
    assert normalize_text("Йошкар-Ола, Қазақстан, Өскемен") == "йошкар-ола, қазақстан, өскемен"


def test_decomposed_short_i_is_composed_not_stripped() -> None:
    # "и" + combining breve is how some sites send "й"; it must stay a "й".
    assert normalize_text("мои\u0306") == "мой"


def test_invisible_characters_removed() -> None:
    assert normalize_text("пере\u00adвод\u200b слов") == "перевод слов"


def test_refuses_non_strings() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        normalize_text(None)  # type: ignore[arg-type]


@given(st.text())
def test_idempotent_and_total(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert "ё" not in once
    assert once == once.strip()


@given(st.lists(st.text(), max_size=20))
def test_batch_equals_one_by_one(texts: list[str]) -> None:
    assert normalize_many(texts) == [normalize_text(t) for t in texts]


@given(st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll"))))
def test_letters_survive(text: str) -> None:
    # Every letter of the input still has a letter in the output (no accent stripping).
    out = normalize_text(text)
    assert sum(c.isalpha() for c in out) >= sum(c.isalpha() for c in text.replace("ё", "е")) - 0


# --- text as real feeds write it (headlines below are our own) ---


def test_compatibility_forms_fold() -> None:
    # full-width Latin and digits, a ligature, a superscript, an ideographic space
    assert normalize_text("ＡＩ-９２ ﬁnal м²\u3000цена") == "ai-92 final м2 цена"


def test_html_entities_tags_and_double_escapes() -> None:
    raw = "&laquo;Мост&raquo;&nbsp;открыт <b>в</b> Павлодаре&amp;nbsp;&#8212; <br/>"
    assert normalize_text(raw) == '"мост" открыт в павлодаре -'
    # no semicolon, no entity: "AT&T" and "a < b" are text
    assert normalize_text("AT&T и M&A: 3 < 5") == "at&t и m&a: 3 < 5"
    # a numeric entity for a newline is a space, never a second headline
    assert normalize_text("мост&#10;открыт") == "мост открыт"


def test_pictographs_links_tags_and_mentions() -> None:
    raw = "⚡️🔴 Мост открыт #Павлодар 👇🇰🇿 https://t.me/some_channel/123 @some_channel"
    assert normalize_text(raw) == "мост открыт павлодар"
    # keycap digits keep their digit; an e-mail is not a mention
    assert normalize_text("1️⃣ мост a@b.kz") == "1 мост a@b.kz"


def test_latin_look_alikes_inside_cyrillic_words() -> None:
    assert normalize_text("Пpeзидeнт KАЗАХСТАНА") == "президент казахстана"
    # and the other way round, in a Latin word
    assert normalize_text("Аpple оpens stоre") == "apple opens store"


def test_unmixed_words_and_genuine_latin_stay() -> None:
    # a word in one script is never touched, whatever its neighbours are
    assert normalize_text("Apple и Tesla в Алматы") == "apple и tesla в алматы"
    assert normalize_text("COVID-19 в КНР") == "covid-19 в кнр"


def test_kazakh_letters_are_never_folded_away() -> None:
    kazakh = "Қазақстан әлем өнер үй ұлт ғылым ңң һ іі"
    assert normalize_text(kazakh) == kazakh.lower()
    # a Latin i typed for the Kazakh і becomes the Kazakh letter
    assert normalize_text("бiлiм") == "білім"
    # a Kazakh і inside a Latin word is not folded to Latin
    assert "і" in normalize_text("Bіlim")


def test_kazakh_latin_2021_is_read_as_kazakh() -> None:
    assert normalize_text("Qazaqstan jaña mektep aşty") == "қазақстан жаңа мектеп ашты"
    assert normalize_text("Deñgeiı") == "деңгейі"
    # English has none of the alphabet's own letters: left alone
    assert normalize_text("Iraq and Qatar sign deal") == "iraq and qatar sign deal"


letters_and_marks = st.text(
    alphabet=st.sampled_from(
        list("aAbBcCeEhHiIkKmMoOpPtTxXyYsqäğñöşūüıİë")
        + list("аАвВсСеЕнНкКмМоОрРтТхХуУёЁжЖіІәӘқҚңұүһ")
        + ["\u0301", "\u0308", " ", "-", "#", "@", "&", ";", "\x00", "\n", "🔴", "\ufe0f"]
    ),
    max_size=30,
)


@given(letters_and_marks)
def test_mixed_scripts_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@given(st.lists(letters_and_marks, max_size=10))
def test_mixed_scripts_batch_equals_one_by_one(texts: list[str]) -> None:
    texts = [t.replace("\x00", "") for t in texts]
    assert normalize_many(texts) == [normalize_text(t) for t in texts]


@given(st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll")), max_size=40))
def test_letters_stay_letters_under_script_folding(text: str) -> None:
    # look-alike and Kazakh Latin folds map a letter to a letter, one for one
    from feedclass.scripts import fold_scripts

    out = fold_scripts(text)
    assert len(out) == len(text)
    assert all(a == b or (a.isalpha() and b.isalpha()) for a, b in zip(text, out, strict=True))
    assert fold_scripts(out) == out


markup = st.lists(
    st.sampled_from(
        list("&#;amplquonbsx<>/b:w.@ht рс")
        + ["&amp;", "&laquo;", "<b>", "</a>", "https://", "www."]
    ),
    max_size=12,
).map("".join)


@given(st.lists(markup, max_size=8))
def test_markup_idempotent_and_batch_equal(texts: list[str]) -> None:
    for t in texts:
        once = normalize_text(t)
        assert normalize_text(once) == once
    assert normalize_many(texts) == [normalize_text(t) for t in texts]


@given(letters_and_marks)
def test_no_kazakh_letter_is_ever_folded_away(text: str) -> None:
    # look-alike folds may add a Kazakh letter (Latin i -> і), never take one away (a combining
    # mark after one is left out: "ә" + diaeresis is the letter "ӛ" to Unicode)
    kazakh = set("әғқңөұүһі")
    for c in "@#&\u0301\u0308":
        text = text.replace(c, "")
    before = sum(c in kazakh for c in text.lower())
    assert sum(c in kazakh for c in normalize_text(text)) >= before
