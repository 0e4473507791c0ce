"""Headlines as real feeds write them: the same story must stay the same story.

Every headline here is our own. The edits are the ones ``benchmarks/bench_robust.py`` measures:
look-alike letters, compatibility forms, HTML leftovers, emoji marks, links and mentions, odd
spaces, Kazakh in the 2021 Latin alphabet and on a Russian keyboard.
"""

from __future__ import annotations

import numpy as np
import pytest

from feedclass.dedup import NearDuplicates, dedup_form
from feedclass.dedup.tokens import tokenize
from feedclass.normalize import normalize_many, normalize_text

CLEAN = [
    "Аким Павлодара открыл новый мост через Иртыш",
    "Нацбанк сохранил базовую ставку на прежнем уровне",
    "Сборная Казахстана по хоккею обыграла Латвию",
    "Жаңа мектеп Ақтөбеде ашылды",
    "Ғалымдар Балқаш көлінің деңгейін өлшеді",
    "Apple opens its first store in Almaty",
]
EDITED = [
    "Aким Пaвлодapa открыл новый мост через Иpтыш",  # Latin look-alikes
    "⚡️СРОЧНО: Нацбанк&nbsp;сохранил &laquo;базовую ставку&raquo; на прежнем уровне 👇",
    "Сборная #Казахстана по\u00a0хоккею обы\u00adграла Латвию https://t.me/some_news/77 @some_news",
    "Jaña mektep Aqtöbede aşyldy",  # Kazakh, 2021 Latin alphabet
    "Галымдар Балкаш колінін денгейін олшеді",  # Kazakh typed on a Russian keyboard
    "Аpple оpens its ｆｉｒｓｔ store in Almaty",  # Cyrillic look-alikes, full-width
]


@pytest.mark.parametrize("i", [0, 2, 3, 5])
def test_edited_headline_normalises_to_the_clean_one(i: int) -> None:
    # (4, Russian-keyboard Kazakh, keeps its letters: dedup matches it by stems, below)
    assert normalize_text(EDITED[i]) == normalize_text(CLEAN[i])


def test_entities_and_emoji_leave_the_words_and_quotes() -> None:
    # the mark is a word the classifier may weigh; dedup strips it (below)
    assert normalize_text(EDITED[1]) == (
        'срочно: нацбанк сохранил "базовую ставку" на прежнем уровне'
    )


def test_batch_path_folds_alike() -> None:
    assert normalize_many(EDITED) == [normalize_text(t) for t in EDITED]


def test_russian_keyboard_kazakh_shares_stems_but_keeps_its_words() -> None:
    a, b = tokenize([CLEAN[4]]), tokenize([EDITED[4]])
    assert a["shash"].tolist() == b["shash"].tolist()
    assert a["whash"].tolist() != b["whash"].tolist()
    assert "ғ" in dedup_form(CLEAN[4])  # the text itself keeps every Kazakh letter


def test_dedup_marks_behind_emoji_are_stripped() -> None:
    assert dedup_form(EDITED[1]) == dedup_form(CLEAN[1])


def test_every_edited_copy_joins_its_story_and_stories_stay_apart() -> None:
    labels = NearDuplicates().fit_predict(CLEAN + EDITED)
    n = len(CLEAN)
    assert labels[:n].tolist() == labels[n:].tolist()
    assert np.unique(labels[:n]).size == n
