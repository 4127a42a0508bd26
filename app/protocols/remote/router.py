"""The routes of the remote-endpoint protocol under its own path (`remote_endpoint_path`)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from copilot_runtime.app.errors import ProtocolRoute, base_url_paths
from copilot_runtime.app.protocols.agui.inbound import json_body
from copilot_runtime.app.protocols.remote import handlers
from copilot_runtime.app.server import Server


def remote_router(server: Server, prefix: str) -> APIRouter:
    """`POST {prefix}/info` (also GET or POST on `{prefix}` itself, as the Python SDK answered),
    `POST {prefix}/actions/execute`, `/agents/execute` and `/agents/state`."""
    router = APIRouter(prefix=prefix, route_class=ProtocolRoute)

    async def info(request: Request) -> Response:
        body = (
            await json_body(request, server.settings, required=False)
            if request.method == "POST"
            else {}
        )
        return await handlers.info(server, request, body)

    for path in base_url_paths(prefix):
        for method in ("GET", "POST"):  # one route each: the schema names one operation each
            router.add_api_route(path, info, methods=[method])
    router.add_api_route("/info", info, methods=["POST"])

    @router.post("/actions/execute")
    async def execute_action(request: Request) -> Response:
        return await handlers.execute_action(
            server, request, await json_body(request, server.settings)
        )

    @router.post("/agents/execute")
    async def execute_agent(request: Request) -> Response:
        return await handlers.execute_agent(
            server, request, await json_body(request, server.settings)
        )

    @router.post("/agents/state")
    async def agent_state(request: Request) -> Response:
        return await handlers.agent_state(
            server, request, await json_body(request, server.settings)
        )

    return router
