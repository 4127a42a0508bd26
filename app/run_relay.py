"""A run's events carried to another worker, through what the deployment already runs.

A `connect` that lands on a worker other than the run's asks that worker (through the run
coordinator, as a stop does) to relay the run. The run's worker then writes the whole run, from
its first event, to a stream of records made for that one follower, and goes on writing as the
run goes on; the follower reads the stream in order. Nothing is written for a run no other
worker follows.

Where the stream lives:
- PostgreSQL, or the SQLite file the workers share: rows of `copilot_run_events`, read by
  polling (every RELAY_POLL_SECONDS while a follower waits).
- Redis, when REDIS_URL is set: a Redis stream per follower, read with a blocking XREAD.

Records are JSON: the first is `{"anchor": message}` (the last message the run was given), then
`{"events": [...]}` batches, then `{"end": "finished" | "overflowed"}`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from ag_ui.core import BaseEvent, Event, Message
from pydantic import TypeAdapter

from copilot_runtime.actions import failure_summary
from copilot_runtime.app.run_events import Overflowed, RunReader
from copilot_runtime.app.settings import MEMORY, Settings

logger = logging.getLogger(__name__)

RELAY_POLL_SECONDS = 0.05
"""How often a follower reads new rows of a SQL relay (the latency it adds per batch)."""
RELAY_KEEP_SECONDS = 600.0
"""Relay records older than this are deleted (a follower that died left them)."""
FIRST_RECORD_SECONDS = 5.0
"""How long a follower waits for the run's worker to answer before it gives up."""
SCHEMA = """
CREATE TABLE IF NOT EXISTS copilot_run_events (
    stream TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (stream, seq)
)
"""
START = "0"
"""The position before a stream's first record."""

_EVENT: TypeAdapter[BaseEvent] = TypeAdapter(Event)
_MESSAGE: TypeAdapter[Message] = TypeAdapter(Message)


class RelayStore(Protocol):
    """Streams of records, appended by one writer and read by one follower."""

    async def append(self, stream: str, seq: int, body: str) -> None:
        """Add the record numbered `seq` (1, 2, ...) to `stream`."""
        ...

    async def read(self, stream: str, after: str, wait: float) -> list[tuple[str, str]]:
        """Records after position `after` (each with its position), waiting up to `wait`
        seconds for one when there is none yet."""
        ...

    async def forget(self, stream: str) -> None:
        """Delete the stream (its follower has read it)."""
        ...


@dataclass(frozen=True, slots=True)
class RelayedRun:
    """What a follower is told of the run before its events."""

    anchor: Message | None
    batches: AsyncIterator[list[BaseEvent]]


async def publish(reader: RunReader, store: RelayStore, stream: str) -> None:
    """Write the run `reader` reads to `stream`, from its first event to its last.

    One write at a time: whatever the run made meanwhile goes into the next one.
    """
    seq = 1
    anchor = reader.log.anchor
    header = {"anchor": anchor.model_dump(mode="json", by_alias=True) if anchor else None}
    await store.append(stream, seq, json.dumps(header))
    end = "finished"
    try:
        async for batch in reader.batches():
            seq += 1
            events = [event.model_dump(mode="json", by_alias=True) for event in batch]
            await store.append(stream, seq, json.dumps({"events": events}))
    except Overflowed:
        end = "overflowed"
    await store.append(stream, seq + 1, json.dumps({"end": end}))


async def follow(
    store: RelayStore, stream: str, *, first_wait: float = FIRST_RECORD_SECONDS
) -> RelayedRun | None:
    """The run relayed to `stream`, or None when its worker did not answer in `first_wait`
    seconds (the run had ended meanwhile: the thread holds all of it)."""
    deadline = time.monotonic() + first_wait
    records: list[tuple[str, str]] = []
    while not records:
        left = deadline - time.monotonic()
        if left <= 0:
            await store.forget(stream)
            return None
        records = await store.read(stream, START, left)
    position, body = records[0]
    anchor = json.loads(body).get("anchor")
    return RelayedRun(
        anchor=_MESSAGE.validate_python(anchor) if anchor is not None else None,
        batches=_batches(store, stream, position, records[1:]),
    )


