"""A run's events are handed over in batches of those ready together, in order, holding none
back; closing the stream stops the run."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator, MutableMapping
from typing import Any

import pytest
from ag_ui.core import (
    BaseEvent,
    RunAgentInput,
    RunErrorEvent,
    RunFinishedEvent,
    RunStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
)

from copilot_runtime.actions import ActionContext
from copilot_runtime.app.main import create_app
from copilot_runtime.app.runs import ActiveRun
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.app.streaming import Batch, consume, events_of, produce
from copilot_runtime.graphs import ThreadSnapshot
from copilot_runtime.graphs.failures import INTERNAL_ERROR
from copilot_runtime.testing import ScriptedChatModel, stream_problems
from tests.app.conftest import BASE, body, run_events, run_scope, serve, settings, sse_events
from tests.fakes import answer


def token(index: int) -> TextMessageContentEvent:
    return TextMessageContentEvent(message_id="m1", delta=f"t{index} ")


async def tokens(count: int, *, pause: float = 0.0) -> AsyncIterator[BaseEvent]:
    for index in range(count):
        if pause:
            await asyncio.sleep(pause)
        yield token(index)


async def nothing() -> None:
    return None


def consumed(events: AsyncIterator[BaseEvent], on_end: Any = nothing) -> AsyncGenerator[Batch]:
    run = ActiveRun(thread_id="t1", run_id="r1", agent_id="default")
    return consume(produce(events), run, keepalive_seconds=60, new_id="x", on_end=on_end)


async def batches_of(events: AsyncIterator[BaseEvent]) -> list[Batch]:
    return [batch async for batch in consumed(events)]


async def test_consume_batches_events_when_they_wait_together() -> None:
    assert await batches_of(tokens(5)) == [[token(i) for i in range(5)]]


async def test_consume_sends_each_event_when_it_comes_alone() -> None:
    assert await batches_of(tokens(3, pause=0.01)) == [[token(0)], [token(1)], [token(2)]]


async def test_events_of_yields_the_events_of_batches_in_order() -> None:
    events = events_of(consumed(tokens(70)))
    assert [event async for event in events] == [token(i) for i in range(70)]


async def failing_after(count: int) -> AsyncIterator[BaseEvent]:
    async for event in tokens(count):
        yield event
    raise RuntimeError("bug with secret sk-live-123")


async def test_consume_ends_with_safe_run_error_when_events_fail_midway(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events = [event for batch in await batches_of(failing_after(2)) for event in batch]
    assert events[:2] == [token(0), token(1)]
    assert events[2:] == [RunErrorEvent(message=INTERNAL_ERROR, code="INTERNAL_ERROR")]
    assert "RuntimeError" in caplog.text
    assert "sk-live" not in caplog.text


class EchoAgent:
    """A user's own agent: a `run()` generator, no `launch` (the server runs it in a task)."""

    description = "Says its input back."

    async def run(
        self, run_input: RunAgentInput, context: ActionContext | None = None
    ) -> AsyncIterator[BaseEvent]:
        ids = {"thread_id": run_input.thread_id, "run_id": run_input.run_id}
        yield RunStartedEvent(**ids)
        yield TextMessageStartEvent(message_id="m1", role="assistant")
        for word in str(run_input.messages[-1].content).split():
            await asyncio.sleep(0)
            yield TextMessageContentEvent(message_id="m1", delta=word)
        yield TextMessageEndEvent(message_id="m1")
        yield RunFinishedEvent(**ids)

    async def thread_snapshot(self, thread_id: str) -> ThreadSnapshot | None:
        return None

    async def delete_thread(self, thread_id: str) -> None:
        return None


async def test_agent_with_only_a_run_generator_streams_over_http() -> None:
    async with serve(CopilotRuntime(agents={"default": EchoAgent()})) as client:
        response = await client.post(f"{BASE}/agent/default/run", json=body("say it back"))
    events = run_events(response)
    assert stream_problems(events) == []
    deltas = [e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT"]
    assert deltas == ["say", "it", "back"]


async def test_run_writes_waiting_events_in_one_send_when_model_is_fast() -> None:
    model = ScriptedChatModel([answer(" ".join(f"w{i}" for i in range(40)), id="m1")])
    app = create_app(CopilotRuntime(model=model), settings())
    writes = await asgi_body_writes(app, json.dumps(body()).encode())
    events = sse_events(b"".join(writes).decode())
    assert stream_problems(events) == []
    assert [e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT"] == [
        f"w{i}" + (" " if i < 39 else "") for i in range(40)
    ]
    assert len([w for w in writes if w]) < len(events)


async def asgi_body_writes(app: Any, request_body: bytes) -> list[bytes]:
    """The body of each `http.response.body` message the app sends, calling it directly."""
    writes: list[bytes] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": request_body, "more_body": False}
        await asyncio.sleep(3600)  # the client stays
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.body":
            writes.append(message.get("body", b""))

    scope = run_scope()
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app(scope, receive, send), 10)
    return writes


async def test_closing_the_stream_stops_the_run_before_it_ends() -> None:
    cancelled = asyncio.Event()
    ended: list[bool] = []

    async def endless() -> AsyncIterator[BaseEvent]:
        try:
            for index in range(10**6):
                await asyncio.sleep(0.005)
                yield token(index)
        finally:
            cancelled.set()

    async def on_end() -> None:
        ended.append(cancelled.is_set())

    stream = consumed(endless(), on_end)
    assert await anext(stream) == [token(0)]
    await stream.aclose()
    assert ended == [True]  # the thread is freed only once the run has stopped
