"""Near-duplicate clustering of news headlines (same story, reworded).

Why this design
---------------
* Headlines are short (3-12 words), so one signal is not enough: we score a pair by the cosine of
  character 3-gram TF-IDF vectors (robust to inflection and typos) *and* of light-stemmed word
  TF-IDF vectors (robust to word order and reformulation), combined linearly.
* Templated headlines ("Курс доллара на 5 мая" / "... на 6 мая") are near-identical as text but
  are different news. A pair whose numbers (ordinals too), months, weekdays or named entities
  are *substituted* (each side has one the other lacks) is never merged, whatever its text
  similarity; nor is a pair where one side reports an event and the other its opposite
  ("прекратила"/"возобновила голодовку", "пристыковался"/"отстыковался").
* Names written several ways ("РФ"/"Россия", "КНДР"/"Северная Корея", "РК"/"Казахстан") share
  one stem through a small alias list, so they neither miss a match nor trip the name veto.
* Candidates come from MinHash banding over the word stems (48 bands of 2 rows, a numba kernel);
  each item keeps its 12 candidates supported by the most bands, so the work grows with the
  number of headlines, not its square, even in huge buckets of look-alike headlines. Only
  candidate pairs are scored exactly, cheap features first: a vetoed pair, or one that cannot
  reach the threshold even with a perfect character cosine, never pays for the char-gram dot.
* Clustering is best-first average linkage: candidate pairs above the threshold are taken best
  first, and two clusters merge only when each member's average score over the other cluster
  reaches the threshold (so a single headline must match every member) and no cross pair is
  far apart. Cross pairs that were not candidates
  are scored on the spot, so a story reposted more often than the candidate cap stays whole,
  and A~B and B~C never drag a distant C into A's cluster.

Everything is deterministic (fixed hash seeds, stable sorts).
"""

from __future__ import annotations

import functools
import math
import os
import re
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numba
import numpy as np

from feedclass.errors import DataError, ModelFileError
from feedclass.modelfile import read_model_file, shipped_file

__all__ = [
    "DEFAULT_THRESHOLD",
    "NearDuplicates",
    "SweepResult",
    "TuneResult",
    "dedup_form",
    "pair_similarities",
    "strip_source_marks",
    "sweep_thresholds",
    "tune_threshold",
]

#: Default similarity threshold: precision first. At 0.75 ParaPhraser pairs deduplicated as one
#: feed reach precision 0.948 (recall 0.466), 92% of a real Telegram feed's merges are right
#: (85% at 0.55), and the synthetic 1,000,000-headline benchmark merges 0.44% of distinct
#: headlines while finding 0.982 of reworded copies (5.4% and 0.996 at 0.55): the lowest
#: threshold that meets both scale goals. 0.55 gives the most ParaPhraser recall at precision
#: 0.90 (0.701) for feeds of loose rewrites. See ``benchmarks/eval_dedup.py``,
#: ``benchmarks/bench_dedup.py`` and the README's threshold table.
DEFAULT_THRESHOLD = 0.75

# ---------------------------------------------------------------------------------------------
# Newsroom prefixes and tails that say nothing about the story itself.
# ---------------------------------------------------------------------------------------------
_PREFIX_WORDS = (
    r"срочно|молния|экстренно|внимание|важно|эксклюзив|обновлено|дополнено|видео|фото|"
    r"фоторепортаж|фотогалерея|инфографика|аудио|онлайн|трансляция|прямой эфир|live|"
    r"breaking(?: news)?|urgent|update[d]?|exclusive|video|photos?|watch|сми|источник|"
    r"шұғыл|жедел|маңызды|бейне|фото|upd"
)
_SOURCE_NAMES = (
    r"сми|риа новости|риа|тасс|интерфакс|рбк|ведомости|коммерсант|коммерсантъ|известия|"
    r"лента\.ру|lenta\.ru|газета\.ru|ria\.ru|tengrinews(?:\.kz)?|tengri|zakon\.kz|закон\.кз|"
    r"nur\.kz|informburo(?:\.kz)?|kazinform|казинформ|kapital\.kz|forbes\.kz|forbes|"
    r"vlast\.kz|orda\.kz|azattyq|азаттык|хабар|khabar|24\.kz|kursiv(?:\.media)?|курсив|"
    r"sputnik|спутник|reuters|ap|afp|bloomberg|bbc|cnn|kaztag|казтаг|inform\.kz|"
    r"baq\.kz|exclusive\.kz|time\.kz|the village|365info|ktk|ктк|31 канал|qazaqstan"
)
_PREFIX_RE = re.compile(
    rf"^[^\S\n]*(?:[\[(][^\S\n]*(?:{_PREFIX_WORDS})[^\S\n]*[\])][^\S\n]*[:.!|-]?|(?:{_PREFIX_WORDS})[^\S\n]*[:!|.]+|"
    rf"(?:{_PREFIX_WORDS})[^\S\n]+[-\u2013\u2014][^\S\n])[^\S\n]*",
    re.IGNORECASE | re.MULTILINE,
)
_TAIL_RE = re.compile(
    rf"[^\S\n]*(?:[\[(][^\S\n]*(?:{_PREFIX_WORDS}|{_SOURCE_NAMES}|фото[^\S\n]*[,+и][^\S\n]*видео|видео[^\S\n]*[,+и][^\S\n]*фото|"
    rf"\d{{1,2}}[^\S\n]*\+)[^\S\n]*[\])]|[-\u2013\u2014|/:][^\S\n]*(?:{_SOURCE_NAMES})|"
    # after a headline's " | ", a site or section name of its own: a few words, no figures (a
    # date there is a fact: «Погода в Алматы | 5 мая»), no colon or quotes (a quote is news)
    rf"(?<=[^\n]{{20}}\s)\|[^\S\n]+[^\W\d][^|\n\d:«»\"]{{0,39}}|"
    rf"[.|:][^\S\n]*(?:фото|видео|фото[^\S\n]*[,+и][^\S\n]*видео|видео[^\S\n]*[,+и][^\S\n]*фото|photos?|video))[^\S\n]*[.!]?[^\S\n]*$",
    re.IGNORECASE | re.MULTILINE,
)


def strip_source_marks(text: str) -> str:
    """Remove newsroom prefixes and tails («Срочно:», «ВИДЕО:», « - РИА Новости», «| Tengrinews»).

    They differ between outlets that run the same story, so they only add noise to similarity.
    Stacked marks are removed too; a headline that is nothing but a mark is kept as it was.

    Examples
    --------
    >>> strip_source_marks("Срочно: ВИДЕО: Пожар в Алматы - РИА Новости")
    'Пожар в Алматы'
    """
    if not isinstance(text, str):
        raise DataError(f"text must be a str; got {type(text).__name__} instead")
    return _strip_joined(text.replace("\n", " "))


_TAIL_REACH = 160  # a tail mark is never longer than this; the tail regex looks only there


# Every tail mark starts (after blanks) with one of these characters.
_TAIL_LEAD_RE = re.compile(r"[\[(\-\u2013\u2014|/:.]")


def _tail_span(line: str) -> tuple[int, int] | None:
    """Where ``_TAIL_RE.search`` over the line's last ``_TAIL_REACH`` characters would match.

    The same leftmost match, but tried only where a tail can begin (a bracket, dash, bar,
    slash, colon or dot) instead of at every character: about twice as fast on a feed.
    """
    lo = max(0, len(line) - _TAIL_REACH)
    for lead in _TAIL_LEAD_RE.finditer(line, lo):
        p = lead.start()
        m = _TAIL_RE.match(line, p)
        if m:
            while p > lo and line[p - 1] != "\n" and line[p - 1].isspace():
                p -= 1
            return (p, m.end()) if m.end() > p else None
    return None


def _strip_line(line: str) -> str:
    """Strip stacked marks from one headline; a headline that is only marks stays as it was."""
    out = line
    for _ in range(3):
        new = out
        m = _PREFIX_RE.match(new)
        if m and m.end():
            new = new[m.end() :]
        span = _tail_span(new)
        if span is not None:
            new = new[: span[0]] + new[span[1] :]
        if new == out:
            break
        out = new
    return out if out.strip() else line


def _strip_joined(joined: str) -> str:
    """Strip marks on every line of ``joined`` (one headline per line).

    Line by line with an anchored prefix match and a tail search over the line's end only: a
    whole-text ``sub`` tries the (long) patterns at every character and was the slow part.
    """
    return "\n".join([_strip_line(t) for t in joined.split("\n")])


# ---------------------------------------------------------------------------------------------
# Small word lists (written for this module): function words, months, number words.
# ---------------------------------------------------------------------------------------------
_STOPWORDS = set(
    """
    в во на с со из к ко о об обо у за для от до по при про под над без через между перед после
    около среди вокруг возле ради из-за из-под и а но или либо да же ли не ни бы что чтобы как
    так это этот эта эти то тот та те его ее их он она они оно мы вы я ты вот уже еще лишь только
    также тоже все весь всех всего свой своих свою своего который которая которые которых где
    когда кто чем более менее может могут будет будут был была были было есть нет стал стала
    стали более почти очень сам сама сами самый самая
    сегодня срочно официально впервые вновь снова опять наконец теперь досрочно фактически
    және мен пен бен да де та те үшін туралы бойынша дейін кейін бұл осы ол олар бір екі емес
    the a an of in on at to for from by with and or but not no is are was were be been has have
    had it its this that these those as into over after before about than new says said will
    """.split()
)
_MONTHS = {
    1: "январь января январе янв january jan қаңтар қаңтардың қаңтарда",
    2: "февраль февраля феврале фев february feb ақпан ақпанда ақпанның",
    3: "март марта марте мар march mar наурыз наурызда наурыздың",
    4: "апрель апреля апреле апр april apr сәуір сәуірде сәуірдің",
    5: "май мая мае may мамыр мамырда мамырдың",
    6: "июнь июня июне июн june jun маусым маусымда маусымның",
    7: "июль июля июле июл july jul шілде шілдеде шілденің",
    8: "август августа августе авг august aug тамыз тамызда тамыздың",
    9: "сентябрь сентября сентябре сен сент september sep sept қыркүйек қыркүйекте",
    10: "октябрь октября октябре окт october oct қазан қазанда қазанның",
    11: "ноябрь ноября ноябре ноя нояб november nov қараша қарашада қарашаның",
    12: "декабрь декабря декабре дек december dec желтоқсан желтоқсанда желтоқсанның",
}
# Weekdays are date facts too ("Главное к утру четверга" / "... пятницы"); they take month
# codes above 100. "среда" is left out: it is also "environment" (окружающая среда).
_WEEKDAYS = {
    101: "понедельник понедельника понедельнику понедельником понедельнике monday дүйсенбі "
    "дүйсенбіде",
    102: "вторник вторника вторнику вторником вторнике tuesday сейсенбі сейсенбіде",
    103: "wednesday сәрсенбі сәрсенбіде",
    104: "четверг четверга четвергу четвергом четверге thursday бейсенбі бейсенбіде",
    105: "пятница пятницы пятнице пятницу пятницей friday жұма жұмада",
    106: "суббота субботы субботе субботу субботой saturday сенбі сенбіде",
    107: "воскресенье воскресенья воскресенью воскресеньем sunday жексенбі жексенбіде",
}
# Currencies are the facts of a rate or an amount: «Курс евро на 5 мая» / «Курс доллара на 5
# мая», «100 млрд тенге» / «100 млрд рублей» are different news. They take codes above 200 and
# conflict as months do (each side names one the other lacks); a side that names none ("$3
# млрд") conflicts with nothing. Abbreviations are the same currency ("руб." = "рублей").
_CURRENCIES = {
    201: "доллар доллара долларов долларе долларом доллару доллары долларах долларам долл "
    "usd dollar dollars доллар долларды доллардың",
    202: "евро eur euro euros еуро",
    203: "рубль рубля рублей рублю рублем рубли рублях рублям руб rub ruble rubles rouble roubles",
    204: "тенге тг kzt tenge теңге",
    205: "юань юаня юаней юанем юани юанях юаням cny yuan",
    206: "иена иены иен иене иену иеной йена йены йен йене йену jpy yen",
    207: "гривна гривны гривен гривне гривну гривной гривнах uah hryvnia",
    208: "биткоин биткоина биткоинов биткоину биткоином биткоины btc bitcoin",
    209: "сом сома сомов kgs",
    210: "фунт фунта фунтов фунтом стерлингов gbp",
}
# Number words become digits, so "десять" and "10" agree (and "5" vs "шесть" conflict).
_NUMBER_WORDS = {
    "1": "один одна одно одного одной одном одним one бір",
    "2": "два две двух двум двумя двое two екі",
    "3": "три трех трем тремя трое three үш",
    "4": "четыре четырех четырем четверо four төрт",
    "5": "пять пяти пятью five бес",
    "6": "шесть шести шестью six алты",
    "7": "семь семи семью seven жеті",
    "8": "восемь восьми восемью eight сегіз",
    "9": "девять девяти девятью nine тоғыз",
    "10": "десять десяти десятью ten",
    "20": "двадцать двадцати twenty жиырма",
    "100": "сто ста hundred жүз",
    "1000": "тысяча тысячи тысяч тысячу thousand мың",
}
# Ordinals are numbers too: "в первом чтении" / "во втором чтении", "второй день" / "третий".
_ORDINALS = {
    "1": "первый первая первое первые первого первой первому первым первом первую первых "
    "first бірінші",
    "2": "второй вторая второе вторые второго второму вторым втором вторую вторых second екінші",
    "3": "третий третья третье третьи третьего третьей третьему третьим третьем третью третьих "
    "third үшінші",
    "4": "четвертый четвертая четвертое четвертого четвертой четвертом четвертую төртінші",
    "5": "пятый пятая пятое пятого пятой пятом пятую бесінші",
    "6": "шестой шестая шестое шестого шестом шестую",
    "7": "седьмой седьмая седьмое седьмого седьмом седьмую",
    "8": "восьмой восьмая восьмое восьмого восьмом восьмую",
    "9": "девятый девятая девятое девятого девятом девятую",
    "10": "десятый десятая десятое десятого десятом десятую",
}
# Events and their opposites: two headlines about one subject where one side says the
# opposite of the other ("прекратила"/"возобновила голодовку", "пристыковался"/"отстыковался")
# are different news. Each group lists (one pole, the other pole); words that stem like a
# common unrelated word are left out ("прибыл" ~ "прибыль", "закончил" ~ "закон").
_OPPOSITES = (
    (
        "начал начала начали началась начался начались стартовал",
        "завершил завершила завершили завершился завершилась завершились",
    ),
    (
        "прекратил прекратила прекратили прекращен приостановил приостановила приостановлен",
        "возобновил возобновила возобновили возобновлен возобновились",
    ),
    (
        "открыл открыла открыли открылся открылась открыт",
        "закрыл закрыла закрыли закрылся закрылась закрыт",
    ),
    ("задержали задержан арестовали арестован", "отпустили отпущен освободили освобожден"),
    ("пристыковался", "отстыковался"),
    (
        "повысил повышен вырос подорожал укрепился",
        "понизил снизил снижен упал упала упали подешевел ослаб",
    ),
    ("запретил запрещен", "разрешил разрешен"),
    ("ввел ввели введен введена", "отменил отменили отменен отменена"),
    ("победил выиграл", "проиграл"),
    ("одобрил", "отклонил отверг"),
    ("подтвердил", "опроверг"),
    (
        "rise rises rose risen gain gains gained jump jumps jumped climb climbs climbed soar "
        "soars soared surge surges surged",
        "fall falls fell fallen drop drops dropped slide slides slid sink sinks sank plunge "
        "plunges plunged tumble tumbles tumbled",
    ),
    ("win wins won beat beats", "lose loses lost"),
    ("approve approves approved", "reject rejects rejected"),
)
# Inflectional endings for a light stemmer (Russian, some Kazakh and English), longest first.
_ENDINGS = sorted(
    set(
        """
        иями ями ами ыми ими ого его ому ему ой ей ий ый ая яя ое ее ые ие ых их ым им ую юю ом
        ем ах ях ам ям ов ев ью ия ии ие ию иях иям ием ией а я о е ы и у ю ь ешь ет ете ут ют ит
        ите ат ят ал ала али ало ил ила или ило ел ела ели ло ли ла ть ться ется ются ится ятся
        ались ался алась ились ился илась ости ость ностью
        дың тың ның дің тің нің ға ге қа ке да де та те дан ден тан тен нан нен лар лер дар дер
        тар тер ы і
        ing ed es s 's
        """.split()
    ),
    key=lambda e: (-len(e), e),
)
_STEM_MAX = 5  # stems are cut to this many letters: "полиции"/"полицейским" -> "полиц"
# Surnames are compared on longer stems, without their suffix (-ов/-ев): "Сагинтаев" and
# "Сагинбаев" share five letters, not a name.
_NAME_STEM_MAX = 12
_MIN_STEM = 3

