"""stream_problems: what a published AG-UI client would reject in an event stream.

The rules are those of @ag-ui/client's verifier (`verifyEvents`, applied to every run after
`transformChunks` has turned chunk events into START/CONTENT/END), its event schemas, and what
one run's stream owes its client besides:

- The first event is RUN_STARTED (or RUN_ERROR); nothing follows RUN_FINISHED or RUN_ERROR
  but the RUN_STARTED of another run, and the stream ends with one of them.
- Every text message, tool call, reasoning message and reasoning span is opened once by its
  START (by id) before its CONTENT/ARGS and END; a step is started before it is finished; a
  subagent is started before it finishes or fails, and its id is not reused. RUN_FINISHED
  comes only when all of these are closed (RUN_ERROR may leave them open).
- A TOOL_CALL_RESULT answers a call the run announced (a TOOL_CALL_START, or a call in the
  run's input or a MESSAGES_SNAPSHOT), after that call's END, once.
- Every event matches its AG-UI schema, and no field is `null` (the client's schemas accept an
  absent optional field, never a null one; a state snapshot and a custom or raw event's value
  may be null). A TEXT_MESSAGE_CONTENT delta is not empty (early @ag-ui/core releases rejected
  the event, and clients in use still bundle them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ag_ui.core import BaseEvent, Event
from pydantic import TypeAdapter, ValidationError

_EVENT: TypeAdapter[Any] = TypeAdapter(Event)

# event type -> (what it does, the kind of thing it opens or closes, the field with its id)
_SPANS = {
    "TEXT_MESSAGE_START": ("open", "text message", "messageId"),
    "TEXT_MESSAGE_CONTENT": ("continue", "text message", "messageId"),
    "TEXT_MESSAGE_END": ("close", "text message", "messageId"),
    "TOOL_CALL_START": ("open", "tool call", "toolCallId"),
    "TOOL_CALL_ARGS": ("continue", "tool call", "toolCallId"),
    "TOOL_CALL_END": ("close", "tool call", "toolCallId"),
    "REASONING_MESSAGE_START": ("open", "reasoning message", "messageId"),
    "REASONING_MESSAGE_CONTENT": ("continue", "reasoning message", "messageId"),
    "REASONING_MESSAGE_END": ("close", "reasoning message", "messageId"),
    "REASONING_START": ("open", "reasoning span", "messageId"),
    "REASONING_END": ("close", "reasoning span", "messageId"),
}
_OPENER = {kind: kind_type for kind_type, (act, kind, _) in _SPANS.items() if act == "open"}
_CLOSER = {kind: kind_type for kind_type, (act, kind, _) in _SPANS.items() if act == "close"}

# chunk type -> (its kind, its id field, the events it stands for)
_CHUNKS = {
    "TEXT_MESSAGE_CHUNK": (
        "text message",
        "messageId",
        ("TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END"),
    ),
    "TOOL_CALL_CHUNK": (
        "tool call",
        "toolCallId",
        ("TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END"),
    ),
    "REASONING_MESSAGE_CHUNK": (
        "reasoning message",
        "messageId",
        ("REASONING_MESSAGE_START", "REASONING_MESSAGE_CONTENT", "REASONING_MESSAGE_END"),
    ),
}
# Events that close an open chunk stream of their own lane (subagent), as transformChunks does.
_LANE_EVENTS = {
    *_SPANS,
    "TOOL_CALL_RESULT",
    "STATE_SNAPSHOT",
    "STATE_DELTA",
    "CUSTOM",
    "STEP_STARTED",
    "STEP_FINISHED",
}
_RUN_LEVEL = {"RUN_STARTED", "RUN_FINISHED", "RUN_ERROR", "MESSAGES_SNAPSHOT"}
_TERMINAL = {"RUN_FINISHED", "RUN_ERROR"}
_MAY_BE_NULL = {("STATE_SNAPSHOT", "snapshot"), ("CUSTOM", "value"), ("RAW", "event")}

Lane = str | None  # the subagent an event belongs to; None for the agent itself


def stream_problems(events: Iterable[BaseEvent | Mapping[str, Any]]) -> list[str]:
    """The protocol violations in an AG-UI event stream, in order; empty when it is valid.

    Args:
        events: The events as a client received them (JSON objects, e.g. parsed from SSE), or
            as `ag_ui.core` events (e.g. a RunRecord's `event`s).

    Returns:
        One sentence per problem, naming the event by its position and type.
    """
    verifier = _Verifier()
    for index, event in enumerate(events):
        verifier.check(index, _as_json(event))
    return verifier.finish()


def _as_json(event: BaseEvent | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(event, BaseEvent):
        data: dict[str, Any] = event.model_dump(mode="json", by_alias=True, exclude_none=True)
        return data
    return dict(event)


@dataclass(slots=True)
class _Run:
    """What one run has opened and announced so far."""

    open: dict[str, dict[str, Lane]] = field(default_factory=dict)
    steps: set[tuple[Lane, str]] = field(default_factory=set)
    subagents: set[str] = field(default_factory=set)
    finished_subagents: set[str] = field(default_factory=set)
    known_calls: set[str] = field(default_factory=set)
    answered_calls: set[str] = field(default_factory=set)

    def opened(self, kind: str) -> dict[str, Lane]:
        return self.open.setdefault(kind, {})


@dataclass(slots=True)
class _Verifier:
    problems: list[str] = field(default_factory=list)
    phase: str = "before"  # "before" the first event, "running", or the terminal event's type
    run: _Run = field(default_factory=_Run)
    chunk_streams: dict[Lane, tuple[str, str]] = field(default_factory=dict)
    """The open chunk stream of each lane: (kind, id)."""
    count: int = 0
    _where: str = ""

    def report(self, problem: str) -> None:
        self.problems.append(f"{self._where}: {problem}")

    def check(self, index: int, event: dict[str, Any]) -> None:
        kind = event.get("type")
        self.count += 1
        self._where = f"event {index} ({kind})" if isinstance(kind, str) else f"event {index}"
        if not isinstance(kind, str):
            self.report("it has no type")
            return
        self._check_fields(kind, event)
        for expanded in self._expand(kind, event):
            self._check_order(str(expanded["type"]), expanded)

    def finish(self) -> list[str]:
        if self.count == 0:
            return ["the stream has no events (a run starts with RUN_STARTED)"]
        if self.phase not in _TERMINAL:
            self._where = "end of stream"
            self.report("the stream ends without RUN_FINISHED or RUN_ERROR")
        return self.problems

    # -- one event on its own --------------------------------------------------------------

    def _check_fields(self, kind: str, event: dict[str, Any]) -> None:
        try:
            _EVENT.validate_python(event)
        except ValidationError as error:
            for detail in error.errors():
                self.report(_schema_problem(kind, detail))
        for name, value in event.items():
            if value is None and (kind, name) not in _MAY_BE_NULL:
                self.report(f"{name} is null (leave an optional field out instead)")
        if kind == "TEXT_MESSAGE_CONTENT" and event.get("delta") == "":
            self.report("the delta is empty (early @ag-ui/core releases reject the event)")

    # -- chunk events, expanded as transformChunks does ------------------------------------

    def _expand(self, kind: str, event: dict[str, Any]) -> list[dict[str, Any]]:
        if kind in _CHUNKS:
            return self._chunk(kind, event)
        if kind in _RUN_LEVEL:
            closing = [end for lane in list(self.chunk_streams) for end in self._end_chunks(lane)]
            return [*closing, event]
        if kind in ("SUBAGENT_FINISHED", "SUBAGENT_ERROR"):
            return [*self._end_chunks(_lane(event, "subagentRunId")), event]
        if kind in _LANE_EVENTS:
            return [*self._end_chunks(_lane(event)), event]
        return [event]

    def _chunk(self, kind: str, event: dict[str, Any]) -> list[dict[str, Any]]:
        span, id_field, (start, content, _) = _CHUNKS[kind]
        lane = _lane(event)
        chunk_id = event.get(id_field)
        current = self.chunk_streams.get(lane)
        expanded: list[dict[str, Any]] = []
        if current is not None and current[0] == span and chunk_id in (None, current[1]):
            chunk_id = current[1]
        else:
            expanded += self._end_chunks(lane)
            if chunk_id is None or (span == "tool call" and event.get("toolCallName") is None):
                needs = "a toolCallId and a toolCallName" if span == "tool call" else id_field
                self.report(f"the first {kind} of a {span} needs {needs}")
                return expanded
            opener: dict[str, Any] = {
                key: event[key] for key in ("toolCallName", "parentMessageId") if key in event
            }
            expanded.append(_attributed({"type": start, id_field: chunk_id, **opener}, lane))
            self.chunk_streams[lane] = (span, str(chunk_id))
        if "delta" in event:
            piece = {"type": content, id_field: chunk_id, "delta": event["delta"]}
            expanded.append(_attributed(piece, lane))
        return expanded

    def _end_chunks(self, lane: Lane) -> list[dict[str, Any]]:
        current = self.chunk_streams.pop(lane, None)
        if current is None:
            return []
        span, chunk_id = current
        id_field = "toolCallId" if span == "tool call" else "messageId"
        return [_attributed({"type": _CLOSER[span], id_field: chunk_id}, lane)]

    # -- the order of events in a run -------------------------------------------------------

    def _check_order(self, kind: str, event: dict[str, Any]) -> None:
        if self.phase in _TERMINAL and kind != "RUN_STARTED":
            self.report(f"it comes after {self.phase}, which ended the run")
            return
        if self.phase == "before" and kind not in ("RUN_STARTED", "RUN_ERROR"):
            self.report("the first event of a run must be RUN_STARTED")
            self.phase = "running"
        if kind in _SPANS:
            self._span(kind, event)
        elif kind in _RUN_LEVEL:
            self._run_event(kind, event)
        elif kind in ("STEP_STARTED", "STEP_FINISHED"):
            self._step(kind, event)
        elif kind.startswith("SUBAGENT_"):
            self._subagent(kind, event)
        elif kind == "TOOL_CALL_RESULT":
            self._tool_result(event)

    def _run_event(self, kind: str, event: dict[str, Any]) -> None:
        if kind == "RUN_STARTED":
            if self.phase == "running":
                self.report("a run is already under way (it has not sent RUN_FINISHED)")
            else:
                self.run = _Run()
            self.phase = "running"
            run_input = event.get("input")
            if isinstance(run_input, Mapping):
                self._announce(run_input.get("messages"))
        elif kind == "MESSAGES_SNAPSHOT":
            self._announce(event.get("messages"))
        elif kind == "RUN_FINISHED":
            self._still_open()
            self.phase = kind
        else:
            self.phase = kind

    def _still_open(self) -> None:
        for kind, opened in self.run.open.items():
            if opened:
                names = ", ".join(repr(name) for name in opened)
                self.report(f"RUN_FINISHED while a {kind} is still open: {names}")
        if self.run.steps:
            names = ", ".join(repr(name) for _, name in sorted(self.run.steps, key=str))
            self.report(f"RUN_FINISHED while a step is still running: {names}")
        if self.run.subagents:
            names = ", ".join(repr(name) for name in sorted(self.run.subagents))
            self.report(f"RUN_FINISHED while a subagent is still running: {names}")

    def _announce(self, messages: object) -> None:
        """Remember the tool calls of messages a run starts from or a snapshot shows."""
        if not isinstance(messages, list):
            return
        for message in messages:
            calls = message.get("toolCalls") if isinstance(message, Mapping) else None
            for tool_call in calls if isinstance(calls, list) else ():
                if isinstance(tool_call, Mapping) and isinstance(tool_call.get("id"), str):
                    self.run.known_calls.add(tool_call["id"])

    def _span(self, kind: str, event: dict[str, Any]) -> None:
        action, span, id_field = _SPANS[kind]
        span_id = event.get(id_field)
        if not isinstance(span_id, str):
            return  # the schema check has said so
        opened = self.run.opened(span)
        lane = _lane(event)
        if action == "open":
            if span_id in opened:
                self.report(f"{span} {span_id!r} is already open ({_CLOSER[span]} first)")
            opened[span_id] = lane
            if span == "tool call":
                self.run.known_calls.add(span_id)
            return
        if span_id not in opened:
            self.report(f"no {span} {span_id!r} is open (it needs a {_OPENER[span]} first)")
            return
        if lane is not None and lane != opened[span_id]:
            self.report(
                f"subagentRunId {lane!r} is not the one {span} {span_id!r} was opened with "
                f"({opened[span_id]!r})"
            )
        if action == "close":
            del opened[span_id]

    def _step(self, kind: str, event: dict[str, Any]) -> None:
        step = (_lane(event), str(event.get("stepName")))
        if kind == "STEP_STARTED":
            if step in self.run.steps:
                self.report(f"step {step[1]!r} is already running")
            self.run.steps.add(step)
        elif step in self.run.steps:
            self.run.steps.discard(step)
        else:
            self.report(f"step {step[1]!r} was not started (STEP_STARTED first)")

    def _subagent(self, kind: str, event: dict[str, Any]) -> None:
        subagent = event.get("subagentRunId")
        if not isinstance(subagent, str):
            return  # the schema check has said so
        if kind != "SUBAGENT_STARTED":
            if subagent in self.run.subagents:
                self.run.subagents.discard(subagent)
                self.run.finished_subagents.add(subagent)
            else:
                self.report(f"no subagent {subagent!r} is running (SUBAGENT_STARTED first)")
            return
        if subagent in self.run.subagents:
            self.report(f"subagent {subagent!r} is already running")
        elif subagent in self.run.finished_subagents:
            self.report(f"subagent {subagent!r} has finished in this run; ids are not reused")
        parent = event.get("parentSubagentRunId")
        if parent is not None and parent not in self.run.subagents | self.run.finished_subagents:
            self.report(f"its parentSubagentRunId {parent!r} was not started in this run")
        self.run.subagents.add(subagent)

    def _tool_result(self, event: dict[str, Any]) -> None:
        call_id = event.get("toolCallId")
        if not isinstance(call_id, str):
            return  # the schema check has said so
        if call_id in self.run.opened("tool call"):
            self.report(f"it answers tool call {call_id!r} before that call's TOOL_CALL_END")
        elif call_id not in self.run.known_calls:
            self.report(
                f"it answers tool call {call_id!r}, which the run never announced (no "
                "TOOL_CALL_START, and no such call in its input or a MESSAGES_SNAPSHOT)"
            )
        if call_id in self.run.answered_calls:
            self.report(f"tool call {call_id!r} already has a result")
        self.run.answered_calls.add(call_id)


def _lane(event: Mapping[str, Any], key: str = "subagentRunId") -> Lane:
    lane = event.get(key)
    return lane if isinstance(lane, str) else None


def _attributed(event: dict[str, Any], lane: Lane) -> dict[str, Any]:
    return event if lane is None else {**event, "subagentRunId": lane}


def _schema_problem(kind: str, detail: Any) -> str:
    if detail["type"] == "union_tag_invalid":
        return f"{kind!r} is not an AG-UI event type"
    where = ".".join(str(part) for part in detail["loc"][1:])
    return f"{where or 'the event'} does not match the AG-UI schema: {detail['msg']}"
