"""Streaming a run: one producer task, one consumer, one response, whatever the protocol.

How a run's events reach a client, in the order they are handed on:

1. The agent's `run(run_input, context)` (graphs: `Agent`, `GraphAgent`, or any object with
   that method) yields the run's AG-UI events. That is the only interface a run is made
   through; how an agent turns its graph into events is its own business (graphs/run.py).
2. `produce` iterates those events in a task the server owns (`Production.task`) and puts
   each into the production's `EventChannel`. The task does not belong to the response: it is
   started before anything is sent and is stopped only through `Production.stop` (or by
   ending by itself). A consumer reads the channel; nothing else touches it.
3. `consume` is the one consumer: it takes whatever events are waiting (a `Batch`), relays a
   stop (closing what the stop cut short, then RUN_FINISHED), writes a keep-alive after a
   silence, turns a failed production into RUN_ERROR, and once production has stopped runs
   `on_end` (the server's end of the run) before the stream ends.
4. `StreamedResponse` sends what a `Framing` makes of each batch, as a plain Starlette
   `StreamingResponse` in its own task, so any middleware and any ASGI server work. Each
   protocol is only a framing: SSE for AG-UI, multipart or SSE for GraphQL, JSON lines for
   the remote endpoint.

Today the response's consumer is the production's only reader and a client that goes away
stops the run (`StreamedResponse` closes `consume`, which stops production). A run that
outlives its client would keep the `Production` alive on the server and let several
consumers read it; `Production` is that seam.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import anyio
from ag_ui.core import (
    BaseEvent,
    EventType,
    RunErrorEvent,
    RunFinishedEvent,
    StepFinishedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
)
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from copilot_runtime.actions import failure_summary
from copilot_runtime.app.runs import ActiveRun
from copilot_runtime.graphs.channel import EventChannel, fill, stop_task
from copilot_runtime.graphs.failures import INTERNAL_ERROR

logger = logging.getLogger(__name__)

KEEPALIVE: Final = None
"""In a batch instead of an event after a silence; a framing writes a comment or nothing."""
STOPPED_RESULT = '{"status":"stopped","reason":"Run stopped by user"}'
_KEEPALIVE_MARK: Final = object()
_STOP: Final = object()
_DELTAS: Final = frozenset((TextMessageContentEvent, ToolCallArgsEvent))

Batch = list[BaseEvent | None]
"""Events (None marks a keep-alive) that were ready together, in order."""


@dataclass(frozen=True, slots=True)
class Production:
    """A run's events as the agent makes them: a task that fills a channel, then closes it."""

    channel: EventChannel[object]
    task: asyncio.Task[None]

    async def started(self) -> None:
        """Wait for the first event; raise what the agent raised before making one."""
        await self.channel.wait()
        task = self.task
        if self.channel.is_drained and task.done() and not task.cancelled() and task.exception():
            raise task.exception()  # type: ignore[misc]  # not None: checked just before

    async def stop(self) -> None:
        """Cancel the run wherever it is (model call, tool) and wait until it has stopped."""
        await stop_task(self.task)


def produce(events: AsyncIterator[BaseEvent]) -> Production:
    """Start iterating `events` (an agent's `run()`) in a task of its own."""
    channel: EventChannel[object] = EventChannel()
    return Production(channel, fill(channel, _produce(events, channel)))


async def _produce(events: AsyncIterator[BaseEvent], channel: EventChannel[object]) -> None:
    try:
        async for event in events:
            channel.put((event,))
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()


@dataclass(slots=True)
class OpenItems:
    """What the client has seen started but not ended, to close it when a run is cut short."""

    texts: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

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
            case EventType.STEP_STARTED:
                self.steps.append(event.step_name)  # type: ignore[attr-defined]
            case EventType.STEP_FINISHED:
                _discard(self.steps, event.step_name)  # type: ignore[attr-defined]

    def closing_events(self, new_id: str) -> list[BaseEvent]:
        """END for each open message and call (a stopped call gets a result so no client runs
        it), and STEP_FINISHED for each open step."""
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
        events += [StepFinishedEvent(step_name=name) for name in reversed(self.steps)]
        return events


def _discard(items: list[str], item: str) -> None:
    with contextlib.suppress(ValueError):
        items.remove(item)


