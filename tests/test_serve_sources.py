"""Polling RSS sources: conditional GET, back-off, timeouts; against an HTTP server on loopback."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

pytest.importorskip("fastapi")

from feedclass.errors import DataError
from feedclass.serve.desk import Desk
from feedclass.serve.settings import Settings
from feedclass.serve.sources import Poller


def rss(titles: list[str]) -> bytes:
    items = "".join(
        f"<item><title>{t}</title><guid>g{k}</guid><link>https://x.kz/{k}</link></item>"
        for k, t in enumerate(titles)
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>T</title>"
        f"{items}</channel></rss>"
    ).encode()


class Feed:
    """A feed on 127.0.0.1 that honours If-None-Match and can fail or hang on demand."""

    def __init__(self) -> None:
        self.body = rss(["Пожар на складе в Алматы", "Курс доллара на 5 мая вырос"])
        self.etag = '"v1"'
        self.mode = "ok"
        self.requests: list[dict[str, str]] = []
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                feed.requests.append(dict(self.headers))
                if feed.mode == "fail":
                    self.send_response(503)
                    self.end_headers()
                    return
                if feed.mode == "hang":
                    time.sleep(2)
                if self.headers.get("If-None-Match") == feed.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("ETag", feed.etag)
                self.send_header("Content-Length", str(len(feed.body)))
                self.end_headers()
                try:
                    self.wfile.write(feed.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/rss"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def feed():
    f = Feed()
    try:
        yield f
    finally:
        f.close()


@pytest.fixture
def desk(tmp_path, tiny_model):
    d = Desk(Settings(db=str(tmp_path / "s.db")), tiny_model)
    yield d
    d.storage.close()


def test_conditional_get_and_new_items(feed, desk):
    p = Poller(desk, [feed.url], every_minutes=1, timeout=5)
    src = p.sources[0]
    assert p.poll(src, now=0.0) == "2 new of 2"
    assert src.next_at == 60.0 and src.name.startswith("127.0.0.1")
    assert p.poll(src, now=60.0) == "not modified"
    assert feed.requests[-1].get("If-None-Match") == '"v1"'
    feed.body = rss(
        ["Пожар на складе в Алматы", "Курс доллара на 5 мая вырос", "Рыбакина в финале"]
    )
    feed.etag = '"v2"'
    assert p.poll(src, now=120.0) == "1 new of 3"  # the two already stored are not repeated
    stories = desk.stories()
    assert sum(len(s["items"]) for s in stories) == 3
    assert {i["source"] for s in stories for i in s["items"]} == {src.name}


def test_failures_back_off_then_recover(feed, desk):
    p = Poller(desk, [feed.url], every_minutes=1, timeout=5, max_backoff_minutes=5)
    src = p.sources[0]
    feed.mode = "fail"
    waits = []
    for _ in range(4):
        assert p.poll(src, now=1000.0).startswith("failed: HTTP 503")
        waits.append(src.next_at - 1000.0)
    assert waits == [120.0, 240.0, 300.0, 300.0]  # doubling, capped
    assert p.run_due(now=1001.0) == 0  # not due yet: no request
    feed.mode = "ok"
    assert p.poll(src, now=1400.0) == "2 new of 2" and src.failures == 0
    assert src.next_at == 1460.0


def test_timeout_and_bad_feed_are_failures_not_crashes(feed, desk):
    p = Poller(desk, [feed.url], every_minutes=1, timeout=0.3)
    src = p.sources[0]
    feed.mode = "hang"
    t = time.monotonic()
    assert p.poll(src, now=0.0).startswith("failed")
    assert time.monotonic() - t < 2
    feed.mode = "ok"
    feed.body = b"<html>not a feed</html>"
    feed.etag = '"v3"'
    assert "not a readable RSS" in p.poll(src, now=500.0)


def test_background_polling_from_the_app(feed, make_server, tmp_path):
    live = make_server(f"sqlite:///{tmp_path / 'bg.db'}", sources=[feed.url])
    with httpx.Client(base_url=live.url) as c:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            status = c.get("/v1/sources").json()["sources"][0]
            if status["items_created"]:
                break
            time.sleep(0.1)
        assert status["items_created"] == 2 and status["status"] == "2 new of 2"
        assert len(c.get("/v1/stories").json()["stories"]) == 2


def test_only_http_sources():
    with pytest.raises(DataError, match="http:// or https://"):
        Settings(db="x.db", sources=["file:///etc/passwd"])
