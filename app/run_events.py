"""RunEvents: what a run has sent so far, for every client that follows it.

A run belongs to the server, not to the request that started it. Each batch of its events is
kept here as it is made, and each reader (the client that started the run, a `connect` after
a reload or from a second tab, a relay to another worker) gets the whole stream from the
run's first event, in order and at its own pace: a reader never waits for another, and none
sees an event twice or misses one.

What is kept is bounded by its size in bytes (the JSON size of the events): past the bound the
oldest events go, a reader that had not read them yet is cut off (`Overflowed`), and no new
reader can join, since it could not be given the run from its start. The server drops the log
when the run ends; its memory goes with its last reader.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from ag_ui.core import (
    BaseEvent,
    EventType,
    Message,
    TextMessageContentEvent,
    ToolCallArgsEvent,
)

DELTA_OVERHEAD = 64
"""The bytes of a delta's frame besides its text (type, id, quotes)."""
_DELTAS = (TextMessageContentEvent, ToolCallArgsEvent)


class Overflowed(Exception):
    """The run's events went past the bound before this reader had them."""


def event_size(event: BaseEvent) -> int:
    """About the bytes of `event` as JSON (deltas, most of a run, are counted without encoding)."""
    if type(event) in _DELTAS:
        return len(event.delta) + DELTA_OVERHEAD  # type: ignore[attr-defined]
    return len(event.model_dump_json(by_alias=True))


class RunEvents:
    """One run's events, in order, for any number of readers."""

    __slots__ = ("_bytes", "_events", "_first", "_is_over", "_waiters", "anchor", "max_bytes")

    def __init__(self, max_bytes: int, anchor: Message | None = None) -> None:
        """`anchor`: the last message the run was given (its own messages come after it)."""
        self.max_bytes = max_bytes
        self.anchor = anchor
        self._events: list[tuple[BaseEvent, int]] = []
        self._first = 0
        """The index in the run of `_events[0]`: above 0 once the oldest were dropped."""
        self._bytes = 0
        self._is_over = False
        self._waiters: list[asyncio.Future[bool]] = []

    @property
    def is_whole(self) -> bool:
        """Whether the run's first event is still kept (a new reader can join)."""
        return self._first == 0

    @property
    def is_over(self) -> bool:
        """Whether the run has sent its last event."""
        return self._is_over

    @property
    def size(self) -> int:
        """The bytes kept."""
        return self._bytes

    def append(self, events: Sequence[BaseEvent]) -> None:
        """Keep events the run sent (never waits) and wake the readers."""
        if self._is_over or not events:
            return
        for event in events:
            size = event_size(event)
            self._events.append((event, size))
            self._bytes += size
        if self._bytes > self.max_bytes:
            self._drop_oldest()
        self._wake()

    def end(self) -> None:
        """The run is over: readers end once they have read everything."""
        self._is_over = True
        self._wake()

    def reader(self) -> RunReader:
        """A reader from the run's first event.

        Raises:
            Overflowed: the first events are gone already.
        """
        if not self.is_whole:
            raise Overflowed()
        return RunReader(self)

    def events(self) -> list[BaseEvent]:
        """Everything kept, oldest first."""
        return [event for event, _ in self._events]

    def _drop_oldest(self) -> None:
        # Down to three quarters of the bound, so the copy is not made for every new event.
        target = self.max_bytes * 3 // 4
        dropped = 0
        while dropped < len(self._events) and self._bytes > target:
            self._bytes -= self._events[dropped][1]
            dropped += 1
        del self._events[:dropped]
        self._first += dropped

    def _read(self, position: int) -> list[BaseEvent]:
        if position < self._first:
            raise Overflowed()
        return [event for event, _ in self._events[position - self._first :]]

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            _settle(waiter, True)

    async def _wait(self, patience: float | None) -> bool:
        """Until something happens (True) or `patience` goes by (False); a timer rather than
        a task per wait, since a reader waits once per batch."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(waiter)
        if patience is None:
            await waiter
            return True
        timer = loop.call_later(patience, _settle, waiter, False)
        try:
            await waiter
        finally:
            timer.cancel()
        return waiter.result()


def _settle(waiter: asyncio.Future[bool], woken: bool) -> None:
    if not waiter.done():
        waiter.set_result(woken)


class RunReader:
    """One reader's place in a run's events."""

    __slots__ = ("_log", "position")

    def __init__(self, log: RunEvents) -> None:
        self._log = log
        self.position = 0
        """How many of the run's events this reader has been given."""

    @property
    def log(self) -> RunEvents:
        """The events this reader reads."""
        return self._log

    def ready(self) -> list[BaseEvent]:
        """The events waiting for this reader (maybe none), taken without waiting.

        Raises:
            Overflowed: some it had not read were dropped.
        """
        events = self._log._read(self.position)
        self.position += len(events)
        return events

    async def batch(self, patience: float | None = None) -> list[BaseEvent] | None:
        """The events waiting (at least one), once there are; None after the last one; an
        empty list when `patience` seconds went by without any.

        Raises:
            Overflowed: some it had not read were dropped.
        """
        while True:
            if events := self.ready():
                return events
            if self._log.is_over:
                return None
            if not await self._log._wait(patience):
                return []

    async def batches(self) -> AsyncIterator[list[BaseEvent]]:
        """Every batch until the run's end."""
        while (events := await self.batch()) is not None:
            yield events


def made_message_ids(events: Sequence[BaseEvent]) -> set[str]:
    """The ids of the messages these events make: a thread read during the run may hold some
    already (a finished step is stored), and a client given both would show them twice."""
    ids: set[str] = set()
    for event in events:
        match event.type:
            case EventType.TEXT_MESSAGE_START | EventType.TOOL_CALL_RESULT:
                ids.add(event.message_id)  # type: ignore[attr-defined]
            case EventType.TOOL_CALL_START:
                if event.parent_message_id:  # type: ignore[attr-defined]
                    ids.add(event.parent_message_id)  # type: ignore[attr-defined]
    return ids
