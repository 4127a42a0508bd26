"""record_run: run an agent in process and keep everything about the run in a RunRecord.

Made for notebooks and graph-level tests: no HTTP, the same event stream a client receives,
each event stamped with the time it arrived.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ag_ui.core import (
    BaseEvent,
    EventType,
    Message,
    RunAgentInput,
    RunErrorEvent,
    StateSnapshotEvent,
    TokenUsage,
    Tool,
    UserMessage,
)
from pydantic import JsonValue

from copilot_runtime.actions import ActionContext, resolve_actions
from copilot_runtime.graphs.agent import Agent
from copilot_runtime.graphs.graph_agent import GraphAgent
from copilot_runtime.graphs.record_html import record_html
from copilot_runtime.graphs.table import Table
from copilot_runtime.graphs.threads import fork_events
from copilot_runtime.graphs.transcript import Transcript

# The events that carry what the model produces; the first one marks the first token.
TOKEN_EVENTS = frozenset({EventType.TEXT_MESSAGE_CONTENT, EventType.TOOL_CALL_ARGS})


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """One event of a run and when it arrived."""

    index: int
    at: float
    """Seconds since the run was started."""
    event: BaseEvent

    @property
    def type(self) -> str:
        """The event type name, e.g. "TEXT_MESSAGE_CONTENT"."""
        return str(self.event.type.value)

    def row(self) -> dict[str, JsonValue]:
        """The event as one table row: its time, type, the id it is about and its payload."""
        data = json.loads(self.event.model_dump_json(by_alias=True, exclude={"type"}))
        subject = data.pop("messageId", None) or data.pop("toolCallId", None)
        subject = subject or data.pop("runId", None)
        data.pop("threadId", None)
        detail = data.pop("delta", None) or data.pop("content", None) or data
        return {
            "index": self.index,
            "at_ms": round(self.at * 1000, 3),
            "type": self.type,
            "id": subject,
            "detail": detail if isinstance(detail, str) else json.dumps(detail) if detail else "",
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallRecord:
    """A tool call of the run: its arguments, its result (None for frontend tools), its times."""

    tool_call_id: str
    name: str
    arguments: JsonValue
    """The parsed JSON arguments (the raw text when they are not valid JSON)."""
    result: str | None
    started_at: float
    """Seconds since the run started, when the call started streaming."""
    ended_at: float | None
    """When its arguments were complete."""
    result_at: float | None
    """When its result arrived; None when the client executes it (a frontend tool)."""

    @property
    def duration(self) -> float | None:
        """Seconds from complete arguments to the result: the tool's execution time."""
        if self.result_at is None or self.ended_at is None:
            return None
        return self.result_at - self.ended_at

    def row(self) -> dict[str, JsonValue]:
        """The call as one table row."""
        return {
            "id": self.tool_call_id,
            "name": self.name,
            "arguments": json.dumps(self.arguments),
            "result": self.result,
            "started_ms": round(self.started_at * 1000, 3),
            "duration_ms": None if self.duration is None else round(self.duration * 1000, 3),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """Everything about one run; shows itself as HTML in Jupyter."""

    thread_id: str
    run_id: str
    started_at: datetime
    """Wall-clock time the run started (UTC)."""
    input: RunAgentInput
    events: tuple[RecordedEvent, ...]
    messages: list[Message]
    """The conversation after the run: the stored thread when the agent keeps threads, else
    what a client holds (the messages it sent plus the streamed events)."""
    state: dict[str, Any] = field(default_factory=dict)
    """The shared state after the run."""
    checkpoint_id: str | None = None
    """The thread's latest checkpoint after the run, when the agent keeps threads."""

    @property
    def duration(self) -> float:
        """Seconds from the start to the last event."""
        return self.events[-1].at if self.events else 0.0

    @property
    def time_to_first_token(self) -> float | None:
        """Seconds until the first piece of model output (text or tool arguments)."""
        return next((e.at for e in self.events if e.event.type in TOKEN_EVENTS), None)

    @property
    def error(self) -> RunErrorEvent | None:
        """The RUN_ERROR that ended the run, if one did."""
        last = self.events[-1].event if self.events else None
        return last if isinstance(last, RunErrorEvent) else None

    @property
    def usage(self) -> list[TokenUsage]:
        """Token usage reported in the last event (empty when the model reported none)."""
        last = self.events[-1].event if self.events else None
        return list(getattr(last, "usage", None) or [])

    @property
    def text(self) -> str:
        """All assistant text streamed in this run."""
        return "".join(
            getattr(e.event, "delta", "")
            for e in self.events
            if e.event.type == EventType.TEXT_MESSAGE_CONTENT
        )

    @property
    def tool_calls(self) -> list[ToolCallRecord]:
        """The run's tool calls in the order they started."""
        return tool_call_records(self.events)

    def table(self) -> Table:
        """The events as rows (index, at_ms, type, id, detail); `.to_dataframe()` for pandas."""
        return Table(event.row() for event in self.events)

    def tool_table(self) -> Table:
        """The tool calls as rows."""
        return Table(call.row() for call in self.tool_calls)

    def _repr_html_(self) -> str:
        return record_html(self)


def tool_call_records(events: Sequence[RecordedEvent]) -> list[ToolCallRecord]:
    """Pair each call's START, ARGS, END and RESULT events."""
    calls: dict[str, dict[str, Any]] = {}
    for recorded in events:
        event: Any = recorded.event
        match recorded.event.type:
            case EventType.TOOL_CALL_START:
                calls[event.tool_call_id] = {"name": event.tool_call_name, "args": ""}
                calls[event.tool_call_id]["started_at"] = recorded.at
            case EventType.TOOL_CALL_ARGS if event.tool_call_id in calls:
                calls[event.tool_call_id]["args"] += event.delta
            case EventType.TOOL_CALL_END if event.tool_call_id in calls:
                calls[event.tool_call_id]["ended_at"] = recorded.at
            case EventType.TOOL_CALL_RESULT if event.tool_call_id in calls:
                calls[event.tool_call_id].update(result=event.content, result_at=recorded.at)
    return [
        ToolCallRecord(
            tool_call_id=call_id,
            name=call["name"],
            arguments=_parsed(call["args"]),
            result=call.get("result"),
            started_at=call["started_at"],
            ended_at=call.get("ended_at"),
            result_at=call.get("result_at"),
        )
        for call_id, call in calls.items()
    ]


def _parsed(arguments: str) -> JsonValue:
    try:
        parsed: JsonValue = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return arguments
    return parsed


async def record_run(
    agent: Agent | GraphAgent,
    message: str | Sequence[Message] | None,
    *,
    thread_id: str | None = None,
    history: Sequence[Message] = (),
    properties: Mapping[str, JsonValue] | None = None,
    url: str | None = None,
    headers: Mapping[str, str] | None = None,
    state: Mapping[str, JsonValue] | None = None,
    tools: Sequence[Tool] = (),
    checkpoint_id: str | None = None,
    new_id: Callable[[], str] | None = None,
) -> RunRecord:
    """Run `agent` once in process and record it.

    Args:
        agent: An Agent (or a GraphAgent wrapping a user graph).
        message: A user message's text, the messages to send, or None to replay from
            `checkpoint_id` without new input.
        thread_id: The thread; a new one by default.
        history: Messages sent before `message`, as a client resends its conversation.
        properties: What the actions generator sees as `context.properties`.
        url: What it sees as `context.url` (the page URL).
        headers: What it sees as `context.headers`.
        state: The shared state the client sends.
        tools: Frontend tools the client offers.
        checkpoint_id: Fork the thread from this checkpoint (replay it when `message` is None);
            see `thread_history`. Only for an Agent.
        new_id: Makes the ids of the run, a new thread and the user message.
    """
    new_id = new_id or _new_id
    new = [UserMessage(id=new_id(), content=message)] if isinstance(message, str) else message
    run_input = RunAgentInput(
        thread_id=thread_id or f"thread-{new_id()}",
        run_id=f"run-{new_id()}",
        messages=[*history, *(new or [])],
        tools=list(tools),
        context=[],
        state=dict(state or {}),
        forwarded_props=dict(properties or {}),
    )
    context = ActionContext(
        properties=dict(properties or {}),
        url=url,
        headers={key.lower(): value for key, value in (headers or {}).items()},
        thread_id=run_input.thread_id,
    )
    if checkpoint_id is None:
        events = agent.run(run_input, context)
    elif isinstance(agent, Agent):
        events = fork_events(agent, run_input, context, checkpoint_id, new)
    else:
        raise TypeError("replaying or forking from a checkpoint needs an Agent")
    return await _record(agent, run_input, events)


async def record_conversation(
    agent: Agent | GraphAgent, turns: Sequence[str], **options: Any
) -> list[RunRecord]:
    """Run each user turn on one thread, resending the conversation as a client does."""
    records: list[RunRecord] = []
    new_id = options.get("new_id") or _new_id
    thread_id = options.pop("thread_id", None) or f"thread-{new_id()}"
    for turn in turns:
        history = records[-1].messages if records else ()
        records.append(
            await record_run(agent, turn, thread_id=thread_id, history=history, **options)
        )
    return records


async def available_tools(
    agent: Agent,
    *,
    properties: Mapping[str, JsonValue] | None = None,
    url: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> list[str]:
    """The action names the agent's generator offers for a request with this context."""
    context = ActionContext(properties=dict(properties or {}), url=url, headers=dict(headers or {}))
    actions = await resolve_actions(agent.actions, context, agent.action_limits)
    return [action.name for action in actions]


async def _record(
    agent: Agent | GraphAgent, run_input: RunAgentInput, events: AsyncIterator[BaseEvent]
) -> RunRecord:
    started_at = datetime.now(UTC)
    start = time.perf_counter()
    recorded = [
        RecordedEvent(index, time.perf_counter() - start, event)
        async for index, event in _numbered(events)
    ]
    plain = [r.event for r in recorded]
    snapshot = await agent.thread_snapshot(run_input.thread_id)
    snapshots = [e.snapshot for e in plain if isinstance(e, StateSnapshotEvent)]
    state = snapshot.state if snapshot else (snapshots[-1] if snapshots else run_input.state)
    return RunRecord(
        thread_id=run_input.thread_id,
        run_id=run_input.run_id,
        started_at=started_at,
        input=run_input,
        events=tuple(recorded),
        messages=snapshot.messages if snapshot else Transcript.of(run_input.messages, plain),
        state=dict(state or {}),
        checkpoint_id=await _latest_checkpoint(agent, run_input.thread_id),
    )


async def _numbered(events: AsyncIterator[BaseEvent]) -> AsyncIterator[tuple[int, BaseEvent]]:
    index = 0
    async for event in events:
        yield index, event
        index += 1


async def _latest_checkpoint(agent: Agent | GraphAgent, thread_id: str) -> str | None:
    if agent.graph.checkpointer is None:
        return None
    state = await agent.graph.aget_state({"configurable": {"thread_id": thread_id}})
    checkpoint_id = state.config.get("configurable", {}).get("checkpoint_id")
    return checkpoint_id if isinstance(checkpoint_id, str) else None


def _new_id() -> str:
    return uuid.uuid4().hex[:12]
