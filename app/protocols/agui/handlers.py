"""The v2 operations (info, run, connect, stop), shared by the REST routes and the envelope."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
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

from actions import ActionDefinitionError, failure_summary
from app.context import action_context
from app.errors import InternalError, NotFoundError, ProtocolError
from app.protocols.agui.inbound import run_input_from_body
from app.protocols.agui.info import runtime_info
from app.protocols.agui.outbound import EventStreamResponse, sse_frames
from app.runs import RunRegistry
from app.runtime import CopilotRuntime, ServedAgent
from app.settings import Settings
from app.streaming import stream_run

logger = logging.getLogger(__name__)

STOPPED = {"type": "RUN_ERROR", "message": "Run stopped by user", "code": "STOPPED"}


@dataclass(frozen=True, slots=True)
class Server:
    """What every handler needs; one per app, kept on `app.state.server`."""

    runtime: CopilotRuntime
    registry: RunRegistry
    settings: Settings
    new_id: Callable[[], str]

    def agent(self, agent_id: str) -> ServedAgent:
        """The agent, or 404 before anything is streamed."""
        agent = self.runtime.agents.get(agent_id)
        if agent is None:
            raise NotFoundError(f"Agent '{agent_id}' does not exist", error="Agent not found")
        return agent


def info(server: Server) -> JSONResponse:
    """RuntimeInfo."""
    return JSONResponse(runtime_info(server.runtime))


async def run(server: Server, request: Request, agent_id: str, body: Any) -> Response:
    """Validate, start the run, and stream it; errors before its first event are JSON."""
    agent = server.agent(agent_id)
    run_input = run_input_from_body(body)
    context = action_context(
        request,
        agent_id=agent_id,
        thread_id=run_input.thread_id,
        properties=run_input.forwarded_props,
    )
    active = server.registry.register(run_input.thread_id, run_input.run_id, agent_id)
    events = agent.run(run_input, context)
    try:
        # The actions generator runs here, so a bad declaration is a JSON error, not a stream.
        first = await anext(events)
    except (ActionDefinitionError, ProtocolError):
        server.registry.unregister(active)
        raise
    except Exception as error:  # noqa: BLE001  # the user's generator: answer 500, log no text
        server.registry.unregister(active)
        logger.error("run %s could not start: %s", run_input.run_id, failure_summary(error))
        raise InternalError() from None
    except BaseException:
        server.registry.unregister(active)
        raise
    stream = stream_run(
        _prepend(first, events),
        active,
        keepalive_seconds=server.settings.keepalive_seconds,
        new_id=server.new_id(),
    )

    async def release() -> None:
        server.registry.unregister(active)

    return EventStreamResponse(sse_frames(stream), on_close=release)


async def connect(server: Server, agent_id: str, body: Any) -> Response:
    """The stored thread as a replay; an empty stream for a thread never seen (never 404)."""
    agent = server.agent(agent_id)
    run_input = run_input_from_body(body)
    snapshot = await agent.thread_snapshot(run_input.thread_id)
    events: list[BaseEvent] = []
    if snapshot is not None:
        ids = {"thread_id": run_input.thread_id, "run_id": run_input.run_id}
        events = [
            RunStartedEvent(**ids),
            MessagesSnapshotEvent(messages=snapshot.messages),
            StateSnapshotEvent(snapshot=snapshot.state),
            RunFinishedEvent(**ids),
        ]
    return EventStreamResponse(sse_frames(_from_list(events)))


def stop(server: Server, agent_id: str, thread_id: str, body: Any) -> JSONResponse:
    """End the thread's run (the one named by `runId` when given) in this process."""
    server.agent(agent_id)
    run_id = body.get("runId") if isinstance(body, dict) else None
    stopped = server.registry.stop(agent_id, thread_id, run_id if isinstance(run_id, str) else None)
    if stopped:
        return JSONResponse({"stopped": True, "interrupt": STOPPED})
    return JSONResponse({"stopped": False, "message": f"No active run on thread '{thread_id}'"})


async def _prepend(first: BaseEvent, rest: AsyncIterator[BaseEvent]) -> AsyncIterator[BaseEvent]:
    try:
        yield first
        async for event in rest:
            yield event
    finally:
        aclose = getattr(rest, "aclose", None)
        if aclose is not None:
            await aclose()


async def _from_list(events: list[BaseEvent]) -> AsyncIterator[BaseEvent]:
    for event in events:
        yield event
