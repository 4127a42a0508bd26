"""The thread routes (REST only): list, inspect, rename, archive, delete (protocols.md 1.2)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from copilot_runtime.app.body import check_text
from copilot_runtime.app.context import action_context
from copilot_runtime.app.errors import BadRequestError, NotFoundError, ProtocolRoute
from copilot_runtime.app.ownership import Caller, caller_of, delete_thread, own_thread
from copilot_runtime.app.protocols.agui.inbound import json_body
from copilot_runtime.app.server import Server
from copilot_runtime.app.threads import ThreadStore

DEFAULT_PAGE = 20
MAX_PAGE = 100


def threads_router(server: Server) -> APIRouter:
    """Routes relative to the base path."""
    router = APIRouter(route_class=ProtocolRoute)

    @router.get("/threads")
    async def list_threads(request: Request) -> Response:
        caller = _caller(server, request, request.query_params)
        query = request.query_params
        try:
            limit = min(max(int(query.get("limit") or DEFAULT_PAGE), 1), MAX_PAGE)
            page = await _store(server).page(
                caller.agent_id,
                caller.owner,
                include_archived=query.get("includeArchived") == "true",
                limit=limit,
                cursor=query.get("cursor") or None,
            )
        except ValueError as error:
            raise BadRequestError(f"Bad paging parameters: {error}") from None
        threads = [thread.as_json() for thread in page.threads]
        return JSONResponse({"threads": threads, "nextCursor": page.next_cursor})

    @router.get("/threads/{thread_id}/{view}")
    async def inspect(request: Request, thread_id: str, view: str) -> Response:
        caller = _caller(server, request, request.query_params, thread_id)
        if view not in ("messages", "state", "events"):
            raise NotFoundError(f"No route GET /threads/{thread_id}/{view}")
        await own_thread(server, caller, thread_id)
        snapshot = await server.agent(caller.agent_id).thread_snapshot(thread_id)
        messages = [m.model_dump(by_alias=True) for m in snapshot.messages] if snapshot else []
        state = snapshot.state if snapshot else {}
        if view == "messages":
            return JSONResponse({"messages": messages})
        if view == "state":
            return JSONResponse({"state": state})
        events = [
            {"type": "MESSAGES_SNAPSHOT", "messages": messages},
            {"type": "STATE_SNAPSHOT", "snapshot": state},
        ]
        return JSONResponse({"events": events})

    @router.patch("/threads/{thread_id}")
    async def update(request: Request, thread_id: str) -> Response:
        body = await json_body(request, server.settings)
        caller = _caller(server, request, body, thread_id)
        record = await own_thread(server, caller, thread_id)
        name, archived = _changes(body)
        changed = await _store(server).update(record, name=name, archived=archived)
        return JSONResponse(changed.as_json())

    @router.post("/threads/{thread_id}/archive")
    async def archive(request: Request, thread_id: str) -> Response:
        body = await json_body(request, server.settings, required=False)
        caller = _caller(server, request, body, thread_id)
        record = await own_thread(server, caller, thread_id)
        await _store(server).update(record, archived=True)
        return JSONResponse({"threadId": thread_id, "archived": True})

    @router.delete("/threads/{thread_id}")
    async def delete(request: Request, thread_id: str) -> Response:
        body = await json_body(request, server.settings, required=False)
        caller = _caller(server, request, body or request.query_params, thread_id)
        await delete_thread(server, caller, thread_id)
        return JSONResponse({"threadId": thread_id, "deleted": True})

    return router


def _changes(body: dict[str, Any]) -> tuple[str | None, bool | None]:
    name, archived = body.get("name"), body.get("archived")
    if name is not None and not isinstance(name, str):
        raise BadRequestError("name must be a string")
    if archived is not None and not isinstance(archived, bool):
        raise BadRequestError("archived must be true or false")
    return name, archived


def _caller(server: Server, request: Request, source: Any, thread_id: str | None = None) -> Caller:
    agent_id = source.get("agentId") if hasattr(source, "get") else None
    if not isinstance(agent_id, str) or not agent_id:
        raise BadRequestError("agentId is required")
    server.agent(agent_id)
    if thread_id is not None:
        check_text(thread_id, "threadId")
    context = action_context(request, agent_id=agent_id, thread_id=thread_id, properties={})
    return caller_of(server, context)


def _store(server: Server) -> ThreadStore:
    if server.threads is None:
        raise NotFoundError("Thread endpoints are not available", error="not_found")
    return server.threads
