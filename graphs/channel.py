"""EventChannel: items from the tasks that make them to the one task that reads them.

A run's events are made in its graph's task (model tokens, from inside the model call, and
node updates) and read in another. A channel is a list and one future: `put` never waits, and
the reader takes everything that is waiting at once, so a fast producer's events leave in one
write instead of one task wake-up each.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Sequence
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


class EventSink(Protocol[T_contra]):
    """Where a producer puts what it makes (an EventChannel)."""

    def put(self, items: Sequence[T_contra]) -> None:
        """Hand items over, in order; never waits."""
        ...

    def close(self, *_: object) -> None:
        """Nothing more will come."""
        ...


class EventChannel(Generic[T]):
    """Items in the order they were put, for one reader; `close` ends it once drained."""

    __slots__ = ("_closed", "_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[T] = []
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False

    def put(self, items: Sequence[T]) -> None:
        """Append items (from any task of this loop) and wake the reader."""
        if items:
            self._items += items
            self._wake()

    def close(self, *_: object) -> None:
        """No more items will come (usable as a task's done callback)."""
        self._closed = True
        self._wake()

    def discard(self) -> None:
        """Drop what is waiting (what is put next jumps the queue)."""
        self._items = []

    @property
    def is_drained(self) -> bool:
        """Closed, and every item taken."""
        return self._closed and not self._items

    async def wait(self) -> None:
        """Until an item is waiting or the channel is closed."""
        while not self._items and not self._closed:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def take(self) -> list[T] | None:
        """Every item waiting (at least one), or None once closed and drained."""
        if not self._items:
            await self.wait()
            if not self._items:
                return None
        items, self._items = self._items, []
        return items

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


def fill(channel: EventSink[T], producer: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    """Run `producer` (which puts into `channel`) in a task of its own; the channel is closed
    when the task ends, however it ends."""
    task = asyncio.create_task(producer)
    task.add_done_callback(channel.close)
    return task


Launch = Callable[[EventChannel[T]], Awaitable[asyncio.Task[None]]]
"""Starts a producer task that fills the channel it is given and closes it when done."""


async def launched(launch: Launch[T]) -> AsyncGenerator[T]:
    """What the producer `launch` starts puts into a new channel, one item at a time.

    `launch` runs at the first `anext()`, so what it raises is raised there. Once the channel
    is closed and drained, the producer's failure (if any) is raised; closing this generator
    early cancels the producer and waits until it has stopped.
    """
    channel: EventChannel[T] = EventChannel()
    producer = await launch(channel)
    try:
        while (items := await channel.take()) is not None:
            for item in items:
                yield item
        await producer  # done by now: raises what ended it, if anything did
    finally:
        await stop_task(producer)


async def stop_task(task: asyncio.Task[None]) -> None:
    """Cancel `task` unless it is done, and wait until it is (its outcome is retrieved)."""
    if not task.done():
        task.cancel()
        await asyncio.wait([task])
    if not task.cancelled():
        task.exception()  # retrieved; whoever needed it has read it from the task already
