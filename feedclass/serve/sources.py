"""Sources: RSS/Atom feeds the desk polls by itself (``feedclass serve --source URL``).

Each feed is fetched every ``every_minutes`` with a conditional GET (``If-None-Match`` /
``If-Modified-Since`` from the last answer), a timeout, and a size limit; a feed that fails is
retried later and later (doubling, up to ``max_backoff_minutes``) so that a dead site is not
hammered. What comes in goes through the same import as an upload: the CLI's RSS reader, then
ingest, where the same item sent again is stored once.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from feedclass.errors import DataError, FeedclassError

__all__ = ["FeedSource", "Poller", "check_source_url"]

log = logging.getLogger("feedclass.serve.sources")


def check_source_url(url: str) -> str:
    """An http(s) feed address, or DataError.

    Examples
    --------
    >>> check_source_url("https://example.kz/rss")
    'https://example.kz/rss'
    """
    parts = urlsplit(url.strip()) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise DataError(f"a source must be an http:// or https:// feed address; got {url!r}")
    return url.strip()


@dataclass
class FeedSource:
    """One polled feed and what the desk knows of it."""

    url: str
    etag: str = ""
    modified: str = ""
    failures: int = 0
    next_at: float = 0.0
    last_status: str = "not polled yet"
    last_polled: float | None = None
    created: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return urlsplit(self.url).netloc

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "source": self.name,
            "status": self.last_status,
            "last_polled": self.last_polled,
            "next_poll": self.next_at,
            "failures": self.failures,
            "items_created": self.created,
        }


class Poller:
    """Polls feeds for a desk, in one background thread.

    Parameters
    ----------
    desk : the :class:`~feedclass.serve.desk.Desk` to ingest into.
    urls : feed addresses.
    every_minutes : time between two polls of a feed that answers.
    timeout : seconds for one request (connect and read).
    max_backoff_minutes : the longest wait after failures.
    max_bytes : a larger feed is refused.
    """

    def __init__(
        self,
        desk: Any,
        urls: list[str],
        every_minutes: float = 5.0,
        timeout: float = 10.0,
        max_backoff_minutes: float = 60.0,
        max_bytes: int = 20 * 1024 * 1024,
    ) -> None:
        if not every_minutes > 0:
            raise DataError(f"every_minutes must be > 0; got {every_minutes} instead")
        self.desk = desk
        self.sources = [FeedSource(check_source_url(u)) for u in urls]
        self.every = every_minutes * 60.0
        self.timeout = timeout
        self.max_backoff = max_backoff_minutes * 60.0
        self.max_bytes = max_bytes
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self, source: FeedSource, now: float | None = None) -> str:
        """Fetch one feed once, ingest what is new, and schedule its next poll."""
        import httpx

        now = time.time() if now is None else now
        headers = {"User-Agent": "feedclass-desk"}
        if source.etag:
            headers["If-None-Match"] = source.etag
        if source.modified:
            headers["If-Modified-Since"] = source.modified
        source.last_polled = now
        try:
            with httpx.Client(timeout=self.timeout, follow_redirects=True) as client:
                with client.stream("GET", source.url, headers=headers) as r:
                    if r.status_code == 304:
                        return self._ok(source, now, "not modified")
                    if r.status_code != 200:
                        raise _Failed(f"HTTP {r.status_code}")
                    body = bytearray()
                    for chunk in r.iter_bytes():
                        body += chunk
                        if len(body) > self.max_bytes:
                            raise _Failed(f"larger than {self.max_bytes:,} bytes")
                    etag, modified = r.headers.get("etag", ""), r.headers.get("last-modified", "")
            summary = self.desk.import_file(
                io.BytesIO(bytes(body)),
                f"{source.name}.rss",
                fmt="rss",
                source=source.name,
                who=f"source:{source.name}",
            )
        except (httpx.HTTPError, _Failed, FeedclassError) as e:
            reason = str(e) or type(e).__name__
            source.failures += 1
            wait = min(self.every * 2**source.failures, self.max_backoff)
            source.next_at = now + wait
            source.last_status = f"failed: {reason}"
            log.warning("source %s: %s; next try in %.0f s", source.url, reason, wait)
            return source.last_status
        source.etag, source.modified = etag, modified
        source.created += summary.created
        return self._ok(source, now, f"{summary.created} new of {summary.rows}")

    def _ok(self, source: FeedSource, now: float, status: str) -> str:
        source.failures = 0
        source.next_at = now + self.every
        source.last_status = status
        return status

    def run_due(self, now: float | None = None) -> int:
        """Poll every feed that is due; returns how many were polled."""
        now = time.time() if now is None else now
        due = [s for s in self.sources if s.next_at <= now]
        for s in due:
            if self._stop.is_set():
                break
            self.poll(s, now)
        return len(due)

    def start(self) -> None:
        """Poll in a background thread until :meth:`stop`."""
        if self._thread is not None or not self.sources:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="feedclass-sources", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_due()
            except Exception:  # a bug must not end polling silently: log it and go on
                log.exception("polling sources failed")
            wake = min(s.next_at for s in self.sources) - time.time()
            self._stop.wait(max(0.05, min(wake, 30.0)))


class _Failed(Exception):
    pass
