"""The Dask path on a real LocalCluster of two worker processes.

Shards are generated from headlines written here. Each test checks what a user of
``--dask`` relies on: the same output as one process, every row in order, a killed worker
retried without losing or repeating rows, and a bad shard reported with no output folder.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

distributed = pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from feedclass.classify import classify_file  # noqa: E402
from feedclass.cli import main  # noqa: E402
from feedclass.distributed import classify_shards, parse_address  # noqa: E402
from feedclass.errors import ClusterError, DataError, InputFileError  # noqa: E402
from feedclass.model import load_model  # noqa: E402
from feedclass.shards import list_shards  # noqa: E402

HEADLINES = [
    "Курс доллара вырос на бирже",
    "Сборная Казахстана выиграла матч",
    "В Алматы открылся новый театр",
    "Землетрясение произошло в горах",
    "Парламент принял закон о бюджете",
    "Снегопад ожидается в Астане",
    "Учёные нашли новый вид бабочки",
    "Врачи советуют делать прививки",
    "Цены на бензин снизились",
    "Футболисты вышли в финал кубка",
    "Kazakhstan wheat exports rise",
    "Ерлан Қарин сұхбат берді",
    "",
    "ДТП на трассе Алматы - Бишкек",
]


def _rows(n: int, seed: int) -> list[list[str]]:
    out = []
    for i in range(n):
        h = HEADLINES[(i * 7 + seed) % len(HEADLINES)]
        out.append([f"{seed}-{i}", f"{h} {i % 97}" if h else ""])
    return out


def _write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(["id", "title"])
        w.writerows(rows)


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=50,
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def model():
    return load_model(None, n_jobs=1)


def _shards(folder: Path) -> Path:
    folder.mkdir()
    _write_csv(folder / "a.csv", _rows(3000, 1))
    _write_csv(folder / "b.tsv", _rows(500, 2), delimiter="\t")
    with (folder / "c.jsonl").open("w", encoding="utf-8") as fh:
        for i, t in _rows(400, 3):
            fh.write(json.dumps({"id": i, "title": t, "n": 1}, ensure_ascii=False) + "\n")
    ids, texts = zip(*_rows(700, 4))
    pq.write_table(pa.table({"id": list(ids), "title": list(texts)}), folder / "d.parquet")
    return folder


def test_parse_address():
    assert parse_address("local") == ("local", None)
    assert parse_address("local:3") == ("local", 3)
    assert parse_address("tls://h:8786") == ("remote", None)
    with pytest.raises(DataError, match="local:N"):
        parse_address("local:zero")
    with pytest.raises(DataError, match="scheduler address"):
        parse_address("my-cluster")


def test_list_shards_file_glob_folder(tmp_path):
    src = _shards(tmp_path / "in")
    (src / "notes.txt").write_text("not a shard")
    assert [p.name for p in list_shards(src)] == ["a.csv", "b.tsv", "c.jsonl", "d.parquet"]
    assert [p.name for p in list_shards(f"{src}/*.csv")] == ["a.csv"]
    assert list_shards(src / "b.tsv") == [src / "b.tsv"]
    with pytest.raises(InputFileError, match="matches no file"):
        list_shards(f"{src}/*.xml")
    (tmp_path / "other").mkdir()
    _write_csv(tmp_path / "other" / "a.csv", _rows(2, 9))
    with pytest.raises(InputFileError, match=r"two shards named a\.csv"):
        list_shards(f"{tmp_path}/**/a.csv")


def test_classify_equals_single_process(tmp_path, client, model):
    src = _shards(tmp_path / "in")
    out = tmp_path / "out"
    summary = classify_shards(src, out, address=client, top_k=2)
    assert summary.rows == 3000 + 500 + 400 + 700
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "b.tsv", "c.jsonl", "d.parquet"]
    for name in ("a.csv", "b.tsv", "c.jsonl"):
        single = tmp_path / f"single-{name}"
        classify_file(src / name, single, model, top_k=2)
        assert (out / name).read_bytes() == single.read_bytes(), name
    # Parquet: the same topics and confidences as the same rows classified as CSV.
    table = pq.read_table(out / "d.parquet").to_pydict()
    assert table["id"] == pq.read_table(src / "d.parquet").to_pydict()["id"]
    _write_csv(tmp_path / "d.csv", list(zip(table["id"], table["title"])))
    classify_file(tmp_path / "d.csv", tmp_path / "d-out.csv", model, top_k=2)
    with (tmp_path / "d-out.csv").open(encoding="utf-8", newline="") as fh:
        expected = list(csv.DictReader(fh))
    assert table["topic"] == [r["topic"] for r in expected]
    assert [("" if c is None else repr(c)) for c in table["confidence_2"]] == [
        r["confidence_2"] for r in expected
    ]


def test_bad_shard_names_shard_and_row_and_leaves_no_folder(tmp_path, client):
    src = tmp_path / "in"
    src.mkdir()
    _write_csv(src / "a.csv", _rows(2000, 1))
    (src / "b.csv").write_text('id,title\n1,Курс\n2,"не закрыта\n', encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(DataError, match=r"b\.csv, row 3: a quoted field is never closed"):
        classify_shards(src, out, address=client)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no output, no temp folder


def test_output_folder_must_be_new_or_empty(tmp_path, client):
    src = tmp_path / "in"
    src.mkdir()
    _write_csv(src / "a.csv", _rows(10, 1))
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.csv").write_text("x")
    with pytest.raises(InputFileError, match="not empty"):
        classify_shards(src, out, address=client)
    assert (out / "old.csv").read_text() == "x"


class _KillOnce(distributed.WorkerPlugin):
    """Kill the worker process a moment after it starts its first task named ``task``."""

    def __init__(self, marker: str, delay: float, task: str = "_classify_task") -> None:
        self.marker = marker
        self.delay = delay
        self.task = task

    def transition(self, key, start, finish, **kwargs):
        if finish == "executing" and self.task in str(key):
            try:
                os.unlink(self.marker)  # only the first worker to get here dies, once
            except FileNotFoundError:
                return
            threading.Timer(self.delay, os._exit, (1,)).start()


@pytest.mark.slow
def test_killed_worker_is_retried_without_losing_rows(tmp_path, client, model):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    src = tmp_path / "in"
    src.mkdir()
    for k in range(4):
        _write_csv(src / f"s{k}.csv", _rows(20000, k))
    marker = tmp_path / "kill-once"
    marker.write_text("")
    client.register_plugin(_KillOnce(str(marker), 0.3), name="kill-once")
    try:
        out = tmp_path / "out"
        summary = classify_shards(src, out, address=client)
    finally:
        client.unregister_worker_plugin("kill-once")
    assert not marker.exists(), "no worker was killed: the test did not test anything"
    assert summary.rows == 4 * 20000
    assert sorted(p.name for p in out.iterdir()) == [f"s{k}.csv" for k in range(4)]
    for k in range(4):
        single = tmp_path / f"single{k}.csv"
        classify_file(src / f"s{k}.csv", single, model)
        assert (out / f"s{k}.csv").read_bytes() == single.read_bytes()
    client.wait_for_workers(2, timeout=60)


def test_cli_dask_needs_an_output_folder(tmp_path, capsys):
    src = tmp_path / "a.csv"
    _write_csv(src, _rows(3, 1))
    with pytest.raises(SystemExit) as exc:
        main(["classify", str(src), "--dask", "local:1"])
    assert exc.value.code == 2
    assert "--dask needs -o FOLDER" in capsys.readouterr().err


# -- dedup ------------------------------------------------------------------------------------

STORIES = [
    "Пожар на складе в Алматы потушили за два часа",
    "Курс доллара на 5 мая составил 445 тенге",
    "Курс доллара на 6 мая составил 447 тенге",
    "Аким Астаны открыл новую школу на 1200 мест",
    "Сборная Казахстана по футболу обыграла Латвию",
    "В Караганде выпал первый снег",
    "Минздрав назвал сроки вакцинации от гриппа",
    "Цены на бензин АИ-92 выросли в Шымкенте",
]
REWORDS = [
    lambda t: "Срочно: " + t,
    lambda t: t + " - СМИ",
    lambda t: t.upper(),
    lambda t: t.replace(" в ", " во ") if " в " in t else t + "!",
]


def _dedup_feed() -> list[list[str]]:
    """Our stories and rewordings of them, spread so that copies sit in other shards."""
    rows = []
    for k in range(120):
        base = STORIES[k % len(STORIES)]
        text = base if k < len(STORIES) else REWORDS[k % len(REWORDS)](base)
        if k % 5 == 0 and k >= len(STORIES):
            text = f"{text} {k}"  # a number that differs: a different story
        rows.append([f"n{k}", text if k % 17 else ""])
    return rows


def _split(rows, folder: Path, parts: int) -> list[str]:
    folder.mkdir()
    names = []
    for p in range(parts):
        name = f"part-{p}.csv"
        _write_csv(folder / name, rows[p * len(rows) // parts : (p + 1) * len(rows) // parts])
        names.append(name)
    return names


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_dedup_equals_single_process_on_every_pair(tmp_path, client):
    from feedclass.distributed import dedup_shards
    from feedclass.publish import dedup_file

    rows = _dedup_feed()
    _write_csv(tmp_path / "all.csv", rows)
    dedup_file(
        tmp_path / "all.csv",
        tmp_path / "single.csv",
        id_column="id",
        report=tmp_path / "single-report.csv",
    )
    names = _split(rows, tmp_path / "in", 3)
    summary = dedup_shards(
        tmp_path / "in",
        tmp_path / "out",
        address=client,
        id_column="id",
        report=tmp_path / "report.csv",
    )
    single = _read(tmp_path / "single.csv")
    dist = [r for name in names for r in _read(tmp_path / "out" / name)]
    # every row of every shard, in order
    assert [r["id"] for r in dist] == [r[0] for r in rows]
    # the same stories: for every pair of rows, together in one iff together in the other
    s = [r["cluster"] for r in single]
    d = [r["cluster"] for r in dist]
    n = len(rows)
    assert all((s[i] == s[j]) == (d[i] == d[j]) for i in range(n) for j in range(i + 1, n))
    assert [r["duplicate_of"] for r in dist] == [r["duplicate_of"] for r in single]
    # copies in other shards were found: a row of shard 3 points at a story of shard 1
    first_ids = {r[0] for r in rows[: n // 3]}
    assert any(r["duplicate_of"] in first_ids for r in _read(tmp_path / "out" / names[2]))
    assert summary.cross_shard > 0
    assert summary.merged == sum(1 for r in single if r["duplicate_of"])
    # the merge report: the same merges, texts and similarities, in feed order
    want, got = _read(tmp_path / "single-report.csv"), _read(tmp_path / "report.csv")
    assert len(got) == summary.merged > 0
    drop = ("cluster",)
    assert [{k: v for k, v in r.items() if k not in drop} for r in got] == [
        {k: v for k, v in r.items() if k not in drop} for r in want
    ]
    story = {r["id"]: r["cluster"] for r in dist}
    assert all(r["cluster"] == story[r["duplicate_id"]] for r in got)


@pytest.mark.slow
def test_dedup_worker_killed_while_scoring_loses_no_row(tmp_path, client):
    """A worker dies while scoring: the features it held the handles of are made again (their
    files rewritten whole) and the result is still the single process's, row for row."""
    import cloudpickle

    from feedclass.distributed import dedup_shards
    from feedclass.publish import dedup_file

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    rows = _dedup_feed() + _rows(600, 7)
    _write_csv(tmp_path / "all.csv", rows)
    dedup_file(tmp_path / "all.csv", tmp_path / "single.csv", id_column="id")
    names = _split(rows, tmp_path / "in", 4)
    marker = tmp_path / "kill-once"
    marker.write_text("")
    client.register_plugin(_KillOnce(str(marker), 0.0, "_score_group"), name="kill-once")
    try:
        dedup_shards(tmp_path / "in", tmp_path / "out", address=client, id_column="id")
    finally:
        client.unregister_worker_plugin("kill-once")
    assert not marker.exists(), "no worker was killed: the test did not test anything"
    single = _read(tmp_path / "single.csv")
    dist = [r for name in names for r in _read(tmp_path / "out" / name)]
    assert [r["id"] for r in dist] == [r[0] for r in rows]
    assert [r["duplicate_of"] for r in dist] == [r["duplicate_of"] for r in single]
    # the scratch folder of features and shuffle pieces is gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.csv", "in", "out", "single.csv"]
    client.wait_for_workers(2, timeout=60)


