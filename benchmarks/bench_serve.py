"""The desk under load, over HTTP on loopback: SQLite and PostgreSQL side by side.

Starts ``feedclass serve`` (the shipped model) as a subprocess on 127.0.0.1 for each database,
then measures, bounded in time:

- the history (``--history``, 300,000 by default, spread over the last two days) is written to
  the database first and the server started on it (the time to rebuild its index is shown);
- single-item ingest: ``--clients`` (50) concurrent clients, one new item per request, for
  ``--seconds``, on top of that history: items/s, p50 and p99 latency;
- batch ingest: ``--batch-items`` (20,000) more items sent 1,000 per request;
- ``POST /v1/classify`` in batches of 1,000 for ``--seconds``: headlines/s;
- with ``--reliability``: the clients send overlapping items for ``--seconds`` across a
  ``kill -9`` and a restart, and every acknowledged item is checked in the database.

Headlines are synthetic (a vocabulary of made-up words with real ones mixed in, Zipf-like,
10% reworded copies), so nothing from ../shared/data is used.

Usage::

    flock /tmp/heavy.lock python benchmarks/bench_serve.py                    # SQLite + PG
    python benchmarks/bench_serve.py --history 20000 --seconds 5 --db sqlite  # quick
    python benchmarks/bench_serve.py --reliability --clients 50 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
REAL = (
    "пожар курс доллара аким выборы матч снегопад школа мост закон банк цены бензин тенге "
    "Алматы Астана Шымкент Караганда парламент министр футбол турнир больница вакцина"
).split()


def vocabulary(n: int, rng: random.Random) -> list[str]:
    syl = ["ка", "ра", "то", "ми", "не", "ло", "за", "ту", "бе", "ск", "ан", "ов", "ин", "ер"]
    words = {"".join(rng.choice(syl) for _ in range(rng.randint(2, 4))) for _ in range(n * 2)}
    return sorted(words)[:n] + REAL


class Headlines:
    """An endless synthetic feed: new headlines, and 10% reworded copies of recent ones."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.vocab = vocabulary(20_000, self.rng)
        self.weights = [1.0 / (k + 10) for k in range(len(self.vocab))]
        self.recent: list[tuple[str, int]] = []
        self.n = 0
        #: the story of the last headline: its own number, or its original's for a copy
        self.story = 0

    def next(self) -> str:
        rng = self.rng
        self.n += 1
        if self.recent and rng.random() < 0.1:
            text, self.story = rng.choice(self.recent)
            words = text.split()
            if len(words) > 4 and rng.random() < 0.5:
                del words[rng.randrange(len(words))]
            return ("Срочно: " if rng.random() < 0.5 else "") + " ".join(words)
        words = rng.choices(self.vocab, self.weights, k=rng.randint(6, 9))
        if rng.random() < 0.4:
            words.insert(rng.randrange(len(words)), str(rng.randint(1, 500)))
        t = " ".join(words).capitalize()
        self.story = self.n
        self.recent.append((t, self.n))
        if len(self.recent) > 1000:
            self.recent = self.recent[-500:]
        return t


def preload(db: str, n: int, feed: Headlines) -> None:
    """Write ``n`` items of history straight into the database, spread over the last two days.

    Ingesting them through the API would time the index ``n`` times over; the server then
    rebuilds its index from these rows at start, as it does after any restart.
    """
    from feedclass.serve.settings import sqlalchemy_url
    from feedclass.serve.storage import Storage, items, stories

    st = Storage(sqlalchemy_url(db))
    now = time.time()
    seen: set[int] = set()
    rows: list[dict] = []
    new: list[dict] = []

    def flush(conn) -> None:
        if new:
            conn.execute(stories.insert(), new)
        if rows:
            conn.execute(items.insert(), rows)
        rows.clear()
        new.clear()

    with st.begin() as conn:
        for k in range(1, n + 1):
            text = feed.next()
            t = now - 2 * 86400 * (1 - k / n)
            if feed.story not in seen:
                seen.add(feed.story)
                new.append({"id": feed.story, "created": t, "updated": t})
            rows.append(
                {
                    "key": k,
                    "source": f"agency{k % 20}",
                    "ext_id": f"h{k}",
                    "title": text,
                    "summary": "",
                    "url": "",
                    "published": t,
                    "received": t,
                    "topic": "society",
                    "confidence": 0.9,
                    "model_version": "preload",
                    "topic_by": "",
                    "story_id": feed.story,
                    "score": 0.0,
                    "reviewed": True,
                }
            )
            if len(rows) == 10_000:
                flush(conn)
        flush(conn)
    st.close()


