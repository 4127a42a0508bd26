"""build_graph: the agent loop model -> backend tools -> model, ended by text or a frontend call."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Literal

from langchain_core.messages import AIMessage, AnyMessage, ToolCall, ToolMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from copilot_runtime.graphs.context import RunContext
from copilot_runtime.graphs.history import close_dangling_calls
from copilot_runtime.graphs.prompt import system_message
from copilot_runtime.graphs.state import AgentState

MODEL_NODE: Literal["model"] = "model"
TOOLS_NODE: Literal["tools"] = "tools"
DONE: Literal["__end__"] = "__end__"  # langgraph's END, typed for the routers
UNKNOWN_TOOL = "Error: there is no tool named {name!r}. Available tools: {available}."
INVALID_JSON = "Error: the arguments for {name} are not valid JSON ({error}). Send a JSON object."

AgentGraph = CompiledStateGraph[AgentState, RunContext, AgentState, AgentState]


def build_graph(checkpointer: BaseCheckpointSaver[Any] | None = None) -> AgentGraph:
    """Compile the agent graph once; each run brings its model and tools in its RunContext."""
    graph = StateGraph(AgentState, context_schema=RunContext)
    graph.add_node(MODEL_NODE, call_model)
    graph.add_node(TOOLS_NODE, run_tools)
    graph.add_edge(START, MODEL_NODE)
    graph.add_conditional_edges(MODEL_NODE, route_after_model, [TOOLS_NODE, END])
    graph.add_conditional_edges(TOOLS_NODE, route_after_tools, [MODEL_NODE, END])
    return graph.compile(checkpointer=checkpointer)


async def call_model(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Ask the model for the next step, with every backend and frontend tool bound."""
    context = runtime.context
    tools = [*context.tools, *(tool.as_openai_tool() for tool in context.frontend_tools)]
    model: Any = context.model
    if tools:
        model = model.bind_tools(tools, **_tool_choice(context))
    prompt = [
        system_message(context, state.get("state")),
        *context.client_instructions,
        *close_dangling_calls(state["messages"]),
    ]
    response = await model.ainvoke(prompt)
    if isinstance(response, AIMessage):  # a call whose arguments were cut off is not run
        response = context.arguments.checked(response)
    return {"messages": [response]}


def _tool_choice(context: RunContext) -> dict[str, Any]:
    return {"tool_choice": context.tool_choice} if context.tool_choice else {}


async def run_tools(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Run the last turn's backend calls concurrently; frontend calls are left to the client."""
    context = runtime.context
    turn = _last_turn(state["messages"])
    frontend = context.frontend_tool_names
    by_name = {tool.name: tool for tool in context.tools}
    calls = [call for call in turn.tool_calls if call["name"] not in frontend]
    results = await asyncio.gather(*(_run_call(call, by_name) for call in calls))
    results += [
        ToolMessage(
            content=INVALID_JSON.format(name=bad["name"], error=bad.get("error") or "unparsable"),
            tool_call_id=bad["id"] or "",
            name=bad["name"] or "",
            status="error",
        )
        for bad in turn.invalid_tool_calls
    ]
    for result in results:
        result.id = context.new_id()  # streamed and stored under the same id
    return {"messages": results}


async def _run_call(call: ToolCall, by_name: dict[str, Any]) -> ToolMessage:
    tool = by_name.get(call["name"])
    if tool is None:
        available = ", ".join(sorted(by_name)) or "none"
        return ToolMessage(
            content=UNKNOWN_TOOL.format(name=call["name"], available=available),
            tool_call_id=call["id"] or "",
            name=call["name"],
            status="error",
        )
    result = await tool.ainvoke({**call, "type": "tool_call"})
    assert isinstance(result, ToolMessage)  # a tool invoked with a ToolCall answers with one
    return result


# The routers are async although they never await: LangGraph runs a sync router in its thread
# pool (run_in_executor), a round trip to another thread after every step.
async def route_after_model(
    state: AgentState, runtime: Runtime[RunContext]
) -> Literal["tools", "__end__"]:
    """To the tools when the model called anything the server must answer; else the run ends."""
    last = state["messages"][-1]
    if not isinstance(last, AIMessage):
        return DONE
    frontend = runtime.context.frontend_tool_names
    if last.invalid_tool_calls or any(c["name"] not in frontend for c in last.tool_calls):
        return TOOLS_NODE
    return DONE


async def route_after_tools(
    state: AgentState, runtime: Runtime[RunContext]
) -> Literal["model", "__end__"]:
    """A frontend call in the same turn ends the run: the client runs it and comes back."""
    frontend = runtime.context.frontend_tool_names
    turn = _last_turn(state["messages"])
    if any(call["name"] in frontend for call in turn.tool_calls):
        return DONE
    return MODEL_NODE


def _last_turn(messages: Sequence[AnyMessage]) -> AIMessage:
    for message in reversed(messages):
        if isinstance(message, AIMessage):
            return message
    raise LookupError("the tools node ran without a model turn before it")
