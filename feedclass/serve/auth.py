"""Who may do what: API tokens with roles, web sessions, CSRF.

A token is 32 random bytes shown once; the database keeps only its SHA-256. Roles nest: a
reader may read, an editor may also ingest and correct, an admin may also manage tokens and
reload the model. While no token exists the desk is open to this machine only (``serve``
refuses any other address then), and a request a browser sends from another site is refused.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from feedclass.errors import DataError, FeedclassError
from feedclass.serve.storage import Storage

__all__ = [
    "ROLES",
    "AuthError",
    "Principal",
    "create_token",
    "digest",
    "new_session",
]

#: Roles in increasing power.
ROLES = ("reader", "editor", "admin")
SESSION_COOKIE = "fc_session"
SESSION_SECONDS = 12 * 3600


class AuthError(FeedclassError, PermissionError):
    """The request has no valid credentials (401) or its role is too low (403)."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Principal:
    """The caller of a request: a name, a role, and how it proved them."""

    name: str
    role: str
    via: str  # "token", "session" or "open"
    csrf: str = ""
    session: str = ""

    def allows(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def digest(secret: str) -> str:
    """SHA-256 of a token or session id, the only form the database keeps.

    Examples
    --------
    >>> len(digest("fc_abc")), digest("a") == digest("a")
    (64, True)
    """
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(storage: Storage, role: str, name: str = "") -> tuple[int, str]:
    """Make an API token: returns its id and the token itself, which is not stored anywhere."""
    if role not in ROLES:
        raise DataError(f"role must be one of {', '.join(ROLES)}; got {role!r} instead")
    token = "fc_" + secrets.token_urlsafe(32)
    with storage.begin() as conn:
        tid = storage.add_token(conn, name or role, role, digest(token))
    return tid, token


def new_session(storage: Storage, name: str, role: str, token_id: int | None) -> tuple[str, str]:
    """A web session: returns the cookie value and its CSRF token."""
    sid = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    with storage.begin() as conn:
        storage.add_session(
            conn,
            hash=digest(sid),
            name=name,
            role=role,
            token_id=token_id,
            csrf=csrf,
            expires=time.time() + SESSION_SECONDS,
        )
    return sid, csrf


def authenticate(storage: Storage, headers: Any, cookies: dict[str, str], method: str) -> Principal:
    """The caller of a request, or :class:`AuthError`.

    A bearer token wins; else the session cookie, whose changing requests must carry the
    session's CSRF token in ``X-CSRF-Token``; else, while no token exists, the open desk.
    """
    changing = method not in ("GET", "HEAD", "OPTIONS")
    auth = headers.get("authorization", "")
    sid = cookies.get(SESSION_COOKIE, "")
    if auth or sid:
        with storage.begin() as conn:
            if auth:
                scheme, _, value = auth.partition(" ")
                if scheme.lower() != "bearer" or not value.strip():
                    raise AuthError("Authorization must be 'Bearer <token>'")
                row = storage.token_by_hash(conn, digest(value.strip()))
                if row is None:
                    raise AuthError("unknown or revoked token")
                return Principal(row.name, row.role, "token")
            row = storage.session(conn, digest(sid))
        if row is not None:
            if changing and not secrets.compare_digest(headers.get("x-csrf-token", ""), row.csrf):
                raise AuthError("missing or wrong CSRF token; reload the page", 403)
            return Principal(row.name, row.role, "session", row.csrf, sid)
    if storage.tokens_exist():
        raise AuthError("authentication required: send 'Authorization: Bearer <token>'")
    if changing and _cross_site(headers):
        raise AuthError("a request from another site is refused", 403)
    return Principal("local", "admin", "open")


def _cross_site(headers: Any) -> bool:
    if headers.get("sec-fetch-site", "") == "cross-site":
        return True
    origin = headers.get("origin", "")
    if not origin or origin == "null":
        return bool(origin)
    return origin.split("://", 1)[-1] != headers.get("host", "")
