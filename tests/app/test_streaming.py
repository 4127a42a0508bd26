"""stream_run hands events over in batches of those ready together, in order, holding none back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

from ag_ui.core import BaseEvent, TextMessageContentEvent

from app.main import create_app
from app.runs import ActiveRun
from app.runtime import CopilotRuntime
from app.streaming import Batch, EventFeed, one_by_one, stream_run
from tests.app.conftest import body, run_scope, settings, sse_events
from tests.fakes import ScriptedChatModel, answer, assert_valid_stream


def token(index: int) -> TextMessageContentEvent:
    return TextMessageContentEvent(message_id="m1", delta=f"t{index} ")


async def tokens(count: int, *, pause: float = 0.0) -> AsyncIterator[BaseEvent]:
    for index in range(count):
        if pause:
            await asyncio.sleep(pause)
        yield token(index)


async def batches_of(events: AsyncIterator[BaseEvent]) -> list[Batch]:
    run = ActiveRun(thread_id="t1", run_id="r1", agent_id="default")
    return [
        batch
        async for batch in stream_run(EventFeed.of(events), run, keepalive_seconds=60, new_id="x")
    ]


async def test_stream_run_batches_events_when_they_wait_together() -> None:
    assert await batches_of(tokens(5)) == [[token(i) for i in range(5)]]


async def test_stream_run_sends_each_event_when_it_comes_alone() -> None:
    assert await batches_of(tokens(3, pause=0.01)) == [[token(0)], [token(1)], [token(2)]]


async def test_one_by_one_yields_the_events_of_batches_in_order() -> None:
    run = ActiveRun(thread_id="t1", run_id="r1", agent_id="default")
    events = one_by_one(stream_run(EventFeed.of(tokens(70)), run, keepalive_seconds=60, new_id="x"))
    assert [event async for event in events] == [token(i) for i in range(70)]


async def test_run_writes_waiting_events_in_one_send_when_model_is_fast() -> None:
    model = ScriptedChatModel(turns=[answer(" ".join(f"w{i}" for i in range(40)), id="m1")])
    app = create_app(CopilotRuntime(model=model), settings())
    writes = await asgi_body_writes(app, json.dumps(body()).encode())
    events = sse_events(b"".join(writes).decode())
    assert_valid_stream(events)
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
