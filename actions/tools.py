"""Action -> LangChain StructuredTool that validates, runs the handler and reports failures."""

# No `from __future__ import annotations` here: LangChain reads the tool coroutine's type hints
# on every call (is a parameter a RunnableConfig, an injected argument?), and hints kept as
# strings are compiled and evaluated each time, ~40% of a tool call's CPU.

import asyncio
import inspect
import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from langchain_core.tools import StructuredTool, ToolException
from pydantic import JsonValue, ValidationError
from pydantic_core import PydanticSerializationError, to_json

from copilot_runtime.actions.errors import ActionFailedError, failure_summary
from copilot_runtime.actions.limits import ActionLimits, default_limits, is_async_callable
from copilot_runtime.actions.model import (
    CONTEXT_ARGUMENT,
    Action,
    ActionContext,
    Parameter,
)
from copilot_runtime.actions.schema import (
    describe_validation_error,
    parameters_json_schema,
    validate_arguments,
)

logger = logging.getLogger(__name__)

INVALID_ARGUMENTS = (
    "Error: invalid arguments for {name}: {problems}. Call it again with corrected arguments."
)
FAILED = "Error: {name} failed: {message}"
CRASHED = "Error: {name} failed with an internal error. Do not retry it with the same arguments."
NOT_JSON = "Error: {name} returned a value that cannot be sent as JSON."
TIMED_OUT = "Error: {name} timed out after {seconds:g} seconds."


@lru_cache(maxsize=1024)
def _json_schema(parameters: tuple[Parameter, ...]) -> dict[str, JsonValue]:
    # Read-only by convention: the same dict is shared by every request declaring these parameters.
    return parameters_json_schema(parameters)


def tool_from_action(
    action: Action, context: ActionContext, limits: ActionLimits | None = None
) -> StructuredTool:
    """The action as a StructuredTool bound to one request's context.

    The tool never raises for a bad call: invalid arguments, an ActionFailedError, a handler
    past its timeout and any other handler exception all become an error ToolMessage (status
    "error") that the model reads. Its artifact is the handler's raw return value. `limits`:
    the timeout and the threads of sync handlers (`default_limits()` when None).
    """
    chosen = limits or default_limits()

    async def run(**arguments: Any) -> tuple[str, Any]:
        return await _run(action, context, arguments, chosen)

    return StructuredTool(
        name=action.name,
        description=action.description or action.name,
        args_schema=_json_schema(tuple(action.parameters)),
        coroutine=run,
        response_format="content_and_artifact",
        handle_tool_error=True,
    )


async def run_action(
    action: Action,
    arguments: Mapping[str, Any],
    context: ActionContext,
    limits: ActionLimits | None = None,
) -> tuple[str, bool]:
    """Run the action once, outside any graph: the result text the model would read, and
    whether the call failed (invalid arguments, ActionFailedError, a timeout or any other
    exception, as `tool_from_action` reports them)."""
    try:
        content, _result = await _run(action, context, arguments, limits or default_limits())
    except ToolException as error:
        return str(error), True
    return content, False


async def _run(
    action: Action, context: ActionContext, arguments: Mapping[str, Any], limits: ActionLimits
) -> tuple[str, Any]:
    try:
        kwargs = validate_arguments(action.name, action.parameters, dict(arguments))
    except ValidationError as error:
        problems = describe_validation_error(error)
        message = INVALID_ARGUMENTS.format(name=action.name, problems=problems)
        raise ToolException(message) from error
    if action.wants_context:
        kwargs[CONTEXT_ARGUMENT] = context  # type: ignore[assignment]  # not JSON, by design
    result = await _call_handler(action, kwargs, limits)
    return content_from_result(action.name, result), result


async def _call_handler(action: Action, kwargs: dict[str, Any], limits: ActionLimits) -> Any:
    seconds = limits.timeout_of(action.timeout)
    deadline = asyncio.timeout(seconds)
    try:
        async with deadline:
            return await _handler_result(action, kwargs, limits)
    except ActionFailedError as error:
        raise ToolException(FAILED.format(name=action.name, message=error)) from error
    except Exception as error:
        if deadline.expired():
            logger.warning("action %s timed out after %g s", action.name, seconds)
            raise ToolException(TIMED_OUT.format(name=action.name, seconds=seconds)) from None
        # The text of an unexpected error may hold secrets; the model and the client get a
        # fixed message and the traceback stays in the server log.
        logger.error("action %s failed: %s", action.name, failure_summary(error, is_user_code=True))
        raise ToolException(CRASHED.format(name=action.name)) from error


async def _handler_result(action: Action, kwargs: dict[str, Any], limits: ActionLimits) -> Any:
    if is_async_callable(action.handler):
        return await action.handler(**kwargs)
    # Sync handlers run in threads of their own, so a slow one cannot stall the other streams.
    result = await limits.in_thread(action.handler, **kwargs)
    if inspect.isawaitable(result):  # e.g. a lambda returning a coroutine
        return await result
    return result


def content_from_result(action_name: str, result: Any) -> str:
    """The tool-result text: strings as they are, anything else as JSON."""
    if isinstance(result, str):
        return result
    try:
        return to_json(result).decode()
    except PydanticSerializationError as error:
        raise ToolException(NOT_JSON.format(name=action_name)) from error
