"""The v2 routes: REST (/info, /agent/{id}/run|connect|stop) and the single-route envelope."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from copilot_runtime.app.errors import BadRequestError, ProtocolRoute, base_url_paths
from copilot_runtime.app.protocols.agui import handlers
from copilot_runtime.app.protocols.agui.inbound import json_body
from copilot_runtime.app.protocols.agui.threads import threads_router
from copilot_runtime.app.protocols.graphql import graphql_response
from copilot_runtime.app.server import Server

ENVELOPE_METHODS = ("info", "agent/run", "agent/connect", "agent/stop")


def agui_router(server: Server, prefix: str) -> APIRouter:
    """Routes under the base path `prefix` (without the settings' `rest_routes`: the envelope)."""
    router = APIRouter(prefix=prefix, route_class=ProtocolRoute)

    async def single_route(request: Request) -> Response:
        return await envelope(server, request, await json_body(request, server.settings))

    for path in base_url_paths(prefix):
        router.add_api_route(path, single_route, methods=["POST"])

    if server.settings.rest_routes:
        _add_rest_routes(router, server)
        router.include_router(threads_router(server))  # under the same prefix
    return router


def _add_rest_routes(router: APIRouter, server: Server) -> None:
    @router.get("/info")
    async def info(request: Request) -> Response:
        return handlers.info(server)

    @router.post("/agent/{agent_id}/run")
    async def run(request: Request, agent_id: str) -> Response:
        body = await json_body(request, server.settings)
        return await handlers.run(server, request, agent_id, body, protocol="rest")

    @router.get("/agent/{agent_id}/run/health")
    async def health(request: Request, agent_id: str) -> Response:
        server.agent(agent_id)
        return JSONResponse({"status": "ok", "agent": {"name": agent_id}})

    @router.post("/agent/{agent_id}/connect")
    async def connect(request: Request, agent_id: str) -> Response:
        return await handlers.connect(
            server, request, agent_id, await json_body(request, server.settings)
        )

    @router.post("/agent/{agent_id}/stop/{thread_id}")
    async def stop(request: Request, agent_id: str, thread_id: str) -> Response:
        body = await json_body(request, server.settings, required=False)
        return await handlers.stop(server, request, agent_id, thread_id, body)


async def envelope(server: Server, request: Request, body: dict[str, Any]) -> Response:
    """`{"method", "params", "body"}`: what 1.50-1.68 clients (and 1.69+ as fallback) send."""
    method = body.get("method")
    if method is None:
        if "query" in body:
            return await graphql_response(server, request, body)
        raise BadRequestError("Missing method field")
    if method == "info":
        return handlers.info(server)
    if method not in ENVELOPE_METHODS:
        raise BadRequestError(f"Unsupported method '{method}'")
    raw_params = body.get("params")
    params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
    agent_id = params.get("agentId")
    if not isinstance(agent_id, str) or not agent_id:
        raise BadRequestError("params.agentId must be a non-empty string")
    inner = body.get("body")
    if method == "agent/run":
        return await handlers.run(server, request, agent_id, inner, protocol="envelope")
    if method == "agent/connect":
        return await handlers.connect(server, request, agent_id, inner)
    thread_id = params.get("threadId")
    if not isinstance(thread_id, str) or not thread_id:
        raise BadRequestError("params.threadId must be a non-empty string")
    return await handlers.stop(server, request, agent_id, thread_id, inner)