# ---------------------------------------------------------------------------------------------
# Hashing helpers shared by Python (word lists) and numba (tokens).
# ---------------------------------------------------------------------------------------------
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@numba.njit(cache=True, inline="always")
def _mix64(x: np.uint64) -> np.uint64:
    """splitmix64 finaliser: turns a weak hash into well-spread bits."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@numba.njit(cache=True)
def _hash_codes(codes: np.ndarray, start: int, end: int) -> np.uint64:
    h = _FNV_OFFSET
    for k in range(start, end):
        h = (h ^ np.uint64(codes[k])) * _FNV_PRIME
    return _mix64(h)


def _hash_word(word: str) -> np.uint64:
    codes = np.frombuffer(word.encode("utf-32-le"), dtype=np.uint32)
    return np.uint64(_hash_codes(codes, 0, len(codes)))


def _stem_py(word: str) -> str:
    """Python twin of the numba stemmer, used for the small word lists."""
    if not word or word[0].isdigit():
        return word
    for e in _ENDINGS:
        if len(word) - len(e) >= _MIN_STEM and word.endswith(e):
            word = word[: len(word) - len(e)]
            break
    return word[:_STEM_MAX]


def _sorted_hashes(words: Sequence[str]) -> np.ndarray:
    return np.unique(np.array([_hash_word(w) for w in words], dtype=np.uint64))


_STOP_HASHES = _sorted_hashes(sorted(_STOPWORDS))


def _opposite_table() -> tuple[np.ndarray, np.ndarray]:
    """Stem hashes of ``_OPPOSITES`` (sorted) and their codes: 2 * group + pole."""
    code: dict[int, int] = {}
    for g, poles in enumerate(_OPPOSITES):
        for pole, words in enumerate(poles):
            for w in words.split():
                h = int(_hash_word(_stem_py(w)))
                if code.setdefault(h, 2 * g + pole) != 2 * g + pole:  # pragma: no cover
                    raise AssertionError(f"{w!r} stems like a word of another group")
    keys = np.array(sorted(code), dtype=np.uint64)
    return keys, np.array([code[int(k)] for k in keys], dtype=np.int32)


_OPPOSITE_KEYS, _OPPOSITE_CODES = _opposite_table()

# Names written in several ways. Each group maps to the stem of its first entry. Stems cover
# inflection ("России", "российский" -> "росси"); exact words are listed where a stem would be
# ambiguous; two-word names ("Северная Корея") become one token.
_ALIAS_GROUPS: tuple[tuple[str, ...], ...] = (
    ("россия", "рф"),
    ("сша", "америка", "американский", "штаты", "штатов", "штатам", "штатах", "штатами"),
    (
        "кндр",
        "северная корея",
        "северной кореи",
        "северную корею",
        "северной корее",
        "северокорейский",
        "северокорейская",
        "северокорейские",
        "северокорейского",
        "северокорейской",
        "северокорейских",
        "северокорейским",
    ),
    ("казахстан", "рк"),
    ("китай", "кнр"),
    (
        "британия",
        "великобритания",
        "великобритании",
        "великобританию",
        "великобританией",
        "британский",
    ),
    (
        "евросоюз",
        "ес",
        "европейский союз",
        "европейского союза",
        "европейскому союзу",
        "европейским союзом",
        "европейском союзе",
    ),
    ("германия", "фрг"),
    ("белоруссия", "беларусь", "белорусский"),
    ("цб", "центробанк", "центробанка", "центробанку", "центробанке", "центробанком"),
    (
        "нацбанк",
        "национальный банк",
        "национального банка",
        "национальному банку",
        "национальным банком",
        "национальном банке",
    ),
    ("госдума", "дума", "думы", "думе", "думу", "думой"),
    ("астана", "нур-султан", "нур-султана", "нур-султане", "нур-султану", "нур-султаном"),
    ("алматы", "алма-ата", "алма-аты", "алма-ате", "алма-ату"),
)
_ALIASES: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None


def _alias_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(word or stem hash -> canonical stem) and (stem-pair key -> canonical stem), sorted.

    Built once through the same tokenizer and stemmer the batch goes through, so that the
    keys are exactly the hashes the batch will show.
    """
    global _ALIASES
    if _ALIASES is None:
        forms = [f for g in _ALIAS_GROUPS for f in g]
        tk = _tokens(forms)
        ptr = _ptr_from_docs(tk["doc"], len(forms))
        wk: dict[int, int] = {}
        bk: dict[int, int] = {}
        k = 0
        for group in _ALIAS_GROUPS:
            canon = int(tk["shash"][ptr[k]])
            for f in range(k + 1, k + len(group)):
                w = tk["whash"][ptr[f] : ptr[f + 1]]
                st = tk["shash"][ptr[f] : ptr[f + 1]]
                if st.size == 1:
                    wk[int(w[0])] = canon
                    wk.setdefault(int(st[0]), canon)  # other inflections of the same stem
                else:
                    bk[int(_pair_key(st[0], st[1]))] = canon
            k += len(group)
        kw, kb = sorted(wk), sorted(bk)
        _ALIASES = (
            np.array(kw, dtype=np.uint64),
            np.array([wk[q] for q in kw], dtype=np.uint64),
            np.array(kb, dtype=np.uint64),
            np.array([bk[q] for q in kb], dtype=np.uint64),
        )
    return _ALIASES


def _pair_key(a: np.ndarray | np.uint64, b: np.ndarray | np.uint64) -> np.ndarray | np.uint64:
    with np.errstate(over="ignore"):
        return (a * np.uint64(0x9E3779B97F4A7C15)) ^ b


