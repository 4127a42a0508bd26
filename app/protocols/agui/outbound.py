"""SSE framing of AG-UI events: `data: <json>\n\n`, LF only, plus keep-alive comments."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ag_ui.core import BaseEvent, TextMessageContentEvent, ToolCallArgsEvent
from ag_ui.encoder import EventEncoder

from copilot_runtime.app.streaming import Framing
from copilot_runtime.graphs.fast_paths import fast_paths_enabled

KEEPALIVE_FRAME = b": keep-alive\n\n"
SSE_HEADERS = {
    "Cache-Control": "no-cache",
    "Connection": "keep-alive",
    "X-Accel-Buffering": "no",  # nginx would otherwise buffer the whole stream
}


# Token deltas are nearly every event of a run. Pydantic serializes each through ag-ui's
# Python wrap-serializer (it drops unset optionals); these two shapes are written directly,
# byte for byte what model_dump_json(by_alias=True) gives (tests/app/test_sse_frames.py).
_TEXT_PREFIX = b'data: {"type":"TEXT_MESSAGE_CONTENT","messageId":'
_ARGS_PREFIX = b'data: {"type":"TOOL_CALL_ARGS","toolCallId":'
# Fields a delta frame writes; any other field that was set (even to None) goes to pydantic.
_TEXT_FIELDS = frozenset(("type", "message_id", "delta"))
_ARGS_FIELDS = frozenset(("type", "tool_call_id", "delta"))
_quote = json.encoder.encode_basestring  # a JSON string literal, UTF-8 kept (as pydantic)
# ag-ui's own SSE framing (LF separators only, as @ag-ui/client's parser needs).
_ENCODER = EventEncoder()


def sse_frame(event: BaseEvent | None) -> bytes:
    """One event as an SSE frame; None (a silence) as a comment line the client ignores."""
    if event is None:
        return KEEPALIVE_FRAME
    frame = _delta_frame(event)
    if frame is not None:
        return frame
    return _ENCODER.encode(event).encode()


def _delta_frame(event: BaseEvent) -> bytes | None:
    if type(event) is TextMessageContentEvent:
        prefix, item_id, fields = _TEXT_PREFIX, event.message_id, _TEXT_FIELDS
    elif type(event) is ToolCallArgsEvent:
        prefix, item_id, fields = _ARGS_PREFIX, event.tool_call_id, _ARGS_FIELDS
    else:
        return None
    # An optional field left unset is None (and omitted); reading the set of fields that were
    # set is one check instead of a getattr per optional field.
    if event.__pydantic_extra__ or not fields.issuperset(event.__pydantic_fields_set__):
        return None
    try:
        return prefix + f'{_quote(item_id)},"delta":{_quote(event.delta)}}}\n\n'.encode()
    except UnicodeEncodeError:  # a lone surrogate: let pydantic decide
        return None


def sse_batch(batch: Sequence[BaseEvent | None]) -> bytes:
    """The frames of events ready together, for one write."""
    if len(batch) == 1:  # a paced token
        return sse_frame(batch[0])
    return b"".join([sse_frame(item) for item in batch])


def plain_sse_batch(batch: Sequence[BaseEvent | None]) -> bytes:
    """`sse_batch` with every event framed by ag-ui's EventEncoder (the speed paths off)."""
    return b"".join(
        KEEPALIVE_FRAME if item is None else _ENCODER.encode(item).encode() for item in batch
    )


def sse_framing() -> Framing:
    """A run's events as the AG-UI clients read them."""
    batch = sse_batch if fast_paths_enabled() else plain_sse_batch
    return Framing(media_type="text/event-stream", headers=SSE_HEADERS, batch=batch)
