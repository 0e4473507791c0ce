"""The ASGI app of the desk: one factory, routers by resource, JSON errors, size limits."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from feedclass.errors import DataError, FeedclassError, InputFileError
from feedclass.serve.auth import AuthError
from feedclass.serve.desk import ConflictError, Desk, NotFoundError
from feedclass.serve.settings import Settings
from feedclass.serve.storage import StorageError

__all__ = ["create_app"]

log = logging.getLogger("feedclass.serve")
HERE = Path(__file__).resolve().parent
UPLOAD_PATHS = ("/v1/import",)


def _status(e: FeedclassError) -> int:
    if isinstance(e, AuthError):
        return e.status
    if isinstance(e, NotFoundError):
        return 404
    if isinstance(e, ConflictError):
        return 409
    if isinstance(e, StorageError):
        return 503
    if isinstance(e, (DataError, InputFileError)):
        return 422
    return 400


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class BodyLimit:
    """413 with a JSON message for a body over the limit, announced or streamed."""

    def __init__(self, app: Any, max_body: int, max_upload: int) -> None:
        self.app, self.max_body, self.max_upload = app, max_body, max_upload

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload if scope["path"] in UPLOAD_PATHS else self.max_body
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                if int(value) <= _DRAIN_MAX:
                    # read what the client is sending before answering: closing on unread
                    # bytes resets the connection, and the reset can eat the 413 in flight
                    await _drain(receive)
                await _send_413(send, limit)
                return
        seen = 0
        over = False

        async def counted() -> Any:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    if message.get("more_body", False):
                        # same reason as above: unread bytes reset the connection
                        await _drain(receive, _DRAIN_MAX - seen)
                    raise _TooLarge()
            return message

        replied = False

        async def watch(message: Any) -> None:
            # a body that grew past the limit while streaming: whatever the app made of the
            # broken read (FastAPI says 400), the client hears 413
            nonlocal replied
            if over:
                if not replied:
                    replied = True
                    await _send_413(send, limit)
                return
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except _TooLarge:
            if not replied:
                replied = True
                await _send_413(send, limit)


_CSP = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    b" object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """nosniff, no framing, same-origin referrer on every response; a strict CSP on pages.

    Plain ASGI rather than ``@app.middleware``: Starlette's BaseHTTPMiddleware costs a task
    and a stream per request, which showed in the single-item ingest latency.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                if dict(headers).get(b"content-type", b"").startswith(b"text/html"):
                    extra.append((b"content-security-policy", _CSP))
                headers += [(k, v) for k, v in extra if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, add)


class _TooLarge(Exception):
    pass


#: A body announced up to this size is read and dropped before the 413; a larger one is not
#: worth the bandwidth (the client may then see a reset instead of the message).
_DRAIN_MAX = 64 << 20


async def _drain(receive: Any, budget: int = _DRAIN_MAX) -> None:
    while budget > 0:
        message = await receive()
        budget -= len(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _send_413(send: Any, limit: int) -> None:
    body = json.dumps({"error": f"request body too large: the limit is {limit:,} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            # a length, not chunks: the connection closes right after, and a chunked body
            # cut by the close reads as an incomplete answer
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(
    settings: Settings | None = None, model: Any = None, desk: Desk | None = None
) -> FastAPI:
    """Build the desk's ASGI app.

    Parameters
    ----------
    settings : Settings; default ``Settings()`` (``feedclass.db`` here, the shipped model).
    model : a fitted TopicModel to use instead of loading ``settings.model``.
    desk : an open :class:`~feedclass.serve.desk.Desk` (tests); made from ``settings`` otherwise.

    Examples
    --------
    >>> app = create_app(Settings(db="sqlite://"), model=...)  # doctest: +SKIP
    >>> sorted(r.path for r in app.routes if r.path.startswith("/v1/feed"))  # doctest: +SKIP
    ['/v1/feed.csv', '/v1/feed.rss']
    """
    from feedclass import __version__
    from feedclass.serve.retrain import restore_active
    from feedclass.serve.routes import admin, corrections, items, stories, web

    settings = settings or Settings()
    if desk is None:
        desk = Desk(settings, model)
        if model is None:  # a model an admin retrained or rolled back to outlives a restart
            restore_active(desk)
    from contextlib import asynccontextmanager

    from feedclass.serve.sources import Poller

    poller = Poller(desk, settings.sources, settings.poll_minutes)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        poller.start()  # a thread: polling never blocks a request
        try:
            yield
        finally:
            poller.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="feedclass desk",
        version=__version__,
        description="Topics and stories of a newsroom feed, one item at a time.",
    )
    app.state.desk = desk
    app.state.settings = settings
    app.state.poller = poller
    for r in (items.router, stories.router, corrections.router, admin.router, web.router):
        app.include_router(r)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(FeedclassError)
    async def feedclass_error(request: Request, e: FeedclassError) -> Any:
        if isinstance(e, AuthError) and e.status == 401 and _wants_html(request):
            return RedirectResponse("/login", status_code=303)
        return _error(_status(e), str(e))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        return _error(422, validation_message(e.errors(), getattr(e, "body", None)))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, e: StarletteHTTPException) -> JSONResponse:
        return _error(e.status_code, str(e.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, e: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error(500, "internal error; the server log has the details")

    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        BodyLimit, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes
    )
    return app


def validation_message(errors: Any, body: Any = None) -> str:
    """One line from pydantic's errors, naming the field; for a body that may be one item or
    a list, only the errors of the shape that was sent.

    Examples
    --------
    >>> validation_message([{"loc": ("body", "ItemIn", "title"), "msg": "Field required"},
    ...                     {"loc": ("body", "list[ItemIn]"), "msg": "Input should be a list"}],
    ...                    {"id": 1})
    'title: Field required'
    >>> validation_message([{"type": "json_invalid", "loc": ("body", 1),
    ...                      "msg": "JSON decode error", "ctx": {"error": "Expecting value"}}])
    'the request body is not valid JSON at character 2: Expecting value'
    """
    errors = list(errors)
    tags = {str(err.get("loc", ("", ""))[1]) for err in errors if len(err.get("loc", ())) > 1}
    if any(t.startswith("list[") for t in tags) and len(tags) > 1:
        sent_list = isinstance(body, list)
        errors = [
            err
            for err in errors
            if str(err.get("loc", ("", ""))[1]).startswith("list[") == sent_list
        ]
    parts = []
    for err in errors[:5]:
        if err.get("type") == "json_invalid":
            # its loc is ("body", character offset), which read as "item 1" before
            where = err.get("loc", ("", 0))
            pos = f" at character {where[1] + 1}" if len(where) > 1 else ""
            why = str((err.get("ctx") or {}).get("error", "")) or "cannot be parsed"
            parts.append(f"the request body is not valid JSON{pos}: {why}")
            continue
        loc = [str(x) for x in err.get("loc", ()) if x != "body"]
        if loc and (loc[0].startswith("list[") or loc[0][:1].isupper()):
            loc = loc[1:]  # the union member's name says nothing to the client
        if loc and loc[0].isdigit():
            loc = [f"item {loc[0]}: {'.'.join(loc[1:])}"] if len(loc) > 1 else [f"item {loc[0]}"]
        where = ".".join(loc)
        msg = str(err.get("msg", "invalid"))
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts) or "invalid request"


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/v1/") and "text/html" in request.headers.get(
        "accept", ""
    )
