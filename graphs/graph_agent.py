"""GraphAgent: serve a user's own compiled LangGraph graph (with a `messages` channel)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from functools import partial
from typing import Any

from ag_ui.core import (
    BaseEvent,
    RunAgentInput,
    RunErrorEvent,
    RunFinishedEvent,
    RunStartedEvent,
)
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Durability, Interrupt

from copilot_runtime.actions import ActionContext
from copilot_runtime.graphs.channel import EventSink, fill, launched
from copilot_runtime.graphs.events import EventTranslator
from copilot_runtime.graphs.graph_inputs import config_entries, graph_input
from copilot_runtime.graphs.graph_stream import GraphStreamReader
from copilot_runtime.graphs.interrupts import (
    InterruptDialect,
    ResumeError,
    announcement,
    resume_command,
)
from copilot_runtime.graphs.run import GraphRun, launch_run
from copilot_runtime.graphs.silence import DEFAULT_MODEL_TIMEOUT
from copilot_runtime.graphs.snapshot import ThreadSnapshot, read_snapshot
from copilot_runtime.graphs.usage import UsageTally

CompiledGraph = Any  # a compiled LangGraph graph (Pregel); its type parameters vary per graph


class GraphAgent:
    """Runs a compiled graph as a CopilotKit agent.

    The graph's input is the request's (graphs/graph_inputs.py): the client's messages in its
    `messages` channel, its state merged by key, its frontend tools and readables in
    `tools` / `copilotkit` / `ag-ui` when the state has them; its config carries
    `forwarded_props`, `copilotkit` and the request's ActionContext (`copilot_context`). The
    graph's checkpointer (if any) keys threads by threadId. Everything the graph streams is
    sent (graphs/graph_stream.py); interrupts are announced in `interrupts`'s dialect and
    resumed from the next request (graphs/interrupts.py).
    """

    def __init__(
        self,
        graph: CompiledGraph,
        *,
        description: str = "",
        max_steps: int = 25,
        durability: Durability = "sync",
        model_timeout: float | None = DEFAULT_MODEL_TIMEOUT,
        interrupts: InterruptDialect = "custom",
    ):
        """Wrap `graph`; `max_steps` bounds it at twice that many supersteps, `durability`
        says when its checkpointer (if any) gets each step, `model_timeout` how long its model
        calls may stay silent (GraphRun), `interrupts` how pending interrupts are announced:
        "custom" (CUSTOM on_interrupt), "outcome" (RUN_FINISHED.outcome) or "both"."""
        self.graph = graph
        self.description = description
        self.max_steps = max_steps
        self.durability = durability
        self.model_timeout = model_timeout
        self.interrupts: InterruptDialect = interrupts

    def run(
        self, run_input: RunAgentInput, context: ActionContext | None = None
    ) -> AsyncIterator[BaseEvent]:
        """Stream one run, then the graph's final state and messages."""
        return launched(partial(self._launch, run_input, context))

    async def _launch(
        self,
        run_input: RunAgentInput,
        context: ActionContext | None,
        channel: EventSink[BaseEvent],
    ) -> asyncio.Task[None]:
        """Start the run in a task that fills `channel` (what `run` yields)."""
        stored, pending = await self._thread(run_input.thread_id)
        try:
            command = resume_command(run_input, pending)
        except ResumeError as error:
            return _answered(
                channel, run_input, [RunErrorEvent(message=str(error), code=error.code)]
            )
        if command is None and pending:
            told = announcement(pending, self.interrupts)
            finished = RunFinishedEvent(
                thread_id=run_input.thread_id, run_id=run_input.run_id, outcome=told.outcome
            )
            return _answered(channel, run_input, [*told.events, finished])
        graph_run = GraphRun(
            thread_id=run_input.thread_id,
            run_id=run_input.run_id,
            graph_input=command or graph_input(self.graph, run_input, stored),
            max_steps=self.max_steps,
            durability=self.durability,
            model_timeout=self.model_timeout,
            configurable=config_entries(run_input, context),
            reader=self._reader,
        )
        return launch_run(self.graph, graph_run, channel)

    def _reader(
        self, config: RunnableConfig, translator: EventTranslator, usage: UsageTally
    ) -> GraphStreamReader:
        return GraphStreamReader(self.graph, config, translator, usage, dialect=self.interrupts)

    async def _thread(self, thread_id: str) -> tuple[Mapping[str, Any], list[Interrupt]]:
        """The thread's latest values and the interrupts pending in it."""
        if self.graph.checkpointer is None:
            return {}, []
        snapshot = await self.graph.aget_state({"configurable": {"thread_id": thread_id}})
        values = snapshot.values if isinstance(snapshot.values, Mapping) else {}
        return values, list(snapshot.interrupts)

    async def thread_snapshot(self, thread_id: str) -> ThreadSnapshot | None:
        """The thread as stored by the graph's own checkpointer."""
        return await read_snapshot(self.graph, thread_id, state_key=None)

    async def delete_thread(self, thread_id: str) -> None:
        """Forget the thread's checkpoints in the graph's own checkpointer."""
        if isinstance(self.graph.checkpointer, BaseCheckpointSaver):
            await self.graph.checkpointer.adelete_thread(thread_id)


def _answered(
    channel: EventSink[BaseEvent], run_input: RunAgentInput, events: list[BaseEvent]
) -> asyncio.Task[None]:
    """A run answered without running the graph: RUN_STARTED, then `events`."""

    async def answer() -> None:
        started = RunStartedEvent(thread_id=run_input.thread_id, run_id=run_input.run_id)
        channel.put([started, *events])

    return fill(channel, answer())
