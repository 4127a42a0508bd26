"""An app with a second agent, a LangGraph graph that keeps a counter in its state
(`uvicorn --factory tests.browser.served_app:app`), for the agent picker and the state panel."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langchain_core.messages import AIMessage, AnyMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages

from copilot_runtime.app.main import create_app
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.app.settings import Settings
from tests.e2e.served_actions import actions


class CounterState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    count: int


def count(state: CounterState) -> dict[str, Any]:
    counted = state.get("count", 0) + 1
    return {"count": counted, "messages": [AIMessage(content=f"Counted to {counted}.")]}


def counter_graph() -> Any:
    graph = StateGraph(CounterState)
    graph.add_node("count", count)
    graph.add_edge(START, "count")
    graph.add_edge("count", END)
    return graph.compile(checkpointer=InMemorySaver())


def app() -> Any:
    runtime = CopilotRuntime(actions=actions, model="demo", agents={"counter": counter_graph()})
    return create_app(runtime, Settings())
