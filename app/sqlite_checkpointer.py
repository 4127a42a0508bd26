"""SqliteCheckpointer: LangGraph's AsyncSqliteSaver with one database round trip per hot call.

Upstream's `aput` makes 3 trips to aiosqlite's thread (execute, close, commit), `aput_writes`
4 and `aget_tuple` up to 6; with a checkpoint after every step (durability "sync") a backend
action turn made 43 trips, ~2.4 ms of its CPU. These overrides run the same statements,
serialize the same bytes and commit at the same point, each call in one trip (app/sqlite.py).
Every other method, the schema and the setup are upstream's; with `COPILOT_FAST_PATHS=false`
(or without aiosqlite's privates) every call is upstream's own.

What it leans on in langgraph-checkpoint-sqlite beyond the saver's public methods (pyproject
caps the package below its next minor version): `AsyncSqliteSaver._has_task_path` (whether the
writes table has the `task_path` column) and the helpers `pending_writes_sql` and
`load_pending_writes` of `langgraph.checkpoint.sqlite.utils`, which upstream's own `aget_tuple`
uses.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_checkpoint_metadata,
)
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.checkpoint.sqlite.utils import load_pending_writes, pending_writes_sql

from copilot_runtime.app.sqlite import execute_and_commit, in_one_trip, one_trip_available

PUT_CHECKPOINT = (
    "INSERT OR REPLACE INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, "
    "parent_checkpoint_id, type, checkpoint, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_WRITES_COLUMNS = (
    "writes (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, "
    "value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
REPLACE_WRITES = "INSERT OR REPLACE INTO " + _WRITES_COLUMNS
KEEP_WRITES = "INSERT OR IGNORE INTO " + _WRITES_COLUMNS
_COLUMNS = "thread_id, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata"
GET_CHECKPOINT = (
    f"SELECT {_COLUMNS} FROM checkpoints "
    "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"
)
GET_LATEST = (
    f"SELECT {_COLUMNS} FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? "
    "ORDER BY checkpoint_id DESC LIMIT 1"
)

Row = tuple[Any, ...]


class SqliteCheckpointer(AsyncSqliteSaver):
    """AsyncSqliteSaver whose `aget_tuple`, `aput` and `aput_writes` take one trip each."""

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """See AsyncSqliteSaver.aget_tuple: the checkpoint and its pending writes."""
        if not one_trip_available():
            return await super().aget_tuple(config)
        await self.setup()
        checkpoint_ns = config["configurable"].get("checkpoint_ns", "")
        thread_id = str(config["configurable"]["thread_id"])
        checkpoint_id = get_checkpoint_id(config)
        async with self.lock:
            found = await in_one_trip(
                self.conn,
                _checkpoint_and_writes,
                (thread_id, checkpoint_ns, checkpoint_id),
                pending_writes_sql(self._has_task_path),
            )
        if found is None:
            return None
        (row_thread_id, row_id, parent_id, type_, blob, metadata), writes = found
        checkpoint: Checkpoint = self.serde.loads_typed((type_, blob))
        if not checkpoint_id:  # the latest: the config names the checkpoint found
            config = {
                "configurable": {
                    "thread_id": row_thread_id,
                    "checkpoint_ns": checkpoint_ns,
                    "checkpoint_id": row_id,
                }
            }
        parent = {"thread_id": row_thread_id, "checkpoint_ns": checkpoint_ns}
        return CheckpointTuple(
            config,
            checkpoint,
            cast(CheckpointMetadata, json.loads(metadata) if metadata is not None else {}),
            {"configurable": {**parent, "checkpoint_id": parent_id}} if parent_id else None,
            load_pending_writes(writes, self.serde),
        )

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """See AsyncSqliteSaver.aput: store a checkpoint and commit."""
        if not one_trip_available():
            async with self._rolled_back_on_failure():
                return await super().aput(config, checkpoint, metadata, new_versions)
        await self.setup()
        thread_id = config["configurable"]["thread_id"]
        checkpoint_ns = config["configurable"]["checkpoint_ns"]
        type_, serialized_checkpoint = self.serde.dumps_typed(checkpoint)
        serialized_metadata = json.dumps(
            get_checkpoint_metadata(config, metadata), ensure_ascii=False
        ).encode("utf-8", "ignore")
        row = (
            str(thread_id),
            checkpoint_ns,
            checkpoint["id"],
            config["configurable"].get("checkpoint_id"),
            type_,
            serialized_checkpoint,
            serialized_metadata,
        )
        async with self.lock:
            await in_one_trip(self.conn, execute_and_commit, PUT_CHECKPOINT, [row])
        return {
            "configurable": {
                "thread_id": thread_id,
                "checkpoint_ns": checkpoint_ns,
                "checkpoint_id": checkpoint["id"],
            }
        }

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """See AsyncSqliteSaver.aput_writes: store a task's writes and commit."""
        if not one_trip_available():
            async with self._rolled_back_on_failure():
                await super().aput_writes(config, writes, task_id, task_path)
            return
        query = REPLACE_WRITES if all(w[0] in WRITES_IDX_MAP for w in writes) else KEEP_WRITES
        await self.setup()
        configurable = config["configurable"]
        key = (
            str(configurable["thread_id"]),
            str(configurable["checkpoint_ns"]),
            str(configurable["checkpoint_id"]),
        )
        rows = [
            (*key, task_id, task_path, WRITES_IDX_MAP.get(c, i), c, *self.serde.dumps_typed(v))
            for i, (c, v) in enumerate(writes)
        ]
        async with self.lock:
            await in_one_trip(self.conn, execute_and_commit, query, rows)

    async def adelete_thread(self, thread_id: str) -> None:
        """See AsyncSqliteSaver.adelete_thread: forget the thread's checkpoints and writes."""
        async with self._rolled_back_on_failure():
            await super().adelete_thread(thread_id)

    @asynccontextmanager
    async def _rolled_back_on_failure(self) -> AsyncIterator[None]:
        # Upstream's writes take several trips and commit in the last: one that fails (or is
        # cancelled) between them would leave the connection inside its transaction, and the
        # next read would pin a snapshot every later write fails against. The one-trip
        # writes above roll back in execute_and_commit.
        try:
            yield
        except BaseException:
            async with self.lock:
                await asyncio.shield(self.conn.rollback())
            raise


def _checkpoint_and_writes(
    connection: sqlite3.Connection, key: tuple[str, str, str | None], writes_sql: str
) -> tuple[Row, list[Row]] | None:
    """The checkpoint row (the latest when no id is given) and its pending write rows."""
    thread_id, checkpoint_ns, checkpoint_id = key
    if checkpoint_id:
        cursor = connection.execute(GET_CHECKPOINT, (thread_id, checkpoint_ns, checkpoint_id))
    else:
        cursor = connection.execute(GET_LATEST, (thread_id, checkpoint_ns))
    row = cursor.fetchone()
    if row is None:
        cursor.close()
        return None
    written_id = checkpoint_id or row[1]
    writes_of = (thread_id if checkpoint_id else str(row[0]), checkpoint_ns, str(written_id))
    writes = cursor.execute(writes_sql, writes_of).fetchall()
    cursor.close()
    return row, writes
