"""Speed and accuracy of NearDuplicates on a synthetic feed, against datasketch MinHashLSH.

The feed is built here from word lists written for this benchmark: distinct headlines (many of
them templated, differing only in a date, number, city or name) plus reworded copies of some of
them (case, punctuation, one word dropped or added, a newsroom prefix or tail).

Reported per method: items/s, recall on reworded copies (copy lands in its original's cluster),
false-merge rate (share of distinct headlines that share a cluster with another distinct one),
peak memory (ru_maxrss of a subprocess that runs only that method).

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
FILLERS = ["сегодня", "официально", "впервые", "вновь", "срочно", "досрочно", "уже"]
PREFIXES = ["Срочно: ", "Молния: ", "ВИДЕО: ", "ФОТО: ", "Важно: "]
TAILS = [" - СМИ", " — РИА Новости", " | Tengrinews", " (обновлено)", " (фото)", ". Видео"]
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
    """Headlines, the distinct-story id of each row, and a flag for reworded copies.

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
    copy = [False] * n_distinct
    for _ in range(n_copies):
        k = rng.randrange(n_distinct)
        texts.append(reword(distinct[k], rng))
        story.append(k)
        copy.append(True)
    # shuffle so copies are not all at the end
    order = list(range(n))
    rng.shuffle(order)
    return ([texts[i] for i in order], np.array(story)[order], np.array(copy)[order])


_FACT_RE = re.compile(
    r"\d|^(?:" + "|".join(re.escape(w) for w in PLACES + MONTHS) + r")[.!?,]*$", re.IGNORECASE
)


def reword(t: str, rng: random.Random) -> str:
    """One or two edits of the kinds a rewrite desk makes."""
    words = t.split()
    for _ in range(rng.choice((1, 2))):
        op = rng.randrange(6)
        if op == 0:
            t = " ".join(words).upper() if rng.random() < 0.3 else " ".join(words).lower()
        elif op == 1:
            t = " ".join(words) + rng.choice(("!", ".", "?", "..."))
            t = t.replace(" на ", ", на ", 1)
        elif op == 2 and len(words) > 3:
            # drop one word that is not a fact: a number, a month or a city is what tells the
            # stories of a templated group apart, so a copy without it is no longer a copy
            cand = [i for i, w in enumerate(words) if not _FACT_RE.search(w)]
            del words[rng.choice(cand)]
            t = " ".join(words)
        elif op == 3:
            words.insert(rng.randrange(len(words) + 1), rng.choice(FILLERS))
            t = " ".join(words)
        elif op == 4:
            t = rng.choice(PREFIXES) + " ".join(words)
        else:
            t = " ".join(words) + rng.choice(TAILS)
        words = t.split()
    return t


def scores(labels: np.ndarray, story: np.ndarray, copy: np.ndarray) -> tuple[float, float]:
    """Recall on copies and false-merge rate of distinct headlines."""
    # label of each story's original
    orig_label = np.empty(story.max() + 1, dtype=np.int64)
    orig_label[story[~copy]] = labels[~copy]
    recall = float(np.mean(labels[copy] == orig_label[story[copy]]))
    # a distinct headline is falsely merged if its cluster holds another distinct headline
    lab_o = labels[~copy]
    _, counts = np.unique(lab_o, return_counts=True)
    cnt = dict(zip(_.tolist(), counts.tolist(), strict=True))
    false = float(np.mean([cnt[x] > 1 for x in lab_o.tolist()]))
    return recall, false


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
    texts, story, copy = make_feed(n, seed)
    feed_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    warm_up(method, texts)
    t0 = time.perf_counter()
    c0 = time.process_time()
    labels = run_ours(texts) if method == "ours" else run_datasketch(texts)
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    recall, false = scores(np.asarray(labels), story, copy)
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "n": n,
        "seconds": dt,
        "cpu_seconds": cpu,
        "items_per_s": n / dt,
        "recall": recall,
        "false_merge": false,
        "peak_mib": rss_kb / 1024,
        "feed_mib": feed_kb / 1024,
    }


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
    if args.examples:
        texts, story, copy = make_feed(max(args.examples, 100), args.seed)
        for t, s, c in list(zip(texts, story, copy, strict=True))[: args.examples]:
            print(f"{s:6d} {'copy' if c else '    '} {t}")
        return 0
    if args.sweep:
        from feedclass.dedup import sweep_thresholds

        texts, story, copy = make_feed(args.n, args.seed)
        levels = [float(x) for x in args.sweep.split(",")]
        print(f"{'threshold':>9} {'copies found':>12} {'false-merge':>11}")
        for res in sweep_thresholds(texts, levels, n_examples=0):
            recall, false = scores(np.asarray(res.labels), story, copy)
            print(f"{res.threshold:9.2f} {recall:12.4f} {false * 100:10.2f}%")
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
    print("feed MiB: peak memory of the worker after building the feed, before deduplicating")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
