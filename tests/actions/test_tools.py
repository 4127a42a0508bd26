"""tool_from_action: a StructuredTool that validates arguments, runs handlers, reports failures."""

import asyncio
import functools
import logging
import threading
from typing import Any

import pytest
from langchain_core.messages import ToolCall, ToolMessage
from langchain_core.tools import StructuredTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from copilot_runtime.actions import (
    Action,
    ActionContext,
    ActionFailedError,
    Parameter,
    action,
    action_from_dict,
    parameters_json_schema,
    run_action,
    tool_from_action,
)

CONTEXT = ActionContext(
    properties={"role": "admin", "tenant": "acme"},
    url="https://app.example/orders",
    request_url="https://api.example/copilotkit",
    headers={"authorization": "Bearer secret-token-123", "x-user": "u-1"},
    thread_id="thread-1",
)

ADDRESS = Parameter(
    name="address",
    type="object",
    attributes=(
        Parameter(name="street"),
        Parameter(name="zip"),
        Parameter(
            name="geo",
            type="object",
            required=False,
            attributes=(Parameter(name="lat", type="number"), Parameter(name="lng", type="number")),
        ),
    ),
)


async def call(tool: StructuredTool, args: dict[str, Any]) -> ToolMessage:
    """Invoke the tool the way LangGraph's ToolNode does: with a whole tool call."""
    tool_call = ToolCall(name=tool.name, args=args, id="c1", type="tool_call")
    message = await tool.ainvoke(tool_call)
    assert isinstance(message, ToolMessage)
    assert (message.tool_call_id, message.name) == ("c1", tool.name)
    return message


def tool_for(handler: Any, *parameters: Parameter, name: str = "act") -> StructuredTool:
    return tool_from_action(
        Action(name=name, description="Does it.", parameters=parameters, handler=handler), CONTEXT
    )


