"""Concurrent clients and a kill -9: every acknowledged item is stored, once, in one story."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

pytest.importorskip("fastapi")
sa = pytest.importorskip("sqlalchemy")

ROOT = Path(__file__).resolve().parent.parent
PLACES = ["Алматы", "Астане", "Шымкенте", "Караганде", "Актобе", "Павлодаре"]
EVENTS = ["Пожар на складе", "Открылась новая школа", "Прошёл городской марафон", "Ремонт дороги"]


def title_of(n: int) -> str:
    # the same id always has the same headline; ids of one event and place are reworded copies
    prefix = ("Срочно: ", "", "ВИДЕО. ")[n % 3]
    return f"{prefix}{EVENTS[n % 4]} в {PLACES[(n // 4) % 6]}"


class Server:
    def __init__(self, db: str, model: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "feedclass.cli",
                "serve",
                "--db",
                db,
                "--port",
                "0",
                "--model",
                str(model),
            ],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        deadline = time.monotonic() + 60
        self.url = ""
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
            raise RuntimeError("the server did not start")
        # keep reading its log so that a full pipe never blocks it
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)


def test_concurrent_clients_and_kill_9(tmp_path, tiny_model_path):
    db = str(tmp_path / "rel.db")
    clients, seconds, pool = 8, 5.0, 2000
    server = Server(db, tiny_model_path)
    # phase 2 (after the restart) overlaps half of phase 1's ids and brings new ones
    # phases: "run", "pause" (the server is down and restarting), "done"
    state: dict = {"url": server.url, "phase": "run", "base": 0}
    acked: dict[tuple[str, str], int] = {}
    lock = threading.Lock()
    errors: list[str] = []

    def client(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(timeout=10) as c:
            while state["phase"] != "done":
                if state["phase"] == "pause":  # the server is being restarted
                    time.sleep(0.05)
                    continue
                base = state["base"]
                ns = [base + rng.randrange(pool) for _ in range(rng.choice((1, 1, 5)))]
                body = [{"id": str(n), "title": title_of(n), "source": f"s{n % 3}"} for n in ns]
                try:
                    r = c.post(state["url"] + "/v1/items", json=body if len(body) > 1 else body[0])
                except httpx.HTTPError:
                    time.sleep(0.05)  # the server is down: nothing was acknowledged
                    continue
                if r.status_code not in (200, 201):
                    errors.append(f"{r.status_code} {r.text[:200]}")
                    continue
                out = r.json()
                results = out["items"] if "items" in out else [out]
                with lock:
                    for res in results:
                        k = (res["source"], res["id"])
                        if k in acked and acked[k] != res["key"]:
                            errors.append(f"{k} acknowledged as two items")
                        acked[k] = res["key"]

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    try:
        time.sleep(seconds / 2)
        state["phase"] = "pause"
        server.kill()  # kill -9 mid-load: requests in flight are not acknowledged
        before_kill = len(acked)
        server = Server(db, tiny_model_path)
        state.update(url=server.url, base=pool // 2, phase="run")
        time.sleep(seconds / 2)
        state["phase"] = "done"
        for t in threads:
            t.join(timeout=30)
        assert before_kill > 0 and len(acked) > before_kill
        assert errors == []
        with httpx.Client(base_url=server.url, timeout=30) as c:
            stories = c.get("/v1/stories", params={"limit": 1000}).json()["stories"]
    finally:
        state["phase"] = "done"  # no client thread outlives the test, even when it fails
        server.kill()
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select key, source, ext_id, story_id from items")).all()
    engine.dispose()
    stored = {(r.source, r.ext_id): r.key for r in rows}
    assert len(stored) == len(rows)  # (source, id) stored once
    for k, key in acked.items():  # every acknowledged item survived, with the key it was given
        assert stored.get(k) == key, k
    listed = [i["key"] for s in stories for i in s["items"]]
    assert len(listed) == len(set(listed)) == len(rows)  # each item in exactly one story
    # reworded copies of one event and place share a story
    by_title: dict[str, set[int]] = {}
    for s in stories:
        for i in s["items"]:
            by_title.setdefault(i["title"].split(": ")[-1].split(". ")[-1], set()).add(
                s["story_id"]
            )
    assert max(len(v) for v in by_title.values()) <= 2
