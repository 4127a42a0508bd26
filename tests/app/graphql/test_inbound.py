"""generateCopilotResponse input -> RunAgentInput, and re-sent messages -> stored ids."""

from __future__ import annotations

from typing import Any

import pytest
from ag_ui.core import (
    AssistantMessage,
    Context,
    DataSource,
    FunctionCall,
    ImagePart,
    Message,
    RunAgentInput,
    SystemMessage,
    TextPart,
    Tool,
    ToolCall,
    ToolMessage,
    UserMessage,
)

from copilot_runtime.app.protocols.agui.inbound import run_input_from_body
from copilot_runtime.app.protocols.graphql.inbound import (
    agui_messages,
    reconciled,
    run_from_graphql,
)
from copilot_runtime.app.protocols.graphql.schema import GraphqlRequestError
from copilot_runtime.app.protocols.graphql.wire import GenerateArguments, MessageInput
from tests.app.graphql.documents import message, text
from tests.fakes import seq_ids


def arguments(*messages: dict[str, Any], properties: Any = None, **data: Any) -> GenerateArguments:
    return GenerateArguments.model_validate(
        {
            "data": {
                "metadata": {"requestType": "Chat"},
                "frontend": {"actions": [], "url": "https://app.example/page"},
                "messages": list(messages),
                **data,
            },
            "properties": properties,
        }
    )


def state_message(agent_name: str, state: str) -> dict[str, Any]:
    """An agentStateMessage as the legacy client re-sends it, carrying `state` as JSON text."""
    return message(
        "st",
        "agentStateMessage",
        agentName=agent_name,
        state=state,
        threadId="x",
        role="assistant",
        running=True,
        nodeName="",
        runId="r",
        active=False,
    )


def messages_of(*messages: dict[str, Any]) -> list[Any]:
    return agui_messages([MessageInput.model_validate(m) for m in messages])


def call(call_id: str, name: str, args: str) -> ToolCall:
    return ToolCall(id=call_id, function=FunctionCall(name=name, arguments=args))


def test_agui_messages_groups_calls_under_their_assistant_when_transcript_is_resent() -> None:
    converted = messages_of(
        text("s1", "system", "Be brief."),
        text("u1", "user", "Weather in Paris and greet Ada"),
        text("ai-1", "assistant", "Let me check."),
        message(
            "c1",
            "actionExecutionMessage",
            name="getWeather",
            arguments='{"city":"Paris"}',
            parentMessageId="ai-1",
        ),
        message(
            "c2",
            "actionExecutionMessage",
            name="sayHello",
            arguments='{"name":"Ada"}',
            parentMessageId="ai-1",
        ),
        message(
            "result-c1",
            "resultMessage",
            actionExecutionId="c1",
            actionName="getWeather",
            result='{"sky":"clear"}',
        ),
        message(
            "result-c2", "resultMessage", actionExecutionId="c2", actionName="sayHello", result=""
        ),
        text("ai-2", "assistant", "Sunny, and Ada was greeted."),
    )
    assert converted == [
        SystemMessage(id="s1", content="Be brief."),
        UserMessage(id="u1", content="Weather in Paris and greet Ada"),
        AssistantMessage(
            id="ai-1",
            content="Let me check.",
            tool_calls=[
                call("c1", "getWeather", '{"city":"Paris"}'),
                call("c2", "sayHello", '{"name":"Ada"}'),
            ],
        ),
        ToolMessage(id="result-c1", content='{"sky":"clear"}', tool_call_id="c1"),
        ToolMessage(id="result-c2", content="", tool_call_id="c2"),
        AssistantMessage(id="ai-2", content="Sunny, and Ada was greeted."),
    ]


def test_agui_messages_makes_assistant_message_when_call_parent_is_unknown() -> None:
    converted = messages_of(
        message("c1", "actionExecutionMessage", name="a", arguments="{}", parentMessageId="m9"),
        message("c2", "actionExecutionMessage", name="b", arguments="{}"),
        text("m9", "assistant", "late text for the same turn"),
    )
    assert converted == [
        AssistantMessage(
            id="m9", content="late text for the same turn", tool_calls=[call("c1", "a", "{}")]
        ),
        AssistantMessage(id="c2", tool_calls=[call("c2", "b", "{}")]),
    ]


def test_agui_messages_attaches_image_to_its_user_message_when_parent_is_given() -> None:
    converted = messages_of(
        text("u1", "user", "What is this?"),
        message(
            "i1", "imageMessage", format="png", bytes="iVBOR", role="user", parentMessageId="u1"
        ),
        message("i2", "imageMessage", format="jpeg", bytes="/9j/", role="user"),
    )
    assert converted == [
        UserMessage(
            id="u1",
            content=[
                TextPart(text="What is this?"),
                ImagePart(source=DataSource(value="iVBOR", mime_type="image/png")),
            ],
        ),
        UserMessage(
            id="i2", content=[ImagePart(source=DataSource(value="/9j/", mime_type="image/jpeg"))]
        ),
    ]


def test_agui_messages_rejects_text_with_tool_role_when_sent() -> None:
    with pytest.raises(GraphqlRequestError, match="cannot have role 'tool'"):
        messages_of(text("t1", "tool", "42"))


