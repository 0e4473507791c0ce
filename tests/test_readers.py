from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feedclass.errors import DataError, InputFileError
from feedclass.readers import find_text_column, open_table, read_labelled


def rows_of(source, **kw) -> tuple[list[str], list]:
    table = open_table(source, **kw)
    rows = [r for chunk in table.chunks() for r in chunk]
    return table.columns, rows


def test_csv_utf8(tmp_path: Path) -> None:
    p = tmp_path / "f.csv"
    p.write_text('id,title\n1,"Курс, доллара"\n2,Погода\n', encoding="utf-8")
    cols, rows = rows_of(p)
    assert cols == ["id", "title"]
    assert rows == [["1", "Курс, доллара"], ["2", "Погода"]]


def test_csv_with_bom_and_semicolons_cp1251(tmp_path: Path) -> None:
    # What Excel in a Russian locale writes: cp1251 and ';' as the delimiter.
    p = tmp_path / "excel.csv"
    p.write_bytes(
        "id;заголовок\n1;Ёлка в Алматы\n2;Қар жауады\n".encode("cp1251", errors="replace")
    )
    table = open_table(p)
    assert table.encoding == "cp1251"
    assert table.columns == ["id", "заголовок"]
    rows = [r for c in table.chunks() for r in c]
    assert rows[0] == ["1", "Ёлка в Алматы"]
    p2 = tmp_path / "bom.csv"
    p2.write_bytes("\ufefftitle\nПривет\n".encode())
    assert rows_of(p2) == (["title"], [["Привет"]])


def test_tsv_and_multiline_quoted_field(tmp_path: Path) -> None:
    p = tmp_path / "f.tsv"
    p.write_text('title\tnote\n"две\nстроки"\tx\n', encoding="utf-8")
    assert rows_of(p)[1] == [["две\nстроки", "x"]]


def test_short_rows_padded_long_rows_refused(tmp_path: Path) -> None:
    p = tmp_path / "f.csv"
    p.write_text("a,b,c\n1\n", encoding="utf-8")
    assert rows_of(p)[1] == [["1", "", ""]]
    p.write_text("a,b\n1,2,3\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 2: 3 fields but the header has 2"):
        rows_of(p)


def test_jsonl_keeps_types_and_reports_bad_line(tmp_path: Path) -> None:
    p = tmp_path / "f.jsonl"
    p.write_text('{"title": "А", "n": 1}\n\n{"title": "Б", "tags": ["x"]}\n', encoding="utf-8")
    assert rows_of(p)[1] == [{"title": "А", "n": 1}, {"title": "Б", "tags": ["x"]}]
    p.write_text('{"title": "А"}\nnot json\n', encoding="utf-8")
    with pytest.raises(DataError, match="line 2: not valid JSON"):
        rows_of(p)


def test_lines_keep_empty_lines_in_place() -> None:
    cols, rows = rows_of(io.BytesIO("Первый\n\nТретий\r\n".encode()), fmt="lines")
    assert cols == ["text"]
    assert rows == [["Первый"], [""], ["Третий"]]


def test_stream_sniffing() -> None:
    assert open_table(io.BytesIO(b'{"title": "x"}\n')).format == "jsonl"
    assert open_table(io.BytesIO("title,id\nА,1\n".encode())).format == "csv"
    assert open_table(io.BytesIO("Просто заголовок, с запятой\n".encode())).format == "lines"


def test_rss_and_atom(tmp_path: Path) -> None:
    rss = tmp_path / "feed.xml"
    rss.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<item><title>Первая новость</title><link>http://a/1</link><description>Текст</description></item>"
        "<item><title>Вторая</title></item></channel></rss>",
        encoding="utf-8",
    )
    cols, rows = rows_of(rss)
    assert [dict(zip(cols, r))["title"] for r in rows] == ["Первая новость", "Вторая"]
    cols, rows = rows_of(rss, rss_summary=True)
    assert dict(zip(cols, rows[0]))["text"] == "Первая новость. Текст"
    atom = tmp_path / "feed.atom"
    atom.write_text(
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        "<entry><title>Атом</title><id>x1</id></entry></feed>",
        encoding="utf-8",
    )
    cols, rows = rows_of(atom)
    assert dict(zip(cols, rows[0]))["id"] == "x1"


