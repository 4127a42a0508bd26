"""ThreadSnapshot: a stored thread as a client sees it, read from a graph's checkpointer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ag_ui.core import Message
from langgraph.pregel import Pregel
from pydantic import JsonValue

from copilot_runtime.graphs.messages import agui_messages
from copilot_runtime.graphs.state_events import visible_state


@dataclass(frozen=True, slots=True)
class ThreadSnapshot:
    """A thread's messages (AG-UI form) and shared state."""

    messages: list[Message]
    state: dict[str, JsonValue] = field(default_factory=dict)


async def read_snapshot(
    graph: Pregel[Any, Any, Any, Any], thread_id: str, *, state_key: str | None
) -> ThreadSnapshot | None:
    """The thread's latest checkpoint, or None when the graph keeps no such thread.

    `state_key` names the channel holding the shared state; None means every channel except
    the internal ones (`messages`, `tools`, `copilotkit`: the convention of user graphs).
    """
    if graph.checkpointer is None:
        return None
    snapshot = await graph.aget_state({"configurable": {"thread_id": thread_id}})
    values = snapshot.values if isinstance(snapshot.values, dict) else {}
    if not values:
        return None
    state = visible_state(values) if state_key is None else dict(values.get(state_key) or {})
    return ThreadSnapshot(messages=agui_messages(values.get("messages") or []), state=state)
