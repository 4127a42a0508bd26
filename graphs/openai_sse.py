"""chunk_dicts: the JSON chunks of an OpenAI chat-completions SSE stream, as the SDK decodes them.

The openai SDK builds a pydantic object for every chunk (`construct_type`) that `ChatOpenAI`
turns straight back into a dict; reading the dicts from the SSE bytes here skips both
(a speed path: graphs/fast_paths.py). The per-chunk timeout is
`ChatOpenAI.stream_chunk_timeout`'s, kept as one rescheduled deadline rather than a task per
token.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import openai
import orjson

from copilot_runtime.graphs.langchain_openai_private import StreamChunkTimeoutError, sdk_httpx
from copilot_runtime.graphs.model_http import body_chunks

logger = logging.getLogger(__name__)

STREAM_ERROR = "An error occurred during streaming"  # the openai SDK's message, kept as is


async def chunk_dicts(
    response: Any, chunk_timeout: float | None, model_name: str | None
) -> AsyncIterator[dict[str, Any]]:
    """The JSON objects of an SSE stream, as the openai SDK decodes them, up to `[DONE]`.

    `response` is the SDK's streaming HTTP response (httpx's or httpx2's, by openai version).
    """
    deadline = _Deadline(chunk_timeout)
    received = 0
    buffer = b""
    is_done = False
    try:
        async with deadline:
            deadline.start()
            async for data in body_chunks(response):
                if is_done:
                    continue  # read to the end so the connection goes back to the pool
                chunks, buffer, is_done = _complete_events(buffer + data, response)
                for chunk in chunks:
                    received += 1
                    deadline.pause()  # the consumer's time is not the model's
                    yield chunk
                    deadline.start()
            if (last := _last_event(buffer, is_done, response)) is not None:
                yield last
    except TimeoutError as error:
        if not deadline.expired:
            raise
        raise _timeout_error(chunk_timeout, model_name, received) from error
    except sdk_httpx.TimeoutException as error:
        raise openai.APITimeoutError(request=response.request) from error
    except sdk_httpx.TransportError as error:
        raise openai.APIConnectionError(request=response.request) from error


_DONE: dict[str, Any] = {}


def _timeout_error(
    chunk_timeout: float | None, model_name: str | None, received: int
) -> StreamChunkTimeoutError:
    """What ChatOpenAI raises (and logs) when no chunk came within `stream_chunk_timeout`."""
    logger.warning(
        "langchain_openai.stream_chunk_timeout fired",
        extra={
            "source": "stream_chunk_timeout",
            "timeout_s": chunk_timeout,
            "model_name": model_name,
            "chunks_received": received,
        },
    )
    return StreamChunkTimeoutError(
        chunk_timeout or 0.0, model_name=model_name, chunks_received=received
    )


def _complete_events(buffer: bytes, response: Any) -> tuple[list[dict[str, Any]], bytes, bool]:
    """The chunks of the complete events in `buffer`, what is left of it, and whether it ended."""
    if b"\r" in buffer:  # SSE allows CRLF; a CR split from its LF is joined on the next read
        buffer = buffer.replace(b"\r\n", b"\n")
    *events, rest = buffer.split(b"\n\n")
    chunks: list[dict[str, Any]] = []
    for event in events:
        chunk = _event_json(event, response)
        if chunk is _DONE:
            return chunks, b"", True
        if chunk is not None:
            chunks.append(chunk)
    return chunks, rest, False


def _last_event(buffer: bytes, is_done: bool, response: Any) -> dict[str, Any] | None:
    """A final event that came without its blank line (the SDK's decoder keeps it too)."""
    if is_done or not buffer.strip():
        return None
    chunk = _event_json(buffer, response)
    return None if chunk is _DONE else chunk


def _event_json(event: bytes, response: Any) -> dict[str, Any] | None:
    """One SSE event's data as JSON; None for comments and non-objects; _DONE at the end."""
    if event.startswith(b"data: ") and b"\n" not in event:
        data = event[6:]  # the usual shape: one data line
    else:
        lines = [line for line in event.split(b"\n") if line.startswith(b"data:")]
        if not lines:
            return None  # a comment (keep-alive) or an event without data
        data = b"\n".join(line[6:] if line[5:6] == b" " else line[5:] for line in lines)
    if data.startswith(b"[DONE]"):
        return _DONE
    chunk = _loads(data)
    if not isinstance(chunk, dict):
        return None
    if chunk.get("error"):
        error = chunk["error"]
        message = error.get("message") if isinstance(error, dict) else None
        raise openai.APIError(
            message=message if isinstance(message, str) and message else STREAM_ERROR,
            request=response.request,
            body=error,
        )
    return chunk


def _loads(data: bytes) -> Any:
    # orjson reads a chunk in a quarter of json's time, ~2.4 µs a token. What it
    # refuses and json takes (NaN, a lone surrogate) goes to json, as the SDK would read it.
    # One difference is left: an integer past 64 bits becomes a float (no chunk field holds one).
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


class _Deadline:
    """A per-chunk timeout without a task, or even a timer, per chunk.

    One `asyncio.timeout` scope does the cancelling. Moving its deadline on every chunk cost
    two timer operations per token, so `start` and `pause` only note the time;
    a single timer checks, when it comes due, whether the model has really been silent for
    `seconds` while the stream was waiting, and otherwise waits for the new deadline.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds if seconds and seconds > 0 else None
        self.scope = asyncio.timeout(None)
        self._loop = asyncio.get_running_loop()
        self._started = 0.0
        self._is_waiting = False
        self._timer: asyncio.TimerHandle | None = None

    async def __aenter__(self) -> _Deadline:
        await self.scope.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await self.scope.__aexit__(*exc_info)

    def start(self) -> None:
        """The stream waits for the model from now on."""
        if self.seconds is None:
            return
        self._started = self._loop.time()
        self._is_waiting = True
        if self._timer is None:
            self._timer = self._loop.call_at(self._started + self.seconds, self._check)

    def pause(self) -> None:
        """The consumer has the stream: its time does not count."""
        self._is_waiting = False

    def _check(self) -> None:
        self._timer = None
        if not self._is_waiting or self.seconds is None:
            return  # `start` sets the timer again
        due = self._started + self.seconds
        if self._loop.time() >= due:
            self.scope.reschedule(self._loop.time())  # the scope cancels the stream now
        else:
            self._timer = self._loop.call_at(due, self._check)

    @property
    def expired(self) -> bool:
        return self.scope.expired()