def test_missing_file_and_garbage(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        open_table(tmp_path / "nope.csv")
    bad = tmp_path / "bad.rss"
    bad.write_bytes(b"\x00\x01garbage")
    with pytest.raises(DataError, match="binary data"):
        open_table(bad)
    bad.write_text("<html><p>no feed here", encoding="utf-8")
    with pytest.raises(DataError, match="not a readable RSS"):
        open_table(bad)


def test_text_column_detection() -> None:
    assert find_text_column(["id", "Title", "date"], None) == "Title"
    assert find_text_column(["id", "заголовок"], None) == "заголовок"
    assert find_text_column(["title", "text"], None) == "title"  # headline beats body
    with pytest.raises(DataError, match="several columns could hold the headline"):
        find_text_column(["title", "headline"], None)
    with pytest.raises(DataError, match="columns are: id, body2"):
        find_text_column(["id", "body2"], None)
    with pytest.raises(DataError, match="no column 'x'"):
        find_text_column(["title"], "x")


def test_read_labelled_skips_and_counts_empty(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("title,label\nА,x\n,y\nБ,\nВ,y\n", encoding="utf-8")
    assert read_labelled(p, None, "label") == (["А", "В"], ["x", "y"], 2)
    with pytest.raises(DataError, match="no label column 'topic'"):
        read_labelled(p, None, "topic")


cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.lists(cell, min_size=2, max_size=2), max_size=12), st.sampled_from(["csv", "tsv"])
)
def test_any_table_round_trips_through_writer(
    tmp_path: Path, rows: list[list[str]], fmt: str
) -> None:
    from feedclass.writers import TableWriter

    out = tmp_path / f"out.{fmt}"
    with TableWriter(out, fmt, ["title", "x"]) as w:
        w.write([list(r) for r in rows])
    cols, back = rows_of(out)
    assert cols == ["title", "x"]
    assert back == rows


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.dictionaries(st.sampled_from(["title", "a", "b"]), cell), max_size=10))
def test_any_jsonl_round_trips(tmp_path: Path, rows: list[dict]) -> None:
    from feedclass.writers import TableWriter

    out = tmp_path / "out.jsonl"
    with TableWriter(out, "jsonl", []) as w:
        w.write(rows)
    assert rows_of(out)[1] == [r for r in rows]
    # Lines must split only at "\n": U+0085 and U+2028 inside a headline are not line ends.
    assert len(out.read_bytes().split(b"\n")) == len(rows) + 1


def _fast_and_slow(data: bytes, block_bytes: int) -> tuple[str, str, list[str]]:
    """Output of csv_blocks + write_records, and of csv.reader + csv.writer, for one file."""
    import csv

    from feedclass.writers import TableWriter

    slow_rows = [r for c in open_table(io.BytesIO(data), "csv").chunks() for r in c]
    ref = io.StringIO()
    csv.writer(ref, lineterminator="\r\n").writerows([r + ["x"] for r in slow_rows])
    table = open_table(io.BytesIO(data), "csv")
    assert table.has_csv_blocks
    texts: list[str] = []
    out = io.BytesIO()
    writer = TableWriter.__new__(TableWriter)
    writer.rows_written = 0
    writer._out = type("O", (), {"stream": io.TextIOWrapper(out, "utf-8", newline="")})()
    for block in table.csv_blocks(1, block_bytes):
        if block.parsed is not None:
            texts += [r[1] for r in block.parsed]
            writer._out.stream.write(
                "".join(",".join(r) + ",x\r\n" for r in block.parsed)  # plain rows only here
            )
        else:
            texts += block.texts
            writer.write_records(block.body, block.ends, [",x"], [[0]] * block.rows)
    writer._out.stream.flush()
    assert texts == [r[1] for r in slow_rows]
    return out.getvalue().decode(), ref.getvalue(), texts