async def consume(
    production: Production,
    run: ActiveRun,
    *,
    keepalive_seconds: float,
    new_id: str,
    on_end: Callable[[], Awaitable[None]],
) -> AsyncGenerator[Batch]:
    """The run's events in batches, ending early and cleanly on a stop.

    Each batch holds every event that was waiting when the previous one was taken, so a
    framing writes it with one `send`: a fast model or a busy server leaves many events
    waiting, and nothing is held back to make a batch bigger. `KEEPALIVE` follows
    `keepalive_seconds` without an event. Closing this generator (the client went away)
    stops production too; `on_end` runs once production has stopped, before the generator
    ends, so whatever it frees is free when the client sees the end.
    """
    loop = asyncio.get_running_loop()
    clock = _Clock(loop.time())
    helpers = [
        asyncio.create_task(_relay_stop(run, production.channel)),
        asyncio.create_task(_tick(production.channel, clock, keepalive_seconds)),
    ]
    open_items = OpenItems()
    try:
        while (items := await production.channel.take()) is not None:
            clock.last_event = loop.time()
            batch, is_over = _batch(items, open_items, run, new_id)
            if batch:
                yield batch
            if is_over:
                return
        if (failure := _failure(production.task, run)) is not None:
            yield [failure]
    finally:
        for task in helpers:
            task.cancel()
        # Starlette cancels a disconnected response through an anyio scope that re-cancels
        # every await; shielded, this waits until the model call or tool has really stopped.
        with anyio.CancelScope(shield=True):
            await production.stop()
            await asyncio.gather(*helpers, return_exceptions=True)
            await on_end()


def _failure(producer: asyncio.Task[None], run: ActiveRun) -> RunErrorEvent | None:
    """RUN_ERROR for a production that failed: a bug between the agent and here, logged."""
    error = None if producer.cancelled() else producer.exception()
    if error is None:
        return None
    logger.error("the event stream of a run failed: %s", failure_summary(error))
    failure = RunErrorEvent(message=INTERNAL_ERROR, code="INTERNAL_ERROR")
    if run.tally is not None:
        run.tally.observe(failure)
    return failure


def _batch(
    items: list[object], open_items: OpenItems, run: ActiveRun, new_id: str
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


@dataclass(slots=True)
class _Clock:
    last_event: float


async def _relay_stop(run: ActiveRun, channel: EventChannel[object]) -> None:
    await run.stopped.wait()
    # Jump the queue: events still waiting belong to a run the user no longer wants.
    channel.discard()
    channel.put((_STOP,))


async def _tick(channel: EventChannel[object], clock: _Clock, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(max(0.0, clock.last_event + seconds - loop.time()))
        if loop.time() - clock.last_event >= seconds:
            clock.last_event = loop.time()
            channel.put((_KEEPALIVE_MARK,))


async def replay(events: list[BaseEvent]) -> AsyncGenerator[Batch]:
    """Stored events as one batch (what `connect` streams)."""
    if events:
        yield list(events)


async def events_of(batches: AsyncIterator[Batch]) -> AsyncIterator[BaseEvent]:
    """The events of `batches` one at a time, keep-alives left out (for answers in one body)."""
    async for batch in batches:
        for event in batch:
            if event is not None:
                yield event


@dataclass(frozen=True, slots=True, kw_only=True)
class Framing:
    """How one protocol writes a stream of batches: what opens it, each batch, what ends it."""

    media_type: str
    headers: Mapping[str, str]
    batch: Callable[[Batch], bytes]
    opening: bytes = b""
    closing: Callable[[], bytes] = bytes
    """Called once the batches have ended (a framing may sum up what it has seen)."""


class StreamedResponse(StreamingResponse):
    """Batches as `framing` writes them; `on_close` runs however the response ends, even when
    it never started (the run's thread must be freed either way)."""

    def __init__(
        self,
        batches: AsyncGenerator[Batch],
        framing: Framing,
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Stream `batches` framed by `framing`."""
        self._batches = batches
        self._on_close = on_close
        super().__init__(
            _framed(batches, framing), media_type=framing.media_type, headers=framing.headers
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream until the batches end or the client goes away, then clean up."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                # A send cancelled by a disconnect leaves the generators suspended: close them
                # here rather than whenever the garbage collector gets to them.
                await _close(self.body_iterator)
                await self._batches.aclose()
                if self._on_close is not None:
                    await self._on_close()


async def _framed(batches: AsyncIterator[Batch], framing: Framing) -> AsyncGenerator[bytes]:
    if framing.opening:
        yield framing.opening
    frames = framing.batch
    async for batch in batches:
        if data := frames(batch):
            yield data
    if closing := framing.closing():
        yield closing


async def _close(iterator: Any) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()
