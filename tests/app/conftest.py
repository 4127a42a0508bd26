from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from copilot_runtime import testing
from copilot_runtime.app.main import create_app
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.app.settings import Settings
from copilot_runtime.testing import stream_problems
from tests.fakes import seq_ids

BASE = "/api/copilotkit"


def settings(**overrides: Any) -> Settings:
    return Settings(**{"threads_path": ":memory:", **overrides})


@asynccontextmanager
async def serve(runtime: CopilotRuntime, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app in process, with its lifespan (checkpointer) running."""
    app = create_app(runtime, settings(**overrides), new_id=seq_ids("srv"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def run_scope(path: str = f"{BASE}/agent/default/run") -> dict[str, Any]:
    """The ASGI scope of a JSON POST, for tests that drive the app without an HTTP client
    (to control exactly when the client disconnects, or to see every write)."""
    return {
        "type": "http",
        # 2.3: Starlette listens for the disconnect, as it does under uvicorn.
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"host", b"test")],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }


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
    """Parse an SSE body the way @ag-ui/client does (and check it frames with LF only)."""
    assert "\r" not in raw, "CRLF framing breaks the client"
    return testing.sse_events(raw)


def run_events(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    assert stream_problems(events) == []
    return events
