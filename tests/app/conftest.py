from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from app.main import create_app
from app.runtime import CopilotRuntime
from app.settings import Settings
from tests.fakes import assert_valid_stream, seq_ids

BASE = "/api/copilotkit"


def settings(**overrides: Any) -> Settings:
    return Settings(threads_path=":memory:", **overrides)


@asynccontextmanager
async def serve(runtime: CopilotRuntime, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app in process, with its lifespan (checkpointer) running."""
    app = create_app(runtime, settings(**overrides), new_id=seq_ids("srv"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def body(text: str = "hi", **fields: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "threadId": "t1",
        "runId": "r1",
        "messages": [{"id": "u1", "role": "user", "content": text}],
        "tools": [],
        "context": [],
        "forwardedProps": {},
        "state": {},
    }
    request.update(fields)
    return request


def sse_events(raw: str) -> list[dict[str, Any]]:
    """Parse an SSE body the way @ag-ui/client does: split on blank lines, keep data lines."""
    assert "\r" not in raw, "CRLF framing breaks the client"
    events = []
    for frame in raw.split("\n\n"):
        data = [line[5:].lstrip(" ") for line in frame.split("\n") if line.startswith("data:")]
        if data:
            events.append(json.loads("\n".join(data)))
    return events


def run_events(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    assert_valid_stream(events)
    return events
