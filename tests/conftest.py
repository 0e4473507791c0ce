"""Shared fixtures: a tiny model trained on headlines we wrote ourselves."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests check what holds, not how fast: on a shared or busy CI machine one example
# can take longer than hypothesis' default 200 ms deadline, which is not a failure.
settings.register_profile("feedclass", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("feedclass")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED_DATA = ROOT.parent / "shared" / "data"


# scikit-learn's generic estimator checks that apply to an estimator of text: with the
# ``string`` input tag it skips the numeric ones (fit on floats, NaN handling, n_features_in_).
TEXT_API_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_valid_tag_types",
    "check_estimator_tags_renamed",
    "check_mixin_order",
    "check_do_not_raise_errors_in_init_or_set_params",
]


def heavy_modules_after(code: str) -> list[str]:
    """The scikit-learn and pandas modules a fresh Python process holds after running ``code``."""
    import json
    import subprocess
    import sys

    probe = (
        "\nimport json, sys\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('sklearn', 'pandas')]\n"
        "print(json.dumps(sorted(heavy)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code + probe],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def example_training() -> tuple[list[str], list[str]]:
    import csv

    with (EXAMPLES / "train.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["title"] for r in rows], [r["label"] for r in rows]


@pytest.fixture(scope="session")
def tiny_model():
    from feedclass import TopicModel

    texts, labels = example_training()
    return TopicModel(calibrate=False, n_features=2**16).fit(texts, labels)


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory, tiny_model) -> Path:
    path = tmp_path_factory.mktemp("model") / "tiny.fcm"
    tiny_model.save(path)
    return path


def needs_shared(sub: str) -> Path:
    path = SHARED_DATA / sub
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


# --- the desk (feedclass serve): a live server on loopback and a real PostgreSQL ----------------
PG_ENV = "FEEDCLASS_TEST_PG_URL"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A PostgreSQL server URL: CI's (must answer), else a throwaway cluster, else skip."""
    import os
    import shutil
    import subprocess

    url = os.environ.get(PG_ENV)
    if url:
        import sqlalchemy as sa

        try:
            sa.create_engine(
                url.replace("postgresql://", "postgresql+psycopg://")
            ).connect().close()
        except Exception as e:  # CI said there is a server: not reaching it is a failure
            pytest.fail(f"{PG_ENV}={url} is set but the server cannot be reached: {e}")
        yield url.replace("postgresql://", "postgresql+psycopg://")
        return
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not bins or os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip(f"no PostgreSQL: set {PG_ENV} or install postgresql (Debian) and run as root")
    pgbin = bins[-1].parent
    import tempfile

    # not under pytest's tmp folder: it is private to root and initdb runs as postgres
    d = tempfile.mkdtemp(prefix="feedclass-pg-")
    shutil.chown(d, "postgres")
    port = _free_port()
    run = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*run, str(pgbin / "initdb"), "-D", f"{d}/data", "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    subprocess.run(
        [
            *run,
            str(pgbin / "pg_ctl"),
            "-D",
            f"{d}/data",
            "-l",
            f"{d}/log",
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {port} -k {d} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run, str(pgbin / "pg_ctl"), "-D", f"{d}/data", "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server):
    """A fresh, empty database on the PostgreSQL server, dropped after the test."""
    import uuid

    import sqlalchemy as sa

    name = "fc_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    base = pg_server.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Each storage test runs on an SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'desk.db'}"
    return request.getfixturevalue("pg_url")


class LiveServer:
    """The desk app served by uvicorn in a thread, on 127.0.0.1 and a free port."""

    def __init__(self, app) -> None:
        import threading

        import uvicorn

        from feedclass.serve.server import bind

        self.app = app
        self.sock = bind("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})
        self.thread.daemon = True
        self.thread.start()
        import time

        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    @property
    def desk(self):
        return self.app.state.desk

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()
        self.desk.storage.close()


@pytest.fixture
def make_server(tiny_model):
    """Start desk servers for a test (``make_server(db_url, **settings)``); all stop after it."""
    from feedclass.serve.app import create_app
    from feedclass.serve.settings import Settings

    servers: list[LiveServer] = []

    def make(db: str, **kw) -> LiveServer:
        model = kw.pop("model", tiny_model)
        app = create_app(Settings(db=db, **kw), model=model)
        servers.append(LiveServer(app))
        return servers[-1]

    try:
        yield make
    finally:
        for s in servers:
            s.stop()
