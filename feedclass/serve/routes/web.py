"""The editors' page: the desk, the review queue, login. Server-rendered, autoescaped."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from feedclass.serve.auth import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    AuthError,
    Principal,
    digest,
    new_session,
)
from feedclass.serve.deps import get_desk, principal
from feedclass.serve.desk import Desk
from feedclass.serve.retrain import versions

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
LOGIN_COOKIE = "fc_login"
#: Stories on one page of the desk; older ones are on the next pages.
PAGE_STORIES = 200

TOPIC_NAMES = {
    "ru": {
        "politics": "Политика",
        "economy": "Экономика",
        "society": "Общество",
        "incidents": "Происшествия",
        "sport": "Спорт",
        "culture": "Культура",
        "ecology": "Экология",
        "science": "Наука",
        "health": "Здоровье",
        "weather": "Погода",
    },
    "en": {},
}

STRINGS = {
    "ru": {
        "desk": "Лента",
        "review": "На проверку",
        "logout": "Выйти",
        "search": "Поиск",
        "all_topics": "Все темы",
        "all_sources": "Все источники",
        "today": "За сутки",
        "all_time": "За всё время",
        "filter": "Показать",
        "upload": "Загрузить ленту",
        "source": "Источник",
        "send": "Загрузить",
        "duplicates": "Повторы",
        "split": "Отделить",
        "merge": "Объединить выбранные",
        "select": "выбрать",
        "accept": "Верно",
        "similarity": "сходство",
        "no_stories": "Сюжетов нет.",
        "pages": "Страницы",
        "newer": "← Более новые",
        "older": "Более ранние →",
        "shown": "Сюжеты",
        "topic": "Тема",
        "why_topic": "неуверенная тема",
        "why_merge": "неуверенное объединение",
        "login": "Вход",
        "token": "Токен",
        "enter": "Войти",
        "queue_empty": "Проверять нечего.",
        "uploading": "Загрузка",
        "processing": "Обработка…",
        "done": "Готово",
        "items": "сообщений",
        "title": "feedclass — лента редактора",
        "lang": "English",
        "saved": "Сохранено",
        "error": "Ошибка",
        "not_same": "Не тот же сюжет",
        "model": "Модель",
        "model_now": "Текущая модель",
        "retrain": "Дообучить на исправлениях",
        "retraining": "Дообучение…",
        "rollback": "Вернуть эту версию",
        "last_retrain": "Последнее дообучение",
        "swapped": "новая модель включена",
        "kept_old": "оставлена прежняя модель",
        "holdout_score": "точность на отложенных исправлениях",
        "check_score": "точность на проверочном наборе",
        "current_model": "прежняя",
        "candidate_model": "новая",
        "versions": "Версии модели",
        "active": "используется",
        "no_versions": "Сохранённых версий пока нет.",
        "order": "Порядок",
        "period": "Период",
        "order_newest": "сначала новые",
        "order_teach": "сначала самые полезные для модели",
    },
    "en": {
        "desk": "Desk",
        "review": "Review",
        "logout": "Log out",
        "search": "Search",
        "all_topics": "All topics",
        "all_sources": "All sources",
        "today": "Last 24 h",
        "all_time": "All time",
        "filter": "Show",
        "upload": "Upload a feed",
        "source": "Source",
        "send": "Upload",
        "duplicates": "Duplicates",
        "split": "Split off",
        "merge": "Merge selected",
        "select": "select",
        "accept": "Accept",
        "similarity": "similarity",
        "no_stories": "No stories.",
        "pages": "Pages",
        "newer": "← Newer",
        "older": "Older →",
        "shown": "Stories",
        "topic": "Topic",
        "why_topic": "unsure topic",
        "why_merge": "unsure merge",
        "login": "Log in",
        "token": "Token",
        "enter": "Log in",
        "queue_empty": "Nothing to review.",
        "uploading": "Uploading",
        "processing": "Processing…",
        "done": "Done",
        "items": "items",
        "title": "feedclass — editor desk",
        "lang": "Русский",
        "saved": "Saved",
        "error": "Error",
        "not_same": "Not the same story",
        "model": "Model",
        "model_now": "Current model",
        "retrain": "Retrain on the corrections",
        "retraining": "Retraining…",
        "rollback": "Roll back to this version",
        "last_retrain": "Last retrain",
        "swapped": "the new model was swapped in",
        "kept_old": "the current model was kept",
        "holdout_score": "accuracy on held-out corrections",
        "check_score": "accuracy on the check set",
        "current_model": "current",
        "candidate_model": "candidate",
        "versions": "Model versions",
        "active": "in use",
        "no_versions": "No kept versions yet.",
        "order": "Order",
        "period": "Period",
        "order_newest": "newest first",
        "order_teach": "teaches the model most first",
    },
}


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("fc_lang") or "ru"
    return lang if lang in STRINGS else "ru"


def _page_user(request: Request, desk: Desk) -> tuple[Principal, str | None]:
    """The page's caller; on the open desk a session is made so the page's forms carry CSRF."""
    who = principal(request)
    if who.via == "session":
        return who, None
    if who.via == "token":
        raise AuthError("the page logs in with a session; open /login", 401)
    sid, csrf = new_session(desk.storage, "local", "admin", None)
    return Principal("local", "admin", "session", csrf, sid), sid


def _render(request: Request, desk: Desk, name: str, ctx: dict[str, Any]) -> Response:
    who, new_sid = _page_user(request, desk)
    lang = _lang(request)
    topics, sources = desk.facets()
    names = TOPIC_NAMES[lang]
    other_lang = "en" if lang == "ru" else "ru"
    context = {
        "t": STRINGS[lang],
        "lang": lang,
        "other_lang": other_lang,
        # the switch keeps the page's filters and page number
        "lang_query": urlencode({**request.query_params, "lang": other_lang}),
        "who": who,
        "csrf": who.csrf,
        "topics": topics,
        "topic_name": lambda t: names.get(t, t.capitalize()) if t else "—",
        "sources": sources,
        "can_edit": who.allows("editor"),
        "is_admin": who.allows("admin"),
        **ctx,
    }
    response = templates.TemplateResponse(request, name, context)
    response.headers["Cache-Control"] = "no-store"
    if new_sid:
        _set_session(response, new_sid)
    if request.query_params.get("lang") in STRINGS:
        response.set_cookie("fc_lang", lang, max_age=365 * 86400, samesite="strict")
    return response


def _set_session(response: Response, sid: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, sid, max_age=SESSION_SECONDS, httponly=True, samesite="strict", path="/"
    )


@router.get("/", response_class=HTMLResponse)
def desk_page(
    request: Request,
    desk: Annotated[Desk, Depends(get_desk)],
    topic: str | None = None,
    source: str | None = None,
    q: str | None = None,
    period: str = "day",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    since = time.time() - 86400 if period == "day" else None
    # one story more than a page shows says whether an older page exists
    stories = desk.stories(
        since=since,
        topic=topic or None,
        source=source or None,
        q=q or None,
        limit=PAGE_STORIES + 1,
        offset=(page - 1) * PAGE_STORIES,
    )
    more = len(stories) > PAGE_STORIES
    stories = stories[:PAGE_STORIES]
    f = {"topic": topic or "", "source": source or "", "q": q or "", "period": period}
    filters = {k: v for k, v in f.items() if v}
    first = (page - 1) * PAGE_STORIES + 1
    return _render(
        request,
        desk,
        "desk.html",
        {
            "stories": stories,
            "f": f,
            "page_no": page,
            "shown": (first, first + len(stories) - 1),
            "newer_query": urlencode({**filters, "page": page - 1}) if page > 1 else "",
            "older_query": urlencode({**filters, "page": page + 1}) if more else "",
        },
    )


@router.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request, desk: Annotated[Desk, Depends(get_desk)], order: str = "newest"
) -> Response:
    order = order if order in ("newest", "teach") else "newest"
    return _render(
        request, desk, "review.html", {"items": desk.review_queue(200, order), "order": order}
    )


@router.get("/model", response_class=HTMLResponse)
def model_page(request: Request, desk: Annotated[Desk, Depends(get_desk)]) -> Response:
    who = principal(request)
    if who.via != "open" and not who.allows("admin"):
        raise AuthError(f"this needs the admin role; you are {who.role}", 403)
    last = next((a for a in desk.actions(1000) if a["action"] == "retrain"), None)
    return _render(
        request,
        desk,
        "model.html",
        {"versions": versions(desk), "model_version": desk.model_version, "last": last},
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, error: str = "") -> Response:
    nonce = secrets.token_urlsafe(16)
    lang = _lang(request)
    response = templates.TemplateResponse(
        request, "login.html", {"t": STRINGS[lang], "lang": lang, "nonce": nonce, "error": error}
    )
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=600, httponly=True, samesite="strict")
    return response


@router.post("/login")
def login(
    request: Request,
    desk: Annotated[Desk, Depends(get_desk)],
    token: Annotated[str, Form(max_length=200)],
    nonce: Annotated[str, Form(max_length=100)],
) -> Response:
    if not secrets.compare_digest(nonce, request.cookies.get(LOGIN_COOKIE, "")):
        return RedirectResponse("/login?error=expired", status_code=303)
    with desk.storage.begin() as conn:
        row = desk.storage.token_by_hash(conn, digest(token.strip()))
    if row is None:
        return RedirectResponse("/login?error=token", status_code=303)
    sid, _ = new_session(desk.storage, row.name, row.role, row.id)
    response = RedirectResponse("/", status_code=303)
    _set_session(response, sid)
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, desk: Annotated[Desk, Depends(get_desk)]) -> Response:
    who = principal(request)  # a session's logout must carry its CSRF token
    if who.session:
        with desk.storage.begin() as conn:
            desk.storage.drop_session(conn, digest(who.session))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
