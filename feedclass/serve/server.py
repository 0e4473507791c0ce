"""Running the desk: check the address is safe, bind, announce, serve with uvicorn."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any

from feedclass.errors import DataError
from feedclass.serve.auth import create_token
from feedclass.serve.settings import Settings, is_loopback
from feedclass.serve.storage import Storage

__all__ = ["bind", "make_token", "serve"]

log = logging.getLogger("feedclass.serve")


def make_token(db: str, role: str, name: str = "") -> tuple[int, str]:
    """Create an API token in the database ``db`` (a path or URL); returns its id and value."""
    storage = Storage(Settings(db=db).db_url)
    try:
        return create_token(storage, role, name)
    finally:
        storage.close()


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise DataError(f"cannot listen on {host}:{port}: {e.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def check_address(settings: Settings, storage: Storage) -> None:
    """Refuse a non-loopback address while no API token exists: the desk would be open to all."""
    if is_loopback(settings.host):
        return
    with storage.begin() as conn:
        if not storage.has_tokens(conn):
            raise DataError(
                f"listening on {settings.host} needs authentication: no API token exists yet; "
                "create one with `feedclass token create --role admin` and start again"
            )


def serve(
    settings: Settings,
    on_ready: Callable[[str], None] | None = None,
    model: Any = None,
    log_level: str = "info",
) -> None:
    """Open the database and the model, then serve until interrupted."""
    import uvicorn

    from feedclass.serve.app import create_app
    from feedclass.serve.desk import Desk

    desk = Desk(settings, model)
    check_address(settings, desk.storage)
    log.info("settings: %s", settings.public())
    app = create_app(settings, desk=desk)
    sock = bind(settings.host, settings.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    log.info("the desk is at %s (API docs: %sdocs)", url, url)
    if not is_loopback(settings.host):
        log.info("listening beyond this machine: every request needs a token or a login")
    if on_ready is not None:
        on_ready(url)
    config = uvicorn.Config(app, log_level=log_level, access_log=False, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        desk.storage.close()