def test_feature_files_give_back_every_field_and_refuse_a_changed_file(tmp_path):
    """A shard's features read back from their file equal the features written, field by
    field, and score every pair alike; a file removed or cut short under a running job is an
    error, never other features."""
    import dataclasses

    import numpy as np

    from feedclass.dedup import featurize, pair_scores
    from feedclass.distributed.feature_files import load_features, save_features
    from feedclass.distributed.rows import take_rows

    texts = [t for _, t in _dedup_feed() + _rows(200, 8)]
    feats = featurize(texts)[0]
    handle = save_features(feats, tmp_path / "0.features")
    assert [p.name for p in tmp_path.iterdir()] == ["0.features"]  # no temporary file left
    back = load_features(handle)
    for fld in dataclasses.fields(feats):
        want, got = getattr(feats, fld.name), getattr(back, fld.name)
        if isinstance(want, tuple):
            assert len(got) == len(want), fld.name
            for w, g in zip(want, got):
                assert w.dtype == g.dtype and np.array_equal(w, g), fld.name
        elif isinstance(want, np.ndarray):
            assert want.dtype == got.dtype and np.array_equal(want, got), fld.name
        else:
            assert want == got, fld.name
    assert back.vectors is feats.vectors  # this process's word vectors, compared by identity
    rng = np.random.default_rng(0)
    ia, ib = rng.integers(0, feats.n, 500), rng.integers(0, feats.n, 500)
    assert np.array_equal(pair_scores(back, ia, ib), pair_scores(feats, ia, ib))
    # cut from the file's arrays, as scoring across shards does
    rows = np.unique(ib)
    cut = take_rows(back, rows)
    jb = np.searchsorted(rows, ib)
    assert np.array_equal(pair_scores(back, ia, ib), pair_scores(back, ia, jb, other=cut))
    # an empty shard
    empty = load_features(save_features(featurize([])[0], tmp_path / "e.features"))
    assert empty.n == 0
    with open(handle.path, "r+b") as fh:
        fh.truncate(handle.size - 8)
    with pytest.raises(ClusterError, match="bytes where"):
        load_features(handle)
    os.unlink(handle.path)
    with pytest.raises(ClusterError, match="features"):
        load_features(handle)


