"""launch_run and run_agent: one graph run as AG-UI events; the only reader of graph.astream."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ag_ui.core import (
    BaseEvent,
    RunErrorEvent,
    RunFinishedEvent,
    RunFinishedInterruptOutcome,
    RunStartedEvent,
)
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessageChunk
from langchain_core.runnables import RunnableConfig
from langgraph.errors import GraphRecursionError
from langgraph.pregel import Pregel
from langgraph.types import Command, Durability, StreamMode

from copilot_runtime.actions import failure_summary, loggable
from copilot_runtime.graphs.channel import EventChannel, EventSink, fill, launched
from copilot_runtime.graphs.errors import StepLimitError
from copilot_runtime.graphs.events import EventTranslator
from copilot_runtime.graphs.failed_node import failure_line
from copilot_runtime.graphs.failures import INTERNAL_ERROR, RunFailure, run_failure
from copilot_runtime.graphs.silence import ModelSilence, SilenceCallback
from copilot_runtime.graphs.tokens import TokenCallback
from copilot_runtime.graphs.usage import UsageTally

logger = logging.getLogger(__name__)

__all__ = [
    "INTERNAL_ERROR",
    "FinishHook",
    "GraphRun",
    "ReaderFactory",
    "StreamReader",
    "launch_run",
    "run_agent",
]


class StreamReader(Protocol):
    """Reads a graph's whole stream (with subgraphs) instead of the messages and updates
    alone: what a user's graph is streamed with (graphs/graph_stream.py)."""

    modes: Sequence[StreamMode]
    outcome: RunFinishedInterruptOutcome | None

    @property
    def failed_node(self) -> str | None:
        """The node that raised, when the run failed in one."""
        ...

    def callbacks(self) -> list[BaseCallbackHandler]:
        """Handlers the run's config needs."""
        ...

    def read(self, namespace: tuple[str, ...], mode: str, payload: Any) -> list[BaseEvent]:
        """The events for one item of the stream."""
        ...

    async def finish(self) -> list[BaseEvent]:
        """Events just before RUN_FINISHED of a run that ended well; sets `outcome`."""
        ...

    def close(self) -> list[BaseEvent]:
        """End whatever is open."""
        ...


ReaderFactory = Callable[[RunnableConfig, EventTranslator, UsageTally], StreamReader]


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphRun:
    """One run of a compiled graph: its ids, its input and its request-scoped context."""

    thread_id: str
    run_id: str
    graph_input: Mapping[str, Any] | Command[Any] | None
    """None resumes from the checkpoint in `configurable` (a replay); a Command resumes
    interrupts."""
    context: Any = None
    """The graph's runtime context (a RunContext for the agent graph)."""
    max_steps: int = 25
    """Model steps allowed; the graph takes two supersteps (model, tools) per step."""
    durability: Durability = "sync"
    """When a checkpointed graph writes its steps (LangGraph's `durability`): "sync" writes
    each before the next starts, so even a killed process loses no finished step; "async"
    writes while the next runs; "exit" writes once, when the run ends (well, with an error or
    stopped), and a killed process loses the whole run."""
    configurable: Mapping[str, Any] = field(default_factory=dict)
    """Extra `config["configurable"]` entries: a `checkpoint_id` to fork or replay from, or
    values for user graphs."""
    direct_tokens: bool = False
    """Stream tokens from a LangChain callback rather than LangGraph's messages mode (same
    events, less CPU per token: graphs/tokens.py). For graphs without subgraphs or `@task`
    calls, whose tokens that callback attributes as the messages mode does."""
    model_timeout: float | None = None
    """Seconds a model call may send nothing (before its first chunk or between two) before
    the run ends with RUN_ERROR MODEL_TIMEOUT (graphs/silence.py); None: no limit."""
    on_chunk: Callable[[AIMessageChunk], None] | None = None
    """Also given every streamed model chunk; with `direct_tokens`, in the model call's own
    task, before the call returns (how the agent graph checks tool-call arguments)."""
    reader: ReaderFactory | None = None
    """Reads the whole stream, subgraphs included (a user's graph); None: messages and
    updates only (the agent graph)."""

    def config(self) -> RunnableConfig:
        """The LangGraph config: the thread id keys the checkpointer."""
        return {
            "configurable": {**self.configurable, "thread_id": self.thread_id},
            "recursion_limit": 2 * self.max_steps,
        }


FinishHook = Callable[[], Awaitable[Sequence[BaseEvent]]]
"""Called when the graph has finished well, for events that go just before RUN_FINISHED."""


def launch_run(
    graph: Pregel[Any, Any, Any, Any],
    run: GraphRun,
    channel: EventSink[BaseEvent],
    *,
    before_finish: FinishHook | None = None,
) -> asyncio.Task[None]:
    """Start the run in a task of its own that puts its events into `channel`, then closes it.

    RUN_STARTED first, RUN_FINISHED or RUN_ERROR last, and every START closed before that.
    The token usage the model steps reported is summed into the last event. Cancelling the
    task cancels the model call or tools in flight; nothing more is put then.
    """
    return fill(channel, _drive(graph, run, channel, before_finish))


def run_agent(graph: Pregel[Any, Any, Any, Any], run: GraphRun) -> AsyncGenerator[BaseEvent]:
    """The events of `launch_run`, one at a time.

    Closing this iterator (a client disconnect or a stop) cancels the run's task, which
    cancels the model call or tools in flight.
    """

    async def launch(channel: EventChannel[BaseEvent]) -> asyncio.Task[None]:
        return launch_run(graph, run, channel)

    return launched(launch)


