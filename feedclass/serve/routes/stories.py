"""Stories out: the deduplicated feed as JSON, RSS and CSV, and the review queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from feedclass.serve.auth import Principal
from feedclass.serve.deps import MAX_KEY, get_desk, require
from feedclass.serve.desk import Desk
from feedclass.serve.routes.items import json_response

router = APIRouter(prefix="/v1", tags=["stories"])

Since = Annotated[
    str | None,
    Query(description="Stories with items since then: Unix seconds or ISO 8601."),
]


def _since(value: str | None) -> float | None:
    from feedclass.serve.desk import parse_time

    return parse_time(value, "since")


@router.get("/stories", summary="The deduplicated feed, newest first, one entry per story")
def list_stories(
    desk: Annotated[Desk, Depends(get_desk)],
    _: Annotated[Principal, Depends(require("reader"))],
    since: Since = None,
    topic: str | None = None,
    source: str | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Words in a headline.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_KEY)] = 0,
) -> Response:
    return json_response(
        {
            "stories": desk.stories(
                since=_since(since), topic=topic, source=source, q=q, limit=limit, offset=offset
            )
        }
    )


@router.get(
    "/feed.rss", summary="The clean feed to publish: one item per story, topic as <category>"
)
def feed_rss(
    desk: Annotated[Desk, Depends(get_desk)],
    _: Annotated[Principal, Depends(require("reader"))],
    since: Since = None,
    topic: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> Response:
    return Response(
        desk.feed_rss(since=_since(since), topic=topic, limit=limit),
        media_type="application/rss+xml; charset=utf-8",
    )


@router.get("/feed.csv", summary="The clean feed as CSV: one row per story")
def feed_csv(
    desk: Annotated[Desk, Depends(get_desk)],
    _: Annotated[Principal, Depends(require("reader"))],
    since: Since = None,
    topic: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> Response:
    return Response(
        desk.feed_csv(since=_since(since), topic=topic, limit=limit),
        media_type="text/csv; charset=utf-8",
    )


@router.get("/review", summary="Items with an unsure topic or joined by an unsure match")
def review(
    desk: Annotated[Desk, Depends(get_desk)],
    _: Annotated[Principal, Depends(require("reader"))],
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    order: Annotated[str, Query(pattern="^(newest|teach)$")] = "newest",
) -> Response:
    """``order=teach``: the items whose labels would teach the model most first."""
    return json_response({"items": desk.review_queue(limit, order)})
