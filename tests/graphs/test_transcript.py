"""Transcript: the messages a client holds after applying a run's events."""

from __future__ import annotations

from ag_ui.core import (
    AssistantMessage,
    MessagesSnapshotEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
    ToolMessage,
    UserMessage,
)

from copilot_runtime.graphs import Transcript

USER = UserMessage(id="u1", content="hi")


def test_transcript_joins_text_and_parallel_calls_to_their_message_when_events_arrive() -> None:
    events = [
        TextMessageStartEvent(message_id="m1", role="assistant"),
        TextMessageContentEvent(message_id="m1", delta="Checking "),
        TextMessageContentEvent(message_id="m1", delta="both."),
        TextMessageEndEvent(message_id="m1"),
        ToolCallStartEvent(tool_call_id="a", tool_call_name="one", parent_message_id="m1"),
        ToolCallStartEvent(tool_call_id="b", tool_call_name="two", parent_message_id="m1"),
        ToolCallArgsEvent(tool_call_id="a", delta='{"x":'),
        ToolCallArgsEvent(tool_call_id="b", delta='{"y":2}'),
        ToolCallArgsEvent(tool_call_id="a", delta="1}"),
        ToolCallEndEvent(tool_call_id="a"),
        ToolCallEndEvent(tool_call_id="b"),
        ToolCallResultEvent(message_id="r1", tool_call_id="a", content="A", role="tool"),
    ]
    messages = Transcript.of([USER], events)
    assert [m.id for m in messages] == ["u1", "m1", "r1"]
    assistant = messages[1]
    assert isinstance(assistant, AssistantMessage)
    assert assistant.content == "Checking both."
    calls = [(c.id, c.function.name, c.function.arguments) for c in assistant.tool_calls or []]
    assert calls == [("a", "one", '{"x":1}'), ("b", "two", '{"y":2}')]
    assert messages[2] == ToolMessage(id="r1", tool_call_id="a", content="A")


def test_transcript_leaves_input_untouched_when_applying_events() -> None:
    assistant = AssistantMessage(id="m1", content="Hel")
    Transcript.of([assistant], [TextMessageContentEvent(message_id="m1", delta="lo")])
    assert assistant.content == "Hel"


def test_transcript_takes_snapshot_whole_when_messages_snapshot_arrives() -> None:
    snapshot = [UserMessage(id="u9", content="stored")]
    events = [
        TextMessageStartEvent(message_id="m1", role="assistant"),
        MessagesSnapshotEvent(messages=snapshot),
    ]
    assert Transcript.of([USER], events) == snapshot
