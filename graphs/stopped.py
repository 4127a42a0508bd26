"""keep_stopped_text: what a stopped run had said, written into its thread.

A stop cancels the model call in flight, so the step that was streaming never reaches the
checkpointer, yet the user has read its text. Written as the assistant's message (marked
`stopped` in its response metadata), a reload shows it and the next run's model reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.pregel import Pregel

STOPPED_METADATA = {"stopped": True}


async def keep_stopped_text(
    graph: Pregel[Any, Any, Any, Any], thread_id: str, texts: Sequence[tuple[str, str]]
) -> bool:
    """Append `(message_id, text)` pairs to the thread's messages; False when the graph
    keeps no threads."""
    if graph.checkpointer is None or not texts:
        return False
    messages = [
        AIMessage(id=message_id, content=text, response_metadata=dict(STOPPED_METADATA))
        for message_id, text in texts
    ]
    await graph.aupdate_state({"configurable": {"thread_id": thread_id}}, {"messages": messages})
    return True
