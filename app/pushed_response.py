"""PushedResponse: a run streamed over HTTP, each batch of events written as soon as it is made.

A run's tokens are most of its events. Written right after the step of the run's task that
made them (app/streaming.py `push_run`, app/body_writer.py), they cost no task wake-up and no
trip through async generators and Starlette's streaming loop (issue #7). Each protocol gives
its own framing: what opens the body, a batch's bytes, what closes it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from copilot_runtime.app.body_writer import BodyWriter
from copilot_runtime.app.eager_send import is_eager
from copilot_runtime.app.streaming import Batch

Push = Callable[[Callable[[Batch], None], Awaitable[object]], Awaitable[None]]
"""Hands a run's batches to the writer it is given until the run ends or the awaitable does
(`StartedRun.push`)."""


class PushedResponse(Response):
    """A run's batches as `frames` writes them; `on_close` runs however the response ends."""

    def __init__(
        self,
        push: Push,
        *,
        frames: Callable[[Batch], bytes],
        media_type: str,
        headers: Mapping[str, str],
        on_close: Callable[[], Awaitable[None]],
        first: bytes = b"",
        last: Callable[[], bytes] = bytes,
    ) -> None:
        """`first` opens the body; `last()` closes it once the run has ended."""
        self.status_code = 200
        self.background = None
        self.media_type = media_type
        self.init_headers(headers)
        self._push = push
        self._frames = frames
        self._on_close = on_close
        self._first = first
        self._last = last

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream until the run ends or the client goes away, then clean up."""
        writer = BodyWriter(send, is_eager=is_eager(scope))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            if self._first:
                writer.write(self._first)
            await self._push(self._write_to(writer), _disconnect(receive))
            await writer.flush()
            await send({"type": "http.response.body", "body": self._last(), "more_body": False})
        finally:
            writer.cancel()
            await self._on_close()

    def _write_to(self, writer: BodyWriter) -> Callable[[Batch], None]:
        frames = self._frames

        def write(batch: Batch) -> None:
            data = frames(batch)
            if data:
                writer.write(data)

        return write


async def _disconnect(receive: Receive) -> None:
    """Returns when the client has gone away."""
    while (await receive())["type"] != "http.disconnect":
        pass
