"""RSS 2.0 output of the writers: well-formed XML, RFC 822 dates, channel metadata, extra fields."""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedclass.writers import TableWriter
from tests.test_cli import run

FC = "{https://feedclass.invalid/ns}"
# XML 1.0 section 2.2: everything else may not appear in a document at all.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def write_rss(path: Path, columns: list[str], rows: list[list[str]], **kw) -> ET.Element:
    """Write rows as RSS and return the parsed ``<channel>``."""
    with TableWriter(path, "rss", columns, **kw) as writer:
        writer.write(rows)
    channel = ET.parse(path).getroot().find("channel")
    assert channel is not None
    return channel


def test_rss_control_characters_are_removed_and_file_parses(tmp_path: Path) -> None:
    channel = write_rss(
        tmp_path / "out.rss",
        ["title", "summary", "topic", "note"],
        [["Курс\x0b доллара\x01 вырос", "Текст\x00 новости", "eco\x1fnomy", "a\x08b"]],
        feed_title="Лента\x0c",
    )
    item = channel.find("item")
    assert item is not None
    assert item.findtext("title") == "Курс доллара вырос"
    assert item.findtext("description") == "Текст новости"
    assert item.findtext("category") == "economy"
    assert item.findtext(f"{FC}note") == "ab"
    assert channel.findtext("title") == "Лента"


def test_rss_column_names_that_are_not_xml_names_are_kept(tmp_path: Path) -> None:
    channel = write_rss(
        tmp_path / "out.rss",
        ["title", "my col", "заметка", "1st", "xmlish", "field", "bad\x01"],
        [["T", "a", "b", "c", "d", "e", "f"]],
    )
    item = channel.find("item")
    assert item is not None
    fields = {f.get("name"): f.text for f in item.findall(f"{FC}field")}
    assert fields == {
        "my col": "a",
        "заметка": "b",
        "1st": "c",
        "xmlish": "d",
        "field": "e",
        "bad": "f",
    }


# Any code point, lone surrogates included (JSON input can hold them), with the awkward ones often.
text = st.text(
    st.one_of(
        st.characters(blacklist_categories=()),
        st.sampled_from(["\x00", "\x01", "\x0b", "\r", "\n", "\t", "\ufffe", "\ud800", "&", "<"]),
    ),
    max_size=30,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(text, text, text), min_size=1, max_size=4), text)
def test_any_unicode_gives_parseable_rss_that_round_trips(
    tmp_path: Path, rows: list[tuple[str, str, str]], feed_title: str
) -> None:
    channel = write_rss(
        tmp_path / "out.rss",
        ["title", "summary", "topic"],
        [list(r) for r in rows],
        feed_title=feed_title,
    )
    items = channel.findall("item")
    assert len(items) == len(rows)
    for item, (title, summary, topic) in zip(items, rows):
        assert (item.findtext("title") or "") == NOT_XML.sub("", title)
        for tag, value in (("description", summary), ("category", topic)):
            clean = NOT_XML.sub("", value)
            if clean:
                assert item.findtext(tag) == clean
            else:
                assert item.find(tag) is None
    assert channel.findtext("title")  # never empty, whatever the input's title was


@pytest.mark.parametrize(
    "given_date, expected",
    [
        ("2025-05-05T09:00:00", "Mon, 05 May 2025 09:00:00 +0000"),  # naive: taken as UTC
        ("2025-05-05T09:00:00Z", "Mon, 05 May 2025 09:00:00 +0000"),  # Atom
        ("2025-05-05T12:00:00+03:00", "Mon, 05 May 2025 09:00:00 +0000"),
        ("Mon, 05 May 2025 09:00:00 GMT", "Mon, 05 May 2025 09:00:00 +0000"),
        ("Mon, 05 May 2025 12:00:00 +0300", "Mon, 05 May 2025 09:00:00 +0000"),
        ("1746435600", "Mon, 05 May 2025 09:00:00 +0000"),  # unix seconds
    ],
)
def test_rss_pubdate_is_rfc822(tmp_path: Path, given_date: str, expected: str) -> None:
    channel = write_rss(tmp_path / "out.rss", ["title", "published"], [["T", given_date]])
    item = channel.find("item")
    assert item is not None
    assert item.findtext("pubDate") == expected
    assert item.find(f"{FC}published") is None  # the date is not written twice