class Server:
    """``feedclass serve`` in a subprocess on loopback; ``kill()`` is a kill -9."""

    def __init__(self, db: str, extra: list[str] | None = None) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, "-m", "feedclass.cli", "serve", "--db", db, "--port", "0"]
        self.proc = subprocess.Popen(
            cmd + (extra or []),
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.url = ""
        deadline = time.monotonic() + 600
        assert self.proc.stderr is not None
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            m = re.search(r"open (http://127\.0\.0\.1:\d+)/", line)
            if m:
                self.url = m.group(1)
                break
            if not line and self.proc.poll() is not None:
                break
        if not self.url:
            self.kill()
            raise SystemExit("the server did not start")
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=60)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def batch_ingest(url: str, feed: Headlines, n: int, start: int) -> float:
    """Send ``n`` items 1,000 per request; items/s."""
    with httpx.Client(base_url=url, timeout=120) as c:
        t = time.perf_counter()
        for k in range(start, start + n, 1000):
            body = [
                {"id": str(i), "title": feed.next(), "source": f"agency{i % 20}"}
                for i in range(k, min(k + 1000, start + n))
            ]
            r = c.post("/v1/items", json=body)
            r.raise_for_status()
        return n / (time.perf_counter() - t)


class RawClient:
    """A bare HTTP/1.1 keep-alive client on asyncio streams.

    httpx's async client costs about as much CPU per request as the server does, and on two
    shared cores the load generator would measure itself; this one costs a fraction of that.
    """

    def __init__(self, url: str) -> None:
        host, port = url.split("://", 1)[1].rstrip("/").split(":")
        self.host, self.port = host, int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        data = await self.reader.readexactly(length)
        return int(status_line.split()[1]), data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _single(
    url: str, feed: Headlines, clients: int, seconds: float, start: int
) -> tuple[int, list[float]]:
    import json

    lat: list[float] = []
    counter = [start]
    stop = time.perf_counter() + seconds

    async def one() -> None:
        c = RawClient(url)
        try:
            while time.perf_counter() < stop:
                i = counter[0]
                counter[0] += 1
                body = {"id": str(i), "title": feed.next(), "source": f"cms{i % 5}"}
                t = time.perf_counter()
                status, data = await c.post_json("/v1/items", json.dumps(body).encode())
                if status != 201:
                    raise SystemExit(f"ingest failed: {status} {data[:200]!r}")
                lat.append(time.perf_counter() - t)
        finally:
            await c.close()

    await asyncio.gather(*(one() for _ in range(clients)))
    return len(lat), lat


