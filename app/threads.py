"""ThreadStore: thread metadata (owner, name, archived, times) beside LangGraph's checkpoints.

Checkpointers keep a thread's state but no list of threads; this small table gives the thread
endpoints their list, names and archive flag, in the same database as the checkpoints.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from copilot_runtime.app.body import storable
from copilot_runtime.app.settings import MEMORY, Settings
from copilot_runtime.app.sqlite import (
    execute_and_commit,
    in_one_trip,
    one_trip_available,
    rolled_back_on_failure,
    set_synchronous,
)

NAME_LENGTH = 60
SCHEMA = """
CREATE TABLE IF NOT EXISTS copilot_threads (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    name TEXT,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""
INDEX = """
CREATE INDEX IF NOT EXISTS copilot_threads_listing
    ON copilot_threads (agent_id, owner, updated_at DESC, id DESC)
"""
COLUMNS = "id, agent_id, owner, name, archived, created_at, updated_at"


@dataclass(frozen=True, slots=True)
class ThreadRecord:
    """One thread's metadata."""

    id: str
    agent_id: str
    owner: str
    name: str | None
    archived: bool
    created_at: str
    updated_at: str

    def belongs_to(self, owner: str, agent_id: str) -> bool:
        """Whether this is `owner`'s thread with `agent_id`; anyone else gets "not found"."""
        return self.owner == owner and self.agent_id == agent_id

    def as_json(self) -> dict[str, Any]:
        """The ThreadRecord shape @copilotkit/core reads."""
        return {
            "id": self.id,
            "organizationId": "",
            "agentId": self.agent_id,
            "createdById": self.owner,
            "name": self.name,
            "archived": self.archived,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "lastRunAt": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class ThreadPage:
    """A page of threads, newest activity first, and the cursor of the next page."""

    threads: list[ThreadRecord]
    next_cursor: str | None


def now() -> str:
    """UTC ISO-8601 with a fixed width, so text order is time order."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Database(Protocol):
    """The two calls the store needs; SQL is written with %s placeholders."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run a statement."""
        ...

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query."""
        ...


class ThreadStore:
    """Thread metadata in SQL (SQLite or PostgreSQL, same statements)."""

    def __init__(self, database: Database) -> None:
        """Wrap an open database; call `setup()` once."""
        self._db = database

    async def setup(self) -> None:
        """Create the table if it is missing."""
        await self._db.execute(SCHEMA)
        await self._db.execute(INDEX)

    async def record_run(self, thread_id: str, agent_id: str, owner: str, title: str) -> None:
        """A run starts: create the thread (named after its first message), or touch it when
        it is `owner`'s with `agent_id`; anyone else's is left as it is."""
        stamp = now()
        name = " ".join(title.split())[:NAME_LENGTH] or None
        await self._db.execute(
            f"INSERT INTO copilot_threads ({COLUMNS}) VALUES (%s, %s, %s, %s, FALSE, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET updated_at = EXCLUDED.updated_at "
            "WHERE copilot_threads.owner = EXCLUDED.owner "
            "AND copilot_threads.agent_id = EXCLUDED.agent_id",
            (thread_id, agent_id, owner, name, stamp, stamp),
        )

    async def get(self, thread_id: str) -> ThreadRecord | None:
        """The thread, if it exists."""
        rows = await self._db.fetch(
            f"SELECT {COLUMNS} FROM copilot_threads WHERE id = %s", (thread_id,)
        )
        return _record(rows[0]) if rows else None

    async def page(
        self, agent_id: str, owner: str, *, include_archived: bool, limit: int, cursor: str | None
    ) -> ThreadPage:
        """Threads of one owner and agent, newest activity first, by keyset pagination."""
        where = ["agent_id = %s", "owner = %s"]
        params: list[Any] = [agent_id, owner]
        if not include_archived:
            where.append("archived = FALSE")
        if cursor:
            updated_at, last_id = decode_cursor(cursor)
            where.append("(updated_at < %s OR (updated_at = %s AND id < %s))")
            params += [updated_at, updated_at, last_id]
        rows = await self._db.fetch(
            f"SELECT {COLUMNS} FROM copilot_threads WHERE {' AND '.join(where)} "
            "ORDER BY updated_at DESC, id DESC LIMIT %s",
            (*params, limit + 1),
        )
        threads = [_record(row) for row in rows[:limit]]
        more = len(rows) > limit
        return ThreadPage(threads, encode_cursor(threads[-1]) if more and threads else None)

    async def update(
        self, record: ThreadRecord, *, name: str | None = None, archived: bool | None = None
    ) -> ThreadRecord:
        """Rename and/or (un)archive."""
        changed = replace(
            record,
            name=record.name if name is None else name,
            archived=record.archived if archived is None else archived,
            updated_at=now(),
        )
        await self._db.execute(
            "UPDATE copilot_threads SET name = %s, archived = %s, updated_at = %s WHERE id = %s",
            (changed.name, changed.archived, changed.updated_at, record.id),
        )
        return changed

    async def delete(self, thread_id: str) -> None:
        """Forget the thread's metadata."""
        await self._db.execute("DELETE FROM copilot_threads WHERE id = %s", (thread_id,))


def _record(row: tuple[Any, ...]) -> ThreadRecord:
    thread_id, agent_id, owner, name, archived, created_at, updated_at = row
    return ThreadRecord(
        id=thread_id,
        agent_id=agent_id,
        owner=owner,
        name=name,
        archived=bool(archived),
        created_at=created_at,
        updated_at=updated_at,
    )


def encode_cursor(record: ThreadRecord) -> str:
    """An opaque cursor after `record`."""
    return base64.urlsafe_b64encode(json.dumps([record.updated_at, record.id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    """The position a cursor names; ValueError when it was not made by encode_cursor."""
    try:
        updated_at, thread_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, json.JSONDecodeError, TypeError, ValueError) as error:
        raise ValueError("invalid cursor") from error
    # A forged cursor must not reach the database.
    if not (isinstance(updated_at, str) and isinstance(thread_id, str)):
        raise ValueError("invalid cursor")
    if not (storable(updated_at) and storable(thread_id)):
        raise ValueError("invalid cursor")
    return updated_at, thread_id


class SqliteDatabase:
    """The Database calls on an aiosqlite connection."""

    # One trip to aiosqlite's thread per statement instead of two (app/sqlite.py).
    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        statement = sql.replace("%s", "?")
        if one_trip_available():
            await in_one_trip(self._connection, execute_and_commit, statement, [tuple(params)])
            return
        async with rolled_back_on_failure(self._connection):
            await self._connection.execute(statement, tuple(params))
            await self._connection.commit()

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        rows = await self._connection.execute_fetchall(sql.replace("%s", "?"), tuple(params))
        return [tuple(row) for row in rows]


class PostgresDatabase:
    """The Database calls on a psycopg pool (autocommit connections)."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        async with self._pool.connection() as connection:
            await connection.execute(sql, tuple(params))

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async with self._pool.connection() as connection:
            cursor = await connection.execute(sql, tuple(params))
            return [tuple(row) for row in await cursor.fetchall()]


@asynccontextmanager
async def open_database(
    settings: Settings, *, pool_size: int, synchronous: bool
) -> AsyncIterator[Database]:
    """The database the thread store lives in: PostgreSQL when DATABASE_URL is set, else the
    SQLite file (in memory for ":memory:"). `synchronous` applies COPILOT_SQLITE_SYNCHRONOUS to
    a SQLite connection; `pool_size` bounds PostgreSQL's connections."""
    if settings.database_url:
        from psycopg_pool import AsyncConnectionPool

        pool = AsyncConnectionPool(
            settings.database_url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            open=False,
        )
        async with pool:
            yield PostgresDatabase(pool)
        return
    import aiosqlite

    path = settings.threads_path
    if path != MEMORY:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(path) as connection:
        if synchronous:
            await set_synchronous(connection, settings.sqlite_synchronous)
        yield SqliteDatabase(connection)


@asynccontextmanager
async def open_thread_store(settings: Settings) -> AsyncIterator[ThreadStore]:
    """The store in the same database as the checkpoints (an in-memory SQLite for ":memory:")."""
    async with open_database(settings, pool_size=4, synchronous=True) as database:
        store = ThreadStore(database)
        await store.setup()
        yield store
