"""GraphAgent: serve a user's own compiled LangGraph graph (with a `messages` channel)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from ag_ui.core import BaseEvent, RunAgentInput, StateSnapshotEvent
from langgraph.checkpoint.base import BaseCheckpointSaver

from actions import ActionContext
from graphs.messages import langchain_messages
from graphs.run import GraphRun, run_agent
from graphs.snapshot import ThreadSnapshot, read_snapshot

CompiledGraph = Any  # a compiled LangGraph graph (Pregel); its type parameters vary per graph


class GraphAgent:
    """Runs a compiled graph as a CopilotKit agent.

    The client's messages go to the graph's `messages` channel and its state keys to the
    channels of the same name; the graph's checkpointer (if any) keys threads by threadId.
    The request's ActionContext is passed as `config["configurable"]["copilot_context"]`.
    """

    def __init__(self, graph: CompiledGraph, *, description: str = "", max_steps: int = 25):
        """Wrap `graph`; `max_steps` bounds it at twice that many supersteps."""
        self.graph = graph
        self.description = description
        self.max_steps = max_steps

    async def run(
        self, run_input: RunAgentInput, context: ActionContext | None = None
    ) -> AsyncIterator[BaseEvent]:
        """Stream one run, then the graph's final state when it keeps one."""
        values: dict[str, Any] = {}
        if isinstance(run_input.state, dict):
            values.update(run_input.state)
        values["messages"] = langchain_messages(run_input.messages)
        graph_run = GraphRun(
            thread_id=run_input.thread_id,
            run_id=run_input.run_id,
            graph_input=values,
            max_steps=self.max_steps,
            configurable={"copilot_context": context},
        )
        async with aclosing(run_agent(self.graph, graph_run)) as events:
            async for event in events:
                if event.type == "RUN_FINISHED":
                    snapshot = await self.thread_snapshot(run_input.thread_id)
                    if snapshot is not None:
                        yield StateSnapshotEvent(snapshot=snapshot.state)
                yield event

    async def thread_snapshot(self, thread_id: str) -> ThreadSnapshot | None:
        """The thread as stored by the graph's own checkpointer."""
        return await read_snapshot(self.graph, thread_id, state_key=None)

    async def delete_thread(self, thread_id: str) -> None:
        """Forget the thread's checkpoints in the graph's own checkpointer."""
        if isinstance(self.graph.checkpointer, BaseCheckpointSaver):
            await self.graph.checkpointer.adelete_thread(thread_id)
