"""A run streams through a user's own middleware over a real server, as any response does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
from starlette.requests import Request
from starlette.responses import Response

from copilot_runtime.app.main import create_app
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.testing import ScriptedChatModel, stream_problems
from tests.app.conftest import BASE, body, run_events, settings
from tests.app.test_run_control import config_server, uvicorn_config
from tests.fakes import answer


async def test_user_http_middleware_streams_a_run_over_uvicorn() -> None:
    model = ScriptedChatModel([answer("one two three four", id="m1")])
    app = create_app(CopilotRuntime(model=model), settings())

    @app.middleware("http")
    async def tag(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers["x-tagged"] = "yes"
        return response

    server = config_server(uvicorn_config(app))
    async with app.router.lifespan_context(app):
        serving = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110  # uvicorn offers no event to wait on
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"http://127.0.0.1:{port}{BASE}/agent/default/run", json=body(), timeout=10
            )
        server.should_exit = True
        await serving
    assert response.headers["x-tagged"] == "yes"
    events = run_events(response)
    assert stream_problems(events) == []
    deltas = [e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT"]
    assert "".join(deltas) == "one two three four"
