"""SqliteCheckpointer writes the rows and reads the tuples AsyncSqliteSaver does."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Literal

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import CheckpointTuple, empty_checkpoint
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from pydantic import ValidationError

from copilot_runtime.app.checkpoints import open_checkpointer
from copilot_runtime.app.settings import Settings
from copilot_runtime.app.sqlite_checkpointer import SqliteCheckpointer
from copilot_runtime.app.threads import open_thread_store

TABLES = {
    "checkpoints": "thread_id, checkpoint_ns, checkpoint_id",
    "writes": "thread_id, checkpoint_ns, checkpoint_id, task_id, idx",
}


def config(thread: str, ns: str = "", checkpoint_id: str | None = None) -> RunnableConfig:
    configurable: dict[str, Any] = {"thread_id": thread, "checkpoint_ns": ns}
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


def checkpoint(checkpoint_id: str, messages: list[Any]) -> Any:
    value = empty_checkpoint()
    return {**value, "id": checkpoint_id, "ts": "2026-11-24T00:00:00+00:00",
            "channel_values": {"messages": messages}}  # fmt: skip


async def writes_and_reads(saver: AsyncSqliteSaver) -> list[CheckpointTuple | None]:
    """The same operations on any saver; what its reads returned."""
    hello = [HumanMessage(content="hi", id="u1")]
    answer = [*hello, AIMessage(content="hello ✓", id="a1")]
    await saver.aput(config("t1"), checkpoint("01", hello), {"source": "input", "step": -1}, {})
    await saver.aput_writes(config("t1", checkpoint_id="01"), [("messages", answer)], "task-a", "p")
    await saver.aput_writes(config("t1", checkpoint_id="01"), [("messages", [])], "task-a", "p")
    await saver.aput_writes(config("t1", checkpoint_id="01"), [("__error__", "boom")], "task-b")
    await saver.aput_writes(config("t1", checkpoint_id="01"), [("__error__", "again")], "task-b")
    await saver.aput_writes(config("t1", checkpoint_id="01"), [], "task-c")
    await saver.aput(
        config("t1", checkpoint_id="01"),
        checkpoint("02", answer),
        {"step": 0, "parents": {"": "é"}},
        {},
    )
    await saver.aput(config("t1", "sub"), checkpoint("03", []), {"step": 1}, {})
    await saver.aput(config("t2"), checkpoint("04", hello), {}, {})
    reads: list[RunnableConfig] = [
        config("t1"),
        config("t1", checkpoint_id="01"),
        config("t1", checkpoint_id="02"),
        config("t1", "sub"),
        config("t2"),
        config("unknown"),
        config("t1", checkpoint_id="missing"),
        {"configurable": {"thread_id": "t1"}},
    ]
    return [await saver.aget_tuple(read) for read in reads]


def rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as connection:
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
            for table, order in TABLES.items()
        }


async def test_checkpointer_stores_and_reads_what_async_sqlite_saver_does(tmp_path: Path) -> None:
    results = []
    for cls, name in ((AsyncSqliteSaver, "upstream.sqlite"), (SqliteCheckpointer, "ours.sqlite")):
        async with cls.from_conn_string(str(tmp_path / name)) as saver:
            results.append(await writes_and_reads(saver))
    assert results[0] == results[1]
    assert results[1][1] is not None
    assert len(results[1][1].pending_writes or []) == 2
    assert rows(tmp_path / "upstream.sqlite") == rows(tmp_path / "ours.sqlite")


async def test_checkpointer_reads_what_async_sqlite_saver_wrote(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    async with AsyncSqliteSaver.from_conn_string(path) as upstream:
        written = await writes_and_reads(upstream)
    async with SqliteCheckpointer.from_conn_string(path) as ours:
        read = [await ours.aget_tuple(t.config) if t else None for t in written]
    assert read == written


async def test_checkpointer_is_upstreams_own_when_fast_paths_are_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPILOT_FAST_PATHS", "false")
    results = []
    for cls, name in ((AsyncSqliteSaver, "upstream.sqlite"), (SqliteCheckpointer, "ours.sqlite")):
        async with cls.from_conn_string(str(tmp_path / name)) as saver:
            results.append(await writes_and_reads(saver))
    assert results[0] == results[1]
    assert rows(tmp_path / "upstream.sqlite") == rows(tmp_path / "ours.sqlite")


@pytest.mark.parametrize(("level", "pragma"), [(None, 1), ("normal", 1), ("full", 2)])
async def test_server_commits_wait_for_the_disk_as_configured(
    tmp_path: Path, level: Literal["normal", "full"] | None, pragma: int
) -> None:
    path = str(tmp_path / "threads.sqlite")
    settings = (
        Settings(threads_path=path)
        if level is None
        else Settings(threads_path=path, sqlite_synchronous=level)
    )
    async with open_checkpointer(settings) as saver, open_thread_store(settings) as store:
        assert isinstance(saver, SqliteCheckpointer)
        connections = [saver.conn, store._db._connection]  # type: ignore[attr-defined]
        for connection in connections:
            async with connection.execute("PRAGMA synchronous") as cursor:
                assert await cursor.fetchone() == (pragma,)  # 1: NORMAL, 2: FULL
    with pytest.raises(ValidationError):
        Settings.model_validate({"sqlite_synchronous": "off"})
