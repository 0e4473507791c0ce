"""Pair signals: trailing source segments, names written two ways, and containment.

Headlines written for these tests.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from feedclass.dedup import NearDuplicates, featurize, pair_features, pair_similarities
from feedclass.dedup.facts import trailing_segments
from feedclass.dedup.pairs import Feature, score_features
from feedclass.dedup.tokens import tokenize
from feedclass.dedup.typos import TYPO_MIN_LEN, is_slip

STORY = "Аким Павлодара открыл новую поликлинику в микрорайоне Усолка"


def _index_scores(a: list[str], b: list[str]) -> np.ndarray:
    """Pair scores as the incremental index makes them: no slip undone against the batch."""
    f, _ = featurize(a + b, typos=False)
    k = np.arange(len(a))
    return score_features(pair_features(f, k, k + len(a)))


OTHERS = [
    "Аким Павлодара провел прием граждан по вопросам ЖКХ",
    "Минздрав открыл новую поликлинику в Экибастузе",
    "В Павлодаре выпал первый снег",
    "Нацбанк сохранил базовую ставку на прежнем уровне",
]


def test_copies_with_two_sources_in_trailing_segments_join_one_story() -> None:
    # one story carried with different outlets' attributions: two copies' source names differ,
    # which must not veto the second copy out of the story
    copies = [
        f"{STORY} — передает Ertis Media",
        f"{STORY} // Иртыш-Инфо",
        f"{STORY} — пишет Павлодар Ньюс",
        f"{STORY} (Ertis Media)",
    ]
    labels = NearDuplicates().fit_predict([STORY, *copies, *OTHERS])
    assert len(set(labels[:5])) == 1, labels
    assert labels[0] not in set(labels[5:])
    s = pair_similarities(copies[:2], copies[2:])
    assert (s > 0).all(), s  # no fact veto between two sources


def test_names_in_the_same_trailing_role_still_conflict() -> None:
    # two teams, two cities, two people after the same separator: different news
    s = pair_similarities(
        [
            "Полуфинал кубка страны по футболу: Кайрат — Астана",
            "Сильный взрыв прогремел на химическом заводе (Караганда)",
            "Сильный взрыв прогремел на химическом заводе в Темиртау",
        ],
        [
            "Полуфинал кубка страны по футболу: Кайрат — Тобол",
            "Сильный взрыв прогремел на химическом заводе (Темиртау)",
            "Сильный взрыв прогремел на химическом заводе — Караганда",
        ],
    )
    assert (s == 0).all(), s


def test_a_closed_bracket_ends_no_trailing_segment() -> None:
    tk = tokenize(["Аким открыл (после ремонта) мост через реку", "Мэр Лондона — Садик Хан"])
    tail, role = trailing_segments(tk, 2)
    assert not tail.any() and not role.any()  # the bracket closed; two words before the dash


def test_a_slipped_surname_is_one_person_even_without_the_batch() -> None:
    # the index featurizes without undoing slips against its call: the pair itself decides
    a = ["Депутат Омарбеков предложил снизить тарифы на электричество"] * 2
    b = [
        "Депутат Омрабеков предложил снизить тарифы на электричество",  # swapped letters
        "Депутат Омарбков предложил снизить тарифы на электричество",  # dropped letter
    ]
    assert (_index_scores(a, b) > 0).all()
    subst = _index_scores(
        ["Депутат Сагинтаев предложил снизить тарифы на электричество"],
        ["Депутат Сагинбаев предложил снизить тарифы на электричество"],
    )
    assert subst.tolist() == [0.0]  # a substituted letter: two people


def test_templates_stay_apart() -> None:
    s = pair_similarities(
        ["Курс доллара на 5 мая", "Погода в Астане на 12 июня"],
        ["Курс доллара на 6 мая", "Погода в Астане на 13 июня"],
    )
    assert s.tolist() == [0.0, 0.0]


def test_containment_is_weighed_by_rare_words() -> None:
    f, _ = featurize(
        [
            "Нацбанк раскритиковал модернизацию морского порта",
            "раскритиковал модернизацию морского порта",  # the subject dropped
            "Нацбанк раскритиковал модернизацию железной дороги",
        ]
    )
    x = pair_features(f, np.array([0, 0]), np.array([1, 2]))
    assert x[0, Feature.IDF_CONTAINMENT] == 1.0
    assert x[1, Feature.IDF_CONTAINMENT] < 0.7


_LETTERS = "абвгдежзийклмнопрстуфхцчшщыэюя"


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=_LETTERS, min_size=TYPO_MIN_LEN, max_size=14),
    st.integers(min_value=1, max_value=13),
    st.sampled_from(["drop", "swap", "substitute"]),
    st.sampled_from(list(_LETTERS)),
)
def test_a_slip_is_a_drop_or_a_swap_never_a_substitution(
    word: str, p: int, kind: str, letter: str
) -> None:
    p = min(p, len(word) - 2)
    if kind == "drop":
        other = word[:p] + word[p + 1 :]
        expect = True
    elif kind == "swap":
        other = word[:p] + word[p + 1] + word[p] + word[p + 2 :]
        expect = word[p] != word[p + 1]  # swapping equal letters changes nothing
    else:
        other = word[:p] + letter + word[p + 1 :]
        expect = False
    a = np.array([ord(c) for c in word], dtype=np.uint16)
    b = np.array([ord(c) for c in other], dtype=np.uint16)
    assert is_slip(a, 0, a.size, b, 0, b.size) == expect
    assert is_slip(b, 0, b.size, a, 0, a.size) == expect  # symmetric


def test_a_place_and_its_adjective_are_one_name_in_another_role() -> None:
    # «Суд Вены» / «Венский суд»: the place and its adjective; before, «Вены» was a name the
    # other side lacked, so the pair counted a name conflict and, with no other word changed on
    # one side, a substitution (score 0)
    a = ["Суд Вены оправдал бывшего министра финансов", "Пожар в аэропорту Рима потушили"]
    b = ["Венский суд оправдал бывшего министра финансов", "Пожар в римском аэропорту потушили"]
    f, _ = featurize(a + b)
    x = pair_features(f, np.arange(2), np.arange(2) + 2)
    assert x[:, Feature.ENTITY_CONFLICT].tolist() == [0.0, 0.0]
    assert x[:, Feature.NAMES_MISSING].tolist() == [0.0, 0.0]
    assert (pair_similarities(a, b) >= 0.75).all()
    # the index scores pairs without the batch: the same there
    assert (_index_scores(a, b) >= 0.75).all()


def test_a_different_place_or_person_still_conflicts_with_an_adjective_around() -> None:
    a = [
        "Венский суд оправдал бывшего министра финансов",
        "Венский суд оправдал бывшего министра Иванова",
        "Сагинтаев посетил венский завод",
    ]
    b = [
        "Суд Праги оправдал бывшего министра финансов",
        "Венский суд оправдал бывшего министра Петрова",
        "Сагинбаев посетил венский завод",
    ]
    assert (pair_similarities(a, b) == 0.0).all()


def test_two_cases_of_a_short_name_are_one_name() -> None:
    # the stemmer cuts «Китая» to «кит» and «Китае» to «кита»: one country, no conflict
    a = ["Власти Китая приговорили блогера к десяти годам", "Пожар в театре «Школа танца» потушен"]
    b = ["В Китае блогера приговорили к десяти годам", "Пожар в «Школе танца» потушен"]
    assert (pair_similarities(a, b) >= 0.75).all()
    assert (_index_scores(a, b) >= 0.75).all()
    # ... while two countries stay two
    assert (
        pair_similarities(
            ["Власти Китая приговорили блогера к десяти годам"],
            ["Власти Кипра приговорили блогера к десяти годам"],
        )[0]
        == 0.0
    )


def test_the_index_joins_a_place_written_as_its_adjective_or_in_another_case() -> None:
    from feedclass.dedup import DedupIndex

    idx = DedupIndex(window_days=3)
    idx.add("Суд Вены оправдал бывшего министра финансов", item_id="a", time=0)
    idx.add("Власти Китая приговорили блогера к десяти годам", item_id="b", time=10)
    idx.add("Венский суд оправдал бывшего министра финансов", item_id="c", time=20)
    assert idx.story_of("c") == idx.story_of("a")
    idx.add("В Китае блогера приговорили к десяти годам", item_id="d", time=30)
    assert idx.story_of("d") == idx.story_of("b")
    idx.add("Суд Праги оправдал бывшего министра финансов", item_id="e", time=40)
    assert idx.story_of("e") != idx.story_of("a")


def test_a_year_written_with_its_mark_is_the_same_year() -> None:
    # «2015г.» is one token; it must be the number 2015, as «2015 года» is
    a = [
        "Инфляция в Казахстане в 2015г. составила 13,6%",
        "Бюджет Павлодарской области на 2024г. утвердили депутаты маслихата",
        "Итоги 2019-2020гг. подвели в акимате Костаная",
    ]
    b = [
        "Инфляция в Казахстане в 2015 году составила 13,6%",
        "Бюджет Павлодарской области на 2024 год утвердили депутаты маслихата",
        "Итоги 2019-2020 годов подвели в акимате Костаная",
    ]
    assert (pair_similarities(a, b) >= 0.75).all()
    assert (_index_scores(a, b) >= 0.75).all()
    tk = tokenize(["в 2015г. и в 2015 году", "2015км"])
    num = tk["whash"][tk["num"]]
    assert num[0] == num[1] and num[2] != num[0]  # a unit written on stays another number


def test_another_year_with_its_mark_still_conflicts() -> None:
    a = ["Инфляция в Казахстане в 2015г. составила 13,6%", "Курс доллара на 5 мая"]
    b = ["Инфляция в Казахстане в 2016 году составила 13,6%", "Курс доллара на 6 мая"]
    assert (pair_similarities(a, b) == 0).all()


def test_an_amount_and_the_same_amount_rounded_are_one_fact() -> None:
    # «15,7 млрд» rounded is «16 миллиардов»; a scale word names the amount, whichever form
    a = [
        "Бюджет Экибастуза вырос до 15,7 млрд тенге",
        "Инфляция в Казахстане замедлилась до 8,46% в октябре",
        "Фонд выделил 1,5 млрд тенге на ремонт школ Караганды",
        "Курс доллара на бирже поднялся до 512,8 тенге",
    ]
    b = [
        "Бюджет Экибастуза вырос до 16 миллиардов тенге",
        "Инфляция в Казахстане замедлилась до 8,5% в октябре",
        "Фонд выделил 1500 млн тенге на ремонт школ Караганды",
        "Курс доллара на бирже поднялся до 513 тенге",
    ]
    assert (pair_similarities(a, b) >= 0.75).all()
    assert (_index_scores(a, b) >= 0.75).all()


def test_amounts_beyond_rounding_or_of_another_scale_still_conflict() -> None:
    # rounding holds within one scale: «15,7 млн» is not «16 млрд»
    a = [
        "Бюджет Экибастуза вырос до 15,2 млрд тенге",
        "Бюджет Экибастуза вырос до 15,7 млн тенге",
        "Инфляция в Казахстане замедлилась до 8,44% в октябре",
        "Курс доллара на бирже поднялся до 512,4 тенге",
    ]
    b = [
        "Бюджет Экибастуза вырос до 16 млрд тенге",
        "Бюджет Экибастуза вырос до 16 млрд тенге",
        "Инфляция в Казахстане замедлилась до 8,5% в октябре",
        "Курс доллара на бирже поднялся до 513 тенге",
    ]
    assert (pair_similarities(a, b) == 0).all()
    assert (_index_scores(a, b) == 0).all()


def test_thousands_separators_are_no_decimal_comma() -> None:
    tk = tokenize(["15,7 и 1.000.000 и 1,500 и 2,45"])
    assert tk["frac"][tk["num"]].tolist() == [1, 0, 0, 2]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 999),
    st.integers(0, 9),
    st.sampled_from(["млн", "млрд", "миллионов", "миллиарда"]),
)
def test_an_amount_is_one_fact_with_itself_rounded(whole: int, tenth: int, scale: str) -> None:
    # a property: «X,Y млрд» never conflicts with itself rounded half up, at the same scale
    rounded = whole + (1 if tenth >= 5 else 0)
    full = "миллиардов" if scale.startswith(("млрд", "милли" + "ард")) else "миллионов"
    a = f"Аким отчитался о расходах в {whole},{tenth} {scale} тенге"
    b = f"Аким отчитался о расходах в {rounded} {full} тенге"
    f, _ = featurize([a, b])
    x = pair_features(f, np.array([0]), np.array([1]))
    assert x[0, Feature.NUMBER_CONFLICT] == 0.0


@settings(max_examples=60, deadline=None)
@given(
    st.from_regex(r"0{0,2}[0-9]{1,12}", fullmatch=True), st.sampled_from(["млн", "млрд", "трлн"])
)
def test_a_scaled_amount_is_keyed_by_its_value(digits: str, scale: str) -> None:
    from feedclass.dedup.facts import amount_keys
    from feedclass.hashing import hash_word

    power = {"млн": 6, "млрд": 9, "трлн": 12}[scale]
    tk = tokenize([f"Выделено {digits} {scale} тенге"])
    assert amount_keys(tk)[1, 0] == hash_word(str(int(digits) * 10**power))
