"""stream_run and push_run: pass a run's events on in batches, with stop, keep-alive and clean
endings; stream_run to a reader that pulls them, push_run to a writer that never waits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final

import anyio
from ag_ui.core import (
    BaseEvent,
    EventType,
    RunErrorEvent,
    RunFinishedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
)

from copilot_runtime.actions import failure_summary
from copilot_runtime.app.runs import ActiveRun
from copilot_runtime.graphs import INTERNAL_ERROR
from copilot_runtime.graphs.channel import EventChannel, fill, stop_task

logger = logging.getLogger(__name__)

KEEPALIVE: Final = None
"""Yielded instead of an event after a silence; protocols write a comment or nothing."""
KEEPALIVE_MARK: Final = object()
STOPPED_RESULT = '{"status":"stopped","reason":"Run stopped by user"}'
_STOP: Final = object()
_DELTAS: Final = frozenset((TextMessageContentEvent, ToolCallArgsEvent))


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


@dataclass(frozen=True, slots=True)
class EventFeed:
    """A run's events as they are made: a channel that a producer task fills, then closes."""

    channel: EventChannel[object]
    producer: asyncio.Task[None]

    @classmethod
    def of(cls, events: AsyncIterator[BaseEvent], first: BaseEvent | None = None) -> EventFeed:
        """Feed from an agent's `run()` (`first` already taken from it), in a task of its own."""
        channel: EventChannel[object] = EventChannel()
        return cls(channel, fill(channel, _produce(first, events, channel)))


