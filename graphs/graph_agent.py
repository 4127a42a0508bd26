"""GraphAgent: serve a user's own compiled LangGraph graph (with a `messages` channel)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from ag_ui.core import BaseEvent, RunAgentInput, StateSnapshotEvent
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Durability

from copilot_runtime.actions import ActionContext
from copilot_runtime.graphs.channel import EventSink, launched
from copilot_runtime.graphs.messages import langchain_messages
from copilot_runtime.graphs.run import GraphRun, launch_run
from copilot_runtime.graphs.silence import DEFAULT_MODEL_TIMEOUT
from copilot_runtime.graphs.snapshot import ThreadSnapshot, read_snapshot

CompiledGraph = Any  # a compiled LangGraph graph (Pregel); its type parameters vary per graph


class GraphAgent:
    """Runs a compiled graph as a CopilotKit agent.

    The client's messages go to the graph's `messages` channel and its state keys to the
    channels of the same name; the graph's checkpointer (if any) keys threads by threadId.
    The request's ActionContext is passed as `config["configurable"]["copilot_context"]`.
    """

    def __init__(
        self,
        graph: CompiledGraph,
        *,
        description: str = "",
        max_steps: int = 25,
        durability: Durability = "sync",
        model_timeout: float | None = DEFAULT_MODEL_TIMEOUT,
    ):
        """Wrap `graph`; `max_steps` bounds it at twice that many supersteps, `durability`
        says when its checkpointer (if any) gets each step, `model_timeout` how long its model
        calls may stay silent (GraphRun)."""
        self.graph = graph
        self.description = description
        self.max_steps = max_steps
        self.durability = durability
        self.model_timeout = model_timeout

    def run(
        self, run_input: RunAgentInput, context: ActionContext | None = None
    ) -> AsyncIterator[BaseEvent]:
        """Stream one run, then the graph's final state when it keeps one."""
        return launched(partial(self._launch, run_input, context))

    async def _launch(
        self,
        run_input: RunAgentInput,
        context: ActionContext | None,
        channel: EventSink[BaseEvent],
    ) -> asyncio.Task[None]:
        """Start the run in a task that fills `channel` (what `run` yields)."""
        values: dict[str, Any] = {}
        if isinstance(run_input.state, dict):
            values.update(run_input.state)
        values["messages"] = langchain_messages(run_input.messages)
        graph_run = GraphRun(
            thread_id=run_input.thread_id,
            run_id=run_input.run_id,
            graph_input=values,
            max_steps=self.max_steps,
            durability=self.durability,
            model_timeout=self.model_timeout,
            configurable={"copilot_context": context},
        )

        async def final_state() -> list[BaseEvent]:
            snapshot = await self.thread_snapshot(run_input.thread_id)
            return [] if snapshot is None else [StateSnapshotEvent(snapshot=snapshot.state)]

        return launch_run(self.graph, graph_run, channel, before_finish=final_state)

    async def thread_snapshot(self, thread_id: str) -> ThreadSnapshot | None:
        """The thread as stored by the graph's own checkpointer."""
        return await read_snapshot(self.graph, thread_id, state_key=None)

    async def delete_thread(self, thread_id: str) -> None:
        """Forget the thread's checkpoints in the graph's own checkpointer."""
        if isinstance(self.graph.checkpointer, BaseCheckpointSaver):
            await self.graph.checkpointer.adelete_thread(thread_id)
