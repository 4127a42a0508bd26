"""What a user's graph gets from a request: its input values and its config entries.

Graphs written for the AG-UI and CopilotKit integrations look for the client's frontend tools
in `state["tools"]` and `state["copilotkit"]["actions"]`, its readables in
`state["copilotkit"]["context"]` (the `copilotkit` package's `CopilotKitState`) and in
`state["ag-ui"]`; each key is set only when the graph's state has that channel, so a graph
without them runs as before. The client's state is merged by key over the thread's (keys the
graph has no channel for are left out: LangGraph would drop them anyway).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ag_ui.core import RunAgentInput
from langgraph.pregel import Pregel

from copilot_runtime.graphs.messages import langchain_messages

INTERNAL_KEYS = frozenset({"messages", "tools", "copilotkit", "ag-ui"})
"""Channels the runtime fills from the request, never shown to the client as state."""


def state_channels(graph: Pregel[Any, Any, Any, Any]) -> frozenset[str]:
    """The names of the graph's state channels (LangGraph's own are left out)."""
    return frozenset(
        name
        for name in graph.channels
        if not name.startswith("__") and not name.startswith("branch:")
    )


def client_tools(run_input: RunAgentInput) -> list[dict[str, Any]]:
    """The client's frontend tools as the ecosystem's graphs read them (name, description,
    parameters as JSON Schema)."""
    return [tool.model_dump(exclude_none=True) for tool in run_input.tools or ()]


def client_context(run_input: RunAgentInput) -> list[dict[str, Any]]:
    """The client's readables (`{"description", "value"}`)."""
    return [entry.model_dump(exclude_none=True) for entry in run_input.context or ()]


def graph_input(
    graph: Pregel[Any, Any, Any, Any],
    run_input: RunAgentInput,
    stored: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The values one run starts from: the client's state merged by key, its messages, and
    its tools and readables where the graph's state has a place for them.

    `stored` is the thread's latest values (its `copilotkit` entry keeps what the graph put
    there, such as intercepted tool calls, under the request's actions and context).
    """
    channels = state_channels(graph)
    values: dict[str, Any] = {}
    if isinstance(run_input.state, Mapping):
        values.update(
            (key, value)
            for key, value in run_input.state.items()
            if key in channels and key not in INTERNAL_KEYS
        )
    values["messages"] = langchain_messages(run_input.messages)
    tools, context = client_tools(run_input), client_context(run_input)
    if "tools" in channels:
        values["tools"] = tools
    if "copilotkit" in channels:
        kept = (stored or {}).get("copilotkit")
        values["copilotkit"] = {
            **(kept if isinstance(kept, Mapping) else {}),
            "actions": tools,
            "context": context,
        }
    if "ag-ui" in channels:
        values["ag-ui"] = {"tools": tools, "context": context}
    return values


def forwarded_props(run_input: RunAgentInput) -> dict[str, Any]:
    """The client's `forwardedProps` (the provider's `properties`), or {} when it sent none."""
    props = run_input.forwarded_props
    return dict(props) if isinstance(props, Mapping) else {}


def config_entries(run_input: RunAgentInput, request_context: Any) -> dict[str, Any]:
    """The `config["configurable"]` entries a graph can read: the client's forwarded props,
    its tools and readables, and the request (an ActionContext: headers, url, properties)."""
    return {
        "forwarded_props": forwarded_props(run_input),
        "copilotkit": {"actions": client_tools(run_input), "context": client_context(run_input)},
        "copilot_context": request_context,
    }
