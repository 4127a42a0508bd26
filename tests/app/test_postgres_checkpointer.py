"""PostgresCheckpointer is LangGraph's AsyncPostgresSaver, building a run's two reads once."""

from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import empty_checkpoint

from copilot_runtime.app.postgres_checkpointer import PostgresCheckpointer
from tests.app.conftest import count_builds
from tests.postgres import DATABASE_URL as PG_URL
from tests.postgres import needs_postgres

pytestmark = needs_postgres


async def test_two_reads_of_the_latest_checkpoint_build_its_messages_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    thread = f"reread-{uuid.uuid4().hex[:8]}"
    config: RunnableConfig = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    messages = [HumanMessage(content="hi", id="u1"), AIMessage(content="hello", id="a1")]
    async with PostgresCheckpointer.from_conn_string(PG_URL) as saver:
        await saver.setup()
        checkpoint = {**empty_checkpoint(), "channel_values": {"messages": messages},
                      "channel_versions": {"messages": "1"}}  # fmt: skip
        await saver.aput(config, checkpoint, {"step": 0}, {"messages": "1"})  # type: ignore[arg-type]
        built = count_builds(saver, monkeypatch)
        try:
            reads = [await saver.aget_tuple(config) for _ in range(3)]
        finally:
            await saver.adelete_thread(thread)
    assert [r.checkpoint["channel_values"]["messages"] if r else None for r in reads] == [
        messages
    ] * 3
    assert len(built) == 2  # the second read took the first one's; the third built again
