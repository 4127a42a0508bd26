"""SSE frames: the hand-written delta frames are byte for byte what pydantic writes."""

from __future__ import annotations

import pytest
from ag_ui.core import (
    BaseEvent,
    RunStartedEvent,
    TextMessageContentEvent,
    ToolCallArgsEvent,
)

from copilot_runtime.app.protocols.agui.outbound import sse_frame

TRICKY = [
    "plain",
    " leading and trailing ",
    'quotes " and \\ backslashes / slash',
    "control \x00 \x01 \x1f \x7f \t \n \r \b \f",
    "unicode é ß 中文 😀 \u2028 \u2029 \ufeff",
    '{"city": "Paris"}',
]


def pydantic_frame(event: BaseEvent) -> bytes:
    return b"data: " + event.model_dump_json(by_alias=True).encode() + b"\n\n"


@pytest.mark.parametrize("text", TRICKY)
def test_delta_frames_equal_pydantic_when_written_directly(text: str) -> None:
    events: list[BaseEvent] = [
        TextMessageContentEvent(message_id=f"m-{text}", delta=text),
        ToolCallArgsEvent(tool_call_id=f"c-{text}", delta=text),
    ]
    for event in events:
        assert sse_frame(event) == pydantic_frame(event)


def test_delta_frames_keep_optional_fields_when_set() -> None:
    events: list[BaseEvent] = [
        TextMessageContentEvent(message_id="m", delta="x", timestamp=5),
        TextMessageContentEvent(message_id="m", delta="x", timestamp=None),
        ToolCallArgsEvent(tool_call_id="c", delta="x", raw_event={"a": 1}),
        TextMessageContentEvent.model_validate({"messageId": "m", "delta": "x", "extra": 1}),
        RunStartedEvent(thread_id="t", run_id="r"),
    ]
    for event in events:
        assert sse_frame(event) == pydantic_frame(event)
    assert b'"timestamp":5' in sse_frame(events[0])
