"""GraphqlEncoder: AG-UI events -> legacy incremental payloads (whole lists, fixed ids, clock)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ag_ui.core import (
    BaseEvent,
    CustomEvent,
    EventType,
    MessagesSnapshotEvent,
    RunErrorEvent,
    RunFinishedEvent,
    RunStartedEvent,
    StateSnapshotEvent,
    StepFinishedEvent,
    StepStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)

from copilot_runtime.app.protocols.graphql.outbound import (
    EMITTED_EVENTS,
    AgentSession,
    GraphqlEncoder,
)
from tests.fakes import seq_ids

ROOT = "generateCopilotResponse"
SUCCESS = {"code": "Success", "__typename": "SuccessMessageStatus"}
DONE = {
    "data": {
        "status": {"code": "Success", "__typename": "SuccessResponseStatus"},
        "__typename": "CopilotResponse",
    },
    "path": [ROOT],
}


def encoder(session: AgentSession | None = None) -> GraphqlEncoder:
    return GraphqlEncoder(
        thread_id="t1", run_id="r1", new_id=seq_ids("st"), now=lambda: "T", session=session
    )


def incremental(enc: GraphqlEncoder, events: Sequence[BaseEvent]) -> list[list[Any]]:
    """The entries of every payload the events produce (empty translations left out)."""
    payloads = [enc.translate(event) for event in events]
    return [entries for entries in payloads if entries]


def at(index: int, *rest: Any) -> list[Any]:
    return [ROOT, "messages", index, *rest]


def status(index: int, typename: str, code: dict[str, str] = SUCCESS) -> dict[str, Any]:
    return {"data": {"status": code, "__typename": typename}, "path": at(index)}


def run(*events: BaseEvent) -> list[BaseEvent]:
    ids = {"thread_id": "t1", "run_id": "r1"}
    return [RunStartedEvent(**ids), *events, RunFinishedEvent(**ids)]


def test_start_sends_response_head_with_empty_streams() -> None:
    assert encoder().start() == {
        "data": {
            ROOT: {
                "threadId": "t1",
                "runId": "r1",
                "extensions": None,
                "messages": [],
                "metaEvents": [],
                "__typename": "CopilotResponse",
            }
        },
        "hasNext": True,
    }


def test_encoder_streams_text_as_content_items_when_model_answers() -> None:
    enc = encoder()
    payloads = incremental(
        enc,
        run(
            TextMessageStartEvent(message_id="m1", role="assistant"),
            TextMessageContentEvent(message_id="m1", delta="Hel"),
            TextMessageContentEvent(message_id="m1", delta="lo"),
            TextMessageEndEvent(message_id="m1"),
        ),
    )
    assert payloads == [
        [
            {
                "items": [
                    {
                        "__typename": "TextMessageOutput",
                        "id": "m1",
                        "createdAt": "T",
                        "content": [],
                        "role": "assistant",
                        "parentMessageId": None,
                    }
                ],
                "path": at(0),
            }
        ],
        [{"items": ["Hel"], "path": at(0, "content", 0)}],
        [{"items": ["lo"], "path": at(0, "content", 1)}],
        [status(0, "TextMessageOutput")],
    ]
    assert enc.finish() == {"incremental": [DONE], "hasNext": False}


def test_encoder_streams_call_arguments_and_result_when_backend_action_runs() -> None:
    enc = encoder()
    payloads = incremental(
        enc,
        run(
            ToolCallStartEvent(tool_call_id="c1", tool_call_name="lookup", parent_message_id="a1"),
            ToolCallArgsEvent(tool_call_id="c1", delta='{"id":'),
            ToolCallArgsEvent(tool_call_id="c1", delta='"7"}'),
            ToolCallEndEvent(tool_call_id="c1"),
            ToolCallResultEvent(message_id="srv-1", tool_call_id="c1", content='{"name":"Ada"}'),
        ),
    )
    assert payloads == [
        [
            {
                "items": [
                    {
                        "__typename": "ActionExecutionMessageOutput",
                        "id": "c1",
                        "createdAt": "T",
                        "name": "lookup",
                        "arguments": [],
                        "parentMessageId": "a1",
                    }
                ],
                "path": at(0),
            }
        ],
        [{"items": ['{"id":'], "path": at(0, "arguments", 0)}],
        [{"items": ['"7"}'], "path": at(0, "arguments", 1)}],
        [status(0, "ActionExecutionMessageOutput")],
        [
            {
                "items": [
                    {
                        "__typename": "ResultMessageOutput",
                        "id": "result-c1",
                        "createdAt": "T",
                        "result": '{"name":"Ada"}',
                        "actionExecutionId": "c1",
                        "actionName": "lookup",
                    }
                ],
                "path": at(1),
            },
            status(1, "ResultMessageOutput"),
        ],
    ]


def test_encoder_materialises_the_whole_response_when_run_ends() -> None:
    enc = encoder()
    incremental(
        enc,
        run(
            ToolCallStartEvent(
                tool_call_id="c1", tool_call_name="sayHello", parent_message_id="a1"
            ),
            ToolCallArgsEvent(tool_call_id="c1", delta='{"name":"Ada"}'),
            ToolCallEndEvent(tool_call_id="c1"),
        ),
    )
    enc.finish()
    assert enc.response() == {
        "threadId": "t1",
        "runId": "r1",
        "extensions": None,
        "status": {"code": "Success", "__typename": "SuccessResponseStatus"},
        "messages": [
            {
                "__typename": "ActionExecutionMessageOutput",
                "id": "c1",
                "name": "sayHello",
                "arguments": ['{"name":"Ada"}'],
                "parentMessageId": "a1",
                "createdAt": "T",
                "status": SUCCESS,
            }
        ],
        "metaEvents": [],
        "__typename": "CopilotResponse",
    }


def test_encoder_fails_the_response_when_run_errors() -> None:
    enc = encoder()
    events = [
        RunStartedEvent(thread_id="t1", run_id="r1"),
        RunErrorEvent(message="The model is down.", code="MODEL_ERROR"),
        TextMessageStartEvent(message_id="late", role="assistant"),  # nothing follows an end
    ]
    assert incremental(enc, events) == []
    assert enc.finish() == {
        "incremental": [
            {
                "data": {
                    "status": {
                        "code": "Failed",
                        "reason": "UNKNOWN_ERROR",
                        "details": {
                            "description": "The model is down.",
                            "originalError": {"code": "UNKNOWN", "runErrorCode": "MODEL_ERROR"},
                        },
                        "__typename": "FailedResponseStatus",
                    },
                    "__typename": "CopilotResponse",
                },
                "path": [ROOT],
            }
        ],
        "hasNext": False,
    }


def test_finish_leaves_cut_off_call_pending_when_stream_ends_without_end() -> None:
    enc = encoder()
    enc.translate(ToolCallStartEvent(tool_call_id="c1", tool_call_name="sayHello"))
    final: Any = enc.finish()  # indexed deep down: JSON, as the client reads it
    pending = {"code": "Pending", "__typename": "PendingMessageStatus"}
    assert final["incremental"][0] == status(0, "ActionExecutionMessageOutput", pending)
    assert final["incremental"][1]["data"]["status"]["details"]["originalError"] == {
        "code": "UNKNOWN",
        "runErrorCode": "INCOMPLETE_STREAM",
    }


def test_encoder_sends_agent_state_messages_when_agent_session_is_used() -> None:
    enc = encoder(AgentSession(agent_name="research", state={"topic": "tides"}))
    payloads = incremental(
        enc,
        run(
            StepStartedEvent(step_name="plan"),
            StateSnapshotEvent(snapshot={"topic": "tides", "step": 1, "messages": ["dropped"]}),
        ),
    )

    def state_message(message_id: str, state: str, *, is_active: bool) -> dict[str, Any]:
        return {
            "__typename": "AgentStateMessageOutput",
            "id": message_id,
            "createdAt": "T",
            "threadId": "t1",
            "state": state,
            "running": True,
            "agentName": "research",
            "nodeName": "plan",
            "runId": "r1",
            "active": is_active,
            "role": "assistant",
        }

    step = '{"topic": "tides", "step": 1}'
    assert payloads == [
        [
            {"items": [state_message("st-1", step, is_active=True)], "path": at(0)},
            status(0, "AgentStateMessageOutput"),
        ],
        [
            {"items": [state_message("st-2", step, is_active=False)], "path": at(1)},
            status(1, "AgentStateMessageOutput"),
        ],
    ]


def test_encoder_ignores_state_when_no_agent_session_is_used() -> None:
    enc = encoder()
    assert incremental(enc, run(StateSnapshotEvent(snapshot={"a": 1}))) == []


def test_encoder_translates_only_the_pinned_event_types() -> None:
    unused = [
        RunStartedEvent(thread_id="t1", run_id="r1"),
        StepFinishedEvent(step_name="plan"),
        CustomEvent(name="PredictState", value=[]),
        MessagesSnapshotEvent(messages=[]),
    ]
    enc = encoder(AgentSession(agent_name="default", state={}))
    assert incremental(enc, unused) == []
    assert set(EMITTED_EVENTS) == {
        EventType.RUN_FINISHED, EventType.RUN_ERROR, EventType.STATE_SNAPSHOT,
        EventType.STEP_STARTED, EventType.TEXT_MESSAGE_START, EventType.TEXT_MESSAGE_CONTENT,
        EventType.TEXT_MESSAGE_END, EventType.TOOL_CALL_START, EventType.TOOL_CALL_ARGS,
        EventType.TOOL_CALL_END, EventType.TOOL_CALL_RESULT,
    }  # fmt: skip
