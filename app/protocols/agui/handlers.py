"""The v2 operations (info, run, connect, stop), shared by the REST routes and the envelope."""

from __future__ import annotations

from typing import Any

from ag_ui.core import (
    BaseEvent,
    MessagesSnapshotEvent,
    RunFinishedEvent,
    RunStartedEvent,
    StateSnapshotEvent,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from copilot_runtime.app.body import check_text
from copilot_runtime.app.context import action_context
from copilot_runtime.app.errors import BadRequestError
from copilot_runtime.app.joined_run import live_run, messages_before_run, replay_then_follow
from copilot_runtime.app.ownership import caller_of, stop_run, visible_thread
from copilot_runtime.app.protocols.agui.inbound import run_input_from_body
from copilot_runtime.app.protocols.agui.info import runtime_info
from copilot_runtime.app.protocols.agui.outbound import sse_framing
from copilot_runtime.app.server import Server, start_run
from copilot_runtime.app.streaming import StreamedResponse, replay

STOPPED = {"type": "RUN_ERROR", "message": "Run stopped by user", "code": "STOPPED"}


def info(server: Server) -> JSONResponse:
    """RuntimeInfo."""
    return JSONResponse(runtime_info(server.runtime, thread_endpoints=server.settings.rest_routes))


async def run(
    server: Server, request: Request, agent_id: str, body: Any, *, protocol: str
) -> Response:
    """Validate, start the run, and stream it as SSE; errors before its first event are JSON.

    `protocol`: "rest" or "envelope", the route the run came by (for the run's log line).
    """
    server.agent(agent_id)
    run_input = run_input_from_body(body)
    context = action_context(
        request,
        agent_id=agent_id,
        thread_id=run_input.thread_id,
        properties=run_input.forwarded_props,
    )
    started = await start_run(server, agent_id, run_input, context, protocol=protocol)
    return StreamedResponse(started.batches(), sse_framing(), on_close=started.release)


async def connect(server: Server, request: Request, agent_id: str, body: Any) -> Response:
    """The stored thread as a replay, then the run in progress on it, if one is, from its
    first event to its last (on whichever worker runs it); an empty stream for a thread never
    seen (never 404), and for another user's thread, which must look exactly like one never
    seen."""
    agent = server.agent(agent_id)
    run_input = run_input_from_body(body)
    context = action_context(
        request, agent_id=agent_id, thread_id=run_input.thread_id, properties={}
    )
    if not await visible_thread(server, caller_of(server, context), run_input.thread_id):
        return StreamedResponse(replay([]), sse_framing())
    live = await live_run(server, run_input.thread_id)
    snapshot = await agent.thread_snapshot(run_input.thread_id)
    messages = snapshot.messages if snapshot is not None else []
    if live is not None:
        messages = messages_before_run(messages, live.anchor, live.known)
    events: list[BaseEvent] = []
    if snapshot is not None or live is not None:
        ids = {"thread_id": run_input.thread_id, "run_id": run_input.run_id}
        events = [
            RunStartedEvent(**ids),
            MessagesSnapshotEvent(messages=messages),
            StateSnapshotEvent(snapshot=snapshot.state if snapshot is not None else {}),
            RunFinishedEvent(**ids),
        ]
    if live is None:
        return StreamedResponse(replay(events), sse_framing())
    keepalive = server.settings.keepalive_seconds
    return StreamedResponse(replay_then_follow(events, live.batches, keepalive), sse_framing())


async def stop(
    server: Server, request: Request, agent_id: str, thread_id: str, body: Any
) -> JSONResponse:
    """End the caller's run on the thread (the one named by `runId` when given), in whichever
    worker runs it; another user's thread has no run to stop, as a missing one."""
    server.agent(agent_id)
    check_text(thread_id, "threadId")
    run_id = body.get("runId") if isinstance(body, dict) else None
    if run_id is not None and not isinstance(run_id, str):
        # Ignoring it would stop every run of the thread instead of the one named.
        raise BadRequestError("runId must be a string")
    context = action_context(request, agent_id=agent_id, thread_id=thread_id, properties={})
    if await stop_run(server, caller_of(server, context), thread_id, run_id):
        return JSONResponse({"stopped": True, "interrupt": STOPPED})
    return JSONResponse({"stopped": False, "message": f"No active run on thread '{thread_id}'"})
