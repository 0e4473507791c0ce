"""Speed and accuracy of NearDuplicates on a synthetic feed, against datasketch MinHashLSH.

The feed is built here from word lists written for this benchmark: distinct headlines (many of
them templated, differing only in a date, number, city or name) plus reworded copies of some of
them, each with one edit of a kind in ``EDITS``: a filler word, a newsroom prefix or tail, a
word dropped, a typo (a letter dropped, or two neighbouring letters swapped, in a word of 6+
letters), two neighbouring words swapped, a short phrase added. The edits are held out: their
fillers, prefixes, tails and phrases are none of feedclass's own word lists, and the script
refuses to run if one is (``check_held_out``).

Reported per method: items/s, copies found (a copy lands in its original's cluster) overall and
per kind of edit, false-merge rate (share of distinct headlines that share a cluster with
another distinct one), peak memory (ru_maxrss of a subprocess that runs only that method).

Usage::

    python benchmarks/bench_dedup.py --n 20000          # quick
    python benchmarks/bench_dedup.py --n 1000000        # the scale target (<= 60 s, <= 4 GiB)
    python benchmarks/bench_dedup.py --n 1000000 --datasketch-n 1000000   # same n (10 min)
    python benchmarks/bench_dedup.py --n 1000000 --sweep 0.55,0.65,0.75  # quality by threshold

datasketch's throughput falls as the feed grows (1,900-2,600 items/s at 20,000 headlines,
1,600-1,700 at 1,000,000 here), so the fair ratio is the one at the same n.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import time

import numpy as np

SUBJECTS = [
    "Токаев",
    "Президент Казахстана",
    "Аким Алматы",
    "Аким Астаны",
    "Минфин",
    "Нацбанк",
    "Минздрав",
    "МВД",
    "МЧС",
    "Сенат",
    "Мажилис",
    "Правительство",
    "Генпрокуратура",
    "Казатомпром",
    "KEGOC",
    "Air Astana",
    "Halyk Bank",
    "Kaspi",
    "Самрук-Казына",
    "Минэнерго",
    "Минобразования",
    "Акимат Шымкента",
    "Полиция Караганды",
    "Суд Астаны",
    "Антикор",
    "Минтруда",
    "Минсельхоз",
    "Казахтелеком",
    "КТЖ",
    "Минтранс",
    "ЦИК",
    "Сборная Казахстана",
    "Кайрат",
    "Астана",
    "Тобол",
    "Нефтяники Атырау",
    "Студенты КазНУ",
    "Врачи Павлодара",
    "Фермеры Костаная",
    "Жители Актобе",
    "Туристы из Китая",
    "Инвесторы из ОАЭ",
    "Посол США",
    "Делегация ЕС",
    "Глава МИД",
    "Вице-министр финансов",
    "Депутаты",
    "Экологи",
    "Волонтеры",
    "Синоптики",
]
VERBS = [
    "объявил о",
    "сообщил о",
    "рассказал о",
    "предложил",
    "одобрил",
    "начал",
    "завершил",
    "поддержал",
    "раскритиковал",
    "обсудил",
    "утвердил",
    "представил",
    "проверил",
    "запустил",
    "приостановил",
    "продлил",
    "профинансировал",
    "получил",
    "анонсировал",
    "оценил",
]
OBJECTS = [
    "строительство моста",
    "ремонт дорог",
    "новые тарифы на газ",
    "запрет на вейпы",
    "программу льготной ипотеки",
    "реформу пенсий",
    "закупку автобусов",
    "выпуск облигаций",
    "экспорт зерна",
    "цены на бензин",
    "открытие школы",
    "закрытие рынка",
    "проект метро",
    "вакцинацию детей",
    "борьбу с паводками",
    "поставки угля",
    "цифровой тенге",
    "налог на роскошь",
    "отопительный сезон",
    "прием в вузы",
    "тарифы на воду",
    "переработку мусора",
    "запуск спутника",
    "строительство ТЭЦ",
    "субсидии фермерам",
    "выплаты врачам",
    "лицензии таксистов",
    "ремонт больницы",
    "новый аэропорт",
    "реконструкцию стадиона",
    "ввоз автомобилей",
    "квоты на мигрантов",
    "ставку налога",
    "курс тенге",
    "цены на хлеб",
    "добычу нефти",
    "продажу акций",
    "штрафы за парковку",
    "сделку с инвестором",
    "туристический сбор",
]
PLACES = [
    "Алматы",
    "Астане",
    "Шымкенте",
    "Караганде",
    "Актобе",
    "Таразе",
    "Павлодаре",
    "Усть-Каменогорске",
    "Семее",
    "Атырау",
    "Костанае",
    "Кызылорде",
    "Уральске",
    "Петропавловске",
    "Актау",
    "Талдыкоргане",
    "Туркестане",
    "Кокшетау",
    "Экибастузе",
    "Жезказгане",
]
MONTHS = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]
UNITS = ["млрд тенге", "млн тенге", "процентов", "тысяч человек", "километров", "тонн"]
# The edits a copy gets are drawn from lists written for this benchmark only, none of whose
# words is in a feedclass word list (``check_held_out`` asserts it before every run): a
# library that had learnt these lists would look better here than on a real feed.
FILLERS = [
    "неожиданно",
    "оперативно",
    "публично",
    "окончательно",
    "заранее",
    "буквально",
    "традиционно",
    "ожидаемо",
    "наглядно",
    "поэтапно",
]
PREFIXES = ["Горячая тема: ", "Прямо сейчас: ", "Новость дня. ", "Главное — ", "Коротко: "]
TAILS = [
    " — Dala Times",
    " | Степной вестник",
    " (подробности)",
    " — пишет Qalam",
    ". Читайте подробнее",
    " // Жетысу-Инфо",
]
PHRASES = [
    "на этой неделе",
    "в ближайшее время",
    "по итогам совещания",
    "вопреки долгим спорам",
    "как стало известно",
    "говорится в сообщении",
]
#: The kinds of edit, one per copy (a copy also gets its case or end punctuation changed at
#: random half of the time: no dedup should care).
EDITS = ("filler", "prefix", "tail", "drop_word", "typo_drop", "typo_swap", "word_order", "phrase")
TEMPLATES = [
    "Курс доллара на {d} {m}",
    "Погода в {p} на {d} {m}",
    "Цены на бензин в {p} на {d} {m}",
    "Биржевые торги {d} {m}: тенге укрепился до {x}",
    "Количество заболевших в {p} на {d} {m} составило {x}",
]


SYLLABLES = [
    "жак",
    "сы",
    "бек",
    "ом",
    "ар",
    "нур",
    "тай",
    "ка",
    "са",
    "ген",
    "бол",
    "ат",
    "ер",
    "мұ",
    "да",
    "ра",
    "сул",
    "тан",
    "ай",
    "гүл",
    "бе",
    "ри",
    "кен",
    "же",
    "ту",
]
ROLES = [
    "аким",
    "министр",
    "депутат",
    "глава компании",
    "директор завода",
    "судья",
    "прокурор",
    "ректор",
    "тренер",
    "бизнесмен",
    "блогер",
    "журналист",
]
NOUNS = [
    "ремонт",
    "строительство",
    "закрытие",
    "открытие",
    "финансирование",
    "проверку",
    "продажу",
    "реконструкцию",
    "запуск",
    "приватизацию",
    "модернизацию",
    "аудит",
]
COMPLEMENTS = [
    "дорог",
    "школ",
    "больниц",
    "рынка",
    "моста",
    "аэропорта",
    "стадиона",
    "завода",
    "ТЭЦ",
    "парка",
    "вокзала",
    "театра",
    "библиотеки",
    "теплосетей",
    "водопровода",
    "телевышки",
    "элеватора",
    "шахты",
    "порта",
    "хаба",
]


def _surname(rng: random.Random) -> str:
    w = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3))))
    return w.capitalize() + rng.choice(("ов", "ова", "ев", "ева", "ин", "улы", "бай", ""))


def _fact(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.35:
        return f"в {rng.choice(PLACES)}"
    if r < 0.7:
        return f"на {rng.randint(2, 999)} {rng.choice(UNITS)}"
    return f"с {rng.randint(1, 28)} {rng.choice(MONTHS)}"


def make_feed(n: int, seed: int = 7) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Headlines, the distinct-story id of each row, and each row's edit (-1: an original).

    The edit of a copy indexes ``EDITS``; the kinds are drawn in turn, so each is about an
    eighth of the copies.

    A story is (subject, verb, object); no two stories share subject and object. About half
    of the stories come in templated groups of near-misses that differ only in one fact (a
    city, a number or a date), like daily rate and weather headlines; those must not merge.
    """
    rng = random.Random(seed)
    n_copies = int(n * 0.3)
    n_distinct = n - n_copies
    seen: set[str] = set()
    keys: set[tuple[str, str]] = set()
    distinct: list[str] = []
    while len(distinct) < n_distinct:
        if rng.random() < 0.15:
            t = rng.choice(TEMPLATES).format(
                d=rng.randint(1, 28),
                m=rng.choice(MONTHS),
                p=rng.choice(PLACES),
                x=rng.randint(100, 99999),
            )
            group = [t]
        else:
            if rng.random() < 0.3:
                subj = rng.choice(SUBJECTS)
            else:
                subj = f"{rng.choice(ROLES).capitalize()} {_surname(rng)}"
            obj = f"{rng.choice(NOUNS)} {rng.choice(COMPLEMENTS)}"
            if rng.random() < 0.5:
                obj += f" {rng.choice(('в', 'под', 'возле'))} {rng.choice(PLACES)}"
            if (subj, obj) in keys:
                continue
            keys.add((subj, obj))
            head = f"{subj} {rng.choice(VERBS)} {obj}"
            if rng.random() < 0.5:
                # a templated group: same words, one fact differs
                kind = rng.randrange(3)
                group = []
                for _ in range(rng.randint(2, 4)):
                    if kind == 0:
                        f = f"на {rng.randint(2, 999)} {rng.choice(UNITS[:1])}"
                    elif kind == 1:
                        f = f"с {rng.randint(1, 28)} мая"
                    else:
                        f = f"в {rng.choice(PLACES)}"
                    group.append(f"{head} {f}")
            else:
                group = [head if rng.random() < 0.3 else f"{head} {_fact(rng)}"]
        for t in group:
            if t.lower() not in seen and len(distinct) < n_distinct:
                seen.add(t.lower())
                distinct.append(t)
    texts = list(distinct)
    story = list(range(n_distinct))
    edit = [-1] * n_distinct
    for c in range(n_copies):
        e = c % len(EDITS)
        k = rng.randrange(n_distinct)
        while EDITS[e].startswith("typo") and not any(
            _LONG_WORD_RE.match(w) for w in distinct[k].split()
        ):
            k = rng.randrange(n_distinct)
        texts.append(reword(distinct[k], rng, EDITS[e]))
        story.append(k)
        edit.append(e)
    # shuffle so copies are not all at the end
    order = list(range(n))
    rng.shuffle(order)
    return ([texts[i] for i in order], np.array(story)[order], np.array(edit)[order])


