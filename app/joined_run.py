"""messages_before_run: what a `connect` to a busy thread sends before the run's events.

The thread may hold some of the run's own messages already (each finished step is stored),
and the run's events make them again, so a client given both would show them twice. What
comes before the events is the thread up to the last message the run was given (its
`anchor`), without any message the run's events make.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ag_ui.core import BaseEvent, Message

from copilot_runtime.app.owned_runs import OVERFLOWED, Batch, followed
from copilot_runtime.app.run_events import Overflowed, made_message_ids
from copilot_runtime.app.run_relay import follow

if TYPE_CHECKING:
    from copilot_runtime.app.server import Server

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LiveRun:
    """A run in progress on a thread, as a `connect` follows it."""

    anchor: Message | None
    known: list[BaseEvent]
    """Its events so far (the start of `batches`)."""
    batches: AsyncIterator[list[BaseEvent]]
    """Every event of the run, from its first to its last."""


async def live_run(server: Server, thread_id: str) -> LiveRun | None:
    """The thread's run in progress, in this worker or (relayed) in another; None when none
    runs, or when its start is no longer kept (COPILOT_RUN_BUFFER_BYTES)."""
    active = server.registry.following(thread_id)
    if active is not None and active.events is not None:
        try:
            reader = active.events.reader()
        except Overflowed:
            logger.warning(OVERFLOWED)
            return None
        known = reader.ready()
        return LiveRun(active.events.anchor, known, followed(known, reader.batches()))
    if server.relay is None:
        return None
    stream = uuid.uuid4().hex
    if not await server.coordinator.follow_elsewhere(thread_id, stream):
        return None
    relayed = await follow(server.relay, stream)
    if relayed is None:
        return None
    return LiveRun(relayed.anchor, [], relayed.batches)


def messages_before_run(
    stored: Sequence[Message], anchor: Message | None, events: Sequence[BaseEvent]
) -> list[Message]:
    """The stored messages the run did not make (`events`: those of the run known so far),
    and its anchor when the thread does not hold it yet (the run has only just started)."""
    ids = [message.id for message in stored]
    if anchor is not None and anchor.id in ids:
        kept = list(stored[: ids.index(anchor.id) + 1])
    else:
        kept = [*stored, anchor] if anchor is not None else list(stored)
    made = made_message_ids(events)
    return [message for message in kept if message.id not in made]


async def replay_then_follow(
    replayed: list[BaseEvent], batches: AsyncIterator[list[BaseEvent]], keepalive_seconds: float
) -> AsyncGenerator[Batch]:
    """The replay as one batch, then the live run's batches, with a keep-alive (None) after
    each `keepalive_seconds` of silence."""
    if replayed:
        yield list(replayed)
    pending = asyncio.ensure_future(anext(batches, None))
    try:
        while True:
            done, _ = await asyncio.wait([pending], timeout=keepalive_seconds)
            if not done:
                yield [None]
                continue
            batch = pending.result()
            if batch is None:
                return
            if batch:
                yield list(batch)
            pending = asyncio.ensure_future(anext(batches, None))
    finally:
        pending.cancel()
        with contextlib.suppress(BaseException):
            await pending
        aclose = getattr(batches, "aclose", None)
        if aclose is not None:
            await aclose()