def _lookup(keys: np.ndarray, vals: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where ``q`` is in the sorted ``keys``: (hit mask, value for each hit)."""
    if keys.size == 0 or q.size == 0:
        return np.zeros(q.shape, dtype=bool), np.zeros(0, dtype=vals.dtype)
    pos = _find_sorted(keys, q)
    pos[pos >= keys.size] = 0
    hit = keys[pos] == q
    return hit, vals[pos[hit]]


def _apply_aliases(
    doc: np.ndarray, whash: np.ndarray, shash: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Canonical stems for alias names (in place on ``shash``); mask of absorbed second words."""
    wkeys, wvals, bkeys, bvals = _alias_tables()
    absorbed = np.zeros(shash.shape, dtype=bool)
    if shash.size >= 2:
        key = _pair_key(shash[:-1], shash[1:])
        hit, val = _lookup(bkeys, bvals, key)
        hit &= doc[:-1] == doc[1:]
        if hit.any():
            idx = np.flatnonzero(hit)
            shash[idx] = _lookup(bkeys, bvals, key[idx])[1]
            absorbed[idx + 1] = True
    hit, val = _lookup(wkeys, wvals, whash)
    hit2, val2 = _lookup(wkeys, wvals, shash)
    shash[hit2] = val2  # stem forms first, exact word forms win
    shash[hit] = val
    return shash, absorbed


_MONTH_WORDS = {
    w: m
    for m, ws in (*_MONTHS.items(), *_WEEKDAYS.items(), *_CURRENCIES.items())
    for w in ws.split()
}
_NUMWORD = {w: d for d, ws in (*_NUMBER_WORDS.items(), *_ORDINALS.items()) for w in ws.split()}
_MONTH_KEYS = np.array([_hash_word(w) for w in _MONTH_WORDS], dtype=np.uint64)
_MONTH_VALS = np.array(list(_MONTH_WORDS.values()), dtype=np.int64)
_NUMW_KEYS = np.array([_hash_word(w) for w in _NUMWORD], dtype=np.uint64)
_NUMW_VALS = np.array([_hash_word(d) for d in _NUMWORD.values()], dtype=np.uint64)
_ENDING_LEN = np.array([len(e) for e in _ENDINGS], dtype=np.int64)
_ENDING_CODES = np.zeros((len(_ENDINGS), max(_ENDING_LEN)), dtype=np.uint32)
for _k, _e in enumerate(_ENDINGS):
    _ENDING_CODES[_k, : len(_e)] = [ord(c) for c in _e]
# Endings grouped by their last character (each group in _ENDINGS order): the stemmer tries only
# the endings a word's last character allows, and the first of them that fits is the first of
# all _ENDINGS that fits.
_END_LAST = sorted({_e[-1] for _e in _ENDINGS})
_ENDING_GROUP = np.zeros(0x10000, dtype=np.int64)  # last character -> group (0: no ending)
_ENDING_GPTR = np.zeros(len(_END_LAST) + 2, dtype=np.int64)
_ENDING_GIDX = np.zeros(len(_ENDINGS), dtype=np.int64)
_pos = 0
for _g, _c in enumerate(_END_LAST, start=1):
    _ENDING_GROUP[ord(_c)] = _g
    for _k, _e in enumerate(_ENDINGS):
        if _e[-1] == _c:
            _ENDING_GIDX[_pos] = _k
            _pos += 1
    _ENDING_GPTR[_g + 1] = _pos

# Character classes for the tokenizer (Basic Multilingual Plane only; the rest is not a word).
_WORD_CHAR = np.zeros(0x10000, dtype=np.uint8)
for _c in range(0x10000):
    _ch = chr(_c)
    if _ch.isalpha():
        _WORD_CHAR[_c] = 1
    elif _ch.isdigit():
        _WORD_CHAR[_c] = 2
_LATIN_MAX = 0x250  # code points below this that are letters are Latin script

_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_FOLD_TABLES: tuple[np.ndarray, np.ndarray] | None = None


def _fold_tables() -> tuple[np.ndarray, np.ndarray]:
    """Per code point: its folded form and whether it is a capital (built once, ~70 ms).

    The folded form comes from ``normalize.fold_codepoints`` itself (one call over the whole
    Basic Multilingual Plane), so dedup folds exactly like training and classification, but as
    one array lookup per batch that keeps positions aligned with the raw text (the capital flags
    the name detector needs). Invisible characters become 1, which the tokenizer skips inside a
    word; characters that fold to nothing else (white space, controls) become a space; the
    newline stays: it separates headlines.
    """
    global _FOLD_TABLES
    if _FOLD_TABLES is None:
        from feedclass.normalize import fold_codepoints

        fold = np.arange(0x110000, dtype=np.uint32)
        upper = np.zeros(0x110000, dtype=np.uint8)
        cps = np.array([c for c in range(1, 0x10000) if not 0xD800 <= c < 0xE000], dtype=np.int64)
        chars = [chr(c) for c in cps.tolist()]
        codes, off = fold_codepoints(chars)
        ln = np.diff(off)
        one = ln >= 1  # "İ" folds to two characters: keep the first, as str.lower()[:1] did
        fold[cps[one]] = codes[off[:-1][one]]
        fold[cps[~one]] = 32
        for c in _INVISIBLE:
            fold[ord(c)] = 1
        fold[10] = 10
        fold[fold == 10] = 32  # headlines are split on raw "\n": nothing else may fold to it
        fold[10] = 10
        upper[cps] = [ch.lower() != ch for ch in chars]
        _FOLD_TABLES = (fold, upper)
    return _FOLD_TABLES


# Lines that can hold a newsroom mark contain one of these characters (or end in ". Фото"); the
# mark regexes run on those lines only.
_MARK_CHAR = np.zeros(0x110000, dtype=np.bool_)
_MARK_CHAR[[ord(c) for c in "[(:!|/-\u2013\u2014"]] = True
_DOT_TAIL_RE = re.compile(
    r"[.][^\S\n]*(?:фото|видео|photos?|video)[^\S\n]*[.!]?[^\S\n]*$", re.IGNORECASE | re.MULTILINE
)


# ---------------------------------------------------------------------------------------------
# numba kernels: tokenizing, features, candidates, scoring, clustering.
# ---------------------------------------------------------------------------------------------
@numba.njit(cache=True, inline="always")
def _tokenize_docs(
    raw,
    fold,
    upper,
    doc_start,
    doc_end,
    d0,
    d1,
    word_char,
    clean,
    pos,
    t_start,
    t_end,
    t_doc,
    t_first,
    t_cap,
    t_allcap,
    nt,
    clean_off,
):  # pragma: no cover - numba
    """Tokenize documents d0..d1-1 into ``clean`` from ``pos`` and the token arrays from
    ``nt``; returns the new (pos, nt). ``clean_off[d + 1]`` gets each document's end."""
    for d in range(d0, d1):
        first = True
        k = doc_start[d]
        e = doc_end[d]
        while k < e:
            c = fold[raw[k]]
            kind = word_char[c] if c < 0x10000 else 0
            if kind == 0:
                k += 1
                continue
            # a token starts here
            if not first:
                clean[pos] = 32
                pos += 1
            ts = pos
            n_letters = 0
            n_upper = 0
            t_cap[nt] = upper[raw[k]]
            while k < e:
                c = fold[raw[k]]
                kind = word_char[c] if c < 0x10000 else 0
                if c == 1:  # invisible character inside a word
                    k += 1
                    continue
                if kind == 0:
                    # keep decimal separators between digits: "5,5" and "5.5" -> "55"
                    if (
                        (c == 44 or c == 46)
                        and pos > ts
                        and word_char[clean[pos - 1]] == 2
                        and k + 1 < e
                    ):
                        c1 = fold[raw[k + 1]]
                        if c1 < 0x10000 and word_char[c1] == 2:
                            k += 1
                            continue
                    break
                if kind == 1:
                    n_letters += 1
                    n_upper += upper[raw[k]]
                clean[pos] = c
                pos += 1
                k += 1
            t_start[nt] = ts
            t_end[nt] = pos
            t_doc[nt] = d
            t_first[nt] = 1 if first else 0
            t_allcap[nt] = 1 if (n_letters >= 2 and n_upper == n_letters) else 0
            nt += 1
            first = False
        clean_off[d + 1] = pos
    return pos, nt


@numba.njit(cache=True, parallel=True)
def _tokenize(raw, fold, upper, doc_start, doc_end, word_char):  # pragma: no cover - numba
    """Split every document into word tokens (letters/digits; "5,5" stays one token).

    ``raw`` holds code points; ``fold`` and ``upper`` give each one's folded form and whether it
    is a capital. Returns the clean code array (tokens joined by single spaces), per-document
    offsets into it and per-token arrays: start, end, document, first-in-document,
    capitalised, all-capitals. Blocks of documents go to all cores, each into its own slice of
    the buffers (sized for its worst case), then the slices are packed together.
    """
    n_docs = doc_start.shape[0]
    nb = min(max(n_docs // 4096, 1), 256)
    b_doc = np.empty(nb + 1, dtype=np.int64)
    for b in range(nb + 1):
        b_doc[b] = n_docs * b // nb
    # worst case per block: every character kept plus a separator per document for clean; a
    # token takes at least one character plus a separator (or the end of its headline)
    b_clean = np.zeros(nb + 1, dtype=np.int64)
    b_tok = np.zeros(nb + 1, dtype=np.int64)
    for b in range(nb):
        d0 = b_doc[b]
        d1 = b_doc[b + 1]
        chars = (doc_end[d1 - 1] - doc_start[d0]) if d1 > d0 else 0
        b_clean[b + 1] = b_clean[b] + chars + (d1 - d0)
        b_tok[b + 1] = b_tok[b] + (chars + (d1 - d0)) // 2 + 1
    clean = np.empty(b_clean[nb], dtype=np.uint32)
    off = np.zeros(n_docs + 1, dtype=np.int64)  # document ends inside their block's slice
    t_start = np.empty(b_tok[nb], dtype=np.int64)
    t_end = np.empty(b_tok[nb], dtype=np.int64)
    t_doc = np.empty(b_tok[nb], dtype=np.int64)
    t_first = np.zeros(b_tok[nb], dtype=np.uint8)
    t_cap = np.zeros(b_tok[nb], dtype=np.uint8)
    t_allcap = np.zeros(b_tok[nb], dtype=np.uint8)
    used_clean = np.zeros(nb, dtype=np.int64)
    used_tok = np.zeros(nb, dtype=np.int64)
    for b in numba.prange(nb):
        pos, nt = _tokenize_docs(
            raw,
            fold,
            upper,
            doc_start,
            doc_end,
            b_doc[b],
            b_doc[b + 1],
            word_char,
            clean,
            b_clean[b],
            t_start,
            t_end,
            t_doc,
            t_first,
            t_cap,
            t_allcap,
            b_tok[b],
            off,
        )
        used_clean[b] = pos - b_clean[b]
        used_tok[b] = nt - b_tok[b]
    o_clean = np.zeros(nb + 1, dtype=np.int64)
    o_tok = np.zeros(nb + 1, dtype=np.int64)
    for b in range(nb):
        o_clean[b + 1] = o_clean[b] + used_clean[b]
        o_tok[b + 1] = o_tok[b] + used_tok[b]
    clean_out = np.empty(o_clean[nb], dtype=np.uint32)
    clean_off = np.zeros(n_docs + 1, dtype=np.int64)
    ts_out = np.empty(o_tok[nb], dtype=np.int64)
    te_out = np.empty(o_tok[nb], dtype=np.int64)
    td_out = np.empty(o_tok[nb], dtype=np.int64)
    tf_out = np.empty(o_tok[nb], dtype=np.uint8)
    tc_out = np.empty(o_tok[nb], dtype=np.uint8)
    ta_out = np.empty(o_tok[nb], dtype=np.uint8)
    for b in numba.prange(nb):
        shift = o_clean[b] - b_clean[b]
        clean_out[o_clean[b] : o_clean[b + 1]] = clean[b_clean[b] : b_clean[b] + used_clean[b]]
        for d in range(b_doc[b], b_doc[b + 1]):
            clean_off[d + 1] = off[d + 1] + shift
        a = b_tok[b]
        w = o_tok[b]
        for q in range(used_tok[b]):
            ts_out[w + q] = t_start[a + q] + shift
            te_out[w + q] = t_end[a + q] + shift
            td_out[w + q] = t_doc[a + q]
            tf_out[w + q] = t_first[a + q]
            tc_out[w + q] = t_cap[a + q]
            ta_out[w + q] = t_allcap[a + q]
    return clean_out, clean_off, ts_out, te_out, td_out, tf_out, tc_out, ta_out


@numba.njit(cache=True, parallel=True)
def _token_hashes(
    clean,
    t_start,
    t_end,
    end_codes,
    end_len,
    end_group,
    end_gptr,
    end_gidx,
    word_char,
    stem_max,
    min_stem,
):  # pragma: no cover - numba
    """Per token: hash of the word, of its stem, of its long stem if it looks like a surname
    (else 0), digit flag and Latin-script flag."""
    nt = t_start.shape[0]
    whash = np.empty(nt, dtype=np.uint64)
    shash = np.empty(nt, dtype=np.uint64)
    lhash = np.empty(nt, dtype=np.uint64)
    is_num = np.zeros(nt, dtype=np.uint8)
    is_latin = np.zeros(nt, dtype=np.uint8)
    for t in numba.prange(nt):
        s = t_start[t]
        e = t_end[t]
        whash[t] = _hash_codes(clean, s, e)
        c0 = clean[s]
        if word_char[c0] == 2:
            is_num[t] = 1
            shash[t] = whash[t]
            lhash[t] = 0
            continue
        if c0 < 0x250:
            is_latin[t] = 1
        L = e - s
        stem_end = e
        c1 = clean[e - 1]
        g = end_group[c1] if c1 < 0x10000 else 0
        for gj in range(end_gptr[g], end_gptr[g + 1]):
            j = end_gidx[gj]
            m = end_len[j]
            if L - m < min_stem:
                continue
            ok = True
            for q in range(m):
                if clean[e - m + q] != end_codes[j, q]:
                    ok = False
                    break
            if ok:
                stem_end = e - m
                break
        # A surname (-ов/-ев/-ёв/-ин/-ын, in any case form) also gets a long stem, without that
        # suffix: the ending list strips it from "Назарбаев" but not from "Назарбаева", and
        # both become "назарба"; "Путин"/"Путина"/"Путиным" all become "пут". A Kazakh
        # patronymic surname (-улы/-ұлы/-кызы/-қызы) does not decline: its long stem is the
        # whole word.
        long_end = -1
        if stem_end == e - 2 and _ov_suffix(clean[e - 2], clean[e - 1]):
            long_end = stem_end
        elif stem_end - s - 2 >= min_stem and _ov_suffix(clean[stem_end - 2], clean[stem_end - 1]):
            long_end = stem_end - 2
        elif L - 3 >= min_stem and _patronymic(clean, e):
            long_end = e
        if stem_end - s > stem_max:
            stem_end = s + stem_max
        shash[t] = _hash_codes(clean, s, stem_end)
        lhash[t] = 0 if long_end < 0 else _hash_codes(clean, s, min(long_end, s + _NAME_STEM_MAX))
    return whash, shash, lhash, is_num, is_latin


@numba.njit(cache=True, inline="always")
def _ov_suffix(v, c):  # pragma: no cover - numba
    """Whether the letters v, c are a surname suffix: ов, ев, ёв, ин or ын."""
    return (c == 0x432 and (v == 0x43E or v == 0x435 or v == 0x451)) or (
        c == 0x43D and (v == 0x438 or v == 0x44B)
    )


@numba.njit(cache=True, inline="always")
def _patronymic(clean, e):  # pragma: no cover - numba
    """Whether the word ending at ``e`` ends in улы, ұлы, кызы or қызы."""
    if clean[e - 1] != 0x44B:  # ы
        return False
    if clean[e - 2] == 0x43B:  # л: улы / ұлы
        return clean[e - 3] == 0x443 or clean[e - 3] == 0x4B1
    # з: кызы / қызы
    return (
        clean[e - 2] == 0x437
        and clean[e - 3] == 0x44B
        and (clean[e - 4] == 0x43A or clean[e - 4] == 0x49B)
    )


@numba.njit(cache=True)
def _sort_slice(a, lo, hi):  # pragma: no cover - numba
    """Sort ``a[lo:hi]`` in place: insertion sort for short rows (no allocation), else np.sort."""
    if hi - lo > 48:
        a[lo:hi] = np.sort(a[lo:hi])
        return
    for k in range(lo + 1, hi):
        v = a[k]
        q = k - 1
        while q >= lo and a[q] > v:
            a[q + 1] = a[q]
            q -= 1
        a[q + 1] = v


@numba.njit(cache=True, inline="always")
def _padded_hash(clean, k, L, q, m):  # pragma: no cover - numba
    """``_hash_codes`` of characters [q, q + m) of " " + clean[k : k + L] + " "."""
    h = _FNV_OFFSET
    for t in range(q, q + m):
        c = np.uint64(32) if (t == 0 or t == L + 1) else np.uint64(clean[k + t - 1])
        h = (h ^ c) * _FNV_PRIME
    return _mix64(h)


@numba.njit(cache=True, parallel=True)
def _char_ngrams(clean, clean_off, n, n_buckets):  # pragma: no cover - numba
    """Hashed character n-grams of " word " (sklearn's char_wb), counted: one row per document
    of sorted distinct bucket ids (int32: ``n_buckets`` <= 2**31) and their counts.

    Passes over the documents in parallel: count each row's n-grams; fill and sort every row in
    its own slot; write the distinct ids and their counts.
    """
    n_docs = clean_off.shape[0] - 1
    cnt = np.zeros(n_docs + 1, dtype=np.int64)
    for d in numba.prange(n_docs):
        e = clean_off[d + 1]
        k = clean_off[d]
        c = 0
        while k < e:
            w = k
            while w < e and clean[w] != 32:
                w += 1
            m = w - k + 2
            c += 1 if m <= n else m - n + 1
            k = w + 1
        cnt[d + 1] = c
    tptr = np.cumsum(cnt)
    tmp = np.empty(tptr[n_docs], dtype=np.int32)
    mask = np.uint64(n_buckets - 1)
    u = np.zeros(n_docs + 1, dtype=np.int64)
    for d in numba.prange(n_docs):
        e = clean_off[d + 1]
        k = clean_off[d]
        pos = tptr[d]
        while k < e:
            # one word [k, w)
            w = k
            while w < e and clean[w] != 32:
                w += 1
            L = w - k
            m = L + 2
            if m <= n:
                tmp[pos] = np.int32(_padded_hash(clean, k, L, 0, m) & mask)
                pos += 1
            else:
                for q in range(m - n + 1):
                    tmp[pos] = np.int32(_padded_hash(clean, k, L, q, n) & mask)
                    pos += 1
            k = w + 1
        _sort_slice(tmp, tptr[d], pos)
        u[d + 1] = _n_distinct(tmp, tptr[d], pos)
    indptr = np.cumsum(u)
    idx = np.empty(indptr[n_docs], dtype=np.int32)
    val = np.empty(indptr[n_docs], dtype=np.float64)
    for d in numba.prange(n_docs):
        _collapse(tmp, tptr[d], tptr[d + 1], idx, val, indptr[d])
    return indptr, idx, val


@numba.njit(cache=True, inline="always")
def _n_distinct(vals, a, e):  # pragma: no cover - numba
    """How many distinct values the sorted slice ``vals[a:e]`` holds."""
    c = 0
    for k in range(a, e):
        if k == a or vals[k] != vals[k - 1]:
            c += 1
    return c


@numba.njit(cache=True, inline="always")
def _collapse(vals, a, e, out_idx, out_cnt, start):  # pragma: no cover - numba
    """Write the sorted slice ``vals[a:e]`` as (value, count) pairs from ``start`` on."""
    w = start - 1
    for k in range(a, e):
        if k == a or vals[k] != vals[k - 1]:
            w += 1
            out_idx[w] = vals[k]
            out_cnt[w] = 1.0
        else:
            out_cnt[w] += 1.0


@numba.njit(cache=True, parallel=True)
def _count_rows(indptr, idx):  # pragma: no cover - numba
    """Collapse repeated ids in each sorted row into (id, count) pairs."""
    n = indptr.shape[0] - 1
    u = np.zeros(n + 1, dtype=np.int64)
    for d in numba.prange(n):
        u[d + 1] = _n_distinct(idx, indptr[d], indptr[d + 1])
    out_ptr = np.cumsum(u)
    out_idx = np.empty(out_ptr[n], dtype=np.int64)
    out_cnt = np.empty(out_ptr[n], dtype=np.float64)
    for d in numba.prange(n):
        _collapse(idx, indptr[d], indptr[d + 1], out_idx, out_cnt, out_ptr[d])
    return out_ptr, out_idx, out_cnt


@numba.njit(cache=True, parallel=True)
def _tfidf_normalize(indptr, idx, cnt, idf):  # pragma: no cover - numba
    """Sublinear TF times IDF, rows scaled to unit length (in place on a copy)."""
    val = np.empty(cnt.shape[0], dtype=np.float64)
    for d in numba.prange(indptr.shape[0] - 1):
        s = 0.0
        for k in range(indptr[d], indptr[d + 1]):
            v = (1.0 + math.log(cnt[k])) * idf[idx[k]]
            val[k] = v
            s += v * v
        if s > 0:
            s = math.sqrt(s)
            for k in range(indptr[d], indptr[d + 1]):
                val[k] /= s
    return val


@numba.njit(cache=True, inline="always")
def _dot(ptr, idx, val, i, j):
    """Dot product of two sorted sparse rows (merge join)."""
    a = ptr[i]
    ae = ptr[i + 1]
    b = ptr[j]
    be = ptr[j + 1]
    s = 0.0
    while a < ae and b < be:
        x = idx[a]
        y = idx[b]
        if x == y:
            s += val[a] * val[b]
            a += 1
            b += 1
        elif x < y:
            a += 1
        else:
            b += 1
    return s


@numba.njit(cache=True, inline="always")
def _unmatched(ptr, idx, i, ptr2, idx2, j, one_to_one):
    """How many ids of sorted row i (in ptr/idx) find no partner in sorted row j (ptr2/idx2).

    With ``one_to_one`` an id of j partners one id of i only (a multiset difference).
    """
    a = ptr[i]
    ae = ptr[i + 1]
    b = ptr2[j]
    be = ptr2[j + 1]
    miss = 0
    while a < ae:
        x = idx[a]
        while b < be and idx2[b] < x:
            b += 1
        if b < be and idx2[b] == x:
            if one_to_one:
                b += 1
        else:
            miss += 1
        a += 1
    return miss


@numba.njit(cache=True, inline="always")
def _n_missing(ptr, idx, i, ptr2, idx2, j):
    """How many ids of sorted row i are absent from sorted row j."""
    return _unmatched(ptr, idx, i, ptr2, idx2, j, False)


@numba.njit(cache=True, inline="always")
def _n_excess(ptr, idx, i, ptr2, idx2, j):
    """Entries of sorted row i left over after matching row j one to one.

    "Ерерин ... возле Актобе в Актобе" vs "Ерерин ... возле Актобе в Кокшетау": the second
    Актобе has no partner, so the left side names a place the right side does not.
    """
    return _unmatched(ptr, idx, i, ptr2, idx2, j, True)


@numba.njit(cache=True, inline="always")
def _n_missing_plain(s_ptr, s_idx, i, j, e_ptr, e_idx, n_ptr, n_idx):
    """Stems of i absent from j that are neither names nor numbers of i (i.e. real rewording)."""
    a = s_ptr[i]
    ae = s_ptr[i + 1]
    b = s_ptr[j]
    be = s_ptr[j + 1]
    miss = 0
    while a < ae:
        x = s_idx[a]
        while b < be and s_idx[b] < x:
            b += 1
        if b >= be or s_idx[b] != x:
            special = False
            for q in range(e_ptr[i], e_ptr[i + 1]):
                if e_idx[q] == x:
                    special = True
                    break
            if not special:
                for q in range(n_ptr[i], n_ptr[i + 1]):
                    if n_idx[q] == x:
                        special = True
                        break
            if not special:
                miss += 1
        a += 1
    return miss


@numba.njit(cache=True, inline="always")
def _surname_excess(ptr, short, long_, sa_ptr, sa_idx, i, j):  # pragma: no cover - numba
    """Correction to the names of i that j does not account for, from surnames' long stems:
    +1 for a surname that a surname of j matches only on the short stem ("Сагинтаев" /
    "Сагинбаев"), -1 for one that j's words miss only because the short stems differ
    ("Токаев"/"Токаева": "тока"/"токае", both "тока" long)."""
    n = 0
    for q in range(ptr[i], ptr[i + 1]):
        same_long = False
        same_short = False
        for r in range(ptr[j], ptr[j + 1]):
            if long_[r] == long_[q]:
                same_long = True
            elif short[r] == short[q]:
                same_short = True
        if same_long:
            found = False
            for r in range(sa_ptr[j], sa_ptr[j + 1]):
                if sa_idx[r] == short[q]:
                    found = True
                    break
            if not found:
                n -= 1
        elif same_short:
            n += 1
    return n


@numba.njit(cache=True, inline="always")
def _shared_idf(ptr, idx, val, w_val, i, j):
    """How many ids the sorted rows i and j have in common, their summed and largest ``val``,
    and in the same walk the dot product of their ``w_val`` (a headline's word TF-IDF row has
    its stem row's entries in the same order, so the stem walk gives the word cosine too)."""
    a = ptr[i]
    ae = ptr[i + 1]
    b = ptr[j]
    be = ptr[j + 1]
    k = 0
    total = 0.0
    top = 0.0
    dot = 0.0
    while a < ae and b < be:
        if idx[a] == idx[b]:
            k += 1
            total += val[a]
            if val[a] > top:
                top = val[a]
            dot += w_val[a] * w_val[b]
            a += 1
            b += 1
        elif idx[a] < idx[b]:
            a += 1
        else:
            b += 1
    return k, total, top, dot


@numba.njit(cache=True, fastmath=True)
def _vdot(vectors, a, b):  # pragma: no cover - numba
    """Cosine of two unit word vectors; fastmath lets the sum vectorise (the meaning features
    were a third of the scoring time), at the cost of float32 rounding in the last digits."""
    c = np.float32(0.0)
    for k in range(vectors.shape[1]):
        c += vectors[a, k] * vectors[b, k]
    return c


@numba.njit(cache=True, inline="always")
def _meaning_side(ua, na, ub, nb, s_idf, s_vec, vectors):
    """Over stems ``ua`` of one side: IDF-weighted sums of their best vector cosine to ``ub``
    and of what that leaves unexplained (1 - cosine), and their IDF total."""
    num = 0.0
    bad = 0.0
    den = 0.0
    for q in range(na):
        u = ua[q]
        w = s_idf[u]
        den += w
        vu = s_vec[u]
        best = 0.0
        if vu >= 0:
            for r in range(nb):
                vr = s_vec[ub[r]]
                if vr < 0:
                    continue
                c = _vdot(vectors, vu, vr)
                if c > best:
                    best = c
        num += w * best
        bad += w * (1.0 - best)
    return num, bad, den


@numba.njit(cache=True, inline="always")
def _meaning_match(s_ptr, s_idx, s_idf, s_vec, s_pole, vectors, i, j, ua, ub):
    """How close in meaning the words two headlines do not share are (1: none unshared); the
    larger and the smaller share of either headline's word weight that the other side's words
    leave unexplained ("закрытие моста"/"закрытие шахты": "моста" has no counterpart; both
    sides unexplained is a different story about one subject); and 1 if an event on one side
    meets its opposite on the other (``_OPPOSITES``), else 0."""
    a = s_ptr[i]
    ae = s_ptr[i + 1]
    b = s_ptr[j]
    be = s_ptr[j + 1]
    na = 0
    nb = 0
    shared = 0.0
    while a < ae or b < be:
        if b >= be or (a < ae and s_idx[a] < s_idx[b]):
            ua[na] = a
            na += 1
            a += 1
        elif a >= ae or s_idx[b] < s_idx[a]:
            ub[nb] = b
            nb += 1
            b += 1
        else:
            shared += s_idf[a]
            a += 1
            b += 1
    num_a, bad_a, den_a = _meaning_side(ua, na, ub, nb, s_idf, s_vec, vectors)
    num_b, bad_b, den_b = _meaning_side(ub, nb, ua, na, s_idf, s_vec, vectors)
    match = 0.5 * ((num_a / den_a if den_a > 0 else 1.0) + (num_b / den_b if den_b > 0 else 1.0))
    tot_a = shared + den_a
    tot_b = shared + den_b
    share_a = bad_a / tot_a if tot_a > 0 else 0.0
    share_b = bad_b / tot_b if tot_b > 0 else 0.0
    # an event on one side and its opposite on the other ("прекратила"/"возобновила")
    opposite = 0.0
    for q in range(na):
        ca = s_pole[ua[q]]
        if ca < 0:
            continue
        for r in range(nb):
            if s_pole[ub[r]] == (ca ^ 1):
                opposite = 1.0
    return match, max(share_a, share_b), min(share_a, share_b), opposite


@numba.njit(cache=True)
def _pair_features(  # pragma: no cover - numba
    pi,
    pj,
    c_ptr,
    c_idx,
    c_val,
    w_val,
    n_ptr,
    n_idx,
    n_idf,
    m_ptr,
    m_idx,
    e_ptr,
    e_idx,
    s_ptr,
    s_idx,
    s_idf,
    s_vec,
    s_pole,
    vectors,
    ea_ptr,
    ea_idx,
    sa_ptr,
    sa_idx,
    sn_ptr,
    sn_short,
    sn_long,
    log_n,
    weights,
    name_veto_words,
    min_score,
):
    """Features of each candidate pair, in the order of ``_FEATURES``; cheap ones first.

    A pair the vetoes refuse, or whose score cannot reach ``min_score`` (checked with the
    best case of what is not yet computed, before each costly step: the character n-gram dot
    product, then the word-vector meaning), is marked in column ``skipped``; its score is 0.
    """
    n = pi.shape[0]
    out = np.zeros((n, _N_FEATURES), dtype=np.float64)
    longest = 1  # buffers for the unshared stems of one pair
    for p in range(n):
        longest = max(longest, s_ptr[pi[p] + 1] - s_ptr[pi[p]], s_ptr[pj[p] + 1] - s_ptr[pj[p]])
    ua = np.empty(longest, dtype=np.int64)
    ub = np.empty(longest, dtype=np.int64)
    logit_min = -1e300
    if min_score > 0.0:
        logit_min = math.log(min_score / (1.0 - min_score)) if min_score < 1.0 else 1e300
    for p in range(n):
        i = pi[p]
        j = pj[p]
        # Vetoes first: templated near-misses are common and need no further work.
        # Numbers and months: a conflict is when each side has one the other lacks.
        ni = _n_missing(n_ptr, n_idx, i, n_ptr, n_idx, j)
        nj = _n_missing(n_ptr, n_idx, j, n_ptr, n_idx, i)
        out[p, 2] = 1.0 if (ni > 0 and nj > 0) else 0.0
        mi = _n_missing(m_ptr, m_idx, i, m_ptr, m_idx, j)
        mj = _n_missing(m_ptr, m_idx, j, m_ptr, m_idx, i)
        out[p, 3] = 1.0 if (mi > 0 and mj > 0) else 0.0
        if out[p, 2] > 0 or out[p, 3] > 0:
            out[p, _SKIPPED] = 1.0
            continue
        # names: one of i that j's words do not account for, and one of j likewise (counted
        # with repeats, so a name said twice on one side needs two mentions on the other)
        ei = _n_excess(ea_ptr, ea_idx, i, sa_ptr, sa_idx, j)
        ej = _n_excess(ea_ptr, ea_idx, j, sa_ptr, sa_idx, i)
        ei += _surname_excess(sn_ptr, sn_short, sn_long, sa_ptr, sa_idx, i, j)
        ej += _surname_excess(sn_ptr, sn_short, sn_long, sa_ptr, sa_idx, j, i)
        out[p, 4] = 1.0 if (ei > 0 and ej > 0) else 0.0
        out[p, 5] = ei + ej
        # a substitution: the only words that differ are names/numbers (a templated headline)
        pi_ = _n_missing_plain(s_ptr, s_idx, i, j, e_ptr, e_idx, n_ptr, n_idx)
        pj_ = _n_missing_plain(s_ptr, s_idx, j, i, e_ptr, e_idx, n_ptr, n_idx)
        out[p, 6] = 1.0 if (ei + ni > 0 and ej + nj > 0 and pi_ == 0 and pj_ == 0) else 0.0
        out[p, 8] = pi_ + pj_
        if out[p, 6] > 0 or (out[p, 4] > 0 and out[p, 8] <= name_veto_words):
            out[p, _SKIPPED] = 1.0
            continue
        # both sides say something the other does not (a different story about one subject)
        out[p, 9] = min(pi_, pj_)
        li = s_ptr[i + 1] - s_ptr[i]
        lj = s_ptr[j + 1] - s_ptr[j]
        out[p, 11] = min(pi_ / li if li > 0 else 0.0, pj_ / lj if lj > 0 else 0.0)
        # containment: share of the shorter headline's stems found in the longer one
        si, tot, top, wdot = _shared_idf(s_ptr, s_idx, s_idf, w_val, i, j)
        m = min(li, lj)
        out[p, 7] = si / m if m > 0 else 0.0
        # How surprising the shared words are in this feed: agreeing on rare words is evidence,
        # agreeing on words half the feed uses is not (record linkage's frequency weighting).
        # Summed IDF minus log N is minus the log of how many headlines would share them all
        # by chance; it grows more demanding as the feed grows.
        out[p, 12] = tot - log_n
        out[p, 13] = top / (log_n + 1.0)
        # the same figures on both sides are strong evidence of the same news, unless half the
        # feed quotes them ("10 мая"): each shared figure counts by its IDF, 1 for a unique one
        out[p, 10] = _shared_idf(n_ptr, n_idx, n_idf, n_idf, i, j)[1] / (log_n + 1.0)
        out[p, 1] = wdot
        out[p, 0] = _dot(c_ptr, c_idx, c_val, i, j)
        # the meaning features (the costliest) only for pairs that could still reach
        # min_score with their best case: 1 or 0, whichever raises the score
        out[p, 14] = 1.0 if weights[13] + weights[16] * min(out[p, 13], 1.0) > 0 else 0.0
        out[p, 15] = 1.0 if weights[14] > 0 else 0.0
        out[p, 16] = 1.0 if weights[15] > 0 else 0.0
        out[p, 17] = 0.0  # a veto, found with the meaning features
        if weights[1] * out[p, 0] + _logit_rest(out[p], weights) < logit_min:
            out[p, _SKIPPED] = 1.0
            continue
        out[p, 14], out[p, 15], out[p, 16], out[p, 17] = _meaning_match(
            s_ptr, s_idx, s_idf, s_vec, s_pole, vectors, i, j, ua, ub
        )
        if out[p, 17] > 0 or weights[1] * out[p, 0] + _logit_rest(out[p], weights) < logit_min:
            out[p, _SKIPPED] = 1.0
    return out


@numba.njit(cache=True, parallel=True)
def _sorted_unique_rows(indptr, vals):  # pragma: no cover - numba
    """Sort and de-duplicate each row of a ragged array (rows given by ``indptr``)."""
    n = indptr.shape[0] - 1
    tmp = np.empty_like(vals)
    u = np.zeros(n + 1, dtype=np.int64)
    for d in numba.prange(n):
        a = indptr[d]
        e = indptr[d + 1]
        tmp[a:e] = vals[a:e]
        _sort_slice(tmp, a, e)
        c = 0
        for k in range(a, e):
            if k == a or tmp[k] != tmp[k - 1]:
                c += 1
        u[d + 1] = c
    out_ptr = np.cumsum(u)
    out = np.empty(out_ptr[n], dtype=vals.dtype)
    for d in numba.prange(n):
        pos = out_ptr[d]
        a = indptr[d]
        for k in range(a, indptr[d + 1]):
            if k == a or tmp[k] != tmp[k - 1]:
                out[pos] = tmp[k]
                pos += 1
    return out_ptr, out


@numba.njit(cache=True, parallel=True)
def _find_sorted(table, q):  # pragma: no cover - numba
    """Index of each ``q`` in ``table`` (sorted, distinct) where present, else 0.

    Where ``q`` is present this is ``np.searchsorted(table, q)``; callers test
    ``table[pos] == q`` for presence. A hash index (open addressing) instead of a binary
    search: one or two probes per query, run in parallel.
    """
    m = table.shape[0]
    size = 2
    while size < 2 * m:
        size <<= 1
    mask = np.uint64(size - 1)
    skey = np.zeros(size, dtype=table.dtype)
    sidx = np.full(size, -1, dtype=np.int64)
    for k in range(m):
        h = _mix64(np.uint64(table[k])) & mask
        while sidx[h] >= 0 and skey[h] != table[k]:
            h = (h + np.uint64(1)) & mask
        if sidx[h] < 0:
            skey[h] = table[k]
            sidx[h] = k
    out = np.zeros(q.shape[0], dtype=np.int64)
    for t in numba.prange(q.shape[0]):
        x = q[t]
        h = _mix64(np.uint64(x)) & mask
        while sidx[h] >= 0:
            if skey[h] == x:
                out[t] = sidx[h]
                break
            h = (h + np.uint64(1)) & mask
    return out


def _ptr_from_docs(doc: np.ndarray, n_docs: int) -> np.ndarray:
    """Row pointer of a ragged array whose entries are grouped by (non-decreasing) document."""
    ptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(doc, minlength=n_docs), out=ptr[1:])
    return ptr


def _smooth_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    return np.log((1.0 + n_docs) / (1.0 + df)) + 1.0


def _in_sorted(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Vectorised membership test of ``values`` in the sorted array ``table``."""
    if table.size == 0:
        return np.zeros(values.shape, dtype=bool)
    pos = _find_sorted(table, values)
    pos[pos >= table.size] = 0
    return table[pos] == values


_CHAR_N = 3
_PRIOR_DOCS = 1000
_CHAR_BUCKETS = 1 << 21


@dataclass
class _Features:
    """Everything the pair scorer needs, as flat arrays (CSR rows per headline)."""

    n: int
    char: tuple[np.ndarray, np.ndarray, np.ndarray]
    word_val: np.ndarray  # word TF-IDF values, in the order of each headline's stem row
    numbers: tuple[np.ndarray, np.ndarray]
    months: tuple[np.ndarray, np.ndarray]
    entities: tuple[np.ndarray, np.ndarray]
    stems: tuple[np.ndarray, np.ndarray]
    length: np.ndarray  # characters of the clean form, for keep="longest"
    clean_hash: np.ndarray  # hash of the clean form: exact duplicates share it
    stem_idf: np.ndarray  # IDF of each entry of ``stems``
    number_idf: np.ndarray  # IDF of each entry of ``numbers``
    stem_vec: np.ndarray  # row of ``vectors`` for each entry of ``stems``, -1 if none
    stem_pole: np.ndarray  # code of each entry of ``stems`` in ``_OPPOSITES``, -1 if none
    vectors: np.ndarray  # unit word vectors (float32), from ``meaning_vectors()``
    # names that must agree (not a given name or an initial before a surname), and all stems:
    # sorted rows that keep repeats
    entities_all: tuple[np.ndarray, np.ndarray]
    stems_all: tuple[np.ndarray, np.ndarray]
    surnames: tuple[np.ndarray, np.ndarray, np.ndarray]  # rows of (stem, long stem) of surnames
    log_n: float  # log of the number of headlines the IDF counts


@dataclass
class _Idf:
    """Document frequencies learned from a batch (fitted state of ``NearDuplicates``)."""

    n_docs: int
    char_df: np.ndarray
    word_keys: np.ndarray
    word_df: np.ndarray
    cap_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    # names come from ``cap_keys`` alone, not also from the batch being featurized: the
    # incremental index scores a pair the same whichever other headlines share the call
    fixed_names: bool = False


def _check_texts(texts: Any, name: str = "texts") -> list[str]:
    if isinstance(texts, (str, bytes)):
        raise DataError(
            f"{name} must be a list of headlines; got a single {type(texts).__name__} instead. "
            f"Did you mean [{name}]?"
        )
    try:
        out = list(texts)
    except TypeError:
        raise DataError(
            f"{name} must be a list of headlines; got {type(texts).__name__} instead"
        ) from None
    for k, t in enumerate(out):
        if not isinstance(t, str):
            raise DataError(
                f"{name}[{k}] must be a str; got {type(t).__name__} instead "
                "(fill missing headlines or drop those rows first)"
            )
    return out


def _codes(s: str) -> np.ndarray:
    return np.frombuffer(s.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _strip_marks_where_possible(texts: list[str], joined: str) -> str:
    """``_strip_joined(joined)``, with the regexes run only on lines that can hold a mark."""
    raw = _codes(joined)
    nl = np.flatnonzero(raw == 10)
    hit = np.flatnonzero(_MARK_CHAR[raw])
    rows = np.searchsorted(nl, hit)  # line of each hit
    dot = [m.start() for m in _DOT_TAIL_RE.finditer(joined)]
    if dot:
        # string offsets equal code-point offsets (one uint32 per character)
        rows = np.concatenate((rows, np.searchsorted(nl, np.array(dot, dtype=np.int64))))
    rows = np.unique(rows)
    if rows.size == 0:
        return joined
    if rows.size * 2 > len(texts):
        return _strip_joined(joined)
    sel = [texts[k] for k in rows.tolist()]
    new = _strip_joined("\n".join(sel)).split("\n")
    out = list(texts)
    for k, t in zip(rows.tolist(), new, strict=True):
        out[k] = t
    return "\n".join(out)


def _tokens(texts: list[str]) -> dict[str, np.ndarray]:
    """Strip marks, fold case, tokenize: token-level arrays for all ``texts`` at once."""
    n = len(texts)
    joined = "\n".join(texts)
    if joined.count("\n") != n - 1 or "\r" in joined:
        texts = [t.replace("\n", " ").replace("\r", " ") for t in texts]
        joined = "\n".join(texts)
    joined = _strip_marks_where_possible(texts, joined)
    if not unicodedata.is_normalized("NFC", joined):
        joined = unicodedata.normalize("NFC", joined)
    fold, upper = _fold_tables()
    raw_c = _codes(joined)
    nl = np.flatnonzero(raw_c == 10)  # only "\n" folds to "\n"
    doc_start = np.concatenate(([0], nl + 1)).astype(np.int64)
    doc_end = np.concatenate((nl, [raw_c.size])).astype(np.int64)
    if doc_start.size != n:  # pragma: no cover - newlines were replaced above
        raise AssertionError("headline boundaries lost")
    clean, clean_off, t_start, t_end, t_doc, t_first, t_cap, t_allcap = _tokenize(
        raw_c, fold, upper, doc_start, doc_end, _WORD_CHAR
    )
    whash, shash, lhash, is_num, is_latin = _token_hashes(
        clean,
        t_start,
        t_end,
        _ENDING_CODES,
        _ENDING_LEN,
        _ENDING_GROUP,
        _ENDING_GPTR,
        _ENDING_GIDX,
        _WORD_CHAR,
        _STEM_MAX,
        _MIN_STEM,
    )
    return {
        "clean": clean,
        "clean_off": clean_off,
        "doc": t_doc,
        "start": t_start,
        "end": t_end,
        "first": t_first.astype(bool),
        "cap": t_cap.astype(bool),
        "allcap": t_allcap.astype(bool),
        "whash": whash,
        "shash": shash,
        "lhash": lhash,
        "num": is_num.astype(bool),
        "latin": is_latin.astype(bool),
    }


# Given names, as stems. A given name or an initial right before another name ("Сергей
# Шойгу", "Дж. Керри", "Ю.Мамлеева") is not a name of its own for the name vetoes: one side
# often gives it and the other not ("Шойгу" / "Сергей Шойгу", "С.Хоркиной" / "Светланы
# Хоркиной"), and the surname after it still has to agree.
_GIVEN_NAMES = """
    александр алексей анатолий андрей антон аркадий арсений артем артур борис вадим валентин
    валерий василий виктор виталий владимир владислав всеволод вячеслав геннадий георгий герман
    глеб григорий даниил денис дмитрий евгений егор иван игорь илья кирилл константин лев
    леонид максим михаил никита николай олег павел петр роман руслан рустам рамзан сергей
    станислав степан тимур федор эдуард юрий ярослав
    алла анастасия анна валентина виктория галина дарья евгения екатерина елена ирина ксения
    людмила марина мария наталья надежда ольга полина светлана софья татьяна юлия
    нурсултан касым жомарт асхат бауыржан ерлан ерболат нурлан серик берик даурен дамир
    айгуль алия асель гульнара жанар айдос арман ержан бахытжан марат аскар алихан мухтар
    даулет самат талгат болат жанна динара сауле мадина еркин канат санжар
    джон джо джозеф дональд барак хиллари ангела эммануэль реджеп тайип нарендра биньямин
    беньямин мохаммед мухаммед джордж билл илон марк джефф тереза урсула стивен майкл дэвид
    джеймс роберт ричард томас эндрю джастин леонардо моника франсуа николя ким
    john joe joseph donald barack hillary angela emmanuel recep narendra benjamin mohammed
    muhammad george bill elon mark jeff theresa ursula steven michael david james robert
    richard thomas andrew justin leonardo
"""


_SURNAME_ENDS = (
    "ов",
    "ев",
    "ин",
    "ын",
    "ова",
    "ева",
    "ина",
    "ына",
    "ский",
    "цкий",
    "ская",
    "ұлы",
    "улы",
    "қызы",
    "енко",
    "швили",
    "дзе",
    "ян",
)

_SURNAME_LEN = np.array([len(e) for e in _SURNAME_ENDS], dtype=np.int64)
_SURNAME_CODES = np.zeros((len(_SURNAME_ENDS), max(_SURNAME_LEN)), dtype=np.uint32)
for _k, _e in enumerate(_SURNAME_ENDS):
    _SURNAME_CODES[_k, : len(_e)] = [ord(c) for c in _e]


def _given_name_stems() -> np.ndarray:
    """Stem hashes of ``_GIVEN_NAMES`` in their case forms (sorted)."""
    forms = set()
    for w in _GIVEN_NAMES.split():
        forms.add(w)
        base = w[:-1] if w[-1] in "айяь" else w
        for e in ("а", "у", "ом", "е", "ым", "ой", "ю", "я", "ей", "и", "ем", "ы", "ою"):
            forms.add(base + e)
    return _sorted_hashes(sorted({_stem_py(f) for f in forms}))


_GIVEN_STEMS = _given_name_stems()


@numba.njit(cache=True)
def _ends_with_any(clean, starts, ends, codes, lens, min_len):  # pragma: no cover - numba
    """1 where the word [start, end) is at least ``min_len`` long and has one of the endings."""
    out = np.zeros(starts.shape[0], dtype=np.uint8)
    for t in range(starts.shape[0]):
        s = starts[t]
        e = ends[t]
        if e - s < min_len:
            continue
        for j in range(lens.shape[0]):
            m = lens[j]
            ok = True
            for q in range(m):
                if clean[e - m + q] != codes[j, q]:
                    ok = False
                    break
            if ok:
                out[t] = 1
                break
    return out


#: Word vectors for the pair model's meaning feature, shipped beside the default topic model
#: and built by ``python -m training.dedup_vectors``.
VECTORS_NAME = "dedup-vectors.fcm"
VECTORS_KIND = "feedclass-dedup-vectors"


def vectors_path() -> Path:
    """Where the shipped word vectors live, in a checkout or an installed wheel."""
    return shipped_file(VECTORS_NAME)


@functools.lru_cache(maxsize=1)
def meaning_vectors() -> tuple[np.ndarray, np.ndarray]:
    """Sorted stem hashes and their unit vectors (float32); read once, never unpickled.

    Two headlines that say the same thing in other words ("погибли"/"жертвы", "задержан"/
    "арестован") share few stems; vectors learned from news text tell such words apart from
    unrelated ones ("театра"/"аэропорта"), which stems and characters cannot.
    """
    path = vectors_path()
    if not path.exists():
        raise ModelFileError(
            f"{path}: feedclass's word vectors are missing; reinstall feedclass "
            "(or rebuild them with `python -m training.dedup_vectors`)"
        )
    header, arrays = read_model_file(path)
    keys, vec = arrays.get("keys"), arrays.get("vectors")
    if (
        header.get("kind") != VECTORS_KIND
        or keys is None
        or vec is None
        or keys.dtype != np.uint64
        or vec.ndim != 2
        or vec.shape[0] != keys.size
        or (keys.size > 1 and not bool(np.all(keys[1:] > keys[:-1])))
    ):
        raise ModelFileError(f"{path}: not a feedclass word-vector file")
    return keys, np.ascontiguousarray(vec, dtype=np.float32)


@dataclass
class _ContentTokens:
    tk: dict[str, np.ndarray]
    doc: np.ndarray
    whash: np.ndarray
    shash: np.ndarray  # stems, with number words, aliases and months made canonical
    num: np.ndarray
    ismonth: np.ndarray
    content: np.ndarray  # not a function word nor the absorbed half of a two-word alias
    month_keys: np.ndarray
    month_vals: np.ndarray


def content_tokens(texts: list[str]) -> _ContentTokens:
    """Tokens of ``texts`` with the stems the scorer compares (also how word vectors are keyed)."""
    tk = _tokens(texts)
    doc = tk["doc"]
    whash = tk["whash"]
    shash = tk["shash"].copy()
    num = tk["num"].copy()
    # Number words count as numbers ("десять" == "10").
    order = np.argsort(_NUMW_KEYS)
    nk, nv = _NUMW_KEYS[order], _NUMW_VALS[order]
    pos = _find_sorted(nk, whash)
    pos[pos >= nk.size] = 0
    isw = nk[pos] == whash
    shash[isw] = nv[pos[isw]]
    num |= isw
    # Months.
    order = np.argsort(_MONTH_KEYS)
    mk, mv = _MONTH_KEYS[order], _MONTH_VALS[order]
    pos = _find_sorted(mk, whash)
    pos[pos >= mk.size] = 0
    ismonth = mk[pos] == whash
    stop = _in_sorted(whash, _STOP_HASHES) & ~num & ~ismonth
    shash, absorbed = _apply_aliases(doc, whash, shash)
    content = ~stop & ~absorbed
    return _ContentTokens(tk, doc, whash, shash, num, ismonth, content, mk, mv)


def _featurize(texts: list[str], idf: _Idf | None = None) -> tuple[_Features, _Idf]:
    """Turn headlines into the arrays the scorer reads; IDF from ``idf`` or from ``texts``."""
    n = len(texts)
    if n == 0:
        texts = [""]  # featurize one empty headline, then drop it below
        _unused, idf_out = _featurize(texts, idf)
        return _empty_features(), idf_out
    ct = content_tokens(texts)
    tk, doc, whash, shash = ct.tk, ct.doc, ct.whash, ct.shash
    num, ismonth, content = ct.num, ct.ismonth, ct.content
    mk, mv = ct.month_keys, ct.month_vals

    # Which capitalised tokens are names. Mid-headline capitals are; so are acronyms. A first
    # word is capitalised anyway, so it counts only if the batch shows the same stem with a
    # capital mid-headline more often than in lower case, or if it looks like a surname or is
    # in Latin script inside the batch.
    letters = content & ~num & ~ismonth
    # In a headline set in capitals case says nothing about names: it neither shows a stem as a
    # name nor has names of its own beyond the stems the rest of the batch shows as names.
    n_let = np.bincount(doc[letters], minlength=n)
    n_cap = np.bincount(doc[letters & tk["allcap"]], minlength=n)
    shouty = (n_let >= 3) & (n_cap >= 0.8 * n_let)
    mid = letters & ~tk["first"] & ~shouty[doc]
    cap_keys_new = np.unique(shash[mid & tk["cap"]])
    low_keys, low_counts = np.unique(shash[mid & ~tk["cap"]], return_counts=True)
    capk, capc = np.unique(shash[mid & tk["cap"]], return_counts=True)
    proper = np.zeros(shash.shape, dtype=bool)
    if capk.size and not (idf is not None and idf.fixed_names):
        # stems seen capitalised mid-headline more often than in lower case
        lc = np.zeros(capk.size, dtype=np.int64)
        if low_keys.size:
            p2 = np.searchsorted(low_keys, capk)
            p2[p2 >= low_keys.size] = 0
            hit = low_keys[p2] == capk
            lc[hit] = low_counts[p2[hit]]
        names = capk[capc > lc]
        if idf is not None and idf.cap_keys.size:
            names = np.union1d(names, idf.cap_keys)
        proper = _in_sorted(shash, names)
    elif idf is not None and idf.cap_keys.size:
        proper = _in_sorted(shash, idf.cap_keys)
    first_name = letters & tk["first"] & tk["cap"]
    if first_name.any():
        idx = np.flatnonzero(first_name)
        surname = _ends_with_any(
            tk["clean"], tk["start"][idx], tk["end"][idx], _SURNAME_CODES, _SURNAME_LEN, 4
        ).astype(bool)
        first_name[idx] = surname | proper[idx] | tk["latin"][idx]
    # Stems the batch shows as names count as names even where a copy was lower-cased.
    entity = letters & ((tk["cap"] & ~tk["first"]) | tk["allcap"] | first_name | proper)
    if shouty.any():
        in_shouty = shouty[doc]
        entity[in_shouty] = (letters & proper)[in_shouty]
    # A given name or an initial right before another name is not a name that must agree
    # (see _GIVEN_NAMES), nor a plain word that differs: it is left out of both counts.
    own_name = entity.copy()
    lead = np.zeros_like(entity)
    lead[:-1] = entity[:-1] & entity[1:] & (doc[:-1] == doc[1:])
    if lead.any():
        k = np.flatnonzero(lead)
        width = tk["end"][k] - tk["start"][k]
        initial = (width == 1) | ((width == 2) & ~tk["allcap"][k])
        own_name[k[initial | _in_sorted(shash[k], _GIVEN_STEMS)]] = False
    # Surnames that share a short stem must also share the long one ("Сагинтаев"/"Сагинбаев")
    surname = own_name & (tk["lhash"] != 0) & (shash == tk["shash"])

    # Word (stem) TF-IDF over content tokens.
    wsh = shash[content]
    wkeys = np.unique(wsh)
    winv = _find_sorted(wkeys, wsh)  # np.unique's inverse without its argsort (all present)
    del wsh
    wdoc = doc[content]
    wptr0 = _ptr_from_docs(wdoc, n)
    # counts per (doc, stem): sort rows, then collapse; a row's distinct stems give the df
    _p, sorted_rows = _sorted_rows(wptr0, winv)
    wptr_c, widx_c, wcnt = _count_rows(wptr0, sorted_rows)
    df_local = np.bincount(widx_c, minlength=wkeys.size).astype(np.float64)

    # Char n-gram TF-IDF.
    cptr, cidx, ccnt = _char_ngrams(tk["clean"], tk["clean_off"], _CHAR_N, _CHAR_BUCKETS)

    if idf is None:
        char_df = np.bincount(cidx, minlength=_CHAR_BUCKETS).astype(np.float64)
        idf = _Idf(
            n_docs=n, char_df=char_df, word_keys=wkeys, word_df=df_local, cap_keys=cap_keys_new[:0]
        )
        names_for_idf = _names_stems(shash, proper)
        idf.cap_keys = names_for_idf
        n_idf = n
        w_df = df_local
    else:
        n_idf = idf.n_docs
        char_df = idf.char_df
        w_df = np.zeros(wkeys.size, dtype=np.float64)
        if idf.word_keys.size:
            p2 = np.searchsorted(idf.word_keys, wkeys)
            p2[p2 >= idf.word_keys.size] = 0
            hit = idf.word_keys[p2] == wkeys
            w_df[hit] = idf.word_df[p2[hit]]
    # IDF of the buckets present only: a handful of headlines (the incremental index) must not
    # pay for the logarithm of every bucket
    w_idf = _smooth_idf(w_df, n_idf)
    if cidx.size * 8 < char_df.size:
        c_keys, c_pos = np.unique(cidx, return_inverse=True)
        cval = _tfidf_normalize(cptr, c_pos.reshape(-1), ccnt, _smooth_idf(char_df[c_keys], n_idf))
        del c_keys, c_pos
    else:
        cval = _tfidf_normalize(cptr, cidx, ccnt, _smooth_idf(char_df, n_idf))
    # The char-gram rows are the bulk of what pair scoring reads at random: half-width types
    # halve that memory traffic (bucket ids < 2**21; cosine terms need no more precision).
    cidx = cidx.astype(np.int32, copy=False)
    cval = cval.astype(np.float32)
    del ccnt
    wval = _tfidf_normalize(wptr_c, widx_c, wcnt, w_idf)

    nptr, nidx = _sorted_unique_rows(_ptr_from_docs(doc[num], n), shash[num])
    mptr, midx = _sorted_unique_rows(_ptr_from_docs(doc[ismonth], n), mv_of(whash, ismonth, mk, mv))
    eptr, eidx = _sorted_unique_rows(_ptr_from_docs(doc[entity], n), shash[entity])
    # a headline's distinct stems: its word TF-IDF row's ids, as hashes (same order, as wkeys
    # is sorted)
    sptr, sidx = wptr_c, wkeys[widx_c]
    clean_off = tk["clean_off"]
    length = np.diff(clean_off)
    clean_hash = _row_hashes(tk["clean"], clean_off)
    # The rarity features read IDF over the feed plus _PRIOR_DOCS headlines assumed not to
    # contain the word: a batch of five headlines cannot show that a word is common, so its
    # words count as rare until a large feed says otherwise (a large feed barely notices).
    r_idf = _smooth_idf(w_df, n_idf + _PRIOR_DOCS)
    stem_idf = r_idf[widx_c]
    vec_keys, vectors = meaning_vectors()
    if vec_keys.size:
        # look up each distinct stem once, then spread to the rows
        vp = np.minimum(np.searchsorted(vec_keys, wkeys), vec_keys.size - 1)
        stem_vec = np.where(vec_keys[vp] == wkeys, vp, -1).astype(np.int32)[widx_c]
    else:
        stem_vec = np.full(sidx.size, -1, dtype=np.int32)
    op = np.minimum(np.searchsorted(_OPPOSITE_KEYS, wkeys), _OPPOSITE_KEYS.size - 1)
    stem_pole = np.where(_OPPOSITE_KEYS[op] == wkeys, _OPPOSITE_CODES[op], -1).astype(np.int32)
    stem_pole = stem_pole[widx_c]
    feats = _Features(
        n=n,
        char=(cptr, cidx, cval),
        word_val=wval,
        numbers=(nptr, nidx),
        months=(mptr, midx),
        entities=(eptr, eidx),
        stems=(sptr, sidx),
        length=length,
        clean_hash=clean_hash,
        stem_idf=stem_idf,
        number_idf=_idf_of(nidx, wkeys, r_idf),
        stem_vec=stem_vec,
        stem_pole=stem_pole,
        vectors=vectors,
        entities_all=_sorted_rows(_ptr_from_docs(doc[own_name], n), shash[own_name]),
        stems_all=_sorted_rows(_ptr_from_docs(doc[content], n), shash[content]),
        surnames=(_ptr_from_docs(doc[surname], n), shash[surname], tk["lhash"][surname]),
        log_n=float(np.log(n_idf + _PRIOR_DOCS + 1.0)),
    )
    return feats, idf


def _idf_of(keys: np.ndarray, wkeys: np.ndarray, w_idf: np.ndarray) -> np.ndarray:
    """IDF of each stem hash in ``keys`` (all of them among the sorted ``wkeys``)."""
    if wkeys.size == 0:
        return np.zeros(keys.size, dtype=np.float64)
    pos = np.minimum(np.searchsorted(wkeys, keys), wkeys.size - 1)
    return np.ascontiguousarray(w_idf[pos], dtype=np.float64)


def _empty_features() -> _Features:
    z = np.zeros(1, dtype=np.int64)
    e64 = np.zeros(0, dtype=np.int64)
    eu = np.zeros(0, dtype=np.uint64)
    ef = np.zeros(0, dtype=np.float64)
    return _Features(
        n=0,
        char=(z, e64, ef),
        word_val=ef,
        numbers=(z, eu),
        months=(z, e64),
        entities=(z, eu),
        stems=(z, eu),
        length=e64,
        clean_hash=eu,
        stem_idf=ef,
        number_idf=ef,
        stem_vec=np.zeros(0, dtype=np.int32),
        stem_pole=np.zeros(0, dtype=np.int32),
        vectors=np.zeros((1, 1), dtype=np.float32),
        entities_all=(z, eu),
        stems_all=(z, eu),
        surnames=(z, eu, eu),
        log_n=0.0,
    )


def mv_of(whash: np.ndarray, mask: np.ndarray, mk: np.ndarray, mv: np.ndarray) -> np.ndarray:
    pos = np.searchsorted(mk, whash[mask])
    return mv[pos].astype(np.int64)


def _names_stems(shash: np.ndarray, proper: np.ndarray) -> np.ndarray:
    return np.unique(shash[proper])


@numba.njit(cache=True, parallel=True)
def _sorted_rows(indptr, vals):  # pragma: no cover - numba
    out = vals.copy()
    for d in numba.prange(indptr.shape[0] - 1):
        _sort_slice(out, indptr[d], indptr[d + 1])
    return indptr, out


@numba.njit(cache=True, parallel=True)
def _row_hashes(clean, off):  # pragma: no cover - numba
    n = off.shape[0] - 1
    out = np.empty(n, dtype=np.uint64)
    for d in numba.prange(n):
        out[d] = _hash_codes(clean, off[d], off[d + 1])
    return out


_FEATURES = (
    "char_cos",
    "word_cos",
    "number_conflict",
    "month_conflict",
    "entity_conflict",
    "names_missing",
    "substitution",
    "containment",
    "words_missing",
    "both_missing",
    "shared_numbers",
    "both_missing_share",
    "specificity",
    "rarest_shared",
    "meaning_match",
    "unexplained",
    "both_unexplained",
    "opposite",
    "skipped",
)
_N_FEATURES = len(_FEATURES)
_SKIPPED = _FEATURES.index("skipped")
_OPPOSITE = _FEATURES.index("opposite")


@numba.njit(cache=True, parallel=True)
def _pair_features_par(pi, pj, *rest):  # pragma: no cover - numba
    """``_pair_features`` over blocks of pairs on all cores (each pair's row is independent)."""
    n = pi.shape[0]
    out = np.empty((n, _N_FEATURES), dtype=np.float64)
    nb = min(max(n // 8192, 1), 256)
    for b in numba.prange(nb):
        a = n * b // nb
        e = n * (b + 1) // nb
        out[a:e] = _pair_features(pi[a:e], pj[a:e], *rest)
    return out


def _kernel_args(f: _Features, min_score: float) -> tuple[Any, ...]:
    """What ``_pair_features`` reads after the pair indices, in its order."""
    return (
        *f.char,
        f.word_val,
        *f.numbers,
        f.number_idf,
        *f.months,
        *f.entities,
        *f.stems,
        f.stem_idf,
        f.stem_vec,
        f.stem_pole,
        f.vectors,
        *f.entities_all,
        *f.stems_all,
        *f.surnames,
        f.log_n,
        _WEIGHTS,
        _NAME_VETO_WORDS,
        float(min_score),
    )


def _features_of_pairs(
    f: _Features, pi: np.ndarray, pj: np.ndarray, min_score: float = 0.0
) -> np.ndarray:
    return _pair_features_par(pi.astype(np.int64), pj.astype(np.int64), *_kernel_args(f, min_score))


# ---------------------------------------------------------------------------------------------
# Candidate pairs: MinHash banding over word stems.
# ---------------------------------------------------------------------------------------------
@numba.njit(cache=True, parallel=True)
def _band_keys(s_ptr, s_idx, fallback, band, rows, seed):  # pragma: no cover - numba
    """Key of one MinHash band per headline: ``rows`` min-hashes of its stem set, combined.

    Computed band by band, so the full signature matrix (n x bands x rows) never exists.
    Empty stem sets use their exact-text hash, so only identical such headlines collide.
    """
    n = s_ptr.shape[0] - 1
    out = np.empty(n, dtype=np.uint64)
    for d in numba.prange(n):
        a = s_ptr[d]
        e = s_ptr[d + 1]
        h = np.uint64(band + 1)
        for r in range(rows):
            k = band * rows + r
            salt = _mix64(np.uint64(seed) + np.uint64(k) * np.uint64(0x9E3779B97F4A7C15))
            if a == e:
                m = _mix64(fallback[d] ^ salt)
            else:
                m = np.uint64(0xFFFFFFFFFFFFFFFF)
                for q in range(a, e):
                    v = _mix64(s_idx[q] ^ salt)
                    if v < m:
                        m = v
            h = _mix64(h ^ m)
        out[d] = h
    return out


@numba.njit(cache=True)
def _bucket_pairs(packed, idx_bits, key_shift, window, n, out, pos):  # pragma: no cover - numba
    """Pair codes ``i * n + j`` (i < j) of items sharing a band key, ``window`` neighbours each,
    written as ``code * 64 + 1`` (one band's vote, the form ``_merge_sorted_counted`` adds up).

    ``packed`` is sorted and holds, from the high bits down: the band key (the bits above
    ``key_shift``), a secondary key that orders a big bucket so near duplicates are neighbours,
    and the item index (the low ``idx_bits``). The work stays linear however large a bucket is.
    """
    m = packed.shape[0]
    imask = (np.uint64(1) << np.uint64(idx_bits)) - np.uint64(1)
    sh = np.uint64(key_shift)
    for a in range(m):
        ka = packed[a] >> sh
        i = np.int64(packed[a] & imask)
        lim = min(m, a + 1 + window)
        for b in range(a + 1, lim):
            if (packed[b] >> sh) != ka:
                break
            j = np.int64(packed[b] & imask)
            if i < j:
                out[pos] = (i * n + j) * 64 + 1
            else:
                out[pos] = (j * n + i) * 64 + 1
            pos += 1
    return pos


@numba.njit(cache=True, inline="always")
def _split_code(code, n, inv_n):  # pragma: no cover - numba
    """``(code // n, code % n)`` through a float reciprocal, corrected to the exact quotient
    (an integer division costs ~10x more)."""
    i = np.int64(code * inv_n)
    while i * n > code:
        i -= 1
    while (i + 1) * n <= code:
        i += 1
    return i, code - i * n


@numba.njit(cache=True)
def _top_k(packed, n, k):  # pragma: no cover - numba
    """Keep a pair when it is among the ``k`` best (most bands shared) of either of its items.

    ``packed`` holds ``code * 64 + count``, sorted by code. Pairs are visited best first: most
    bands, then lowest code (a stable counting sort on the count for the pairs seen by two or
    more bands; the bulk seen by one band comes last, read in place). The cap bounds the exact
    scoring work per item even inside huge buckets of look-alike headlines, while every item
    keeps its closest candidates. Returns the kept pairs ``(i, j)`` in code order.
    """
    m = packed.shape[0]
    hist = np.zeros(65, dtype=np.int64)
    for p in range(m):
        hist[packed[p] & 63] += 1
    start = np.zeros(65, dtype=np.int64)
    for c in range(62, 1, -1):
        start[c] = start[c + 1] + hist[c + 1]
    order = np.empty(start[2] + hist[2], dtype=np.int64)
    for p in range(m):
        c = packed[p] & 63
        if c >= 2:
            order[start[c]] = p
            start[c] += 1
    deg = np.zeros(n, dtype=np.int32)
    keep = np.zeros(m, dtype=np.bool_)
    n_keep = 0
    inv_n = 1.0 / n
    for q in range(order.shape[0] + m):
        if q < order.shape[0]:
            p = order[q]
        else:
            p = q - order.shape[0]
            if (packed[p] & 63) != 1:
                continue
        i, j = _split_code(packed[p] >> 6, n, inv_n)
        if deg[i] < k or deg[j] < k:
            keep[p] = True
            n_keep += 1
            deg[i] += 1
            deg[j] += 1
    pi = np.empty(n_keep, dtype=np.int64)
    pj = np.empty(n_keep, dtype=np.int64)
    w = 0
    for p in range(m):
        if keep[p]:
            pi[w], pj[w] = _split_code(packed[p] >> 6, n, inv_n)
            w += 1
    return pi, pj


@numba.njit(cache=True)
def _merge_sorted_counted(packed):  # pragma: no cover - numba
    """In place: merge runs of equal codes in sorted ``code * 64 + count``; returns the length."""
    m = packed.shape[0]
    w = -1
    for r in range(m):
        code = packed[r] >> 6
        if w >= 0 and (packed[w] >> 6) == code:
            c = (packed[w] & 63) + (packed[r] & 63)
            packed[w] = code * 64 + (c if c < 63 else 63)
        else:
            w += 1
            packed[w] = packed[r]
    return w + 1


@numba.njit(cache=True)
def _partition_below(a, pivot):  # pragma: no cover - numba
    """Reorder ``a`` in place so the values below ``pivot`` come first; return how many."""
    i = 0
    j = a.size - 1
    while True:
        while i <= j and a[i] < pivot:
            i += 1
        while i <= j and a[j] >= pivot:
            j -= 1
        if i >= j:
            return i
        a[i], a[j] = a[j], a[i]
        i += 1
        j -= 1


_PARALLEL_SORT_MIN = 1 << 22  # below this one thread sorts as fast as splitting pays


def _sort_in_place(a: np.ndarray) -> None:
    """``a.sort()`` on every core: numpy's sort runs on one, and at 1,000,000 headlines the
    candidate codes (130 million) took a quarter of the whole run. The array is split around
    sampled medians into one range per core (no copy), and each range is sorted in its own
    thread (numpy releases the GIL while it sorts). The result is the same sorted array."""
    parts = [a]
    cores = os.cpu_count() or 1
    while len(parts) < cores and a.size >= _PARALLEL_SORT_MIN:
        big = max(range(len(parts)), key=lambda k: parts[k].size)
        p = parts[big]
        if p.size < _PARALLEL_SORT_MIN // 2:
            break
        sample = np.sort(p[np.random.default_rng(p.size).integers(0, p.size, 65536)])
        k = int(_partition_below(p, sample[sample.size // 2]))
        if k == 0 or k == p.size:  # one value fills the middle: sort what is left as it is
            break
        parts[big : big + 1] = [p[:k], p[k:]]
    if len(parts) == 1:
        a.sort()
        return
    with ThreadPoolExecutor(len(parts)) as pool:
        list(pool.map(np.ndarray.sort, parts))


_BANDS = 48
_ROWS = 2
_WINDOW = 3
_TOP_K = 12
_SEED = 20240501


def _candidates(
    f: _Features, bands: int = _BANDS, rows: int = _ROWS, top_k: int = _TOP_K
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (i < j), unique, from MinHash banding over the stem sets.

    Every band proposes its bucket neighbours; a pair proposed by more bands is more likely a
    near duplicate (the count estimates the stem Jaccard), so each item keeps its ``top_k``
    best-supported pairs. Sorting plain integers (numpy's SIMD sort) does all the grouping.
    """
    n = f.n
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    s_ptr, s_idx = f.stems
    idx_bits = max(1, int(n - 1).bit_length())
    # Sort key per band, from the high bits down: this band's key, the previous band's key,
    # the item index. Inside a big bucket, items that also share the previous band are
    # neighbours, so the window pairs near duplicates rather than arbitrary bucket-mates.
    key_bits = (64 - idx_bits) * 11 // 20
    key_shift = 64 - key_bits
    sec_bits = key_shift - idx_bits
    # Items are numbered by content (cleaned-text hash, then position) for the tie-breaks of
    # bucketing and top-k, so that which pairs become candidates does not depend on the order
    # of the feed; the pairs are mapped back to feed positions at the end.
    perm = np.argsort(f.clean_hash, kind="stable")
    idx = np.empty(n, dtype=np.uint64)
    idx[perm] = np.arange(n, dtype=np.uint64)
    # All bands' pair codes go to one buffer (pages are touched only as it fills), sorted once
    # at the end: one SIMD sort instead of re-sorting a growing accumulator every few bands.
    acc = np.empty(bands * n * _WINDOW, dtype=np.int64)
    pos = 0
    prev = _band_keys(s_ptr, s_idx, f.clean_hash, bands - 1, rows, _SEED)
    for b in range(bands):
        keys = _band_keys(s_ptr, s_idx, f.clean_hash, b, rows, _SEED)
        packed = ((keys >> np.uint64(key_shift)) << np.uint64(key_shift)) | idx
        if sec_bits > 0:
            packed |= (prev >> np.uint64(64 - sec_bits)) << np.uint64(idx_bits)
        prev = keys
        packed.sort()
        pos = _bucket_pairs(packed, idx_bits, key_shift, _WINDOW, n, acc, pos)
        del packed
    if pos == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    acc = acc[:pos]
    _sort_in_place(acc)
    acc = acc[: _merge_sorted_counted(acc)]
    ci, cj = _top_k(acc, n, top_k)
    a = perm[ci]
    b = perm[cj]
    code = np.minimum(a, b) * n + np.maximum(a, b)
    _sort_in_place(code)  # pairs by first item: pair scoring then reads that item's rows in order
    return code // n, code % n


# ---------------------------------------------------------------------------------------------
# Scoring: a small logistic model over the pair features, plus hard vetoes.
# ---------------------------------------------------------------------------------------------
# Weights of the pair model: logistic regression with sign constraints -- similarity terms may
# only raise the score and difference terms only lower it -- so no weight rewards a difference
# because of a quirk of one data set. Fitted on ParaPhraser's pairs plus 1,391 feed candidates
# we labelled by reading (``training/dedup_labels/feed_pairs.csv``: headlines of different
# ParaPhraser pairs, and Telegram posts of 2024, that the candidate search brings together;
# 58% are different stories, which ParaPhraser's own pairs seldom show). 5-fold CV, pair by
# pair: ParaPhraser recall at precision 0.9 0.706 (0.694 before the given-name rule, the
# surname stems and the meaning x rarity term); at that score the held-out feed pairs reach
# precision 0.588. `python benchmarks/eval_dedup.py --fit` reproduces them. Its
# ``--synth-weight`` adds pairs of a synthetic feed (``training/dedup_synthetic.py``): they
# cut false merges on the 1,000,000-headline benchmark tenfold but cost ParaPhraser recall
# and split heavily reposted stories, so the shipped weights leave them out (see README).
# Order: bias, then the columns of _design (char_cos first; the rest feed _logit_rest).
_WEIGHTS = np.array(
    [
        -2.711,
        1.8451,
        0.609,
        0.4237,
        -0.4011,
        -0.4995,
        -0.4532,
        -0.2195,
        0.8437,
        0.0,
        0.0,
        0.5342,
        1.8443,
        0.643,
        -0.7024,
        -0.6682,
        0.9889,
    ]
)

# A name substitution vetoes a merge when at most this many other words differ. 2 cost
# ParaPhraser 2 points of recall (a place named two ways: "Под Петербургом"/"В Ленобласти");
# 0 let a copy with one filler word merge with its neighbour from another city.
_NAME_VETO_WORDS = 1


@numba.njit(cache=True, inline="always")
def _logit_rest(x, w):  # pragma: no cover - numba
    """Logit of the pair model without the character-cosine term (one feature row ``x``)."""
    return (
        w[0]
        + w[2] * x[1]
        + w[3] * x[7]
        + w[4] * x[4]
        + w[5] * min(x[5], 4.0) / 4.0
        + w[6] * min(x[8], 8.0) / 8.0
        + w[7] * min(x[9], 4.0) / 4.0
        + w[8] * min(x[10], 2.0) / 2.0
        + w[9] * (1.0 if x[9] >= 2.0 else 0.0)
        + w[10] * x[11]
        + w[11] * min(max(x[12], -5.0), 15.0) / 10.0
        + w[12] * x[13]
        + w[13] * x[14]
        + w[14] * x[15]
        + w[15] * x[16]
        + w[16] * x[14] * min(x[13], 1.0)
    )


def _design(x: np.ndarray) -> np.ndarray:
    """The terms ``_logit_rest`` and the char-cosine term weigh, as columns (for fitting).

    Column k goes with ``_WEIGHTS[k + 1]``: char_cos, word_cos, containment, entity_conflict,
    names_missing/4, words_missing/8, both_missing/4, shared_numbers/2 (counts capped),
    both_missing >= 2, both_missing_share, specificity, rarest_shared, meaning_match,
    unexplained, both_unexplained, meaning_match x rarest_shared (the unshared words mean the
    same *and* a rare word is shared).
    """
    return np.column_stack(
        (
            x[:, 0],
            x[:, 1],
            x[:, 7],
            x[:, 4],
            np.minimum(x[:, 5], 4) / 4,
            np.minimum(x[:, 8], 8) / 8,
            np.minimum(x[:, 9], 4) / 4,
            np.minimum(x[:, 10], 2) / 2,
            (x[:, 9] >= 2).astype(np.float64),
            x[:, 11],
            np.clip(x[:, 12], -5.0, 15.0) / 10.0,
            x[:, 13],
            x[:, 14],
            x[:, 15],
            x[:, 16],
            x[:, 14] * np.minimum(x[:, 13], 1.0),
        )
    )


def _vetoed(x: np.ndarray) -> np.ndarray:
    """Rows the hard vetoes refuse (or the kernel skipped): their score is 0."""
    return (
        (x[:, _SKIPPED] > 0)
        | (x[:, 2] > 0)
        | (x[:, 3] > 0)
        | (x[:, 6] > 0)
        | ((x[:, 4] > 0) & (x[:, 8] <= _NAME_VETO_WORDS))
        | (x[:, _OPPOSITE] > 0)
    )


@numba.njit(cache=True)
def _score_rows(x, w, name_veto_words):  # pragma: no cover - numba
    out = np.zeros(x.shape[0], dtype=np.float64)
    for p in range(x.shape[0]):
        if x[p, _SKIPPED] > 0:
            continue
        # Vetoes: numbers or months substituted; names substituted while at most
        # name_veto_words other words differ ("... в Караганде" vs "... в Костанае").
        if x[p, 2] > 0 or x[p, 3] > 0 or x[p, 6] > 0:
            continue
        if x[p, 4] > 0 and x[p, 8] <= name_veto_words:
            continue
        if x[p, _OPPOSITE] > 0:  # an event and its opposite ("прекратила"/"возобновила")
            continue
        z = w[1] * x[p, 0] + _logit_rest(x[p], w)
        out[p] = 1.0 / (1.0 + math.exp(-z))
    return out


def _score_features(x: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Similarity in [0, 1] from pair features; substituted numbers/months/names score 0."""
    w = _WEIGHTS if weights is None else np.asarray(weights, dtype=np.float64)
    return _score_rows(np.ascontiguousarray(x, dtype=np.float64), w, _NAME_VETO_WORDS)


# ---------------------------------------------------------------------------------------------
# Clustering: best-first average linkage over the candidate pairs.
# ---------------------------------------------------------------------------------------------
#: Cross pairs compared when two clusters meet. Up to this many, every member of one side is
#: compared with every member of the other, so a merge never brings together two items whose
#: facts conflict (a veto) or that are far apart; beyond it, the first members of each side
#: (the representative and the earliest joiners) stand for the rest, which bounds the work of
#: a merge into a story reposted thousands of times. Members left out are still checked
#: against the representative at the end (see ``_cluster``).
_MERGE_BUDGET = 256
_SAMPLE_MIN = 8  # first members per side whose averages must reach the threshold
_SAMPLE_SQ = 16  # members of each side compared when both sides are large (16 x 16 = 256)


@numba.njit(cache=True, inline="always")
def _find(root, x):  # pragma: no cover - numba
    while root[x] != x:
        root[x] = root[root[x]]
        x = root[x]
    return x


@numba.njit(cache=True, inline="always")
def _known_score(adj_ptr, adj_j, adj_s, u, v):  # pragma: no cover - numba
    """Score of the scored pair (u, v) from u's row (sorted by neighbour), or -1 if absent."""
    lo = adj_ptr[u]
    hi = adj_ptr[u + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if adj_j[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    if lo < adj_ptr[u + 1] and adj_j[lo] == v:
        return adj_s[lo]
    return -1.0


@numba.njit(cache=True)
def _pair_scores(  # pragma: no cover - numba
    qi, qj, adj_ptr, adj_j, adj_s, can_score, clean_hash, weights, name_veto_words, rest
):
    """Scores of pairs (qi, qj): looked up among the scored candidates, else scored now (when
    the features are at hand), else 0 -- a pair never compared counts as unrelated."""
    m = qi.shape[0]
    out = np.zeros(m, dtype=np.float64)
    todo = np.zeros(m, dtype=np.bool_)
    nt = 0
    for q in range(m):
        s = _known_score(adj_ptr, adj_j, adj_s, qi[q], qj[q])
        if s >= 0.0:
            out[q] = s
        elif clean_hash[qi[q]] == clean_hash[qj[q]] and can_score:
            out[q] = 1.0
        elif can_score:
            todo[q] = True
            nt += 1
    if nt:
        ti = qi[todo]
        tj = qj[todo]
        s = _score_rows(_pair_features(ti, tj, *rest), weights, name_veto_words)
        out[todo] = s
    return out


@numba.njit(cache=True)
def _agglomerate(  # pragma: no cover - numba
    n,
    rank,
    ei,
    ej,
    adj_ptr,
    adj_j,
    adj_s,
    source,
    fixed,
    threshold,
    floor,
    can_score,
    clean_hash,
    weights,
    name_veto_words,
    rest,
):
    """Merge clusters along the pairs ``(ei, ej)``, best score first.

    Two clusters merge when no cross pair is below ``floor`` (all cross pairs up to
    ``_MERGE_BUDGET``, else the first members of each side) and each of the first
    ``_SAMPLE_MIN`` members of either side reaches the threshold on average over the other's
    first members. So an item joins a small cluster only if it matches each member, A~B and
    B~C do not drag a distant C in, and one close member cannot carry in a cluster the others
    do not match. The best pairs merge first, so an item is not captured by whichever loose
    match came earlier in the feed; ranks only break ties and choose the representative (a
    cluster's best-ranked member). Two ``fixed`` items (history) never share a cluster, nor
    do two items with the same known ``source``.
    """
    root = np.arange(n)
    head = np.arange(n)  # member list per root, representative first
    tail = np.arange(n)
    nxt = np.full(n, -1, dtype=np.int64)
    size = np.ones(n, dtype=np.int64)
    has_fixed = fixed > 0
    has_src = source >= 0
    # (cluster root, source) pairs present, so a merge checks the smaller side's sources only
    n_src = max(source.max() + 1, 1) if n else 1
    seen = numba.typed.Dict.empty(key_type=numba.types.int64, value_type=numba.types.boolean)
    for i in range(n):
        if source[i] >= 0:
            seen[i * n_src + source[i]] = True
    qi = np.empty(_MERGE_BUDGET, dtype=np.int64)
    qj = np.empty(_MERGE_BUDGET, dtype=np.int64)
    eps = 1e-9  # an average equal to the threshold passes despite float rounding
    for e in range(ei.shape[0]):
        a = _find(root, ei[e])
        b = _find(root, ej[e])
        if a == b or (has_fixed[a] and has_fixed[b]):
            continue
        small = a if size[a] <= size[b] else b
        large = b if small == a else a
        if has_src[a] and has_src[b]:
            clash = False
            m = head[small]
            while m >= 0:
                if source[m] >= 0 and (large * n_src + source[m]) in seen:
                    clash = True
                    break
                m = nxt[m]
            if clash:
                continue
        # members compared per side: all of both if the budget allows, else the first ones
        na = size[a]
        nb = size[b]
        if na * nb > _MERGE_BUDGET:
            lo = min(na, nb)
            if lo * _SAMPLE_MIN > _MERGE_BUDGET:
                na = _SAMPLE_SQ
                nb = _SAMPLE_SQ
            elif na <= nb:
                nb = _MERGE_BUDGET // na
            else:
                na = _MERGE_BUDGET // nb
        # cross pairs, a-major: row x is a's x-th member
        k = 0
        u = head[a]
        for _x in range(na):
            v = head[b]
            for _y in range(nb):
                qi[k] = u
                qj[k] = v
                k += 1
                v = nxt[v]
            u = nxt[u]
        s = _pair_scores(
            qi[:k],
            qj[:k],
            adj_ptr,
            adj_j,
            adj_s,
            can_score,
            clean_hash,
            weights,
            name_veto_words,
            rest,
        )
        if s.min() < floor:
            continue
        # each of the first members of either side (the representative and the earliest
        # joiners) must match the other side on average: an item joining a cluster must match
        # each of them, and one close member cannot carry in the rest. (Averaging over every
        # member split stories reposted thousands of times into dozens of pieces.)
        ma = min(na, _SAMPLE_MIN)
        mb = min(nb, _SAMPLE_MIN)
        ok = True
        for x in range(ma):
            if s[x * nb : x * nb + mb].mean() < threshold - eps:
                ok = False
                break
        for y in range(mb):
            if not ok:
                break
            if s[y : ma * nb : nb].mean() < threshold - eps:
                ok = False
        if not ok:
            continue
        # the larger cluster's root stays, so an item's source is re-filed O(log n) times in
        # all; the member list starts with the better-ranked representative
        first = a if rank[head[a]] < rank[head[b]] else b
        second = b if first == a else a
        if has_src[small]:
            m = head[small]
            while m >= 0:
                if source[m] >= 0:
                    seen[large * n_src + source[m]] = True
                m = nxt[m]
        nxt[tail[first]] = head[second]
        h = head[first]
        t = tail[second]
        root[small] = large
        head[large] = h
        tail[large] = t
        size[large] += size[small]
        has_fixed[large] = has_fixed[large] or has_fixed[small]
        has_src[large] = has_src[large] or has_src[small]
    leader = np.empty(n, dtype=np.int64)
    for i in range(n):
        leader[i] = head[_find(root, i)]
    return leader


def _cluster(
    n: int,
    pi: np.ndarray,
    pj: np.ndarray,
    score: np.ndarray,
    threshold: float,
    order: np.ndarray,
    source: np.ndarray,
    fixed: np.ndarray | None = None,
    feats: _Features | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Representative of each item and its score to it (0 for representatives).

    With ``feats`` the pairs a merge needs that were not candidates are scored on the spot;
    without, they count as 0.
    """
    if fixed is None:
        fixed = np.zeros(n, dtype=np.uint8)
    floor = _floor(threshold)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    keep = score >= floor
    pi, pj, score = pi[keep].astype(np.int64), pj[keep].astype(np.int64), score[keep]
    ptr, adj_j, adj_s = _adjacency(n, pi, pj, score)
    # merge order: best score first; ties by the ranks of the two items (deterministic)
    top = np.flatnonzero(score >= threshold)
    lo = np.minimum(rank[pi[top]], rank[pj[top]])
    hi = np.maximum(rank[pi[top]], rank[pj[top]])
    top = top[np.lexsort((hi, lo, -score[top]))]
    can = feats is not None
    f = feats if feats is not None else _empty_features()
    clean_hash = f.clean_hash if can else np.zeros(n, dtype=np.uint64)
    rest = _kernel_args(f, floor)
    leader = _agglomerate(
        n,
        rank,
        pi[top],
        pj[top],
        ptr,
        adj_j,
        adj_s,
        source.astype(np.int64),
        fixed.astype(np.uint8),
        float(threshold),
        float(floor),
        can,
        clean_hash,
        _WEIGHTS,
        _NAME_VETO_WORDS,
        rest,
    )
    members = np.flatnonzero(leader != np.arange(n))
    lscore = np.zeros(n, dtype=np.float64)
    if members.size:
        lscore[members] = _pair_scores(
            members,
            leader[members],
            ptr,
            adj_j,
            adj_s,
            can,
            clean_hash,
            _WEIGHTS,
            _NAME_VETO_WORDS,
            rest,
        )
        # A member of a large cluster that was never compared with its final representative
        # (see _MERGE_BUDGET) and turns out not to match it -- a veto, or far below the
        # threshold -- stands alone: no duplicate_of points at a different story.
        off = members[lscore[members] < floor]
        leader[off] = off
        lscore[off] = 0.0
    return leader, lscore


@numba.njit(cache=True)
def _adjacency(n, pi, pj, score):  # pragma: no cover - numba
    """Both directions of the scored pairs, grouped by item and sorted by neighbour (CSR)."""
    ptr = np.zeros(n + 1, dtype=np.int64)
    for p in range(pi.shape[0]):
        ptr[pi[p] + 1] += 1
        ptr[pj[p] + 1] += 1
    for d in range(n):
        ptr[d + 1] += ptr[d]
    fill = ptr[:n].copy()
    adj_j = np.empty(ptr[n], dtype=np.int64)
    adj_s = np.empty(ptr[n], dtype=np.float64)
    for p in range(pi.shape[0]):
        for a, b in ((pi[p], pj[p]), (pj[p], pi[p])):
            adj_j[fill[a]] = b
            adj_s[fill[a]] = score[p]
            fill[a] += 1
    for d in range(n):
        lo = ptr[d]
        hi = ptr[d + 1]
        if hi - lo > 1:
            o = np.argsort(adj_j[lo:hi], kind="mergesort")
            adj_j[lo:hi] = adj_j[lo:hi][o]
            adj_s[lo:hi] = adj_s[lo:hi][o]
    return ptr, adj_j, adj_s


def _priority(n: int, keep: str, times: np.ndarray | None, length: np.ndarray) -> np.ndarray:
    """Items in the order they may become representatives (best candidate first)."""
    idx = np.arange(n)
    if keep == "first":
        return np.lexsort((idx,) if times is None else (idx, times))
    if keep == "last":
        return np.lexsort((-idx,) if times is None else (-idx, -times))
    # longest: longest clean text first, then earliest
    if times is None:
        return np.lexsort((idx, -length))
    return np.lexsort((idx, times, -length))


def _as_times(times: Any, n: int) -> np.ndarray | None:
    if times is None:
        return None
    if isinstance(times, (str, bytes)):
        raise DataError("times must be a sequence with one time per headline; got a single str")
    arr = np.asarray(times)
    if arr.shape != (n,):
        raise DataError(f"times must have one value per headline ({n}); got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.datetime64):
        return arr.astype("datetime64[ns]").astype(np.int64).astype(np.float64)
    try:
        out = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError(
            "times must be numbers (e.g. Unix seconds) or numpy datetime64; "
            f"got {arr.dtype} instead"
        ) from None
    if np.isnan(out).any():
        raise DataError("times contains missing values; fill them or pass times=None")
    return out


def _as_sources(sources: Any, n: int) -> np.ndarray:
    if sources is None:
        return np.full(n, -1, dtype=np.int64)
    if isinstance(sources, (str, bytes)):
        raise DataError("sources must be a sequence with one source per headline; got a single str")
    src = list(sources)
    if len(src) != n:
        raise DataError(f"sources must have one value per headline ({n}); got {len(src)}")
    codes: dict[Any, int] = {}
    out = np.empty(n, dtype=np.int64)
    for k, s in enumerate(src):
        # None / "" mean "unknown source": such items may merge with anything
        out[k] = -1 if s is None or s == "" else codes.setdefault(s, len(codes))
    return out


@dataclass
class _Scored:
    feats: _Features
    idf: _Idf
    pi: np.ndarray
    pj: np.ndarray
    score: np.ndarray


_SCORE_CHUNK = 1 << 20  # pairs featurized at once: bounds the (pairs x features) matrix


def _score_batch(texts: list[str], idf: _Idf | None = None, min_score: float = 0.0) -> _Scored:
    feats, idf_out = _featurize(texts, idf)
    pi, pj = _candidates(feats)
    keep_i: list[np.ndarray] = []
    keep_j: list[np.ndarray] = []
    keep_s: list[np.ndarray] = []
    for a in range(0, pi.size, _SCORE_CHUNK):
        ci, cj = pi[a : a + _SCORE_CHUNK], pj[a : a + _SCORE_CHUNK]
        score = _score_features(_features_of_pairs(feats, ci, cj, min_score))
        score[feats.clean_hash[ci] == feats.clean_hash[cj]] = 1.0  # identical after folding
        keep = score >= min_score
        keep_i.append(ci[keep])
        keep_j.append(cj[keep])
        keep_s.append(score[keep])
    if not keep_i:
        e = np.zeros(0, dtype=np.int64)
        return _Scored(feats, idf_out, e, e, np.zeros(0))
    return _Scored(
        feats, idf_out, np.concatenate(keep_i), np.concatenate(keep_j), np.concatenate(keep_s)
    )


#: How far below the threshold a cross pair may be when two clusters merge by average linkage
#: (each member's average over the other cluster must still reach the threshold).
_FLOOR_GAP = 0.2


def _floor(threshold: float) -> float:
    return max(0.0, threshold - _FLOOR_GAP)


_PAIR_DTYPE = np.dtype([("i", np.int64), ("j", np.int64), ("score", np.float64)])


class NearDuplicates:
    """Cluster headlines that report the same news, scikit-learn style.

    Parameters
    ----------
    threshold : float
        Pair similarity (0..1) that merges: a headline joins a cluster when it reaches it with
        every member (two clusters merge when each member reaches it on average over the
        other). The default gives precision >= 0.90 on ParaPhraser pairs; tune it on your own
        labelled pairs with :func:`tune_threshold`.
    keep : {"first", "last", "longest"}
        Which item of a cluster is its representative: the earliest (by ``times`` if given,
        else input order), the latest, or the longest headline.

    Attributes
    ----------
    labels_ : ndarray of int
        Cluster id per input row (0..n_clusters-1, numbered in input order of representatives).
    duplicate_of_ : ndarray of int
        Index of the row's representative, or -1 for a representative.
    representatives_ : ndarray of int
        Row indices of all representatives, ascending.
    pairs_ : structured ndarray with fields ``i``, ``j``, ``score``
        One row per merged item: ``i`` is in the cluster of representative ``j``; ``score`` is
        their similarity (it may be a little below the threshold when ``i`` joined through the
        cluster as a whole: average linkage).

    Examples
    --------
    >>> nd = NearDuplicates()
    >>> nd.fit_predict(["Срочно: Пожар на складе в Алматы", "Пожар на складе в Алматы - СМИ",
    ...                 "Курс доллара на 5 мая", "Курс доллара на 6 мая"]).tolist()
    [0, 0, 1, 2]
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, keep: str = "first") -> None:
        self.threshold = threshold
        self.keep = keep

    def _check_params(self) -> None:
        if not isinstance(self.threshold, (int, float)) or not 0.0 <= self.threshold <= 1.0:
            raise DataError(f"threshold must be a number in [0, 1]; got {self.threshold!r} instead")
        if self.keep not in ("first", "last", "longest"):
            raise DataError(f"keep must be 'first', 'last' or 'longest'; got {self.keep!r} instead")

    def fit(self, texts: Sequence[str], times: Any = None, sources: Any = None) -> NearDuplicates:
        """Cluster ``texts``; results are in the fitted attributes. Returns ``self``."""
        self._check_params()
        texts = _check_texts(texts)
        n = len(texts)
        t = _as_times(times, n)
        src = _as_sources(sources, n)
        sc = _score_batch(texts, min_score=_floor(float(self.threshold)))
        order = _priority(n, self.keep, t, sc.feats.length)
        leader, lscore = _cluster(
            n, sc.pi, sc.pj, sc.score, float(self.threshold), order, src, feats=sc.feats
        )
        self._set_result(leader, lscore)
        self.idf_ = sc.idf
        self.n_features_in_ = 1
        return self

    def _set_result(self, leader: np.ndarray, lscore: np.ndarray) -> None:
        n = leader.size
        is_rep = leader == np.arange(n)
        reps = np.flatnonzero(is_rep)
        cid = np.full(n, -1, dtype=np.int64)
        cid[reps] = np.arange(reps.size)
        self.labels_ = cid[leader]
        self.duplicate_of_ = np.where(is_rep, -1, leader)
        self.representatives_ = reps
        members = np.flatnonzero(~is_rep)
        pairs = np.empty(members.size, dtype=_PAIR_DTYPE)
        pairs["i"] = members
        pairs["j"] = leader[members]
        pairs["score"] = lscore[members]
        self.pairs_ = pairs

    def fit_predict(
        self, texts: Sequence[str], times: Any = None, sources: Any = None
    ) -> np.ndarray:
        """Cluster ``texts`` and return one int cluster id per row (same id = same news)."""
        return self.fit(texts, times=times, sources=sources).labels_

    def similarity(self, a: str, b: str) -> float:
        """Similarity of two headlines in [0, 1], with the IDF of the fitted batch if fitted."""
        pair = _check_texts([a, b], "a and b")
        idf = getattr(self, "idf_", None)
        return float(pair_similarities([pair[0]], [pair[1]], _idf=idf)[0])


def pair_similarities(
    texts_1: Sequence[str], texts_2: Sequence[str], *, _idf: _Idf | None = None
) -> np.ndarray:
    """Similarity of each pair ``(texts_1[k], texts_2[k])``; IDF comes from all these texts."""
    t1 = _check_texts(texts_1, "texts_1")
    t2 = _check_texts(texts_2, "texts_2")
    if len(t1) != len(t2):
        raise DataError(
            f"texts_1 and texts_2 must have the same length; got {len(t1)} and {len(t2)}"
        )
    uniq = list(dict.fromkeys(t1 + t2))
    pos = {t: k for k, t in enumerate(uniq)}
    feats, _ = _featurize(uniq, _idf)
    pi = np.array([pos[t] for t in t1], dtype=np.int64)
    pj = np.array([pos[t] for t in t2], dtype=np.int64)
    score = _score_features(_features_of_pairs(feats, pi, pj))
    score[feats.clean_hash[pi] == feats.clean_hash[pj]] = 1.0  # identical after folding
    return score


def dedup_form(text: str) -> str:
    """The text the similarity sees: marks stripped, ``normalize_text``, punctuation removed."""
    if not isinstance(text, str):
        raise DataError(f"text must be a str; got {type(text).__name__} instead")
    tk = _tokens([text])
    return tk["clean"].tobytes().decode("utf-32-le")


# ---------------------------------------------------------------------------------------------
# Threshold tuning on labelled pairs, and the sweep for `publish --dry-run --sweep`.
# ---------------------------------------------------------------------------------------------
@dataclass
class TuneResult:
    """Outcome of :func:`tune_threshold`.

    ``curve`` rows are ``(threshold, precision, recall, n_merged)`` over a grid of thresholds.
    """

    threshold: float
    precision: float
    recall: float
    target_precision: float
    n_pairs: int
    n_positive: int
    curve: list[tuple[float, float, float, int]]


def _pair_label(value: Any) -> float | None:
    """A pair label as 1.0, 0.0 or -1.0 ("1", 1, "-1.0" ...), or None if it is not one."""
    try:
        v = float(str(value).strip())
    except ValueError:
        return None
    return v if v in (1.0, 0.0, -1.0) else None


def _labels_to_same(labels: Sequence[Any]) -> np.ndarray:
    """Map labels to "same news" booleans: {1,0,-1} -> >= 0; plain binary {1,0} -> == 1."""
    vals = []
    for k, v in enumerate(labels):
        fv = _pair_label(v)
        if fv is None:
            raise DataError(f"labels[{k}] must be 1, 0 or -1; got {v!r} instead")
        vals.append(fv)
    arr = np.array(vals)
    if (arr < 0).any():
        return arr >= 0  # ParaPhraser style: 1 strict, 0 loose paraphrase, -1 different news
    return arr == 1  # binary: 1 same news, 0 different


def precision_recall_curve(
    scores: np.ndarray, same: np.ndarray, thresholds: np.ndarray | None = None
) -> list[tuple[float, float, float, int]]:
    """Precision, recall and number merged at each threshold (a pair merges at score >= t)."""
    if thresholds is None:
        thresholds = np.round(np.arange(0.05, 1.0, 0.05), 2)
    n_pos = max(int(same.sum()), 1)
    out = []
    for t in thresholds:
        m = scores >= t
        k = int(m.sum())
        tp = int((m & same).sum())
        out.append((float(t), tp / k if k else 1.0, tp / n_pos, k))
    return out


def tune_threshold(
    texts_1: Sequence[str],
    texts_2: Sequence[str],
    labels: Sequence[Any],
    target_precision: float = 0.9,
) -> TuneResult:
    """Pick the lowest threshold whose precision on your labelled pairs reaches the target.

    ``labels``: 1/0/-1 as in ParaPhraser (1 and 0 = same news, -1 = different) or plain binary
    1/0 (1 = same news). Strings such as ``"1"`` are accepted. The lowest threshold that still
    reaches ``target_precision`` gives the most recall.

    Examples
    --------
    >>> r = tune_threshold(["Пожар в Алматы", "Курс доллара на 5 мая"],
    ...                    ["Срочно: пожар в Алматы", "Курс доллара на 6 мая"], [1, 0])
    >>> r.precision
    1.0
    """
    t1 = _check_texts(texts_1, "texts_1")
    t2 = _check_texts(texts_2, "texts_2")
    labels = list(labels) if not isinstance(labels, str) else _check_texts(labels, "labels")
    if not len(t1) == len(t2) == len(labels):
        raise DataError(
            "texts_1, texts_2 and labels must have the same length; "
            f"got {len(t1)}, {len(t2)} and {len(labels)}"
        )
    if not t1:
        raise DataError("no labelled pairs given; need at least one pair of each kind")
    if not 0.0 < target_precision <= 1.0:
        raise DataError(f"target_precision must be in (0, 1]; got {target_precision!r} instead")
    same = _labels_to_same(labels)
    if not same.any():
        raise DataError("labels has no same-news pair (1, or 0 in 1/0/-1 labels); add some")
    if same.all():
        raise DataError(
            "labels has no different-news pair (-1, or 0 in 1/0 labels); precision needs "
            "some to be measured: add pairs of different stories"
        )
    scores = pair_similarities(t1, t2)
    # candidate thresholds: every distinct positive score, best (highest recall) first
    cand = np.unique(scores[scores > 0])
    best: tuple[float, float, float] | None = None
    for t in cand:
        m = scores >= t
        p = float((m & same).sum() / m.sum())
        if p >= target_precision:
            best = (float(t), p, float((m & same).sum() / same.sum()))
            break
    if best is None:
        top = max((p for _, p, _, k in precision_recall_curve(scores, same) if k), default=0.0)
        raise DataError(
            f"no threshold reaches precision {target_precision:.2f} on these pairs "
            f"(best {top:.2f}); lower target_precision or check the labels"
        )
    return TuneResult(
        threshold=best[0],
        precision=best[1],
        recall=best[2],
        target_precision=target_precision,
        n_pairs=len(t1),
        n_positive=int(same.sum()),
        curve=precision_recall_curve(scores, same),
    )


@dataclass
class SweepResult:
    """What dedup would do at one threshold: how much merges and the weakest merges."""

    threshold: float
    n_items: int
    n_clusters: int
    n_merged: int  # items that would be folded into another item's cluster
    margin_examples: list[tuple[str, str, float]]  # (item, its representative, score), weakest
    labels: np.ndarray  # cluster id per item at this threshold, as ``NearDuplicates.labels_``


def sweep_thresholds(
    texts: Sequence[str],
    thresholds: Sequence[float] = (0.5, 0.6, 0.7),
    times: Any = None,
    sources: Any = None,
    keep: str = "first",
    n_examples: int = 3,
) -> list[SweepResult]:
    """Dedup ``texts`` at several thresholds at once (pairs are scored only once)."""
    texts = _check_texts(texts)
    if isinstance(thresholds, (int, float)):
        thresholds = [float(thresholds)]
    for t in thresholds:
        NearDuplicates(threshold=t, keep=keep)._check_params()
    n = len(texts)
    tm = _as_times(times, n)
    src = _as_sources(sources, n)
    sc = _score_batch(texts, min_score=_floor(min(thresholds, default=1.0)))
    order = _priority(n, keep, tm, sc.feats.length)
    out = []
    for t in thresholds:
        leader, lscore = _cluster(n, sc.pi, sc.pj, sc.score, float(t), order, src, feats=sc.feats)
        members = np.flatnonzero(leader != np.arange(n))
        weakest = members[np.argsort(lscore[members], kind="stable")[:n_examples]]
        out.append(
            SweepResult(
                threshold=float(t),
                n_items=n,
                n_clusters=n - members.size,
                n_merged=int(members.size),
                margin_examples=[(texts[i], texts[leader[i]], float(lscore[i])) for i in weakest],
                labels=np.unique(leader, return_inverse=True)[1].reshape(-1),
            )
        )
    return out