def test_run_from_graphql_builds_the_v2_run_input_when_given_a_chat_request() -> None:
    run = run_from_graphql(
        arguments(
            text("u1", "user", "hi"),
            properties={"role": "admin"},
            threadId="t1",
            runId="previous-run",
            context=[{"description": "The user", "value": "Ada"}],
            frontend={
                "url": "https://app.example/page",
                "actions": [
                    {
                        "name": "sayHello",
                        "description": "Greet",
                        "available": "enabled",
                        "jsonSchema": '{"type":"object","properties":{"name":{"type":"string"}}}',
                    },
                    {"name": "remoteOnly", "available": "remote", "jsonSchema": "{}"},
                    {"name": "hidden", "available": "disabled", "jsonSchema": "{}"},
                ],
            },
        ),
        new_id=seq_ids("gen"),
    )
    assert run.agent_id == "default"
    assert run.page_url == "https://app.example/page"
    assert run.is_agent_session is False
    assert run.run_input == RunAgentInput(
        thread_id="t1",
        run_id="gen-1",
        parent_run_id="previous-run",
        state={},
        messages=[UserMessage(id="u1", content="hi")],
        tools=[
            Tool(
                name="sayHello",
                description="Greet",
                parameters={"type": "object", "properties": {"name": {"type": "string"}}},
            ),
            Tool(name="remoteOnly", description="", parameters={}),
        ],
        context=[Context(description="The user", value="Ada")],
        forwarded_props={"role": "admin"},
    )


def test_run_from_graphql_makes_up_thread_id_when_client_sends_none() -> None:
    run = run_from_graphql(arguments(text("u1", "user", "hi")), new_id=seq_ids("gen"))
    assert (run.run_input.thread_id, run.run_input.run_id) == ("gen-1", "gen-2")


def test_run_from_graphql_uses_session_agent_and_its_state_when_agent_is_locked() -> None:
    run = run_from_graphql(
        arguments(
            text("u1", "user", "hi"),
            state_message("research", '{"step":1}'),
            agentSession={"agentName": "research", "threadId": "session-thread"},
            agentStates=[{"agentName": "other", "state": '{"ignored":true}'}],
        ),
        new_id=seq_ids("gen"),
    )
    assert run.agent_id == "research"
    assert run.is_agent_session is True
    assert run.run_input.thread_id == "session-thread"
    assert run.run_input.state == {"step": 1}
    assert run.run_input.messages == [UserMessage(id="u1", content="hi")]


def test_run_from_graphql_prefers_agent_states_when_both_carry_state() -> None:
    run = run_from_graphql(
        arguments(
            state_message("default", '{"old":true}'),
            agentStates=[{"agentName": "default", "state": '{"count":2}'}],
        ),
        new_id=seq_ids("gen"),
    )
    assert run.run_input.state == {"count": 2}


@pytest.mark.parametrize(
    ("parameters", "tool_choice"),
    [
        (
            {"toolChoice": "function", "toolChoiceFunctionName": "sayHello"},
            {"type": "function", "function": {"name": "sayHello"}},
        ),
        ({"toolChoice": "required"}, "required"),
    ],
)
def test_run_from_graphql_forwards_tool_choice_when_parameters_force_a_tool(
    parameters: dict[str, str], tool_choice: Any
) -> None:
    run = run_from_graphql(
        arguments(text("u1", "user", "hi"), forwardedParameters=parameters),
        new_id=seq_ids("gen"),
    )
    assert run.run_input.forwarded_props == {"toolChoice": tool_choice}


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            {"frontend": {"actions": [{"name": "a", "jsonSchema": "{nope"}]}},
            "the jsonSchema of action 'a' is not valid JSON",
        ),
        (
            {"agentStates": [{"agentName": "default", "state": "{"}]},
            "the state of agent 'default' is not valid JSON",
        ),
    ],
)
def test_run_from_graphql_rejects_json_strings_when_they_do_not_parse(
    data: dict[str, Any], problem: str
) -> None:
    with pytest.raises(GraphqlRequestError, match=problem):
        run_from_graphql(arguments(text("u1", "user", "hi"), **data), new_id=seq_ids("gen"))


def test_run_input_round_trips_through_the_v2_inbound_when_serialised() -> None:
    run = run_from_graphql(
        arguments(
            text("u1", "user", "hi"),
            message(
                "c1",
                "actionExecutionMessage",
                name="a",
                arguments='{"x":1}',
                parentMessageId="ai-1",
            ),
            message(
                "result-c1", "resultMessage", actionExecutionId="c1", actionName="a", result="ok"
            ),
            message("i1", "imageMessage", format="png", bytes="iVBOR", role="user"),
            properties={"userId": "u1"},
        ),
        new_id=seq_ids("gen"),
    )
    wire = run.run_input.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert run_input_from_body(wire) == run.run_input


def test_reconciled_takes_stored_ids_when_results_and_prompt_are_resent() -> None:
    stored: list[Message] = [
        SystemMessage(id="prompt-1", content="old prompt"),
        UserMessage(id="u1", content="hi"),
        AssistantMessage(id="ai-1", tool_calls=[call("c1", "lookup", "{}")]),
        ToolMessage(id="srv-7", content="42", tool_call_id="c1"),
        AssistantMessage(id="ai-2", content="It is 42."),
    ]
    resent = RunAgentInput(
        thread_id="t1",
        run_id="r2",
        messages=[
            SystemMessage(id="prompt-2", content="new prompt"),
            UserMessage(id="u1", content="hi"),
            AssistantMessage(id="ai-1", tool_calls=[call("c1", "lookup", "{}")]),
            ToolMessage(id="result-c1", content="42", tool_call_id="c1"),
            AssistantMessage(id="ai-2", content="It is 42."),
            ToolMessage(id="result-c9", content="from the page", tool_call_id="c9"),
            UserMessage(id="u2", content="thanks"),
        ],
        tools=[],
        context=[],
        forwarded_props={},
        state={},
    )
    assert [m.id for m in reconciled(resent, stored).messages] == [
        "prompt-1",
        "u1",
        "ai-1",
        "srv-7",
        "ai-2",
        "result-c9",
        "u2",
    ]
    assert reconciled(resent, stored).messages[0].content == "new prompt"
    assert reconciled(resent, []).messages == resent.messages
