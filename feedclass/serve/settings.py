"""Settings of the desk service: options first, then environment, then defaults."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from feedclass.errors import DataError

__all__ = ["Settings", "is_loopback", "sqlalchemy_url"]

#: Environment variables read by :meth:`Settings.from_env`, by field name.
ENV = {
    "db": "FEEDCLASS_DB",
    "model": "FEEDCLASS_MODEL",
    "host": "FEEDCLASS_HOST",
    "port": "FEEDCLASS_PORT",
    "history_days": "FEEDCLASS_HISTORY_DAYS",
}


def sqlalchemy_url(db: str) -> str:
    """The SQLAlchemy URL of ``--db``: a path is an SQLite file, ``postgresql://`` uses psycopg 3.

    Examples
    --------
    >>> sqlalchemy_url("feedclass.db")
    'sqlite:///feedclass.db'
    >>> sqlalchemy_url("postgresql://u@127.0.0.1/news")
    'postgresql+psycopg://u@127.0.0.1/news'
    """
    if not isinstance(db, str) or not db.strip():
        raise DataError(f"db must be a file path or a database URL; got {db!r} instead")
    if db.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + db.split("://", 1)[1]
    if db.startswith(("postgresql+psycopg://", "sqlite:")):
        return db
    if "://" in db:
        raise DataError(
            f"db must be an SQLite file or a postgresql:// URL; got {db.split('://')[0]}:// instead"
        )
    return f"sqlite:///{db}"


def is_loopback(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Settings:
    """What ``feedclass serve`` runs with.

    Parameters
    ----------
    db : SQLite file path or ``postgresql://`` URL.
    model : model file; None is the shipped default model.
    host, port : where to listen; loopback by default.
    history_days : new items are matched against the stories of the last N days.
    threshold : similarity that joins an item to a story; None: the dedup default.
    review_confidence : items whose topic confidence is below this go to the review queue.
    uncertain_band : merges scored below ``threshold + uncertain_band`` go to the review queue.
    max_body_bytes : largest JSON request body (413 above it).
    max_upload_bytes : largest uploaded feed file (413 above it).
    sources : RSS/Atom feed addresses to poll.
    poll_minutes : time between two polls of a source.

    Examples
    --------
    >>> Settings(db="x.db").public()["db"]
    'sqlite:///x.db'
    """

    db: str = "feedclass.db"
    model: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    history_days: float = 3.0
    threshold: float | None = None
    review_confidence: float = 0.6
    uncertain_band: float = 0.1
    max_body_bytes: int = 8 * 1024 * 1024
    max_upload_bytes: int = 256 * 1024 * 1024
    sources: list[str] = field(default_factory=list)
    poll_minutes: float = 5.0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.db_url = sqlalchemy_url(self.db)
        if not 0 < self.history_days <= 365:
            raise DataError(f"history_days must be in (0, 365]; got {self.history_days} instead")
        if self.threshold is not None and not 0 < self.threshold <= 1:
            raise DataError(f"threshold must be in (0, 1]; got {self.threshold} instead")
        if not self.poll_minutes > 0:
            raise DataError(f"poll_minutes must be > 0; got {self.poll_minutes} instead")
        from feedclass.serve.sources import check_source_url

        self.sources = [check_source_url(u) for u in self.sources]
        if not 0 <= int(self.port) < 65536:
            raise DataError(f"port must be in 0..65535; got {self.port} instead")

    @property
    def match_threshold(self) -> float:
        """The threshold in force: ``threshold``, else the dedup default."""
        if self.threshold is not None:
            return float(self.threshold)
        from feedclass.dedup import DEFAULT_THRESHOLD

        return float(DEFAULT_THRESHOLD)

    @classmethod
    def from_env(cls, **options: Any) -> Settings:
        """Options that are not None win over ``FEEDCLASS_*`` variables, which win over defaults."""
        values: dict[str, Any] = {}
        for name, var in ENV.items():
            if var in os.environ:
                values[name] = os.environ[var]
        values.update({k: v for k, v in options.items() if v is not None})
        if "port" in values:
            values["port"] = int(values["port"])
        if "history_days" in values:
            values["history_days"] = float(values["history_days"])
        return cls(**values)

    def public(self) -> dict[str, Any]:
        """The settings to log at start: the database password is masked."""
        out = asdict(self)
        out.pop("extra")
        url = self.db_url
        if "@" in url and ":" in url.split("://", 1)[1].split("@", 1)[0]:
            scheme, rest = url.split("://", 1)
            user = rest.split("@", 1)[0].split(":", 1)[0]
            url = f"{scheme}://{user}:***@{rest.split('@', 1)[1]}"
        out["db"] = url
        return out
