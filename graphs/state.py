"""AgentState: what the graph checkpoints for a thread."""

from __future__ import annotations

from typing import Annotated, NotRequired, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from pydantic import JsonValue


class AgentState(TypedDict):
    """The conversation and the frontend's shared state (AG-UI `state`)."""

    messages: Annotated[list[AnyMessage], add_messages]
    state: NotRequired[dict[str, JsonValue]]
