"""run_agent: stream one graph run as AG-UI events; the only reader of graph.astream."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ag_ui.core import BaseEvent, RunErrorEvent, RunFinishedEvent, RunStartedEvent
from langchain_core.messages import AIMessageChunk
from langchain_core.runnables import RunnableConfig
from langgraph.errors import GraphRecursionError
from langgraph.pregel import Pregel
from langgraph.types import Durability

from actions import failure_summary
from graphs.errors import StepLimitError
from graphs.events import EventTranslator
from graphs.failures import INTERNAL_ERROR, RunFailure, run_failure
from graphs.tokens import EventChannel, TokenCallback
from graphs.usage import UsageTally

logger = logging.getLogger(__name__)

__all__ = ["INTERNAL_ERROR", "GraphRun", "run_agent"]


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphRun:
    """One run of a compiled graph: its ids, its input and its request-scoped context."""

    thread_id: str
    run_id: str
    graph_input: Mapping[str, Any] | None
    """None resumes from the checkpoint in `configurable` (a replay)."""
    context: Any = None
    """The graph's runtime context (a RunContext for the agent graph)."""
    max_steps: int = 25
    """Model steps allowed; the graph takes two supersteps (model, tools) per step."""
    configurable: Mapping[str, Any] = field(default_factory=dict)
    """Extra `config["configurable"]` entries: a `checkpoint_id` to fork or replay from, or
    values for user graphs."""
    direct_tokens: bool = False
    """Stream tokens from a LangChain callback rather than LangGraph's messages mode (same
    events, less CPU per token: graphs/tokens.py). For graphs without subgraphs or `@task`
    calls, whose tokens that callback attributes as the messages mode does."""

    def config(self) -> RunnableConfig:
        """The LangGraph config: the thread id keys the checkpointer."""
        return {
            "configurable": {**self.configurable, "thread_id": self.thread_id},
            "recursion_limit": 2 * self.max_steps,
        }


async def run_agent(graph: Pregel[Any, Any, Any, Any], run: GraphRun) -> AsyncGenerator[BaseEvent]:
    """Yield RUN_STARTED, the run's events, then RUN_FINISHED or RUN_ERROR.

    Every START is closed before the last event. The token usage the model steps reported is
    summed into the last event. Closing this iterator (a client disconnect or a stop) closes
    the graph stream, which cancels the model call or tools in flight.
    """
    yield RunStartedEvent(thread_id=run.thread_id, run_id=run.run_id)
    translator = EventTranslator()
    usage = UsageTally()
    failure: RunFailure | None = None
    produce = _direct_events if run.direct_tokens else _messages_mode_events
    events = produce(graph, run, translator, usage)
    try:
        async for event in events:
            yield event
    except GraphRecursionError:
        failure = run_failure(StepLimitError(run.max_steps))
    except Exception as error:  # noqa: BLE001  # every failure must become RUN_ERROR
        failure = run_failure(error)
        if failure.is_expected:
            logger.warning("run %s failed: %s (%s)", run.run_id, type(error).__name__, failure.code)
        else:
            logger.error("run %s failed: %s", run.run_id, failure_summary(error))
    finally:
        await events.aclose()  # now, not when collected: it cancels the graph's work
    for event in translator.close():
        yield event
    if failure is not None:
        yield RunErrorEvent(message=failure.message, code=failure.code, usage=usage.entries())
    else:
        yield RunFinishedEvent(thread_id=run.thread_id, run_id=run.run_id, usage=usage.entries())


def _durability(graph: Pregel[Any, Any, Any, Any]) -> Durability | None:
    # With a checkpointer, each step is on disk before the next starts, so a crash loses no
    # finished step. (langgraph 1.2 fails on "sync" without a checkpointer, hence the test.)
    return "sync" if graph.checkpointer else None


async def _messages_mode_events(
    graph: Pregel[Any, Any, Any, Any], run: GraphRun, translator: EventTranslator, usage: UsageTally
) -> AsyncGenerator[BaseEvent]:
    """Tokens through LangGraph's messages mode, finished messages through its updates."""
    stream = graph.astream(
        run.graph_input,
        run.config(),
        context=run.context,
        stream_mode=["messages", "updates"],
        durability=_durability(graph),
    )
    try:
        async for mode, payload in stream:
            if mode == "messages":
                events = _chunk_events(payload, translator)
            else:
                events = _update_events(payload, translator, usage)
            for event in events:
                yield event
    finally:
        await _close(stream)


async def _direct_events(
    graph: Pregel[Any, Any, Any, Any], run: GraphRun, translator: EventTranslator, usage: UsageTally
) -> AsyncGenerator[BaseEvent]:
    """Tokens from a TokenCallback, finished messages from the updates, through one channel.

    The graph runs in a task of its own that writes its updates to the channel; the model's
    callback writes tokens to the same channel from inside that task's model call, so the
    order is the order things happened. Closing this generator cancels the graph's task and
    waits for it, which cancels the model call or tools in flight.
    """
    channel = EventChannel()
    config = run.config()
    config["callbacks"] = [
        TokenCallback(
            lambda chunk: channel.put(translator.message_chunk(chunk)),
            lambda message_id, text: channel.put(translator.text_piece(message_id, text)),
        )
    ]
    stream = graph.astream(
        run.graph_input,
        config,
        context=run.context,
        stream_mode="updates",
        durability=_durability(graph),
    )

    async def drive() -> None:
        try:
            async for update in stream:
                channel.put(_update_events(update, translator, usage))
        finally:
            await _close(stream)

    task = asyncio.create_task(drive())
    task.add_done_callback(channel.close)
    try:
        while (batch := await channel.take()) is not None:
            for event in batch:
                yield event
        task.result()  # the graph's failure, if any, becomes this run's
    finally:
        if not task.done():
            task.cancel()
            await asyncio.wait([task])
        if not task.cancelled():
            task.exception()  # retrieved here; when it matters it was raised above


async def _close(stream: AsyncIterator[Any]) -> None:
    # Closing the graph's generator right away cancels its tasks (model call, tools); leaving
    # it to the garbage collector would let them run on after a disconnect or a stop.
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()


def _chunk_events(payload: Any, translator: EventTranslator) -> list[BaseEvent]:
    """Translate one (chunk, metadata) pair of LangGraph's messages mode."""
    chunk, _metadata = payload
    return translator.message_chunk(chunk) if isinstance(chunk, AIMessageChunk) else []


def _update_events(update: Any, translator: EventTranslator, usage: UsageTally) -> list[BaseEvent]:
    """Count the usage a node update reports and translate the messages it wrote."""
    if not isinstance(update, Mapping):
        return []
    usage.node_update(update)
    return translator.node_update(update)
