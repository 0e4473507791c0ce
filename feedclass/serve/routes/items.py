"""Items in: classify headlines, ingest items from a CMS or agency, import a feed file."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from feedclass.serve.auth import Principal
from feedclass.serve.deps import Key, get_desk, require, who_name
from feedclass.serve.desk import Desk, item_json

router = APIRouter(prefix="/v1", tags=["items"])


def json_response(data: Any, status: int = 200) -> Response:
    # json.dumps straight away: FastAPI's encoder walks every value and is slow for 1,000 rows
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status_code=status, media_type="application/json")


class ClassifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    headlines: list[str] = Field(max_length=100_000, description="Headlines to classify.")
    top_k: int = Field(0, ge=0, le=20, description="Also give the K best topics.")


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | int = Field(description="The item's id in its source; (source, id) is unique.")
    title: str
    summary: str | None = None
    source: str | None = Field(None, description="CMS or agency name; default 'api'.")
    # strict numbers: lax pydantic reads true as 1.0 (a time in 1970)
    published: str | StrictInt | StrictFloat | None = Field(
        None, description="ISO 8601, RFC 822 or Unix seconds."
    )
    url: str | None = None


@router.post("/classify", summary="Topics and confidences of a list of headlines")
def classify(
    body: ClassifyIn,
    desk: Annotated[Desk, Depends(get_desk)],
    _: Annotated[Principal, Depends(require("reader"))],
) -> Response:
    return json_response(
        {"model_version": desk.model_version, "results": desk.classify(body.headlines, body.top_k)}
    )


@router.post(
    "/items",
    status_code=201,
    summary="Ingest one item or a list of items",
    description=(
        "201 when something new was stored, 200 for one item already stored with the same "
        "title (a retry). An item whose (source, id) is stored, or earlier in the request, "
        "with another title is a 409 and nothing of the request is stored: a stored headline "
        "is never changed, so send a corrected one under a new id."
    ),
    responses={409: {"description": "An id already stored with another title."}},
)
def ingest(
    body: ItemIn | list[ItemIn],
    desk: Annotated[Desk, Depends(get_desk)],
    who: Annotated[Principal, Depends(require("editor"))],
) -> Response:
    single = not isinstance(body, list)
    batch = [body] if single else body
    results = desk.ingest([b.model_dump() for b in batch], who=who_name(who))  # type: ignore[union-attr]
    if single:
        return json_response(results[0], 201 if results[0]["created"] else 200)
    return json_response({"items": results}, 201)


@router.get("/items/{key}", summary="One stored item")
def get_item(
    key: Key,
    desk: Annotated[Desk, Depends(get_desk)],
    _: Annotated[Principal, Depends(require("reader"))],
) -> Response:
    from feedclass.serve.desk import NotFoundError

    with desk.storage.begin() as conn:
        try:
            return json_response(item_json(desk.storage.item(conn, key)))
        except LookupError:
            raise NotFoundError(f"no item with key {key}") from None


@router.post(
    "/import", summary="Upload a CSV/TSV/JSONL/RSS/Atom file; it is read a chunk at a time"
)
def import_file(
    request: Request,
    file: Annotated[UploadFile, File(description="The feed file.")],
    desk: Annotated[Desk, Depends(get_desk)],
    who: Annotated[Principal, Depends(require("editor"))],
    source: Annotated[str | None, Form(description="Source name when the file has none.")] = None,
    format: Annotated[str | None, Form(description="csv, tsv, jsonl, lines or rss.")] = None,
    text_column: Annotated[str | None, Form()] = None,
) -> Response:
    summary = desk.import_file(
        file.file,
        file.filename or "upload",
        fmt=format or None,
        source=source or None,
        text_column=text_column or None,
        who=who_name(who),
    )
    return json_response(summary.as_json(), 201)
