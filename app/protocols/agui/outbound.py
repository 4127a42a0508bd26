"""SSE framing of AG-UI events: `data: <json>\n\n`, LF only, plus keep-alive comments."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from ag_ui.core import BaseEvent
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

KEEPALIVE_FRAME = b": keep-alive\n\n"
SSE_HEADERS = {
    "Cache-Control": "no-cache",
    "Connection": "keep-alive",
    "X-Accel-Buffering": "no",  # nginx would otherwise buffer the whole stream
}


def sse_frame(event: BaseEvent | None) -> bytes:
    """One event as an SSE frame; None (a silence) as a comment line the client ignores."""
    if event is None:
        return KEEPALIVE_FRAME
    # CRLF separators break @ag-ui/client's parser (protocols.md 1.5), hence no SSE library.
    return b"data: " + event.model_dump_json(by_alias=True).encode() + b"\n\n"


async def sse_frames(items: AsyncIterator[BaseEvent | None]) -> AsyncIterator[bytes]:
    """Frame a stream of events."""
    async for item in items:
        yield sse_frame(item)


class EventStreamResponse(StreamingResponse):
    """A text/event-stream response that runs `on_close` however it ends, even unstarted."""

    def __init__(
        self, frames: AsyncIterator[bytes], on_close: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        super().__init__(frames, media_type="text/event-stream", headers=SSE_HEADERS)
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream, then clean up (a run registration, say) whatever happened."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self.on_close is not None:
                await self.on_close()
