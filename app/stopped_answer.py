"""keep_stopped_answer: after a stop, the thread keeps the text the user saw streamed."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ag_ui.core import BaseEvent, EventType
from langgraph.pregel import Pregel

from copilot_runtime.actions import failure_summary
from copilot_runtime.app.runtime import ServedAgent
from copilot_runtime.graphs.stopped import keep_stopped_text

logger = logging.getLogger(__name__)


def streamed_texts(events: Sequence[BaseEvent]) -> list[tuple[str, str]]:
    """Each text message of `events` with the text streamed for it, in order."""
    texts: dict[str, list[str]] = {}
    for event in events:
        match event.type:
            case EventType.TEXT_MESSAGE_START:
                texts.setdefault(event.message_id, [])  # type: ignore[attr-defined]
            case EventType.TEXT_MESSAGE_CONTENT:
                texts.setdefault(event.message_id, []).append(event.delta)  # type: ignore[attr-defined]
    return [(message_id, "".join(parts)) for message_id, parts in texts.items() if parts]


async def keep_stopped_answer(
    agent: ServedAgent, thread_id: str, events: Sequence[BaseEvent]
) -> None:
    """Store the texts of a stopped run's `events` that its thread does not hold (the step
    streaming them was cut short), for agents whose thread is a LangGraph graph's."""
    graph = getattr(agent, "graph", None)
    if not isinstance(graph, Pregel):
        return
    try:
        snapshot = await agent.thread_snapshot(thread_id)
        stored = {message.id for message in snapshot.messages} if snapshot else set()
        texts = [(mid, text) for mid, text in streamed_texts(events) if mid not in stored]
        await keep_stopped_text(graph, thread_id, texts)
    except Exception as error:  # noqa: BLE001  # the stop itself has worked; say what did not
        logger.warning("could not keep a stopped run's text: %s", failure_summary(error))