_FACT_RE = re.compile(
    r"\d|^(?:" + "|".join(re.escape(w) for w in PLACES + MONTHS) + r")[.!?,]*$", re.IGNORECASE
)
_LONG_WORD_RE = re.compile(r"^[^\W\d_]{6,}$")


def reword(t: str, rng: random.Random, kind: str) -> str:
    """A copy of headline ``t`` with one edit of ``kind`` (see ``EDITS``).

    Typos go into a word of 6+ letters, never its first letter (a dropped letter, or two
    neighbouring letters swapped); a word-order swap exchanges two neighbouring words; a phrase
    goes at the end or after the first word. The dropped word is never a fact: a number, a
    month or a city is what tells the stories of a templated group apart, so a copy without it
    is no longer a copy.
    """
    words = t.split()
    if kind == "filler":
        words.insert(rng.randrange(len(words) + 1), rng.choice(FILLERS))
    elif kind == "prefix":
        words = (rng.choice(PREFIXES) + " ".join(words)).split()
    elif kind == "tail":
        words = (" ".join(words) + rng.choice(TAILS)).split()
    elif kind == "drop_word":
        cand = [i for i, w in enumerate(words) if not _FACT_RE.search(w)]
        if len(words) > 3 and cand:
            del words[rng.choice(cand)]
        else:  # too short to lose a word: add one instead
            words.insert(rng.randrange(len(words) + 1), rng.choice(FILLERS))
    elif kind in ("typo_drop", "typo_swap"):
        long_ = [i for i, w in enumerate(words) if _LONG_WORD_RE.match(w)]
        k = rng.choice(long_)  # every headline of the feed has a word of 6+ letters
        w = words[k]
        if kind == "typo_drop":
            p = rng.randrange(1, len(w))
            w = w[:p] + w[p + 1 :]
        else:
            p = rng.randrange(1, len(w) - 1)
            while w[p] == w[p + 1] and p + 2 < len(w):  # a swap of equal letters is no typo
                p += 1
            w = w[:p] + w[p + 1] + w[p] + w[p + 2 :]
        words[k] = w
    elif kind == "word_order":
        p = rng.randrange(len(words) - 1)
        words[p], words[p + 1] = words[p + 1], words[p]
    elif kind == "phrase":
        ph = rng.choice(PHRASES)
        if rng.random() < 0.5:
            words.append(ph)
        else:
            words.insert(1, ph)
    else:
        raise ValueError(f"unknown edit {kind!r}")
    out = " ".join(words)
    r = rng.random()
    if r < 0.2:
        out = out.lower()
    elif r < 0.3:
        out = out.upper()
    elif r < 0.5:
        out += rng.choice(("!", ".", "?", "..."))
    return out


