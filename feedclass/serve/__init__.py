"""``feedclass serve``: the newsroom desk — a JSON API for the CMS and a web page for editors.

Needs the ``serve`` extra (``pip install 'feedclass[serve]'``). Modules: :mod:`settings`,
:mod:`storage` (the database), :mod:`index` (story matching), :mod:`desk` (what the service
does), :mod:`auth` (tokens, sessions, CSRF), :mod:`app` (the ASGI factory), :mod:`routes`
(one router per resource), :mod:`server` (running it).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Settings", "create_app", "make_token", "serve"]


def __getattr__(name: str) -> Any:
    # lazy: importing feedclass.serve.settings must not need FastAPI
    if name == "Settings":
        from feedclass.serve.settings import Settings

        return Settings
    if name == "create_app":
        from feedclass.serve.app import create_app

        return create_app
    if name in ("serve", "make_token"):
        from feedclass.serve import server

        return getattr(server, name)
    raise AttributeError(f"module 'feedclass.serve' has no attribute {name!r}")
