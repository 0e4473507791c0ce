"""Admin: API tokens, model reload, retrain and rollback; health for monitoring."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from feedclass.serve.auth import Principal, create_token
from feedclass.serve.deps import Key, get_desk, require, who_name
from feedclass.serve.desk import Desk, NotFoundError
from feedclass.serve.retrain import retrain, rollback, versions
from feedclass.serve.routes.items import json_response

router = APIRouter(prefix="/v1", tags=["admin"])
Admin = Annotated[Principal, Depends(require("admin"))]
DeskDep = Annotated[Desk, Depends(get_desk)]


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str
    name: str = ""


@router.get("/health", summary="Liveness: the model and the number of stored items")
def health(desk: DeskDep) -> Response:
    with desk.storage.begin() as conn:
        n = desk.storage.count_items(conn)
    return json_response({"ok": True, "model_version": desk.model_version, "items": n})


@router.get("/sources", summary="Polled feeds: status, last and next poll, items created")
def sources(request: Request, _: Annotated[Principal, Depends(require("reader"))]) -> Response:
    return json_response({"sources": [s.as_json() for s in request.app.state.poller.sources]})


@router.post("/admin/tokens", status_code=201, summary="Make an API token (shown once)")
def make_token(body: TokenIn, desk: DeskDep, who: Admin) -> Response:
    tid, token = create_token(desk.storage, body.role, body.name)
    with desk.storage.begin() as conn:
        desk.storage.log_action(
            conn, who_name(who), "token_create", f"token:{tid}", {}, {"role": body.role}
        )
    return json_response({"id": tid, "role": body.role, "token": token}, 201)


@router.get("/admin/tokens", summary="Tokens (never their values)")
def list_tokens(desk: DeskDep, _: Admin) -> Response:
    with desk.storage.begin() as conn:
        rows = desk.storage.list_tokens(conn)
    return json_response({"tokens": [dict(r._mapping) for r in rows]})


@router.delete("/admin/tokens/{token_id}", summary="Revoke a token and its web sessions")
def revoke(token_id: Key, desk: DeskDep, who: Admin) -> Response:
    with desk.storage.begin() as conn:
        if not desk.storage.revoke_token(conn, token_id):
            raise NotFoundError(f"no token {token_id}")
        desk.storage.log_action(conn, who_name(who), "token_revoke", f"token:{token_id}", {}, {})
    return json_response({"revoked": token_id})


@router.post("/admin/reload-model", summary="Load the model file again (after replacing it)")
def reload_model(desk: DeskDep, who: Admin) -> Response:
    before = desk.model_version
    after = desk.load_model()
    with desk.storage.begin() as conn:
        desk.storage.set_active_model(conn, None)  # the file wins, after a restart too
        desk.storage.log_action(conn, who_name(who), "reload_model", "model", before, after)
    return json_response({"model_version": after})


class RollbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str


@router.post(
    "/admin/retrain",
    summary="Learn the editors' topic fixes; swap the new model in only if it is not worse",
)
def retrain_model(desk: DeskDep, who: Admin) -> Response:
    return json_response(retrain(desk, who_name(who)))


@router.get("/admin/models", summary="Kept model versions, newest first, with their scores")
def list_models(desk: DeskDep, _: Admin) -> Response:
    return json_response({"model_version": desk.model_version, "versions": versions(desk)})


@router.post("/admin/rollback", summary="Make a kept model version the desk's model again")
def rollback_model(body: RollbackIn, desk: DeskDep, who: Admin) -> Response:
    return json_response(rollback(desk, body.version, who_name(who)))
