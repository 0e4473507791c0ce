"""The desk database: schema versions, upgrades, what survives a restart (SQLite, PostgreSQL)."""

from __future__ import annotations

import pytest

sa = pytest.importorskip("sqlalchemy")
pytest.importorskip("fastapi")

from feedclass.serve.desk import Desk  # noqa: E402
from feedclass.serve.settings import Settings  # noqa: E402
from feedclass.serve.storage import SCHEMA_VERSION, Storage, StorageError  # noqa: E402
from feedclass.serve.storage import version_table as _version  # noqa: E402


def test_new_database_is_at_the_current_version(db_url):
    st = Storage(db_url)
    assert st.version() == SCHEMA_VERSION
    st.close()
    st = Storage(db_url)  # opening again changes nothing
    assert st.version() == SCHEMA_VERSION
    st.close()


def test_old_database_is_upgraded_in_place(db_url):
    from feedclass.serve import storage as S

    engine = sa.create_engine(db_url)
    with engine.begin() as conn:  # a version-1 database, made by the first step alone
        _version.create(conn)
        S.MIGRATIONS[1](conn)
        conn.execute(_version.insert().values(version=1))
        conn.execute(S.stories.insert().values(id=1, created=0.0, updated=0.0))
    engine.dispose()
    st = Storage(db_url)
    assert st.version() == SCHEMA_VERSION
    with st.begin() as conn:
        assert st.story_exists(conn, 1)
        assert st.session(conn, "x") is None  # the sessions table exists now
    st.close()


def test_newer_database_is_refused(db_url):
    st = Storage(db_url)
    with st.begin() as conn:
        conn.execute(_version.update().values(version=SCHEMA_VERSION + 1))
    st.close()
    with pytest.raises(StorageError, match="newer than this feedclass"):
        Storage(db_url)


def test_restart_keeps_items_stories_and_not_same_pairs(db_url, tiny_model):
    settings = Settings(db=db_url)
    desk = Desk(settings, tiny_model)
    a, b = desk.ingest(
        [
            {"id": "1", "title": "Пожар на складе в Алматы", "source": "s"},
            {"id": "2", "title": "Срочно: пожар на складе в Алматы", "source": "t"},
        ]
    )
    assert a["story_id"] == b["story_id"]
    desk.split(b["key"], "ed")
    desk.set_topic(a["key"], "economy", "ed")
    desk.storage.close()
    again = Desk(settings, tiny_model)  # the index is rebuilt from the database
    c = again.ingest([{"id": "3", "title": "Пожар на складе в Алматы!", "source": "u"}])[0]
    assert c["story_id"] in (a["story_id"], _story_of(again, b["key"])) and c["seen_before"]
    stories = {s["story_id"]: s for s in again.stories()}
    assert stories[a["story_id"]]["items"][0]["topic"] == "economy"
    with pytest.raises(Exception, match="not the same"):
        again.merge(a["story_id"], _story_of(again, b["key"]), "ed")
    # keys and story ids continue after the largest stored ones
    d = again.ingest([{"id": "4", "title": "Курс доллара на 5 мая", "source": "s"}])[0]
    assert d["key"] == c["key"] + 1
    assert d["story_id"] > max(a["story_id"], b["story_id"], c["story_id"])
    again.storage.close()


def _story_of(desk, key):
    with desk.storage.begin() as conn:
        return desk.storage.item(conn, key).story_id


def test_bad_db_urls_are_one_line_errors():
    from feedclass.errors import DataError

    with pytest.raises(DataError, match="SQLite file or a postgresql"):
        Settings(db="mysql://x/y")
    with pytest.raises(StorageError):
        Storage("sqlite:////nonexistent-folder/x/y.db")


def test_search_finds_cyrillic_titles_whatever_the_case(db_url, tiny_model):
    # SQLite's lower() (and PostgreSQL's under the C locale) folds ASCII only: «алматы» did
    # not find «Пожар на складе в Алматы», nor did «Алматы» itself
    desk = Desk(Settings(db=db_url), tiny_model)
    desk.ingest(
        [
            {"id": "1", "title": "Пожар на складе в Алматы", "source": "s"},
            {"id": "2", "title": "Ёлку установили на площади", "source": "s"},
            {"id": "3", "title": "Курс доллара вырос до 480 тенге", "source": "s"},
        ]
    )
    for q, want in [
        ("Алматы", ["Пожар на складе в Алматы"]),
        ("алматы", ["Пожар на складе в Алматы"]),
        ("ПОЖАР", ["Пожар на складе в Алматы"]),
        ("елку", ["Ёлку установили на площади"]),
        ("50%", []),
    ]:
        assert [s["title"] for s in desk.stories(q=q)] == want, q
    desk.storage.close()


def test_upgrade_to_4_makes_old_items_searchable(db_url, tiny_model):
    desk = Desk(Settings(db=db_url), tiny_model)
    desk.ingest([{"id": "1", "title": "Пожар на складе в Алматы", "source": "s"}])
    with desk.storage.begin() as conn:  # the database as version 3 left it
        conn.execute(sa.text("ALTER TABLE items DROP COLUMN search"))
        conn.execute(_version.update().values(version=3))
    desk.storage.close()
    desk = Desk(Settings(db=db_url), tiny_model)
    assert desk.storage.version() == SCHEMA_VERSION
    assert [s["title"] for s in desk.stories(q="алматы")] == ["Пожар на складе в Алматы"]
    desk.storage.close()


def test_sqlite_path_that_cannot_be_a_database_names_it(tmp_path):
    # SQLite only said "unable to open database file", naming neither the file nor why
    with pytest.raises(StorageError, match=r"no[/\\]desk\.db: folder .*no does not exist"):
        Storage(f"sqlite:///{tmp_path / 'no' / 'desk.db'}")
    with pytest.raises(StorageError, match="is a folder; --db takes a database file"):
        Storage(f"sqlite:///{tmp_path}")
    assert not (tmp_path / "no").exists()