async def _batches(
    store: RelayStore, stream: str, position: str, records: list[tuple[str, str]]
) -> AsyncIterator[list[BaseEvent]]:
    try:
        while True:
            for _, body in records:
                record = json.loads(body)
                if "end" in record:
                    if record["end"] != "finished":
                        logger.warning("a followed run outgrew COPILOT_RUN_BUFFER_BYTES")
                    return
                yield decoded(record["events"])
            if records:
                position = records[-1][0]
            records = await store.read(stream, position, FIRST_RECORD_SECONDS)
    finally:
        await store.forget(stream)


class SqlRelay:
    """Relay rows in the thread store's database (SQLite or PostgreSQL, same statements)."""

    def __init__(self, database: Any, *, poll_seconds: float = RELAY_POLL_SECONDS) -> None:
        """`database`: the `execute`/`fetch` pair of app/threads.py (`%s` placeholders)."""
        self._db = database
        self._poll = poll_seconds

    async def setup(self) -> None:
        """Create the table, and clear what dead followers left."""
        await self._db.execute(SCHEMA)
        await self._db.execute(
            "DELETE FROM copilot_run_events WHERE created_at < %s",
            (time.time() - RELAY_KEEP_SECONDS,),
        )

    async def append(self, stream: str, seq: int, body: str) -> None:
        """See RelayStore."""
        await self._db.execute(
            "INSERT INTO copilot_run_events (stream, seq, body, created_at) "
            "VALUES (%s, %s, %s, %s)",
            (stream, seq, body, time.time()),
        )

    async def read(self, stream: str, after: str, wait: float) -> list[tuple[str, str]]:
        """See RelayStore: polled."""
        deadline = time.monotonic() + wait
        while True:
            rows = await self._db.fetch(
                "SELECT seq, body FROM copilot_run_events WHERE stream = %s AND seq > %s "
                "ORDER BY seq",
                (stream, int(after)),
            )
            if rows or time.monotonic() >= deadline:
                return [(str(seq), body) for seq, body in rows]
            await asyncio.sleep(self._poll)

    async def forget(self, stream: str) -> None:
        """See RelayStore."""
        await self._db.execute("DELETE FROM copilot_run_events WHERE stream = %s", (stream,))


class RedisRelay:
    """Relay streams in Redis (XADD / XREAD BLOCK), under `prefix`."""

    def __init__(self, client: Any, prefix: str) -> None:
        """`client`: a redis.asyncio client (decoded responses)."""
        self._redis = client
        self._prefix = prefix

    def _key(self, stream: str) -> str:
        return f"{self._prefix}run-events:{stream}"

    async def append(self, stream: str, seq: int, body: str) -> None:
        """See RelayStore (the stream expires if nobody reads it)."""
        key = self._key(stream)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xadd(key, {"body": body})
            pipe.expire(key, int(RELAY_KEEP_SECONDS))
            await pipe.execute()

    async def read(self, stream: str, after: str, wait: float) -> list[tuple[str, str]]:
        """See RelayStore: a blocking read."""
        answer = await self._redis.xread({self._key(stream): after}, block=max(1, int(wait * 1000)))
        return [(entry_id, fields["body"]) for _, entries in answer for entry_id, fields in entries]

    async def forget(self, stream: str) -> None:
        """See RelayStore."""
        await self._redis.delete(self._key(stream))


@asynccontextmanager
async def open_relay(settings: Settings) -> AsyncIterator[RelayStore | None]:
    """The relay the settings call for: Redis when REDIS_URL is set, else the thread store's
    database; None for an in-memory store (no other worker can share it)."""
    if settings.redis_url:
        import redis.asyncio as redis

        client = redis.from_url(settings.redis_url, decode_responses=True)
        try:
            yield RedisRelay(client, settings.redis_prefix)
        finally:
            await client.aclose()
        return
    if settings.threads_path == MEMORY and not settings.database_url:
        yield None
        return
    from copilot_runtime.app.threads import open_database

    async with open_database(settings, pool_size=2, synchronous=False) as database:
        relay = SqlRelay(database)
        await relay.setup()
        yield relay


async def relay_safely(reader: RunReader, store: RelayStore, stream: str) -> None:
    """`publish`, logging what fails (the follower gives up on its own)."""
    try:
        await publish(reader, store, stream)
    except Exception as error:  # noqa: BLE001  # the store failed: the run itself goes on
        logger.warning("could not relay a run to another worker: %s", failure_summary(error))


def decoded(events: Sequence[dict[str, Any]]) -> list[BaseEvent]:
    """Events from their JSON form."""
    return [_EVENT.validate_python(event) for event in events]
