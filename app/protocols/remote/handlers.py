"""The four operations of the remote-endpoint protocol: info, run an action, run an agent, read
an agent's thread. Each builds the request's ActionContext from what the Node runtime forwards
(the page's `properties`, the URL on `info` only, the headers it sends) and answers as the
`copilotkit` Python SDK did."""

from __future__ import annotations

from typing import Any

from ag_ui.core import RunAgentInput, Tool
from pydantic import JsonValue
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from copilot_runtime.actions import Action, ActionContext, resolve_actions, run_action
from copilot_runtime.app.context import action_context
from copilot_runtime.app.errors import NotFoundError
from copilot_runtime.app.ownership import caller_of, visible_thread
from copilot_runtime.app.protocols.graphql import agui_messages, copilotkit_messages, reconciled
from copilot_runtime.app.protocols.remote.info import remote_info
from copilot_runtime.app.protocols.remote.outbound import RuntimeEventEncoder, json_lines_framing
from copilot_runtime.app.protocols.remote.wire import (
    AgentStateRequest,
    ExecuteActionRequest,
    ExecuteAgentRequest,
    InfoRequest,
    OfferedAction,
    parsed,
)
from copilot_runtime.app.runtime import DEFAULT_AGENT_ID
from copilot_runtime.app.server import Server, start_run
from copilot_runtime.app.streaming import StreamedResponse

NO_ACTION = "Action '{name}' does not exist for this request"
ANY_OBJECT: dict[str, JsonValue] = {"type": "object", "properties": {}}


async def info(server: Server, request: Request, body: Any) -> JSONResponse:
    """The actions (the generator called with this request's properties and page URL) and
    the agents."""
    asked = parsed(InfoRequest, body, "info")
    context = action_context(
        request,
        agent_id=DEFAULT_AGENT_ID,
        thread_id=None,
        properties=asked.properties,
        page_url=asked.frontend_url,
    )
    actions = await _actions(server, context)
    return JSONResponse(remote_info(server.runtime, actions))


async def execute_action(server: Server, request: Request, body: Any) -> JSONResponse:
    """`{"result": <the text the model reads>}`; a failed call is a result too (the model reads
    what went wrong, as in a run here); an action this request does not have is 404."""
    asked = parsed(ExecuteActionRequest, body, "actions/execute")
    context = action_context(
        request, agent_id=DEFAULT_AGENT_ID, thread_id=None, properties=asked.properties
    )
    action = next((a for a in await _actions(server, context) if a.name == asked.name), None)
    if action is None:
        raise NotFoundError(NO_ACTION.format(name=asked.name), error="Action not found")
    limits = server.runtime.action_limits
    result, _failed = await run_action(action, asked.arguments or {}, context, limits)
    return JSONResponse({"result": result})


async def execute_agent(server: Server, request: Request, body: Any) -> Response:
    """Start the agent's run (errors before its first event are JSON) and stream it as runtime
    events."""
    asked = parsed(ExecuteAgentRequest, body, "agents/execute")
    agent = server.agent(asked.name)
    thread_id = asked.thread_id or server.new_id()
    context = action_context(
        request, agent_id=asked.name, thread_id=thread_id, properties=asked.properties
    )
    # This server's own actions come back among the offered ones; they are not the client's.
    own = {action.name for action in await _actions(server, context)}
    tools = [_tool(offered) for offered in asked.actions if offered.name not in own]
    messages = [m for m in (message.as_input() for message in asked.messages) if m is not None]
    state = asked.state or {}
    run_input = RunAgentInput(
        thread_id=thread_id,
        run_id=server.new_id(),
        state=state,
        messages=agui_messages(messages),
        tools=tools,
        context=[],
        forwarded_props=asked.properties or {},
    )
    snapshot = None
    if await visible_thread(server, caller_of(server, context), thread_id) is not None:
        snapshot = await agent.thread_snapshot(thread_id)  # anyone else's: start_run says 404
    if snapshot is not None:  # re-sent results and system prompts under their stored ids
        run_input = reconciled(run_input, snapshot.messages)
    # Node stops a run it proxies by dropping the request: the run leaves with it.
    started = await start_run(server, asked.name, run_input, context, leaves_with_client=True)
    encoder = RuntimeEventEncoder(
        thread_id=thread_id,
        run_id=run_input.run_id,
        agent_name=asked.name,
        client_tools=frozenset(tool.name for tool in tools),
        state=state,
        new_id=server.new_id,
    )
    return StreamedResponse(
        started.batches(), json_lines_framing(encoder), on_close=started.release
    )


async def agent_state(server: Server, request: Request, body: Any) -> JSONResponse:
    """The stored thread; another user's thread is as absent as one never seen."""
    asked = parsed(AgentStateRequest, body, "agents/state")
    agent = server.agent(asked.name)
    context = action_context(
        request, agent_id=asked.name, thread_id=asked.thread_id, properties=asked.properties
    )
    snapshot = None
    if await visible_thread(server, caller_of(server, context), asked.thread_id) is not None:
        snapshot = await agent.thread_snapshot(asked.thread_id)
    if snapshot is None:
        return JSONResponse(
            {"threadId": asked.thread_id, "threadExists": False, "state": {}, "messages": []}
        )
    state = {key: value for key, value in snapshot.state.items() if key != "messages"}
    return JSONResponse(
        {
            "threadId": asked.thread_id,
            "threadExists": True,
            "state": state,
            "messages": copilotkit_messages(snapshot.messages),
        }
    )


async def _actions(server: Server, context: ActionContext) -> tuple[Action, ...]:
    return await resolve_actions(server.runtime.actions, context, server.runtime.action_limits)


def _tool(offered: OfferedAction) -> Tool:
    parameters = offered.parameters if isinstance(offered.parameters, dict) else ANY_OBJECT
    return Tool(name=offered.name, description=offered.description, parameters=parameters)
