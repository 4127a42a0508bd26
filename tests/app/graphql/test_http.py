"""GraphQL over HTTP, in process: transports, the actions context, threads, errors, queries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest

from copilot_runtime.actions import Action, ActionContext, ActionDefinitionError, Parameter
from copilot_runtime.app.main import create_app
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.testing import ScriptedChatModel
from tests.app.conftest import BASE, run_scope, serve, settings
from tests.app.graphql.documents import (
    LOAD_AGENT_STATE,
    URQL_ACCEPT,
    generate_body,
    message,
    multipart_payloads,
    sse_payloads,
    text,
)
from tests.app.test_run_control import Hang, hanging_runtime
from tests.fakes import answer, calls

ROOT = "generateCopilotResponse"
SUCCESS = {"code": "Success", "__typename": "SuccessMessageStatus"}


def echo_context(context: ActionContext) -> dict[str, Any]:
    return {
        "props": dict(context.properties),
        "url": context.url,
        "auth": context.headers.get("authorization"),
        "thread": context.thread_id,
    }


def lookup(userId: str) -> dict[str, str]:  # CopilotKit's parameter name
    return {"name": "Ada"}


LOOKUP = Action(
    name="lookup", parameters=(Parameter(name="userId", type="string"),), handler=lookup
)


async def post(client: httpx.AsyncClient, body: dict[str, Any], accept: str) -> httpx.Response:
    response = await client.post(BASE, json=body, headers={"accept": accept})
    assert response.status_code == 200, response.text
    return response


def hello_runtime() -> CopilotRuntime:
    return CopilotRuntime(model=ScriptedChatModel([answer("Hello there", id="m1")]))


HELLO_PAYLOADS: list[dict[str, Any]] = [
    {
        "data": {
            ROOT: {
                "threadId": "t1",
                "runId": "srv-1",
                "extensions": None,
                "messages": [],
                "metaEvents": [],
                "__typename": "CopilotResponse",
            }
        },
        "hasNext": True,
    },
    {
        "incremental": [
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
                "path": [ROOT, "messages", 0],
            }
        ],
        "hasNext": True,
    },
    {"incremental": [{"items": ["Hello "], "path": [ROOT, "messages", 0, "content", 0]}],
     "hasNext": True},
    {"incremental": [{"items": ["there"], "path": [ROOT, "messages", 0, "content", 1]}],
     "hasNext": True},
    {
        "incremental": [
            {"data": {"status": SUCCESS, "__typename": "TextMessageOutput"},
             "path": [ROOT, "messages", 0]}
        ],
        "hasNext": True,
    },
    {
        "incremental": [
            {
                "data": {
                    "status": {"code": "Success", "__typename": "SuccessResponseStatus"},
                    "__typename": "CopilotResponse",
                },
                "path": [ROOT],
            }
        ],
        "hasNext": False,
    },
]  # fmt: skip


async def test_generate_streams_legacy_multipart_when_client_is_urql() -> None:
    async with serve(hello_runtime()) as client:
        response = await post(client, generate_body(text("u1", "user", "hi"), threadId="t1"),
                              URQL_ACCEPT)  # fmt: skip
    assert response.headers["content-type"] == 'multipart/mixed; boundary="-"'
    assert multipart_payloads(response.text) == HELLO_PAYLOADS


async def test_generate_streams_the_same_payloads_as_sse_when_only_event_stream_is_accepted() -> (
    None
):
    async with serve(hello_runtime()) as client:
        response = await post(
            client, generate_body(text("u1", "user", "hi"), threadId="t1"), "text/event-stream"
        )
    assert response.headers["content-type"].startswith("text/event-stream")
    assert sse_payloads(response.text) == HELLO_PAYLOADS


async def test_generate_answers_one_json_body_in_the_clients_shape_when_json_is_accepted() -> None:
    query = """
    mutation run($data: GenerateCopilotResponseInput!) {
      generateCopilotResponse(data: $data) {
        threadId
        status { __typename ... on BaseResponseStatus { code } }
        messages { __typename ... on TextMessageOutput { text: content role } }
      }
    }"""
    body = {**generate_body(text("u1", "user", "hi"), threadId="t1"), "query": query}
    async with serve(hello_runtime()) as client:
        response = await post(client, {**body, "operationName": "run"}, "application/json")
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "data": {
            ROOT: {
                "threadId": "t1",
                "status": {"__typename": "SuccessResponseStatus", "code": "Success"},
                "messages": [
                    {"__typename": "TextMessageOutput", "text": ["Hello ", "there"],
                     "role": "assistant"}
                ],
            }
        }
    }  # fmt: skip


async def test_generate_gives_actions_properties_page_url_and_headers() -> None:
    model = ScriptedChatModel([calls(("c1", "whoami", {}), id="a1"), answer("ok", id="a2")])
    runtime = CopilotRuntime(actions=[Action(name="whoami", handler=echo_context)], model=model)
    body = generate_body(text("u1", "user", "who am I?"), threadId="t1")
    body["variables"]["properties"] = {"role": "admin"}
    async with serve(runtime) as client:
        response = await client.post(
            BASE, json=body, headers={"accept": "application/json", "authorization": "Bearer x"}
        )
    messages = response.json()["data"][ROOT]["messages"]
    result = next(m for m in messages if m["__typename"] == "ResultMessageOutput")
    assert json.loads(result["result"]) == {
        "props": {"role": "admin"},
        "url": "https://app.example/page",
        "auth": "Bearer x",
        "thread": "t1",
    }
    assert result["id"] == "result-c1"
    assert result["actionName"] == "whoami"


async def test_generate_reports_failed_status_when_the_model_fails() -> None:
    runtime = CopilotRuntime(model=ScriptedChatModel([RuntimeError("provider down")]))
    async with serve(runtime) as client:
        response = await post(client, generate_body(text("u1", "user", "hi")), URQL_ACCEPT)
    last = multipart_payloads(response.text)[-1]
    assert last["hasNext"] is False
    status = last["incremental"][-1]["data"]["status"]
    assert status["__typename"] == "FailedResponseStatus"
    assert status["reason"] == "UNKNOWN_ERROR"
    assert "internal error" in status["details"]["description"]
    assert "provider down" not in response.text  # the exception's text stays in the log


async def test_thread_holds_each_message_once_when_client_resends_its_transcript() -> None:
    model = ScriptedChatModel(
        [
            calls(("c1", "lookup", {"userId": "7"}), id="a1"),
            answer("It is Ada.", id="a2"),
            answer("You are welcome.", id="a3"),
        ]
    )
    runtime = CopilotRuntime(actions=[LOOKUP], model=model)
    first = generate_body(text("p1", "system", "Be brief."), text("u1", "user", "Who is 7?"),
                          threadId="t1")  # fmt: skip
    async with serve(runtime) as client:
        answered = (await post(client, first, "application/json")).json()["data"][ROOT]
        # What react-core sends next: a new id for its prompt, then everything it holds.
        call, result, reply = answered["messages"]
        second = generate_body(
            text("p2", "system", "Be brief."),
            text("u1", "user", "Who is 7?"),
            message(call["id"], "actionExecutionMessage", name=call["name"],
                    arguments="".join(call["arguments"]), parentMessageId=call["parentMessageId"]),
            message(result["id"], "resultMessage", actionExecutionId=result["actionExecutionId"],
                    actionName=result["actionName"], result=result["result"]),
            text(reply["id"], "assistant", "".join(reply["content"])),
            text("u2", "user", "Thanks!"),
            threadId="t1",
        )  # fmt: skip
        await post(client, second, "application/json")
        snapshot = await runtime.agents["default"].thread_snapshot("t1")
    assert snapshot is not None
    [stored_result] = [m.id for m in snapshot.messages if m.role == "tool"]
    assert stored_result != "result-c1"  # the graph's own id, which the client never saw
    # The client's system prompt reaches the model on every request but is not stored.
    assert [(m.role, m.id) for m in snapshot.messages] == [
        ("user", "u1"),
        ("assistant", "a1"),
        ("tool", stored_result),
        ("assistant", "a2"),
        ("user", "u2"),
        ("assistant", "a3"),
    ]
    # The last model call saw the run's own prompt, then the thread once (before a3).
    assert [m.type for m in model.requests[-1].messages] == [
        "system", "system", "human", "ai", "tool", "ai", "human",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"query": "{ hello nope }"}, "Cannot query field 'nope'"),
        ({"query": "{ hello }", "operationName": "missing"}, "No single operation"),
        (
            {"query": LOAD_AGENT_STATE, "variables": {"data": {"threadId": 1, "agentName": "x"}}},
            "String cannot represent a non string value",
        ),
    ],
)
async def test_graphql_errors_are_http_200_with_errors_when_document_does_not_fit(
    body: dict[str, Any], problem: str
) -> None:
    async with serve(CopilotRuntime(model="demo")) as client:
        response = await client.post(BASE, json=body)
    assert response.status_code == 200
    assert "data" not in response.json()
    assert problem in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "body",
    [{"query": 42}, {"query": " "}, {"query": "{ hello }", "variables": [1]},
     {"query": "{ hello }", "operationName": 7}],
)  # fmt: skip
async def test_malformed_graphql_bodies_get_400_json(body: dict[str, Any]) -> None:
    async with serve(CopilotRuntime(model="demo")) as client:
        response = await client.post(BASE, json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_graphql_request"


async def test_generate_is_a_graphql_error_when_session_names_an_unknown_agent() -> None:
    body = generate_body(text("u1", "user", "hi"), agentSession={"agentName": "nope"})
    async with serve(CopilotRuntime(model="demo")) as client:
        response = await post(client, body, URQL_ACCEPT)
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "Agent 'nope' does not exist",
                "path": [ROOT],
                "extensions": {"code": "Agent not found"},
            }
        ],
    }


async def test_generate_names_the_bad_declaration_when_actions_generator_fails() -> None:
    def broken(context: ActionContext) -> list[Action]:
        raise ActionDefinitionError("lookup", "type 'date' is not supported")

    async with serve(CopilotRuntime(actions=broken, model="demo")) as client:
        response = await post(client, generate_body(text("u1", "user", "hi")), URQL_ACCEPT)
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "action_definition_error"}
    assert "type 'date' is not supported" in error["message"]


async def test_queries_answer_agents_and_hello_in_one_json_body() -> None:
    query = "{ greeting: hello availableAgents { agents { name id description __typename } "
    query += "__typename } }"
    async with serve(CopilotRuntime(model="demo")) as client:
        response = await client.post(BASE, json={"query": query}, headers={"accept": URQL_ACCEPT})
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "data": {
            "greeting": "Hello World",
            "availableAgents": {
                "agents": [
                    {
                        "name": "default",
                        "id": "default",
                        "description": "The default agent with the runtime's backend actions.",
                        "__typename": "Agent",
                    }
                ],
                "__typename": "AgentsResponse",
            },
        }
    }


async def test_load_agent_state_over_get_reports_a_thread_never_seen() -> None:
    variables = json.dumps({"data": {"threadId": "unknown", "agentName": "default"}})
    async with serve(CopilotRuntime(model="demo")) as client:
        response = await client.get(
            BASE, params={"query": LOAD_AGENT_STATE, "variables": variables}
        )
    assert response.json() == {
        "data": {
            "loadAgentState": {
                "threadId": "unknown",
                "threadExists": False,
                "state": "{}",
                "messages": "[]",
                "__typename": "LoadAgentStateResponse",
            }
        }
    }


async def test_load_agent_state_returns_the_thread_in_copilotkit_json_when_it_exists() -> None:
    model = ScriptedChatModel(
        [calls(("c1", "lookup", {"userId": "7"}), id="a1"), answer("Ada.", id="a2")]
    )
    runtime = CopilotRuntime(actions=[LOOKUP], model=model)
    load = {"query": LOAD_AGENT_STATE,
            "variables": {"data": {"threadId": "t1", "agentName": "default"}}}  # fmt: skip
    async with serve(runtime) as client:
        await post(client, generate_body(text("u1", "user", "Who is 7?"), threadId="t1"),
                   "application/json")  # fmt: skip
        loaded = (await client.post(BASE, json=load)).json()["data"]["loadAgentState"]
    assert loaded["threadExists"] is True
    assert json.loads(loaded["state"]) == {}
    assert json.loads(loaded["messages"]) == [
        {"id": "u1", "role": "user", "content": "Who is 7?"},
        {"id": "c1", "name": "lookup", "arguments": {"userId": "7"}, "parentMessageId": "a1"},
        {"id": "result-c1", "result": '{"name":"Ada"}', "actionExecutionId": "c1",
         "actionName": "lookup"},
        {"id": "a2", "role": "assistant", "content": "Ada."},
    ]  # fmt: skip


async def test_load_agent_state_is_a_graphql_error_when_agent_is_unknown() -> None:
    load = {"query": LOAD_AGENT_STATE,
            "variables": {"data": {"threadId": "t1", "agentName": "ghost"}}}  # fmt: skip
    async with serve(CopilotRuntime(model="demo")) as client:
        response = await client.post(BASE, json=load)
    assert response.status_code == 200
    assert response.json()["data"] is None
    assert "Agent 'ghost' was not found" in response.json()["errors"][0]["message"]


async def test_mutation_over_get_is_refused_with_405() -> None:
    query = "mutation { generateCopilotResponse(data: {metadata: {}, messages: [], "
    query += "frontend: {actions: []}}) { threadId } }"
    async with serve(CopilotRuntime(model="demo")) as client:
        response = await client.get(BASE, params={"query": query})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_generate_ends_with_agent_state_when_chat_is_locked_to_an_agent() -> None:
    body = generate_body(
        text("u1", "user", "hi"),
        threadId="t1",
        agentSession={"agentName": "default"},
        agentStates=[{"agentName": "default", "state": '{"count": 2}'}],
    )
    async with serve(hello_runtime()) as client:
        response = await post(client, body, "application/json")
    *_, state_message = response.json()["data"][ROOT]["messages"]
    assert state_message == {
        "__typename": "AgentStateMessageOutput",
        "id": "srv-3",  # srv-1: the run, srv-2: kept by the stop machinery
        "createdAt": state_message["createdAt"],
        "status": SUCCESS,
        "threadId": "t1",
        "state": '{"count": 2}',
        "running": True,
        "agentName": "default",
        "nodeName": "",
        "runId": "srv-1",
        "active": False,
        "role": "assistant",
    }


async def test_generate_stream_cancels_the_run_when_the_client_goes_away() -> None:
    hang = Hang()
    app = create_app(hanging_runtime(hang), settings())
    request_body = json.dumps(generate_body(text("u1", "user", "hi"), threadId="t1")).encode()
    received: list[dict[str, Any]] = []
    written: list[bytes] = []

    async def receive() -> dict[str, Any]:
        if not received:
            received.append({})
            return {"type": "http.request", "body": request_body, "more_body": False}
        await hang.started.wait()  # the client goes away while the action runs
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        written.append(message.get("body", b""))

    scope = run_scope(BASE)
    scope["headers"] = [*scope["headers"], (b"accept", URQL_ACCEPT.encode())]
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app(scope, receive, send), 5)
    assert hang.cancelled.is_set()
    assert not app.state.server.registry.is_running("t1")
    assert b"generateCopilotResponse" in b"".join(written)  # it had started streaming
