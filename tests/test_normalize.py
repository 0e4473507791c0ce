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