def single_ingest(url: str, feed: Headlines, clients: int, seconds: float, start: int) -> dict:
    # a short unmeasured run first: connections, threads and compiled kernels warm up
    asyncio.run(_single(url, feed, clients, min(2.0, seconds / 4), start + 5_000_000))
    t = time.perf_counter()
    n, lat = asyncio.run(_single(url, feed, clients, seconds, start))
    wall = time.perf_counter() - t
    lat.sort()
    return {
        "rate": n / wall,
        "p50": lat[len(lat) // 2] * 1000,
        "p99": lat[int(len(lat) * 0.99)] * 1000,
        "n": n,
    }


def classify_rate(url: str, feed: Headlines, seconds: float) -> float:
    texts = [feed.next() for _ in range(1000)]
    with httpx.Client(base_url=url, timeout=60) as c:
        c.post("/v1/classify", json={"headlines": texts}).raise_for_status()  # warm
        n = 0
        t = time.perf_counter()
        while time.perf_counter() - t < seconds:
            c.post("/v1/classify", json={"headlines": texts}).raise_for_status()
            n += 1000
        return n / (time.perf_counter() - t)


def reliability(db: str, clients: int, seconds: float) -> str:
    """Overlapping items across a kill -9; returns a one-line verdict."""
    import sqlalchemy as sa

    server = Server(db)
    # phases: "run", "pause" (the server is down and restarting), "done"
    state: dict = {"url": server.url, "phase": "run", "base": 0}
    acked: dict[tuple[str, str], int] = {}
    bad: list[str] = []
    lock = threading.Lock()
    pool = 20_000

    def client(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(timeout=30) as c:
            while state["phase"] != "done":
                if state["phase"] == "pause":
                    time.sleep(0.05)
                    continue
                ns = [state["base"] + rng.randrange(pool) for _ in range(rng.choice((1, 1, 10)))]
                body = [
                    {
                        "id": str(n),
                        "title": f"Событие номер {n % 997} в городе {n % 13}",
                        "source": f"s{n % 3}",
                    }
                    for n in ns
                ]
                try:
                    r = c.post(state["url"] + "/v1/items", json=body)
                except httpx.HTTPError:
                    time.sleep(0.05)
                    continue
                if r.status_code != 201:
                    bad.append(f"{r.status_code}")
                    continue
                with lock:
                    for res in r.json()["items"]:
                        k = (res["source"], res["id"])
                        if acked.setdefault(k, res["key"]) != res["key"]:
                            bad.append(f"{k} twice")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(seconds / 2)
    state["phase"] = "pause"
    server.kill()  # requests in flight now are not acknowledged
    before = len(acked)
    server = Server(db)
    state.update(url=server.url, base=pool // 2, phase="run")
    time.sleep(seconds / 2)
    state["phase"] = "done"
    for t in threads:
        t.join()
    server.stop()
    url = db if "://" in db else f"sqlite:///{db}"
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select key, source, ext_id from items")).all()
    engine.dispose()
    stored = {(r.source, r.ext_id): r.key for r in rows}
    lost = sum(1 for k, v in acked.items() if stored.get(k) != v)
    return (
        f"{clients} clients x {seconds:.0f} s, kill -9 at half time: {len(acked):,} acknowledged "
        f"({before:,} before the kill), {len(rows):,} rows, "
        f"{len(rows) - len(stored)} stored twice, "
        f"{lost} acknowledged but missing, {len(bad)} errors"
    )


def start_pg() -> tuple[str, str]:
    """A throwaway PostgreSQL cluster on loopback (root only); returns its URL and its folder."""
    pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    d = tempfile.mkdtemp(prefix="feedclass-bench-pg-")
    shutil.chown(d, "postgres")
    run = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*run, f"{pgbin}/initdb", "-D", f"{d}/data", "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    port = 54000 + os.getpid() % 1000
    subprocess.run(
        [
            *run,
            f"{pgbin}/pg_ctl",
            "-D",
            f"{d}/data",
            "-l",
            f"{d}/log",
            "-w",
            "-o",
            f"-p {port} -k {d} -c listen_addresses=127.0.0.1",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    return f"postgresql://postgres@127.0.0.1:{port}/postgres", d


def stop_pg(d: str) -> None:
    pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            f"{pgbin}/pg_ctl",
            "-D",
            f"{d}/data",
            "-m",
            "fast",
            "stop",
        ],
        capture_output=True,
    )
    shutil.rmtree(d, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--pg", help="postgresql:// URL of a server to use (default: a throwaway one)")
    ap.add_argument("--history", type=int, default=300_000)
    ap.add_argument("--batch-items", type=int, default=20_000, help="items sent 1,000 a request")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--reliability", action="store_true")
    args = ap.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    rows = []
    pg_dir = None
    tmp = tempfile.mkdtemp(prefix="feedclass-bench-")
    try:
        for kind in kinds:
            if kind == "sqlite":
                db = os.path.join(tmp, "bench.db")
            else:
                if args.pg:
                    db = args.pg
                else:
                    db, pg_dir = start_pg()
            if args.reliability:
                print(f"{kind}: {reliability(db, args.clients, args.seconds)}", flush=True)
                continue
            feed = Headlines()
            preload(db, args.history, feed)
            t = time.perf_counter()
            server = Server(db)
            started = time.perf_counter() - t
            try:
                single = single_ingest(server.url, feed, args.clients, args.seconds, 10_000_000)
                batch = batch_ingest(server.url, feed, args.batch_items, 0)
                cls = classify_rate(server.url, feed, args.seconds)
            finally:
                server.stop()
            rows.append((kind, started, batch, single, cls))
            print(f"{kind}: done", file=sys.stderr, flush=True)
    finally:
        if pg_dir:
            stop_pg(pg_dir)
        shutil.rmtree(tmp, ignore_errors=True)
    if rows:
        print(
            f"\nhistory {args.history:,} items; {args.clients} clients for {args.seconds:.0f} s; "
            "loopback, 2-core machine shared with other jobs\n"
        )
        print(
            "| database | start with the history s | single-item ingest items/s | p50 ms "
            "| p99 ms | batch ingest (1,000/request) items/s "
            "| classify (1,000/request) headlines/s |"
        )
        print("|---|---|---|---|---|---|---|")
        for kind, started, batch, s, cls in rows:
            print(
                f"| {kind} | {started:.1f} | {s['rate']:,.0f} | {s['p50']:.1f} | {s['p99']:.1f} "
                f"| {batch:,.0f} | {cls:,.0f} |"
            )


if __name__ == "__main__":
    main()
