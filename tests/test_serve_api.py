"""The desk's JSON API, over HTTP on loopback, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import httpx
import pytest

pytest.importorskip("fastapi")

FIRE = "Пожар на складе в Алматы"
FIRE_2 = "Срочно: пожар на складе в Алматы"
RATE_5 = "Курс доллара на 5 мая вырос до 480 тенге"
RATE_6 = "Курс доллара на 6 мая вырос до 480 тенге"
SPORT = "Рыбакина вышла в финал турнира в Дохе"


@pytest.fixture
def live(make_server, db_url):
    return make_server(db_url)


@pytest.fixture
def client(live):
    with httpx.Client(base_url=live.url, timeout=30) as c:
        yield c


def post_items(client, items):
    r = client.post("/v1/items", json=items)
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_classify_gives_topics_confidences_and_top_k(client):
    r = client.post("/v1/classify", json={"headlines": [RATE_5, SPORT, ""], "top_k": 3})
    assert r.status_code == 200
    out = r.json()
    assert out["model_version"]
    res = out["results"]
    assert [x["topic"] for x in res] == ["economy", "sport", ""]
    assert 0 < res[0]["confidence"] <= 1 and len(res[0]["top"]) == 3
    assert res[0]["top"][0]["topic"] == "economy"
    # a bare string is refused, not classified letter by letter
    r = client.post("/v1/classify", json={"headlines": RATE_5})
    assert r.status_code == 422 and "error" in r.json()


def test_items_are_matched_to_stories_and_stored_once(client, live):
    a = post_items(client, {"id": "a1", "title": FIRE, "source": "tass"})
    assert a["created"] and a["duplicate_of"] is None and not a["seen_before"]
    assert a["topic"] and 0 < a["confidence"] <= 1 and a["model_version"]
    b = post_items(
        client,
        [{"id": 7, "title": FIRE_2, "source": "kaz"}, {"id": 8, "title": RATE_5, "source": "kaz"}],
    )
    fire, rate = b["items"]
    assert (
        fire["story_id"] == a["story_id"] and fire["duplicate_of"] == "a1" and fire["seen_before"]
    )
    assert rate["story_id"] != a["story_id"] and rate["duplicate_of"] is None
    # the same (source, id) again: 200, the stored result, no second row
    r = client.post("/v1/items", json={"id": "a1", "title": FIRE, "source": "tass"})
    assert r.status_code == 200 and r.json()["created"] is False and r.json()["key"] == a["key"]
    # the same id from another source is another item
    c = post_items(client, {"id": "a1", "title": RATE_6, "source": "rbc"})
    assert c["created"] and c["story_id"] != rate["story_id"]  # another date: another story
    with live.desk.storage.begin() as conn:
        assert live.desk.storage.count_items(conn) == 4


def test_stories_feed_newest_first_with_filters(client):
    post_items(
        client,
        [{"id": 1, "title": FIRE, "source": "tass"}, {"id": 2, "title": FIRE_2, "source": "kaz"}],
    )
    post_items(client, [{"id": 3, "title": SPORT, "source": "kaz"}])
    stories = client.get("/v1/stories").json()["stories"]
    assert [s["title"] for s in stories] == [SPORT, FIRE]
    assert [len(s["items"]) for s in stories] == [1, 2]
    assert stories[1]["sources"] == ["kaz", "tass"]
    assert [
        s["title"] for s in client.get("/v1/stories", params={"topic": "sport"}).json()["stories"]
    ] == [SPORT]
    assert [
        s["title"] for s in client.get("/v1/stories", params={"source": "tass"}).json()["stories"]
    ] == [FIRE]
    assert [
        s["title"] for s in client.get("/v1/stories", params={"q": "СКЛАДЕ"}).json()["stories"]
    ] == [FIRE]
    assert client.get("/v1/stories", params={"q": "%"}).json()["stories"] == []
    assert client.get("/v1/stories", params={"since": 4e9}).json()["stories"] == []


def test_feed_rss_and_csv_one_entry_per_story(client):
    post_items(
        client,
        [
            {
                "id": 1,
                "title": FIRE,
                "source": "tass",
                "url": "https://x.kz/1",
                "published": "2026-05-05T10:00:00Z",
            },
            {"id": 2, "title": FIRE_2, "source": "kaz"},
            {"id": 3, "title": SPORT, "source": "kaz"},
        ],
    )
    r = client.get("/v1/feed.rss")
    assert r.status_code == 200 and "xml" in r.headers["content-type"]
    items = ET.fromstring(r.content).findall("./channel/item")
    assert len(items) == 2
    by_title = {i.findtext("title"): i for i in items}
    assert by_title[FIRE].findtext("category") == "incidents" or by_title[FIRE].findtext("category")
    assert by_title[SPORT].findtext("category") == "sport"
    assert by_title[FIRE].findtext("link") == "https://x.kz/1"
    assert "05 May 2026 10:00:00" in by_title[FIRE].findtext("pubDate")
    rows = list(csv.DictReader(io.StringIO(client.get("/v1/feed.csv").text)))
    assert sorted(r["title"] for r in rows) == sorted([FIRE, SPORT])
    assert {r["title"]: r["duplicates"] for r in rows}[FIRE] == "1"


def test_editor_actions_are_stored_with_who_before_after(client, live):
    out = post_items(
        client,
        [
            {"id": 1, "title": FIRE, "source": "a"},
            {"id": 2, "title": FIRE_2, "source": "b"},
            {"id": 3, "title": SPORT, "source": "a"},
        ],
    )["items"]
    k1, k2, k3 = (x["key"] for x in out)
    r = client.put(f"/v1/items/{k3}/topic", json={"topic": "culture"})
    assert r.status_code == 200 and r.json()["topic"] == "culture" and r.json()["topic_by"]
    assert client.put(f"/v1/items/{k3}/topic", json={"topic": "nonsense"}).status_code == 422
    # split the repost out of its story: it gets a story of its own
    r = client.post(f"/v1/items/{k2}/split")
    assert r.status_code == 200
    new_story = r.json()["story_id"]
    assert new_story != out[0]["story_id"]
    assert client.post(f"/v1/items/{k2}/split").status_code == 409  # alone already
    # a split pair is "not the same story": merging them back is refused
    r = client.post("/v1/stories/merge", json={"story_id": out[0]["story_id"], "other": new_story})
    assert r.status_code == 409 and "not the same" in r.json()["error"]
    # another pair merges
    r = client.post(
        "/v1/stories/merge", json={"story_id": out[0]["story_id"], "other": out[2]["story_id"]}
    )
    assert r.status_code == 200 and sorted(r.json()["items"]) == [k1, k3]
    # a new copy of the split item's headline joins the split item's story, not the old one
    again = post_items(client, {"id": 9, "title": FIRE_2, "source": "c"})
    assert again["story_id"] in (new_story, out[0]["story_id"])
    # not-same on two items of one story splits them
    r = client.post("/v1/not-same", json={"item_a": k1, "item_b": k3})
    assert r.status_code == 200 and r.json()["split"]["key"] == k3
    assert client.post("/v1/items/99999/split").status_code == 404
    actions = client.get("/v1/actions").json()["actions"]
    kinds = [a["action"] for a in actions]
    assert {"set_topic", "split", "merge", "not_same"} <= set(kinds)
    topic = next(a for a in actions if a["action"] == "set_topic")
    assert (
        topic["before"]["topic"] == "sport"
        and topic["after"]["topic"] == "culture"
        and topic["who"]
    )
    # every change is there for the next reader
    stories = {s["story_id"]: s for s in client.get("/v1/stories").json()["stories"]}
    assert stories[new_story]["items"][0]["key"] == k2


def test_review_queue_and_accept(make_server, tmp_path):
    live = make_server(f"sqlite:///{tmp_path / 'r.db'}", review_confidence=1.01)
    with httpx.Client(base_url=live.url) as c:
        key = post_items(c, {"id": 1, "title": SPORT})["key"]
        queue = c.get("/v1/review").json()["items"]
        assert [q["key"] for q in queue] == [key] and queue[0]["why"] == "topic"
        assert c.post(f"/v1/items/{key}/accept").status_code == 200
        assert c.get("/v1/review").json()["items"] == []


def test_import_csv_jsonl_rss_with_the_cli_readers(client):
    data = (
        f"id;title;published\n1;{FIRE};2026-05-05T10:00:00\n2;{FIRE_2};\n3;;\n"
        f"4;{SPORT};not a date\n"
    )
    r = client.post(
        "/v1/import", files={"file": ("feed.csv", data.encode("cp1251"))}, data={"source": "upl"}
    )
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["rows"] == 4 and out["created"] == 3 and out["refused"] == 1
    assert "row 3" in out["refused_rows"][0]  # the empty headline is named, not dropped silently
    r = client.post(
        "/v1/import", files={"file": ("feed.csv", data.encode("cp1251"))}, data={"source": "upl"}
    )
    assert r.json()["created"] == 0 and r.json()["existing"] == 3
    jsonl = "\n".join(
        json.dumps({"guid": f"g{i}", "headline": f"{RATE_5} {i}"}, ensure_ascii=False)
        for i in range(5)
    )
    r = client.post("/v1/import", files={"file": ("x.jsonl", jsonl.encode())})
    assert r.status_code == 201 and r.json()["created"] == 5
    rss = (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
        f"<item><title>{SPORT}</title><guid>r1</guid><link>https://x/1</link></item></channel></rss>"
    )
    r = client.post("/v1/import", files={"file": ("f.rss", rss.encode())})
    assert r.status_code == 201 and r.json()["created"] == 1
    bad = client.post("/v1/import", files={"file": ("f.rss", b"<rss><channel><item><title>x</ti")})
    assert bad.status_code == 422 and "not" in bad.json()["error"]


def test_error_messages_name_the_field(client):
    assert client.post("/v1/items", json={"title": "x"}).json()["error"] == "id: Field required"
    r = client.post("/v1/items", json=[{"id": 1, "title": "t"}, {"id": 2}])
    assert r.json()["error"] == "item 1: title: Field required"
    r = client.post("/v1/items", json={"id": "x", "title": "t", "published": "someday"})
    assert "published must be ISO 8601" in r.json()["error"]


def test_errors_are_json_without_traceback(client):
    for r in (
        client.post(
            "/v1/items", content=b"{bad json", headers={"content-type": "application/json"}
        ),
        client.post("/v1/items", json={"title": "no id"}),
        client.post("/v1/items", json=[{"id": 1, "title": "t"}, {"id": 2}]),
        client.post("/v1/items", json={"id": "x", "title": "  "}),
        client.post("/v1/items", json={"id": "x", "title": "t", "published": "someday"}),
        client.post("/v1/items", json={"id": "x", "title": "t", "colour": "red"}),
        client.get("/v1/items/123456"),
        client.get("/v1/nothing"),
    ):
        assert r.status_code in (404, 422), r.text
        body = r.json()
        assert set(body) == {"error"} and body["error"]
        assert "Traceback" not in r.text


def test_size_limits_give_413_with_a_message(make_server, tmp_path):
    live = make_server(f"sqlite:///{tmp_path / 'l.db'}", max_body_bytes=2000, max_upload_bytes=5000)
    with httpx.Client(base_url=live.url) as c:
        r = c.post("/v1/items", json={"id": 1, "title": "x" * 3000})
        assert r.status_code == 413 and "limit" in r.json()["error"]

        def chunks():  # no Content-Length: counted as it streams
            for _ in range(10):
                yield b"x" * 1000

        r = c.post("/v1/classify", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413
        r = c.post("/v1/import", files={"file": ("f.csv", b"title\n" + b"a,b\n" * 3000)})
        assert r.status_code == 413
        assert c.get("/v1/health").json()["items"] == 0


def test_openapi_docs_list_the_versioned_api(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for p in (
        "/v1/classify",
        "/v1/items",
        "/v1/stories",
        "/v1/feed.rss",
        "/v1/feed.csv",
        "/v1/import",
        "/v1/items/{key}/topic",
        "/v1/items/{key}/split",
        "/v1/stories/merge",
        "/v1/not-same",
    ):
        assert p in paths


def test_lone_surrogates_are_422_naming_the_field(client):
    # JSON lets a client send "\ud800"; it is no character and crashed the model (a 500)
    bad = b'{"headlines": ["\\u041f\\u043e\\u0436\\u0430\\u0440", "x \\ud800"]}'
    r = client.post("/v1/classify", content=bad, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "headlines[1]" in r.json()["error"], r.text
    assert "surrogate" in r.json()["error"]
    r = client.post(
        "/v1/items",
        content=b'{"id": "s1", "title": "\\udc00 Pozhar"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422 and "title" in r.json()["error"], r.text
    jsonl = b'{"id": "s2", "title": "ok"}\n{"id": "s3", "title": "\\ud800"}\n'
    r = client.post("/v1/import", files={"file": ("f.jsonl", jsonl)})
    assert r.status_code == 422 and "line 2" in r.json()["error"], r.text
    assert client.get("/v1/health").json()["items"] == 0
    ok = '{"headlines": ["Пожар \\ud83d\\udd25"]}'.encode()
    r = client.post("/v1/classify", content=ok, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["results"][0]["topic"]


def test_desk_page_pages_through_stories_past_the_first_200(make_server, tmp_path):
    # the page showed the newest 200 stories and nothing said the rest existed
    from feedclass.serve.routes.web import PAGE_STORIES

    live = make_server(f"sqlite:///{tmp_path / 'p.db'}")
    n = PAGE_STORIES + 5
    items = [{"id": i, "title": f"Аким открыл школу номер {i}", "source": "s"} for i in range(n)]
    with httpx.Client(base_url=live.url, timeout=60) as c:
        post_items(c, items)
        assert len(c.get("/v1/stories", params={"limit": 1000}).json()["stories"]) == n
        html = {"accept": "text/html"}
        first = c.get("/", params={"q": "школу"}, headers=html).text
        assert first.count('<article class="story"') == PAGE_STORIES
        assert 'rel="next"' in first and 'rel="prev"' not in first
        assert "q=%D1%88%D0%BA%D0%BE%D0%BB%D1%83&amp;period=day&amp;page=2" in first  # filters kept
        second = c.get("/", params={"q": "школу", "page": 2}, headers=html).text
        assert second.count('<article class="story"') == 5
        assert 'rel="prev"' in second and 'rel="next"' not in second
        assert f"{PAGE_STORIES + 1}–{n}" in second
        shown = {t for p in (first, second) for t in items_in(p)}
        assert shown == {it["title"] for it in items}  # every story on one page or the other
        one = c.get("/", params={"q": "номер 7"}, headers=html).text
        assert 'class="pages"' not in one


def items_in(page: str) -> list[str]:
    import re

    return re.findall(r"Аким открыл школу номер \d+", page)


def test_bad_json_and_bad_uploads_say_what_and_where(client):
    # these read "item 1: JSON decode error" and "None, line 1: a NUL byte ..." before
    r = client.post("/v1/items", content=b"{bad json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"].startswith("the request body is not valid JSON at character 2:")
    r = client.post("/v1/import", files={"file": ("agency.csv", b"id,title\n1,ok\n2,a\x00b\n")})
    assert r.status_code == 422 and r.json()["error"].startswith("agency.csv, line 3: a NUL")


@pytest.mark.parametrize("published", [b"NaN", b"Infinity", b"-Infinity", b"1e300", b"true"])
def test_published_that_is_no_time_is_refused(client, published):
    # these were stored: Infinity came back in /v1/stories as JSON no strict parser reads
    # (JavaScript's JSON.parse included), and true as 1970-01-01
    body = b'{"id": "t1", "title": "Pozhar", "published": ' + published + b"}"
    r = client.post("/v1/items", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "published" in r.json()["error"], r.text
    r = client.get("/v1/stories", params={"since": "inf"})
    assert r.status_code == 422 and "since" in r.json()["error"]
    r = client.post("/v1/items", json={"id": "t2", "title": "Pozhar", "published": 1767225600})
    assert r.status_code == 201
    json.loads(client.get("/v1/stories").text, parse_constant=lambda c: pytest.fail(c))


def test_keys_past_the_database_integer_are_422_not_500(client):
    # 99999999999999999999 reached the database driver: "Python int too large to convert to
    # SQLite INTEGER" (PostgreSQL: out of range for integer), a 500
    big = 99999999999999999999
    for r in (
        client.get(f"/v1/items/{big}"),
        client.put(f"/v1/items/{big}/topic", json={"topic": "sport"}),
        client.post(f"/v1/items/{big}/split"),
        client.post(f"/v1/items/{2**31}/accept"),
        client.post("/v1/stories/merge", json={"story_id": big, "other": 1}),
        client.post("/v1/not-same", json={"item_a": 1, "item_b": big}),
        client.get("/v1/stories", params={"offset": big}),
        client.delete(f"/v1/admin/tokens/{big}"),
    ):
        assert r.status_code == 422, (r.request.url, r.text)
        assert "less than or equal to 2147483647" in r.json()["error"]
    assert client.get("/v1/items/2147483647").status_code == 404


def test_language_switch_keeps_the_filters(client):
    # the switch was href="?lang=en": it dropped the search, the filters and the page
    page = client.get(
        "/", params={"q": "пожар", "period": "all", "page": 1}, headers={"accept": "text/html"}
    ).text
    assert 'href="?q=%D0%BF%D0%BE%D0%B6%D0%B0%D1%80&amp;period=all&amp;page=1&amp;lang=en"' in page
    page = client.get("/", params={"lang": "en"}, headers={"accept": "text/html"}).text
    assert 'href="?lang=ru" class="lang"' in page
    assert '<select name="period" aria-label="Period">' in page  # every filter is named


def test_a_resent_id_with_another_title_is_409_and_changes_nothing(client, live):
    """A CMS that corrects a headline and resends it under the same id is told so, not
    answered 200 with the old title as if the correction had landed."""
    a = post_items(client, {"id": "n1", "title": FIRE, "source": "cms"})
    r = client.post("/v1/items", json={"id": "n1", "title": RATE_5, "source": "cms"})
    assert r.status_code == 409, r.text
    msg = r.json()["error"]
    assert "id 'n1' is already stored with another title" in msg and FIRE in msg
    assert "new id" in msg
    # nothing of that request is stored, not even its other, new items
    r = client.post(
        "/v1/items",
        json=[
            {"id": "n2", "title": SPORT, "source": "cms"},
            {"id": "n1", "title": RATE_6, "source": "cms"},
        ],
    )
    assert r.status_code == 409 and r.json()["error"].startswith("item 1:")
    # one request naming an id twice with two titles is refused the same way
    r = client.post(
        "/v1/items",
        json=[{"id": "n3", "title": SPORT, "source": "cms"}, {"id": "n3", "title": RATE_6}],
    )
    assert r.status_code == 201  # another source ("api"): another item
    r = client.post(
        "/v1/items",
        json=[
            {"id": "n4", "title": SPORT, "source": "cms"},
            {"id": "n4", "title": RATE_6, "source": "cms"},
        ],
    )
    assert r.status_code == 409
    assert r.json()["error"].startswith("item 1: source 'cms' id 'n4' is earlier in this request")
    stored = client.get(f"/v1/items/{a['key']}").json()
    assert stored["title"] == FIRE
    # the same title again is the usual retry: 200 and the stored result
    r = client.post("/v1/items", json={"id": "n1", "title": FIRE, "source": "cms"})
    assert r.status_code == 200 and r.json()["key"] == a["key"]
    with live.desk.storage.begin() as conn:
        assert live.desk.storage.count_items(conn) == 3  # n1, n3 twice (two sources)
    # an upload names the row and goes on with the others
    data = f"id,title\nn1,{RATE_5}\nn5,{RATE_6}\n"
    r = client.post("/v1/import", files={"file": ("f.csv", data.encode())}, data={"source": "cms"})
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["created"] == 1 and out["refused"] == 1
    assert out["refused_rows"][0].startswith("row 1:") and "another title" in out["refused_rows"][0]