@pytest.mark.parametrize("given_date", ["yesterday", "2025-13-45", "nan", "1e400"])
def test_rss_unparseable_date_is_no_pubdate_but_kept(tmp_path: Path, given_date: str) -> None:
    channel = write_rss(tmp_path / "out.rss", ["title", "published"], [["T", given_date]])
    item = channel.find("item")
    assert item is not None
    assert item.find("pubDate") is None
    assert item.findtext(f"{FC}published") == given_date


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(text, st.integers(-(2**40), 2**40).map(str)))
def test_any_published_value_gives_a_valid_pubdate_or_none(tmp_path: Path, value: str) -> None:
    channel = write_rss(tmp_path / "out.rss", ["title", "published"], [["T", value]])
    item = channel.find("item")
    assert item is not None
    date = item.findtext("pubDate")
    if date is not None:
        assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000", date), date
        assert parsedate_to_datetime(date).utcoffset() is not None


def test_rss_channel_metadata_is_written_when_given(tmp_path: Path) -> None:
    channel = write_rss(
        tmp_path / "out.rss",
        ["title"],
        [["T"]],
        feed_title="Лента",
        feed_link="https://example.kz/news",
        feed_description="Новости & события",
    )
    assert channel.findtext("title") == "Лента"
    assert channel.findtext("link") == "https://example.kz/news"
    assert channel.findtext("description") == "Новости & события"


def test_rss_channel_metadata_fallbacks_are_not_empty(tmp_path: Path) -> None:
    channel = write_rss(tmp_path / "out.rss", ["title"], [["T"]], feed_title="")
    assert channel.findtext("title") == "feedclass"
    assert channel.findtext("link") == "about:blank"  # nothing known: documented placeholder
    assert channel.findtext("description")


def test_rss_keeps_every_column_without_a_standard_element(tmp_path: Path) -> None:
    channel = write_rss(
        tmp_path / "out.rss",
        ["id", "title", "published", "source", "cluster", "duplicate_of"],
        [
            ["a", "Первая", "2025-05-05T09:00:00", "tengri", "0", ""],
            ["b", "Первая снова", "2025-05-05T10:00:00", "kt", "0", "a"],
        ],
    )
    first, second = channel.findall("item")
    assert second.findtext("guid") == "b"
    assert second.findtext(f"{FC}duplicate_of") == "a"
    assert second.findtext(f"{FC}cluster") == "0"
    assert second.findtext(f"{FC}source") == "kt"
    # Empty values are left out, always: the representative has no duplicate_of.
    assert first.find(f"{FC}duplicate_of") is None
    # Columns that became standard elements are not repeated in the feedclass namespace.
    assert first.find(f"{FC}id") is None and first.find(f"{FC}title") is None


def test_rss_second_candidate_column_is_kept_when_it_differs(tmp_path: Path) -> None:
    # RSS input gives title and text; text is only repeated when it says more than the title.
    channel = write_rss(
        tmp_path / "out.rss",
        ["title", "text"],
        [["Заголовок", "Заголовок"], ["Заголовок", "Заголовок. Подробности"], ["", "Только"]],
    )
    same, more, only = channel.findall("item")
    assert same.find(f"{FC}text") is None
    assert more.findtext(f"{FC}text") == "Заголовок. Подробности"
    assert only.findtext("title") == "Только" and only.find(f"{FC}text") is None


def test_cli_dedup_to_rss_keeps_duplicate_of(tmp_path: Path, capsys) -> None:
    feed = tmp_path / "f.csv"
    with feed.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "title", "published"])
        w.writerow(["a", "Рыбакина выиграла полуфинал и вышла в финал турнира", "2026-11-27T08:20"])
        w.writerow(["b", "Курс доллара на 27 ноября: 482 тенге", "2026-11-27T09:00:00"])
        w.writerow(["c", "Срочно: Рыбакина вышла в финал турнира после победы в полуфинале", ""])
    out = tmp_path / "out.rss"
    code, _, err = run(["dedup", str(feed), "-o", str(out), "--id-column", "id"], capsys)
    assert code == 0, err
    items = ET.parse(out).getroot().findall("channel/item")
    assert [i.findtext("guid") for i in items] == ["a", "b", "c"]
    assert items[2].findtext(f"{FC}duplicate_of") == "a"
    assert items[2].findtext(f"{FC}cluster") == items[0].findtext(f"{FC}cluster")
    assert items[0].find(f"{FC}duplicate_of") is None
    assert items[0].findtext("pubDate") == "Fri, 27 Nov 2026 08:20:00 +0000"


def test_an_output_extension_feedclass_does_not_write_is_an_error(tmp_path: Path) -> None:
    from feedclass.errors import DataError
    from feedclass.writers import output_format

    with pytest.raises(DataError, match=r"does not write \.xlsx files"):
        output_format(tmp_path / "out.xlsx", "csv")
    assert output_format(tmp_path / "out", "tsv") == "tsv"  # no extension: the input's format
    assert output_format(tmp_path / "out.rss", "csv") == "rss"