async def stream_run(
    feed: EventFeed,
    run: ActiveRun,
    *,
    keepalive_seconds: float,
    new_id: str,
    on_end: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[Batch]:
    """Pass the run's events through, ending early and cleanly on a stop.

    The agent runs in a task of its own (the feed's producer) so a stop can cancel it wherever
    it is (model call, tool). Cancelling this iterator (the client went away) cancels that task
    too: no orphaned model calls. `KEEPALIVE` (None) is sent after `keepalive_seconds` without
    an event. `on_end` runs once the agent has stopped, before this iterator ends: the
    response's last bytes follow it, so whatever it frees is free when the client sees the end.

    Each batch holds every event that was waiting when the previous one was taken, so a
    protocol can write it with one `send`: one socket write per event was ~12% of the server's
    self time in a profile, and a fast model or a busy server leaves many events waiting
    (issue #7). Nothing is held back to make a batch bigger.
    """
    loop = asyncio.get_running_loop()
    clock = _Clock(loop.time())
    helpers = _helpers(feed, run, clock, keepalive_seconds)
    open_items = OpenItems()
    try:
        while (items := await feed.channel.take()) is not None:
            clock.last_event = loop.time()
            batch, is_over = _batch(items, open_items, run, new_id)
            if batch:
                yield batch
            if is_over:
                return
        if (failure := _failure(feed.producer, run)) is not None:
            yield [failure]
    finally:
        await _wind_down(helpers, feed.producer, on_end)


async def push_run(
    feed: EventFeed,
    run: ActiveRun,
    *,
    write: Callable[[Batch], None],
    until: Awaitable[object],
    keepalive_seconds: float,
    new_id: str,
    on_end: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """What `stream_run` yields, handed to `write` right after the loop step that made it (a
    model call's read, mostly), with no task woken up for it; returns when the stream is over.

    `write` must not wait (graphs/channel.py `divert`): a response's `BodyWriter` sends right
    away. `until` ends the stream early (the client went away); the run is then cancelled, as
    when `stream_run` is closed. A `write` that raises ends the stream, and this raises it
    once the run has stopped. `on_end` runs as in `stream_run`, before this returns.
    """
    loop = asyncio.get_running_loop()
    over: asyncio.Future[None] = loop.create_future()
    receiver = _Pusher(feed.producer, run, new_id, write, over, _Clock(loop.time()))
    ending = asyncio.ensure_future(until)
    ending.add_done_callback(partial(_settle, over))
    helpers = [*_helpers(feed, run, receiver.clock, keepalive_seconds), ending]
    feed.channel.divert(receiver)
    try:
        await over
    finally:
        await _wind_down(helpers, feed.producer, on_end)
    over.result()


def _helpers(
    feed: EventFeed, run: ActiveRun, clock: _Clock, keepalive_seconds: float
) -> list[asyncio.Future[Any]]:
    """The tasks beside a stream: the stop relay and the keep-alive tick."""
    return [
        asyncio.create_task(_relay_stop(run, feed.channel)),
        asyncio.create_task(_tick(feed.channel, clock, keepalive_seconds)),
    ]


async def _wind_down(
    helpers: list[asyncio.Future[Any]],
    producer: asyncio.Task[None],
    on_end: Callable[[], Awaitable[None]] | None,
) -> None:
    """Stop the helpers and the run, then run `on_end`."""
    for task in helpers:
        task.cancel()
    # Starlette cancels a disconnected response through an anyio scope that re-cancels every
    # await; shielded, this waits until the model call or tool has really stopped.
    with anyio.CancelScope(shield=True):
        await stop_task(producer)
        await asyncio.gather(*helpers, return_exceptions=True)
        if on_end is not None:
            await on_end()


def _settle(over: asyncio.Future[None], *_: object) -> None:
    if not over.done():
        over.set_result(None)


class _Pusher:
    """push_run's receiver: each batch of items, as `stream_run` would yield it, to `write`."""

    __slots__ = ("_loop", "_new_id", "_open_items", "_over", "_producer", "_run", "_write", "clock")

    def __init__(
        self,
        producer: asyncio.Task[None],
        run: ActiveRun,
        new_id: str,
        write: Callable[[Batch], None],
        over: asyncio.Future[None],
        clock: _Clock,
    ) -> None:
        self._producer, self._run, self._new_id = producer, run, new_id
        self._write, self._over, self.clock = write, over, clock
        self._open_items = OpenItems()
        self._loop = over.get_loop()

    def __call__(self, items: Sequence[object] | None) -> None:
        if self._over.done():
            return  # the stream is over; the run is being stopped
        try:
            if items is None:  # the run's task has ended
                if (failure := _failure(self._producer, self._run)) is not None:
                    self._write([failure])
                self._over.set_result(None)
                return
            self.clock.last_event = self._loop.time()
            batch, is_over = _batch(items, self._open_items, self._run, self._new_id)
            if batch:
                self._write(batch)
            if is_over:
                self._over.set_result(None)
        except Exception as error:  # noqa: BLE001  # raised by push_run, not in the run's task
            self._over.set_exception(error)


def _failure(producer: asyncio.Task[None], run: ActiveRun) -> RunErrorEvent | None:
    """RUN_ERROR for a producer that failed: a bug between the agent and here, logged."""
    error = None if producer.cancelled() else producer.exception()
    if error is None:
        return None
    logger.error("the event stream of a run failed: %s", failure_summary(error))
    failure = RunErrorEvent(message=INTERNAL_ERROR, code="INTERNAL_ERROR")
    if run.tally is not None:
        run.tally.observe(failure)
    return failure


def _batch(
    items: Sequence[object], open_items: OpenItems, run: ActiveRun, new_id: str
) -> tuple[Batch, bool]:
    """What to send for `items` taken from the channel, and whether the stream ends with it."""
    batch: Batch = []
    for item in items:
        if type(item) in _DELTAS:  # most of a run's events, and nothing to follow in them
            batch.append(item)  # type: ignore[arg-type]  # a BaseEvent: its type was checked
            continue
        if item is _STOP:
            batch += open_items.closing_events(new_id)
            batch.append(RunFinishedEvent(thread_id=run.thread_id, run_id=run.run_id))
            return batch, True
        if isinstance(item, BaseEvent):
            open_items.observe(item)
            if run.tally is not None:
                run.tally.observe(item)
            batch.append(item)
        else:
            batch.append(KEEPALIVE)
    return batch, False


async def one_by_one(batches: AsyncIterator[Batch]) -> AsyncIterator[BaseEvent | None]:
    """The events of `batches`, one at a time, for protocols that encode them singly."""
    async for batch in batches:
        for item in batch:
            yield item


@dataclass(slots=True)
class _Clock:
    last_event: float


async def _produce(
    first: BaseEvent | None, events: AsyncIterator[BaseEvent], channel: EventChannel[object]
) -> None:
    try:
        if first is not None:
            channel.put([first])
        async for event in events:
            channel.put([event])
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()


async def _relay_stop(run: ActiveRun, channel: EventChannel[object]) -> None:
    await run.stopped.wait()
    # Jump the queue: events still waiting belong to a run the user no longer wants.
    channel.discard()
    channel.put([_STOP])


async def _tick(channel: EventChannel[object], clock: _Clock, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(max(0.0, clock.last_event + seconds - loop.time()))
        if loop.time() - clock.last_event >= seconds:
            clock.last_event = loop.time()
            channel.put([KEEPALIVE_MARK])
