"""open_checkpointer: LangGraph's savers: SQLite file (default), PostgreSQL, or memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

from copilot_runtime.app.settings import MEMORY, Settings
from copilot_runtime.app.sqlite import set_synchronous


@asynccontextmanager
async def open_checkpointer(settings: Settings) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """Open (and set up the schema of) the configured saver for the server's lifetime."""
    if settings.database_url and settings.database_url.startswith(("postgres://", "postgresql")):
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        async with AsyncPostgresSaver.from_conn_string(settings.database_url) as saver:
            await saver.setup()
            yield saver
    elif settings.threads_path == MEMORY:
        yield InMemorySaver()
    else:
        from copilot_runtime.app.sqlite_checkpointer import SqliteCheckpointer

        Path(settings.threads_path).parent.mkdir(parents=True, exist_ok=True)
        # LangGraph's AsyncSqliteSaver, with fewer trips to its database thread (a speed path).
        async with SqliteCheckpointer.from_conn_string(settings.threads_path) as saver:
            await saver.setup()
            await set_synchronous(saver.conn, settings.sqlite_synchronous)
            yield saver
