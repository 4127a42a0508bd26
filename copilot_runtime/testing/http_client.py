"""post_run: start a run over HTTP and read its AG-UI events, as @ag-ui/client does."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

DEFAULT_BASE_PATH = "/api/copilotkit"


class RunRequestError(Exception):
    """The server answered a run with something other than an event stream."""

    def __init__(self, status_code: int, body: str) -> None:
        super().__init__(f"the run was answered HTTP {status_code}: {body[:2000]}")
        self.status_code = status_code
        self.body = body


def sse_events(text: str) -> list[dict[str, Any]]:
    """The events of an SSE body, parsed as @ag-ui/client parses them: frames end at a blank
    line (LF only), `data:` lines hold the JSON, comments (keep-alives) are skipped."""
    events: list[dict[str, Any]] = []
    for frame in text.split("\n\n"):
        data = [line[5:].lstrip(" ") for line in frame.split("\n") if line.startswith("data:")]
        if data:
            events.append(json.loads("\n".join(data)))
    return events


def run_body(
    message: str | Sequence[Mapping[str, Any]],
    *,
    thread_id: str | None = None,
    run_id: str | None = None,
    tools: Sequence[Mapping[str, Any]] = (),
    context: Sequence[Mapping[str, Any]] = (),
    state: Any = None,
    properties: Mapping[str, Any] | None = None,
    resume: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """An AG-UI `RunAgentInput` as a client sends it (camelCase JSON).

    Args:
        message: The user's text, or the whole conversation as AG-UI message objects.
        thread_id: The thread; a new one by default.
        run_id: The run's id; a new one by default.
        tools: Frontend tools (`{"name", "description", "parameters"}`).
        context: Readables (`{"description", "value"}`).
        state: The shared state the client holds.
        properties: The frontend's `properties` (AG-UI `forwardedProps`).
        resume: Answers to the thread's pending interrupts (AG-UI `resume`:
            `{"interruptId", "status": "resolved" | "cancelled", "payload"}`).
    """
    messages = (
        [{"id": f"user-{uuid.uuid4().hex[:12]}", "role": "user", "content": message}]
        if isinstance(message, str)
        else [dict(item) for item in message]
    )
    body = {
        "threadId": thread_id or f"thread-{uuid.uuid4().hex[:12]}",
        "runId": run_id or f"run-{uuid.uuid4().hex[:12]}",
        "messages": messages,
        "tools": [dict(tool) for tool in tools],
        "context": [dict(item) for item in context],
        "forwardedProps": dict(properties or {}),
        "state": {} if state is None else state,
    }
    if resume is not None:
        body["resume"] = [dict(entry) for entry in resume]
    return body


async def post_run(
    base_url: str,
    message: str | Sequence[Mapping[str, Any]],
    *,
    agent: str = "default",
    base_path: str = DEFAULT_BASE_PATH,
    headers: Mapping[str, str] | None = None,
    client: httpx.AsyncClient | None = None,
    http_timeout: float = 60.0,
    **body: Any,
) -> list[dict[str, Any]]:
    """POST one run to `{base_url}{base_path}/agent/{agent}/run` and return its events.

    Args:
        base_url: The server, e.g. what `serve` yields.
        message: The user's text, or the whole conversation as AG-UI message objects.
        agent: The agent id.
        base_path: Where the runtime is mounted.
        headers: Request headers (an Authorization header, say).
        client: An httpx client to send with; a new one by default.
        http_timeout: Seconds the run may stay silent (the timeout of the client made here).
        **body: More of the request: `thread_id`, `run_id`, `tools`, `context`, `state`,
            `properties`, `resume` (see `run_body`).

    Returns:
        The events as the JSON objects the client received.

    Raises:
        RunRequestError: The answer was not a 200 event stream (a 4xx JSON error, say).
    """
    prefix = "/" + base_path.strip("/") if base_path.strip("/") else ""
    url = f"{base_url.rstrip('/')}{prefix}/agent/{agent}/run"
    request = run_body(message, **body)
    own_client = client is None
    client = client or httpx.AsyncClient(timeout=http_timeout)
    try:
        response = await client.post(url, json=request, headers=dict(headers or {}))
    finally:
        if own_client:
            await client.aclose()
    content_type = response.headers.get("content-type", "")
    if response.status_code != 200 or not content_type.startswith("text/event-stream"):
        raise RunRequestError(response.status_code, response.text)
    return sse_events(response.text)
