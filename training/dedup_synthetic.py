"""A synthetic newsroom feed for fitting the near-duplicate pair model: stories and rewrites.

ParaPhraser's pairs are nearly all about *different* subjects or are loose rewrites of one
story; they seldom show what a busy feed is full of: one subject, several stories that differ
in what was done or to what («Минюст согласовал снос котельной» / «Минюст ускорил капремонт
котельной»). Our hand-labelled feed pairs show it, but only a few hundred times. This module
writes such a feed from word lists of its own, with a story id per headline:
``python benchmarks/eval_dedup.py --fit --synth-weight W`` adds 20,000 of its candidate pairs
to the fit, each weighted W.

The shipped weights use W = 0. What W = 0.35 buys and costs, each at the threshold that keeps
ParaPhraser precision at 0.90 (0.55 and 0.51): on the 1,000,000-headline benchmark false
merges fall from 5.7% to 0.49%, but reworded copies found fall from 0.996 to 0.972 (goal
0.98); ParaPhraser recall falls from 0.701 to 0.696; HeadlineCause pairs where one headline
cancels the other merge more (0.67 to 0.83 of one kind); and 10,000 varied reposts of one
story inside a feed of 100,000 split into 23 clusters instead of 1. The fit learns to trust
rare shared words, and a story reposted that often makes its own words common.

Tried on top of W, and left out (2026-12-06, 300,000-headline benchmark, at the threshold
that keeps ParaPhraser precision 0.90): navec vectors per word form instead of per stem
(«поста»/«должности» 0.07 -> 0.55, «разместили»/«вывесили» -0.02 -> 0.35) give ParaPhraser
recall 0.699, copies 0.982, false merges 0.51% (W = 0.2: 0.702, 0.986, 0.65%), and need a
25 MB vector file; a feature for a swapped noun nobody explains (pymorphy3 parts of speech)
gets a weight near 0. Without synthetic pairs, word-form vectors move cross-validated
ParaPhraser recall at precision 0.9 from 0.706 to 0.709 only.

The word lists here are deliberately not those of ``benchmarks/bench_dedup.py`` (other
subjects, verbs, objects, towns and units), so that benchmark scores a feed whose words the
fit has not seen; its stories are built the same way (subject, verb, object, a fact), so it is
not independent in structure.

Deterministic: the same ``n`` and ``seed`` give the same feed.
"""

from __future__ import annotations

import random

ORGS = [
    "Минцифры",
    "Минюст",
    "Минобороны",
    "Минкультуры",
    "Минэкологии",
    "Минторговли",
    "Минстрой",
    "Минспорта",
    "Минпросвещения",
    "Минводхоз",
    "Комитет госдоходов",
    "Нацгвардия",
    "Погранслужба",
    "Казпочта",
    "Казмунайгаз",
    "Samruk-Energy",
    "Freedom Holding",
    "Jusan Bank",
    "Forte Bank",
    "Байтерек",
    "Астана LRT",
    "Алматы Су",
    "Акимат Актау",
    "Акимат Кокшетау",
    "Маслихат Алматы",
    "Верховный суд",
    "Счетный комитет",
    "АФМ",
    "Бюро нацстатистики",
    "Фонд медстрахования",
]
ROLES = [
    "вице-премьер",
    "депутат мажилиса",
    "сенатор",
    "аким района",
    "председатель правления",
    "главный санврач",
    "омбудсмен",
    "прокурор области",
    "главный тренер",
    "ректор",
]
SYLLABLES = ["ас", "кар", "жан", "мұх", "тол", "ыб", "ер", "ман", "дау", "лет", "сей", "іт", "ба"]
SYLLABLES += ["нұр", "қа", "ғал", "им", "бек", "ура", "шы", "зи", "ол", "тем", "ру"]
# one form per surname stem: "Асбаев" and "Асбаева" would be one name to the scorer
SURNAME_ENDS = ["ов", "ев", "ұлы", "баев", "жанов", "ский"]
VERBS = [
    "подписал приказ про",
    "согласовал",
    "пересмотрел",
    "заморозил",
    "ускорил",
    "отложил",
    "инициировал",
    "прокомментировал",
    "проинспектировал",
    "выделил средства на",
    "потребовал ускорить",
    "взял под контроль",
    "назвал сроки работ на",
    "внес поправки в план на",
]
NOUNS = [
    "реконструкцию",
    "газификацию",
    "благоустройство",
    "субсидирование",
    "капремонт",
    "постройку",
    "цифровизацию",
    "снос",
    "перенос",
    "расширение",
]
COMPLEMENTS = [
    "поликлиники",
    "набережной",
    "аквапарка",
    "трамвайной линии",
    "ледовой арены",
    "мусорного полигона",
    "очистных сооружений",
    "детского сада",
    "котельной",
    "дамбы",
    "перинатального центра",
    "онкоцентра",
    "автовокзала",
    "ветклиники",
    "колледжа",
    "спорткомплекса",
]
TOWNS = [
    "Есике",
    "Каскелене",
    "Конаеве",
    "Сатпаеве",
    "Балхаше",
    "Темиртау",
    "Риддере",
    "Аксае",
    "Жанаозене",
    "Степногорске",
    "Аркалыке",
    "Кентау",
    "Лисаковске",
    "Рудном",
]
UNITS = ["млн долларов", "гектаров", "мегаватт", "койко-мест", "рабочих мест"]
MONTHS = ["марта", "апреля", "июня", "сентября", "ноября"]
FILLERS = ["наконец", "неожиданно", "заранее", "публично", "ещё раз"]
PREFIXES = ["Экстренно: ", "Новость дня: ", "Главное: "]
TAILS = [" — пресс-служба", " (видео)", " | Новости Казахстана", ", сообщают СМИ"]


