"""A write that fails leaves the thread store and the checkpointer as they were, for every run
after it: on SQLite (a lone surrogate fails there) and on PostgreSQL (a NUL fails there)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver, empty_checkpoint

from copilot_runtime.actions import ActionContext
from copilot_runtime.app.checkpoints import open_checkpointer
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.app.settings import Settings
from copilot_runtime.app.threads import ThreadStore, open_thread_store
from tests.app.conftest import BASE, body, run_events, serve

PG_URL = os.environ.get("COPILOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class Backend:
    name: str
    unstorable: str
    """Text that this database refuses to store."""

    def settings(self, tmp_path: Path) -> dict[str, Any]:
        if self.name == "postgres":
            return {"database_url": PG_URL}
        return {"threads_path": str(tmp_path / "threads.sqlite")}


BACKENDS = [Backend("sqlite", "a\ud800b"), Backend("postgres", "a\x00b")]


@pytest.fixture(params=BACKENDS, ids=lambda backend: backend.name)
def backend(request: pytest.FixtureRequest) -> Backend:
    chosen: Backend = request.param
    return chosen


@asynccontextmanager
async def opened(
    backend: Backend, tmp_path: Path
) -> AsyncIterator[tuple[BaseCheckpointSaver[Any], ThreadStore]]:
    settings = Settings(**backend.settings(tmp_path))
    async with open_checkpointer(settings) as saver, open_thread_store(settings) as store:
        yield saver, store


def config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}


def new_thread() -> str:
    return f"fail-{uuid.uuid4().hex[:10]}"


async def test_thread_store_writes_go_on_after_one_fails(backend: Backend, tmp_path: Path) -> None:
    thread, other = new_thread(), new_thread()
    async with opened(backend, tmp_path) as (saver, store):
        with pytest.raises(Exception):  # noqa: B017, PT011  # the database's own error
            await store.record_run(thread, "default", backend.unstorable, "title")
        # What the next requests do: read the store, write another thread's checkpoint, then
        # write the store again. A transaction left open would pin the read's snapshot, and
        # SQLite refuses a write from a stale snapshot: "database is locked", for good.
        assert await store.get(other) is None
        await saver.aput(config(other), empty_checkpoint(), {}, {})
        await store.record_run(thread, "default", "ada", "the same thread")
        await store.record_run(other, "default", "ada", "another thread")
        found = await store.get(thread)
        assert found is not None
        assert found.owner == "ada"
        await saver.adelete_thread(other)


async def test_checkpoint_writes_go_on_after_one_fails(backend: Backend, tmp_path: Path) -> None:
    other = new_thread()
    async with opened(backend, tmp_path) as (saver, store):
        with pytest.raises(Exception):  # noqa: B017, PT011  # the database's own error
            await saver.aput(config(backend.unstorable), empty_checkpoint(), {}, {})
        assert await saver.aget_tuple(config(other)) is None
        await store.record_run(other, "default", "ada", "a run starts")
        await saver.aput(config(other), empty_checkpoint(), {}, {})
        stored = await saver.aget_tuple(config(other))
        assert stored is not None
        await saver.adelete_thread(other)


def user_from_token(context: ActionContext) -> str | None:
    """Stands in for an app that reads its user id from a token's decoded JSON claims."""
    token = context.headers.get("x-user")
    claims = json.loads(token) if token else None
    return claims if isinstance(claims, str) else None


async def test_runs_succeed_after_a_run_whose_thread_record_could_not_be_written(
    backend: Backend, tmp_path: Path
) -> None:
    runtime = CopilotRuntime(model="demo", identify_user=user_from_token)
    ada = {"x-user": '"ada"'}
    unstorable = {"x-user": json.dumps(backend.unstorable)}  # ASCII: \ud800 or \u0000
    first, second, third = new_thread(), new_thread(), new_thread()
    async with serve(runtime, **backend.settings(tmp_path)) as client:
        run_events(
            await client.post(f"{BASE}/agent/default/run", json=body(threadId=first), headers=ada)
        )
        failed = await client.post(
            f"{BASE}/agent/default/run", json=body(threadId=second), headers=unstorable
        )
        assert failed.status_code == 500
        assert failed.json() == {
            "error": "internal_error",
            "message": "Internal server error; see the server log.",
        }
        # A read, a checkpoint write (deleting a thread) and a thread-store write, then runs.
        query = {"agentId": "default"}
        read = await client.get(f"{BASE}/threads/{first}/messages", params=query, headers=ada)
        assert read.status_code == 200
        deleted = await client.delete(f"{BASE}/threads/{first}", params=query, headers=ada)
        assert deleted.status_code == 200, deleted.text
        for thread in (second, third):
            run = await client.post(
                f"{BASE}/agent/default/run", json=body(threadId=thread), headers=ada
            )
            assert run_events(run)[-1]["type"] == "RUN_FINISHED"
