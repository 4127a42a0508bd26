"""A follow request reaches the worker running the thread, and only while it runs there."""

from __future__ import annotations

import asyncio
import uuid

from copilot_runtime.app.coordination import LocalCoordinator, open_postgres_coordinator
from tests.postgres import DATABASE_URL, needs_postgres


def _no_stop(agent_id: str, thread_id: str, run_id: str | None) -> bool:
    return False


@needs_postgres
async def test_postgres_carries_a_follow_request_to_the_worker_running_the_thread() -> None:
    asked: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    running = await open_postgres_coordinator(
        DATABASE_URL, _no_stop, lambda thread, stream: asked.put_nowait((thread, stream))
    )
    other = await open_postgres_coordinator(DATABASE_URL, _no_stop)
    thread = f"follow-{uuid.uuid4().hex}"
    try:
        assert not await other.follow_elsewhere(thread, "s0")  # nobody runs it
        assert await running.claim(thread)
        assert not await running.follow_elsewhere(thread, "s1")  # it runs here, not elsewhere
        assert await other.follow_elsewhere(thread, "s2")
        assert await asyncio.wait_for(asked.get(), 5) == (thread, "s2")
        await running.release(thread)
        assert not await other.follow_elsewhere(thread, "s3")
    finally:
        await running.close()
        await other.close()


async def test_one_process_has_nobody_else_to_ask() -> None:
    assert not await LocalCoordinator().follow_elsewhere("t", "s")
