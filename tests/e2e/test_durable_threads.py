"""Threads that survive restarts and crashes, and run control across worker processes,
against the real PostgreSQL on this machine and a SQLite file."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import LiveServer, start_server
from tests.postgres import DATABASE_URL as PG_URL
from tests.postgres import needs_postgres

SLOW = "slowReport about 'tides'"  # the action sleeps 60 s: only a stop or a kill ends it early


def run_body(
    thread: str, text: str, *, history: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    message = {"id": f"u-{uuid.uuid4().hex[:8]}", "role": "user", "content": text}
    return {
        "threadId": thread,
        "runId": f"r-{uuid.uuid4().hex[:8]}",
        "messages": [*(history or []), message],
        "tools": [],
        "context": [],
        "forwardedProps": {},
        "state": {},
    }


async def events_of(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    async for line in response.aiter_lines():
        if line.startswith("data: "):
            yield json.loads(line[6:])


async def connect(server: LiveServer, thread: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{server.url}/agent/default/connect", json=run_body(thread, "")
        )
    assert response.status_code == 200
    return [json.loads(line[6:]) for line in response.text.split("\n") if line.startswith("data: ")]


def stop_server(server: LiveServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        server.process.wait(timeout=10)


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two server processes sharing one PostgreSQL database."""
    first = start_server(tmp_path_factory.mktemp("worker-a"), DATABASE_URL=PG_URL)
    second = start_server(tmp_path_factory.mktemp("worker-b"), DATABASE_URL=PG_URL)
    yield first, second
    stop_server(first)
    stop_server(second)


@needs_postgres
async def test_stop_sent_to_one_worker_ends_a_run_streaming_from_another(
    workers: tuple[LiveServer, LiveServer],
) -> None:
    streaming, other = workers
    thread = f"t-{uuid.uuid4()}"
    async with httpx.AsyncClient(timeout=30) as client:
        request = run_body(thread, SLOW)
        async with client.stream("POST", f"{streaming.url}/agent/default/run", json=request) as run:
            seen = []
            async for event in events_of(run):
                seen.append(event["type"])
                if event["type"] == "TOOL_CALL_END":  # the slow action is now running on A
                    busy = await client.post(
                        f"{other.url}/agent/default/run", json=run_body(thread, "hello")
                    )
                    sent = time.monotonic()
                    stop = await client.post(
                        f"{other.url}/agent/default/stop/{thread}", json={"runId": request["runId"]}
                    )
            ended = time.monotonic() - sent
    assert busy.status_code == 409  # one run per thread, across workers
    assert stop.json()["stopped"] is True
    assert seen[-1] == "RUN_FINISHED"
    assert ended < 30  # far sooner than the action's 60 s; the benchmark-free bound is loose


@needs_postgres
async def test_history_written_by_one_worker_is_served_by_another(
    workers: tuple[LiveServer, LiveServer],
) -> None:
    first, second = workers
    thread = f"t-{uuid.uuid4()}"
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{first.url}/agent/default/run", json=run_body(thread, "What is the name of user 42?")
        )
    assert response.status_code == 200
    replay = await connect(second, thread)
    snapshot = next(e for e in replay if e["type"] == "MESSAGES_SNAPSHOT")
    roles = [m["role"] for m in snapshot["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant"]


@pytest.mark.parametrize("store", [pytest.param("postgres", marks=needs_postgres), "sqlite"])
async def test_thread_keeps_finished_steps_and_runs_again_after_kill_9(
    store: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": PG_URL} if store == "postgres" else {}
    server = start_server(tmp_path, **env)
    thread = f"t-{uuid.uuid4()}"
    request = run_body(thread, SLOW)
    try:
        async with (
            httpx.AsyncClient(timeout=30) as client,
            client.stream("POST", f"{server.url}/agent/default/run", json=request) as run,
        ):
            async for event in events_of(run):
                if event["type"] == "TOOL_CALL_END":
                    # The model step is finished and checkpointed; the tool is mid-flight.
                    await asyncio.sleep(0.3)
                    server.process.send_signal(signal.SIGKILL)
                    break
        server.process.wait(timeout=10)
    finally:
        stop_server(server)
    restarted = start_server(tmp_path, **env)
    try:
        replay = await connect(restarted, thread)
        snapshot = next(e for e in replay if e["type"] == "MESSAGES_SNAPSHOT")
        messages = snapshot["messages"]
        assert [m["role"] for m in messages] == ["user", "assistant"]
        assert messages[0]["id"] == request["messages"][0]["id"]
        assert messages[1]["toolCalls"][0]["function"]["name"] == "slowReport"
        async with httpx.AsyncClient(timeout=30) as client:
            again = await client.post(
                f"{restarted.url}/agent/default/run",
                json=run_body(thread, "What is the name of user 42?", history=messages),
            )
        assert again.status_code == 200  # not 409: the dead worker's claim died with it
        kinds = [
            json.loads(line[6:])["type"]
            for line in again.text.split("\n")
            if line.startswith("data: ")
        ]
        assert kinds[-1] == "RUN_FINISHED"
        assert "TOOL_CALL_RESULT" in kinds
    finally:
        stop_server(restarted)


async def test_connect_returns_full_history_after_a_clean_restart(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    thread = f"t-{uuid.uuid4()}"
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            await client.post(
                f"{server.url}/agent/default/run",
                json=run_body(thread, "What is the name of user 42?"),
            )
        before = await connect(server, thread)
    finally:
        stop_server(server)
    restarted = start_server(tmp_path)
    try:
        after = await connect(restarted, thread)
    finally:
        stop_server(restarted)
    assert [e["type"] for e in after] == [
        "RUN_STARTED",
        "MESSAGES_SNAPSHOT",
        "STATE_SNAPSHOT",
        "RUN_FINISHED",
    ]
    assert after[1]["messages"] == before[1]["messages"]
    assert len(after[1]["messages"]) == 4
