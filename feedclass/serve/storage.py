"""The desk's database: tables declared once (SQLAlchemy Core), versioned, upgraded in place.

SQLite (WAL, a file next to the editor) by default, PostgreSQL through psycopg 3 with the same
schema. Every query goes through bound parameters; callers hold one transaction per request
(:meth:`Storage.begin`). A database made by a newer feedclass is refused, never downgraded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from feedclass.errors import DataError, FeedclassError

__all__ = ["SCHEMA_VERSION", "Storage", "StorageError", "metadata", "search_form"]


class StorageError(FeedclassError, OSError):
    """The database cannot be opened, is of a newer schema, or refused a write."""


metadata = sa.MetaData()

version_table = sa.Table(
    "feedclass_schema", metadata, sa.Column("version", sa.Integer, nullable=False)
)

stories = sa.Table(
    "stories",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("updated", sa.Float, nullable=False),
)

items = sa.Table(
    "items",
    metadata,
    sa.Column("key", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("ext_id", sa.String(500), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False, default=""),
    sa.Column("url", sa.Text, nullable=False, default=""),
    sa.Column("published", sa.Float, nullable=True),
    sa.Column("received", sa.Float, nullable=False),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("model_version", sa.String(64), nullable=False),
    # who set the topic: "" for the model, else the editor
    sa.Column("topic_by", sa.String(200), nullable=False, default=""),
    sa.Column("story_id", sa.Integer, nullable=False, index=True),
    sa.Column("score", sa.Float, nullable=False, default=0.0),
    sa.Column("reviewed", sa.Boolean, nullable=False, default=False),
    # the title as the search box compares it (search_form): the databases' own lower() folds
    # only ASCII (SQLite always, PostgreSQL under the C locale)
    sa.Column("search", sa.Text, nullable=False, default=""),
    sa.UniqueConstraint("source", "ext_id", name="items_source_ext_id"),
    sa.Index("items_received", "received"),
)

actions = sa.Table(
    "actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.String(200), nullable=False),
    sa.Column("before", sa.Text, nullable=False),
    sa.Column("after", sa.Text, nullable=False),
)

not_same = sa.Table(
    "not_same",
    metadata,
    sa.Column("item_a", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("item_b", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("who", sa.String(200), nullable=False),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False, default=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("hash", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("token_id", sa.Integer, nullable=True),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("expires", sa.Float, nullable=False),
)


model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("version", sa.String(64), primary_key=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("parent", sa.String(64), nullable=False, default=""),
    # the model file's bytes: a model is data (JSON header + arrays), never a pickle
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("info", sa.Text, nullable=False, default="{}"),
    sa.Column("active", sa.Boolean, nullable=False, default=False),
)


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[stories, items, actions, not_same, tokens])


def _v2(conn: Connection) -> None:
    # 2: web sessions (the page logs in to a cookie instead of keeping a bearer token)
    metadata.create_all(conn, tables=[sessions])


def _v3(conn: Connection) -> None:
    # 3: model versions made by the desk's retrain, for rollback and for items' provenance
    metadata.create_all(conn, tables=[model_versions])


def _v4(conn: Connection) -> None:
    # 4: items.search, so that «алматы» finds «Алматы» (v1 makes it in a new database)
    if "search" not in {c["name"] for c in sa.inspect(conn).get_columns("items")}:
        conn.execute(sa.text("ALTER TABLE items ADD COLUMN search TEXT NOT NULL DEFAULT ''"))
    rows = conn.execute(sa.select(items.c.key, items.c.title)).all()
    fill = (
        items.update()
        .where(items.c.key == sa.bindparam("b_key"))
        .values(search=sa.bindparam("b_s"))
    )
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        conn.execute(fill, [{"b_key": r.key, "b_s": search_form(r.title)} for r in chunk])


def search_form(text: str) -> str:
    """A title or a query as the desk's search compares them: case folded, «ё» read as «е».

    Examples
    --------
    >>> search_form("Пожар в ЁЛКИНО, Алматы") == search_form("пожар в Елкино, алматы")
    True
    """
    return text.casefold().replace("ё", "е")


#: Migration steps: step k takes a database at version k-1 to version k.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _v1, 2: _v2, 3: _v3, 4: _v4}
SCHEMA_VERSION = max(MIGRATIONS)


class Storage:
    """An open database of the desk, upgraded to :data:`SCHEMA_VERSION`.

    Parameters
    ----------
    url : SQLAlchemy URL (``sqlite:///file.db`` or ``postgresql+psycopg://…``).

    Examples
    --------
    >>> s = Storage("sqlite://")
    >>> s.version()
    4
    >>> with s.begin() as conn:
    ...     s.count_items(conn)
    0
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            # one connection per thread; FastAPI runs handlers on a thread pool
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if url in ("sqlite://", "sqlite:///:memory:"):
                kwargs["poolclass"] = sa.pool.StaticPool
            else:  # as many connections as the server's worker threads, so none waits
                kwargs.update(pool_size=20, max_overflow=40)
                _check_sqlite_path(url)
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        try:
            self.engine: Engine = sa.create_engine(url, **kwargs)
        except (sa.exc.ArgumentError, ImportError) as e:
            raise StorageError(f"cannot open database {url!r}: {e}") from None
        if self.is_sqlite:
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.upgrade()

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on an error."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.OperationalError as e:
            raise StorageError(f"database error: {str(e.orig).strip().splitlines()[0]}") from None

    def version(self) -> int:
        with self.begin() as conn:
            return _read_version(conn)

    def upgrade(self) -> None:
        """Create the tables, or run the migration steps a database lacks, in one transaction."""
        with self.begin() as conn:
            version_table.create(conn, checkfirst=True)
            current = _read_version(conn)
            if current > SCHEMA_VERSION:
                raise StorageError(
                    f"the database is at schema version {current}, newer than this feedclass "
                    f"({SCHEMA_VERSION}); upgrade feedclass"
                )
            for step in range(current + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[step](conn)
            if current == 0:
                conn.execute(version_table.insert().values(version=SCHEMA_VERSION))
            elif current < SCHEMA_VERSION:
                conn.execute(version_table.update().values(version=SCHEMA_VERSION))

    # -- queries (each takes the request's connection) -----------------------------------------
    @staticmethod
    def count_items(conn: Connection) -> int:
        return int(conn.execute(sa.select(sa.func.count()).select_from(items)).scalar_one())

    @staticmethod
    def max_ids(conn: Connection) -> tuple[int, int]:
        k = conn.execute(sa.select(sa.func.max(items.c.key))).scalar_one()
        s = conn.execute(sa.select(sa.func.max(stories.c.id))).scalar_one()
        return int(k or 0), int(s or 0)

    @staticmethod
    def recent_items(conn: Connection, since: float) -> Iterator[Any]:
        q = (
            sa.select(
                items.c.key, items.c.title, items.c.received, items.c.source, items.c.story_id
            )
            .where(items.c.received >= since)
            .order_by(items.c.key)
        )
        yield from conn.execute(q.execution_options(yield_per=10_000))

    @staticmethod
    def not_same_pairs(conn: Connection) -> list[tuple[int, int]]:
        return [(r.item_a, r.item_b) for r in conn.execute(sa.select(not_same))]

    @staticmethod
    def existing(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
        """Stored items among ``(source, id)`` pairs.

        Asked per source, so the unique (source, ext_id) index answers: ``ext_id IN (...)``
        alone cannot use it and read the whole table on every ingest.
        """
        out: dict[tuple[str, str], Any] = {}
        by_source: dict[str, set[str]] = {}
        for src, i in keys:
            by_source.setdefault(src, set()).add(i)
        for src, id_set in sorted(by_source.items()):
            ids = sorted(id_set)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                q = sa.select(items).where(items.c.source == src, items.c.ext_id.in_(chunk))
                for r in conn.execute(q):
                    out[(r.source, r.ext_id)] = r
        return out

    @staticmethod
    def insert_items(
        conn: Connection, rows: list[dict[str, Any]], new_stories: list[dict[str, Any]]
    ) -> None:
        if new_stories:
            conn.execute(stories.insert(), new_stories)
        if rows:
            conn.execute(items.insert(), [{**r, "search": search_form(r["title"])} for r in rows])

    @staticmethod
    def touch_stories(conn: Connection, story_ids: set[int], when: float) -> None:
        if story_ids:
            conn.execute(
                stories.update().where(stories.c.id.in_(sorted(story_ids))).values(updated=when)
            )

    @staticmethod
    def item(conn: Connection, key: int) -> Any:
        r = conn.execute(sa.select(items).where(items.c.key == key)).first()
        if r is None:
            raise LookupError(f"no item with key {key}")
        return r

    @staticmethod
    def story_items(conn: Connection, story_ids: list[int]) -> list[Any]:
        if not story_ids:
            return []
        q = sa.select(items).where(items.c.story_id.in_(story_ids)).order_by(items.c.key)
        return list(conn.execute(q))

    @staticmethod
    def story_exists(conn: Connection, story_id: int) -> bool:
        q = sa.select(stories.c.id).where(stories.c.id == story_id)
        return conn.execute(q).first() is not None

    @staticmethod
    def find_stories(
        conn: Connection,
        since: float | None = None,
        topic: str | None = None,
        source: str | None = None,
        q: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[int]:
        """Story ids, newest activity first, whose items match every filter given."""
        cond = []
        if since is not None:
            cond.append(items.c.received >= since)
        if topic:
            cond.append(items.c.topic == topic)
        if source:
            cond.append(items.c.source == source)
        if q:
            folded = search_form(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            cond.append(items.c.search.like(f"%{folded}%", escape="\\"))
        matching = sa.select(items.c.story_id).where(*cond).distinct().subquery()
        query = (
            sa.select(stories.c.id)
            .where(stories.c.id.in_(sa.select(matching.c.story_id)))
            .order_by(stories.c.updated.desc(), stories.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [r.id for r in conn.execute(query)]

    @staticmethod
    def review_items(
        conn: Connection, below: float, band_top: float, limit: int = 200
    ) -> list[Any]:
        """Unreviewed items with an unsure topic, or joined to a story by an unsure match."""
        query = (
            sa.select(items)
            .where(
                items.c.reviewed.is_(False),
                sa.or_(
                    sa.and_(items.c.topic_by == "", items.c.confidence < below),
                    sa.and_(items.c.score > 0, items.c.score < band_top),
                ),
            )
            .order_by(items.c.key.desc())
            .limit(limit)
        )
        return list(conn.execute(query))

    @staticmethod
    def update_item(conn: Connection, key: int, **values: Any) -> None:
        conn.execute(items.update().where(items.c.key == key).values(**values))

    @staticmethod
    def move_story(conn: Connection, src: int, dst: int, when: float) -> None:
        conn.execute(items.update().where(items.c.story_id == src).values(story_id=dst))
        conn.execute(stories.delete().where(stories.c.id == src))
        conn.execute(stories.update().where(stories.c.id == dst).values(updated=when))

    @staticmethod
    def add_story(conn: Connection, story_id: int, when: float) -> None:
        conn.execute(stories.insert().values(id=story_id, created=when, updated=when))

    @staticmethod
    def drop_story_if_empty(conn: Connection, story_id: int) -> None:
        left = conn.execute(sa.select(items.c.key).where(items.c.story_id == story_id)).first()
        if left is None:
            conn.execute(stories.delete().where(stories.c.id == story_id))

    @staticmethod
    def add_not_same(conn: Connection, a: int, b: int, who: str) -> None:
        a, b = min(a, b), max(a, b)
        exists = conn.execute(
            sa.select(not_same.c.item_a).where(not_same.c.item_a == a, not_same.c.item_b == b)
        ).first()
        if exists is None:
            conn.execute(not_same.insert().values(item_a=a, item_b=b, at=time.time(), who=who))

    @staticmethod
    def log_action(
        conn: Connection, who: str, action: str, target: str, before: Any, after: Any
    ) -> None:
        conn.execute(
            actions.insert().values(
                at=time.time(),
                who=who,
                action=action,
                target=target,
                before=json.dumps(before, ensure_ascii=False),
                after=json.dumps(after, ensure_ascii=False),
            )
        )

    @staticmethod
    def actions_of(conn: Connection, limit: int = 100) -> list[Any]:
        return list(conn.execute(sa.select(actions).order_by(actions.c.id.desc()).limit(limit)))

    @staticmethod
    def topics_and_sources(conn: Connection) -> tuple[list[str], list[str]]:
        t = [
            r[0] for r in conn.execute(sa.select(items.c.topic).distinct().order_by(items.c.topic))
        ]
        s = [
            r[0]
            for r in conn.execute(sa.select(items.c.source).distinct().order_by(items.c.source))
        ]
        return t, s

    @staticmethod
    def topic_fixes(conn: Connection) -> list[tuple[int, str, str]]:
        """Every item whose topic an editor set, with its title and the last topic set:
        ``(key, title, topic)`` by key. Read from the action log, so nothing is kept twice."""
        last: dict[int, str] = {}
        q = sa.select(actions.c.target, actions.c.after).where(actions.c.action == "set_topic")
        for r in conn.execute(q.order_by(actions.c.id)):
            kind, _, key = r.target.partition(":")
            topic = json.loads(r.after).get("topic") if r.after else None
            if kind == "item" and key.isdigit() and isinstance(topic, str) and topic:
                last[int(key)] = topic
        out: list[tuple[int, str, str]] = []
        keys = sorted(last)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            q2 = sa.select(items.c.key, items.c.title).where(items.c.key.in_(chunk))
            out += [(r.key, r.title, last[r.key]) for r in conn.execute(q2)]
        return sorted(out)

    # -- model versions ---------------------------------------------------------------------------
    @staticmethod
    def add_model_version(
        conn: Connection, version: str, data: bytes, parent: str, info: dict[str, Any]
    ) -> None:
        exists = conn.execute(
            sa.select(model_versions.c.version).where(model_versions.c.version == version)
        ).first()
        if exists is None:
            conn.execute(
                model_versions.insert().values(
                    version=version,
                    created=time.time(),
                    parent=parent,
                    data=data,
                    info=json.dumps(info, ensure_ascii=False),
                    active=False,
                )
            )

    @staticmethod
    def set_active_model(conn: Connection, version: str | None) -> None:
        """Mark ``version`` as the desk's model (None: the model file named in the settings)."""
        conn.execute(model_versions.update().values(active=False))
        if version is not None:
            conn.execute(
                model_versions.update()
                .where(model_versions.c.version == version)
                .values(active=True)
            )

    @staticmethod
    def model_versions(conn: Connection) -> list[Any]:
        """Kept versions, newest first, without their bytes."""
        cols = [c for c in model_versions.c if c.name != "data"]
        q = sa.select(*cols).order_by(model_versions.c.created.desc())
        return list(conn.execute(q))

    @staticmethod
    def model_data(conn: Connection, version: str | None = None) -> tuple[str, bytes] | None:
        """A kept version's name and bytes (None: the active one); None when there is none."""
        cond = (
            model_versions.c.active.is_(True)
            if version is None
            else model_versions.c.version == version
        )
        r = conn.execute(
            sa.select(model_versions.c.version, model_versions.c.data).where(cond)
        ).first()
        return None if r is None else (r.version, bytes(r.data))

    # -- tokens and sessions --------------------------------------------------------------------
    @staticmethod
    def add_token(conn: Connection, name: str, role: str, digest: str) -> int:
        r = conn.execute(
            tokens.insert().values(name=name, role=role, hash=digest, created=time.time())
        )
        key = r.inserted_primary_key
        if key is None:
            raise StorageError("the database did not return the new token's id")
        return int(key[0])

    @staticmethod
    def token_by_hash(conn: Connection, digest: str) -> Any:
        q = sa.select(tokens).where(tokens.c.hash == digest, tokens.c.revoked.is_(False))
        return conn.execute(q).first()

    def tokens_exist(self, max_age: float = 2.0) -> bool:
        """Whether any API token exists, looked up at most every ``max_age`` seconds.

        A token made by ``feedclass token create`` in another process closes the open desk
        within ``max_age``.
        """
        now = time.monotonic()
        cached = getattr(self, "_tokens_cache", None)
        if cached is not None and cached[0] and now - cached[1] < max_age:
            return True  # only "yes" is cached: a new token must close the desk at once
        with self.begin() as conn:
            found = self.has_tokens(conn)
        self._tokens_cache = (found, now)
        return found

    @staticmethod
    def has_tokens(conn: Connection) -> bool:
        q = sa.select(tokens.c.id).where(tokens.c.revoked.is_(False)).limit(1)
        return conn.execute(q).first() is not None

    @staticmethod
    def list_tokens(conn: Connection) -> list[Any]:
        q = sa.select(tokens.c.id, tokens.c.name, tokens.c.role, tokens.c.created, tokens.c.revoked)
        return list(conn.execute(q.order_by(tokens.c.id)))

    @staticmethod
    def revoke_token(conn: Connection, token_id: int) -> bool:
        r = conn.execute(tokens.update().where(tokens.c.id == token_id).values(revoked=True))
        conn.execute(sessions.delete().where(sessions.c.token_id == token_id))
        return bool(r.rowcount)

    @staticmethod
    def add_session(conn: Connection, **values: Any) -> None:
        conn.execute(sessions.delete().where(sessions.c.expires < time.time()))
        conn.execute(sessions.insert().values(**values))

    @staticmethod
    def session(conn: Connection, digest: str) -> Any:
        q = sa.select(sessions).where(sessions.c.hash == digest, sessions.c.expires > time.time())
        return conn.execute(q).first()

    @staticmethod
    def drop_session(conn: Connection, digest: str) -> None:
        conn.execute(sessions.delete().where(sessions.c.hash == digest))


def _read_version(conn: Connection) -> int:
    try:
        v = conn.execute(sa.select(version_table.c.version)).scalar()
    except sa.exc.ProgrammingError:
        return 0
    except sa.exc.OperationalError:
        return 0
    if v is not None and not isinstance(v, int):
        raise DataError(f"schema version must be an integer; got {v!r}")
    return int(v or 0)


def _check_sqlite_path(url: str) -> None:
    """StorageError naming the file when SQLite could only say "unable to open database file"."""
    from pathlib import Path

    name = sa.engine.make_url(url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    if path.is_dir():
        raise StorageError(f"{path}: is a folder; --db takes a database file (e.g. {path}/desk.db)")
    if not path.parent.is_dir():
        raise StorageError(f"{path}: folder {path.parent} does not exist; create it first")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL: readers never block the writer; NORMAL sync survives a killed process (not a power cut)
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
