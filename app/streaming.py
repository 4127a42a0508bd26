"""stream_run: drive an agent's event stream with stop, keep-alive and clean endings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Final

import anyio
from ag_ui.core import (
    BaseEvent,
    EventType,
    RunErrorEvent,
    RunFinishedEvent,
    TextMessageEndEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
)

from actions import failure_summary
from app.runs import ActiveRun
from graphs import INTERNAL_ERROR

logger = logging.getLogger(__name__)

KEEPALIVE: Final = None
"""Yielded instead of an event after a silence; protocols write a comment or nothing."""
KEEPALIVE_MARK: Final = object()
STOPPED_RESULT = '{"status":"stopped","reason":"Run stopped by user"}'
_DONE: Final = object()
_STOP: Final = object()


@dataclass(slots=True)
class OpenItems:
    """What the client has seen started but not ended, to close it when a run is cut short."""

    texts: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def observe(self, event: BaseEvent) -> None:
        """Follow START/END pairs."""
        match event.type:
            case EventType.TEXT_MESSAGE_START:
                self.texts.append(event.message_id)  # type: ignore[attr-defined]
            case EventType.TEXT_MESSAGE_END:
                _discard(self.texts, event.message_id)  # type: ignore[attr-defined]
            case EventType.TOOL_CALL_START:
                self.calls.append(event.tool_call_id)  # type: ignore[attr-defined]
            case EventType.TOOL_CALL_END:
                _discard(self.calls, event.tool_call_id)  # type: ignore[attr-defined]

    def closing_events(self, new_id: str) -> list[BaseEvent]:
        """END for each open message and call; a stopped call gets a result so no client runs it."""
        events: list[BaseEvent] = [TextMessageEndEvent(message_id=m) for m in self.texts]
        for index, call_id in enumerate(self.calls):
            events.append(ToolCallEndEvent(tool_call_id=call_id))
            events.append(
                ToolCallResultEvent(
                    message_id=f"{new_id}-{index}",
                    tool_call_id=call_id,
                    content=STOPPED_RESULT,
                    role="tool",
                )
            )
        return events


def _discard(items: list[str], item: str) -> None:
    with contextlib.suppress(ValueError):
        items.remove(item)


Batch = list[BaseEvent | None]
"""Events (None marks a keep-alive) that were ready together, in order."""


async def stream_run(
    events: AsyncIterator[BaseEvent],
    run: ActiveRun,
    *,
    keepalive_seconds: float,
    new_id: str,
    first: BaseEvent | None = None,
) -> AsyncIterator[Batch]:
    """Pass `first` and the agent's events through, ending early and cleanly on a stop.

    The agent runs in its own task so a stop can cancel it wherever it is (model call, tool).
    Cancelling this iterator (the client went away) cancels that task too: no orphaned model
    calls. `KEEPALIVE` (None) is sent after `keepalive_seconds` without an event.

    Each batch holds every event that was waiting when the previous one was taken, so a
    protocol can write it with one `send`: one socket write per event was ~12% of the server's
    self time in a profile, and a fast model or a busy server leaves many events waiting
    (issue #7). Nothing is held back to make a batch bigger.
    """
    queue: asyncio.Queue[object] = asyncio.Queue(maxsize=64)
    clock = _Clock(asyncio.get_running_loop().time())
    tasks = (
        asyncio.create_task(_produce(first, events, queue, clock)),
        asyncio.create_task(_relay_stop(run, queue)),
        asyncio.create_task(_tick(queue, clock, keepalive_seconds)),
    )
    open_items = OpenItems()
    try:
        is_over = False
        while not is_over:
            waiting = _waiting(await queue.get(), queue)
            batch, is_over = _batch(waiting, open_items, run, new_id)
            if batch:
                yield batch
    finally:
        for task in tasks:
            task.cancel()
        # Starlette cancels a disconnected response through an anyio scope that re-cancels
        # every await; shielded, this waits until the model call or tool has really stopped.
        with anyio.CancelScope(shield=True):
            await asyncio.gather(*tasks, return_exceptions=True)


def _batch(
    items: list[object], open_items: OpenItems, run: ActiveRun, new_id: str
) -> tuple[Batch, bool]:
    """What to send for `items` taken from the queue, and whether the stream ends with it."""
    batch: Batch = []
    for item in items:
        if item is _DONE:
            return batch, True
        if item is _STOP:
            batch += open_items.closing_events(new_id)
            batch.append(RunFinishedEvent(thread_id=run.thread_id, run_id=run.run_id))
            return batch, True
        if isinstance(item, BaseEvent):
            open_items.observe(item)
            batch.append(item)
        else:
            batch.append(KEEPALIVE)
    return batch, False


def _waiting(first: object, queue: asyncio.Queue[object]) -> list[object]:
    """`first` and whatever else is in the queue now (taking it wakes a blocked producer)."""
    items = [first]
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


async def one_by_one(batches: AsyncIterator[Batch]) -> AsyncIterator[BaseEvent | None]:
    """The events of `batches`, one at a time, for protocols that encode them singly."""
    async for batch in batches:
        for item in batch:
            yield item


@dataclass(slots=True)
class _Clock:
    last_event: float


async def _produce(
    first: BaseEvent | None,
    events: AsyncIterator[BaseEvent],
    queue: asyncio.Queue[object],
    clock: _Clock,
) -> None:
    loop = asyncio.get_running_loop()
    try:
        if first is not None:
            await queue.put(first)
        async for event in events:
            clock.last_event = loop.time()
            await queue.put(event)
    except Exception as error:  # noqa: BLE001  # a bug must still end the stream properly
        # run_agent already turns run failures into RUN_ERROR; this is a bug in between.
        logger.error("the event stream of a run failed: %s", failure_summary(error))
        await queue.put(RunErrorEvent(message=INTERNAL_ERROR, code="INTERNAL_ERROR"))
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
    await queue.put(_DONE)


async def _relay_stop(run: ActiveRun, queue: asyncio.Queue[object]) -> None:
    await run.stopped.wait()
    # Jump the queue: events still buffered belong to a run the user no longer wants.
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(_STOP)


async def _tick(queue: asyncio.Queue[object], clock: _Clock, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(max(0.0, clock.last_event + seconds - loop.time()))
        if loop.time() - clock.last_event >= seconds:
            clock.last_event = loop.time()
            await queue.put(KEEPALIVE_MARK)
