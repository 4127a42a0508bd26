"""BodyWriter: a streamed response's body chunks, sent at once from wherever they are made.

An ASGI `send` is a coroutine, so a task that makes a chunk (a run's model call, with a token)
has to hand it to the response's task, which wakes up to send it: per token, a task wake-up
and the async generators between them, over half of what the response side of a paced stream
cost (issue #7). Yet a server's `send` for a body chunk only waits when its transport is paused
for flow control; otherwise it writes to the socket and returns without ever suspending.
`write` therefore runs `send` right away, wherever it is called (a loop callback), and only
when it does suspend is the rest of it finished in a task of its own, with the chunks written
meanwhile kept back until it is done, so the order never changes.

That is only safe for a `send` that needs no current task: a user's `@app.middleware("http")`
(Starlette's BaseHTTPMiddleware) sends through anyio, which finds no event loop outside a task.
So a writer steps `send` by hand only when told the chain is plain (`is_eager`, from
`app.eager_send`); otherwise each send runs in a task of its own, still in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine, Generator
from types import CoroutineType
from typing import Any

from starlette.types import Send


class BodyWriter:
    """`http.response.body` messages for `send`, written in order from any task of the loop."""

    __slots__ = ("_held", "_is_eager", "_pending", "_send", "error")

    def __init__(self, send: Send, *, is_eager: bool) -> None:
        self._send = send
        self._is_eager = is_eager
        self._pending: asyncio.Future[None] | None = None
        self._held: list[bytes] = []
        self.error: BaseException | None = None
        """What a `send` raised; the response raises it when it ends (`flush`)."""

    def write(self, data: bytes) -> None:
        """Send `data` now if the server takes it without waiting, else as soon as it can."""
        if self._pending is not None:
            self._held.append(data)
        elif self.error is None:
            self._start(data)

    async def flush(self) -> None:
        """Wait until everything written is sent; raise what a send raised, if one did."""
        while self._pending is not None:
            await asyncio.wait([self._pending])
        if self.error is not None:
            raise self.error

    def cancel(self) -> None:
        """Give up a send still waiting (the response is ending without its stream)."""
        if self._pending is not None:
            self._pending.cancel()
        self._held = []

    def _start(self, data: bytes) -> None:
        sending = self._send({"type": "http.response.body", "body": data, "more_body": True})
        if not (self._is_eager and isinstance(sending, CoroutineType)):
            self._await(sending)  # in a task, where any `send` can run
            return
        try:
            blocker = sending.send(None)
        except StopIteration:
            return  # written without waiting: the usual case
        except Exception as error:  # noqa: BLE001  # kept for flush(), as if raised there
            self.error = error
            return
        self._await(_Rest(sending, blocker))

    def _await(self, rest: Awaitable[None]) -> None:
        self._pending = asyncio.ensure_future(rest)
        self._pending.add_done_callback(self._sent)

    def _sent(self, pending: asyncio.Future[None]) -> None:
        self._pending = None
        if pending.cancelled():
            self._held = []
            return
        if (error := pending.exception()) is not None:
            self.error = error
            self._held = []
            return
        if self._held:
            held, self._held = self._held, []
            self._start(b"".join(held))


class _Rest:
    """Awaits what is left of a coroutine that was started by hand and is suspended on
    `blocker` (what its first step yielded): the task awaiting this takes over its steps."""

    __slots__ = ("_blocker", "_coroutine")

    def __init__(self, coroutine: Coroutine[Any, Any, None], blocker: Any) -> None:
        self._coroutine = coroutine
        self._blocker = blocker

    def __await__(self) -> Generator[Any, Any, None]:
        coroutine, blocker = self._coroutine, self._blocker
        while True:
            try:
                sent = yield blocker
            except GeneratorExit:
                coroutine.close()
                raise
            except BaseException as error:  # noqa: BLE001  # a cancellation: the coroutine's to handle
                try:
                    blocker = coroutine.throw(error)
                except StopIteration:
                    return
                continue
            try:
                blocker = coroutine.send(sent)
            except StopIteration:
                return
