"""The v1 schema (package data) and the checks of an incoming document: parse, validate, coerce."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    Visitor,
    build_schema,
    get_operation_ast,
    parse,
    validate,
    visit,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.language.visitor import REMOVE
from pydantic import JsonValue

SCHEMA_RESOURCE = "schema.graphql"
GENERATE = "generateCopilotResponse"
INCREMENTAL_DIRECTIVES = frozenset({"defer", "stream"})
DOCUMENT_CACHE_SIZE = 64
MAX_TOKENS = 1000
"""Tokens in a document: the clients' mutation has under 200, and validating a document of
unknown fields costs more per token the longer it is (0.5 s for 5,000)."""


class GraphqlRequestError(Exception):
    """The document or its variables do not fit the schema: answered 200 with `errors`."""

    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    """A validated operation, with its variables coerced by the schema."""

    document: DocumentNode
    definition: OperationDefinitionNode
    variables: dict[str, JsonValue]
    """The variables as sent (execution coerces them again)."""
    generate_arguments: dict[str, Any] | None
    """The coerced arguments of generateCopilotResponse; None for queries."""

    @property
    def name(self) -> str | None:
        """The operation's name, as the document gives it."""
        return self.definition.name.value if self.definition.name else None

    @property
    def is_mutation(self) -> bool:
        """True for generateCopilotResponse (the schema's only mutation)."""
        return self.definition.operation == OperationType.MUTATION


@cache
def copilot_schema() -> GraphQLSchema:
    """The schema CopilotKit <= 1.10 clients expect, built once."""
    sdl = files(__package__ or __name__).joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    return build_schema(sdl)


@cache
def execution_schema() -> GraphQLSchema:
    """The same schema without @defer/@stream, which graphql-core's `execute` refuses.

    Only fully materialised answers are executed (the documents lose those directives first);
    streamed answers are built by the encoder.
    """
    kwargs = copilot_schema().to_kwargs()
    kwargs["directives"] = tuple(
        d for d in kwargs["directives"] if d.name not in INCREMENTAL_DIRECTIVES
    )
    return GraphQLSchema(**kwargs)


@lru_cache(maxsize=DOCUMENT_CACHE_SIZE)
def checked_document(query: str) -> DocumentNode | tuple[GraphQLError, ...]:
    """The parsed document, or its syntax or validation errors.

    Clients send the same few documents on every request, and parsing plus validating the
    mutation costs about 10 ms; both outcomes are cached by the query text.
    """
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError as error:
        return (error,)
    problems = validate(copilot_schema(), document)
    return tuple(problems) if problems else document


def prepare_operation(
    query: str, variables: Mapping[str, JsonValue] | None, operation_name: str | None
) -> Operation:
    """Parse and validate `query`, pick the operation and coerce its variables.

    Raises:
        GraphqlRequestError: a syntax, validation or variable error (the client reads them
            as GraphQL errors, so they are answered with HTTP 200).
    """
    schema = copilot_schema()
    document = checked_document(query)
    if isinstance(document, tuple):
        raise GraphqlRequestError(list(document))
    definition = get_operation_ast(document, operation_name)
    if definition is None:
        wanted = f"named '{operation_name}'" if operation_name else "(send operationName)"
        raise GraphqlRequestError([GraphQLError(f"No single operation {wanted} in the document")])
    if definition.operation == OperationType.SUBSCRIPTION:
        raise GraphqlRequestError([GraphQLError("Subscriptions are not served")])
    inputs = dict(variables or {})
    coerced = get_variable_values(schema, definition.variable_definitions or (), inputs)
    if isinstance(coerced, list):
        raise GraphqlRequestError(coerced)
    arguments = None
    if definition.operation == OperationType.MUTATION:
        arguments = _generate_arguments(schema, definition, coerced)
    return Operation(
        document=document, definition=definition, variables=inputs, generate_arguments=arguments
    )


def _generate_arguments(
    schema: GraphQLSchema, definition: OperationDefinitionNode, variables: VariableValues
) -> dict[str, Any]:
    # One run per request: the streamed payloads have one generateCopilotResponse path.
    fields = [
        node
        for node in definition.selection_set.selections
        if isinstance(node, FieldNode) and node.name.value != "__typename"
    ]
    if len(fields) != 1 or fields[0].alias is not None:
        message = f"Select {GENERATE} exactly once, without an alias"
        raise GraphqlRequestError([GraphQLError(message, fields or None)])
    assert schema.mutation_type is not None  # the schema declares generateCopilotResponse
    field = schema.mutation_type.fields[GENERATE]
    try:
        return get_argument_values(field, fields[0], variables)
    except GraphQLError as error:
        raise GraphqlRequestError([error]) from None


class _DropIncremental(Visitor):
    def enter_directive(self, node: DirectiveNode, *_: object) -> object:
        return REMOVE if node.name.value in INCREMENTAL_DIRECTIVES else None


def without_incremental_directives(document: DocumentNode) -> DocumentNode:
    """The document with @defer and @stream removed, to answer it in one JSON body."""
    stripped = visit(document, _DropIncremental())
    assert isinstance(stripped, DocumentNode)
    return stripped
