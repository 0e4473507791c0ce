"""Who may do what on the desk: tokens, roles, sessions, CSRF, the address it listens on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

pytest.importorskip("fastapi")

from feedclass.errors import DataError
from feedclass.serve.auth import create_token, digest
from feedclass.serve.server import check_address
from feedclass.serve.settings import Settings
from feedclass.serve.storage import Storage

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def secured(make_server, tmp_path):
    live = make_server(f"sqlite:///{tmp_path / 'a.db'}")
    st = live.desk.storage
    toks = {
        role: create_token(st, role, f"{role}-user")[1] for role in ("reader", "editor", "admin")
    }
    return live, toks


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_are_stored_hashed(secured):
    live, toks = secured
    with live.desk.storage.begin() as conn:
        stored = [r.hash for r in conn.execute(sa.text("select hash from tokens"))]
    assert sorted(stored) == sorted(digest(t) for t in toks.values())
    assert not any(t in stored for t in toks.values())


def test_roles(secured):
    live, toks = secured
    item = {"id": 1, "title": "Пожар на складе в Алматы"}
    with httpx.Client(base_url=live.url) as c:
        assert c.get("/v1/stories").status_code == 401  # tokens exist: no anonymous access
        assert c.post("/v1/items", json=item).status_code == 401
        assert c.get("/v1/stories", headers=bearer("fc_wrong")).status_code == 401
        assert c.get("/v1/stories", headers={"Authorization": "Basic x"}).status_code == 401
        assert c.get("/v1/stories", headers=bearer(toks["reader"])).status_code == 200
        r = c.post("/v1/items", json=item, headers=bearer(toks["reader"]))
        assert r.status_code == 403 and "editor" in r.json()["error"]
        r = c.post("/v1/items", json=item, headers=bearer(toks["editor"]))
        assert r.status_code == 201
        key = r.json()["key"]
        r = c.put(f"/v1/items/{key}/topic", json={"topic": "sport"}, headers=bearer(toks["editor"]))
        assert r.status_code == 200 and r.json()["topic_by"] == "editor-user"
        assert (
            c.post(
                "/v1/admin/tokens", json={"role": "reader"}, headers=bearer(toks["editor"])
            ).status_code
            == 403
        )
        assert c.post("/v1/admin/reload-model", headers=bearer(toks["editor"])).status_code == 403
        r = c.post(
            "/v1/admin/tokens",
            json={"role": "reader", "name": "cms"},
            headers=bearer(toks["admin"]),
        )
        assert r.status_code == 201
        new = r.json()
        assert c.get("/v1/stories", headers=bearer(new["token"])).status_code == 200
        assert (
            c.delete(f"/v1/admin/tokens/{new['id']}", headers=bearer(toks["admin"])).status_code
            == 200
        )
        assert c.get("/v1/stories", headers=bearer(new["token"])).status_code == 401  # revoked
        listed = c.get("/v1/admin/tokens", headers=bearer(toks["admin"])).json()["tokens"]
        assert all("hash" not in t and "token" not in t for t in listed)


def test_web_login_session_cookie_and_csrf(secured):
    live, toks = secured
    with httpx.Client(base_url=live.url, follow_redirects=False) as c:
        r = c.get("/", headers={"accept": "text/html"})
        assert r.status_code == 303 and r.headers["location"] == "/login"
        page = c.get("/login")
        nonce = page.text.split('name="nonce" value="')[1].split('"')[0]
        r = c.post("/login", data={"token": "fc_wrong", "nonce": nonce})
        assert r.headers["location"].startswith("/login?error")
        r = c.post("/login", data={"token": toks["editor"], "nonce": nonce})
        assert r.status_code == 303 and r.headers["location"] == "/"
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        page = c.get("/")
        assert page.status_code == 200
        csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
        item = {"id": 1, "title": "Пожар на складе в Алматы"}
        r = c.post("/v1/items", json=item)  # the cookie alone is not enough to change anything
        assert r.status_code == 403 and "CSRF" in r.json()["error"]
        r = c.post("/v1/items", json=item, headers={"X-CSRF-Token": "nope"})
        assert r.status_code == 403
        r = c.post("/v1/items", json=item, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 201
        assert c.get("/v1/stories").status_code == 200  # reading needs no CSRF token


def test_open_desk_refuses_cross_site_requests(make_server, tmp_path):
    live = make_server(f"sqlite:///{tmp_path / 'o.db'}")
    with httpx.Client(base_url=live.url) as c:
        item = {"id": 1, "title": "x"}
        r = c.post("/v1/items", json=item, headers={"Origin": "http://evil.example"})
        assert r.status_code == 403
        r = c.post("/v1/items", json=item, headers={"Sec-Fetch-Site": "cross-site"})
        assert r.status_code == 403
        r = c.post("/v1/items", json=item, headers={"Origin": live.url})
        assert r.status_code == 201 and r.headers["x-content-type-options"] == "nosniff"
        page = c.get("/")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert page.headers["x-frame-options"] == "DENY"


def test_non_loopback_needs_a_token(tmp_path):
    settings = Settings(db=str(tmp_path / "n.db"), host="0.0.0.0")
    storage = Storage(settings.db_url)
    with pytest.raises(DataError, match="needs authentication"):
        check_address(settings, storage)
    check_address(Settings(db=str(tmp_path / "n.db")), storage)  # loopback: fine
    create_token(storage, "admin")
    check_address(settings, storage)
    with pytest.raises(DataError, match="role must be one of"):
        create_token(storage, "boss")


def test_cli_token_create_and_serve_refusal(tmp_path):
    db = str(tmp_path / "cli.db")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "feedclass.cli"]
    r = subprocess.run(
        [*run, "serve", "--db", db, "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 2 and "needs authentication" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run(
        [*run, "token", "create", "--role", "editor", "--db", db],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert token.startswith("fc_") and len(token) > 30
    st = Storage(Settings(db=db).db_url)
    with st.begin() as conn:
        row = st.token_by_hash(conn, digest(token))
    assert row is not None and row.role == "editor"
    r = subprocess.run(
        [*run, "token", "create", "--role", "boss", "--db", db],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 2 and "role must be one of" in r.stderr
