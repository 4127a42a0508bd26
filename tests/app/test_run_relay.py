"""A run relayed to a follower through each store: the whole run, in order, then the end."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from ag_ui.core import (
    UserMessage,
)

from copilot_runtime.app.run_events import RunEvents
from copilot_runtime.app.run_relay import RelayStore, follow, open_relay, publish
from copilot_runtime.app.settings import Settings
from tests.app.test_run_events import the_run
from tests.postgres import DATABASE_URL, needs_postgres

REDIS_URL = "redis://127.0.0.1:6379/0"
QUESTION = UserMessage(id="u1", role="user", content="hi")


def _redis_up() -> bool:
    import socket

    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", 6379)) == 0


@asynccontextmanager
async def relay(kind: str, tmp_path: Path) -> AsyncIterator[RelayStore]:
    if kind == "sqlite":
        settings = Settings(threads_path=str(tmp_path / "threads.sqlite"))
    elif kind == "postgres":
        if not DATABASE_URL:
            pytest.skip("needs PostgreSQL: set COPILOT_TEST_DATABASE_URL")
        settings = Settings(database_url=DATABASE_URL)
    else:
        if not _redis_up():
            pytest.skip("needs Redis on 127.0.0.1:6379")
        settings = Settings(
            threads_path=":memory:", redis_url=REDIS_URL, redis_prefix="copilot-runtime-tests:"
        )
    async with open_relay(settings) as store:
        assert store is not None
        yield store


@pytest.mark.parametrize(
    "kind", ["sqlite", pytest.param("postgres", marks=needs_postgres), "redis"]
)
async def test_a_follower_that_joins_mid_run_reads_it_from_the_start_to_the_end(
    kind: str, tmp_path: Path
) -> None:
    run = the_run(20)
    log = RunEvents(max_bytes=1 << 20, anchor=QUESTION)
    for event in run[:8]:  # the run is under way when the follower asks
        log.append([event])
    stream = uuid.uuid4().hex
    async with relay(kind, tmp_path) as store:
        publishing = asyncio.create_task(publish(log.reader(), store, stream))
        followed = await follow(store, stream)
        assert followed is not None
        assert followed.anchor == QUESTION

        async def rest_of_run() -> None:
            for event in run[8:]:
                await asyncio.sleep(0.005)
                log.append([event])
            log.end()

        producing = asyncio.create_task(rest_of_run())
        got = [event async for batch in followed.batches for event in batch]
        await producing
        await publishing
        assert got == run
        assert await store.read(stream, "0", 0.01) == []  # the follower cleared it


async def test_a_follower_gives_up_when_nobody_answers(tmp_path: Path) -> None:
    async with relay("sqlite", tmp_path) as store:
        assert await follow(store, uuid.uuid4().hex, first_wait=0.2) is None