def _surname(rng: random.Random) -> str:
    w = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3))))
    return w.capitalize() + rng.choice(SURNAME_ENDS)


def _fact(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.4:
        return f"в {rng.choice(TOWNS)}"
    if r < 0.75:
        return f"на {rng.randint(3, 900)} {rng.choice(UNITS)}"
    return f"до {rng.randint(1, 28)} {rng.choice(MONTHS)}"


def _reword(t: str, rng: random.Random) -> str:
    """A rewrite desk's copy: one or two of case, punctuation, a dropped or added word, a
    prefix or tail, the fact moved to the front."""
    for _ in range(rng.choice((1, 2))):
        words = t.split()
        op = rng.randrange(6)
        if op == 0:
            t = t.lower()
        elif op == 1:
            t = t.rstrip(".!") + rng.choice(("!", ".", "..."))
        elif op == 2 and len(words) > 4:
            # a rewrite keeps the facts and what was done to what
            keep = {*TOWNS, *MONTHS, *NOUNS, *(w for c in COMPLEMENTS for w in c.split())}
            drop = rng.choice(
                [k for k, w in enumerate(words) if w not in keep and not w[0].isdigit()]
            )
            t = " ".join(w for k, w in enumerate(words) if k != drop)
        elif op == 3:
            words.insert(rng.randrange(1, len(words) + 1), rng.choice(FILLERS))
            t = " ".join(words)
        elif op == 4:
            t = rng.choice(PREFIXES) + t if rng.random() < 0.5 else t + rng.choice(TAILS)
        elif len(words) > 3 and words[-2] in ("в", "на", "до"):
            t = " ".join([words[-2].capitalize(), words[-1], words[0].lower(), *words[1:-2]])
    return t


def make_feed(n: int, seed: int = 2026) -> tuple[list[str], list[int]]:
    """``n`` headlines and the story id of each: distinct stories (a quarter of them in
    groups that share subject and object, and differ in verb or fact) plus rewrites."""
    rng = random.Random(seed)
    n_copies = n * 3 // 10
    texts: list[str] = []
    story: list[int] = []
    seen: set[str] = set()  # (subject, verb, object): a story is told once, with one fact
    while len(texts) < n - n_copies:
        subj = rng.choice(ORGS)
        if rng.random() < 0.6:
            subj = f"{rng.choice(ROLES).capitalize()} {_surname(rng)}"
        obj = f"{rng.choice(NOUNS)} {rng.choice(COMPLEMENTS)}"
        heads = [f"{subj} {rng.choice(VERBS)} {obj}"]
        if rng.random() < 0.25:  # the same subject and object, another verb
            heads.append(f"{subj} {rng.choice(VERBS)} {obj}")
        for h in heads:
            if h.lower() in seen or len(texts) == n - n_copies:
                continue
            seen.add(h.lower())
            texts.append(h if rng.random() < 0.3 else f"{h} {_fact(rng)}")
            story.append(len(story))
    originals = len(texts)
    for _ in range(n_copies):
        k = rng.randrange(originals)
        texts.append(_reword(texts[k], rng))
        story.append(story[k])
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[k] for k in order], [story[k] for k in order]
