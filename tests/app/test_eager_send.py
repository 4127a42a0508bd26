"""Runs are written by stepping `send` by hand only under uvicorn with create_app's middleware;
a user's middleware (Starlette's BaseHTTPMiddleware sends through anyio) gets a task per send."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from copilot_runtime.app.eager_send import EAGER_SEND
from copilot_runtime.app.main import create_app
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.testing import ScriptedChatModel, stream_problems
from tests.app.conftest import BASE, body, run_events, run_scope, settings
from tests.app.test_run_control import config_server, uvicorn_config
from tests.fakes import answer


def hello_app() -> FastAPI:
    model = ScriptedChatModel([answer("one two three four", id="m1")])
    return create_app(CopilotRuntime(model=model), settings())


class ServerCycle:
    """Stands for uvicorn's request cycle: its `send` is a method of a uvicorn protocol class."""

    async def send(self, message: MutableMapping[str, Any]) -> None:
        return None


ServerCycle.__module__ = "uvicorn.protocols.http.httptools_impl"


async def marked(app: FastAPI, send: Callable[[Any], Awaitable[None]]) -> object:
    scope = run_scope(f"{BASE}/info")
    scope["method"] = "GET"

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    await app(scope, receive, send)
    return scope.get(EAGER_SEND)


async def test_requests_are_marked_eager_only_for_uvicorns_send_and_plain_middleware() -> None:
    assert await marked(hello_app(), ServerCycle().send) is True

    async def wrapper_send(message: MutableMapping[str, Any]) -> None:
        return None

    assert await marked(hello_app(), wrapper_send) is None  # a wrapper around the app: unknown
    with_middleware = hello_app()

    @with_middleware.middleware("http")
    async def tag(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        return await call_next(request)

    assert await marked(with_middleware, ServerCycle().send) is False


async def test_user_http_middleware_streams_a_run_over_uvicorn() -> None:
    app = hello_app()

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