@pytest.mark.parametrize(
    "body",
    [
        '1,"a, b"\n2,plain\n',
        '1,"a ""q"" b"\r\n2,"x"\r\n3,y',
        '1,"две\nстроки"\n2,z\n',
        '"1","quoted without need"\n',
    ],
)
def test_csv_blocks_write_what_csv_writer_writes(body: str) -> None:
    for block_bytes in (3, 1 << 20):
        fast, slow, _ = _fast_and_slow(("id,title\n" + body).encode(), block_bytes)
        assert fast == slow


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(["a", ",", '"', "\n", "\r\n", "\r", "й", " "]), max_size=40).map(
        "".join
    )
)
def test_csv_blocks_give_csv_readers_rows(body: str) -> None:
    # Anything the compiled scanner does not take (blank lines, stray quotes, short rows)
    # must go through csv.reader from there on, so texts and errors never differ.
    data = ("id,title\n" + body).encode()
    try:
        want = [r[1] for c in open_table(io.BytesIO(data), "csv").chunks() for r in c]
    except DataError as exc:
        with pytest.raises(DataError, match=re.escape(str(exc))):
            for _ in open_table(io.BytesIO(data), "csv").csv_blocks(1, 4):
                pass
        return
    got: list[str] = []
    for block in open_table(io.BytesIO(data), "csv").csv_blocks(1, 4):
        got += [r[1] for r in block.parsed] if block.parsed is not None else block.texts
    assert got == want


# --- encodings: a file that is partly UTF-8 is refused, never decoded as cp1251 throughout.


def test_utf8_rows_then_a_cp1251_row_are_refused_naming_the_line(tmp_path: Path) -> None:
    p = tmp_path / "feed.csv"
    p.write_bytes(
        "id,title\n1,Токаев подписал закон\n".encode() + "2,Погода в Алматы\n".encode("cp1251")
    )
    with pytest.raises(DataError, match=r"feed.csv: mixed encodings: line 3 is not UTF-8 while"):
        rows_of(p)
    p.write_bytes("Погода в Алматы\n".encode("cp1251") + "Токаев подписал закон\n".encode())
    with pytest.raises(DataError, match="mixed encodings: line 2 is UTF-8 but line 1 is not"):
        rows_of(p, fmt="lines")


def test_mixed_encodings_past_the_sniffed_block_name_the_right_row(tmp_path: Path) -> None:
    rows = "".join(f"{i},Погода в Алматы номер {i}\n" for i in range(5000))  # > 64 KiB
    p = tmp_path / "feed.csv"
    p.write_bytes(("id,title\n" + rows).encode("cp1251") + "x,Токаев подписал закон\n".encode())
    with pytest.raises(DataError, match="line 5002 is UTF-8 but the file starts in cp1251"):
        rows_of(p)
    # The other way round the text stream decodes a block ahead of the reader; the error must
    # still name the row holding the bad bytes, not the row being read.
    p.write_bytes(("id,title\n" + rows).encode() + "x,Токаев\n".encode("cp1251") + b"y,z\n")
    with pytest.raises(DataError, match="row 5002: bytes that are not valid utf-8 text"):
        rows_of(p)


_LOWER = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_word = st.builds(
    lambda w, cap: w.capitalize() if cap else w,
    st.text(alphabet=_LOWER, min_size=1, max_size=9),
    st.booleans(),
)
# Separators with the bytes cp1251 shares with UTF-8 continuation bytes: Ё ё « » — №.
_headline = st.lists(_word, min_size=1, max_size=8).flatmap(
    lambda words: st.lists(
        st.sampled_from([" ", ", ", " — ", " «", "» ", " № ", " Ё "]),
        min_size=len(words) - 1,
        max_size=len(words) - 1,
    ).map(lambda seps: words[0] + "".join(s + w for s, w in zip(seps, words[1:])))
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_headline, min_size=1, max_size=20))
def test_any_cp1251_headline_file_reads_unchanged(headlines: list[str]) -> None:
    data = "id;заголовок\n" + "".join(f"{i};{h}\n" for i, h in enumerate(headlines))
    table = open_table(io.BytesIO(data.encode("cp1251")))
    assert table.encoding == "cp1251"
    assert [r[1] for c in table.chunks() for r in c] == headlines


# --- CSV quoting: an opening quote that never closes is refused, not read as one huge field.


def test_unterminated_quote_is_refused_naming_the_row(tmp_path: Path) -> None:
    p = tmp_path / "feed.csv"
    msg = r'feed.csv, row 2: a quoted field is never closed \(unterminated "\)'
    for data in (
        'id,title\n1,"Токаев подписал закон\n2,Погода\n'.encode(),
        'id,title\n1,"Токаев подписал закон\n2,Погода'.encode(),  # no final line end
        'id;title\r\n1;"Токаев подписал закон\r\n2;Погода\r\n'.encode("cp1251"),
    ):
        p.write_bytes(data)
        with pytest.raises(DataError, match=msg + '.*starts "Токаев подписал закон"'):
            rows_of(p)
        table = open_table(p)
        if table.has_csv_blocks:
            with pytest.raises(DataError, match=msg):
                list(table.csv_blocks(1))
    p.write_bytes(b'id,"title\n1,x\n')
    with pytest.raises(DataError, match="row 1: a quoted field is never closed"):
        open_table(p)


