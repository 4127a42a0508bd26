"""SQLite connections, and the only module that touches aiosqlite's private parts.

`set_synchronous` says when a commit waits for the disk (public API). `in_one_trip` runs a
function on an aiosqlite connection's own thread in one round trip: aiosqlite sends every call
(execute, fetch, commit, closing a cursor) to the thread that owns the sqlite3 connection and
waits for the answer, about 56 µs of CPU per call whatever the statement costs, and a function
that executes, fetches and commits does all of it in one trip, with the same statements and the
same transaction. A speed path (graphs/fast_paths.py).

Private names of aiosqlite (pyproject caps aiosqlite below its next minor version):
- `Connection._execute(fn, *args)`: runs `fn` on the connection's thread (its work queue);
- `Connection._conn`: the sqlite3 connection that thread owns.
Without them, or with `COPILOT_FAST_PATHS=false`, callers take the public calls.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import aiosqlite

from copilot_runtime.graphs.fast_paths import fast_paths_enabled

T = TypeVar("T")

_HAS_PRIVATES = callable(getattr(aiosqlite.Connection, "_execute", None)) and isinstance(
    getattr(aiosqlite.Connection, "_conn", None), property
)


def one_trip_available() -> bool:
    """Whether `in_one_trip` may be used: the speed paths are on and aiosqlite has its privates."""
    return _HAS_PRIVATES and fast_paths_enabled()


async def set_synchronous(connection: aiosqlite.Connection, level: str) -> None:
    """Set the connection's `PRAGMA synchronous` ("normal" or "full"; it is per connection)."""
    if level not in ("normal", "full"):
        raise ValueError(f"synchronous is 'normal' or 'full', not {level!r}")
    cursor = await connection.execute(f"PRAGMA synchronous={level.upper()}")
    await cursor.close()


async def in_one_trip(connection: aiosqlite.Connection, fn: Callable[..., T], *args: Any) -> T:
    """`fn(sqlite3_connection, *args)`, run on the connection's thread (needs
    `one_trip_available()`)."""
    raw: sqlite3.Connection = connection._conn
    result: T = await connection._execute(fn, raw, *args)  # type: ignore[no-untyped-call]  # private
    return result


def execute_and_commit(
    connection: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]
) -> None:
    """`sql` for each row, then a commit; a failure rolls everything back."""
    try:
        if len(rows) == 1:
            connection.execute(sql, rows[0])  # any statement, DDL included
        else:
            connection.executemany(sql, rows)
        connection.commit()
    except BaseException:
        # sqlite3 opens the transaction before it binds the values (a lone surrogate fails
        # there): left open, the connection's next read would hold a snapshot that every
        # later write fails against ("database is locked"), until the process restarts.
        connection.rollback()
        raise


@asynccontextmanager
async def rolled_back_on_failure(connection: aiosqlite.Connection) -> AsyncIterator[None]:
    """Roll the connection's transaction back if the block fails (see execute_and_commit)."""
    try:
        yield
    except BaseException:
        # Queued even when the block was cancelled: aiosqlite runs it after what is under way.
        await asyncio.shield(connection.rollback())
        raise