class Recorder:
    """A handler that remembers every call."""

    def __init__(self, result: Any = "done") -> None:
        self.calls: list[dict[str, Any]] = []
        self.result = result

    def __call__(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        return self.result


# --- the tool as the model sees it --------------------------------------------------------


def test_tool_is_structured_tool_with_action_name_and_description_when_built() -> None:
    tool = tool_for(Recorder(), Parameter(name="city"), name="getWeather")

    assert isinstance(tool, StructuredTool)
    assert (tool.name, tool.description) == ("getWeather", "Does it.")


def test_tool_call_schema_is_the_parameters_json_schema_when_built() -> None:
    parameters = (
        Parameter(name="city", description="City name"),
        ADDRESS,
        Parameter(name="rows", type="object[]", attributes=(Parameter(name="sku"),)),
        Parameter(name="days", type="number", required=False),
    )
    tool = tool_for(Recorder(), *parameters)

    assert tool.args_schema == parameters_json_schema(parameters)
    # LangChain adds the tool description to the schema it hands to chat models.
    assert tool.tool_call_schema == {
        **parameters_json_schema(parameters),
        "description": "Does it.",
    }


def test_tool_gives_openai_the_exact_parameters_schema_when_converted() -> None:
    parameters = (Parameter(name="city", description="City name"), ADDRESS)
    tool = tool_for(Recorder(), *parameters, name="getWeather")

    assert convert_to_openai_tool(tool) == {
        "type": "function",
        "function": {
            "name": "getWeather",
            "description": "Does it.",
            "parameters": parameters_json_schema(parameters),
        },
    }


def test_tool_describes_itself_by_name_when_action_has_no_description() -> None:
    tool = tool_from_action(Action(name="ping", handler=Recorder()), CONTEXT)

    assert tool.description == "ping"


def test_tool_call_schema_hides_context_when_handler_takes_context() -> None:
    @action
    def greet(context: ActionContext, name: str) -> str:
        """Greet someone."""
        return name

    tool = tool_from_action(greet, CONTEXT)

    assert tool.tool_call_schema == {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
        "description": "Greet someone.",
    }


# --- successful calls ---------------------------------------------------------------------


async def test_tool_returns_json_content_and_raw_artifact_when_handler_returns_dict() -> None:
    result = {"name": "Darth Doe", "age": 42, "tags": ["a"], "active": True, "score": 2.5}

    message = await call(tool_for(Recorder(result)), {})

    assert message.status == "success"
    assert message.content == '{"name":"Darth Doe","age":42,"tags":["a"],"active":true,"score":2.5}'
    assert message.artifact is result


async def test_tool_returns_string_unchanged_when_handler_returns_string() -> None:
    message = await call(tool_for(Recorder('Sunny, "22" degrees')), {})

    assert message.content == 'Sunny, "22" degrees'
    assert message.artifact == 'Sunny, "22" degrees'


@pytest.mark.parametrize(
    ("result", "content"),
    [(None, "null"), (3, "3"), (2.5, "2.5"), (False, "false"), ([1, "a"], '[1,"a"]'), ({}, "{}")],
)
async def test_tool_returns_json_content_when_handler_returns_non_string(
    result: Any, content: str
) -> None:
    message = await call(tool_for(Recorder(result)), {})

    assert message.status == "success"
    assert message.content == content


async def test_tool_returns_seed_result_when_action_comes_from_copilotkit_docs_dict() -> None:
    async def handler(userId: str) -> dict[str, str]:
        return {"name": "Darth Doe"}

    declared = action_from_dict(
        {
            "name": "fetchNameForUserId",
            "description": "Fetches user name from the database for a given ID.",
            "parameters": [
                {
                    "name": "userId",
                    "type": "string",
                    "description": "The ID of the user to fetch data for.",
                    "required": True,
                }
            ],
            "handler": handler,
        }
    )

    message = await call(tool_from_action(declared, CONTEXT), {"userId": "1"})

    assert message.status == "success"
    assert message.content == '{"name":"Darth Doe"}'
    assert message.artifact == {"name": "Darth Doe"}


async def test_tool_passes_validated_arguments_when_call_is_valid() -> None:
    recorder = Recorder()
    tool = tool_for(recorder, Parameter(name="n", type="number"), ADDRESS)
    address = {"street": "1 Main St", "zip": "75001", "geo": {"lat": 48, "lng": 2.35}}

    await call(tool, {"n": 3, "address": address})

    assert recorder.calls == [{"n": 3, "address": address}]
    assert type(recorder.calls[0]["n"]) is int
    assert type(recorder.calls[0]["address"]["geo"]) is dict


async def test_tool_drops_unknown_arguments_when_model_invents_keys() -> None:
    def handler(city: str) -> str:
        return city

    message = await call(tool_for(handler, Parameter(name="city")), {"city": "Oslo", "units": "C"})

    assert (message.status, message.content) == ("success", "Oslo")


async def test_tool_lets_handler_default_apply_when_optional_argument_is_absent() -> None:
    def handler(query: str, limit: int = 10) -> dict[str, Any]:
        return {"query": query, "limit": limit}

    tool = tool_for(
        handler, Parameter(name="query"), Parameter(name="limit", type="number", required=False)
    )

    message = await call(tool, {"query": "shoes"})

    assert message.artifact == {"query": "shoes", "limit": 10}


# --- invalid arguments --------------------------------------------------------------------


async def test_tool_returns_error_naming_argument_when_type_is_wrong() -> None:
    recorder = Recorder()
    tool = tool_for(recorder, Parameter(name="count", type="number"), name="countItems")

    message = await call(tool, {"count": "3"})

    assert message.status == "error"
    assert isinstance(message.content, str)
    assert "countItems" in message.content
    assert "count" in message.content.replace("countItems", "")
    assert recorder.calls == []


async def test_tool_returns_error_naming_path_when_nested_required_is_missing() -> None:
    recorder = Recorder()

    message = await call(tool_for(recorder, ADDRESS), {"address": {"street": "1 Main St"}})

    assert message.status == "error"
    assert "address.zip" in message.content
    assert recorder.calls == []


async def test_tool_returns_error_naming_argument_when_required_is_missing() -> None:
    message = await call(tool_for(Recorder(), Parameter(name="userId")), {})

    assert message.status == "error"
    assert "userId" in message.content


async def test_tool_returns_error_naming_argument_when_enum_is_violated() -> None:
    tool = tool_for(Recorder(), Parameter(name="color", enum=("red", "blue")))

    message = await call(tool, {"color": "green"})

    assert message.status == "error"
    assert "color" in message.content


# --- handler failures ---------------------------------------------------------------------


async def test_tool_returns_error_with_message_when_handler_raises_action_failed() -> None:
    def handler(userId: str) -> str:
        raise ActionFailedError("no user with id 42")

    message = await call(tool_for(handler, Parameter(name="userId")), {"userId": "42"})

    assert message.status == "error"
    assert "no user with id 42" in message.content


async def test_tool_returns_error_with_message_when_async_handler_raises_action_failed() -> None:
    async def handler() -> str:
        raise ActionFailedError("quota exceeded")

    message = await call(tool_for(handler), {})

    assert message.status == "error"
    assert "quota exceeded" in message.content


async def test_tool_hides_exception_text_from_result_and_log_when_handler_crashes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def handler() -> str:
        raise RuntimeError("secret-token-123")

    with caplog.at_level(logging.ERROR):
        message = await call(tool_for(handler, name="leaky"), {})

    assert message.status == "error"
    assert "leaky" in message.content
    assert "secret-token-123" not in message.content
    assert "RuntimeError" not in message.content
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    logged = errors[0].getMessage()
    assert "leaky" in logged
    assert "RuntimeError" in logged  # the type and the frames help the operator...
    assert "in handler" in logged
    assert "secret-token-123" not in logged  # ...the text may hold secrets
    assert errors[0].exc_info is None


async def test_tool_hides_exception_text_when_async_handler_crashes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler() -> str:
        raise KeyError("db-password")

    with caplog.at_level(logging.ERROR):
        message = await call(tool_for(handler), {})

    assert message.status == "error"
    assert "db-password" not in message.content
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "KeyError" in logged
    assert "db-password" not in logged


async def test_tool_returns_error_when_result_is_not_json_serialisable() -> None:
    class Opaque:
        pass

    message = await call(tool_for(Recorder(Opaque()), name="opaque"), {})

    assert message.status == "error"
    assert "opaque" in message.content
    assert "JSON" in message.content


async def test_tool_keeps_running_other_calls_when_one_call_fails() -> None:
    def handler(n: int) -> int:
        if n < 0:
            raise ActionFailedError("negative")
        return n * 2

    tool = tool_for(handler, Parameter(name="n", type="number"))

    failed = await call(tool, {"n": -1})
    succeeded = await call(tool, {"n": 4})

    assert (failed.status, succeeded.status, succeeded.content) == ("error", "success", "8")


# --- how handlers are run -----------------------------------------------------------------


async def test_tool_runs_sync_handler_in_worker_thread_when_handler_is_sync() -> None:
    seen: list[threading.Thread] = []

    def handler() -> str:
        seen.append(threading.current_thread())
        return "ok"

    await call(tool_for(handler), {})

    assert len(seen) == 1
    assert seen[0] is not threading.current_thread()


async def test_tool_keeps_event_loop_free_when_sync_handler_blocks() -> None:
    released = threading.Event()

    def handler() -> bool:
        # Waits for the event loop to do something else while this call is running.
        return released.wait(timeout=5)

    async def release_soon() -> None:
        await asyncio.sleep(0.01)
        released.set()

    message, _ = await asyncio.gather(call(tool_for(handler), {}), release_soon())

    assert message.content == "true"


async def test_tool_awaits_handler_on_event_loop_when_handler_is_async() -> None:
    seen: list[threading.Thread] = []

    async def handler(city: str) -> dict[str, str]:
        seen.append(threading.current_thread())
        await asyncio.sleep(0)
        return {"city": city}

    message = await call(tool_for(handler, Parameter(name="city")), {"city": "Oslo"})

    assert message.content == '{"city":"Oslo"}'
    assert seen == [threading.current_thread()]


async def test_tool_awaits_result_when_handler_is_async_callable_object() -> None:
    class Lookup:
        async def __call__(self, userId: str) -> dict[str, str]:
            await asyncio.sleep(0)
            return {"id": userId}

    message = await call(tool_for(Lookup(), Parameter(name="userId")), {"userId": "7"})

    assert (message.status, message.content) == ("success", '{"id":"7"}')


async def test_tool_awaits_result_when_handler_is_partial_of_async_function() -> None:
    async def lookup(table: str, userId: str) -> dict[str, str]:
        await asyncio.sleep(0)
        return {"table": table, "id": userId}

    handler = functools.partial(lookup, "users")

    message = await call(tool_for(handler, Parameter(name="userId")), {"userId": "7"})

    assert message.artifact == {"table": "users", "id": "7"}


async def test_tool_awaits_result_when_sync_callable_returns_a_coroutine() -> None:
    async def lookup(userId: str) -> str:
        return f"user {userId}"

    def handler(userId: str) -> Any:
        return lookup(userId)

    message = await call(tool_for(handler, Parameter(name="userId")), {"userId": "7"})

    assert message.content == "user 7"


# --- context ------------------------------------------------------------------------------


async def test_tool_passes_request_context_when_handler_takes_context() -> None:
    seen: list[ActionContext] = []

    @action
    def whoami(context: ActionContext, greeting: str) -> dict[str, Any]:
        """Describe the caller."""
        seen.append(context)
        return {
            "greeting": greeting,
            "role": context.properties["role"],
            "url": context.url,
            "user": context.headers["x-user"],
        }

    message = await call(tool_from_action(whoami, CONTEXT), {"greeting": "hi"})

    assert seen == [CONTEXT]
    assert seen[0] is CONTEXT
    assert message.artifact == {
        "greeting": "hi",
        "role": "admin",
        "url": "https://app.example/orders",
        "user": "u-1",
    }


async def test_tool_passes_request_context_when_async_handler_takes_context() -> None:
    async def handler(context: ActionContext) -> str | None:
        return context.thread_id

    message = await call(tool_for(handler), {})

    assert message.content == "thread-1"


async def test_tool_ignores_context_argument_when_model_tries_to_supply_it() -> None:
    seen: list[object] = []

    def handler(context: ActionContext) -> str:
        seen.append(context)
        return "ok"

    await call(tool_for(handler), {"context": {"properties": {"role": "admin"}}})

    assert seen == [CONTEXT]


async def test_tool_uses_its_own_context_when_same_action_serves_two_requests() -> None:
    @action
    def role(context: ActionContext) -> str:
        """The caller's role."""
        return str(context.properties.get("role"))

    admin = tool_from_action(role, ActionContext(properties={"role": "admin"}))
    viewer = tool_from_action(role, ActionContext(properties={"role": "viewer"}))

    results = await asyncio.gather(call(admin, {}), call(viewer, {}))

    assert [m.content for m in results] == ["admin", "viewer"]


# --- one call outside a graph (the remote-endpoint protocol) ----------------------------------


async def test_run_action_gives_the_text_the_model_reads_and_the_context_to_the_handler() -> None:
    def whoami(userId: str, context: ActionContext) -> dict[str, Any]:
        return {"user": userId, "role": context.properties["role"]}

    act = Action(name="whoami", parameters=(Parameter(name="userId"),), handler=whoami)
    assert await run_action(act, {"userId": "7"}, CONTEXT) == (
        '{"user":"7","role":"admin"}',
        False,
    )


async def test_run_action_reports_failures_as_the_tool_does_without_the_exception_text() -> None:
    def broken() -> str:
        raise RuntimeError("secret-token-123")

    def refusing() -> str:
        raise ActionFailedError("not allowed")

    lookup = Action(name="lookup", parameters=(Parameter(name="n", type="number"),), handler=str)
    outcomes = [
        await run_action(Action(name="broken", handler=broken), {}, CONTEXT),
        await run_action(Action(name="refusing", handler=refusing), {}, CONTEXT),
        await run_action(lookup, {"n": "x"}, CONTEXT),
    ]
    assert [failed for _, failed in outcomes] == [True, True, True]
    assert outcomes[0][0] == (
        "Error: broken failed with an internal error. Do not retry it with the same arguments."
    )
    assert outcomes[1][0] == "Error: refusing failed: not allowed"
    assert outcomes[2][0].startswith("Error: invalid arguments for lookup: n")
