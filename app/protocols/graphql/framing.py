"""Incremental delivery on the wire: multipart/mixed (what yoga chose for urql) or SSE."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import JsonValue

Transport = Literal["multipart", "sse", "json"]
MULTIPART_MEDIA_TYPE = 'multipart/mixed; boundary="-"'
PART_HEAD = (
    b"\r\n---\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: %d\r\n\r\n"
)
MULTIPART_END = b"\r\n-----\r\n"
SSE_END = b"event: complete\ndata:\n\n"
SSE_KEEPALIVE = b": keep-alive\n\n"
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def media_type(transport: Literal["multipart", "sse"]) -> str:
    """The Content-Type of a streamed answer."""
    return MULTIPART_MEDIA_TYPE if transport == "multipart" else "text/event-stream"


def negotiate(accept: str) -> Transport:
    """How to answer a streamed operation, from the Accept header.

    urql accepts both incremental types; like graphql-yoga, multipart wins over SSE. A client
    that accepts neither (plain fetch, curl) gets one JSON body with every list materialised.
    """
    lowered = accept.lower()
    if "multipart/mixed" in lowered:
        return "multipart"
    if "text/event-stream" in lowered:
        return "sse"
    return "json"


def encode(payload: dict[str, JsonValue]) -> bytes:
    """Compact JSON, as the clients' parsers take it."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def multipart_part(payload: dict[str, JsonValue]) -> bytes:
    """One part: boundary, headers, the JSON (urql splits on CRLF + boundary)."""
    body = encode(payload)
    return PART_HEAD % len(body) + body


def sse_event(payload: dict[str, JsonValue]) -> bytes:
    """One `next` event (LF only: urql splits on a blank line)."""
    return b"event: next\ndata: " + encode(payload) + b"\n\n"