def test_cli_dask_dedup_report_and_refusals(tmp_path, capsys):
    rows = _dedup_feed()[:40]
    names = _split(rows, tmp_path / "in", 2)
    args = ["dedup", str(tmp_path / "in"), "--dask", "local:1", "-o", str(tmp_path / "out")]
    main([*args, "--id-column", "id", "--report", str(tmp_path / "merges.csv")])
    assert "40 rows in 2 shards" in capsys.readouterr().err
    merges = _read(tmp_path / "merges.csv")
    dups = [r for n in names for r in _read(tmp_path / "out" / n) if r["duplicate_of"]]
    assert [r["duplicate_id"] for r in merges] == [r["id"] for r in dups]
    for extra, says in (
        (["--history", str(tmp_path / "state")], "the state is one file"),
        (["--summary"], "--summary is for RSS/Atom input"),
    ):
        with pytest.raises(SystemExit) as exc:
            main([*args[:-1], str(tmp_path / "out2"), *extra])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and says in err
        assert not (tmp_path / "out2").exists() and not (tmp_path / "state").exists()


def test_dedup_without_ids_names_rows_by_shard_and_row(tmp_path, client):
    from feedclass.distributed import dedup_shards

    rows = _dedup_feed()[:40]
    folder = tmp_path / "in"
    folder.mkdir()
    for p, part in enumerate((rows[:20], rows[20:])):
        with (folder / f"p{p}.jsonl").open("w", encoding="utf-8") as fh:
            for _, text in part:
                fh.write(json.dumps({"title": text}, ensure_ascii=False) + "\n")
    dedup_shards(folder, tmp_path / "out", address=client)
    out = [json.loads(x) for x in (tmp_path / "out" / "p1.jsonl").read_text().splitlines()]
    assert [o["title"] for o in out] == [t for _, t in rows[20:]]
    pointers = {o["duplicate_of"] for o in out if o["duplicate_of"]}
    assert pointers and all(p.split(":")[0] in ("p0.jsonl", "p1.jsonl") for p in pointers)


