"""RuntimeEventEncoder: AG-UI events -> the runtime events a Node runtime 1.10 reads."""

from __future__ import annotations

import json
from typing import Any

from ag_ui.core import (
    BaseEvent,
    RunErrorEvent,
    RunFinishedEvent,
    StateSnapshotEvent,
    StepStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    TextPart,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)

from copilot_runtime.app.protocols.remote.outbound import (
    RuntimeEventEncoder,
    json_lines,
    json_lines_framing,
)
from tests.fakes import seq_ids

IDS = {"thread_id": "t1", "run_id": "r1"}


def encoder(client_tools: frozenset[str] = frozenset(), **state: Any) -> RuntimeEventEncoder:
    return RuntimeEventEncoder(
        thread_id="t1",
        run_id="r1",
        agent_name="default",
        client_tools=client_tools,
        state=state,
        new_id=seq_ids("e"),
    )


def translate(encoder: RuntimeEventEncoder, *events: BaseEvent) -> list[dict[str, Any]]:
    return [item for event in events for item in encoder.translate(event)]


def call(call_id: str, name: str, args: str, parent: str | None = "m1") -> list[BaseEvent]:
    return [
        ToolCallStartEvent(tool_call_id=call_id, tool_call_name=name, parent_message_id=parent),
        ToolCallArgsEvent(tool_call_id=call_id, delta=args[:5]),
        ToolCallArgsEvent(tool_call_id=call_id, delta=args[5:]),
        ToolCallEndEvent(tool_call_id=call_id),
    ]


def final_state(state: str = "{}", *, active: bool = False) -> dict[str, Any]:
    return {
        "type": "AgentStateMessage",
        "threadId": "t1",
        "agentName": "default",
        "nodeName": "",
        "runId": "r1",
        "active": active,
        "role": "assistant",
        "state": state,
        "running": True,
    }


def test_call_run_here_streams_without_end_then_its_result_and_the_answer() -> None:
    events = [
        *call("c1", "lookup", '{"userId": "7"}'),
        ToolCallResultEvent(message_id="res-1", tool_call_id="c1", content='{"name":"Ada"}'),
        TextMessageStartEvent(message_id="m2", role="assistant"),
        TextMessageContentEvent(message_id="m2", delta="It is Ada."),
        TextMessageEndEvent(message_id="m2"),
        RunFinishedEvent(**IDS),
    ]
    assert translate(encoder(frozenset({"sayHello"})), *events) == [
        {
            "type": "ActionExecutionStart",
            "actionExecutionId": "c1",
            "actionName": "lookup",
            "parentMessageId": "m1",
        },
        {"type": "ActionExecutionArgs", "actionExecutionId": "c1", "args": '{"use'},
        {"type": "ActionExecutionArgs", "actionExecutionId": "c1", "args": 'rId": "7"}'},
        # No ActionExecutionEnd: the Node runtime would run `lookup` (one of ours) again.
        {
            "type": "ActionExecutionResult",
            "actionName": "lookup",
            "actionExecutionId": "c1",
            "result": '{"name":"Ada"}',
        },
        {"type": "TextMessageStart", "messageId": "m2"},
        {"type": "TextMessageContent", "messageId": "m2", "content": "It is Ada."},
        {"type": "TextMessageEnd", "messageId": "m2"},
        final_state(),
    ]


def test_call_of_offered_tool_is_ended_so_the_node_runtime_or_page_runs_it() -> None:
    translated = translate(encoder(frozenset({"sayHello"})), *call("c2", "sayHello", "{}", None))
    assert translated[0] == {
        "type": "ActionExecutionStart",
        "actionExecutionId": "c2",
        "actionName": "sayHello",
    }
    assert translated[-1] == {"type": "ActionExecutionEnd", "actionExecutionId": "c2"}


def test_state_goes_out_as_json_text_without_messages_and_nothing_follows_the_end() -> None:
    enc = encoder(count=1)
    snapshot = StateSnapshotEvent(snapshot={"count": 2, "messages": [{"id": "x"}]})
    translated = translate(
        enc,
        StepStartedEvent(step_name="model"),
        snapshot,
        RunFinishedEvent(**IDS),
        TextMessageStartEvent(message_id="late", role="assistant"),
    )
    active = {**final_state('{"count": 2}', active=True), "nodeName": "model"}
    assert translated == [active, {**active, "active": False}]


def test_run_error_is_sent_as_run_error_and_said_in_the_chat() -> None:
    translated = translate(encoder(), RunErrorEvent(message="The model failed.", code="MODEL"))
    assert translated == [
        {"type": "RunError", "message": "The model failed.", "code": "MODEL"},
        {"type": "TextMessageStart", "messageId": "e-1"},
        {"type": "TextMessageContent", "messageId": "e-1", "content": "Error: The model failed."},
        {"type": "TextMessageEnd", "messageId": "e-1"},
    ]


def test_result_with_content_parts_is_sent_as_its_text() -> None:
    enc = encoder()
    enc.translate(ToolCallStartEvent(tool_call_id="c1", tool_call_name="pic"))
    parts = [TextPart(text="a "), TextPart(text="picture")]
    [result] = enc.translate(ToolCallResultEvent(message_id="r", tool_call_id="c1", content=parts))
    assert result["result"] == "a picture"


def test_lines_are_one_event_each_even_when_text_has_newlines() -> None:
    raw = json_lines([{"type": "TextMessageContent", "messageId": "m", "content": "a\nb ü"}])
    assert raw.decode().count("\n") == 1
    assert json.loads(raw) == {"type": "TextMessageContent", "messageId": "m", "content": "a\nb ü"}


def test_silence_becomes_a_blank_line_the_runtime_skips() -> None:
    framing = json_lines_framing(encoder())
    raw = framing.batch([None, TextMessageStartEvent(message_id="m1", role="assistant")])
    blank, line, _end = raw.split(b"\n")
    assert blank == b""
    assert json.loads(line) == {"type": "TextMessageStart", "messageId": "m1"}