def test_quoted_fields_that_close_are_still_read(tmp_path: Path) -> None:
    p = tmp_path / "feed.csv"
    p.write_bytes('\ufeffid;title\r\n1;"две;\r\nстроки"\r\n2;"Газпром" вырос\r\n3;"x"'.encode())
    assert rows_of(p) == (
        ["id", "title"],
        [["1", "две;\r\nстроки"], ["2", "Газпром вырос"], ["3", "x"]],
    )
    p.write_bytes('id;title\n1;"Ёлка;\nв Алматы"\n'.encode("cp1251"))
    assert rows_of(p)[1] == [["1", "Ёлка;\nв Алматы"]]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(cell, min_size=2, max_size=2), min_size=1, max_size=8))
def test_a_csv_cut_inside_its_last_quoted_field_is_refused(rows: list[list[str]]) -> None:
    import csv

    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows([["id", "title"]] + rows)
    data = out.getvalue()[:-2].encode()  # drop the last closing quote and the line end
    msg = f"row {len(rows) + 1}: a quoted field is never closed"
    with pytest.raises(DataError, match=msg):
        rows_of(io.BytesIO(data), fmt="csv")
    with pytest.raises(DataError, match=msg):
        list(open_table(io.BytesIO(data), "csv").csv_blocks(1, 16))


# --- RSS/Atom: a broken document is refused, harmless feedparser notes are not.

_RSS_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>T</title>\n'


def _six_items() -> str:
    return "".join(f"<item><title>Новость {i}</title></item>\n" for i in range(6))


def test_broken_rss_is_refused_with_the_line(tmp_path: Path) -> None:
    p = tmp_path / "feed.rss"
    p.write_text("<rss><channel><item><title>Обрыв", encoding="utf-8")
    with pytest.raises(
        DataError,
        match=r"feed.rss: not a readable RSS or Atom feed: not well-formed XML \(no "
        r"element found, line 1\)",
    ):
        open_table(p)
    whole = _RSS_HEAD + _six_items() + "</channel></rss>\n"
    assert len(rows_of(io.BytesIO(whole.encode()))[1]) == 6
    p.write_text(whole[: whole.index("Новость 5") + 4], encoding="utf-8")  # cut mid-title
    with pytest.raises(DataError, match=r"not well-formed XML \(no element found, line 8\)"):
        open_table(p)
    # An error feedparser repairs (&nbsp;) must not hide a cut further on.
    p.write_text(_RSS_HEAD + "<item><title>a&nbsp;b</title></item>\n<item><ti", encoding="utf-8")
    with pytest.raises(DataError, match=r"not well-formed XML \(unclosed token, line 4\)"):
        open_table(p)


def test_a_web_page_is_not_a_feed(tmp_path: Path) -> None:
    p = tmp_path / "feed.xml"
    p.write_text(
        "<!DOCTYPE html><html><head><title>Новости</title></head><body><p>Привет</p></body></html>",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"feed.xml: .*no RSS <channel> or Atom <feed> in it"):
        open_table(p)


def test_broken_rss_on_stdin_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    cut = (_RSS_HEAD + _six_items())[:-30]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(cut.encode())))
    with pytest.raises(DataError, match=r"<stdin>: .*not well-formed XML"):
        open_table("-")
    whole = _RSS_HEAD + _six_items() + "</channel></rss>"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(whole.encode())))
    assert len(rows_of("-")[1]) == 6


