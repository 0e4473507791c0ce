"""dedup / publish / tune-dedup over whole feeds, through the library and the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedclass.columns import parse_time
from feedclass.errors import DataError, StateFileError
from feedclass.history import History
from feedclass.publish import dedup_file, publish_file
from tests.test_cli import run

FEED = [
    ("a", "Рыбакина выиграла полуфинал и вышла в финал турнира", "2026-11-27T08:20:00"),
    ("b", "Курс доллара на 27 ноября: 482 тенге", "2026-11-27T09:00:00"),
    (
        "c",
        "Срочно: Рыбакина вышла в финал турнира после победы в полуфинале",
        "2026-11-27T08:00:00",
    ),
    ("d", "Курс доллара на 28 ноября: 484 тенге", "2026-11-28T09:00:00"),
    ("e", "", "2026-11-28T09:00:00"),
]


def write_feed(path: Path, rows=FEED) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "title", "published"])
        w.writerows(rows)
    return path


def write_rss(path: Path, items: str, channel: str = "") -> Path:
    """An RSS 2.0 file titled «Лента» with ``items`` (and more ``channel`` elements)."""
    path.write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Лента</title>{channel}'
        f"{items}</channel></rss>",
        encoding="utf-8",
    )
    return path


def read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_dedup_keeps_rows_and_points_to_earliest(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    s = dedup_file(write_feed(tmp_path / "f.csv"), out, id_column="id", time_column="published")
    rows = read(out)
    assert [r["id"] for r in rows] == ["a", "b", "c", "d", "e"]
    by = {r["id"]: r for r in rows}
    # c is earlier than a, so c represents the story and a points at it.
    assert by["a"]["cluster"] == by["c"]["cluster"] and by["a"]["duplicate_of"] == "c"
    assert by["c"]["duplicate_of"] == ""
    # Templated headlines with other dates are different news.
    assert by["b"]["cluster"] != by["d"]["cluster"]
    assert by["e"]["cluster"] not in {by[k]["cluster"] for k in "abcd"}
    assert s.rows == 5 and s.merged == 1


def test_publish_one_row_per_story_with_topic(tmp_path: Path, tiny_model) -> None:
    out = tmp_path / "pub.jsonl"
    report = tmp_path / "merged.csv"
    publish_file(
        write_feed(tmp_path / "f.csv"),
        out,
        tiny_model,
        id_column="id",
        time_column="published",
        report=report,
    )
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    # "e" has no headline: no story to publish (the report lists it).
    assert [r["id"] for r in rows] == ["b", "c", "d"]
    assert rows[1]["duplicates"] == 1 and rows[1]["duplicate_ids"] == "a"
    assert rows[1]["topic"] == "sport" and rows[0]["topic"] == "economy"
    merges = [r for r in read(report) if r["duplicate_id"] != "e"]
    assert len(merges) == 1 and merges[0]["duplicate_id"] == "a"
    assert 0 < float(merges[0]["similarity"]) <= 1


def test_history_catches_story_republished_next_day(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    day1 = write_feed(tmp_path / "d1.csv", [("x1", "В Алматы открылся новый мост через реку", "")])
    day2 = write_feed(
        tmp_path / "d2.csv",
        [
            ("y1", "Новости: в Алматы открылся новый мост через реку", ""),
            ("y2", "В Шымкенте построят новую школу на 1200 мест", ""),
        ],
    )
    dedup_file(day1, tmp_path / "o1.csv", history_path=state)
    first = read(tmp_path / "o1.csv")[0]["cluster"]
    dedup_file(day2, tmp_path / "o2.csv", history_path=state)
    rows = read(tmp_path / "o2.csv")
    assert rows[0]["cluster"] == first and rows[0]["seen_before"] == "yes"
    assert rows[1]["cluster"] != first and rows[1]["seen_before"] == ""


def test_corrupted_history_is_an_error_not_a_fresh_start(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"format": "feedclass-dedup-history", "vers', encoding="utf-8")
    with pytest.raises(StateFileError):
        dedup_file(write_feed(tmp_path / "f.csv"), tmp_path / "o.csv", history_path=state)
    assert not (tmp_path / "o.csv").exists()


def test_bad_time_is_a_clear_error(tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "f.csv", [("a", "Заголовок", "вчера")])
    with pytest.raises(DataError, match="row 1: cannot read the time 'вчера'"):
        dedup_file(feed, tmp_path / "o.csv", time_column="published")


def test_parse_time_formats() -> None:
    assert parse_time("1700000000") == 1700000000.0
    assert parse_time("2026-11-27T08:00:00Z") == parse_time("2026-11-27T08:00:00+00:00")
    assert parse_time("Fri, 27 Nov 2026 08:00:00 +0000") == parse_time("2026-11-27T08:00:00")


def test_cli_dedup_stdin_and_tune(tmp_path: Path, capsys) -> None:
    import sys

    feed = "\n".join(t for _, t, _ in FEED[:4]) + "\n"
    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(feed.encode()))
    try:
        code, out, err = run(["dedup", "-", "--format", "lines"], capsys)
    finally:
        sys.stdin = old
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out), delimiter="\t"))
    assert len(rows) == 4 and rows[2]["duplicate_of"] == "1"
    pairs = tmp_path / "pairs.csv"
    with pairs.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text_1", "text_2", "label"])
        w.writerow([FEED[0][1], FEED[2][1], 1])
        w.writerow([FEED[1][1], FEED[3][1], -1])
        w.writerow(["Мост открыт в Астане", "В Астане открыли мост", 1])
        w.writerow(["Пожар на складе", "Гол в ворота", -1])
    code, out, err = run(["tune-dedup", str(pairs)], capsys)
    assert code == 0, err
    assert "precision" in out and "feedclass dedup FEED --threshold" in out


def test_cli_publish_dry_run_sweep(tmp_path: Path, capsys) -> None:
    feed = str(write_feed(tmp_path / "f.csv"))
    dest = str(tmp_path / "out.csv")
    code, out, err = run(["publish", feed, "-o", dest, "--dry-run", "--sweep", "0.5,0.9"], capsys)
    assert code == 0, err
    assert "threshold 0.50" in out and "threshold 0.90" in out
    assert [p.name for p in tmp_path.iterdir()] == ["f.csv"]  # a dry run writes nothing


def test_publish_needs_output(tmp_path: Path, capsys) -> None:
    code, _, err = run(["publish", str(write_feed(tmp_path / "f.csv"))], capsys)
    assert code == 2 and "needs -o" in err


words = st.sampled_from(
    [
        "Пожар",
        "в",
        "Алматы",
        "на",
        "складе",
        "мост",
        "открыли",
        "Астане",
        "курс",
        "доллара",
        "5",
        "6",
        "мая",
        "Срочно:",
        "новый",
    ]
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(words, min_size=0, max_size=7).map(" ".join), max_size=25))
def test_dedup_never_drops_or_reorders(tmp_path: Path, headlines: list[str]) -> None:
    feed = write_feed(tmp_path / "p.csv", [(str(i), h, "") for i, h in enumerate(headlines)])
    out = tmp_path / "p_out.csv"
    dedup_file(feed, out, id_column="id")
    rows = read(out)
    assert [r["id"] for r in rows] == [str(i) for i in range(len(headlines))]
    assert [r["title"] for r in rows] == headlines
    by = {r["id"]: r for r in rows}
    for r in rows:
        if r["duplicate_of"]:
            rep = by[r["duplicate_of"]]
            assert rep["cluster"] == r["cluster"] and rep["duplicate_of"] == ""


def test_publish_rss_in_rss_out_with_categories(tmp_path: Path, tiny_model) -> None:
    import feedparser

    items = "".join(f"<item><title>{t}</title><guid>{i}</guid></item>" for i, t, _ in FEED[:4])
    channel = "<link>https://example.kz/</link><description>Новости Казахстана</description>"
    src = write_rss(tmp_path / "in.rss", items, channel)
    out = tmp_path / "out.rss"
    publish_file(src, out, tiny_model)
    parsed = feedparser.parse(out.read_bytes())
    assert not parsed.bozo
    assert parsed.feed.title == "Лента" and parsed.feed.link == "https://example.kz/"
    assert parsed.feed.subtitle == "Новости Казахстана"
    titles = [e.title for e in parsed.entries]
    assert titles == [FEED[0][1], FEED[1][1], FEED[3][1]]  # the reposted item c is merged
    assert [e.tags[0].term for e in parsed.entries][0] == "sport"


@pytest.mark.parametrize(
    ("out", "report", "history", "message"),
    [
        ("f.csv", None, None, "output 'f.csv' is also the input"),
        ("o.csv", "f.csv", None, "report 'f.csv' is also the input"),
        ("o.csv", "o.csv", None, "report 'o.csv' is also the output"),
        ("o.csv", None, "o.csv", "history 'o.csv' is also the output"),
    ],
)
def test_no_file_is_written_over_another(
    tmp_path: Path, monkeypatch, out: str, report: str | None, history: str | None, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    feed = write_feed(Path("f.csv"))
    before = feed.read_bytes()
    with pytest.raises(DataError, match=message):
        dedup_file(feed, out, report=report, history_path=history)
    assert feed.read_bytes() == before


def test_history_in_a_missing_folder_fails_before_any_output(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        dedup_file(
            write_feed(tmp_path / "f.csv"),
            tmp_path / "o.csv",
            history_path=tmp_path / "nodir" / "state.json",
        )
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(
    ("ids", "message"),
    [(["a", "", "c", "d", "e"], "row 2: empty id"), (["a", "b", "a", "d", "e"], "id 'a'.*row 1")],
)
def test_ids_must_name_one_row_each(tmp_path: Path, ids: list[str], message: str) -> None:
    rows = [(i, t, when) for i, (_, t, when) in zip(ids, FEED, strict=True)]
    with pytest.raises(DataError, match=message):
        dedup_file(write_feed(tmp_path / "f.csv", rows), tmp_path / "o.csv", id_column="id")
    assert not (tmp_path / "o.csv").exists()


def test_history_names_the_earlier_item_and_keeps_one_copy(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    day1 = write_feed(tmp_path / "d1.csv", [("x1", "В Алматы открылся новый мост через реку", "")])
    day2 = write_feed(
        tmp_path / "d2.csv", [("y1", "Новости: в Алматы открылся новый мост через реку", "")]
    )
    s1 = dedup_file(day1, tmp_path / "o1.csv", id_column="id", history_path=state)
    assert s1.history_created and s1.history_items == 1
    s2 = dedup_file(
        day2, tmp_path / "o2.csv", id_column="id", history_path=state, report=tmp_path / "m.csv"
    )
    assert not s2.history_created
    row = read(tmp_path / "o2.csv")[0]
    assert row["seen_before"] == "yes" and row["duplicate_of"] == "x1"
    assert read(tmp_path / "m.csv")[0]["representative_id"] == "x1"
    # the same batch again is not stored twice
    assert (
        dedup_file(day2, tmp_path / "o3.csv", id_column="id", history_path=state).history_items == 2
    )


def test_history_days_given_replaces_the_states_limit(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    old = write_feed(
        tmp_path / "d1.csv", [("x1", "В Алматы открылся новый мост", "2026-11-20T08:00:00")]
    )
    new = write_feed(
        tmp_path / "d2.csv", [("y1", "Срочно: в Алматы открылся новый мост", "2026-11-22T08:00:00")]
    )
    dedup_file(
        old, tmp_path / "o1.csv", time_column="published", history_path=state, history_days=30
    )
    assert History.load(state).history_days == 30
    dedup_file(
        new, tmp_path / "o2.csv", time_column="published", history_path=state, history_days=1
    )
    assert read(tmp_path / "o2.csv")[0]["seen_before"] == ""  # two days old: forgotten
    assert History.load(state).history_days == 1


def test_publish_rejects_min_confidence_out_of_range(tmp_path: Path, tiny_model) -> None:
    with pytest.raises(DataError, match="between 0 and 1"):
        publish_file(
            write_feed(tmp_path / "f.csv"), tmp_path / "o.csv", tiny_model, min_confidence=2
        )


def test_cli_says_when_it_starts_a_new_history(tmp_path: Path, capsys) -> None:
    feed = write_feed(tmp_path / "f.csv", FEED[:1])
    state = tmp_path / "state.json"
    args = ["dedup", str(feed), "-o", str(tmp_path / "o.csv"), "--history", str(state)]
    code, _, err = run(args, capsys)
    assert code == 0 and "did not exist: started a new history" in err
    assert "1 row, 1 story" in err
    code, _, err = run(args, capsys)
    assert code == 0 and "started a new history" not in err and "1 item kept" in err


def test_dedup_rss_summary_uses_the_description(tmp_path: Path) -> None:
    items = "".join(
        f"<item><title>Новости дня</title><description>{d}</description></item>"
        for d in ("Пожар на складе в Алматы", "Курс тенге укрепился к доллару")
    )
    src = write_rss(tmp_path / "in.rss", items)
    dedup_file(src, tmp_path / "o1.csv")
    assert [r["duplicate_of"] for r in read(tmp_path / "o1.csv")] == ["", "1"]  # titles alone
    dedup_file(src, tmp_path / "o2.csv", rss_summary=True)
    assert [r["duplicate_of"] for r in read(tmp_path / "o2.csv")] == ["", ""]


def test_tune_needs_both_kinds_of_pairs_and_names_bad_rows(tmp_path: Path, capsys) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        "text_1,text_2,label\nМост открыт в Астане,В Астане открыли мост,1\n"
        "Пожар на складе,Срочно: пожар на складе,1\n",
        encoding="utf-8",
    )
    code, _, err = run(["tune-dedup", str(pairs)], capsys)
    assert code == 2 and "no different-news pair" in err
    pairs.write_text("text_1,text_2,label\nа,б,1\nв,г,да\n", encoding="utf-8")
    code, _, err = run(["tune-dedup", str(pairs)], capsys)
    assert code == 2 and "pairs.csv, row 2: label must be 1, 0 or -1; got 'да'" in err


def test_rss_items_are_named_by_their_guid(tmp_path: Path) -> None:
    items = "".join(f"<item><title>{t}</title><guid>g-{i}</guid></item>" for i, t, _ in FEED[:4])
    src = write_rss(tmp_path / "in.rss", items)
    dedup_file(src, tmp_path / "o.csv")
    assert [r["duplicate_of"] for r in read(tmp_path / "o.csv")] == ["", "", "g-a", ""]


def test_history_without_ids_names_the_story_not_a_row_of_this_file(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    day1 = write_feed(tmp_path / "d1.csv", [("", "В Алматы открылся новый мост через реку", "")])
    day2 = write_feed(
        tmp_path / "d2.csv",
        [
            ("", "Курс тенге укрепился к доллару", ""),
            ("", "Новости: в Алматы открылся новый мост через реку", ""),
        ],
    )
    dedup_file(day1, tmp_path / "o1.csv", history_path=state)
    story = read(tmp_path / "o1.csv")[0]["cluster"]
    dedup_file(day2, tmp_path / "o2.csv", history_path=state)
    assert read(tmp_path / "o2.csv")[1]["duplicate_of"] == story


def test_a_batch_run_again_is_not_a_duplicate_of_itself(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    feed = write_feed(tmp_path / "d1.csv", [("x1", "В Алматы открылся новый мост", "")])
    dedup_file(feed, tmp_path / "o1.csv", id_column="id", history_path=state)
    dedup_file(feed, tmp_path / "o2.csv", id_column="id", history_path=state)
    row = read(tmp_path / "o2.csv")[0]
    assert row["seen_before"] == "yes" and row["duplicate_of"] == row["cluster"] != "x1"


def test_a_row_without_a_time_does_not_empty_the_history(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    day1 = write_feed(
        tmp_path / "d1.csv",
        [
            ("x1", "В Алматы открылся новый мост", "2026-11-20T08:00:00"),
            ("x2", "Пожар в Астане", ""),
        ],
    )
    day2 = write_feed(
        tmp_path / "d2.csv", [("y1", "Срочно: в Алматы открылся новый мост", "2026-11-21T08:00:00")]
    )
    kw = {"id_column": "id", "time_column": "published", "history_path": state}
    dedup_file(day1, tmp_path / "o1.csv", history_days=30, **kw)
    dedup_file(day2, tmp_path / "o2.csv", **kw)
    assert read(tmp_path / "o2.csv")[0]["duplicate_of"] == "x1"


@pytest.mark.parametrize(
    ("out", "report", "history", "message"),
    [
        (None, "-", None, "both go to stdout"),
        ("o.csv", None, "-", "history needs a file"),
    ],
)
def test_stdout_takes_one_output(
    tmp_path: Path, out: str | None, report: str | None, history: str | None, message: str
) -> None:
    with pytest.raises(DataError, match=message):
        dedup_file(write_feed(tmp_path / "f.csv"), out, report=report, history_path=history)


def test_outputs_written_through_a_symlink_keep_the_link_and_the_mode(tmp_path: Path) -> None:
    import os

    real = tmp_path / "real"
    real.mkdir()
    (real / "out.csv").write_text("", encoding="utf-8")
    (real / "out.csv").chmod(0o640)
    (tmp_path / "out.csv").symlink_to(real / "out.csv")
    feed = write_feed(tmp_path / "f.csv")
    dedup_file(feed, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").is_symlink() and len(read(real / "out.csv")) == len(FEED)
    assert (real / "out.csv").stat().st_mode & 0o777 == 0o640
    # a history state behind a link: the file it points at is the one updated
    dedup_file(feed, tmp_path / "o1.csv", history_path=real / "state.json")
    (tmp_path / "state.json").symlink_to(real / "state.json")
    other = write_feed(tmp_path / "g.csv", [("z", "Землетрясение в Таразе", "")])
    dedup_file(other, tmp_path / "o2.csv", history_path=tmp_path / "state.json")
    assert (tmp_path / "state.json").is_symlink()
    assert len(History.load(real / "state.json")) == 5
    # a new file gets the mode any new file gets, not mkstemp's 0600
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "o1.csv").stat().st_mode & 0o777 == 0o666 & ~umask


# -- the CLI's dedup options, each passed through and acted on ---------------------------------
def _cli_dedup(tmp_path: Path, capsys, feed: Path, *opts: str, name: str = "o.csv") -> list:
    out = tmp_path / name
    code, _, err = run(["dedup", str(feed), "-o", str(out), "--id-column", "id", *opts], capsys)
    assert code == 0, err
    return read(out)


def test_cli_keep_chooses_the_representative(tmp_path: Path, capsys) -> None:
    feed = write_feed(tmp_path / "f.csv")  # a and c are one story; c comes later in the file
    first = {r["id"]: r["duplicate_of"] for r in _cli_dedup(tmp_path, capsys, feed)}
    last = {
        r["id"]: r["duplicate_of"] for r in _cli_dedup(tmp_path, capsys, feed, "--keep", "last")
    }
    assert (first["a"], first["c"]) == ("", "a")
    assert (last["a"], last["c"]) == ("c", "")
    code, _, err = run(["dedup", str(feed), "--keep", "oldest"], capsys)
    assert code == 2 and "keep must be 'first', 'last' or 'longest'" in err


def test_cli_time_column_makes_the_earliest_the_representative(tmp_path: Path, capsys) -> None:
    feed = write_feed(tmp_path / "f.csv")  # c (08:00) is earlier than a (08:20)
    rows = _cli_dedup(tmp_path, capsys, feed, "--time-column", "published")
    assert {r["id"]: r["duplicate_of"] for r in rows}["a"] == "c"
    code, _, err = run(["dedup", str(feed), "--time-column", "when"], capsys)
    assert code == 2 and "no time column 'when'" in err


def test_cli_source_column_keeps_one_outlets_items_apart(tmp_path: Path, capsys) -> None:
    feed = tmp_path / "f.csv"
    with feed.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "title", "outlet"])
        w.writerow(["a", "В Алматы открылся новый мост через реку", "tengri"])
        w.writerow(["b", "Срочно: в Алматы открылся новый мост через реку", "tengri"])
        w.writerow(["c", "В Алматы открыли новый мост через реку - СМИ", "kursiv"])
    plain = _cli_dedup(tmp_path, capsys, feed)
    assert len({r["cluster"] for r in plain}) == 1
    split = {r["id"]: r for r in _cli_dedup(tmp_path, capsys, feed, "--source-column", "outlet")}
    # one outlet does not report its own story twice: its two items are two stories
    assert split["a"]["cluster"] != split["b"]["cluster"]
    assert split["c"]["cluster"] in (split["a"]["cluster"], split["b"]["cluster"])


def test_cli_history_days_forgets_older_items(tmp_path: Path, capsys) -> None:
    import datetime as dt

    state = tmp_path / "state.json"
    now = dt.datetime.now(dt.timezone.utc)
    when = [(now - dt.timedelta(days=d)).isoformat() for d in (3, 0)]
    day1 = write_feed(tmp_path / "d1.csv", [("x1", "В Алматы открылся новый мост", when[0])])
    day2 = write_feed(
        tmp_path / "d2.csv", [("y1", "Срочно: в Алматы открылся новый мост", when[1])]
    )
    opts = ("--time-column", "published", "--history", str(state))
    _cli_dedup(tmp_path, capsys, day1, *opts, "--history-days", "5")
    kept = _cli_dedup(tmp_path, capsys, day2, *opts, name="o2.csv")  # 3 days later, limit 5
    assert kept[0]["seen_before"] == "yes" and kept[0]["duplicate_of"] == "x1"
    state.unlink()
    _cli_dedup(tmp_path, capsys, day1, *opts, "--history-days", "2")
    gone = _cli_dedup(tmp_path, capsys, day2, *opts, name="o3.csv")  # 3 days later, limit 2
    assert gone[0]["seen_before"] == "" and gone[0]["duplicate_of"] == ""
    assert History.load(state).history_days == 2
    code, _, err = run(["dedup", str(day1), *opts, "--history-days", "0"], capsys)
    assert code == 2 and "history_days must be > 0" in err


def _big_feed(path: Path, n: int) -> list[str]:
    """``n`` rows of headlines we compose; a row whose number ends in 0 rewords the row before."""
    who = ["Аким", "Минфин", "Нацбанк", "Сенат", "Мажилис", "МЧС", "Минздрав", "Полиция"]
    did = ["проверил", "открыл", "закрыл", "обсудил", "одобрил", "запретил", "поддержал"]
    what = ["мост", "рынок", "школу", "больницу", "парк", "стадион", "завод", "вокзал"]
    where = ["Алматы", "Астане", "Шымкенте", "Караганде", "Актобе", "Павлодаре", "Таразе"]
    titles = []
    for k in range(n):
        if k and k % 10 == 0:
            titles.append("Срочно: " + titles[-1].lower())
            continue
        titles.append(
            f"{who[k % 8]} {did[k // 8 % 7]} {what[k // 56 % 8]} в {where[k // 448 % 7]} "
            f"№{k // 3136}"
        )
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "title"])
        w.writerows((f"r{k}", t) for k, t in enumerate(titles))
    return titles


@pytest.mark.slow
def test_a_feed_longer_than_one_chunk_end_to_end(tmp_path: Path, capsys, tiny_model_path) -> None:
    from feedclass.readers import CHUNK_ROWS

    n = CHUNK_ROWS + 1231  # the last row, and the first of the second chunk, reword a row
    feed = tmp_path / "big.csv"
    _big_feed(feed, n)
    rows = _cli_dedup(tmp_path, capsys, feed)
    assert [r["id"] for r in rows] == [f"r{k}" for k in range(n)]  # every row, in order
    # each reworded repeat points at the row it repeats, in either chunk and across the seam
    for k in (10, 20, CHUNK_ROWS - 10, CHUNK_ROWS, CHUNK_ROWS + 10, n - 1):
        assert rows[k]["duplicate_of"] == f"r{k - 1}", k
    assert sum(r["duplicate_of"] != "" for r in rows) >= n // 10
    out = tmp_path / "pub.csv"
    code, _, err = run(["publish", str(feed), "-o", str(out), "-m", str(tiny_model_path)], capsys)
    assert code == 0, err
    published = read(out)
    assert len(published) == len({r["cluster"] for r in rows})
    assert published[-1]["id"] == f"r{n - 2}"  # the last row repeats the one before it


@pytest.mark.parametrize("raw", ["inf", "-inf", "nan", "1e300"])
def test_parse_time_refuses_what_is_no_time(raw: str) -> None:
    # float() reads these; an infinite time sorted after every dated row, 1e300 overflowed
    # when written as an RSS date
    with pytest.raises(ValueError, match="not a time"):
        parse_time(raw)


def test_publish_history_never_republishes_an_empty_headline(
    tmp_path: Path, capsys, tiny_model_path
) -> None:
    feed = write_feed(
        tmp_path / "f.csv",
        [("n1", "В Астане открылся новый парк у реки", ""), ("n2", "", ""), ("n3", "  ", "")],
    )
    state, out, report = tmp_path / "state", tmp_path / "out.csv", tmp_path / "report.csv"
    args = ["publish", str(feed), "-o", str(out), "--history", str(state), "--report", str(report)]
    args += ["--id-column", "id", "-m", str(tiny_model_path)]
    code, _, err = run(args, capsys)
    assert code == 0, err
    assert [r["id"] for r in read(out)] == ["n1"]
    assert "2 with an empty headline left out" in err
    # Not silently dropped: the report names each row left out and why.
    left = [r for r in read(report) if r["representative"] == "(empty headline: not published)"]
    assert [r["duplicate_id"] for r in left] == ["n2", "n3"]
    # The same feed again: everything was published before, nothing comes out.
    code, _, err = run(args, capsys)
    assert code == 0, err
    assert read(out) == []
