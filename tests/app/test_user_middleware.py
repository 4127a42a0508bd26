"""A run streams through a user's own middleware over a real server, as any response does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from starlette.requests import Request
from starlette.responses import Response

from copilot_runtime.app.main import create_app
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.testing import ScriptedChatModel, serve, stream_problems
from tests.app.conftest import BASE, body, run_events, settings
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

    async with serve(app) as origin, httpx.AsyncClient() as client:
        response = await client.post(f"{origin}{BASE}/agent/default/run", json=body(), timeout=10)
    assert response.headers["x-tagged"] == "yes"
    events = run_events(response)
    assert stream_problems(events) == []
    deltas = [e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT"]
    assert "".join(deltas) == "one two three four"