async def _drive(
    graph: Pregel[Any, Any, Any, Any],
    run: GraphRun,
    channel: EventSink[BaseEvent],
    before_finish: FinishHook | None,
) -> None:
    channel.put([RunStartedEvent(thread_id=run.thread_id, run_id=run.run_id)])
    translator = EventTranslator()
    usage = UsageTally()
    reader = None if run.reader is None else run.reader(run.config(), translator, usage)
    failure: RunFailure | None = None
    last: list[BaseEvent] = []
    try:
        await _stream_graph(graph, run, translator, usage, channel, reader)
        if reader is not None:
            last += await reader.finish()
        if before_finish is not None:
            last += await before_finish()
    except GraphRecursionError:
        failure = run_failure(StepLimitError(run.max_steps))
    except Exception as error:  # noqa: BLE001  # every failure must become RUN_ERROR
        failure = run_failure(error)
        if failure.is_expected:
            kind = type(error).__name__
            logger.warning("run %s failed: %s (%s)", loggable(run.run_id), kind, failure.code)
        elif reader is not None:
            logger.error("%s", failure_line(run.run_id, reader.failed_node, error))
        else:
            summary = failure_summary(error, is_user_code=True)
            logger.error("run %s failed: %s", loggable(run.run_id), summary)
    closing = translator.close() if reader is None else reader.close()
    if failure is not None:
        closing.append(
            RunErrorEvent(message=failure.message, code=failure.code, usage=usage.entries())
        )
    else:
        closing += last
        closing.append(
            RunFinishedEvent(
                thread_id=run.thread_id,
                run_id=run.run_id,
                usage=usage.entries(),
                outcome=None if reader is None else reader.outcome,
            )
        )
    channel.put(closing)


def _durability(graph: Pregel[Any, Any, Any, Any], wanted: Durability) -> Durability | None:
    # langgraph 1.2 fails on "sync" without a checkpointer, hence the test.
    return wanted if graph.checkpointer else None


async def _stream_graph(
    graph: Pregel[Any, Any, Any, Any],
    run: GraphRun,
    translator: EventTranslator,
    usage: UsageTally,
    channel: EventSink[BaseEvent],
    reader: StreamReader | None = None,
) -> None:
    """The graph's updates into `channel`, and its tokens, by either path.

    With `direct_tokens` a TokenCallback puts the tokens from inside the model call, in this
    same task, so the order is the order things happened; otherwise they come through
    LangGraph's messages mode.
    """
    config = run.config()
    if reader is not None:
        await _read_graph(graph, run, config, reader, channel)
        return
    modes: list[StreamMode] = ["updates"] if run.direct_tokens else ["messages", "updates"]
    observe = run.on_chunk

    def on_chunk(chunk: AIMessageChunk) -> None:
        if observe is not None:
            observe(chunk)
        channel.put(translator.message_chunk(chunk))

    silence = ModelSilence(run.model_timeout)
    if run.direct_tokens:
        config["callbacks"] = [
            TokenCallback(
                on_chunk,
                lambda message_id, text: channel.put(translator.text_piece(message_id, text)),
                silence=silence,
            )
        ]
    elif run.model_timeout is not None:
        config["callbacks"] = [SilenceCallback(silence)]
    stream = graph.astream(
        run.graph_input,
        config,
        context=run.context,
        stream_mode=modes,
        durability=_durability(graph, run.durability),
    )
    try:
        async with silence.watching():
            async for mode, payload in stream:
                if mode == "messages":
                    if (chunk := _model_chunk(payload)) is not None:
                        on_chunk(chunk)
                else:
                    channel.put(_update_events(payload, translator, usage))
    finally:
        await _close(stream)


async def _read_graph(
    graph: Pregel[Any, Any, Any, Any],
    run: GraphRun,
    config: RunnableConfig,
    reader: StreamReader,
    channel: EventSink[BaseEvent],
) -> None:
    """The graph's whole stream, subgraphs included, through `reader` into `channel`."""
    silence = ModelSilence(run.model_timeout)
    callbacks = reader.callbacks()
    if run.model_timeout is not None:
        callbacks.append(SilenceCallback(silence))
    config["callbacks"] = callbacks
    stream = graph.astream(
        run.graph_input,
        config,
        context=run.context,
        stream_mode=list(reader.modes),
        subgraphs=True,
        durability=_durability(graph, run.durability),
    )
    try:
        async with silence.watching():
            async for namespace, mode, payload in stream:
                channel.put(reader.read(tuple(namespace), mode, payload))
    finally:
        await _close(stream)


async def _close(stream: AsyncIterator[Any]) -> None:
    # Closing the graph's generator right away cancels its tasks (model call, tools); leaving
    # it to the garbage collector would let them run on after a disconnect or a stop.
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()


def _model_chunk(payload: Any) -> AIMessageChunk | None:
    """The model chunk of one (chunk, metadata) pair of LangGraph's messages mode."""
    chunk, _metadata = payload
    return chunk if isinstance(chunk, AIMessageChunk) else None


def _update_events(update: Any, translator: EventTranslator, usage: UsageTally) -> list[BaseEvent]:
    """Count the usage a node update reports and translate the messages it wrote."""
    if not isinstance(update, Mapping):
        return []
    usage.node_update(update)
    return translator.node_update(update)
