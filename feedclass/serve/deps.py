"""What every route needs: the desk, the caller, and a role check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Path, Request
from pydantic import Field

from feedclass.serve.auth import AuthError, Principal, authenticate
from feedclass.serve.desk import Desk

__all__ = ["MAX_KEY", "Key", "KeyField", "get_desk", "principal", "require"]

#: The largest item key, story id or offset a request may name: keys are INTEGER columns,
#: 4 bytes in PostgreSQL; a larger number made the database driver fail (a 500), not a 404.
MAX_KEY = 2**31 - 1
#: An item key in a path (``/v1/items/{key}``).
Key = Annotated[int, Path(ge=0, le=MAX_KEY, description="The item's key.")]
#: An item key or story id in a request body.
KeyField = Annotated[int, Field(ge=0, le=MAX_KEY)]


def get_desk(request: Request) -> Desk:
    return request.app.state.desk


def principal(request: Request) -> Principal:
    desk = get_desk(request)
    return authenticate(desk.storage, request.headers, dict(request.cookies), request.method)


def require(role: str) -> Callable[[Request], Principal]:
    """A dependency that lets through callers of ``role`` or above (403 otherwise)."""

    def check(request: Request) -> Principal:
        who = principal(request)
        if not who.allows(role):
            raise AuthError(f"this needs the {role} role; the token is {who.role}", 403)
        request.state.principal = who
        return who

    check.__name__ = f"require_{role}"
    return check


def who_name(p: Any) -> str:
    return f"{p.name}" if p.via != "open" else "local"