def library_words() -> set[str]:
    """Every word in feedclass's dedup word lists and newsroom-mark patterns (lower case)."""
    import feedclass.dedup as D

    mods = [D]
    pkg_path = getattr(D, "__path__", None)
    if pkg_path:  # a package: look in every module of it
        import importlib
        import pkgutil

        mods += [
            importlib.import_module(f"{D.__name__}.{m.name}")
            for m in pkgutil.iter_modules(pkg_path)
        ]
    words: set[str] = set()

    def add(v: object) -> None:
        if isinstance(v, str):
            words.update(w.lower() for w in re.findall(r"[^\W\d_]+", v))
        elif isinstance(v, re.Pattern):
            add(v.pattern)
        elif isinstance(v, dict):
            for x in v.values():
                add(x)
            for x in v:
                add(x)
        elif isinstance(v, (list, tuple, set, frozenset)):
            for x in v:
                add(x)

    for m in mods:
        for name, v in vars(m).items():
            if name.startswith("__") or (callable(v) and not isinstance(v, re.Pattern)):
                continue
            add(v)
    return words


def check_held_out() -> None:
    """Refuse to run if a word of the benchmark's edits is in a feedclass word list.

    Words of one to three letters («в», «на», «по», «как») are grammar any phrase needs.
    """
    lib = library_words()
    ours = {
        w.lower()
        for s in FILLERS + PREFIXES + TAILS + PHRASES
        for w in re.findall(r"[^\W\d_]+", s)
        if len(w) > 3
    }
    leaked = sorted(ours & lib)
    if leaked:
        raise SystemExit(f"edit words that feedclass's word lists contain: {leaked}")


