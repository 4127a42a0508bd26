"""RunEvents: every reader gets the whole run from its start, in order, within a byte bound."""

from __future__ import annotations

import asyncio

import pytest
from ag_ui.core import (
    BaseEvent,
    RunFinishedEvent,
    RunStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)

from copilot_runtime.app.run_events import (
    Overflowed,
    RunEvents,
    RunReader,
    event_size,
    made_message_ids,
)


def tokens(count: int, message_id: str = "m1") -> list[BaseEvent]:
    return [TextMessageContentEvent(message_id=message_id, delta=f"w{i} ") for i in range(count)]


def the_run(count: int) -> list[BaseEvent]:
    """A whole run: one message of `count` tokens."""
    return [
        RunStartedEvent(thread_id="t", run_id="r"),
        TextMessageStartEvent(message_id="m1", role="assistant"),
        *tokens(count),
        TextMessageEndEvent(message_id="m1"),
        RunFinishedEvent(thread_id="t", run_id="r"),
    ]


async def read_all(reader: RunReader) -> list[BaseEvent]:
    return [event async for batch in reader.batches() for event in batch]


async def test_readers_that_join_at_any_time_get_the_whole_run_in_order() -> None:
    log = RunEvents(max_bytes=1 << 20)
    run = the_run(30)
    first = asyncio.create_task(read_all(log.reader()))
    joined: list[asyncio.Task[list[BaseEvent]]] = []
    for index, event in enumerate(run):
        log.append([event])
        if index in (0, 5, 20):  # a reload or a second tab, mid-run
            joined.append(asyncio.create_task(read_all(log.reader())))
        await asyncio.sleep(0)
    log.end()
    late = await read_all(log.reader())  # joins after the end: still the whole run
    for got in [await first, *[await task for task in joined], late]:
        assert got == run


async def test_a_reader_waits_for_the_next_batch_and_gets_what_came_meanwhile_at_once() -> None:
    log = RunEvents(max_bytes=1 << 20)
    reader = log.reader()
    waiting = asyncio.create_task(reader.batch())
    await asyncio.sleep(0)
    assert not waiting.done()
    log.append(tokens(2))
    log.append(tokens(1, "m2"))
    await asyncio.sleep(0)
    assert [e.message_id for e in (await waiting) or []] == ["m1", "m1", "m2"]  # type: ignore[attr-defined]
    log.end()
    assert await reader.batch() is None


async def test_past_the_bound_the_oldest_events_go_and_late_readers_are_refused() -> None:
    per_token = event_size(tokens(1)[0])
    log = RunEvents(max_bytes=per_token * 12)
    keeping_up = log.reader()
    behind = log.reader()
    log.append(tokens(8))
    assert len(keeping_up.ready()) == 8
    log.append(tokens(8))  # 16 tokens: over the bound, down to 9
    assert log.size <= per_token * 12
    assert not log.is_whole
    assert len(keeping_up.ready()) == 8  # nothing it needed was dropped
    with pytest.raises(Overflowed):
        behind.ready()
    with pytest.raises(Overflowed):
        log.reader()


def test_the_messages_a_run_makes_are_named_by_its_events() -> None:
    events: list[BaseEvent] = [
        TextMessageStartEvent(message_id="a1", role="assistant"),
        ToolCallStartEvent(tool_call_id="c1", tool_call_name="f", parent_message_id="a2"),
        ToolCallResultEvent(message_id="tool1", tool_call_id="c1", content="x", role="tool"),
    ]
    assert made_message_ids(events) == {"a1", "a2", "tool1"}


async def test_a_reader_waiting_past_its_timeout_gets_an_empty_batch() -> None:
    log = RunEvents(max_bytes=1 << 20)
    reader = log.reader()
    assert await reader.batch(patience=0.01) == []
    log.append(tokens(1))
    assert len(await reader.batch(patience=10) or []) == 1
