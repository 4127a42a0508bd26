"""BodyWriter sends body chunks at once when the server does not wait, and in order when it does."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest

from copilot_runtime.app.body_writer import BodyWriter


class FakeServerSend:
    """An ASGI `send` whose socket can be paused (flow control), as uvicorn's is."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.resumed = asyncio.Event()
        self.resumed.set()
        self.cancelled = False
        self.failure: Exception | None = None
        """Raised at once, as a send that refuses the message does."""
        self.failure_after_wait: Exception | None = None
        """Raised once resumed, as a send whose socket failed does."""
        self.in_task: list[bool] = []

    async def __call__(self, message: MutableMapping[str, Any]) -> None:
        if self.failure is not None:
            raise self.failure
        try:
            await self.resumed.wait()  # suspends only while paused
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        if self.failure_after_wait is not None:
            raise self.failure_after_wait
        self.bodies.append(message["body"])
        self.in_task.append(asyncio.current_task() is not None)


def paused_writer() -> tuple[FakeServerSend, BodyWriter]:
    """A writer whose server is paused, with `a` sent (waiting) and `b` written after it."""
    send = FakeServerSend()
    send.resumed.clear()
    writer = BodyWriter(send, is_eager=True)
    writer.write(b"a")
    writer.write(b"b")
    return send, writer


async def test_write_sends_before_returning_when_the_server_does_not_wait() -> None:
    send = FakeServerSend()
    writer = BodyWriter(send, is_eager=True)
    writer.write(b"a")
    writer.write(b"b")
    assert send.bodies == [b"a", b"b"]  # nothing awaited: sent by the caller itself


async def test_write_keeps_the_order_while_the_server_waits() -> None:
    send, writer = paused_writer()
    writer.write(b"c")
    await asyncio.sleep(0.01)
    assert send.bodies == []
    send.resumed.set()
    await writer.flush()
    assert send.bodies == [b"a", b"bc"]  # what waited goes in one send, after the first
    writer.write(b"d")
    assert send.bodies[-1] == b"d"  # no longer paused: sent at once again


async def test_flush_raises_what_a_send_raised_and_later_writes_are_dropped() -> None:
    send = FakeServerSend()
    send.failure = RuntimeError("Unexpected ASGI message")
    writer = BodyWriter(send, is_eager=True)
    writer.write(b"a")
    send.failure = None
    writer.write(b"b")
    with pytest.raises(RuntimeError, match="Unexpected ASGI message"):
        await writer.flush()
    assert send.bodies == []


async def test_flush_raises_what_a_send_raised_after_waiting() -> None:
    send, writer = paused_writer()
    send.failure_after_wait = OSError("socket gone")
    send.resumed.set()
    with pytest.raises(OSError, match="socket gone"):
        await writer.flush()
    send.failure_after_wait = None
    writer.write(b"c")
    assert send.bodies == []  # after a failure nothing more is sent


async def test_cancel_gives_up_a_send_that_waits() -> None:
    send, writer = paused_writer()
    await asyncio.sleep(0)
    writer.cancel()
    await writer.flush()
    assert send.cancelled
    assert send.bodies == []


async def test_write_sends_in_a_task_in_order_when_the_chain_is_not_plain() -> None:
    send = FakeServerSend()
    writer = BodyWriter(send, is_eager=False)
    writer.write(b"a")
    writer.write(b"b")
    writer.write(b"c")
    assert send.bodies == []  # not stepped by hand: a task sends it
    await writer.flush()
    assert send.bodies == [b"a", b"bc"]
    assert send.in_task == [True, True]  # where a middleware's anyio finds its event loop
