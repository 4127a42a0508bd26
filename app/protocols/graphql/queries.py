"""The queries (hello, availableAgents, loadAgentState), executed by graphql-core itself."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

from ag_ui.core import AssistantMessage, Message, TextPart, ToolMessage, UserMessage
from graphql import ExecutionResult, GraphQLError, execute
from pydantic import JsonValue
from starlette.requests import Request

from copilot_runtime.actions import failure_summary
from copilot_runtime.app.body import storable
from copilot_runtime.app.context import action_context
from copilot_runtime.app.ownership import caller_of, visible_thread
from copilot_runtime.app.protocols.graphql.schema import (
    Operation,
    execution_schema,
    without_incremental_directives,
)
from copilot_runtime.app.protocols.graphql.wire import LoadAgentStateInput
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.app.server import Server

logger = logging.getLogger(__name__)

HELLO = "Hello World"
UNKNOWN_AGENT = "Agent '{name}' was not found. Available agents: {available}."
INTERNAL_ERROR = "Internal server error; see the server log."
UNSTORABLE_THREAD_ID = "threadId holds a NUL character or a lone surrogate"


async def run_query(server: Server, request: Request, operation: Operation) -> ExecutionResult:
    """Execute a query against the runtime; errors land in the result, as GraphQL has them."""
    # graphql-core's default resolver reads these keys and calls the callables with the
    # field's arguments, so any selection (aliases, __typename, several fields) just works.
    root: dict[str, object] = {
        "hello": HELLO,
        "availableAgents": partial(available_agents, server.runtime),
        "loadAgentState": partial(_guarded, load_agent_state, server, request),
    }
    result = execute(
        execution_schema(),
        without_incremental_directives(operation.document),
        root_value=root,
        variable_values=operation.variables,
        operation_name=operation.name,
    )
    if isinstance(result, ExecutionResult):
        return result
    return await result


async def _guarded(
    resolver: Callable[..., Awaitable[dict[str, JsonValue]]], *args: Any, **kwargs: Any
) -> dict[str, JsonValue]:
    # graphql-core puts the text of whatever a resolver raises into `errors`: only our own
    # GraphQLErrors may reach the client, anything else is logged as a type and frames.
    try:
        return await resolver(*args, **kwargs)
    except GraphQLError:
        raise
    except Exception as error:  # noqa: BLE001  # answered with a fixed message
        logger.error("a GraphQL query failed: %s", failure_summary(error))
        raise GraphQLError(INTERNAL_ERROR) from None


def available_agents(runtime: CopilotRuntime, _info: object) -> dict[str, JsonValue]:
    """Every agent of the runtime, by id."""
    agents: list[JsonValue] = [
        {"id": agent_id, "name": agent_id, "description": agent.description}
        for agent_id, agent in runtime.agents.items()
    ]
    return {"agents": agents}


async def load_agent_state(
    server: Server, http_request: Request, _info: object, data: dict[str, Any]
) -> dict[str, JsonValue]:
    """The caller's stored thread of an agent (anyone else's is a thread that does not exist);
    an unknown agent is a GraphQL error."""
    request = LoadAgentStateInput.model_validate(data)
    runtime = server.runtime
    agent = runtime.agents.get(request.agent_name)
    if agent is None:
        available = ", ".join(runtime.agents)
        raise GraphQLError(UNKNOWN_AGENT.format(name=request.agent_name, available=available))
    thread_id = request.thread_id
    if not storable(thread_id):
        raise GraphQLError(UNSTORABLE_THREAD_ID)
    context = action_context(
        http_request, agent_id=request.agent_name, thread_id=thread_id, properties={}
    )
    snapshot = None
    if await visible_thread(server, caller_of(server, context), thread_id) is not None:
        snapshot = await agent.thread_snapshot(thread_id)
    if snapshot is None:
        return {"threadId": thread_id, "threadExists": False, "state": "{}", "messages": "[]"}
    state = {k: v for k, v in snapshot.state.items() if k != "messages"}
    return {
        "threadId": thread_id,
        "threadExists": True,
        "state": json.dumps(state, ensure_ascii=False),
        "messages": json.dumps(copilotkit_messages(snapshot.messages), ensure_ascii=False),
    }


def copilotkit_messages(messages: Sequence[Message]) -> list[JsonValue]:
    """A stored thread in CopilotKit's JSON representation (`loadMessagesFromJsonRepresentation`).

    The client tells kinds apart by their keys: `content` (text), `arguments` (an action call),
    `result` (its result). System prompts are left out: the client rebuilds its own.
    """
    names = {
        call.id: call.function.name
        for message in messages
        if isinstance(message, AssistantMessage)
        for call in message.tool_calls or ()
    }
    converted: list[JsonValue] = []
    for message in messages:
        match message:
            case UserMessage(content=content):
                text = content if isinstance(content, str) else _text(content)
                converted.append({"id": message.id, "role": "user", "content": text})
            case AssistantMessage():
                converted.extend(_assistant(message))
            case ToolMessage(tool_call_id=call_id, content=content):
                converted.append(
                    {
                        # The id the streamed answer used for a server-side result.
                        "id": f"result-{call_id}",
                        "result": content if isinstance(content, str) else _text(content),
                        "actionExecutionId": call_id,
                        "actionName": names.get(call_id, "unknown"),
                    }
                )
    return converted


def _assistant(message: AssistantMessage) -> list[JsonValue]:
    items: list[JsonValue] = []
    if message.content:
        items.append({"id": message.id, "role": "assistant", "content": message.content})
    for call in message.tool_calls or ():
        try:
            arguments: JsonValue = json.loads(call.function.arguments or "{}")
        except json.JSONDecodeError:
            arguments = {}
        items.append(
            {
                "id": call.id,
                "name": call.function.name,
                "arguments": arguments,
                "parentMessageId": message.id,
            }
        )
    return items


def _text(parts: Sequence[object]) -> str:
    return "".join(part.text for part in parts if isinstance(part, TextPart))