def test_dedup_id_repeated_across_shards_is_an_error(tmp_path, client):
    from feedclass.distributed import dedup_shards

    folder = tmp_path / "in"
    folder.mkdir()
    _write_csv(folder / "a.csv", [["1", "Курс доллара вырос"], ["2", "Гол в ворота"]])
    _write_csv(folder / "b.csv", [["3", "Снег в Астане"], ["2", "Пожар на складе"]])
    with pytest.raises(DataError, match=r"b\.csv, row 2: id '2' is also the id of row 2 of"):
        dedup_shards(folder, tmp_path / "out", address=client, id_column="id")
    assert not (tmp_path / "out").exists()


def test_bad_worker_memory_is_one_line_error(tmp_path, capsys):
    src = tmp_path / "a.csv"
    _write_csv(src, _rows(3, 1))
    with pytest.raises(SystemExit) as exc:
        main(["dedup", str(src), "--dask", "local:1", "--worker-memory", "lots", "-o", "out"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--worker-memory takes a size like 6GiB" in err


@pytest.mark.parametrize("parts", [1, 3, 7])
def test_shuffled_candidates_are_the_single_process_candidates(parts, tmp_path):
    """Band entries split by key, pairs sent to both items' partitions through the exchange
    folder, each item's best kept: exactly the candidate pairs of one process, however many
    partitions; the folder is gone afterwards."""
    import numpy as np

    from feedclass.dedup import candidate_pairs, featurize
    from feedclass.distributed.candidates import band_task, best_task, window_task
    from feedclass.distributed.exchange import Exchange

    texts = [t for _, t in _dedup_feed() + _rows(400, 5) if t]
    n = len(texts)
    feats, idf = featurize(texts)
    perm = np.argsort(feats.clean_hash, kind="stable")
    number = np.empty(n, np.int64)
    number[perm] = np.arange(n)
    ex = Exchange.beside(tmp_path / "out")
    # two shards, each featurised on its own (band keys depend on the headline only)
    counts = [
        band_task(ex, k, featurize(texts[lo:hi], idf)[0], number[lo:hi], n, parts)
        for k, (lo, hi) in enumerate(((0, 150), (150, n)))
    ]
    sizes = [window_task(ex, q, counts, n, parts) for q in range(parts)]
    got = set()
    for r in range(parts):
        lo, hi = best_task(ex, r, sizes, n, 12, perm)
        got |= set(zip(lo.tolist(), hi.tolist()))
    pi, pj = candidate_pairs(feats)
    assert got == set(zip(pi.tolist(), pj.tolist()))
    assert len(got) > 100
    # a piece lost under a running job is an error, not fewer candidates
    victim = next(ex.folder.glob("window-*.bin"))
    victim.unlink()
    with pytest.raises(ClusterError, match="shuffle piece"):
        for r in range(parts):
            best_task(ex, r, sizes, n, 12, perm)
    ex.remove()
    assert list(tmp_path.iterdir()) == []


def test_idf_alone_equals_the_idf_featurize_counts():
    """The distributed dedup sums each shard's ``fit_idf``: it must count what featurize does,
    with the batch's own slips undone or with an archive-wide typo table."""
    import numpy as np

    from feedclass.dedup.facts import feed_typo_words
    from feedclass.dedup.featurize import featurize, fit_idf
    from feedclass.dedup.typos import join_typo_words

    texts = [t for _, t in _dedup_feed() + _rows(300, 6)]
    texts += [_slip(t, k) for k, t in enumerate(texts[:40]) if t]
    table = join_typo_words([feed_typo_words(texts[:100]), feed_typo_words(texts[100:])])
    for typos in (True, False, table):
        want, got = featurize(texts, typos=typos)[1], fit_idf(texts, typos=typos)
        assert got.n_docs == want.n_docs == len(texts)
        for name in ("char_df", "word_keys", "word_df", "cap_keys"):
            assert np.array_equal(getattr(got, name), getattr(want, name)), name
    assert fit_idf([]).n_docs == featurize([])[1].n_docs


def _slip(text: str, k: int) -> str:
    """A slip of the pen in the longest word: a letter dropped (k even) or two swapped."""
    words = text.split(" ")
    w = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[w]
    p = 1 + k % max(1, len(word) - 2)
    if k % 2 == 0:
        words[w] = word[:p] + word[p + 1 :]
    else:
        words[w] = word[:p] + word[p + 1 : p + 2] + word[p] + word[p + 2 :]
    return " ".join(words)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picks=st.lists(st.integers(0, 10_000), min_size=2, max_size=60),
    cuts=st.lists(st.integers(0, 60), max_size=4),
)
def test_shards_read_words_as_the_whole_feed_does(picks, cuts):
    """A word slipped in one shard and written right in another is undone as in one batch."""
    import numpy as np

    from feedclass.dedup.facts import content_tokens, feed_typo_words
    from feedclass.dedup.typos import join_typo_words

    base = STORIES + HEADLINES[:11]
    right = [base[k % len(base)] for k in picks]
    slipped = [_slip(base[k % len(base)], k // 7) for k in picks[::2]]
    # the slipped copies come after every original, in shards of their own
    feed = right + slipped
    bounds = sorted({0, len(right), len(feed), *[min(c, len(feed)) for c in cuts]})
    shards = [feed[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    whole = content_tokens(feed)
    table = join_typo_words([feed_typo_words(s) for s in shards])
    parts = [content_tokens(s, typos=table) for s in shards]
    for key in ("whash", "shash", "content", "num"):
        got = np.concatenate([getattr(p, key) for p in parts])
        assert (got == getattr(whole, key)).all()


@settings(max_examples=40, deadline=None)
@given(
    edges=st.lists(st.tuples(st.integers(0, 79), st.integers(0, 79)), max_size=160),
    seed=st.integers(0, 2**16),
)
def test_pairs_within_groups_are_each_member_against_its_groups_first(edges, seed):
    """Every unscored pair of a group joined at the threshold: all pairs of a group of up to
    32, each member against the first 16 (in representative order) of a larger one."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from feedclass.distributed.candidates import pairs_within_groups

    n = 80
    rng = np.random.default_rng(seed)
    e = np.array([(min(a, b), max(a, b)) for a, b in edges if a != b] or [(0, 1)])
    e = np.unique(e, axis=0)
    # a chain through 40 items too, so that some group is larger than 32
    chain = np.stack([np.arange(40, 79), np.arange(41, 80)], axis=1)
    e = np.unique(np.concatenate([e, chain]), axis=0)
    pi, pj = e[:, 0], e[:, 1]
    score = rng.choice([0.5, 0.9], size=pi.size)
    score[np.isin(pi, np.arange(40, 79)) & (pj == pi + 1)] = 0.9
    order = rng.permutation(n)
    got = set(zip(*(x.tolist() for x in pairs_within_groups(n, pi, pj, score, 0.75, order))))
    top = score >= 0.75
    graph = coo_matrix((np.ones(int(top.sum())), (pi[top], pj[top])), shape=(n, n))
    comp = connected_components(graph, directed=False)[1]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    have = set(zip(pi.tolist(), pj.tolist()))
    want = set()
    for c in np.unique(comp).tolist():
        group = sorted(np.flatnonzero(comp == c).tolist(), key=lambda i: rank[i])
        if len(group) < 3:
            continue
        first = group if len(group) <= 32 else group[:16]
        want |= {(min(x, y), max(x, y)) for x in group for y in first if x != y}
    assert got == want - have
    assert any(np.bincount(comp).tolist()[c] > 32 for c in set(comp.tolist()))
