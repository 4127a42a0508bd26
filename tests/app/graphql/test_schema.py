"""The schema as package data, and the checks of incoming documents."""

from __future__ import annotations

import pytest
from graphql import print_ast
from pydantic import JsonValue

from copilot_runtime.app.protocols.graphql.schema import (
    GraphqlRequestError,
    checked_document,
    copilot_schema,
    prepare_operation,
    without_incremental_directives,
)
from tests.app.graphql.documents import AVAILABLE_AGENTS, GENERATE, LOAD_AGENT_STATE, text

DATA: dict[str, JsonValue] = {
    "metadata": {},
    "frontend": {"actions": []},
    "messages": [text("u1", "user", "hi")],
}


def test_schema_declares_every_root_field_the_client_uses() -> None:
    schema = copilot_schema()
    assert schema.query_type is not None
    assert schema.mutation_type is not None
    assert set(schema.query_type.fields) == {"hello", "availableAgents", "loadAgentState"}
    assert set(schema.mutation_type.fields) == {"generateCopilotResponse"}


def test_prepare_operation_coerces_generate_arguments_when_document_is_the_clients() -> None:
    operation = prepare_operation(GENERATE, {"data": DATA, "properties": {"a": 1}}, None)
    assert operation.is_mutation
    assert operation.name == "generateCopilotResponse"
    assert operation.generate_arguments is not None
    assert operation.generate_arguments["properties"] == {"a": 1}
    [message] = operation.generate_arguments["data"]["messages"]
    assert message["textMessage"] == {"role": "user", "content": "hi"}


@pytest.mark.parametrize(
    ("query", "variables", "name", "problem"),
    [
        ("mutation {", None, None, "Syntax Error"),
        ("{ hello nope }", None, None, "Cannot query field 'nope' on type 'Query'"),
        (AVAILABLE_AGENTS + LOAD_AGENT_STATE, None, None, "send operationName"),
        (AVAILABLE_AGENTS, None, "other", "No single operation named 'other'"),
        (LOAD_AGENT_STATE, {"data": {"threadId": "t1"}}, None, "agentName"),
        (GENERATE, {"data": {**DATA, "messages": 3}}, None, "MessageInput"),
        (
            "mutation($d: GenerateCopilotResponseInput!) { a: generateCopilotResponse(data: $d) "
            "{ threadId } b: generateCopilotResponse(data: $d) { runId } }",
            {"d": DATA},
            None,
            "exactly once, without an alias",
        ),
    ],
)
def test_prepare_operation_raises_graphql_errors_when_request_does_not_fit(
    query: str, variables: dict[str, JsonValue] | None, name: str | None, problem: str
) -> None:
    with pytest.raises(GraphqlRequestError, match=problem):
        prepare_operation(query, variables, name)


def test_without_incremental_directives_drops_defer_and_stream_only() -> None:
    operation = prepare_operation(GENERATE, {"data": DATA}, None)
    printed = print_ast(without_incremental_directives(operation.document))
    assert "@defer" not in printed
    assert "@stream" not in printed
    assert "... on CopilotResponse {" in printed


def test_checked_document_parses_each_query_text_once_when_clients_repeat_it() -> None:
    assert checked_document(GENERATE) is checked_document(GENERATE)
