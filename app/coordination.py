"""Run coordination across worker processes: one run per thread, and stop from any worker.

In one process an in-memory set is enough. Workers sharing PostgreSQL coordinate through it,
with no other broker: a session advisory lock per running thread (released by PostgreSQL itself
if the worker dies, so a crash never leaves a thread busy) and LISTEN/NOTIFY to carry a stop,
or a request to relay the run to a follower (app/run_relay.py), to the worker running it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any, Protocol

from copilot_runtime.actions import failure_summary

logger = logging.getLogger(__name__)

StopHandler = Callable[[str, str, str | None], bool]
"""(agent_id, thread_id, run_id) -> whether a run was stopped here."""
FollowHandler = Callable[[str, str], None]
"""(thread_id, stream) -> relay the thread's run, if it runs here, to the relay `stream`."""
STOP_CHANNEL = "copilot_runtime_stop"
FOLLOW_CHANNEL = "copilot_runtime_follow"


def _ignore_follow(thread_id: str, stream: str) -> None:
    """No relay to write to: a follower gives up after its wait."""


class RunCoordinator(Protocol):
    """Claims threads for runs and relays stops between workers."""

    async def claim(self, thread_id: str) -> bool:
        """Mark the thread busy; False when a run is already streaming on it anywhere."""
        ...

    async def release(self, thread_id: str) -> None:
        """The thread's run ended."""
        ...

    async def stop_elsewhere(self, agent_id: str, thread_id: str, run_id: str | None) -> bool:
        """Ask other workers to stop the thread's run; True if one is running somewhere."""
        ...

    async def follow_elsewhere(self, thread_id: str, stream: str) -> bool:
        """Ask the worker running the thread to relay its run to `stream`; False when no
        other worker runs it."""
        ...

    async def close(self) -> None:
        """Let go of connections."""
        ...


class LocalCoordinator:
    """One process: busy threads are a set; there is nobody else to ask."""

    def __init__(self) -> None:
        """No shared state outside this object."""
        self._busy: set[str] = set()

    async def claim(self, thread_id: str) -> bool:
        """See RunCoordinator."""
        if thread_id in self._busy:
            return False
        self._busy.add(thread_id)
        return True

    async def release(self, thread_id: str) -> None:
        """See RunCoordinator."""
        self._busy.discard(thread_id)

    async def stop_elsewhere(self, agent_id: str, thread_id: str, run_id: str | None) -> bool:
        """See RunCoordinator."""
        return False

    async def follow_elsewhere(self, thread_id: str, stream: str) -> bool:
        """See RunCoordinator."""
        return False

    async def close(self) -> None:
        """See RunCoordinator."""


class PostgresCoordinator:
    """Workers sharing one PostgreSQL database."""

    def __init__(self, local: LocalCoordinator, locks: Any, listener: Any) -> None:
        """Use `open_postgres_coordinator`; `locks` and `listener` are autocommit connections."""
        self._local = local
        self._locks = locks
        self._locks_guard = asyncio.Lock()  # one query at a time on the lock connection
        self._listener = listener
        self._listening: asyncio.Task[None] | None = None

    async def listen(self, on_stop: StopHandler, on_follow: FollowHandler = _ignore_follow) -> None:
        """Relay stops and follow requests from other workers to `on_stop` and `on_follow`
        (subscribed before this returns)."""
        await self._listener.execute(f"LISTEN {STOP_CHANNEL}")
        await self._listener.execute(f"LISTEN {FOLLOW_CHANNEL}")
        self._listening = asyncio.create_task(self._relay(on_stop, on_follow))

    async def _relay(self, on_stop: StopHandler, on_follow: FollowHandler) -> None:
        async for notice in self._listener.notifies():
            try:
                message = json.loads(notice.payload)
                if notice.channel == FOLLOW_CHANNEL:
                    on_follow(message["threadId"], message["stream"])
                else:
                    on_stop(message["agentId"], message["threadId"], message.get("runId"))
            except (ValueError, KeyError, TypeError) as error:
                logger.warning("ignored a malformed notice: %s", failure_summary(error))

    async def claim(self, thread_id: str) -> bool:
        """Local first (a session may take its own advisory lock twice), then PostgreSQL."""
        if not await self._local.claim(thread_id):
            return False
        if await self._lock_query(
            "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", thread_id
        ):
            return True
        await self._local.release(thread_id)
        return False

    async def release(self, thread_id: str) -> None:
        """See RunCoordinator."""
        await self._lock_query("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", thread_id)
        await self._local.release(thread_id)

    async def stop_elsewhere(self, agent_id: str, thread_id: str, run_id: str | None) -> bool:
        """Notify every worker; the one streaming the run ends it within a round trip."""
        payload = json.dumps({"agentId": agent_id, "threadId": thread_id, "runId": run_id})
        return await self._notify_runner(thread_id, STOP_CHANNEL, payload)

    async def follow_elsewhere(self, thread_id: str, stream: str) -> bool:
        """Notify every worker; the one running the thread starts relaying it."""
        payload = json.dumps({"threadId": thread_id, "stream": stream})
        return await self._notify_runner(thread_id, FOLLOW_CHANNEL, payload)

    async def _notify_runner(self, thread_id: str, channel: str, payload: str) -> bool:
        running = not await self._lock_query(
            "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", thread_id
        )
        if not running:
            await self._lock_query("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", thread_id)
            return False
        await self._lock_query("SELECT pg_notify(%s, %s) IS NULL", channel, payload)
        return True

    async def _lock_query(self, query: str, *params: str) -> bool:
        async with self._locks_guard:
            cursor = await self._locks.execute(query, params)
            row = await cursor.fetchone()
        return bool(row and row[0])

    async def close(self) -> None:
        """Stop listening; closing the lock connection releases every lock it held."""
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
        await self._listener.close()
        await self._locks.close()


async def open_postgres_coordinator(
    database_url: str, on_stop: StopHandler, on_follow: FollowHandler = _ignore_follow
) -> PostgresCoordinator:
    """Connect (two connections per worker, whatever the number of runs) and start listening."""
    import psycopg

    locks = await psycopg.AsyncConnection.connect(database_url, autocommit=True)
    listener = await psycopg.AsyncConnection.connect(database_url, autocommit=True)
    coordinator = PostgresCoordinator(LocalCoordinator(), locks, listener)
    await coordinator.listen(on_stop, on_follow)
    return coordinator
