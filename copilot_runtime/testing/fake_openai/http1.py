"""The fake OpenAI server's HTTP/1.1: requests on keep-alive connections, JSON and SSE answers.

Hand-written on asyncio streams so that the fake costs little next to what it measures.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

MAX_HEAD = 64 * 1024


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def keep_alive(self) -> bool:
        return self.headers.get("connection", "").lower() != "close"


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """The next request on a keep-alive connection, or None when the client closed it."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if error.partial.strip():
            raise
        return None
    if len(head) > MAX_HEAD:
        raise ConnectionError("request head too large")
    request_line, *lines = head.decode("latin-1").split("\r\n")
    method, target, _version = request_line.split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        raw = await read_chunked(reader)
    else:
        raw = await reader.readexactly(int(headers.get("content-length") or 0))
    return HttpRequest(method=method, path=target, headers=headers, raw=raw)


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass  # trailers
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def response_head(status: int, headers: dict[str, str]) -> bytes:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}
    lines = [f"HTTP/1.1 {status} {reason.get(status, 'Error')}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def send_json(
    writer: asyncio.StreamWriter, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(body).encode()
    head = {
        "content-type": "application/json",
        "content-length": str(len(data)),
        "x-request-id": "req_fake",
        **(headers or {}),
    }
    writer.write(response_head(status, head) + data)
    await writer.drain()


async def send_stream(writer: asyncio.StreamWriter, frames: AsyncIterator[bytes]) -> None:
    """A chunked text/event-stream response: one HTTP chunk per model step."""
    head = {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "transfer-encoding": "chunked",
        "x-request-id": "req_fake",
    }
    writer.write(response_head(200, head))
    async for frame in frames:
        writer.write(b"%x\r\n%b\r\n" % (len(frame), frame))
        await writer.drain()
    writer.write(b"0\r\n\r\n")
    await writer.drain()
