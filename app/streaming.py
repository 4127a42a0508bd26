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


async def stream_run(
    events: AsyncIterator[BaseEvent],
    run: ActiveRun,
    *,
    keepalive_seconds: float,
    new_id: str,
) -> AsyncIterator[BaseEvent | None]:
    """Pass the agent's events through, ending early and cleanly when the run is stopped.

    The agent runs in its own task so a stop can cancel it wherever it is (model call, tool).
    Cancelling this iterator (the client went away) cancels that task too: no orphaned model
    calls. `KEEPALIVE` (None) is yielded after `keepalive_seconds` without an event.
    """
    queue: asyncio.Queue[object] = asyncio.Queue(maxsize=64)
    clock = _Clock(asyncio.get_running_loop().time())
    tasks = (
        asyncio.create_task(_produce(events, queue, clock)),
        asyncio.create_task(_relay_stop(run, queue)),
        asyncio.create_task(_tick(queue, clock, keepalive_seconds)),
    )
    open_items = OpenItems()
    try:
        while (item := await queue.get()) is not _DONE:
            if item is _STOP:
                for event in open_items.closing_events(new_id):
                    yield event
                yield RunFinishedEvent(thread_id=run.thread_id, run_id=run.run_id)
                return
            if isinstance(item, BaseEvent):
                open_items.observe(item)
                yield item
            else:
                yield KEEPALIVE
    finally:
        for task in tasks:
            task.cancel()
        # Starlette cancels a disconnected response through an anyio scope that re-cancels
        # every await; shielded, this waits until the model call or tool has really stopped.
        with anyio.CancelScope(shield=True):
            await asyncio.gather(*tasks, return_exceptions=True)


@dataclass(slots=True)
class _Clock:
    last_event: float


async def _produce(
    events: AsyncIterator[BaseEvent], queue: asyncio.Queue[object], clock: _Clock
) -> None:
    loop = asyncio.get_running_loop()
    try:
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
