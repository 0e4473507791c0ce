"""Editor actions: fix a topic, accept, split an item out, merge stories, mark "not the same"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from feedclass.serve.auth import Principal
from feedclass.serve.deps import Key, KeyField, get_desk, require, who_name
from feedclass.serve.desk import Desk
from feedclass.serve.routes.items import json_response

router = APIRouter(prefix="/v1", tags=["corrections"])


class TopicIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: str


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    story_id: KeyField
    other: KeyField


class PairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_a: KeyField
    item_b: KeyField


Editor = Annotated[Principal, Depends(require("editor"))]
DeskDep = Annotated[Desk, Depends(get_desk)]


@router.put("/items/{key}/topic", summary="Set an item's topic")
def set_topic(key: Key, body: TopicIn, desk: DeskDep, who: Editor) -> Response:
    return json_response(desk.set_topic(key, body.topic, who_name(who)))


@router.post("/items/{key}/accept", summary="Accept an item's topic and story (review queue)")
def accept(key: Key, desk: DeskDep, who: Editor) -> Response:
    return json_response(desk.accept(key, who_name(who)))


@router.post("/items/{key}/split", summary="Take an item out of its story")
def split(key: Key, desk: DeskDep, who: Editor) -> Response:
    return json_response(desk.split(key, who_name(who)))


@router.post("/stories/merge", summary="Merge story `other` into `story_id`")
def merge(body: MergeIn, desk: DeskDep, who: Editor) -> Response:
    return json_response(desk.merge(body.story_id, body.other, who_name(who)))


@router.post("/not-same", summary="Mark two items as different stories, for good")
def not_same(body: PairIn, desk: DeskDep, who: Editor) -> Response:
    return json_response(desk.not_same(body.item_a, body.item_b, who_name(who)))


@router.get("/actions", summary="Editor actions, newest first: who, when, before, after")
def list_actions(
    desk: DeskDep,
    _: Annotated[Principal, Depends(require("reader"))],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    return json_response({"actions": desk.actions(limit)})
