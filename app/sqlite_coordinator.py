"""SqliteCoordinator: workers sharing the SQLite file keep one run per thread, and stop reaches
the run's worker; no server besides the file.

A running thread holds a lock on one byte of a file beside the database (`threads.sqlite-runs`,
as SQLite keeps `-wal` and `-shm` files beside it), at an offset drawn from the thread id. The
kernel takes a dead process's locks away, so a crashed worker never leaves a thread busy (as
PostgreSQL's session locks, app/coordination.py). A stop for a run in another worker is a row
in the database's `copilot_stops` table, and a request to relay a run to a follower
(app/run_relay.py) a row of `copilot_follows`; each worker reads the new rows every
STOP_POLL_SECONDS while it has runs, and acts on those of its own runs.

POSIX locks belong to a process, not to a file handle, so a worker's own runs are told apart
by the local set first; and they drop when any handle of the file closes, so the lock file is
opened once, here, and only closed at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
from typing import Any

from copilot_runtime.actions import failure_summary
from copilot_runtime.app.coordination import FollowHandler, LocalCoordinator, StopHandler

logger = logging.getLogger(__name__)

try:
    import fcntl
except ImportError:  # Windows: no POSIX record locks
    HAS_FILE_LOCKS = False
else:
    HAS_FILE_LOCKS = True

STOP_POLL_SECONDS = 0.1
"""How often a worker with runs looks for stops sent to it (the latency of a remote stop)."""
STOP_KEEP_SECONDS = 60.0
"""Stop rows older than this are deleted (every worker has read them long since)."""
LOCK_SUFFIX = "-runs"
_OFFSETS = 2**62
SCHEMA = """
CREATE TABLE IF NOT EXISTS copilot_stops (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    run_id TEXT,
    created_at REAL NOT NULL
)
"""
FOLLOWS_SCHEMA = """
CREATE TABLE IF NOT EXISTS copilot_follows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    created_at REAL NOT NULL
)
"""


def lock_offset(thread_id: str) -> int:
    """The byte of the lock file that stands for `thread_id` (a 62-bit hash: collisions are
    as likely as a run id guessed at random)."""
    digest = hashlib.blake2b(thread_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % _OFFSETS


class SqliteCoordinator:
    """Workers sharing one SQLite file (and one machine)."""

    def __init__(self, local: LocalCoordinator, lock_fd: int, connection: Any) -> None:
        """Use `open_sqlite_coordinator`: `connection` is an aiosqlite one, in autocommit."""
        self._local = local
        self._lock_fd = lock_fd
        self._db = connection
        self._busy: set[str] = set()
        self._polling: asyncio.Task[None] | None = None
        self._seen = 0
        self._seen_follows = 0

    async def listen(self, on_stop: StopHandler, on_follow: FollowHandler | None = None) -> None:
        """Relay stops and follow requests written by other workers to `on_stop` and
        `on_follow` (those written from now on)."""
        await self._db.execute(SCHEMA)
        await self._db.execute(FOLLOWS_SCHEMA)
        rows = await self._db.execute_fetchall("SELECT COALESCE(MAX(id), 0) FROM copilot_stops")
        self._seen = int(next(iter(rows))[0])
        rows = await self._db.execute_fetchall("SELECT COALESCE(MAX(id), 0) FROM copilot_follows")
        self._seen_follows = int(next(iter(rows))[0])
        self._polling = asyncio.create_task(self._poll(on_stop, on_follow))

    async def claim(self, thread_id: str) -> bool:
        """See RunCoordinator: this process first, then the lock every worker sees."""
        if not await self._local.claim(thread_id):
            return False
        if self._lock(thread_id):
            self._busy.add(thread_id)
            return True
        await self._local.release(thread_id)
        return False

    async def release(self, thread_id: str) -> None:
        """See RunCoordinator."""
        if thread_id in self._busy:
            self._busy.discard(thread_id)
            fcntl.lockf(self._lock_fd, fcntl.LOCK_UN, 1, lock_offset(thread_id))
        await self._local.release(thread_id)

    async def stop_elsewhere(self, agent_id: str, thread_id: str, run_id: str | None) -> bool:
        """Write a stop for the worker whose lock holds the thread, if one does."""
        if thread_id in self._busy:
            return False  # the run is ours: the local registry has answered already
        if self._lock(thread_id):  # nobody runs it: let go at once
            fcntl.lockf(self._lock_fd, fcntl.LOCK_UN, 1, lock_offset(thread_id))
            return False
        await self._db.execute(
            "INSERT INTO copilot_stops (agent_id, thread_id, run_id, created_at) "
            "VALUES (?, ?, ?, ?)",
            (agent_id, thread_id, run_id, time.time()),
        )
        return True

    async def follow_elsewhere(self, thread_id: str, stream: str) -> bool:
        """Ask the worker whose lock holds the thread, if one does, to relay its run."""
        if thread_id in self._busy:
            return False
        if self._lock(thread_id):
            fcntl.lockf(self._lock_fd, fcntl.LOCK_UN, 1, lock_offset(thread_id))
            return False
        await self._db.execute(
            "INSERT INTO copilot_follows (thread_id, stream, created_at) VALUES (?, ?, ?)",
            (thread_id, stream, time.time()),
        )
        return True

    def _lock(self, thread_id: str) -> bool:
        try:
            fcntl.lockf(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, lock_offset(thread_id))
        except OSError:
            return False
        return True

    async def _poll(self, on_stop: StopHandler, on_follow: FollowHandler | None) -> None:
        while True:
            await asyncio.sleep(STOP_POLL_SECONDS)
            if not self._busy:
                continue
            try:
                await self._read_stops(on_stop)
                if on_follow is not None:
                    await self._read_follows(on_follow)
            except Exception as error:  # noqa: BLE001  # a bad poll must not end the polling
                logger.warning("could not read stops: %s", failure_summary(error))

    async def _read_stops(self, on_stop: StopHandler) -> None:
        rows = await self._db.execute_fetchall(
            "SELECT id, agent_id, thread_id, run_id FROM copilot_stops WHERE id > ? ORDER BY id",
            (self._seen,),
        )
        for stop_id, agent_id, thread_id, run_id in rows:
            self._seen = max(self._seen, int(stop_id))
            if thread_id in self._busy:
                on_stop(agent_id, thread_id, run_id)
        if rows:
            await self._db.execute(
                "DELETE FROM copilot_stops WHERE created_at < ?",
                (time.time() - STOP_KEEP_SECONDS,),
            )

    async def _read_follows(self, on_follow: FollowHandler) -> None:
        rows = await self._db.execute_fetchall(
            "SELECT id, thread_id, stream FROM copilot_follows WHERE id > ? ORDER BY id",
            (self._seen_follows,),
        )
        for follow_id, thread_id, stream in rows:
            self._seen_follows = max(self._seen_follows, int(follow_id))
            if thread_id in self._busy:
                on_follow(thread_id, stream)
        if rows:
            await self._db.execute(
                "DELETE FROM copilot_follows WHERE created_at < ?",
                (time.time() - STOP_KEEP_SECONDS,),
            )

    async def close(self) -> None:
        """Stop polling; closing the lock file lets go of every lock this process held."""
        if self._polling is not None:
            self._polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._polling
        os.close(self._lock_fd)
        await self._db.close()


async def open_sqlite_coordinator(
    path: str, on_stop: StopHandler, on_follow: FollowHandler | None = None
) -> SqliteCoordinator:
    """Coordinate through the SQLite file at `path` (and its lock file), relaying stops."""
    import aiosqlite

    lock_fd = os.open(path + LOCK_SUFFIX, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        connection = await aiosqlite.connect(path, isolation_level=None)
    except BaseException:
        os.close(lock_fd)
        raise
    coordinator = SqliteCoordinator(LocalCoordinator(), lock_fd, connection)
    try:
        await coordinator.listen(on_stop, on_follow)
    except BaseException:
        await coordinator.close()
        raise
    return coordinator