def scores(labels: np.ndarray, story: np.ndarray, edit: np.ndarray) -> dict[str, float]:
    """Copies found (overall and per kind of edit) and the false-merge rate of distinct rows.

    A copy is found when it lands in its original's cluster; a distinct headline is falsely
    merged when its cluster holds another distinct headline.
    """
    copy = edit >= 0
    orig_label = np.empty(story.max() + 1, dtype=np.int64)
    orig_label[story[~copy]] = labels[~copy]
    found = labels == orig_label[story]
    out = {"recall": float(np.mean(found[copy]))}
    for e, kind in enumerate(EDITS):
        m = edit == e
        out[f"found_{kind}"] = float(np.mean(found[m])) if m.any() else float("nan")
    _, inv, counts = np.unique(labels[~copy], return_inverse=True, return_counts=True)
    out["false_merge"] = float(np.mean(counts[inv] > 1))
    return out


def warm_up(method: str, texts: list[str]) -> None:
    """Load (or, after an edit of dedup.py, compile) our numba kernels before the clock starts."""
    if method == "ours":
        from feedclass.dedup import NearDuplicates

        NearDuplicates().fit_predict(texts[:200])


def run_ours(texts: list[str]) -> np.ndarray:
    from feedclass.dedup import NearDuplicates

    return NearDuplicates().fit_predict(texts)


def run_datasketch(texts: list[str]) -> np.ndarray:
    from datasketch import MinHash, MinHashLSH

    from feedclass.normalize import normalize_many

    norm = normalize_many(texts)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    labels = np.arange(len(texts))
    for i, t in enumerate(norm):
        m = MinHash(num_perm=128)
        shingles = {t[k : k + 4] for k in range(max(1, len(t) - 3))}
        m.update_batch([s.encode("utf-8") for s in shingles])
        hits = lsh.query(m)
        if hits:
            labels[i] = labels[min(hits)]  # join the earliest matching item's cluster
        lsh.insert(i, m)
    return labels


def worker(method: str, n: int, seed: int) -> dict[str, float]:
    texts, story, edit = make_feed(n, seed)
    feed_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    warm_up(method, texts)
    t0 = time.perf_counter()
    c0 = time.process_time()
    labels = run_ours(texts) if method == "ours" else run_datasketch(texts)
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "n": n,
        "seconds": dt,
        "cpu_seconds": cpu,
        "items_per_s": n / dt,
        **scores(np.asarray(labels), story, edit),
        "peak_mib": rss_kb / 1024,
        "feed_mib": feed_kb / 1024,
    }