def test_feeds_feedparser_repairs_are_read(tmp_path: Path) -> None:
    p = tmp_path / "feed.rss"
    # Declared UTF-8 but holding a Latin-1 byte: feedparser reads it as windows-1252.
    p.write_bytes(
        (_RSS_HEAD + "<item><title>Caf").encode() + b"\xe9</title></item></channel></rss>"
    )
    assert [r[0] for r in rows_of(p)[1]] == ["Café"]
    # HTML entities XML does not define and an undeclared namespace prefix.
    p.write_text(
        _RSS_HEAD + "<item><title>Курс&nbsp;тенге &mdash; вырос</title><media:thumbnail/></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    assert [r[0] for r in rows_of(p)[1]] == ["Курс\xa0тенге — вырос"]
    p.write_text(_RSS_HEAD.replace("<title>T", "<title>&nbsp;T") + "</channel></rss>", "utf-8")
    assert rows_of(p)[1] == []  # an empty feed is a feed


def test_html_typed_titles_read_as_a_reader_sees_them(tmp_path: Path) -> None:
    p = tmp_path / "feed.atom"
    p.write_text(
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        '<entry><id>1</id><title type="html">AT&amp;amp;T &lt;b&gt;рост&lt;/b&gt; 5 &lt; 6</title>'
        '<summary type="html">&lt;p&gt;S&amp;amp;P&lt;/p&gt;</summary></entry>'
        '<entry><id>2</id><title type="text">AT&amp;amp;T</title></entry></feed>',
        encoding="utf-8",
    )
    cols, rows = rows_of(p, rss_summary=True)
    got = [dict(zip(cols, r)) for r in rows]
    assert got[0]["title"] == "AT&T рост 5 < 6"
    assert got[0]["text"] == "AT&T рост 5 < 6. S&P"
    assert got[1]["title"] == "AT&amp;T"  # plain text: the ampersands are the text itself


@pytest.mark.parametrize(
    "prolog",
    [b"", b'<?xml version="1.0"?>\n', b'<?xml version="1.0" encoding="windows-1251"?>\n'],
)
def test_a_cp1251_feed_reads_in_cyrillic_declared_or_not(tmp_path: Path, prolog: bytes) -> None:
    body = (
        '<rss version="2.0"><channel><title>Лента</title>'
        "<item><title>Токаев подписал закон о бюджете</title></item></channel></rss>"
    )
    path = tmp_path / "feed.rss"
    path.write_bytes(prolog + body.encode("cp1251"))
    rows = [r for chunk in open_table(path).chunks() for r in chunk]
    assert rows[0][0] == "Токаев подписал закон о бюджете"


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=12),
        st.text(st.characters(min_codepoint=0xD7F0, max_codepoint=0xE010), max_size=4).map(
            lambda t: t.encode("utf-8", "surrogatepass")
        ),
        st.text(max_size=8).map(str.encode),
        st.lists(
            st.sampled_from(
                [
                    b"a",
                    b"\x80",
                    b"\xbf",
                    b"\xc0",
                    b"\xc2",
                    b"\xdf",
                    b"\xe0",
                    b"\xa0",
                    b"\xed",
                    b"\x9f",
                    b"\xef",
                    b"\xf0",
                    b"\x90",
                    b"\xf4",
                    b"\x8f",
                    b"\xf5",
                    b"\xff",
                ]
            ),
            max_size=8,
        ).map(b"".join),
    )
)
@example(b"\xed\xa0\x80")  # a surrogate
@example(b"\xed\x9f\xbf")  # the last code point before them
@example(b"\xe0\x9f\xbf")  # overlong
@example(b"\xc1\xbf")  # overlong
@example(b"\xf0\x8f\xbf\xbf")  # overlong
@example(b"\xf4\x90\x80\x80")  # past U+10FFFF
@example(b"\xf4\x8f\xbf\xbf")  # U+10FFFF
@example(b"x\xe2\x82")  # cut off
def test_the_utf8_check_accepts_what_python_decodes(data: bytes) -> None:
    # The fast CSV path checks each block with it; csv.reader reports any block it refuses.
    from feedclass.readers import _is_utf8

    try:
        data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    assert _is_utf8(np.frombuffer(data, np.uint8)) == valid


def test_undecodable_byte_names_the_encoding_it_was_read_in(tmp_path: Path) -> None:
    # 0x81 is a byte cp1252 leaves undefined; the message said "not valid cp1251 text" for a
    # file the warning just said was read as cp1252
    p = tmp_path / "latin.csv"
    p.write_bytes(
        "id,title\n1,Café au lait à Genève\n2,Crème brûlée\n".encode("cp1252") + b"3,a \x81 b\n"
    )
    with pytest.raises(DataError, match=r"latin\.csv, row 4: bytes that are not valid cp1252"):
        for _ in open_table(p).chunks():
            pass
