"""Conformance with the published GraphQL client, @copilotkit/runtime-client-gql 1.74.0 (urql 5),
driven from Node as @copilotkit/react-core <= 1.10 drives it (tests/node/copilotkit_gql.mjs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import LiveServer, run_node

SAY_HELLO = {
    "name": "sayHello",
    "description": "Greet a person in the page.",
    "jsonSchema": {
        "type": "object",
        "properties": {"name": {"type": "string", "description": "Who to greet"}},
        "required": ["name"],
    },
    "result": {"greeted": True},
}


def gql(server: LiveServer, tmp_path: Path, **scenario: Any) -> dict[str, Any]:
    return run_node("copilotkit_gql.mjs", server.url, scenario, tmp_path)


def kinds_and_text(messages: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    return [
        (m["type"], m.get("content") or m.get("result") or m.get("arguments")) for m in messages
    ]


def mutation_requests(transcript: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r
        for r in transcript["requests"]
        if r["body"] and r["body"].get("operationName") == "generateCopilotResponse"
    ]


def test_gql_streamed_chat_gets_backend_action_call_result_and_answer(
    live_server: LiveServer, tmp_path: Path
) -> None:
    transcript = gql(live_server, tmp_path, message="What is the name of user 42?")
    [request] = mutation_requests(transcript)
    assert request["status"] == 200
    assert request["contentType"] == 'multipart/mixed; boundary="-"'
    assert len(transcript["responses"][0]) > 5  # delivered incrementally, not in one piece
    assert kinds_and_text(transcript["messages"]) == [
        ("TextMessage", "What is the name of user 42?"),
        ("ActionExecutionMessage", {"userId": "42"}),
        ("ResultMessage", '{"name":"Darth Doe"}'),
        ("TextMessage", 'fetchNameForUserId returned: {"name":"Darth Doe"}'),
    ]
    call, result = transcript["messages"][1:3]
    assert result["id"] == f"result-{call['id']}"
    assert transcript["statuses"] == [{"code": "Success", "__typename": "SuccessResponseStatus"}]
    assert transcript["actionCalls"] == []  # the server ran it: nothing for the page to do


def test_gql_frontend_action_runs_in_page_and_follow_up_completes_the_answer(
    live_server: LiveServer, tmp_path: Path
) -> None:
    transcript = gql(
        live_server, tmp_path, message="Please sayHello to Ada", frontendActions=[SAY_HELLO]
    )
    assert [(c["name"], c["args"]) for c in transcript["actionCalls"]] == [
        ("sayHello", {"name": "Ada"})
    ]
    first, follow_up = mutation_requests(transcript)
    sent = follow_up["body"]["variables"]["data"]["messages"]
    assert [next(k for k in m if k.endswith("Message")) for m in sent] == [
        "textMessage",
        "textMessage",
        "actionExecutionMessage",
        "resultMessage",
    ]
    assert "threadId" not in first["body"]["variables"]["data"]  # the server made one up
    assert follow_up["body"]["variables"]["data"]["threadId"] == transcript["threadId"]
    assert kinds_and_text(transcript["messages"])[-1] == (
        "TextMessage",
        'sayHello returned: {"greeted":true}',
    )


def test_gql_thread_holds_the_client_transcript_once_when_results_are_resent(
    live_server: LiveServer, tmp_path: Path
) -> None:
    transcript = gql(
        live_server,
        tmp_path,
        threadId="gql-resent",
        message=["Please sayHello to Ada", "What is the name of user 42?", "hello"],
        frontendActions=[SAY_HELLO],
        loadState=True,
    )
    client_ids = [m["id"] for m in transcript["messages"]]
    stored = transcript["loadedState"]["messages"]
    assert transcript["loadedState"]["threadExists"] is True
    assert [m["id"] for m in stored] == client_ids
    assert len(set(client_ids)) == len(client_ids)


def test_gql_non_streamed_task_gets_materialised_json_and_runs_the_call(
    live_server: LiveServer, tmp_path: Path
) -> None:
    transcript = gql(
        live_server,
        tmp_path,
        mode="task",
        streamed=False,
        message="Please sayHello to Grace",
        frontendActions=[SAY_HELLO],
    )
    [request] = mutation_requests(transcript)
    assert request["contentType"] == "application/json"
    [response] = transcript["responses"][0]
    [call] = response["messages"]
    assert call["__typename"] == "ActionExecutionMessageOutput"
    assert "".join(call["arguments"]) == '{"name": "Grace"}'
    assert call["status"] == {"code": "Success", "__typename": "SuccessMessageStatus"}
    assert [(c["name"], c["args"]) for c in transcript["actionCalls"]] == [
        ("sayHello", {"name": "Grace"})
    ]


def test_gql_invalid_argument_is_a_graphql_error_with_http_200(
    live_server: LiveServer, tmp_path: Path
) -> None:
    message = {"id": "u1", "createdAt": "2024-01-01T00:00:00Z"}
    data = {
        "metadata": {"requestType": "Chat"},
        "frontend": {"actions": []},
        "messages": [{**message, "textMessage": {"role": "robot", "content": "hi"}}],
    }
    transcript = gql(live_server, tmp_path, mode="raw", data=data)
    [request] = mutation_requests(transcript)
    assert request["status"] == 200
    [error] = transcript["raw"]["graphQLErrors"]
    assert "'robot' does not exist in 'MessageRole'" in error["message"]
    assert transcript["raw"]["networkError"] is None


def test_gql_available_agents_lists_the_default_agent(
    live_server: LiveServer, tmp_path: Path
) -> None:
    transcript = gql(live_server, tmp_path, mode="agents")
    assert [(a["id"], a["name"], a["__typename"]) for a in transcript["agents"]] == [
        ("default", "default", "Agent")
    ]