def kinds_header() -> str:
    return " ".join(f"{k:>10s}" for k in EDITS)


def kinds_row(r: dict[str, float]) -> str:
    return " ".join(f"{r[f'found_{k}']:10.3f}" for k in EDITS)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20000, help="headlines in the feed for feedclass")
    ap.add_argument(
        "--datasketch-n",
        type=int,
        default=None,
        help="headlines for datasketch (default min(n, 20000))",
    )
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--worker", choices=("ours", "datasketch"), help=argparse.SUPPRESS)
    ap.add_argument("--examples", type=int, default=0, help="print some feed rows and exit")
    ap.add_argument(
        "--sweep",
        help="thresholds, e.g. 0.55,0.75: copies found and false merges at each, then exit",
    )
    args = ap.parse_args(argv)
    check_held_out()
    if args.examples:
        texts, story, edit = make_feed(max(args.examples, 100), args.seed)
        for t, s, e in list(zip(texts, story, edit, strict=True))[: args.examples]:
            print(f"{s:6d} {EDITS[e] if e >= 0 else '':10s} {t}")
        return 0
    if args.sweep:
        from feedclass.dedup import sweep_thresholds

        texts, story, edit = make_feed(args.n, args.seed)
        levels = [float(x) for x in args.sweep.split(",")]
        print(f"{'threshold':>9} {'copies found':>12} {'false-merge':>11}  " + kinds_header())
        for res in sweep_thresholds(texts, levels, n_examples=0):
            sc = scores(np.asarray(res.labels), story, edit)
            print(
                f"{res.threshold:9.2f} {sc['recall']:12.4f} {sc['false_merge'] * 100:10.2f}%  "
                + kinds_row(sc)
            )
        return 0
    if args.worker:
        print(json.dumps(worker(args.worker, args.n, args.seed)))
        return 0
    dn = args.datasketch_n or min(args.n, 20000)
    load0 = os.getloadavg()
    rows = []
    for method, n in (
        ("feedclass NearDuplicates", args.n),
        ("feedclass NearDuplicates", dn),
        ("datasketch MinHashLSH", dn),
    ):
        if method.startswith("feedclass") and n == args.n and rows:
            continue
        w = "ours" if method.startswith("feedclass") else "datasketch"
        out = subprocess.run(
            [sys.executable, __file__, "--worker", w, "--n", str(n), "--seed", str(args.seed)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append((method, json.loads(out.stdout.strip().splitlines()[-1])))
    load1 = os.getloadavg()
    # The machine may be shared: report its load, and compare methods as ratios of one run.
    print(
        f"load average (1/5/15 min) before {load0[0]:.2f}/{load0[1]:.2f}/{load0[2]:.2f}, "
        f"after {load1[0]:.2f}/{load1[1]:.2f}/{load1[2]:.2f}; {os.cpu_count()} CPUs"
    )
    print(
        f"{'method':26s} {'n':>9s} {'seconds':>8s} {'cpu s':>7s} {'items/s':>9s} {'recall':>7s} "
        f"{'false-merge':>11s} {'peak MiB':>8s} {'feed MiB':>8s}"
    )
    for method, r in rows:
        print(
            f"{method:26s} {r['n']:9d} {r['seconds']:8.1f} {r['cpu_seconds']:7.1f} "
            f"{r['items_per_s']:9.0f} {r['recall']:7.3f} {r['false_merge'] * 100:10.2f}% "
            f"{r['peak_mib']:8.0f} {r['feed_mib']:8.0f}"
        )
    same_n = [r for m, r in rows if r["n"] == dn]
    if len(same_n) == 2:
        print(
            f"speed ratio feedclass / datasketch at n={dn}: "
            f"{same_n[0]['items_per_s'] / same_n[1]['items_per_s']:.1f}x"
        )
    big = [r for m, r in rows if m.startswith("feedclass") and r["n"] == args.n]
    ds = [r for m, r in rows if m.startswith("datasketch")]
    if big and ds and args.n != dn:
        print(
            f"throughput ratio feedclass at n={args.n} / datasketch at n={dn}: "
            f"{big[0]['items_per_s'] / ds[0]['items_per_s']:.1f}x "
            "(at small n feedclass's fixed start-up cost, about 1 s, dominates)"
        )
    print("\ncopies found per kind of edit (held out: none of these edits is in feedclass's lists)")
    print(f"{'method':26s} {'n':>9s}  " + kinds_header())
    for method, r in rows:
        print(f"{method:26s} {r['n']:9d}  " + kinds_row(r))
    print("feed MiB: peak memory of the worker after building the feed, before deduplicating")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
