"""OwnedRuns: the runs this worker drives, whoever follows them.

A run is read into its RunEvents log by a task of the server (`drive`), not by the response
that asked for it; the responses (the client that started it, a `connect`, a relay to another
worker) are readers of that log. So a run goes on when its client goes away (unless
COPILOT_ON_DISCONNECT=cancel), and shutdown can let runs finish, then stop the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Sequence

from ag_ui.core import BaseEvent, RunErrorEvent, RunFinishedEvent

from copilot_runtime.app.run_events import Overflowed, RunEvents, RunReader
from copilot_runtime.app.run_relay import RelayStore, relay_safely
from copilot_runtime.app.runs import ActiveRun, RunRegistry

logger = logging.getLogger(__name__)

Batch = list[BaseEvent | None]
"""Events (None marks a keep-alive) that were ready together, in order."""
STOP_WAIT_SECONDS = 10.0
"""At shutdown, how long stopped runs may take to wind down before they are cancelled."""
_ENDINGS = (RunFinishedEvent, RunErrorEvent)
OVERFLOWED = "a client fell behind its run by more than COPILOT_RUN_BUFFER_BYTES; its stream ends"


async def drive(batches: AsyncGenerator[Batch], log: RunEvents) -> None:
    """Read the run's batches into its log until the run is over.

    The batch with the run's last event is held back until `batches` has ended, that is until
    the run's thread is free again: a client that has seen the end can start the next run on
    the thread at once. Keep-alives are left out; each reader makes its own.
    """
    held: list[BaseEvent] = []
    try:
        async for batch in batches:
            events = [event for event in batch if event is not None]
            if held or any(isinstance(event, _ENDINGS) for event in events):
                held += events
            elif events:
                log.append(events)
    finally:
        try:
            await batches.aclose()  # a cancelled drive stops the run, as a stop would end it
        finally:
            log.append(held)
            log.end()


async def followed(
    events: Sequence[BaseEvent], batches: AsyncIterator[list[BaseEvent]]
) -> AsyncIterator[list[BaseEvent]]:
    """`events` (read already) as a first batch, then `batches`."""
    if events:
        yield list(events)
    async for batch in batches:
        yield batch


async def with_keepalives(reader: RunReader, keepalive_seconds: float) -> AsyncGenerator[Batch]:
    """What a response sends of a run it follows: its batches, and None after a silence."""
    try:
        while (events := await reader.batch(keepalive_seconds)) is not None:
            yield list(events) if events else [None]
    except Overflowed:
        logger.warning(OVERFLOWED)


class OwnedRuns:
    """The driving tasks of this worker's runs, and the relays to other workers' followers."""

    def __init__(self) -> None:
        """Nothing runs yet."""
        self._drivers: set[asyncio.Task[None]] = set()
        self._relays: set[asyncio.Task[None]] = set()

    def start(self, active: ActiveRun, batches: AsyncGenerator[Batch], max_bytes: int) -> None:
        """Drive the run into `active.events` (created here) from now until it is over."""
        log = active.events
        if log is None:
            log = active.events = RunEvents(max_bytes)
        task = asyncio.create_task(drive(batches, log))
        active.driver = task
        self._drivers.add(task)
        task.add_done_callback(self._drivers.discard)

    def relay(
        self, registry: RunRegistry, store: RelayStore | None, thread_id: str, stream: str
    ) -> None:
        """Relay the thread's run, if it runs here, to another worker's follower."""
        active = registry.following(thread_id)
        if active is None or active.events is None or store is None:
            return
        try:
            reader = active.events.reader()
        except Overflowed:
            logger.warning(OVERFLOWED)
            return  # the follower gives up waiting and shows the stored thread
        task = asyncio.create_task(relay_safely(reader, store, stream))
        self._relays.add(task)
        task.add_done_callback(self._relays.discard)

    async def shut_down(self, registry: RunRegistry, grace_seconds: float) -> None:
        """Let the runs finish within `grace_seconds`, then stop the others as /stop would."""
        if self._drivers:
            logger.info(
                "waiting up to %ss for %d run(s) to finish", grace_seconds, len(self._drivers)
            )
            await asyncio.wait(set(self._drivers), timeout=grace_seconds)
        if self._drivers:
            for active in registry.all():
                active.stopped.set()
            await asyncio.wait(set(self._drivers), timeout=STOP_WAIT_SECONDS)
        for task in [*self._drivers, *self._relays]:
            task.cancel()
        for task in [*self._drivers, *self._relays]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
