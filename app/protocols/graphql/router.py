"""GraphQL at the base URL: POST (dispatched here by the v2 envelope on a `query` key) and GET."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter
from graphql import GraphQLError
from pydantic import JsonValue
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from copilot_runtime.actions import ActionDefinitionError, loggable
from copilot_runtime.app.body import parse_json
from copilot_runtime.app.errors import (
    BadRequestError,
    MethodNotAllowedError,
    ProtocolError,
    ProtocolRoute,
    base_url_paths,
)
from copilot_runtime.app.protocols.graphql.framing import negotiate
from copilot_runtime.app.protocols.graphql.generate import generate_response
from copilot_runtime.app.protocols.graphql.queries import run_query
from copilot_runtime.app.protocols.graphql.schema import (
    GraphqlRequestError,
    Operation,
    prepare_operation,
)
from copilot_runtime.app.server import Server

logger = logging.getLogger(__name__)


def graphql_router(server: Server, prefix: str) -> APIRouter:
    """`GET {base}?query=...`: queries only, as GraphQL over HTTP allows (mutations are POST)."""
    router = APIRouter(prefix=prefix, route_class=ProtocolRoute)

    async def graphql_get(request: Request) -> Response:
        params = request.query_params
        variables = _json_param(params.get("variables"))
        body: dict[str, JsonValue] = {
            "query": params.get("query"),
            "operationName": params.get("operationName"),
            "variables": variables,
        }
        return await graphql_response(server, request, body, is_get=True)

    for path in base_url_paths(prefix):
        router.add_api_route(path, graphql_get, methods=["GET"])
    return router


async def graphql_response(
    server: Server, request: Request, body: Mapping[str, Any], *, is_get: bool = False
) -> Response:
    """Answer a GraphQL request body `{"query", "variables", "operationName"}`.

    A malformed body is a 400 JSON error; anything the GraphQL layer rejects (syntax, schema,
    variables, an unknown agent, a run that cannot start) is HTTP 200 with `errors`, because
    the client turns every 4xx/5xx into a generic error and reads `errors` otherwise.
    """
    query, variables, operation_name = _request_fields(body)
    try:
        operation = prepare_operation(query, variables, operation_name)
    except GraphqlRequestError as error:
        return _errors(error.errors)
    if operation.is_mutation and is_get:
        raise MethodNotAllowedError("POST")
    if not operation.is_mutation:
        result = await run_query(server, request, operation)
        return JSONResponse(result.formatted)
    return await _generate(server, request, operation)


async def _generate(server: Server, request: Request, operation: Operation) -> Response:
    transport = negotiate(request.headers.get("accept", ""))
    try:
        return await generate_response(server, request, operation, transport)
    except GraphqlRequestError as error:
        return _errors(error.errors, has_data=True)
    except ActionDefinitionError as error:
        # The developer's own declaration: name it, as the v2 routes do.
        logger.error("bad action declaration: %s", loggable(error))
        return _errors([_error(str(error), "action_definition_error")], has_data=True)
    except ProtocolError as error:
        return _errors([_error(error.message, error.error)], has_data=True)


def _request_fields(body: Mapping[str, Any]) -> tuple[str, dict[str, JsonValue] | None, str | None]:
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        raise BadRequestError("`query` must be a non-empty string", error="invalid_graphql_request")
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise BadRequestError("`variables` must be an object", error="invalid_graphql_request")
    name = body.get("operationName")
    if name is not None and not isinstance(name, str):
        raise BadRequestError("`operationName` must be a string", error="invalid_graphql_request")
    return query, variables, name


def _json_param(text: str | None) -> JsonValue:
    if text is None:
        return None
    value: JsonValue = parse_json(text, where="`variables`", error="invalid_graphql_request")
    return value


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, path=["generateCopilotResponse"], extensions={"code": code})


def _errors(errors: list[GraphQLError], *, has_data: bool = False) -> JSONResponse:
    # A request error has no `data` key; a failed (non-null) root field has `data: null`.
    body: dict[str, Any] = {"errors": [error.formatted for error in errors]}
    if has_data:
        body = {"data": None, **body}
    return JSONResponse(body)
